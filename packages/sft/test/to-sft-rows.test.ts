import { describe, it, expect } from "vitest";
import type { Lang, MergedRecord, SftRow, SkipReason } from "@lmsynth/schema";
import { langsOf } from "@lmsynth/candidates";
import { toSftRows, type SftOptions, type SftResult } from "../src/index.js";
import { UNICODE_A1, UNICODE_BEST, UNICODE_Q, en, enA, enQ, idOf, ja, jaQ, loadCases, meta, plain } from "../../candidates/test/fixture-records.js";

const LLAMA = loadCases("llama3.1");
const GEMMA2 = loadCases("gemma2");
const GEMMA3 = loadCases("gemma3");

function rec(cases: Map<string, MergedRecord>, name: string): MergedRecord {
  const r = cases.get(name);
  if (!r) throw new Error(`no fixture case ${name}`);
  return r;
}

/** A fixture record with fields replaced; `undefined` deletes a field. */
function edit(name: string, over: Record<string, unknown>): MergedRecord {
  const r: Record<string, unknown> = { ...rec(LLAMA, name) };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete r[k];
    else r[k] = v;
  }
  return r as MergedRecord;
}

const rows = (...list: SftRow[]): SftResult => ({ rows: list, skips: [] });
const skipped = (...list: Array<[Lang, SkipReason]>): SftResult => ({ rows: [], skips: list.map(([lang, reason]) => ({ lang, reason })) });

// Written out in full once: every character, including U+3000, CRLF, astral ones and edge spaces.
describe("fixtures", () => {
  it("ids are md5 of the case name", () => {
    expect(rec(LLAMA, "basic").conversation_id).toBe("f17aaabc20bfe045075927934fed52d2");
    expect(idOf("basic")).toBe("f17aaabc20bfe045075927934fed52d2");
  });
});

describe("toSftRows --select best (default), lang ja", () => {
  const BEST: Array<[string, SftResult]> = [
    ["basic", rows(ja("basic", 1, 8))], // 8 at index 1 and 4: the lower index wins
    ["tie-worst", rows(ja("tie-worst", 0, 9))],
    ["score-forms", rows(ja("score-forms", 0, 8))], // 8.0 at 0 ties 8 at 1; -1 and -1.0 are unusable
    ["all-minus-one", skipped(["ja", "no-valid-score"])],
    ["repetition-best", rows(ja("repetition-best", 2, 8))], // the 9 is repetition-flagged
    ["all-repetition", skipped(["ja", "repetition"])],
    ["responses-absent", skipped(["ja", "no-candidates"])],
    ["responses-null", skipped(["ja", "no-candidates"])],
    ["responses-empty", skipped(["ja", "no-candidates"])],
    ["duplicate", skipped(["ja", "duplicate-instruction"])],
    ["empty", skipped(["ja", "empty-instruction"])],
    ["template", rows(ja("template", 1, 6))],
    ["redacted", rows(ja("redacted", 0, 7))],
    ["annotations-wrong-length", skipped(["ja", "no-valid-score"])],
    ["whitespace-response", rows(ja("whitespace-response", 1, 7))], // the 9 is " \n\u3000\t": not usable
    ["unicode", rows(UNICODE_BEST)],
    ["extra-fields", rows(meta("extra-fields", "ja", jaQ("extra-fields"), "考えた回答B", 1, 6))],
    ["en-missing", rows(ja("en-missing", 1, 7))],
    ["first-blank", rows(ja("first-blank", 1, 8))],
    ["low-scores", rows(ja("low-scores", 1, 4))],
    ["single-usable", rows(ja("single-usable", 1, 6))],
    ["all-equal", rows(ja("all-equal", 0, 7))],
  ];

  it("the table covers every llama3.1 edge case", () => {
    expect(BEST.map(([name]) => name)).toEqual([...LLAMA.keys()]);
  });

  it.each(BEST)("%s", (name, expected) => {
    expect(toSftRows(rec(LLAMA, name), { withMeta: true })).toStrictEqual(expected);
  });

  it("without --with-meta a row is conversation_id and messages only", () => {
    expect(toSftRows(rec(LLAMA, "basic"))).toStrictEqual({
      rows: [
        {
          conversation_id: "f17aaabc20bfe045075927934fed52d2",
          messages: [
            { role: "user", content: "質問（basic）：東京のおすすめの観光地を教えてください。" },
            { role: "assistant", content: "回答1（basic）：浅草寺がおすすめです。" },
          ],
        },
      ],
      skips: [],
    });
  });

  it("copies contents byte for byte: never trimmed, CRLF, U+3000 and astral characters kept", () => {
    const [row] = toSftRows(rec(LLAMA, "unicode")).rows;
    expect(row!.messages[0]!.content).toBe(UNICODE_Q);
    expect(row!.messages[1]!.content).toBe(UNICODE_A1);
    expect(Buffer.from(row!.messages[1]!.content, "utf8").toString("hex")).toBe(
      "2020e58588e9a0ade381a8e69cabe5b0bee381abe7a9bae799bde38080" + "0d0a" + "43524c46e381aee8a18c" + "f09f9880" + "f0a0aeb7" + "0a2020",
    );
  });

  it("ignores unknown fields: _case, gpt_oss_subset, thoughts, judge_model", () => {
    const r = rec(LLAMA, "extra-fields") as MergedRecord & Record<string, unknown>;
    expect(r._case).toBe("extra-fields");
    expect(r.gpt_oss_subset).toBe(true);
    expect(toSftRows(r)).toStrictEqual(rows(plain("extra-fields", jaQ("extra-fields"), "考えた回答B")));
  });
});

