/**
 * @file The `lmsynth` package: every command as a library call (`runCommand("build", {…})`, and its
 * async-iterable form `runCommandIter`: the same options as the command line's flags, by name, with the input
 * files as `inputs`), the command line itself (`main(argv, io)` runs a command in-process and resolves to its
 * exit code), and the calls under the commands: a folder build (`buildFolder`, `buildFolderIter`), a
 * deletion request (`deleteIds`), a publish (`publishFolder`, `publishFolderIter`), the part of a scale-out
 * run (`shardOfEnvironment`).
 */
export { main, exitCodeOf, VERSION } from "./main.js";
export { processIo } from "./io.js";

export type { CliIo } from "./io.js";

export {
  COMMANDS,
  runCommand,
  runCommandIter,
  buildFolder,
  buildFolderIter,
  deleteIds,
  outputOf,
  shardOfEnvironment,
  publishFolder,
  publishFolderIter,
  resolveHubToken,
  verifyManifest,
  EmptyBuildError,
  ReasoningLayoutError,
  ManifestMismatchError,
  PublishError,
  InputError,
  OptionError,
  OutputError,
} from "@lmsynth/pipeline";

export type {
  BuildEvent,
  BuildOptions,
  BuildResult,
  BuildRun,
  CommandContext,
  CommandEvent,
  CommandName,
  DatasetManifest,
  DeleteIdsOptions,
  DeleteIdsResult,
  EnvironmentShard,
  EventOf,
  InspectReport,
  OptionsOf,
  PublishEvent,
  PublishOptions,
  PublishResult,
  ResultOf,
  RunSummary,
} from "@lmsynth/pipeline";
