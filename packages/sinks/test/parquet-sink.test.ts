import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { decompress as zstdDecompress } from "zstd-napi";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ColumnBatchBuilder, RowTypeError, measureRow, openParquetSink, type Compression } from "../src/index.js";
import { duckdbMetadata, duckdbRows, duckdbTypes } from "./read-back.js";
import { dpoLayout, sftLayout } from "@lmsynth/schema";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmsynth-parquet-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** SFT rows with every shape a column can take: empty, multi-byte, long, nulls, several turns. */
function sftRows(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    conversation_id: `conv-${String(i).padStart(4, "0")}`,
    messages: [
      ...(i % 5 === 0 ? [{ role: "system", content: "あなたは誠実なアシスタントです。" }] : []),
      { role: "user", content: i % 7 === 0 ? "" : `質問 ${i}: “quotes” \\ and\nnewlines 😀` },
      { role: "assistant", content: `  answer ${i} `.repeat(1 + (i % 13)) },
    ],
    lang: i % 3 === 0 ? null : i % 2 ? "ja" : "en",
    response_index: i % 4 === 0 ? null : i % 6,
    score: i % 9 === 0 ? null : (i % 10) + 0.5,
  }));
}

const dpoRows = Array.from({ length: 20 }, (_, i) => ({
  conversation_id: `d${i}`,
  prompt: [{ role: "user", content: `prompt ${i} 日本語` }],
  chosen: [{ role: "assistant", content: `good ${i}` }],
  rejected: [{ role: "assistant", content: i % 2 ? "" : `bad ${i}` }],
  score_chosen: 9 + i / 10,
  score_rejected: 1.25,
  prompt_id: `${i}`.padStart(64, "f"),
  lang: i % 2 ? "en" : "ja",
}));

const hyparquetCompressors = {
  ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompress(input)),
  GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)),
};

const arrayBuffer = (bytes: Buffer): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

async function write<Row extends object>(path: string, rows: Row[], options: Parameters<typeof openParquetSink>[1]) {
  const sink = await openParquetSink<Row>(path, options);
  for (const row of rows) await sink.write(row);
  return sink.close();
}