describe("toSftRows --select all", () => {
  it.each<[string, SftOptions, SftResult]>([
    ["basic", {}, rows(ja("basic", 0, 6), ja("basic", 1, 8), ja("basic", 2, 7), ja("basic", 3, 5), ja("basic", 4, 8), ja("basic", 5, 3))],
    ["score-forms", {}, rows(ja("score-forms", 0, 8), ja("score-forms", 1, 8), ja("score-forms", 3, 7.5), ja("score-forms", 5, 6))],
    ["repetition-best", {}, rows(...[1, 2, 3, 4, 5].map((i) => ja("repetition-best", i, [9, 7, 8, 6, 5, 4][i]!)))],
    ["repetition-best", { keepRepetition: true }, rows(...[0, 1, 2, 3, 4, 5].map((i) => ja("repetition-best", i, [9, 7, 8, 6, 5, 4][i]!)))],
    ["all-repetition", {}, skipped(["ja", "repetition"])],
    ["all-repetition", { keepRepetition: true }, rows(ja("all-repetition", 0, 9), ja("all-repetition", 1, 7))],
    ["whitespace-response", {}, rows(ja("whitespace-response", 1, 7), ja("whitespace-response", 2, 5))],
    ["single-usable", {}, rows(ja("single-usable", 1, 6))],
    ["all-minus-one", {}, skipped(["ja", "no-valid-score"])],
    ["annotations-wrong-length", {}, skipped(["ja", "no-valid-score"])],
    ["extra-fields", {}, rows(meta("extra-fields", "ja", jaQ("extra-fields"), "考えた回答A", 0, 4), meta("extra-fields", "ja", jaQ("extra-fields"), "考えた回答B", 1, 6))],
    [
      "unicode",
      {},
      rows(
        meta("unicode", "ja", UNICODE_Q, "普通の回答。", 0, 5),
        meta("unicode", "ja", UNICODE_Q, UNICODE_A1, 1, 9),
        meta("unicode", "ja", UNICODE_Q, "三番目", 2, 4),
      ),
    ],
  ])("%s %j: every choosable response in index order", (name, options, expected) => {
    expect(toSftRows(rec(LLAMA, name), { select: "all", withMeta: true, ...options })).toStrictEqual(expected);
  });

  it("gemma3 ten-with-gaps: the -1 ones are left out", () => {
    const scores = [5, -1, 6, -1, 4, 6, 2, 2, 1, 6];
    expect(toSftRows(rec(GEMMA3, "ten-with-gaps"), { select: "all", withMeta: true })).toStrictEqual(
      rows(...[0, 2, 4, 5, 6, 7, 8, 9].map((i) => ja("ten-with-gaps", i, scores[i]!))),
    );
  });
});

