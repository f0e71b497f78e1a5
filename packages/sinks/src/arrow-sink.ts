import {
  AsyncByteQueue,
  Bool,
  Field,
  Float64,
  Int32,
  List,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Utf8,
  makeData,
  type Data,
  type DataType,
} from "apache-arrow";
import { fieldsOf } from "@lmsynth/schema";
import { ByteOutput, type RowSink, type WrittenFile } from "./byte-output.js";
import { ColumnBatchBuilder, DEFAULT_ROW_GROUP_BYTES, type ColumnBatch } from "./column-batch-builder.js";
import type { ColumnSpec } from "./row-columns.js";

/** Options of {@link openArrowSink}. */
export interface ArrowSinkOptions {
  /** Columns and their order: a row layout's (`sftLayout(…).columns` of `@lmsynth/schema`). Required. */
  columns: readonly ColumnSpec[];
  /** Record-batch cut, in measured uncompressed bytes (see `ColumnBatchBuilder`). Default `DEFAULT_ROW_GROUP_BYTES`. */
  maxBatchBytes?: number;
}

function arrowType(spec: ColumnSpec): DataType {
  switch (spec.type) {
    case "string":
      return new Utf8();
    case "int32":
      return new Int32();
    case "double":
      return new Float64();
    case "bool":
      return new Bool();
    case "struct":
      return structType(spec);
    case "messages":
      // Child names as in the Parquet files (three-level LIST: `element` with the message fields).
      return new List(new Field("element", structType(spec), false));
  }
}

function structType(spec: ColumnSpec): Struct {
  return new Struct(fieldsOf(spec).map((f) => new Field(f.name, new Utf8(), f.nullable === true)));
}

/**
 * The Arrow schema of `columns`: explicit `Utf8` (never dictionary-encoded), `Int32`, `Float64`, `Bool`,
 * `List<Struct<role: Utf8, content: Utf8, …>>` and `Struct<…>` of `Utf8` fields; nullability as declared.
 */
export function arrowSchema(columns: readonly ColumnSpec[]): Schema {
  return new Schema(columns.map((spec) => new Field(spec.name, arrowType(spec), spec.nullable)));
}

/** Receives the IPC writer's bytes synchronously, so each batch can be awaited into the output. */
class CollectingQueue extends AsyncByteQueue {
  chunks: Uint8Array[] = [];

  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.chunks.push(value);
  }

  take(): Uint8Array[] {
    const chunks = this.chunks;
    this.chunks = [];
    return chunks;
  }
}

class ArrowFileSink<Row extends object> implements RowSink<Row> {
  private readonly builder: ColumnBatchBuilder;
  private readonly schema: Schema;
  private readonly queue = new CollectingQueue();
  private readonly writer = new RecordBatchStreamWriter();
  private rows = 0;

  constructor(
    private readonly output: ByteOutput,
    options: ArrowSinkOptions,
  ) {
    this.builder = new ColumnBatchBuilder(options.columns, { highWaterMark: options.maxBatchBytes ?? DEFAULT_ROW_GROUP_BYTES });
    this.schema = arrowSchema(options.columns);
    // Passing the schema writes it at once, so a sink closed with no rows is still a valid stream.
    this.writer.reset(this.queue, this.schema);
  }

  async write(row: Row, bytes?: number): Promise<void> {
    const batch = this.builder.append(row as Readonly<Record<string, unknown>>, bytes);
    this.rows++;
    if (batch) this.writer.write(this.recordBatch(batch));
    await this.drain();
  }

  async withhold(bytes: number): Promise<void> {
    const batch = this.builder.withhold(bytes);
    if (batch) this.writer.write(this.recordBatch(batch));
    await this.drain();
  }

  close(): Promise<WrittenFile> {
    return this.output.finishAndClose(async () => {
      const batch = this.builder.flush();
      if (batch) this.writer.write(this.recordBatch(batch));
      // finish() writes the end-of-stream marker.
      this.writer.finish();
      await this.drain();
    }, this.rows);
  }

  abort(): Promise<void> {
    return this.output.abort();
  }

  private async drain(): Promise<void> {
    for (const chunk of this.queue.take()) await this.output.write(chunk);
  }

