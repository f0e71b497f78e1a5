import { describe, it, expect } from "vitest";
import { OptionError, type DpoRow, type Lang } from "@lmsynth/schema";
import { toDpoRows, type DpoOptions } from "../src/index.js";
import { EN, EN_ID, JA, JA_ID, english, record, type Resp } from "./records.js";

const ID = "0123456789abcdef0123456789abcdef";

/** The whole expected row, with meta: Japanese prompt unless `lang` is `en`. */
function pair(chosen: [string, number, number], rejected: [string, number, number], lang: Lang = "ja"): DpoRow {
  return {
    conversation_id: ID,
    prompt_id: lang === "ja" ? JA_ID : EN_ID,
    prompt: [{ role: "user", content: lang === "ja" ? JA : EN }],
    chosen: [{ role: "assistant", content: chosen[0] }],
    rejected: [{ role: "assistant", content: rejected[0] }],
    score_chosen: chosen[1],
    score_rejected: rejected[1],
    lang,
    chosen_index: chosen[2],
    rejected_index: rejected[2],
  };
}

const meta: DpoOptions = { withMeta: true };

describe("toDpoRows best-worst (default)", () => {
  it("chooses the highest score (tie → lowest index) and rejects the lowest (tie → highest index)", () => {
    const r = record([
      ["a", 7],
      ["b", 9],
      ["c", 3],
      ["d", 9],
      ["e", 3],
    ]);
    expect(toDpoRows(r)).toEqual({
      rows: [
        {
          conversation_id: ID,
          prompt_id: JA_ID,
          prompt: [{ role: "user", content: "日本の首都はどこですか？" }],
          chosen: [{ role: "assistant", content: "b" }],
          rejected: [{ role: "assistant", content: "e" }],
          score_chosen: 9,
          score_rejected: 3,
        },
      ],
      skips: [],
      droppedPairs: 0,
    });
    expect(toDpoRows(r, meta).rows).toEqual([pair(["b", 9, 1], ["e", 3, 4])]);
  });

  it("never chooses a repetition-flagged response, even the best one", () => {
    const r = record([
      ["loop loop loop", 10, "rep"],
      ["good", 8],
      ["bad", 2],
    ]);
    expect(toDpoRows(r, meta)).toEqual({ rows: [pair(["good", 8, 1], ["bad", 2, 2])], skips: [], droppedPairs: 0 });
  });

  it("may reject a repetition-flagged response", () => {
    const r = record([
      ["good", 8],
      ["loop loop loop", 2, "rep"],
      ["fine", 5],
    ]);
    expect(toDpoRows(r, meta).rows).toEqual([pair(["good", 8, 0], ["loop loop loop", 2, 1])]);
  });

  it("ignores keepRepetition: a shared SFT option never makes a flagged response chosen", () => {
    const r = record([
      ["loop", 10, "rep"],
      ["good", 8],
      ["bad", 2],
    ]);
    const options = { withMeta: true, keepRepetition: true } as DpoOptions;
    expect(toDpoRows(r, options).rows).toEqual([pair(["good", 8, 1], ["bad", 2, 2])]);
  });

  it("keeps unusable candidates out: -1, missing scores and blank contents are neither chosen nor rejected", () => {
    const r = record([
      ["unscored", -1],
      ["no score", null],
      ["   \n\t", 10],
      ["best", 9],
      ["worst", 4],
      ["", 0],
    ]);
    expect(toDpoRows(r, meta).rows).toEqual([pair(["best", 9, 3], ["worst", 4, 4])]);
  });

  it("copies contents byte for byte and hashes the exact user text", () => {
    const user = "  東京タワーの高さは？\n";
    const r = record(
      [
        ["  333メートルです。\n\n", 9],
        ["\tわかりません ", 2],
      ],
      { translated_conversation: [{ role: "user", content: user }] },
    );
    expect(toDpoRows(r).rows).toEqual([
      {
        conversation_id: ID,
        // printf '%s' $'  東京タワーの高さは？\n' | sha256sum
        prompt_id: "9343e3f0fda4fb26bbe977dc3d2a4a88c2ee20a03659386f400362c21387ac37",
        prompt: [{ role: "user", content: "  東京タワーの高さは？\n" }],
        chosen: [{ role: "assistant", content: "  333メートルです。\n\n" }],
        rejected: [{ role: "assistant", content: "\tわかりません " }],
        score_chosen: 9,
        score_rejected: 2,
      },
    ]);
  });

  it("puts the system message first in prompt", () => {
    const r = record([
      ["good", 8],
      ["bad", 2],
    ]);
    expect(toDpoRows(r, { system: "あなたは誠実なアシスタントです。", withMeta: true }).rows).toEqual([
      {
        conversation_id: ID,
        prompt_id: JA_ID,
        prompt: [
          { role: "system", content: "あなたは誠実なアシスタントです。" },
          { role: "user", content: JA },
        ],
        chosen: [{ role: "assistant", content: "good" }],
        rejected: [{ role: "assistant", content: "bad" }],
        score_chosen: 8,
        score_rejected: 2,
        lang: "ja",
        chosen_index: 0,
        rejected_index: 1,
      },
    ]);
  });

  it("gives every row its own message objects", () => {
    const r = record([
      ["a", 9],
      ["b", 5],
      ["c", 1],
    ]);
    const [x, y] = toDpoRows(r, { pairs: "best-vs-rest" }).rows;
    expect(x!.prompt).toEqual(y!.prompt);
    expect(x!.prompt).not.toBe(y!.prompt);
    expect(x!.prompt[0]).not.toBe(y!.prompt[0]);
  });
});

