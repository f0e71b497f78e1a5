import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "@lmsynth/schema";
import { parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { readLeafRows } from "../src/leaf-rows.js";
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

describe("the leaf read of the converted part (firstMessageOnly)", () => {
  const CONVERTED = { columns: ["conversation_id", "conversation", "redacted"], firstMessageOnly: true } as const;
  const MESSAGES = "STRUCT(content VARCHAR, role VARCHAR)[]";
  const FLAGS = "STRUCT(flagged BOOLEAN)[]";
  // Every null and empty case of the columns it reads, and rows the schema refuses (a null id, a null message).
  const EDGE_ROWS = `
    ('a', [{'content': 'こんにちは', 'role': 'user'}, {'content': 'yo', 'role': 'assistant'}]::${MESSAGES}, 'Japanese', [{'flagged': false}, {'flagged': true}]::${FLAGS}, false),
    ('b', NULL, 'English', NULL, NULL),
    ('c', []::${MESSAGES}, 'English', []::${FLAGS}, true),
    ('d', [{'content': NULL, 'role': 'user'}]::${MESSAGES}, 'English', [NULL, {'flagged': NULL}]::${FLAGS}, true),
    ('e', [{'content': 'hi', 'role': NULL}, NULL]::${MESSAGES}, 'Korean', [{'flagged': false}]::${FLAGS}, NULL),
    ('f', [{'content': 'hi', 'role': 'user'}]::${MESSAGES}, NULL, [{'flagged': false}, NULL]::${FLAGS}, false),
    ('g', [NULL, {'content': 'x', 'role': 'user'}]::${MESSAGES}, 'English', [{'flagged': false}]::${FLAGS}, true),
    (NULL, [{'content': 'z', 'role': 'user'}]::${MESSAGES}, 'English', [{'flagged': false}]::${FLAGS}, true),
    ('h', [{'content': 'last', 'role': 'user'}]::${MESSAGES}, 'English', NULL, false)`;

  /** A shard of `rows` written by DuckDB (one row group), with `pages` ("V1" or "V2") data pages. */
  async function shardOf(name: string, rows: string, pages: "V1" | "V2"): Promise<string> {
    const file = join(tmp, name);
    await duckdb.run(
      `COPY (SELECT * FROM (VALUES ${rows}) t(conversation_id, conversation, language, openai_moderation, redacted))
       TO '${file}' (FORMAT parquet, PARQUET_VERSION ${pages})`,
    );
    return file;
  }

  /** Each row group of `file` read both ways: by leaves, and by hyparquet's assembly (the plan left out). */
  async function bothWays(file: string, options: ReadParquetOptions) {
    const shard = await openShard(file, options);
    const groups = [...shard.groupStarts.keys()];
    const read = async (s: typeof shard) => Promise.all(groups.map(async (g) => readShardGroup(s, g)));
    return { leaves: shard.leaves, byLeaves: await read(shard), assembled: await read({ ...shard, leaves: undefined }) };
  }

  for (const pages of ["V1", "V2"] as const) {
    it(`reads every row as hyparquet's assembly cut to the first message, DuckDB's PARQUET_VERSION ${pages}`, async () => {
      const file = await shardOf(`edge-${pages}.parquet`, EDGE_ROWS, pages);
      const shard = await openShard(file, { ...CONVERTED, dropFlagged: true, languages: ["English"] });
      expect(shard.leaves?.columns.map((c) => [c.name, c.kind])).toEqual([
        ["conversation_id", "flat"],
        ["conversation", "first"],
        ["language", "flat"],
        ["openai_moderation", "anyFlagged"],
        ["redacted", "flat"],
      ]);
      const byLeaves = await readLeafRows(shard.buffer, shard.metadata, shard.leaves!, 0, {});
      const assembled = (await parquetReadObjects({ file: shard.buffer, metadata: shard.metadata, columns: shard.columns!, parsers: { stringFromBytes: (b: Uint8Array) => b } })).map(
        (row) => ({
          ...row,
          conversation: Array.isArray(row["conversation"]) ? (row["conversation"] as unknown[]).slice(0, 1) : row["conversation"],
          // The leaf read keeps of the moderation only whether an entry is flagged, all the filter asks.
          openai_moderation: (row["openai_moderation"] as Array<{ flagged?: unknown } | undefined> | undefined)?.some((m) => m?.flagged === true) ? [{ flagged: true }] : [],
        }),
      );
      expect(byLeaves).toStrictEqual(assembled);
      const text = (v: unknown): unknown => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v);
      const shown = byLeaves.map((row) => JSON.parse(JSON.stringify(row, (_, v: unknown) => (v === undefined ? "undefined" : text(v)))) as unknown);
      expect(shown.slice(1, 4)).toEqual([
        { conversation_id: "b", conversation: "undefined", language: "English", openai_moderation: [], redacted: null },
        { conversation_id: "c", conversation: [], language: "English", openai_moderation: [], redacted: true },
        { conversation_id: "d", conversation: [{ content: null, role: "user" }], language: "English", openai_moderation: [], redacted: true },
      ]);
      expect(shown.slice(6, 8)).toEqual([
        { conversation_id: "g", conversation: ["undefined"], language: "English", openai_moderation: [], redacted: true },
        { conversation_id: null, conversation: [{ content: "z", role: "user" }], language: "English", openai_moderation: [], redacted: true },
      ]);
      expect(shown[0]).toMatchObject({ conversation: [{ content: "こんにちは", role: "user" }], openai_moderation: [{ flagged: true }] });
    });

    it(`gives the records, lines, refusals and counts hyparquet's assembly gives, DuckDB's PARQUET_VERSION ${pages}`, async () => {
      const file = await shardOf(`edge-${pages}.parquet`, EDGE_ROWS, pages);
      for (const filter of [{ languages: "all", dropFlagged: false } as const, {}, { languages: ["Korean", "English"] }]) {
        const { leaves, byLeaves, assembled } = await bothWays(file, { ...CONVERTED, ...filter });
        expect(leaves).toBeDefined();
        expect(byLeaves).toStrictEqual(assembled);
      }
    });
  }

  it("reads a shard of required fields, dictionary pages and DATA_PAGE_V2 (hyparquet-writer's) as hyparquet's assembly does", async () => {
    const utf8 = (name: string, repetition: "REQUIRED" | "OPTIONAL") => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: repetition }) as const;
    const list = (name: string, children: number) =>
      [
        { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", repetition_type: "REQUIRED", num_children: children },
      ] as const;
    const rows = Array.from({ length: 300 }, (_, i) => ({
      conversation_id: `id-${i}`,
      // Every shape in turn: several turns, none, no list, a turn without content; roles repeat (a dictionary).
      conversation: [
        [{ content: `q${i}`, role: "user" }, { content: `a${i}`, role: "assistant" }],
        [],
        null,
        [{ content: null, role: "user" }],
      ][i % 4],
      language: ["English", "Japanese", "Korean"][i % 3],
      openai_moderation: [[{ flagged: i % 5 === 0 }, { flagged: i % 7 === 0 }], null, []][i % 3],
      redacted: i % 2 === 0,
    }));
    const file = join(tmp, "writer.parquet");
    writeFileSync(
      file,
      new Uint8Array(
        parquetWriteBuffer({
          schema: [
            { name: "root", num_children: 5 },
            utf8("conversation_id", "REQUIRED"),
            ...list("conversation", 2),
            utf8("content", "OPTIONAL"),
            utf8("role", "REQUIRED"),
            utf8("language", "REQUIRED"),
            ...list("openai_moderation", 1),
            { name: "flagged", type: "BOOLEAN", repetition_type: "REQUIRED" },
            { name: "redacted", type: "BOOLEAN", repetition_type: "REQUIRED" },
          ],
          columnData: Object.keys(rows[0]!).map((name) => ({ name, data: rows.map((r) => r[name as keyof (typeof rows)[0]]) })),
          rowGroupSize: 100,
          pageSize: 400,
        }),
      ),
    );
    const [pages] = await duck(`SELECT count(DISTINCT row_group_id) AS groups, bool_or(encodings LIKE '%DICTIONARY%') AS dictionary FROM parquet_metadata('${file}')`);
    expect(pages).toEqual({ groups: 3, dictionary: true });
    for (const filter of [{ languages: "all", dropFlagged: false } as const, {}]) {
      const { leaves, byLeaves, assembled } = await bothWays(file, { ...CONVERTED, ...filter });
      expect(leaves).toBeDefined();
      expect(byLeaves).toStrictEqual(assembled);
    }
    // Without a filter every row is read until the turn without content (row 4) stops the first group.
    const { byLeaves } = await bothWays(file, { ...CONVERTED, languages: "all", dropFlagged: false });
    expect(byLeaves[0]!.records.map((r) => r.record)).toEqual([
      { conversation_id: "id-0", conversation: [{ content: "q0", role: "user" }], redacted: true },
      { conversation_id: "id-1", conversation: [], redacted: false },
      { conversation_id: "id-2", redacted: true },
    ]);
    expect(byLeaves.map((g) => g.error?.line)).toEqual([4, 104, 204]);
  });

  it("reads the fixture shards as hyparquet's assembly does, with the export filter and without", async () => {
    const lines: number[][] = [];
    for (const file of SHARDS) {
      for (const filter of [{ languages: "all", dropFlagged: false } as const, {}]) {
        const { leaves, byLeaves, assembled } = await bothWays(file, { ...CONVERTED, ...filter });
        expect(leaves).toBeDefined();
        expect(byLeaves).toStrictEqual(assembled);
        lines.push(byLeaves.flatMap((g) => g.records.map((r) => r.line)));
      }
    }
    // Every row of the two shards (7 and 5), then the export filter's (as "a missing shard" above sees the second's).
    expect(lines).toEqual([[1, 2, 3, 4, 5, 6, 7], [1, 2, 5, 6], [1, 2, 3, 4, 5], [2, 3, 5]]);
  });

  it("leaves a shard of another shape to hyparquet's assembly", async () => {
    const file = join(tmp, "strings.parquet");
    await duckdb.run(`COPY (SELECT 'a' AS conversation_id, ['hi'] AS conversation, false AS redacted) TO '${file}' (FORMAT parquet)`);
    const { leaves, byLeaves } = await bothWays(file, { ...CONVERTED, languages: "all", dropFlagged: false });
    expect(leaves).toBeUndefined();
    expect([byLeaves[0]!.records, byLeaves[0]!.error?.reason]).toEqual([[], "invalid-record"]);
  });
});