describe("toSftRows --select first", () => {
  it.each<[string, SftOptions, SftResult]>([
    ["basic", {}, rows(ja("basic", 0, 6))],
    ["basic", { minScore: 10 }, rows(ja("basic", 0, 6))], // min-score is ignored
    ["all-minus-one", {}, rows(ja("all-minus-one", 0, -1))], // scores are not read; meta copies the -1
    ["annotations-wrong-length", {}, rows(ja("annotations-wrong-length", 0, null))], // no scores: score null
    ["all-repetition", {}, rows(ja("all-repetition", 0, 9))], // the flag is not read either
    ["unicode", {}, rows(meta("unicode", "ja", UNICODE_Q, "普通の回答。", 0, 5))],
    ["whitespace-response", {}, skipped(["ja", "no-candidates"])], // " \n\u3000\t" is blank
    ["first-blank", {}, skipped(["ja", "no-candidates"])],
    ["responses-empty", {}, skipped(["ja", "no-candidates"])],
    ["responses-null", {}, skipped(["ja", "no-candidates"])],
    ["duplicate", {}, skipped(["ja", "duplicate-instruction"])],
    ["empty", {}, skipped(["ja", "empty-instruction"])],
  ])("%s %j", (name, options, expected) => {
    expect(toSftRows(rec(LLAMA, name), { select: "first", withMeta: true, ...options })).toStrictEqual(expected);
  });
});

describe("toSftRows --select top-k", () => {
  it.each<[Map<string, MergedRecord>, string, number, SftResult]>([
    [LLAMA, "basic", 2, rows(ja("basic", 1, 8), ja("basic", 4, 8))],
    [LLAMA, "low-scores", 2, rows(ja("low-scores", 1, 4), ja("low-scores", 0, 3))], // best first, not index order
    [LLAMA, "low-scores", 10, rows(ja("low-scores", 1, 4), ja("low-scores", 0, 3), ja("low-scores", 2, 2))],
    [LLAMA, "tie-worst", 2, rows(ja("tie-worst", 0, 9), ja("tie-worst", 4, 7))],
    [LLAMA, "repetition-best", 2, rows(ja("repetition-best", 2, 8), ja("repetition-best", 1, 7))],
    [LLAMA, "score-forms", 2, rows(ja("score-forms", 0, 8), ja("score-forms", 1, 8))],
    [LLAMA, "single-usable", 2, rows(ja("single-usable", 1, 6))],
    [LLAMA, "all-equal", 2, rows(ja("all-equal", 0, 7), ja("all-equal", 1, 7))],
    [LLAMA, "all-minus-one", 2, skipped(["ja", "no-valid-score"])],
    [GEMMA3, "ten-responses", 2, rows(ja("ten-responses", 2, 9), ja("ten-responses", 4, 9))],
    [GEMMA3, "ten-responses", 3, rows(ja("ten-responses", 2, 9), ja("ten-responses", 4, 9), ja("ten-responses", 6, 8))],
    [GEMMA3, "ten-with-gaps", 2, rows(ja("ten-with-gaps", 2, 6), ja("ten-with-gaps", 5, 6))],
    [GEMMA3, "g3-duplicate", 2, skipped(["ja", "duplicate-instruction"])],
  ])("%#: %s k=%i → best first, ties lowest index first", (cases, name, k, expected) => {
    expect(toSftRows(rec(cases, name), { select: "top-k", k, withMeta: true })).toStrictEqual(expected);
  });

  it("gemma3 best of 10: the first of two 9s", () => {
    expect(toSftRows(rec(GEMMA3, "ten-responses"), { withMeta: true })).toStrictEqual(rows(ja("ten-responses", 2, 9)));
    expect(toSftRows(rec(GEMMA3, "ten-with-gaps"), { withMeta: true })).toStrictEqual(rows(ja("ten-with-gaps", 2, 6)));
  });
});