describe("toDpoRows margin", () => {
  it.each<[string, Resp[], DpoOptions, DpoRow[], number]>([
    ["exactly the default margin: kept", [["hi", 8], ["lo", 7]], {}, [pair(["hi", 8, 0], ["lo", 7, 1])], 0],
    ["just below the default margin: dropped", [["hi", 7.9], ["lo", 7]], {}, [], 1],
    ["exactly minMargin 2: kept", [["hi", 8], ["lo", 6]], { minMargin: 2 }, [pair(["hi", 8, 0], ["lo", 6, 1])], 0],
    ["just below minMargin 2: dropped", [["hi", 8], ["lo", 6.5]], { minMargin: 2 }, [], 1],
    ["decimal margin met as written (8.5 − 7.4 = 1.1)", [["hi", 8.5], ["lo", 7.4]], { minMargin: 1.1 }, [pair(["hi", 8.5, 0], ["lo", 7.4, 1])], 0],
    ["decimal margin missed by 0.01", [["hi", 8.5], ["lo", 7.41]], { minMargin: 1.1 }, [], 1],
    ["minMargin 0 still needs a higher score", [["hi", 8], ["lo", 7.5]], { minMargin: 0 }, [pair(["hi", 8, 0], ["lo", 7.5, 1])], 0],
  ])("%s", (_name, resps, options, rows, droppedPairs) => {
    const skips = rows.length === 0 ? [{ lang: "ja", reason: "margin" }] : [];
    expect(toDpoRows(record(resps), { ...options, withMeta: true })).toEqual({ rows, skips, droppedPairs });
  });

  it.each<[string, Resp[], DpoOptions]>([
    ["all scores equal", [["a", 5], ["b", 5], ["c", 5]], {}],
    ["all scores equal, minMargin 0", [["a", 5], ["b", 5]], { minMargin: 0 }],
    ["all equal in all mode", [["a", 7], ["b", 7], ["c", 7]], { pairs: "all", minMargin: 0 }],
    ["the only choosable candidate is the lowest", [["loop", 9, "rep"], ["ok", 3]], {}],
  ])("%s: skipped as margin, no pair counted as dropped", (_name, resps, options) => {
    expect(toDpoRows(record(resps), options)).toEqual({ rows: [], skips: [{ lang: "ja", reason: "margin" }], droppedPairs: 0 });
  });

  it("throws OptionError for an invalid margin or mode", () => {
    const r = record([["a", 9], ["b", 1]]);
    expect(() => toDpoRows(r, { minMargin: -1 })).toThrow(OptionError);
    expect(() => toDpoRows(r, { minMargin: Number.NaN })).toThrow("min margin must be a finite number ≥ 0, got NaN");
    expect(() => toDpoRows(r, { pairs: "best" as never })).toThrow(
      'unknown pairing mode "best" (expected best-worst, best-vs-rest, all, best-random)',
    );
    expect(() => toDpoRows(r, { minChosenScore: Number.POSITIVE_INFINITY })).toThrow(OptionError);
  });
});