describe("openParquetSink", () => {
  it("writes SFT rows that DuckDB and hyparquet read back exactly, messages as list<struct>", async () => {
    const rows = sftRows(200);
    const path = join(dir, "sft.parquet");
    const file = await write(path, rows, { columns: sftLayout().columns });
    const bytes = await readFile(path);
    expect(file).toMatchObject({ path, rows: 200, bytes: bytes.byteLength });
    expect(await duckdbRows(path)).toEqual(rows);
    expect(await duckdbTypes(path)).toEqual({
      conversation_id: "VARCHAR",
      messages: 'STRUCT("role" VARCHAR, "content" VARCHAR)[]',
      lang: "VARCHAR",
      response_index: "INTEGER",
      score: "DOUBLE",
    });
    const objects = await parquetReadObjects({ file: arrayBuffer(bytes), compressors: hyparquetCompressors });
    expect(objects).toEqual(rows);
    expect(await readdir(dir)).toEqual(["sft.parquet"]);
  });

  it("writes DPO rows with prompt, chosen and rejected as list<struct>", async () => {
    const path = join(dir, "dpo.parquet");
    await write(path, dpoRows, { columns: dpoLayout().columns });
    expect(await duckdbRows(path)).toEqual(dpoRows);
    expect(await duckdbTypes(path)).toEqual({
      conversation_id: "VARCHAR",
      prompt: 'STRUCT("role" VARCHAR, "content" VARCHAR)[]',
      chosen: 'STRUCT("role" VARCHAR, "content" VARCHAR)[]',
      rejected: 'STRUCT("role" VARCHAR, "content" VARCHAR)[]',
      score_chosen: "DOUBLE",
      score_rejected: "DOUBLE",
      prompt_id: "VARCHAR",
      lang: "VARCHAR",
    });
  });

  it("writes a text column when asked, and drops meta columns without meta", async () => {
    const path = join(dir, "text.parquet");
    const rows = [{ conversation_id: "a", messages: [{ role: "user", content: "hi" }], text: "<bos>hi" }];
    await write(path, rows, { columns: sftLayout({ meta: false, text: true }).columns });
    expect(await duckdbRows(path)).toEqual(rows);
  });

  it.each<[Compression, string]>([
    ["zstd", "ZSTD"],
    ["snappy", "SNAPPY"],
    ["gzip", "GZIP"],
    ["none", "UNCOMPRESSED"],
  ])("compression %s is written as %s and read back", async (compression, codec) => {
    const rows = sftRows(50);
    const path = join(dir, `${compression}.parquet`);
    await write(path, rows, { columns: sftLayout().columns, compression });
    expect(await duckdbRows(path)).toEqual(rows);
    const chunks = await duckdbMetadata(path);
    expect(new Set(chunks.map((c) => c.compression))).toEqual(new Set([codec]));
  });

  it("cuts row groups at maxRowGroupBytes of measured data, as the builder predicts", async () => {
    const rows = sftRows(300);
    const maxRowGroupBytes = 4_000;
    const path = join(dir, "groups.parquet");
    await write(path, rows, { columns: sftLayout().columns, maxRowGroupBytes });
    const builder = new ColumnBatchBuilder(sftLayout().columns, { highWaterMark: maxRowGroupBytes });
    const expected: number[] = [];
    for (const row of rows) {
      const batch = builder.append(row);
      if (batch) expected.push(batch.rows);
    }
    expected.push(builder.flush()!.rows);
    expect(expected.length).toBeGreaterThan(5);

    const groupRows = new Map<number, number>();
    for (const c of await duckdbMetadata(path)) groupRows.set(c.row_group_id, Number(c.row_group_num_rows));
    expect([...groupRows.values()]).toEqual(expected);
    // each group's rows, read back, measure within the limit
    const readBack = await duckdbRows(path);
    let start = 0;
    for (const count of expected) {
      const bytes = readBack.slice(start, start + count).reduce<number>((sum, row, i) => sum + measureRow(sftLayout().columns, row, i), 0);
      expect(bytes).toBeLessThanOrEqual(maxRowGroupBytes);
      start += count;
    }
    expect(readBack).toEqual(rows);
  });

  it("writes statistics for every column chunk and a page index where a chunk has several pages", async () => {
    const rows = sftRows(400);
    const path = join(dir, "stats.parquet");
    await write(path, rows, { columns: sftLayout().columns, pageSize: 2_000 });
    const chunks = await duckdbMetadata(path);
    const ids = chunks.find((c) => c.path_in_schema === "conversation_id")!;
    expect([ids.stats_min_value, ids.stats_max_value]).toEqual(["conv-0000", "conv-0399"]);
    const bytes = await readFile(path);
    const metadata = parquetMetadata(arrayBuffer(bytes));
    const columns = metadata.row_groups[0]!.columns;
    expect(columns.map((c) => c.meta_data?.path_in_schema.join("."))).toEqual([
      "conversation_id",
      "messages.list.element.role",
      "messages.list.element.content",
      "lang",
      "response_index",
      "score",
    ]);
    for (const column of columns) expect(column.meta_data?.statistics?.null_count).toBeDefined();
    const content = columns[2]!;
    expect(content.column_index_offset).toBeDefined();
    expect(content.offset_index_offset).toBeDefined();
  });

  it("gives byte-identical files for the same rows", async () => {
    const rows = sftRows(120);
    const a = await write(join(dir, "a.parquet"), rows, { columns: sftLayout().columns, maxRowGroupBytes: 3_000 });
    const b = await write(join(dir, "b.parquet"), rows, { columns: sftLayout().columns, maxRowGroupBytes: 3_000 });
    expect(a.sha256).toBe(b.sha256);
    expect(await readFile(join(dir, "a.parquet"))).toEqual(await readFile(join(dir, "b.parquet")));
  });

  it("writes a valid empty file when closed without rows", async () => {
    const path = join(dir, "empty.parquet");
    const file = await write(path, [], { columns: dpoLayout().columns });
    expect(file.rows).toBe(0);
    expect(await duckdbRows(path)).toEqual([]);
    expect(Object.keys(await duckdbTypes(path))).toEqual(dpoLayout().columns.map((c) => c.name));
  });

  it("rejects a row that does not fit its columns, and abort leaves nothing", async () => {
    const path = join(dir, "bad.parquet");
    const sink = await openParquetSink(path, { columns: sftLayout().columns });
    await sink.write(sftRows(1)[0]!);
    await expect(sink.write({ conversation_id: "x", messages: [{ role: "user" }] })).rejects.toThrow(RowTypeError);
    await sink.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});
