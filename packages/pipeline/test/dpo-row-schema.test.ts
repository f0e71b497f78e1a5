import { describe, it, expect } from "vitest";
import type { DpoFormat, DpoRow, MergedRecord } from "@lmsynth/schema";
import { DpoRowSchema, UltrafeedbackRowSchema, toDpoRows, type DpoOptions } from "@lmsynth/dpo";
// The built code, as every test of this package loads it: one module per source (a src import beside it
// would load each file twice, and count its branches twice in coverage).
import { LAYOUTS } from "../dist/index.js";
import { english, record } from "../../dpo/test/records.js";

/** A DPO row as its layout in the table writes it. */
function formatDpoRow(row: DpoRow, format: DpoFormat = "trl"): Record<string, unknown> {
  return LAYOUTS.dpo[format].write(row, { withMeta: true });
}

const records: MergedRecord[] = [
  record([
    ["  先頭と末尾の空白 \n", 9],
    ["\"引用\" と \\ と \u2028 と 😀", 4.5],
    ["loop", 2, "rep"],
    ["", 1],
  ]),
  record(
    [
      ["a", 10],
      ["b", 0],
    ],
    { conversation_id: "ffffffffffffffffffffffffffffffff", ...english([["Tokyo.", 8], ["Osaka.", 6.5], ["Kyoto.", 1]]) },
  ),
];
const optionSets: DpoOptions[] = [
  {},
  { withMeta: true, lang: "both", pairs: "all", minMargin: 0 },
  { system: "システム", pairs: "best-vs-rest", withMeta: true, lang: "both" },
];
const rows = optionSets.flatMap((o) => records.flatMap((r) => toDpoRows(r, o).rows));

describe("DpoRowSchema", () => {
  it("has rows to check", () => {
    // {}: 1 + 1; all: 3 (ja) + 1 (ja) + 3 (en); best-vs-rest: 2 (ja) + 1 (ja) + 2 (en)
    expect(rows).toHaveLength(2 + 7 + 5);
  });

  it.each(rows.map((row, i) => [i, row] as const))("round-trips trl row %i through JSON", (_i, row) => {
    const written = formatDpoRow(row, "trl");
    const read: DpoRow = DpoRowSchema.parse(JSON.parse(JSON.stringify(written)));
    expect(read).toEqual(written);
    expect(JSON.stringify(read)).toBe(JSON.stringify(written));
  });

  it.each(rows.map((row, i) => [i, row] as const))("round-trips ultrafeedback row %i through JSON", (_i, row) => {
    const written = formatDpoRow(row, "ultrafeedback");
    const read = UltrafeedbackRowSchema.parse(JSON.parse(JSON.stringify(written)));
    expect(read).toEqual(written);
    expect(JSON.stringify(read)).toBe(JSON.stringify(written));
  });

  it.each<[string, Record<string, unknown>]>([
    ["an upper-case prompt_id", { prompt_id: "A".repeat(64) }],
    ["a short prompt_id", { prompt_id: "abc" }],
    ["two chosen messages", { chosen: [{ role: "assistant", content: "x" }, { role: "assistant", content: "y" }] }],
    ["an empty prompt", { prompt: [] }],
    ["a string score", { score_chosen: "9" }],
    ["an unknown lang", { lang: "fr" }],
    ["a negative index", { chosen_index: -1 }],
  ])("rejects %s", (_name, change) => {
    const written = formatDpoRow(rows[0]!, "trl");
    expect(DpoRowSchema.safeParse(written).success).toBe(true);
    expect(DpoRowSchema.safeParse({ ...written, ...change }).success).toBe(false);
  });

  it("rejects a trl row as ultrafeedback and the other way round", () => {
    expect(UltrafeedbackRowSchema.safeParse(formatDpoRow(rows[0]!, "trl")).success).toBe(false);
    expect(DpoRowSchema.safeParse(formatDpoRow(rows[0]!, "ultrafeedback")).success).toBe(false);
  });
});