describe("toDpoRows minChosenScore", () => {
  const r = record([
    ["seven", 7],
    ["six", 6],
    ["two", 2],
  ]);

  it("keeps a chosen score equal to minChosenScore", () => {
    expect(toDpoRows(r, { minChosenScore: 7, withMeta: true }).rows).toEqual([pair(["seven", 7, 0], ["two", 2, 2])]);
  });

  it("skips the record when no choosable candidate reaches it", () => {
    expect(toDpoRows(r, { minChosenScore: 7.5 })).toEqual({
      rows: [],
      skips: [{ lang: "ja", reason: "below-min-chosen-score" }],
      droppedPairs: 0,
    });
  });

  it("does not count a repetition-flagged high score towards it", () => {
    const flagged = record([
      ["loop", 10, "rep"],
      ["six", 6],
      ["two", 2],
    ]);
    expect(toDpoRows(flagged, { minChosenScore: 8 }).skips).toEqual([{ lang: "ja", reason: "below-min-chosen-score" }]);
  });

  it("restricts every chosen side in all mode, not the rejected side", () => {
    expect(toDpoRows(r, { pairs: "all", minChosenScore: 6.5, withMeta: true }).rows).toEqual([
      pair(["seven", 7, 0], ["six", 6, 1]),
      pair(["seven", 7, 0], ["two", 2, 2]),
    ]);
    expect(toDpoRows(r, { pairs: "all", minChosenScore: 6, withMeta: true }).rows).toEqual([
      pair(["seven", 7, 0], ["six", 6, 1]),
      pair(["seven", 7, 0], ["two", 2, 2]),
      pair(["six", 6, 1], ["two", 2, 2]),
    ]);
  });
});

describe("toDpoRows best-vs-rest", () => {
  it("pairs the best against every other usable candidate meeting the margin, in index order", () => {
    const r = record([
      ["six", 6],
      ["nine", 9],
      ["eight-half", 8.5],
      ["three (flagged)", 3, "rep"],
      ["nine again", 9],
      ["eight", 8],
    ]);
    expect(toDpoRows(r, { pairs: "best-vs-rest", withMeta: true })).toEqual({
      rows: [
        pair(["nine", 9, 1], ["six", 6, 0]),
        pair(["nine", 9, 1], ["three (flagged)", 3, 3]),
        pair(["nine", 9, 1], ["eight", 8, 5]),
      ],
      skips: [],
      // nine vs eight-half (0.5); nine vs nine again is equal, never a pair
      droppedPairs: 1,
    });
  });

  it("chooses the best choosable candidate when the top score is flagged", () => {
    const r = record([
      ["loop", 10, "rep"],
      ["eight", 8],
      ["five", 5],
    ]);
    expect(toDpoRows(r, { pairs: "best-vs-rest", withMeta: true }).rows).toEqual([pair(["eight", 8, 1], ["five", 5, 2])]);
  });
});

