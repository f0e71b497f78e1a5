import { buildCommand } from "./build.js";
import { drain, type CommandContext } from "./command.js";
import { decryptCommand } from "./decrypt.js";
import { deleteIdsCommand } from "./delete-ids.js";
import { dpoCommand } from "./dpo.js";
import { inspectCommand } from "./inspect.js";
import { ktoCommand } from "./kto.js";
import { mergeManifestsCommand } from "./merge-manifests.js";
import { mergeCommand } from "./merge.js";
import { publishCommand } from "./publish.js";
import { renderCommand } from "./render.js";
import { reportCommand } from "./report.js";
import { sftCommand } from "./sft.js";

/** Every command of lmsynth by name, in `lmsynth --help` order: the CLI is a shell over this table. */
export const COMMANDS = {
  build: buildCommand,
  sft: sftCommand,
  dpo: dpoCommand,
  kto: ktoCommand,
  render: renderCommand,
  merge: mergeCommand,
  decrypt: decryptCommand,
  inspect: inspectCommand,
  report: reportCommand,
  publish: publishCommand,
  "delete-ids": deleteIdsCommand,
  "merge-manifests": mergeManifestsCommand,
} as const;

export type CommandName = keyof typeof COMMANDS;
type Run<N extends CommandName> = (typeof COMMANDS)[N]["run"];
/** The options object of command `name`: its options by flag name, and `inputs`. */
export type OptionsOf<N extends CommandName> = Parameters<Run<N>>[0];
/** What command `name` returns (`{ summary }` for the converting commands). */
export type ResultOf<N extends CommandName> = ReturnType<Run<N>> extends AsyncGenerator<unknown, infer R> ? R : never;
/** What command `name` yields while it runs. */
export type EventOf<N extends CommandName> = ReturnType<Run<N>> extends AsyncGenerator<infer E, unknown> ? E : never;

/**
 * Runs command `name` as `lmsynth <name>` would, `commitIter` style: yields its events (progress, warnings,
 * notes, phases), returns its result. Options are the command's flags by name (as in a `--config` file),
 * with the input files as `inputs`; presets, config files, defaults and cross-option rules apply as on the
 * command line.
 * @throws OptionError for options that cannot run; InputError, OutputError and the rest as the command does.
 */
export function runCommandIter<N extends CommandName>(name: N, options: OptionsOf<N>, context: CommandContext = { env: process.env }): AsyncGenerator<EventOf<N>, ResultOf<N>> {
  // Each entry's run takes its own options; TypeScript cannot pair `name` with its entry through the union.
  const command = COMMANDS[name] as unknown as { run(options: OptionsOf<N>, context: CommandContext): AsyncGenerator<EventOf<N>, ResultOf<N>> };
  return command.run(options, context);
}

/** {@link runCommandIter} to its end: the command's result. */
export function runCommand<N extends CommandName>(name: N, options: OptionsOf<N>, context?: CommandContext): Promise<ResultOf<N>> {
  return drain(runCommandIter(name, options, context));
}
