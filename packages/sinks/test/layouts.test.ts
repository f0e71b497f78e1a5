import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dpoLayout, ktoLayout, sftLayout } from "@lmsynth/schema";
import { RowTypeError, measureRow, openArrowSink, openParquetSink, type ColumnSpec } from "../src/index.js";
import { arrowRows, duckdbRows, duckdbTypes } from "./read-back.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmsynth-layouts-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ID = "f".repeat(64);
// The layouts whose columns go beyond strings, numbers and role/content lists: turns, a single turn, a
// boolean, and a nullable reasoning field on every message.
const CASES: Array<[string, ColumnSpec[], Record<string, unknown>[], Record<string, string>]> = [
  [
    "sft sharegpt",
    sftLayout({ format: "sharegpt", meta: false }).columns,
    [{ conversation_id: "a", conversations: [{ from: "human", value: "質問" }, { from: "gpt", value: "回答😀" }] }],
    { conversation_id: "VARCHAR", conversations: 'STRUCT("from" VARCHAR, "value" VARCHAR)[]' },
  ],
  [
    "dpo sharegpt",
    dpoLayout({ format: "sharegpt", meta: false }).columns,
    [{ conversation_id: "a", conversations: [{ from: "human", value: "q" }], chosen: { from: "gpt", value: "good" }, rejected: { from: "gpt", value: "" }, score_chosen: 9, score_rejected: 2.5, prompt_id: ID }],
    {
      conversation_id: "VARCHAR",
      conversations: 'STRUCT("from" VARCHAR, "value" VARCHAR)[]',
      chosen: 'STRUCT("from" VARCHAR, "value" VARCHAR)',
      rejected: 'STRUCT("from" VARCHAR, "value" VARCHAR)',
      score_chosen: "DOUBLE",
      score_rejected: "DOUBLE",
      prompt_id: "VARCHAR",
    },
  ],
  [
    "kto with reasoning",
    ktoLayout({ meta: false, reasoningKey: "reasoning_content" }).columns,
    [
      { conversation_id: "a", prompt: [{ role: "user", content: "q" }], completion: [{ role: "assistant", content: "a", reasoning_content: "考え" }], label: true, score: 9, prompt_id: ID },
      { conversation_id: "b", prompt: [{ role: "user", content: "q" }], completion: [{ role: "assistant", content: "b" }], label: false, score: 2, prompt_id: ID },
    ],
    {
      conversation_id: "VARCHAR",
      prompt: 'STRUCT("role" VARCHAR, "content" VARCHAR, reasoning_content VARCHAR)[]',
      completion: 'STRUCT("role" VARCHAR, "content" VARCHAR, reasoning_content VARCHAR)[]',
      label: "BOOLEAN",
      score: "DOUBLE",
      prompt_id: "VARCHAR",
    },
  ],
];

/** A row as a reader returns it: a message without its nullable field holds null there. */
function withNulls(columns: ColumnSpec[], row: Record<string, unknown>): Record<string, unknown> {
  const fill = (spec: ColumnSpec, value: unknown): unknown => {
    const fields = spec.fields ?? [];
    const one = (m: Record<string, unknown>) => ({ ...m, ...Object.fromEntries(fields.filter((f) => !(f.name in m)).map((f) => [f.name, null])) });
    return spec.type === "messages" ? (value as Record<string, unknown>[]).map(one) : spec.type === "struct" ? one(value as Record<string, unknown>) : value;
  };
  return Object.fromEntries(columns.map((c) => [c.name, fill(c, row[c.name])]));
}

describe("layout columns in Parquet and Arrow", () => {
  it.each(CASES)("%s: DuckDB and apache-arrow read back the rows, with their types", async (_, columns, rows, types) => {
    const parquet = await openParquetSink(join(dir, "x.parquet"), { columns });
    const arrow = await openArrowSink(join(dir, "x.arrow"), { columns });
    for (const row of rows) {
      await parquet.write(row);
      await arrow.write(row);
    }
    await parquet.close();
    await arrow.close();
    expect(await duckdbTypes(join(dir, "x.parquet"))).toEqual(types);
    const expected = rows.map((row) => withNulls(columns, row));
    expect(await duckdbRows(join(dir, "x.parquet"))).toEqual(expected);
    expect(await arrowRows(join(dir, "x.arrow"))).toEqual(expected);
  });

  it("measures a turn and a boolean, and refuses a turn without its value or a label that is not a boolean", () => {
    const columns = dpoLayout({ format: "sharegpt", meta: false }).columns;
    const row = CASES[1]![2][0]!;
    // UTF-8 bytes + 4 per string: "a" 5; conversations "human" "q" 9+5; chosen "gpt" "good" 7+8; rejected "gpt" "" 7+4;
    // two doubles 16; prompt_id 68.
    expect(measureRow(columns, row, 0)).toBe(5 + 14 + 15 + 11 + 16 + 68);
    expect(() => measureRow(columns, { ...row, chosen: { from: "gpt" } }, 3)).toThrow(RowTypeError);
    const kto = ktoLayout({ meta: false }).columns;
    expect(() => measureRow(kto, { ...CASES[2]![2][1]!, label: "yes" }, 0)).toThrow(RowTypeError);
    // "b" 5; prompt "user" "q" 8+5; completion "assistant" "b" 13+5 (no reasoning field here); label 1; score 8; prompt_id 68.
    expect(measureRow(kto, CASES[2]![2][1]!, 0)).toBe(5 + 13 + 18 + 1 + 8 + 68);
  });
});