describe("toDpoRows all", () => {
  const r = record([
    ["six", 6],
    ["nine", 9],
    ["eight", 8],
    ["three (flagged)", 3, "rep"],
    ["nine again", 9],
  ]);

  it("gives every ordered pair, chosen best first (tie → lower index), rejected in index order", () => {
    expect(toDpoRows(r, { pairs: "all", withMeta: true })).toEqual({
      rows: [
        pair(["nine", 9, 1], ["six", 6, 0]),
        pair(["nine", 9, 1], ["eight", 8, 2]),
        pair(["nine", 9, 1], ["three (flagged)", 3, 3]),
        pair(["nine again", 9, 4], ["six", 6, 0]),
        pair(["nine again", 9, 4], ["eight", 8, 2]),
        pair(["nine again", 9, 4], ["three (flagged)", 3, 3]),
        pair(["eight", 8, 2], ["six", 6, 0]),
        pair(["eight", 8, 2], ["three (flagged)", 3, 3]),
        pair(["six", 6, 0], ["three (flagged)", 3, 3]),
      ],
      skips: [],
      droppedPairs: 0,
    });
  });

  it("drops the pairs below the margin and counts them", () => {
    expect(toDpoRows(r, { pairs: "all", minMargin: 2.5, withMeta: true })).toEqual({
      rows: [
        pair(["nine", 9, 1], ["six", 6, 0]),
        pair(["nine", 9, 1], ["three (flagged)", 3, 3]),
        pair(["nine again", 9, 4], ["six", 6, 0]),
        pair(["nine again", 9, 4], ["three (flagged)", 3, 3]),
        pair(["eight", 8, 2], ["three (flagged)", 3, 3]),
        pair(["six", 6, 0], ["three (flagged)", 3, 3]),
      ],
      skips: [],
      // 9 vs 8 (twice) and 8 vs 6
      droppedPairs: 3,
    });
  });

  it("counts dropped pairs of a record skipped for the margin", () => {
    const close = record([
      ["a", 5],
      ["b", 4.5],
      ["c", 4],
    ]);
    expect(toDpoRows(close, { pairs: "all", minMargin: 2 })).toEqual({
      rows: [],
      skips: [{ lang: "ja", reason: "margin" }],
      droppedPairs: 3,
    });
  });
});

describe("toDpoRows skip reasons", () => {
  const two: Resp[] = [
    ["good", 8],
    ["bad", 2],
  ];
  it.each<[string, ReturnType<typeof record>, DpoOptions, string]>([
    ["annotations missing", record(two, { synthesized_response_scoring_annotations: undefined }), {}, "no-valid-score"],
    ["annotations null", record(two, { synthesized_response_scoring_annotations: null }), {}, "no-valid-score"],
    [
      "annotations of another length",
      record(two, { synthesized_response_scoring_annotations: [{ preference_score: 8 }] }),
      {},
      "no-valid-score",
    ],
    ["every score -1", record([["a", -1], ["b", -1], ["c", -1]]), {}, "no-valid-score"],
    ["whitespace-only responses", record([[" ", 9], ["\n\n", 3]]), {}, "no-valid-score"],
    ["only one usable candidate", record([["good", 8], ["unscored", -1], ["  ", 2]]), {}, "too-few-candidates"],
    ["a single candidate", record([["only", 9]]), {}, "too-few-candidates"],
    ["every usable candidate flagged", record([["a", 9, "rep"], ["b", 2, "rep"]]), {}, "repetition"],
    ["responses absent", record([], { synthesized_assistant_responses: undefined }), {}, "no-candidates"],
    ["responses null", record([], { synthesized_assistant_responses: null }), {}, "no-candidates"],
    ["responses []", record([]), {}, "no-candidates"],
    ["empty instruction flag", record(two, { empty_user_instruction_ja: true }), {}, "empty-instruction"],
    ["blank translation", record(two, { translated_conversation: [{ role: "user", content: " " }] }), {}, "empty-instruction"],
    ["duplicate instruction", record(two, { duplicate_user_instruction_ja: "ffff" }), {}, "duplicate-instruction"],
    ["PII with excludePii", record(two, { redacted: true }), { excludePii: true }, "pii"],
    ["template with excludeTemplate", record(two, { is_template_instruction: "company introduction" }), { excludeTemplate: true }, "template"],
  ])("%s → %s", (_name, r, options, reason) => {
    expect(toDpoRows(r, options)).toEqual({ rows: [], skips: [{ lang: "ja", reason }], droppedPairs: 0 });
  });

  it("keeps PII and template records unless asked to exclude them", () => {
    const r = record(two, { redacted: true, is_template_instruction: "company introduction" });
    expect(toDpoRows(r, meta).rows).toEqual([pair(["good", 8, 0], ["bad", 2, 1])]);
  });
});

