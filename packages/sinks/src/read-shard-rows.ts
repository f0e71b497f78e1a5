import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { gunzipSync } from "node:zlib";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type Compressors } from "hyparquet";
import { decompress as zstdDecompress } from "zstd-napi";
import { fieldsOf, type ColumnSpec } from "@lmsynth/schema";

/** The codecs lmsynth writes (SNAPPY is built into hyparquet). */
const COMPRESSORS: Compressors = { ZSTD: (input) => zstdDecompress(input), GZIP: (input) => gunzipSync(input) };

export type Row = Record<string, unknown>;

/*
 * The rows of one shard lmsynth wrote, in file order, each with exactly `columns` in column order and the
 * values the writer was given (absent as null; messages and turns as plain objects of their fields, a null
 * nullable field left out): what `projectRow` made of them, so writing them again measures and encodes the
 * same. One row group (Parquet) or record batch (Arrow) in memory at a time; JSONL line by line. One reader
 * per format, as `FILE_FORMATS` names them.
 */

/** The rows of a JSONL shard, line by line (its keys are the columns already). */
export async function* readJsonlRows(path: string): AsyncGenerator<Row> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) if (line !== "") yield JSON.parse(line) as Row;
}

/** The rows of a Parquet shard, one row group in memory at a time. */
export async function* readParquetRows(path: string, columns: readonly ColumnSpec[]): AsyncGenerator<Row> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = (await parquetReadObjects({ file, metadata, rowStart, rowEnd, compressors: COMPRESSORS })) as Row[];
    for (const row of rows) yield projected(columns, row);
    rowStart = rowEnd;
  }
}

/** The rows of an Arrow IPC shard, one record batch in memory at a time. */
export async function* readArrowRows(path: string, columns: readonly ColumnSpec[]): AsyncGenerator<Row> {
  // apache-arrow is loaded when an Arrow file is read or written: it costs every command 60 ms to load.
  const { RecordBatchReader } = await import("apache-arrow");
  const reader = await RecordBatchReader.from(createReadStream(path));
  for await (const batch of reader) {
    for (const row of batch) yield projected(columns, row as Row);
  }
}

/** The row with exactly `columns`; a message list (an array, or an Arrow vector of structs) and a turn as plain objects. */
function projected(columns: readonly ColumnSpec[], row: Row): Row {
  const out: Row = {};
  for (const c of columns) {
    const value = row[c.name] ?? null;
    if (value === null || (c.type !== "messages" && c.type !== "struct")) {
      out[c.name] = value;
      continue;
    }
    const fields = fieldsOf(c);
    const plain = (struct: Row): Row => {
      const o: Row = {};
      for (const f of fields) if (struct[f.name] !== null && struct[f.name] !== undefined) o[f.name] = struct[f.name];
      return o;
    };
    out[c.name] = c.type === "struct" ? plain(value as Row) : Array.from(value as Iterable<Row>, plain);
  }
  return out;
}
