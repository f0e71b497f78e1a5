/**
 * @file The per-record pipeline of lmsynth: the conversion each worker thread runs (`createMapper`), the
 * record source over merged or joined inputs, the one-pass loop that feeds every output in input order, and
 * the library entry points of a build (`buildIter`, `build`) and of a deletion request (`deleteIds`).
 */
export { buildIter, build, renderRunReport, renderManifestReport, EmptyBuildError, ReasoningLayoutError } from "./build.js";
export { EXCLUDE_IDS_OPTION, countSkip, newSummary, summaryOfManifest } from "./run-summary.js";
export { deleteIds } from "./delete-ids.js";
export { convertAll, finishSummary, threadsOf } from "./convert-all.js";
export { createMapper, inShard, resolveTemplateSpec } from "./convert-record.js";
export { LAYOUTS, OUTPUT_KINDS, formatsOf, outputOf, layoutOf, folderConfigOf } from "./layouts.js";
export { openRecordSource } from "./record-source.js";
export { shardOfEnvironment, SHARD_ENGINE_OPTION } from "./shard-environment.js";

export type { BuildEvent, BuildOptions, BuildResult, BuildRun } from "./build.js";
export type { BuildStats, RunSummary } from "./run-summary.js";
export type { ConvertProgress, OutputWriters } from "./convert-all.js";
export type { DeleteIdsOptions, DeleteIdsResult } from "./delete-ids.js";
export type { ConvertInit, ConvertOut, OutputResult, TemplateSpec } from "./convert-record.js";
export type { Layout, LayoutChoice, LayoutTable, OutputKind, OutputSpec, Pair, Readable } from "./layouts.js";
export type { RecordSource, RecordSourceOptions, RejectedTarget } from "./record-source.js";
export type { EnvironmentShard } from "./shard-environment.js";
