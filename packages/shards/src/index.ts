/**
 * @file Output side of lmsynth (behaviour.md §6–7): row sinks (JSONL, Parquet, Arrow IPC) that write to a
 * temporary name and rename on close, the pure rows → column batches builder that sizes row groups, the
 * Hub folder (shards, splits, dataset card, manifest, atomic commit, resume after an interruption), the
 * merge of `--shard i/N` parts into one folder, deletion of conversations from a built folder, and publish
 * to the Hub.
 * Owns all output I/O.
 */
export { openJsonlSink } from "./jsonl-sink.js";
export { openParquetSink, parquetSchema } from "./parquet-sink.js";
export { openArrowSink, arrowSchema } from "./arrow-sink.js";
export { ColumnBatchBuilder, measureRow, DEFAULT_ROW_GROUP_BYTES, DEFAULT_SHARD_BYTES } from "./column-batch-builder.js";
export { sftColumns, dpoColumns } from "./row-columns.js";
export { splitOf, splitFraction } from "./split-of.js";
export { openDatasetFolder } from "./dataset-folder.js";
export { renderDatasetCard, datasetLicenses, sizeCategory } from "./dataset-card.js";
export { formatManifest, sortKeys, verifyManifest, describeInputFile, UNLISTED_FILES } from "./dataset-manifest.js";
export { planDatasetMerge } from "./plan-dataset-merge.js";
export { mergeDatasetFolders } from "./merge-dataset-folders.js";
export { deleteFolderRows } from "./delete-rows.js";
export { readShardRows } from "./read-shard-rows.js";
export { publishFolderIter, publishFolder, resolveHubToken } from "./publish-folder.js";
export { RowTypeError, ManifestMismatchError, ResumeMismatchError, PublishError } from "./errors.js";

export type { RowSink, WrittenFile } from "./byte-output.js";
export type { JsonlSink, JsonlSinkOptions } from "./jsonl-sink.js";
export type { ParquetSinkOptions, Compression } from "./parquet-sink.js";
export type { ArrowSinkOptions } from "./arrow-sink.js";
export type { ColumnBatch, ColumnBatchBuilderOptions } from "./column-batch-builder.js";
export type { ColumnSpec, ColumnType } from "./row-columns.js";
export type { SplitName } from "./split-of.js";
export type {
  DatasetFolder,
  DatasetFolderOptions,
  DatasetResumeOptions,
  DatasetFolderResult,
  DatasetSummary,
} from "./dataset-folder.js";
export type { ConfigName, OutputFormat, DatasetCardSettings } from "./folder-layout.js";
export type { DatasetCardInput, CardConfig } from "./dataset-card.js";
export type { DatasetLicense } from "@lmsynth/schema";
export type { DatasetManifest, DatasetCounts, InputFile, ShardSettings } from "./dataset-manifest.js";
export type { DeleteFolderRowsOptions, DeleteFolderRowsResult } from "./delete-rows.js";
export type { PlanDatasetMergeOptions, DatasetMergePlan, MergeCopy } from "./plan-dataset-merge.js";
export type { MergeDatasetFoldersOptions } from "./merge-dataset-folders.js";
export type { PublishOptions, PublishEvent, PublishResult, ResolveHubTokenOptions } from "./publish-folder.js";
export type { ManifestProblem } from "./errors.js";
