import type { OutputFormat, RowSink } from "./byte-output.js";
import { openArrowSink } from "./open-arrow-sink.js";
import { openJsonlSink } from "./jsonl-sink.js";
import { openParquetSink, type Compression } from "./parquet-sink.js";
import { readArrowRows, readJsonlRows, readParquetRows, type Row } from "./read-shard-rows.js";
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
 * One file format of the shards, whole: its files' extension, how a shard is opened for writing (the one
 * place a build and a deletion open shard files, so that both encode a shard alike) and read back, the
 * `datasets` builder that loads it, and its name in the card.
 */
export interface FileFormat {
  extension: string;
  open(path: string, options: ShardSinkOptions): Promise<RowSink<Row>>;
  /** The rows lmsynth wrote, each with exactly `columns` in column order (`projectRow`'s values). */
  read(path: string, columns: readonly ColumnSpec[]): AsyncGenerator<Row>;
  /** Reads only the columns it is given: finding ids needs `conversation_id` alone. */
  readsColumnsApart: boolean;
  /** The `datasets` builder, for the card's loading snippets. */
  builder: string;
  /** Its name in the card's prose. */
  title: string;
}

/** The file formats of the shards (behaviour.md §6 `--format`): the compiler demands an entry per name. */
export const FILE_FORMATS: Readonly<Record<OutputFormat, FileFormat>> = {
  parquet: {
    extension: "parquet",
    open: (path, { columns, compression, maxRowGroupBytes, createdBy }) => openParquetSink(path, { columns, compression, maxRowGroupBytes, ...(createdBy ? { createdBy } : {}) }),
    read: readParquetRows,
    readsColumnsApart: true,
    builder: "parquet",
    title: "Parquet",
  },
  jsonl: {
    extension: "jsonl",
    open: (path) => openJsonlSink(path, { gzip: false }),
    read: (path) => readJsonlRows(path),
    readsColumnsApart: false,
    builder: "json",
    title: "JSONL",
  },
  arrow: {
    extension: "arrow",
    open: (path, { columns, maxRowGroupBytes }) => openArrowSink(path, { columns, maxBatchBytes: maxRowGroupBytes }),
    read: readArrowRows,
    readsColumnsApart: false,
    builder: "arrow",
    title: "Arrow",
  },
};

/** `datasets` infers one builder for all the configs of a card, so the card declares one format: the first of
 * these that was written. */
export const CARD_FORMAT_ORDER: readonly OutputFormat[] = ["parquet", "arrow", "jsonl"];

/** The format a shard written in several is read from: the cheapest to read exactly first. */
export const READ_FORMAT_ORDER: readonly OutputFormat[] = ["jsonl", "parquet", "arrow"];
