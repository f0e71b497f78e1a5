/**
 * @file The `lmsynth` package: the command line as a library (`main(argv, io)` runs a command in-process and
 * resolves to its exit code), and the Node API under it: a build of a Hub folder (`build`, `buildIter`), a
 * deletion request (`deleteIds`), a publish (`publishFolder`, `publishFolderIter`), the part of a scale-out
 * run (`shardOfEnvironment`).
 */
export { main, exitCodeOf, VERSION } from "./main.js";
export { processIo } from "./io.js";

export type { CliIo } from "./io.js";
export type { CommandModule } from "./main.js";

export { build, buildIter, deleteIds, outputOf, shardOfEnvironment, EmptyBuildError, ReasoningLayoutError } from "@lmsynth/pipeline";
export { publishFolder, publishFolderIter, resolveHubToken, verifyManifest, ManifestMismatchError, PublishError } from "@lmsynth/shards";
export { InputError, OptionError, OutputError } from "@lmsynth/schema";

export type { BuildEvent, BuildOptions, BuildResult, BuildRun, DeleteIdsOptions, DeleteIdsResult, EnvironmentShard, RunSummary } from "@lmsynth/pipeline";
export type { DatasetManifest, PublishEvent, PublishOptions, PublishResult } from "@lmsynth/shards";