  private recordBatch(batch: ColumnBatch): RecordBatch {
    const children = this.schema.fields.map((field, c) => columnData(field, batch.columns[c]!));
    const data = makeData({ type: new Struct(this.schema.fields), length: batch.rows, nullCount: 0, children });
    return new RecordBatch(this.schema, data);
  }
}

/** Validity bitmap (LSB first) and null count; no bitmap when nothing is null, as Arrow allows. */
function validity(values: readonly unknown[]): { nullCount: number; nullBitmap?: Uint8Array } {
  let nullCount = 0;
  for (const value of values) if (value === null || value === undefined) nullCount++;
  if (nullCount === 0) return { nullCount };
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((value, i) => {
    if (value !== null && value !== undefined) nullBitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { nullCount, nullBitmap };
}

/** Utf8 data from strings: one exactly-sized UTF-8 buffer written in place (no per-string allocation). */
function utf8Data(values: readonly (string | null | undefined)[]): Data<Utf8> {
  let bytes = 0;
  for (const value of values) if (value) bytes += Buffer.byteLength(value, "utf8");
  // Every byte is written below, so the unsafe allocation leaks nothing and the output stays deterministic.
  const data = Buffer.allocUnsafe(bytes);
  const valueOffsets = new Int32Array(values.length + 1);
  let position = 0;
  values.forEach((value, i) => {
    valueOffsets[i] = position;
    if (value) position += data.write(value, position, "utf8");
  });
  valueOffsets[values.length] = position;
  return makeData({ type: new Utf8(), length: values.length, ...validity(values), valueOffsets, data });
}

/** Bool data: values bit-packed LSB first, as validity bitmaps are. */
function boolData(type: Bool, values: readonly unknown[]): Data<Bool> {
  const data = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((value, i) => {
    if (value === true) data[i >> 3]! |= 1 << (i & 7);
  });
  return makeData({ type, length: values.length, ...validity(values), data });
}

/** Struct data of string fields from objects (null slots allowed at the top level only). */
function structData(type: Struct, structs: readonly (Record<string, unknown> | null | undefined)[]): Data<Struct> {
  const children = type.children.map((f) => utf8Data(structs.map((s) => (s?.[f.name] as string | null | undefined) ?? null)));
  return makeData({ type, length: structs.length, ...validity(structs), children });
}

/**
 * One column of a batch as Arrow data, built straight into typed arrays: arrow-js's generic builders cost
 * about 3× more time for these types. Null slots of numeric columns hold 0.
 */
function columnData(field: Field, values: readonly unknown[]): Data {
  if (field.type instanceof Utf8) return utf8Data(values as (string | null)[]);
  if (field.type instanceof Int32 || field.type instanceof Float64) {
    const data = field.type instanceof Int32 ? new Int32Array(values.length) : new Float64Array(values.length);
    values.forEach((value, i) => {
      if (typeof value === "number") data[i] = value;
    });
    return makeData({ type: field.type, length: values.length, ...validity(values), data } as never);
  }
  if (field.type instanceof Bool) return boolData(field.type, values);
  if (field.type instanceof Struct) return structData(field.type, values as (Record<string, unknown> | null)[]);
  const lists = values as (Record<string, unknown>[] | null)[];
  const valueOffsets = new Int32Array(lists.length + 1);
  const messages: Record<string, unknown>[] = [];
  lists.forEach((list, i) => {
    valueOffsets[i] = messages.length;
    for (const message of list ?? []) messages.push(message);
  });
  valueOffsets[lists.length] = messages.length;
  const listType = field.type as List<Struct>;
  return makeData({ type: listType, length: lists.length, ...validity(lists), valueOffsets, child: structData(listType.valueType, messages) });
}

/**
 * Opens an Arrow IPC stream sink (behaviour.md §6 `--format arrow`): the same columns as the Parquet files,
 * as explicit non-dictionary types, one record batch per `maxBatchBytes` of measured data, uncompressed
 * (IPC body compression would need every reader to ship a codec). Deterministic bytes. Written to a
 * temporary sibling and renamed on `close`; `abort` deletes it.
 * @throws RowTypeError from `write` when a value does not fit its column.
 * @throws InputError (reason `io`, naming `path`) when the file cannot be created or written.
 */
export async function openArrowSink<Row extends object>(path: string, options: ArrowSinkOptions): Promise<RowSink<Row>> {
  return new ArrowFileSink<Row>(await ByteOutput.open(path), options);
}