describe("toDpoRows lang", () => {
  const r = record(
    [
      ["良い", 9],
      ["悪い", 1],
    ],
    english([
      ["Tokyo.", 8],
      ["Osaka.", 2],
    ]),
  );

  it("both: the record's Japanese pairs, then its English pairs", () => {
    expect(toDpoRows(r, { lang: "both", withMeta: true })).toEqual({
      rows: [pair(["良い", 9, 0], ["悪い", 1, 1]), pair(["Tokyo.", 8, 0], ["Osaka.", 2, 1], "en")],
      skips: [],
      droppedPairs: 0,
    });
  });

  it("en: only English pairs, prompt from conversation[0]", () => {
    expect(toDpoRows(r, { lang: "en", withMeta: true }).rows).toEqual([pair(["Tokyo.", 8, 0], ["Osaka.", 2, 1], "en")]);
  });

  it("both: each language is skipped on its own (the published English side has one response)", () => {
    const dup = record(
      [
        ["良い", 9],
        ["悪い", 1],
      ],
      { duplicate_user_instruction_ja: "ffff", ...english([["Tokyo.", 8]]) },
    );
    expect(toDpoRows(dup, { lang: "both" })).toEqual({
      rows: [],
      skips: [
        { lang: "ja", reason: "duplicate-instruction" },
        { lang: "en", reason: "too-few-candidates" },
      ],
      droppedPairs: 0,
    });
    const enOnly = record([], { duplicate_user_instruction_ja: "ffff", ...english([["Tokyo.", 8], ["Osaka.", 2]]) });
    expect(toDpoRows(enOnly, { lang: "both", withMeta: true })).toEqual({
      rows: [pair(["Tokyo.", 8, 0], ["Osaka.", 2, 1], "en")],
      skips: [{ lang: "ja", reason: "duplicate-instruction" }],
      droppedPairs: 0,
    });
  });
});

describe("toDpoRows maxTokens with countTokens", () => {
  // A stand-in for a tokenizer over the template text: one token per character of the contents.
  const countTokens = (messages: readonly { content: string }[]) => messages.reduce((n, m) => n + [...m.content].length, 0);
  const r = record([
    ["短い", 9],
    ["とても長い回答です", 2],
    ["中くらい", 5],
  ]);

  it("drops a pair whose prompt with its longer answer exceeds the limit, counting length when none is left", () => {
    // The prompt is 12 characters: with 短い 14, with とても長い回答です 21, with 中くらい 16.
    expect(toDpoRows(r, { pairs: "best-vs-rest", countTokens, maxTokens: 20 }).rows.map((p) => p.rejected[0]!.content)).toEqual(["中くらい"]);
    expect(toDpoRows(r, { pairs: "best-vs-rest", countTokens, maxTokens: 21 }).rows.map((p) => p.rejected[0]!.content)).toEqual(["とても長い回答です", "中くらい"]);
    expect(toDpoRows(r, { countTokens, maxTokens: 15 })).toEqual({ rows: [], skips: [{ lang: "ja", reason: "length" }], droppedPairs: 0 });
  });

  it("ignores maxTokens without countTokens (no response length covers a pair)", () => {
    expect(toDpoRows(r, { maxTokens: 1 }).rows).toHaveLength(1);
  });
});
