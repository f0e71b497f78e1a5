/**
 * @file The per-record pipeline of lmsynth: the conversion each worker thread runs (`createMapper`), the
 * record source over merged or joined inputs, the one-pass loop that feeds every output in input order, and
 * the library entry points of a build (`buildIter`, `build`) and of a deletion request (`deleteIds`).
 */
export { buildIter, build, renderRunReport, renderManifestReport, EmptyBuildError, EXCLUDE_IDS_OPTION } from "./build.js";
export { deleteIds } from "./delete-ids.js";
export { convertAll, countSkip, finishSummary, newSummary, threadsOf } from "./convert-all.js";
export { createMapper, inShard, resolveTemplateSpec, OUTPUT_NAMES } from "./convert-record.js";
export { openRecordSource } from "./record-source.js";

export type { BuildEvent, BuildOptions, BuildResult, BuildRun, BuildStats } from "./build.js";
export type { ConvertProgress, OutputWriters, RunSummary } from "./convert-all.js";
export type { DeleteIdsOptions, DeleteIdsResult } from "./delete-ids.js";
export type { ConvertInit, ConvertOut, OutputName, OutputResult, TemplateSpec } from "./convert-record.js";
export type { RecordSource, RecordSourceOptions, RejectedTarget } from "./record-source.js";
