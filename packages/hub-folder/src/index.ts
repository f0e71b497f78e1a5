/**
 * @file The Hub dataset folder (behaviour.md §6–7): shard series per config and split in every format (the
 * files themselves are `@lmsynth/sinks`'), the dataset card, the manifest, the atomic commit, resume after
 * an interruption, the merge of `--shard i/N` parts into one folder, deletion of conversations from a built
 * folder. Sending it to the Hub is `@lmsynth/hub-publish`.
 */
export { splitOf, splitFraction } from "./split-of.js";
export { assertNewFolder, openDatasetFolder } from "./dataset-folder.js";
export { renderDatasetCard, datasetLicenses, sizeCategory } from "./dataset-card.js";
export { formatManifest, parseManifest, sortKeys, totalRows, verifyManifest, describeInputFile, UNLISTED_FILES } from "./dataset-manifest.js";
export { planDatasetMerge, SHARD_OPTIONS } from "./plan-dataset-merge.js";
export { mergeDatasetFolders } from "./merge-dataset-folders.js";
export { deleteFolderRows } from "./delete-rows.js";
export { ManifestMismatchError, ResumeMismatchError } from "./errors.js";

export type { SplitName } from "./split-of.js";
export type {
  DatasetFolder,
  DatasetFolderOptions,
  FolderConfig,
  DatasetResumeOptions,
  DatasetFolderResult,
  DatasetSummary,
} from "./folder-options.js";
export type { ConfigName, DatasetCardSettings, LlamaFactoryAttributes } from "./folder-layout.js";
export { renderDatasetInfo, DATASET_INFO } from "./dataset-info.js";
export type { DatasetCardInput, CardConfig } from "./dataset-card.js";
export type { DatasetLicense } from "@lmsynth/schema";
export type { DatasetManifest, DatasetCounts, InputFile, ShardSettings } from "./dataset-manifest.js";
export type { DeleteFolderRowsOptions, DeleteFolderRowsResult } from "./delete-rows.js";
export type { PlanDatasetMergeOptions, DatasetMergePlan, MergeCopy } from "./plan-dataset-merge.js";
export type { MergeDatasetFoldersOptions } from "./merge-dataset-folders.js";
export type { ManifestProblem } from "./errors.js";