describe("toSftRows --min-score", () => {
  it.each<[string, SftOptions, SftResult]>([
    ["low-scores", { minScore: 5 }, skipped(["ja", "below-min-score"])],
    ["low-scores", { minScore: 4 }, rows(ja("low-scores", 1, 4))], // inclusive
    ["basic", { minScore: 8 }, rows(ja("basic", 1, 8))],
    ["basic", { select: "all", minScore: 7 }, rows(ja("basic", 1, 8), ja("basic", 2, 7), ja("basic", 4, 8))],
    ["score-forms", { select: "all", minScore: 7.5 }, rows(ja("score-forms", 0, 8), ja("score-forms", 1, 8), ja("score-forms", 3, 7.5))],
    ["low-scores", { select: "top-k", k: 2, minScore: 3 }, rows(ja("low-scores", 1, 4), ja("low-scores", 0, 3))],
    ["low-scores", { select: "top-k", k: 2, minScore: 5 }, skipped(["ja", "below-min-score"])],
    // Selection reasons in order: no-valid-score, repetition, then below-min-score.
    ["all-minus-one", { minScore: 0 }, skipped(["ja", "no-valid-score"])],
    ["all-repetition", { minScore: 10 }, skipped(["ja", "repetition"])],
    ["repetition-best", { minScore: 9 }, skipped(["ja", "below-min-score"])], // only the flagged 9 reaches 9
    ["repetition-best", { minScore: 9, keepRepetition: true }, rows(ja("repetition-best", 0, 9))],
    ["basic", { select: "first", minScore: 10 }, rows(ja("basic", 0, 6))],
  ])("%s %j", (name, options, expected) => {
    expect(toSftRows(rec(LLAMA, name), { withMeta: true, ...options })).toStrictEqual(expected);
  });
});

describe("toSftRows --keep-repetition", () => {
  it.each<[string, SftResult]>([
    ["repetition-best", rows(ja("repetition-best", 0, 9))],
    ["all-repetition", rows(ja("all-repetition", 0, 9))],
    ["basic", rows(ja("basic", 1, 8))],
  ])("%s", (name, expected) => {
    expect(toSftRows(rec(LLAMA, name), { keepRepetition: true, withMeta: true })).toStrictEqual(expected);
  });
});

describe("toSftRows --exclude-pii / --exclude-template (lang both)", () => {
  const redactedEn = meta("redacted", "en", "Hi, I am NAME_1.", enA("redacted"), 0, 8);
  it.each<[string, SftOptions, SftResult]>([
    ["redacted", { excludePii: true }, skipped(["ja", "pii"], ["en", "pii"])],
    ["redacted", {}, rows(ja("redacted", 0, 7), redactedEn)],
    ["redacted", { excludeTemplate: true }, rows(ja("redacted", 0, 7), redactedEn)],
    ["template", { excludeTemplate: true }, skipped(["ja", "template"], ["en", "template"])],
    ["template", {}, rows(ja("template", 1, 6), en("template"))],
    ["template", { excludePii: true }, rows(ja("template", 1, 6), en("template"))],
    ["basic", { excludePii: true, excludeTemplate: true }, rows(ja("basic", 1, 8), en("basic"))],
  ])("%s %j", (name, options, expected) => {
    expect(toSftRows(rec(LLAMA, name), { lang: "both", withMeta: true, ...options })).toStrictEqual(expected);
  });
});

