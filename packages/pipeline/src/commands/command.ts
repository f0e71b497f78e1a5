import type { ConvertProgress } from "../convert-all.js";
import type { OptionTable, OptionValues } from "../options/option-spec.js";

/** What a command talks to besides the files it is given: the environment, stdin and stdout for `-`, a signal. */
export interface CommandContext {
  /** Where `LMSYNTH_PASSPHRASE`, `HF_TOKEN`, `HF_ENDPOINT` and the scale-out engine's variables are read. */
  env: Readonly<Record<string, string | undefined>>;
  /** What an input of `-` reads. Default: none (`-` is then an error). */
  stdin?: NodeJS.ReadableStream;
  /** What an output of `-` writes. Default: none (`-` is then an error). */
  stdout?: NodeJS.WritableStream;
  signal?: AbortSignal;
  /** The command line as typed, recorded in the card, the manifest and the report. Default: the options
   * written as the equivalent `lmsynth` command line. */
  argv?: readonly string[];
}

/** What a command says while it runs, besides its result. */
export type CommandEvent =
  | ConvertProgress
  | { event: "phase"; phase: string }
  /** What the user must not miss (a deletion list's ids in an odd shape). */
  | { event: "warning"; message: string }
  /** What was found and done on the way (what a killed run left beside an output, put back or removed). */
  | { event: "note"; message: string }
  /** A line of a long step (`--resume`: the shards kept). */
  | { event: "log"; message: string };

/** The options of a command: its table's options by name (as flags and config-file keys), and the inputs. */
export type CommandOptions<T extends OptionTable> = OptionValues<T> & {
  /** The input files (the command line's positionals). */
  inputs?: readonly string[];
};

/** One command of lmsynth: its options and its run, an async generator of events returning the result. */
export interface Command<T extends OptionTable, R, E = CommandEvent> {
  /** One line, for `lmsynth --help`. */
  about: string;
  usage: string;
  /** A paragraph, for `lmsynth <command> --help`. */
  summary: string;
  table: T;
  run(options: CommandOptions<T>, context: CommandContext): AsyncGenerator<E, R>;
}

/** Runs a command to its end, ignoring its events: the promise form of {@link Command.run}. */
export async function drain<R, E>(events: AsyncGenerator<E, R>): Promise<R> {
  for (;;) {
    const step = await events.next();
    if (step.done) return step.value;
  }
}
