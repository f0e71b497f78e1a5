import { gzipSync } from "node:zlib";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { ColumnSource, SchemaElement } from "hyparquet-writer";
import { compress as zstdCompress } from "zstd-napi";
import { ByteOutput, type RowSink, type WrittenFile } from "./byte-output.js";
import { ColumnBatchBuilder, DEFAULT_ROW_GROUP_BYTES, type ColumnBatch } from "./column-batch-builder.js";
import { fieldsOf } from "@lmsynth/schema";
import { huggingfaceFeatures, type ColumnSpec } from "./row-columns.js";

/** Parquet page compression (behaviour.md §6 `--compression`). */
export type Compression = "zstd" | "snappy" | "gzip" | "none";

/** Options of {@link openParquetSink}. */
export interface ParquetSinkOptions {
  /** Columns and their order: a row layout's (`sftLayout(…).columns` of `@lmsynth/schema`). Required. */
  columns: readonly ColumnSpec[];
  /** Page compression. Default `zstd`. */
  compression?: Compression;
  /** zstd level (1–22). Default 3, zstd's own default. */
  zstdLevel?: number;
  /**
   * Row-group cut, in measured uncompressed bytes (`measureRow`: the PLAIN size of the values). Default `DEFAULT_ROW_GROUP_BYTES`.
   * The footer's `total_byte_size` also counts page headers and repetition/definition levels, a few bytes
   * per row more; dictionary encoding can make it smaller.
   */
  maxRowGroupBytes?: number;
  /** Target uncompressed page size, in bytes. Default 1 MiB. */
  pageSize?: number;
  /** Footer `created_by`. Default `lmsynth`. Keep it free of timestamps: files must be reproducible. */
  createdBy?: string;
}

const CODECS = { zstd: "ZSTD", snappy: "SNAPPY", gzip: "GZIP", none: "UNCOMPRESSED" } as const;

const utf8 = (name: string, repetition: "REQUIRED" | "OPTIONAL"): SchemaElement => ({
  name,
  type: "BYTE_ARRAY",
  converted_type: "UTF8",
  logical_type: { type: "STRING" },
  repetition_type: repetition,
});

/**
 * The Parquet schema of `columns`: strings are UTF8 `BYTE_ARRAY`, `int32`/`double`/`bool` are plain,
 * `messages` is the standard three-level LIST (`<name>` LIST → repeated `list` → required `element`
 * struct of its UTF8 fields, `role` and `content` by default), which DuckDB, arrow-rs and pyarrow read as
 * `list<struct>`, and `struct` is a group of its UTF8 fields.
 */
export function parquetSchema(columns: readonly ColumnSpec[]): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: "root", num_children: columns.length }];
  for (const spec of columns) {
    const { name, type, nullable } = spec;
    const repetition = nullable ? "OPTIONAL" : "REQUIRED";
    if (type === "string") schema.push(utf8(name, repetition));
    else if (type === "int32") schema.push({ name, type: "INT32", repetition_type: repetition });
    else if (type === "double") schema.push({ name, type: "DOUBLE", repetition_type: repetition });
    else if (type === "bool") schema.push({ name, type: "BOOLEAN", repetition_type: repetition });
    else {
      const fields = fieldsOf(spec).map((f) => utf8(f.name, f.nullable ? "OPTIONAL" : "REQUIRED"));
      if (type === "struct") schema.push({ name, repetition_type: repetition, num_children: fields.length }, ...fields);
      else
        schema.push(
          { name, repetition_type: repetition, converted_type: "LIST", logical_type: { type: "LIST" }, num_children: 1 },
          { name: "list", repetition_type: "REPEATED", num_children: 1 },
          { name: "element", repetition_type: "REQUIRED", num_children: fields.length },
          ...fields,
        );
    }
  }
  return schema;
}

/** hyparquet-writer's byte buffer, emptied into the output after every row group and at the end. */
class OutputWriter extends ByteWriter {
  constructor(private readonly output: ByteOutput) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    // Copy: the buffer is reused for the next row group, while the output may hold the chunk a while.
    const bytes = this.getBytes().slice();
    this.index = 0;
    return this.output.write(bytes);
  }

  // hyparquet-writer calls finish() and ignores its result; ParquetFileSink awaits this one itself.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  override finish(): Promise<void> {
    return this.flush();
  }
}

class ParquetFileSink<Row extends object> implements RowSink<Row> {
  private readonly builder: ColumnBatchBuilder;
  private readonly parquet: ParquetWriter;
  private readonly pageSize: number;
  private rows = 0;

  constructor(
    private readonly output: ByteOutput,
    private readonly options: ParquetSinkOptions,
  ) {
    this.builder = new ColumnBatchBuilder(options.columns, { highWaterMark: options.maxRowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES });
    const compression = options.compression ?? "zstd";
    const level = options.zstdLevel ?? 3;
    this.pageSize = options.pageSize ?? 1 << 20;
    this.parquet = new ParquetWriter({
      writer: new OutputWriter(output),
      schema: parquetSchema(options.columns),
      codec: CODECS[compression],
      compressors: {
        ZSTD: (input) => zstdCompress(input, { compressionLevel: level }),
        // Node's gzip header carries mtime 0, so GZIP pages are reproducible too.
        GZIP: (input) => gzipSync(input),
      },
      createdBy: options.createdBy ?? "lmsynth",
      // What `datasets` writes itself: a loader reads these types instead of guessing from the Arrow schema.
      kvMetadata: [{ key: "huggingface", value: JSON.stringify({ info: { features: huggingfaceFeatures(options.columns) } }) }],
    });
  }

  async write(row: Row, bytes?: number): Promise<void> {
    const batch = this.builder.append(row as Readonly<Record<string, unknown>>, bytes);
    this.rows++;
    if (batch) await this.writeGroup(batch);
  }

  async withhold(bytes: number): Promise<void> {
    const batch = this.builder.withhold(bytes);
    if (batch) await this.writeGroup(batch);
  }

  close(): Promise<WrittenFile> {
    return this.output.finishAndClose(async () => {
      const batch = this.builder.flush();
      if (batch) await this.writeGroup(batch);
      await this.parquet.finish();
    }, this.rows);
  }

  abort(): Promise<void> {
    return this.output.abort();
  }

  private async writeGroup(batch: ColumnBatch): Promise<void> {
    const columnData: ColumnSource[] = this.options.columns.map((spec, c) => ({
      name: spec.name,
      data: batch.columns[c]!,
      columnIndex: true,
      offsetIndex: true,
    }));
    await this.parquet.write({ columnData, rowGroupSize: batch.rows, pageSize: this.pageSize });
  }
}

/**
 * Opens a Parquet sink (behaviour.md §6): real nested `list<struct<role, content>>` message columns, one row
 * group per `maxRowGroupBytes` of measured uncompressed data (memory is bounded by one row group, raw rows
 * plus its encoded bytes), ZSTD pages by default (zstd-napi, since Node 20's zlib has none), column
 * statistics in the footer and a page index (column + offset index) for every column chunk with more than
 * one page. No timestamps: equal rows and options give equal bytes. The file is written to a temporary
 * sibling and renamed on `close`; `abort` deletes it.
 * @throws RowTypeError from `write` when a value does not fit its column (nothing is written for that row).
 * @throws InputError (reason `io`, naming `path`) when the file cannot be created or written.
 */
export async function openParquetSink<Row extends object>(
  path: string,
  options: ParquetSinkOptions,
): Promise<RowSink<Row>> {
  return new ParquetFileSink<Row>(await ByteOutput.open(path), options);
}