describe("skip reasons: the first that applies, in the decided order", () => {
  const all: SftOptions = { excludePii: true, excludeTemplate: true, withMeta: true };
  const noJa = { synthesized_assistant_responses: [], synthesized_response_scoring_annotations: [] };
  const noEn = { synthesized_assistant_responses_en: [], synthesized_response_scoring_annotations_en: [] };
  const everything = { empty_user_instruction_ja: true, duplicate_user_instruction_ja: idOf("basic"), redacted: true, is_template_instruction: "company introduction", ...noJa };
  it.each<[string, MergedRecord, SftOptions, SftResult]>([
    ["empty flag before everything", edit("basic", everything), all, skipped(["ja", "empty-instruction"])],
    ["empty flag with a translation present", edit("basic", { empty_user_instruction_ja: true }), {}, skipped(["ja", "empty-instruction"])],
    ["blank user turn (U+3000, CRLF)", edit("basic", { translated_conversation: [{ role: "user", content: "\u3000 \r\n" }] }), {}, skipped(["ja", "empty-instruction"])],
    ["translation absent", edit("basic", { translated_conversation: undefined }), {}, skipped(["ja", "empty-instruction"])],
    ["translation null", edit("basic", { translated_conversation: null }), {}, skipped(["ja", "empty-instruction"])],
    ["translation []", edit("basic", { translated_conversation: [] }), {}, skipped(["ja", "empty-instruction"])],
    ["duplicate before pii", edit("basic", { ...everything, empty_user_instruction_ja: false }), all, skipped(["ja", "duplicate-instruction"])],
    ["pii before template", edit("basic", { redacted: true, is_template_instruction: "x", ...noJa }), all, skipped(["ja", "pii"])],
    // No LMSYS record, so no `redacted`: a PII filter that cannot be applied lets nothing through.
    ["pii-unknown when redacted is absent", edit("basic", { redacted: undefined, is_template_instruction: "x" }), all, skipped(["ja", "pii-unknown"])],
    ["pii-unknown when redacted is null", edit("basic", { redacted: null }), all, skipped(["ja", "pii-unknown"])],
    ["an unknown redacted is no skip without --exclude-pii", edit("basic", { redacted: undefined }), { withMeta: true }, rows(ja("basic", 1, 8))],
    ["template before no-candidates", edit("basic", { is_template_instruction: "x", ...noJa }), all, skipped(["ja", "template"])],
    ["no-candidates before selection", edit("basic", noJa), all, skipped(["ja", "no-candidates"])],
    // English: the ja-only flags do not apply; the English user turn is checked instead.
    ["en ignores the ja empty and duplicate flags", edit("basic", everything), { lang: "en", withMeta: true }, rows(en("basic"))],
    ["en blank user turn", edit("basic", { conversation: [{ role: "user", content: " " }] }), { ...all, lang: "en" }, skipped(["en", "empty-instruction"])],
    ["en pii before template", edit("basic", { redacted: true, is_template_instruction: "x", ...noEn }), { ...all, lang: "en" }, skipped(["en", "pii"])],
    ["en no-candidates", edit("basic", noEn), { lang: "en" }, skipped(["en", "no-candidates"])],
  ])("%s", (_, record, options, expected) => {
    expect(toSftRows(record, options)).toStrictEqual(expected);
  });
});

describe("toSftRows --lang", () => {
  it.each([...LLAMA.keys()].filter((n) => n !== "en-missing" && n !== "redacted"))("en: %s gives its English row", (name) => {
    expect(toSftRows(rec(LLAMA, name), { lang: "en", withMeta: true })).toStrictEqual(rows(en(name)));
  });

  it.each<[MergedRecord, SftResult]>([
    [rec(LLAMA, "en-missing"), skipped(["en", "no-candidates"])],
    [rec(LLAMA, "redacted"), rows(meta("redacted", "en", "Hi, I am NAME_1.", enA("redacted"), 0, 8))],
    [rec(GEMMA3, "ten-responses"), skipped(["en", "no-candidates"])],
  ])("en: %#", (record, expected) => {
    expect(toSftRows(record, { lang: "en", withMeta: true })).toStrictEqual(expected);
  });

  it("en without meta", () => {
    expect(toSftRows(rec(LLAMA, "basic"), { lang: "en" })).toStrictEqual(rows(plain("basic", enQ("basic"), enA("basic"))));
  });

  it.each<[string, SftResult]>([
    ["basic", rows(ja("basic", 1, 8), en("basic"))],
    ["all-minus-one", { rows: [en("all-minus-one")], skips: [{ lang: "ja", reason: "no-valid-score" }] }],
    ["duplicate", { rows: [en("duplicate")], skips: [{ lang: "ja", reason: "duplicate-instruction" }] }],
    ["empty", { rows: [en("empty")], skips: [{ lang: "ja", reason: "empty-instruction" }] }],
    ["en-missing", { rows: [ja("en-missing", 1, 7)], skips: [{ lang: "en", reason: "no-candidates" }] }],
  ])("both: %s gives its ja rows, then its en rows", (name, expected) => {
    expect(toSftRows(rec(LLAMA, name), { lang: "both", withMeta: true })).toStrictEqual(expected);
  });

  it("both with select all: all ja rows come before the en row", () => {
    const result = toSftRows(rec(LLAMA, "whitespace-response"), { lang: "both", select: "all", withMeta: true });
    expect(result).toStrictEqual(rows(ja("whitespace-response", 1, 7), ja("whitespace-response", 2, 5), en("whitespace-response")));
  });

  it.each<[SftOptions["lang"], string[]]>([
    [undefined, ["ja"]],
    ["ja", ["ja"]],
    ["en", ["en"]],
    ["both", ["ja", "en"]],
  ])("langsOf(%s)", (lang, expected) => {
    expect(langsOf(lang)).toEqual(expected);
  });
});

