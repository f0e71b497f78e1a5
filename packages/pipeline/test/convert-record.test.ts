import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { MergedRecord } from "@lmsynth/schema";
// The built code, as every test of this package loads it: one module per source (a src import beside it
// would load each file twice, and count its branches twice in coverage).
import { createMapper, outputOf, type ConvertInit } from "../dist/index.js";

const RECORDS = readFileSync(fileURLToPath(new URL("../../../test-fixtures/llama3.1/edge-cases.jsonl", import.meta.url)), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as MergedRecord);

const INIT: ConvertInit = {
  outputs: [outputOf("sft"), outputOf("sft", "sharegpt"), outputOf("dpo", "ultrafeedback"), outputOf("kto")],
  sft: { options: { select: "best", withMeta: true }, messagesKey: "messages" },
  dpo: { options: { pairs: "best-worst", minMargin: 1, withMeta: true } },
  kto: { options: { desirable: 8, undesirable: 3, perRecord: "all", withMeta: true } },
};

describe("createMapper with encode: json", () => {
  it("gives each row as the JSON text of the row it gives without, in the same order, skips alike", async () => {
    const objects = await createMapper(INIT);
    const texts = await createMapper({ ...INIT, encode: "json" });
    const rows = [0, 0, 0, 0];
    for (const record of RECORDS) {
      const a = objects(record);
      const b = texts(record);
      expect(b.outputs!.map((o) => o.rows)).toEqual(a.outputs!.map((o) => o.rows.map((row) => JSON.stringify(row))));
      expect(b.outputs!.map((o) => o.skips)).toEqual(a.outputs!.map((o) => o.skips));
      a.outputs!.forEach((o, i) => (rows[i]! += o.rows.length));
    }
    // The rows compared, per output (sft, sft-sharegpt, dpo-ultrafeedback, kto) of the 22 records.
    expect(rows).toEqual([14, 14, 11, 14]);
  });
});
