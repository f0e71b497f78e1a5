import { describe, it, expect } from "vitest";
import { OptionError, type KtoRow } from "@lmsynth/schema";
import { toKtoRows } from "../src/index.js";
import { EN, EN_ID, JA, JA_ID, english, record } from "../../dpo/test/records.js";

const ID = "0123456789abcdef0123456789abcdef";

/** The whole expected row, with meta. */
function kto(content: string, score: number, index: number, label: boolean, lang: "ja" | "en" = "ja"): KtoRow {
  return {
    conversation_id: ID,
    prompt: [{ role: "user", content: lang === "ja" ? JA : EN }],
    completion: [{ role: "assistant", content }],
    label,
    score,
    prompt_id: lang === "ja" ? JA_ID : EN_ID,
    lang,
    response_index: index,
  };
}

describe("toKtoRows", () => {
  const r = record([
    ["a", 7],
    ["b", 9],
    ["c", 3],
    ["d", 9],
    ["e", 5],
    ["f", null],
  ]);

  it("best-worst: the best (tie → lower index) desirable, the worst undesirable", () => {
    expect(toKtoRows(r, { withMeta: true })).toEqual({ rows: [kto("b", 9, 1, true), kto("c", 3, 2, false)], skips: [], neutral: 0 });
  });

  it("all: every usable candidate, best first; 6–7 left out and counted", () => {
    expect(toKtoRows(r, { withMeta: true, perRecord: "all" })).toEqual({
      rows: [kto("b", 9, 1, true), kto("d", 9, 3, true), kto("e", 5, 4, false), kto("c", 3, 2, false)],
      skips: [],
      neutral: 1,
    });
  });

  it("thresholds are inclusive and configurable", () => {
    expect(toKtoRows(r, { withMeta: true, desirable: 7, undesirable: 3, perRecord: "all" }).rows.map((x) => [x.completion[0]!.content, x.label])).toEqual([
      ["b", true],
      ["d", true],
      ["a", true],
      ["c", false],
    ]);
  });

  it("a repetition-flagged response is never desirable, but may be undesirable", () => {
    const flagged = record([
      ["x", 10, "rep"],
      ["y", 2, "rep"],
    ]);
    expect(toKtoRows(flagged, { perRecord: "all" })).toEqual({
      rows: [{ conversation_id: ID, prompt: [{ role: "user", content: JA }], completion: [{ role: "assistant", content: "y" }], label: false, score: 2, prompt_id: JA_ID }],
      skips: [],
      neutral: 1,
    });
  });

  it("counts a language with only neutral candidates as neutral-score, one without scores as no-valid-score", () => {
    const middling = record([["m", 6]], english([["n", null]]));
    expect(toKtoRows(middling, { lang: "both" })).toEqual({
      rows: [],
      skips: [
        { lang: "ja", reason: "neutral-score" },
        { lang: "en", reason: "no-valid-score" },
      ],
      neutral: 1,
    });
  });

  it("one candidate gives one row; a system message leads the prompt", () => {
    const one = record([["only", 8]]);
    expect(toKtoRows(one, { system: "S" }).rows).toEqual([
      { conversation_id: ID, prompt: [{ role: "system", content: "S" }, { role: "user", content: JA }], completion: [{ role: "assistant", content: "only" }], label: true, score: 8, prompt_id: JA_ID },
    ]);
  });

  it("applies the record filters first", () => {
    expect(toKtoRows(record([["a", 9]], { redacted: true }), { excludePii: true })).toEqual({ rows: [], skips: [{ lang: "ja", reason: "pii" }], neutral: 0 });
  });

  it("refuses thresholds that overlap", () => {
    expect(() => toKtoRows(r, { desirable: 5, undesirable: 5 })).toThrow(new OptionError("the undesirable threshold (5) must be below the desirable one (5)"));
  });
});

describe("toKtoRows maxTokens with countTokens", () => {
  const countTokens = (messages: readonly { content: string }[]) => messages.reduce((n, m) => n + [...m.content].length, 0);
  const r = record([
    ["長い良い回答です", 9],
    ["短", 2],
  ]);

  it("drops the rows above the limit; a language left with none counts as length", () => {
    // The prompt is 12 characters: with 長い良い回答です 20, with 短 13.
    expect(toKtoRows(r, { countTokens, maxTokens: 19 }).rows.map((x) => [x.completion[0]!.content, x.label])).toEqual([["短", false]]);
    expect(toKtoRows(r, { countTokens, maxTokens: 12 })).toEqual({ rows: [], skips: [{ lang: "ja", reason: "length" }], neutral: 0 });
  });
});
