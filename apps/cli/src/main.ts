import { readFileSync } from "node:fs";
import { COMMANDS, InterruptedError, OptionError, readConfig, redactSecrets, type CommandContext, type CommandEvent, type CommandName, type PublishCommandEvent } from "@lmsynth/pipeline";
import { formatHelp, parseOptions } from "./option-table.js";
import type { CliIo } from "./io.js";
import { VIEWS, type Flags } from "./print.js";
import { startProgress } from "./progress.js";
import { UsageError } from "./usage-error.js";

export const VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

function topHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const list = Object.entries(COMMANDS).map(([c, { about }]) => `  ${c.padEnd(w)}  ${about}`);
  return `lmsynth ${VERSION}: LMSYS-Chat-1M-Synth to SFT/DPO training data\n\nUsage: lmsynth <command> [options]\n\nCommands:\n${list.join("\n")}\n\nRun 'lmsynth <command> --help' for its options.\n`;
}

/**
 * Exit codes in one place (behaviour.md §1, §9): 0 success, 1 usage error, 2 data or I/O error, 128 +
 * signal when interrupted.
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof InterruptedError) return error.exitCode;
  // A library's OptionError is a flag the user gave, as the CLI's own UsageError is.
  return error instanceof UsageError || error instanceof OptionError ? 1 : 2;
}

function isEpipe(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
}

const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

/**
 * Shows a command's events on stderr until it returns: live progress (a TTY without `--quiet`), the rest as
 * the command's view shows them (`VIEWS`).
 */
async function follow<R>(name: CommandName, events: AsyncGenerator<CommandEvent | PublishCommandEvent, R>, io: CliIo, o: Flags): Promise<R> {
  const quiet = o.quiet === true || o.silent === true;
  let progress: ReturnType<typeof startProgress> | undefined;
  const read = { bytesRead: 0 };
  try {
    for (;;) {
      const step = await events.next();
      if (step.done) return step.value;
      const e = step.value;
      if (e.event !== "progress") VIEWS[name].events(e, io, o);
      else {
        read.bytesRead = e.bytesRead;
        progress ??= startProgress(io, quiet, read, e.totalBytes);
        progress.tick(e.records);
      }
    }
  } finally {
    progress?.stop();
    // A line drawn with `\r` (a file's upload progress) is cleared before the result is printed.
    if (io.stderr.isTTY && !quiet) io.stderr.write("\r\x1b[K");
  }
}

/**
 * Runs `lmsynth` with `argv` (without node and script) against `io`; resolves to the exit code. Never
 * throws: errors are printed as `Error: …` on stderr (usage errors with a pointer to `--help`).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(topHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-V") {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!isCommand(name)) {
    io.stderr.write(`Error: unknown command '${name}'\n\n${topHelp()}`);
    return 1;
  }
  const command = COMMANDS[name];
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(formatHelp(command.usage, command.summary, command.table));
    return 0;
  }
  try {
    const { values, positionals } = parseOptions(command.table, rest);
    const context: CommandContext = { env: io.env, stdin: io.stdin, stdout: io.stdout, argv: rest, ...(io.signal ? { signal: io.signal } : {}) };
    // How to print is the shell's to know: `--json`, `--quiet`, `--silent` from the flags, else from `--config`
    // (the command reads the file again for the options it resolves).
    const given: Record<string, unknown> = values;
    const config = typeof given.config === "string" ? await readConfig(given.config, command.table) : {};
    const o: Flags & { output?: unknown } = { ...config, ...values };
    // The summary as JSON and the rows would share stdout.
    if (o.output === "-" && o.json === true) throw new UsageError("--json prints on stdout: give -o a file");
    // Each entry's run takes its own table's options; TypeScript cannot pair `name` with its entry through the union.
    const run = command.run as (options: object, context: CommandContext) => AsyncGenerator<CommandEvent, unknown>;
    const result = await follow(name, run({ ...values, inputs: positionals }, context), io, o);
    return (VIEWS[name].result as (result: unknown, io: CliIo, o: Flags) => number)(result, io, o);
  } catch (e) {
    if (isEpipe(e)) return 0;
    const code = exitCodeOf(e);
    // A stack trace only for what can only be a bug in lmsynth; every error about input, output or flags
    // carries its own message.
    const bug = !(e instanceof Error) || e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError;
    const message = bug ? String((e as Error)?.stack ?? e) : e.message;
    // No message may carry a Hub token or an Authorization header, a bug's stack trace included.
    io.stderr.write(`Error: ${redactSecrets(message)}\n`);
    if (code === 1) io.stderr.write(`Run 'lmsynth ${name} --help' for usage.\n`);
    return code;
  }
}
