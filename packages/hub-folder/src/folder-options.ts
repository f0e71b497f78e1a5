import type { Funnel, Lang, Variant } from "@lmsynth/schema";
import type { ColumnSpec, Compression, OutputFormat, RowSink } from "@lmsynth/sinks";
import type { DatasetManifest, InputFile } from "./dataset-manifest.js";
import type { ConfigName, LlamaFactoryAttributes } from "./folder-layout.js";

/** One config of a folder: what its rows are, and who reads them. */
export interface FolderConfig {
  /** Its columns (a row layout's). */
  columns: readonly ColumnSpec[];
  /** What reads it as it is (`TRL SFTTrainer`), for the card's "How to use". */
  reader?: string;
  /** LLaMA-Factory's attributes, when it reads it: `close` then writes `dataset_info.json`. */
  llamaFactory?: LlamaFactoryAttributes;
}

/** Options of {@link openDatasetFolder}. */
export interface DatasetFolderOptions {
  /** The configs written, in card order (the first is the card's default). Each gets its subfolder, a train
   * split, and a test split when `testSize` > 0. */
  configs: Readonly<Record<ConfigName, FolderConfig>>;
  /** Formats written, each with the same shard boundaries. Default `["parquet"]`. */
  formats?: OutputFormat[];
  /** Parquet page compression. Default `zstd`. */
  compression?: Compression;
  /** Parquet row group / Arrow record batch cut, in measured uncompressed bytes. Default `DEFAULT_ROW_GROUP_BYTES`. */
  maxRowGroupBytes?: number;
  /** Shard cut, in measured uncompressed bytes. Default `DEFAULT_SHARD_BYTES`. */
  maxShardBytes?: number;
  /** Fraction of conversations in `test`, in [0, 1]. Default 0 (train only). */
  testSize?: number;
  /** Seed of the split hash. Default 0. */
  seed?: number | string;
  /** Parquet footer `created_by`, e.g. `lmsynth version 0.2.0`. Default `lmsynth`. */
  createdBy?: string;
  /** Replace an existing folder at `dir` (swapped in at `close`). Default false: refuse it. */
  overwrite?: boolean;
  /** Checked on every write and on close: once aborted, the folder aborts and the call throws its reason. */
  signal?: AbortSignal;
  /** Make the build resumable (`lmsynth build --resume`); default off: the temporary folder is deleted on
   * any failure. See {@link openDatasetFolder}. */
  resume?: DatasetResumeOptions;
}

/** The `resume` option of {@link DatasetFolderOptions}. */
export interface DatasetResumeOptions {
  /** A JSON value that, besides this folder's own options, decides the rows (converter options, tool and
   * version): part of the fingerprint a rerun must match. */
  key: unknown;
  /** Input files; their paths as given, sizes and mtimes join the fingerprint. */
  inputs: string[];
  /** Told each decision (shards reused, a series or the whole folder started over), one line each.
   * Default: silent. */
  log?: (message: string) => void;
}

/** What the caller knows at the end of a build: written into the card and the manifest. */
export interface DatasetSummary {
  tool: string;
  version: string;
  /** The exact command line. */
  command: string;
  /** Resolved options, as JSON values (keys are sorted in the manifest). */
  options: Record<string, unknown>;
  inputs: InputFile[];
  /** Records read. */
  records: number;
  /** Skip reasons with counts, per config. */
  funnel: Partial<Record<ConfigName, Funnel>>;
  /** Selects the licences named on the card. */
  variant?: Variant;
  /** Every variant present, when the inputs hold more than one: the card names each one's licence. */
  variants?: Variant[];
  /** Languages of the rows. Default: the `lang` values seen, `ja` before `en`. */
  languages?: Lang[];
  /** Card heading. */
  title?: string;
  /** Extra card tags. */
  tags?: string[];
  /** Raw counters kept as `manifest.stats` (nested objects of numbers, key order kept), summed key by key
   * when parts are merged (`mergeDatasetFolders`). */
  stats?: Record<string, unknown>;
}

/** The committed folder. */
export interface DatasetFolderResult {
  /** Absolute path of the folder. */
  dir: string;
  manifest: DatasetManifest;
  /** Shards (all formats of one index in one series) taken from an interrupted run instead of written;
   * 0 without `resume`. */
  reusedShards: number;
}

/**
 * A Hub dataset folder being written; see {@link openDatasetFolder}. Calls must not overlap (await each).
 */
export interface DatasetFolder {
  /** Writes a row of `config` (its columns' shape) to the shard of its split. @throws RowTypeError, OutputError. */
  write(config: ConfigName, row: object): Promise<void>;
  /** Takes a row of a conversation under a deletion request: not written, but counted toward the cuts of its
   * split's shards and row groups, so that they fall where they would with it (see `deleteIds`). */
  withhold(config: ConfigName, row: object): Promise<void>;
  /** Opens an extra JSONL file inside the folder (e.g. `rejected.jsonl`); it is listed in the manifest. */
  openJsonl<Row>(relativePath: string): Promise<RowSink<Row>>;
  /** Writes a whole text file inside the folder (e.g. `report.html`), UTF-8; listed in the manifest with
   * 0 rows, and in the card's file list. @throws OptionError for a path outside the folder. */
  writeText(relativePath: string, text: string): Promise<void>;
  /** Finishes every shard, names them `-of-N`, writes `README.md` and `manifest.json`, renames the folder
   * into place. @throws OptionError when `dir` appeared meanwhile and `overwrite` is off. */
  close(summary: DatasetSummary): Promise<DatasetFolderResult>;
  /** Stops and deletes the temporary folder. Never throws. */
  abort(): Promise<void>;
}

