/**
 * @file Row sinks of lmsynth (behaviour.md §6): JSONL, Parquet and Arrow IPC files written under a temporary
 * name and renamed on close, the pure rows → column batches builder that sizes row groups (with withheld rows
 * that keep the cuts), the columns of each row layout as the writers and the Hub read them, and the reader
 * of what these sinks wrote. One file each; the Hub folder that arranges them is `@lmsynth/hub-folder`.
 */
export { openJsonlSink } from "./jsonl-sink.js";
export { openParquetSink, parquetSchema } from "./parquet-sink.js";
export { openArrowSink } from "./open-arrow-sink.js";
export { ColumnBatchBuilder, measureRow, DEFAULT_ROW_GROUP_BYTES, DEFAULT_SHARD_BYTES } from "./column-batch-builder.js";
export { huggingfaceFeatures, featuresYaml } from "./row-columns.js";
export { FILE_FORMATS, CARD_FORMAT_ORDER, READ_FORMAT_ORDER } from "./file-formats.js";
export { OUTPUT_FORMATS } from "./byte-output.js";
export { RowTypeError } from "./errors.js";

export type { OutputFormat, RowSink, WrittenFile } from "./byte-output.js";
export type { JsonlSink, JsonlSinkOptions } from "./jsonl-sink.js";
export type { ParquetSinkOptions, Compression } from "./parquet-sink.js";
export type { ArrowSinkOptions } from "./arrow-sink.js";
export type { FileFormat, ShardSinkOptions } from "./file-formats.js";
export type { ColumnBatch, ColumnBatchBuilderOptions } from "./column-batch-builder.js";
export type { ColumnSpec, ColumnType } from "./row-columns.js";
