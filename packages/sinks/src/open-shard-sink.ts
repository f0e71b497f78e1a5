import type { OutputFormat, RowSink } from "./byte-output.js";
import { openArrowSink } from "./arrow-sink.js";
import { openJsonlSink } from "./jsonl-sink.js";
import { openParquetSink, type Compression } from "./parquet-sink.js";
import type { ColumnSpec } from "./row-columns.js";

/** How every shard file of a folder is encoded (kept in its manifest as `shards`). */
export interface ShardSinkOptions {
  columns: readonly ColumnSpec[];
  compression: Compression;
  /** Parquet row group and Arrow record batch cut. */
  maxRowGroupBytes: number;
  /** Parquet footer `created_by`. */
  createdBy?: string;
}

/**
 * The sink of one shard file in `format` (plain JSONL, Parquet, Arrow IPC) with a folder's settings: the one
 * place a build and a deletion open shard files, so that both encode a shard alike.
 */
export function openShardSink(path: string, format: OutputFormat, options: ShardSinkOptions): Promise<RowSink<Record<string, unknown>>> {
  const { columns, compression, maxRowGroupBytes, createdBy } = options;
  if (format === "parquet") return openParquetSink(path, { columns, compression, maxRowGroupBytes, ...(createdBy ? { createdBy } : {}) });
  if (format === "arrow") return openArrowSink(path, { columns, maxBatchBytes: maxRowGroupBytes });
  return openJsonlSink(path, { gzip: false });
}