describe("toSftRows --multiturn (Gemma-2, ja rows only)", () => {
  const Q = (name: string) => ({ role: "user", content: jaQ(name) });
  const A = (content: string) => ({ role: "assistant", content });
  const mt = (name: string, ...messages: Array<{ role: string; content: string }>): SftRow => ({
    conversation_id: idOf(name),
    messages,
    lang: "ja",
    response_index: null,
    score: null,
  });
  const MULTITURN: Array<[string, SftOptions, SftResult]> = [
    [
      "mt-nested-two-turns",
      {},
      rows(mt("mt-nested-two-turns", Q("mt-nested-two-turns"), A("浅草寺です。"), { role: "user", content: "行き方は？" }, A("銀座線で浅草駅へ。\r\n徒歩5分。"))),
    ],
    ["mt-flat-single", {}, rows(mt("mt-flat-single", Q("mt-flat-single"), A("スカイツリーです。")))],
    [
      "mt-starts-with-assistant", // the Japanese instruction is put in front
      {},
      rows(mt("mt-starts-with-assistant", Q("mt-starts-with-assistant"), A("明治神宮です。"), { role: "user", content: "混んでいますか？" }, A("朝は空いています。"))),
    ],
    ["mt-absent", {}, skipped(["ja", "no-candidates"])],
    ["mt-null", {}, skipped(["ja", "no-candidates"])],
    ["mt-template", {}, rows(mt("mt-template", Q("mt-template"), A("会社紹介です。")))],
    ["mt-template", { excludeTemplate: true }, skipped(["ja", "template"])],
  ];

  it("the table covers every gemma2 edge case", () => {
    expect([...new Set(MULTITURN.map(([name]) => name))]).toEqual([...GEMMA2.keys()]);
  });

  it.each(MULTITURN)("%s %j", (name, options, expected) => {
    expect(toSftRows(rec(GEMMA2, name), { multiturn: true, withMeta: true, ...options })).toStrictEqual(expected);
  });

  it("lang both: the multi-turn ja row, then the single-turn en row", () => {
    expect(toSftRows(rec(GEMMA2, "mt-flat-single"), { multiturn: true, lang: "both", withMeta: true })).toStrictEqual(
      rows(mt("mt-flat-single", Q("mt-flat-single"), A("スカイツリーです。")), en("mt-flat-single")),
    );
    expect(toSftRows(rec(GEMMA2, "mt-null"), { multiturn: true, lang: "both", withMeta: true })).toStrictEqual({
      rows: [en("mt-null")],
      skips: [{ lang: "ja", reason: "no-candidates" }],
    });
  });

  it("lang en ignores --multiturn", () => {
    expect(toSftRows(rec(GEMMA2, "mt-nested-two-turns"), { multiturn: true, lang: "en", withMeta: true })).toStrictEqual(rows(en("mt-nested-two-turns")));
  });

  it("without --multiturn a gemma2 record gives its best single turn", () => {
    expect(toSftRows(rec(GEMMA2, "mt-nested-two-turns"), { withMeta: true })).toStrictEqual(rows(ja("mt-nested-two-turns", 1, 9)));
  });

  it("without meta, and with --system first", () => {
    expect(toSftRows(rec(GEMMA2, "mt-flat-single"), { multiturn: true, system: "S" })).toStrictEqual(
      rows({ conversation_id: idOf("mt-flat-single"), messages: [{ role: "system", content: "S" }, Q("mt-flat-single"), A("スカイツリーです。")] }),
    );
  });

  it.each<[string, MergedRecord, SftOptions, SftResult]>([
    ["llama record: no multi-turn field", rec(LLAMA, "basic"), {}, skipped(["ja", "no-candidates"])],
    ["duplicate", rec(LLAMA, "duplicate"), {}, skipped(["ja", "duplicate-instruction"])],
    ["empty", rec(LLAMA, "empty"), {}, skipped(["ja", "empty-instruction"])],
    ["pii", { ...rec(GEMMA2, "mt-flat-single"), redacted: true }, { excludePii: true }, skipped(["ja", "pii"])],
    [
      "max-chars 71 keeps 4 turns of 44+6+5+16 characters",
      rec(GEMMA2, "mt-nested-two-turns"),
      { maxChars: 71 },
      rows(mt("mt-nested-two-turns", Q("mt-nested-two-turns"), A("浅草寺です。"), { role: "user", content: "行き方は？" }, A("銀座線で浅草駅へ。\r\n徒歩5分。"))),
    ],
    ["max-chars 70", rec(GEMMA2, "mt-nested-two-turns"), { maxChars: 70 }, skipped(["ja", "length"])],
    ["max-tokens does not apply", rec(GEMMA2, "mt-flat-single"), { maxTokens: 1 }, rows(mt("mt-flat-single", Q("mt-flat-single"), A("スカイツリーです。")))],
    ...(
      [
        ["ends with the user", [{ role: "assistant", content: "a" }, { role: "user", content: "q2" }]],
        ["repeats a role", [{ role: "user", content: "q" }, { role: "assistant", content: "a" }, { role: "assistant", content: "a2" }, { role: "user", content: "q2" }]],
        ["holds a system turn inside", [{ role: "user", content: "q" }, { role: "system", content: "s" }, { role: "user", content: "q2" }, { role: "assistant", content: "a2" }]],
        ["holds a tool turn", [{ role: "user", content: "q" }, { role: "assistant", content: "a" }, { role: "tool", content: "t" }, { role: "assistant", content: "a2" }]],
      ] as const
    ).map(([name, turns]): [string, MergedRecord, SftOptions, SftResult] => [
      `a conversation that ${name} is skipped as turn-order`,
      { ...rec(GEMMA2, "mt-flat-single"), synthesized_multiturn_conversation: [...turns] },
      {},
      skipped(["ja", "turn-order"]),
    ]),
  ])("%s", (_, record, options, expected) => {
    expect(toSftRows(record, { multiturn: true, withMeta: true, ...options })).toStrictEqual(expected);
  });
});

