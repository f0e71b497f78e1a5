/**
 * @file The application layer of lmsynth. Every command as a library call (`runCommand`, `runCommandIter`,
 * over the `COMMANDS` table: options by flag name, presets, config files, defaults and cross-option rules
 * applied as on the command line); under them the per-record conversion each worker thread runs
 * (`createMapper`), the record source over merged or joined inputs, the one-pass loop that feeds every
 * output in input order, the table of output layouts (`LAYOUTS`), and the library calls of a folder build
 * (`buildFolderIter`, `buildFolder`) and of a deletion request (`deleteIds`).
 */
export { COMMANDS, runCommand, runCommandIter } from "./commands/commands.js";
export { drain } from "./commands/command.js";
export { formatInspectReport } from "./commands/inspect.js";
export { checkValue, SCORE, BYTES } from "./options/option-spec.js";
export { readConfig } from "./options/common-options.js";
export { VERSION } from "./version.js";
export { InputError, InterruptedError, OptionError, OutputError, redactSecrets, removeTemporaryPathsSync, FUNNEL_LABELS, VARIANT_TABLE, orderedFunnel } from "@lmsynth/schema";
export { verifyManifest, parseManifest, ManifestMismatchError } from "@lmsynth/hub-folder";
export { publishFolder, publishFolderIter, resolveHubToken, PublishError } from "@lmsynth/hub-publish";
export { buildFolderIter, buildFolder, renderRunReport, renderManifestReport, EmptyBuildError, ReasoningLayoutError } from "./build.js";
export { EXCLUDE_IDS_OPTION, countSkip, newSummary, summaryOfManifest } from "./run-summary.js";
export { deleteIds } from "./delete-ids.js";
export { convertAll, finishSummary, threadsOf } from "./convert-all.js";
export { createMapper, inShard, resolveTemplateSpec } from "./convert-record.js";
export { LAYOUTS, OUTPUT_KINDS, formatsOf, outputOf, layoutOf, folderConfigOf } from "./layouts.js";
export { openRecordSource } from "./record-source.js";
export { shardOfEnvironment, SHARD_ENGINE_OPTION } from "./shard-environment.js";

export type { CommandName, EventOf, OptionsOf, ResultOf } from "./commands/commands.js";
export type { Command, CommandContext, CommandEvent, CommandOptions } from "./commands/command.js";
export type { InspectReport, LangStats } from "./commands/inspect.js";
export type { DecryptResult } from "./commands/decrypt.js";
export type { DeleteIdsCommandResult } from "./commands/delete-ids.js";
export type { PublishCommandEvent } from "./commands/publish.js";
export type { NumberRange, OptionSpec, OptionTable, OptionValues, ParsedValue, ResolvedValues, ValueOf } from "./options/option-spec.js";
export type { DatasetManifest } from "@lmsynth/hub-folder";
export type { PublishEvent, PublishOptions, PublishResult } from "@lmsynth/hub-publish";
export type { BuildEvent, BuildOptions, BuildResult, BuildRun } from "./build.js";
export type { BuildStats, RunSummary } from "./run-summary.js";
export type { ConvertProgress, OutputWriters } from "./convert-all.js";
export type { DeleteIdsOptions, DeleteIdsResult } from "./delete-ids.js";
export type { ConvertInit, ConvertOut, OutputResult, TemplateSpec } from "./convert-record.js";
export type { Layout, LayoutChoice, LayoutTable, OutputKind, OutputSpec, Pair, Readable } from "./layouts.js";
export type { RecordSource, RecordSourceOptions, RejectedTarget } from "./record-source.js";
export type { EnvironmentShard } from "./shard-environment.js";
