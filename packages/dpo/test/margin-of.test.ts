import { describe, it, expect } from "vitest";
import type { MergedRecord } from "@lmsynth/schema";
import { PAIR_MODES, marginOf, toDpoRows } from "../src/index.js";
import { english, record, type Resp } from "./records.js";

describe("marginOf", () => {
  it.each<[string, Resp[], number | undefined]>([
    ["best minus worst", [["a", 7], ["b", 9], ["c", 3]], 6],
    ["flagged best is skipped, flagged worst counts", [["loop", 10, "rep"], ["b", 8], ["low loop", 1, "rep"]], 7],
    ["all equal", [["a", 5], ["b", 5]], 0],
    ["only choosable is the lowest", [["loop", 9, "rep"], ["ok", 3]], 0],
    ["decimal scores", [["a", 8.5], ["b", 8]], 0.5],
    ["one usable", [["a", 8], ["b", -1]], undefined],
    ["no usable", [["a", -1], [" ", 8]], undefined],
    ["all flagged", [["a", 9, "rep"], ["b", 1, "rep"]], undefined],
    ["no candidates", [], undefined],
  ])("%s → %s", (_name, resps, margin) => {
    expect(marginOf(record(resps), "ja")).toBe(margin);
  });

  it("applies the record filters and minChosenScore", () => {
    const r = record([["a", 7], ["b", 2]], { redacted: true });
    expect(marginOf(r, "ja")).toBe(5);
    expect(marginOf(r, "ja", { excludePii: true })).toBeUndefined();
    expect(marginOf(r, "ja", { minChosenScore: 7 })).toBe(5);
    expect(marginOf(r, "ja", { minChosenScore: 8 })).toBeUndefined();
  });

  it("reads the language it is given", () => {
    const r = record([["a", 7], ["b", 2]], english([["x", 9], ["y", 8]]));
    expect([marginOf(r, "ja"), marginOf(r, "en")]).toEqual([5, 1]);
  });

  const sample: MergedRecord[] = [
    [["a", 7], ["b", 9], ["c", 3]],
    [["a", 5], ["b", 5]],
    [["loop", 9, "rep"], ["ok", 3]],
    [["a", 8.5], ["b", 8]],
    [["a", 10], ["b", 0], ["c", 9]],
    [["a", 6], ["b", 4], ["c", 5.5]],
    [["a", 8], ["b", -1]],
  ].map((resps) => record(resps as Resp[]));

  it.each(PAIR_MODES.flatMap((pairs) => [0, 0.5, 1, 2, 3, 6, 10].map((m) => [pairs, m] as const)))(
    "predicts whether a record yields pairs (%s, minMargin %s)",
    (pairs, minMargin) => {
      for (const r of sample) {
        const m = marginOf(r, "ja");
        const predicted = m !== undefined && m > 0 && m >= minMargin;
        expect(toDpoRows(r, { pairs, minMargin }).rows.length > 0).toBe(predicted);
      }
    },
  );
});
