import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "@lmsynth/schema";
import { isParquet, openShard, readParquet, readShardGroup } from "../src/read-parquet.js";
import type { ParquetCounts, ReadParquetOptions } from "../src/read-parquet.js";

const DIR = fileURLToPath(new URL("../../../test-fixtures/lmsys-parquet/", import.meta.url));
const SHARDS = [join(DIR, "train-00000-of-00002.parquet"), join(DIR, "train-00001-of-00002.parquet")];
const tmp = mkdtempSync(join(tmpdir(), "lmsynth-parquet-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Row = Record<string, unknown>;
let duckdb: Awaited<ReturnType<Awaited<ReturnType<typeof DuckDBInstance.create>>["connect"]>>;
beforeAll(async () => {
  duckdb = await (await DuckDBInstance.create(":memory:")).connect();
});

/** DuckDB's reading of a query, BIGINTs as numbers (the only conversion the reader promises). */
async function duck(sql: string): Promise<Row[]> {
  const rows = (await duckdb.runAndReadAll(sql)).getRowObjectsJS() as Row[];
  const plain = (v: unknown): unknown =>
    typeof v === "bigint"
      ? Number(v)
      : Array.isArray(v)
        ? v.map(plain)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
          : v;
  return rows.map((r) => plain(r) as Row);
}

async function read(files: readonly string[], options?: ReadParquetOptions) {
  const out: Array<{ record: Row; file: string; line: number }> = [];
  for await (const r of readParquet(files, options)) out.push(r);
  return out;
}

async function errorOf(files: readonly string[]): Promise<InputError> {
  const error = await read(files).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe("readParquet", () => {
  it("the fixtures have several row groups, so reading goes group by group", async () => {
    const groups = await duck(
      `SELECT file_name, count(DISTINCT row_group_id) AS n FROM parquet_metadata(['${SHARDS.join("','")}']) GROUP BY ALL ORDER BY file_name`,
    );
    expect(groups).toEqual([
      { file_name: SHARDS[0], n: 3 },
      { file_name: SHARDS[1], n: 2 },
    ]);
  });

  it("without filters, every row equals what DuckDB reads, columns in file order", async () => {
    const got = await read(SHARDS, { languages: "all", dropFlagged: false });
    const expected = (
      await Promise.all(
        SHARDS.map(async (file) =>
          (await duck(`SELECT * FROM read_parquet('${file}', file_row_number = true) ORDER BY file_row_number`)).map((row) => {
            const { file_row_number, ...record } = row;
            return { record, file, line: (file_row_number as number) + 1 };
          }),
        ),
      )
    ).flat();
    expect(got).toHaveLength(12);
    expect(got).toEqual(expected);
    for (const { record } of got) {
      expect(Object.keys(record)).toEqual(["conversation_id", "model", "conversation", "turn", "language", "openai_moderation", "redacted"]);
    }
  });

  it("reads the whole record exactly (the multi-turn row)", async () => {
    const row = (await read([SHARDS[0]!], { languages: "all", dropFlagged: false }))[5]!;
    const moderation = row.record["openai_moderation"] as Array<{ categories: Row; category_scores: Row; flagged: boolean }>;
    expect({ ...row, record: { ...row.record, openai_moderation: moderation.map((m) => m.flagged) } }).toEqual({
      file: SHARDS[0],
      line: 6,
      record: {
        conversation_id: "0d3122277dc981f0fc27e6437e93a80e",
        model: "llama-13b",
        conversation: [
          { content: "What is 2+2?", role: "user" },
          { content: "4.", role: "assistant" },
          { content: "And times 3?", role: "user" },
          { content: "12.", role: "assistant" },
        ],
        turn: 2,
        language: "English",
        openai_moderation: [false, false, false, false],
        redacted: false,
      },
    });
    expect(Object.keys(moderation[0]!.categories)).toHaveLength(11);
    // make-lmsys-parquet.mjs: ((seed 12 × 7 + index 6 × 13) % 97) × 1.0173e-6, a double that must survive.
    expect(moderation[0]!.category_scores["self-harm/intent"]).toBe(65 * 1.0173e-6);
  });

  it("by default applies the dataset's export filter: Japanese and English, no flagged conversation", async () => {
    const counts: ParquetCounts = { rows: 0, kept: 0, otherLanguage: 0, flagged: 0 };
    const got = (await read(SHARDS, { counts })).map((r) => ({ id: r.record["conversation_id"], file: r.file, line: r.line }));
    const expected = (
      await Promise.all(
        SHARDS.map(async (file) =>
          (
            await duck(`SELECT conversation_id AS id, file_row_number + 1 AS line
              FROM read_parquet('${file}', file_row_number = true)
              WHERE language IN ('Japanese', 'English')
                AND NOT list_bool_or(list_transform(openai_moderation, m -> m.flagged))
              ORDER BY file_row_number`)
          ).map((r) => ({ id: r["id"], file, line: r["line"] })),
        ),
      )
    ).flat();
    expect(got).toEqual(expected);
    expect(got).toHaveLength(7);
    expect(counts).toEqual({ rows: 12, kept: 7, otherLanguage: 3, flagged: 2 });
  });

  it.each([
    ["Portuguese only", { languages: ["Portuguese"] }, ["pt"]],
    ["all languages, flagged dropped", { languages: "all" as const }, ["ja", "en", "pt", "ja", "en", "zh", "en", "ja", "de", "en"]],
    ["Japanese, flagged kept", { languages: ["Japanese"], dropFlagged: false }, ["ja", "ja", "ja", "ja"]],
    ["no language", { languages: [] }, []],
  ] as const)("filter: %s", async (_, options, expected) => {
    const short = { Japanese: "ja", English: "en", Portuguese: "pt", Chinese: "zh", German: "de" } as Record<string, string>;
    const got = await read(SHARDS, options);
    expect(got.map((r) => short[r.record["language"] as string])).toEqual(expected);
  });

  it("a file that is not Parquet: corrupt-parquet", async () => {
    const file = join(tmp, "not.parquet");
    writeFileSync(file, '{"conversation_id":"a"}\n');
    const error = await errorOf([file]);
    expect([error.reason, error.message]).toEqual(["corrupt-parquet", `${file}: not a Parquet file: it does not start with PAR1`]);
  });

  it("a truncated shard: corrupt-parquet naming the footer", async () => {
    const file = join(tmp, "truncated.parquet");
    const bytes = readFileSync(SHARDS[0]!);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    const error = await errorOf([file]);
    expect([error.reason, error.detail]).toEqual(["corrupt-parquet", "parquet file invalid (footer != PAR1) (truncated or damaged file?)"]);
  });

  it("a damaged page: corrupt-parquet naming the row group, after the rows of the groups before it", async () => {
    const [page] = await duck(`SELECT data_page_offset AS at, total_compressed_size AS size FROM parquet_metadata('${SHARDS[0]}')
      WHERE row_group_id = 1 AND path_in_schema = 'conversation, list, element, content'`);
    const bytes = Buffer.from(readFileSync(SHARDS[0]!));
    bytes.fill(0xff, page!["at"] as number, (page!["at"] as number) + (page!["size"] as number));
    const file = join(tmp, "damaged.parquet");
    writeFileSync(file, bytes);
    const lines: number[] = [];
    const error = await (async () => {
      for await (const r of readParquet([file], { languages: "all", dropFlagged: false })) lines.push(r.line);
    })().catch((e: unknown) => e as InputError);
    expect(lines).toEqual([1, 2, 3]);
    expect(error).toBeInstanceOf(InputError);
    expect([error?.reason, error?.line]).toEqual(["corrupt-parquet", undefined]);
    expect(error?.detail).toMatch(/^row group 1 \(rows 4–6\): /);
  });

  it("a shard cut short after its footer was read: corrupt-parquet naming the row group and the byte", async () => {
    const [group] = await duck(`SELECT min(coalesce(dictionary_page_offset, data_page_offset)) AS at
      FROM parquet_metadata('${SHARDS[0]}') WHERE row_group_id = 1`);
    const at = group!["at"] as number;
    const file = join(tmp, "cut-while-read.parquet");
    writeFileSync(file, readFileSync(SHARDS[0]!));
    const shard = await openShard(file, { languages: "all", dropFlagged: false });
    expect((await readShardGroup(shard, 0)).records.map((r) => r.line)).toEqual([1, 2, 3]);
    truncateSync(file, at);
    const { records, error } = await readShardGroup(shard, 1);
    expect(records).toEqual([]);
    expect([error?.reason, error?.detail]).toEqual([
      "corrupt-parquet",
      `row group 1 (rows 4–6): unexpected end of file at byte ${at} (was it changed while being read?)`,
    ]);
  });

  it("a missing shard: io, after the rows of the shards before it", async () => {
    const missing = join(tmp, "missing.parquet");
    const seen: number[] = [];
    const error = await (async () => {
      for await (const r of readParquet([SHARDS[1]!, missing])) seen.push(r.line);
    })().catch((e: unknown) => e as InputError);
    expect(seen).toEqual([2, 3, 5]);
    expect([error?.reason, error?.message]).toEqual(["io", `${missing}: no such file`]);
  });
});

describe("isParquet", () => {
  it.each([
    ["PAR1", [...Buffer.from("PAR1\x15\x04")], true],
    ["shard", [...readFileSync(SHARDS[0]!).subarray(0, 8)], true],
    ["PAR", [...Buffer.from("PAR")], false],
    ["gzip", [0x1f, 0x8b, 8], false],
    ["JSON", [...Buffer.from("{}")], false],
    ["empty", [], false],
  ])("%s → %s", (_, bytes, expected) => {
    expect(isParquet(Uint8Array.from(bytes))).toBe(expected);
  });
});

describe("readParquet with columns", () => {
  const noCounts = (): ParquetCounts => ({ rows: 0, kept: 0, otherLanguage: 0, flagged: 0 });

  it("reads only those columns, and filters as a full read does", async () => {
    const [allCounts, someCounts] = [noCounts(), noCounts()];
    const all = await read(SHARDS, { counts: allCounts });
    const some = await read(SHARDS, { counts: someCounts, columns: ["conversation_id", "conversation", "redacted"] });
    expect(someCounts).toEqual(allCounts);
    expect(someCounts.flagged).toBe(2);
    expect(someCounts.otherLanguage).toBe(3);
    const { conversation_id, conversation, redacted } = all[0]!.record;
    expect(some[0]!.record).toEqual({ conversation_id, conversation, redacted });
    expect(some).toEqual(all.map((r) => ({ ...r, record: { conversation_id: r.record["conversation_id"], conversation: r.record["conversation"], redacted: r.record["redacted"] } })));
  });

  it("keeps the filter's columns when they are asked for, and leaves out a column the file lacks", async () => {
    const all = await read([SHARDS[0]!], { languages: "all", dropFlagged: false });
    const got = await read([SHARDS[0]!], { columns: ["conversation_id", "openai_moderation", "no_such_column"], languages: "all", dropFlagged: false });
    expect(got.map((r) => r.record)).toEqual(all.map((r) => ({ conversation_id: r.record["conversation_id"], openai_moderation: r.record["openai_moderation"] })));
  });

  it("with firstMessageOnly, keeps the first message of each conversation, the other fields and filter as a full read", async () => {
    const [allCounts, firstCounts] = [noCounts(), noCounts()];
    const all = await read(SHARDS, { counts: allCounts, columns: ["conversation_id", "conversation", "redacted"] });
    const first = await read(SHARDS, { counts: firstCounts, columns: ["conversation_id", "conversation", "redacted"], firstMessageOnly: true });
    expect(firstCounts).toEqual(allCounts);
    // The fixture has a multi-turn conversation, whose later turns are left out, and non-ASCII text.
    expect(all.some((r) => (r.record["conversation"] as unknown[]).length > 1)).toBe(true);
    expect(first).toEqual(all.map((r) => ({ ...r, record: { ...r.record, conversation: (r.record["conversation"] as unknown[]).slice(0, 1) } })));
  });
});