describe("toSftRows --system", () => {
  const SYS = "あなたは親切なアシスタントです。";
  it("puts the system message first, in every language", () => {
    expect(toSftRows(rec(LLAMA, "basic"), { system: SYS, lang: "both" })).toStrictEqual({
      rows: [
        {
          conversation_id: idOf("basic"),
          messages: [
            { role: "system", content: SYS },
            { role: "user", content: jaQ("basic") },
            { role: "assistant", content: "回答1（basic）：浅草寺がおすすめです。" },
          ],
        },
        {
          conversation_id: idOf("basic"),
          messages: [
            { role: "system", content: SYS },
            { role: "user", content: enQ("basic") },
            { role: "assistant", content: enA("basic") },
          ],
        },
      ],
      skips: [],
    });
  });

  it("copies the system text as given (spaces kept)", () => {
    expect(toSftRows(rec(LLAMA, "basic"), { system: " \u3000x\n" }).rows[0]!.messages[0]).toStrictEqual({ role: "system", content: " \u3000x\n" });
  });
});

describe("toSftRows --max-chars (code points of all messages) and --max-tokens", () => {
  // basic best: user 30 + assistant 22 code points. unicode: user 25 (27 UTF-16 units), responses 6, 24 (26), 3.
  it.each<[string, SftOptions, SftResult]>([
    ["basic", { maxChars: 52 }, rows(ja("basic", 1, 8))],
    ["basic", { maxChars: 51 }, skipped(["ja", "length"])],
    ["basic", { maxChars: 55, system: "sys" }, rows({ ...ja("basic", 1, 8), messages: [{ role: "system", content: "sys" }, ...ja("basic", 1, 8).messages] })],
    ["basic", { maxChars: 54, system: "sys" }, skipped(["ja", "length"])],
    ["unicode", { maxChars: 49 }, rows(UNICODE_BEST)], // 53 UTF-16 units: counted as 49 code points
    ["unicode", { maxChars: 48 }, skipped(["ja", "length"])], // no fall back to the next best
    ["unicode", { select: "all", maxChars: 48 }, rows(meta("unicode", "ja", UNICODE_Q, "普通の回答。", 0, 5), meta("unicode", "ja", UNICODE_Q, "三番目", 2, 4))],
    ["unicode", { select: "all", maxChars: 28 }, rows(meta("unicode", "ja", UNICODE_Q, "三番目", 2, 4))],
    ["unicode", { select: "all", maxChars: 27 }, skipped(["ja", "length"])],
    // response_token_length is 120 in every fixture annotation.
    ["basic", { maxTokens: 120 }, rows(ja("basic", 1, 8))],
    ["basic", { maxTokens: 119 }, skipped(["ja", "length"])],
    ["basic", { select: "all", maxTokens: 119 }, skipped(["ja", "length"])],
    ["annotations-wrong-length", { select: "first", maxTokens: 1 }, rows(ja("annotations-wrong-length", 0, null))], // token count unknown
    ["low-scores", { minScore: 5, maxChars: 1 }, skipped(["ja", "below-min-score"])], // below-min-score before length
  ])("%s %j", (name, options, expected) => {
    expect(toSftRows(rec(LLAMA, name), { withMeta: true, ...options })).toStrictEqual(expected);
  });

  it("lang both: the length limit skips each language on its own", () => {
    // en basic: 45 + 39 = 84 code points; ja basic: 52.
    expect(toSftRows(rec(LLAMA, "basic"), { lang: "both", maxChars: 60, withMeta: true })).toStrictEqual({
      rows: [ja("basic", 1, 8)],
      skips: [{ lang: "en", reason: "length" }],
    });
  });
});

