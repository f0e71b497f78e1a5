import { fieldsOf, type FieldSpec } from "@lmsynth/schema";
import { RowTypeError } from "./errors.js";
import type { ColumnSpec } from "./row-columns.js";

/** A slice of rows transposed into one array per column (in {@link ColumnSpec} order). */
export interface ColumnBatch {
  rows: number;
  /** Measured uncompressed bytes (see {@link ColumnBatchBuilder}). */
  bytes: number;
  /** One array per column; absent values are `null`; `messages` values are arrays of message objects. */
  columns: unknown[][];
}

/**
 * The default row-group (Parquet) and record-batch (Arrow) cut, in measured uncompressed bytes: 32 MB. The
 * spec allows up to 100 MB, but every open file holds one group of rows in memory and a build has up to four
 * open (SFT and DPO, train and test); 100 MB groups peaked at 790 MB (bench/README.md "Memory").
 */
export const DEFAULT_ROW_GROUP_BYTES = 32_000_000;

/** The default shard cut, in measured uncompressed bytes: 500 MB. */
export const DEFAULT_SHARD_BYTES = 500_000_000;

/** Options of {@link ColumnBatchBuilder}. */
export interface ColumnBatchBuilderOptions {
  /** Cut a batch before its measured size would exceed this. Uncompressed bytes, default {@link DEFAULT_ROW_GROUP_BYTES}. */
  highWaterMark?: number;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return typeof value;
}

/** Measured bytes of one value; throws when it does not fit its column. */
function measureValue(spec: ColumnSpec, value: unknown, rowNumber: number): number {
  const fail = (expected: string, got: unknown = value): never => {
    throw new RowTypeError(spec.name, rowNumber, expected, describe(got));
  };
  if (value === null || value === undefined) return spec.nullable ? 0 : fail(spec.type);
  switch (spec.type) {
    case "string":
      return typeof value === "string" ? Buffer.byteLength(value, "utf8") + 4 : fail("string");
    case "int32":
      return Number.isInteger(value) && (value as number) >= -0x80000000 && (value as number) <= 0x7fffffff
        ? 4
        : fail("int32");
    case "double":
      return typeof value === "number" ? 8 : fail("double");
    case "bool":
      return typeof value === "boolean" ? 1 : fail("boolean");
    case "struct":
      return measureStruct(fieldsOf(spec), value, fail);
    case "messages": {
      if (!Array.isArray(value)) return fail("list of messages");
      const fields = fieldsOf(spec);
      let bytes = 0;
      for (const message of value as unknown[]) bytes += measureStruct(fields, message, fail);
      return bytes;
    }
  }
}

/** Measured bytes of a struct of string fields (a message, a turn): UTF-8 bytes + 4 per present field. */
function measureStruct(fields: readonly FieldSpec[], value: unknown, fail: (expected: string, got?: unknown) => never): number {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("message object", value);
  let bytes = 0;
  for (const field of fields) {
    const text = (value as Record<string, unknown>)[field.name];
    if (typeof text === "string") bytes += Buffer.byteLength(text, "utf8") + 4;
    else if (!field.nullable || (text !== null && text !== undefined)) fail(`string ${field.name}`, text);
  }
  return bytes;
}

/**
 * The measured uncompressed size of a row under `columns`, as Parquet's PLAIN encoding stores it: UTF-8
 * bytes + 4 per string (message fields included), 4 per int32, 8 per double, 1 per boolean, 0 for null or
 * absent. Checks every value against its column.
 * @param rowNumber 0-based, only for the error.
 * @throws RowTypeError when a value does not fit its column.
 */
export function measureRow(
  columns: readonly ColumnSpec[],
  row: Readonly<Record<string, unknown>>,
  rowNumber: number,
): number {
  let bytes = 0;
  for (const spec of columns) bytes += measureValue(spec, row[spec.name], rowNumber);
  return bytes;
}

/**
 * Turns rows into column batches, cut at a byte high-water mark (the arrow-js builder model: `append`, then
 * `flush`; no I/O). A row's size is {@link measureRow}'s. A batch never exceeds
 * `highWaterMark` unless one row alone does; that row then forms a batch by itself.
 * Values are checked against their column: a wrong type throws {@link RowTypeError}, and the row is not
 * added.
 */
export class ColumnBatchBuilder {
  private readonly highWaterMark: number;
  private columns: unknown[][];
  private count = 0;
  private size = 0;
  private appended = 0;
  /** Rows of the pending batch, withheld ones included: a cut never happens before the first. */
  private slots = 0;

  constructor(
    readonly specs: readonly ColumnSpec[],
    options: ColumnBatchBuilderOptions = {},
  ) {
    this.highWaterMark = options.highWaterMark ?? DEFAULT_ROW_GROUP_BYTES;
    this.columns = specs.map(() => []);
  }

  /** Rows in the pending batch. */
  get rows(): number {
    return this.count;
  }

  /** Measured bytes of the pending batch. */
  get bytes(): number {
    return this.size;
  }

  /**
   * Adds `row`. When it does not fit under the high-water mark next to the pending rows, the pending rows
   * are returned as a finished batch and `row` starts the next one.
   * `bytes` is the row's {@link measureRow} size when the caller measured it already (then the values were
   * type-checked there).
   * @returns the batch that was cut, or undefined.
   * @throws RowTypeError when a value does not match its column.
   */
  append(row: Readonly<Record<string, unknown>>, bytes = measureRow(this.specs, row, this.appended)): ColumnBatch | undefined {
    this.appended++;
    const cut = this.cutBefore(bytes);
    for (let c = 0; c < this.specs.length; c++) this.columns[c]!.push(row[this.specs[c]!.name] ?? null);
    this.count++;
    this.slots++;
    this.size += bytes;
    return cut;
  }

  /**
   * Counts a withheld row of `bytes` (a conversation under a deletion request) toward the cut without adding
   * it, so that the batches around it are cut where they would be with it: deleting rows from a written file
   * and writing without them from the start give the same batches.
   * @returns the batch that was cut, or undefined.
   */
  withhold(bytes: number): ColumnBatch | undefined {
    this.appended++;
    const cut = this.cutBefore(bytes);
    this.slots++;
    this.size += bytes;
    return cut;
  }

  private cutBefore(bytes: number): ColumnBatch | undefined {
    if (this.slots === 0 || this.size + bytes <= this.highWaterMark) return undefined;
    const batch = this.flush();
    this.slots = 0;
    this.size = 0;
    return batch;
  }

  /** Returns the pending rows as a batch (undefined when there are none) and starts a new one. */
  flush(): ColumnBatch | undefined {
    const batch = this.count === 0 ? undefined : { rows: this.count, bytes: this.size, columns: this.columns };
    if (batch) this.columns = this.specs.map(() => []);
    this.count = 0;
    this.slots = 0;
    this.size = 0;
    return batch;
  }
}