describe("toSftRows singleEnglishAsIs (the swallow-v0.1 preset)", () => {
  const id = "0123456789abcdef0123456789abcdef";
  const record = (en: Array<[string | null, number | null]>, annotated = true): MergedRecord => ({
    conversation_id: id,
    conversation: [{ role: "user", content: "What is the capital of Japan?" }],
    translated_conversation: [{ role: "user", content: "日本の首都は？" }],
    synthesized_assistant_responses: [{ role: "assistant", content: "東京です。" }],
    synthesized_response_scoring_annotations: [{ preference_score: 9, judgement: "", repetition_flag: false, response_token_length: 3 }],
    synthesized_assistant_responses_en: en.map(([content]) => ({ role: "assistant", content })),
    ...(annotated ? { synthesized_response_scoring_annotations_en: en.map(([, s]) => ({ preference_score: s, judgement: "", repetition_flag: false, response_token_length: 3 })) } : {}),
  });
  const en = (content: string, score: number | null): SftRow => ({
    conversation_id: id,
    messages: [{ role: "user", content: "What is the capital of Japan?" }, { role: "assistant", content }],
    lang: "en",
    response_index: 0,
    score,
  });
  const o: SftOptions = { lang: "en", withMeta: true, singleEnglishAsIs: true };

  it("takes the single English response with score -1, or without annotations, and says so", () => {
    expect(toSftRows(record([["Tokyo.", -1]]), o)).toEqual({ rows: [en("Tokyo.", -1)], skips: [], unscored: ["en"] });
    expect(toSftRows(record([["Tokyo.", null]], false), o)).toEqual({ rows: [en("Tokyo.", null)], skips: [], unscored: ["en"] });
  });

  it("selects as usual when the score is usable, and never takes a blank or null response, two responses, or with minScore", () => {
    expect(toSftRows(record([["Tokyo.", 8]]), o)).toEqual({ rows: [en("Tokyo.", 8)], skips: [] });
    expect(toSftRows(record([[null, -1]]), o)).toEqual({ rows: [], skips: [{ lang: "en", reason: "no-valid-score" }] });
    expect(toSftRows(record([["  ", -1]]), o)).toEqual({ rows: [], skips: [{ lang: "en", reason: "no-valid-score" }] });
    expect(toSftRows(record([["A", -1], ["B", -1]]), o)).toEqual({ rows: [], skips: [{ lang: "en", reason: "no-valid-score" }] });
    expect(toSftRows(record([["Tokyo.", -1]]), { ...o, minScore: 5 })).toEqual({ rows: [], skips: [{ lang: "en", reason: "no-valid-score" }] });
    // Japanese rows never use the rule.
    const ja = { ...record([]), synthesized_response_scoring_annotations: [{ preference_score: -1, judgement: "", repetition_flag: false, response_token_length: 3 }] };
    expect(toSftRows(ja, { ...o, lang: "ja" })).toEqual({ rows: [], skips: [{ lang: "ja", reason: "no-valid-score" }] });
  });
});
