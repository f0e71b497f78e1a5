import { describe, it, expect } from "vitest";
import type { MergedRecord } from "@lmsynth/schema";
import { addRecord, addRecordStats, createDatasetStats, recordStats, type DatasetStats, type LanguageStats } from "../src/index.js";
import { english, fixtureRecords, record, type Resp } from "./records.js";

const LENGTHS = ["0-99", "100-199", "200-499", "500-999", "1000-1999", "2000-4999", "5000+"];

/** A histogram with every key of `keys`, zero unless given in `counts`. */
function hist(keys: readonly string[], counts: Record<string, number> = {}): Record<string, number> {
  return Object.fromEntries(keys.map((k) => [k, counts[k] ?? 0]));
}
const to = (from: number, last: number): string[] => Array.from({ length: last - from + 1 }, (_, i) => String(from + i));
const scores = (counts: Record<string, number> = {}) => hist(to(0, 10), counts);
const lengths = (counts: Record<string, number> = {}) => hist(LENGTHS, counts);
const keep = (counts: Record<string, number> = {}) => hist(to(1, 10), counts);

function statsOf(records: readonly MergedRecord[]): DatasetStats {
  const stats = createDatasetStats();
  for (const r of records) addRecord(stats, r);
  return stats;
}

describe("addRecord on test-fixtures/llama3.1/edge-cases.jsonl", () => {
  // Inspect-equivalent counts checked against `lmsynth inspect --json` before the refactor; lengths and
  // responses per instruction counted by hand from the case table of test-fixtures/generate.mjs.
  it("counts every record, flag, warning and histogram", () => {
    const en: LanguageStats = {
      records_with_responses: 21,
      responses: 21,
      responses_without_text: 0,
      responses_with_reasoning: 0,
      scored: 21,
      score_minus_one: 0,
      repetition_flagged: 0,
      selectable_records: 21,
      score_histogram: scores({ "8": 21 }),
      margin_histogram: scores(),
      pairs_at_min_margin: keep(),
      response_length_histogram: lengths({ "0-99": 21 }),
      instruction_length_histogram: lengths({ "0-99": 21 }),
      responses_per_instruction: scores({ "1": 21 }),
    };
    expect(statsOf(fixtureRecords("llama3.1/edge-cases.jsonl"))).toEqual({
      records: 22,
      flags: { duplicate_instruction: 1, empty_instruction: 1, template_instruction: 1, redacted: 1, multiturn: 0, multiturn_two_turns: 0 },
      langs: {
        ja: {
          records_with_responses: 17,
          responses: 63,
          responses_without_text: 0,
          responses_with_reasoning: 0,
          scored: 48,
          score_minus_one: 10,
          repetition_flagged: 3,
          selectable_records: 14,
          score_histogram: scores({ "2": 4, "3": 2, "4": 5, "5": 6, "6": 7, "7": 14, "8": 6, "9": 4 }),
          margin_histogram: scores({ "1": 2, "2": 4, "3": 1, "4": 1, "5": 2, "7": 1 }),
          pairs_at_min_margin: keep({ "1": 11, "2": 9, "3": 5, "4": 4, "5": 3, "6": 1, "7": 1 }),
          response_length_histogram: lengths({ "0-99": 63 }),
          instruction_length_histogram: lengths({ "0-99": 17 }),
          // responses-empty, duplicate and empty carry [] (3); responses-absent/-null carry nothing.
          responses_per_instruction: scores({ "0": 3, "2": 6, "3": 5, "6": 6 }),
        },
        en,
      },
      warnings: { annotation_length_mismatch: 1, responses_on_duplicate_or_empty: 0, score_out_of_range: 0 },
    });
  });

  it("keeps histogram keys in display order, zeros included", () => {
    const ja = statsOf(fixtureRecords("llama3.1/edge-cases.jsonl")).langs.ja!;
    expect(Object.keys(ja.score_histogram)).toEqual(to(0, 10));
    expect(Object.keys(ja.margin_histogram)).toEqual(to(0, 10));
    expect(Object.keys(ja.pairs_at_min_margin)).toEqual(to(1, 10));
    expect(Object.keys(ja.response_length_histogram)).toEqual(LENGTHS);
    expect(Object.keys(ja.instruction_length_histogram)).toEqual(LENGTHS);
    expect(Object.keys(ja.responses_per_instruction)).toEqual(to(0, 10));
  });
});

describe("addRecord on the other fixtures", () => {
  it("counts Gemma-2 multi-turn conversations and second user turns", () => {
    const stats = statsOf(fixtureRecords("gemma2/edge-cases.jsonl"));
    expect(stats.records).toBe(6);
    expect(stats.flags).toEqual({ duplicate_instruction: 0, empty_instruction: 0, template_instruction: 1, redacted: 0, multiturn: 4, multiturn_two_turns: 2 });
    expect(stats.langs.ja!.responses_per_instruction).toEqual(scores({ "2": 5, "3": 1 }));
  });

  // Counted independently of this code (Python over the decompressed sample; len() counts code points).
  it("counts the bundled sample test-fixtures/sample/llama3.1-sample.jsonl.gz", () => {
    const stats = statsOf(fixtureRecords("sample/llama3.1-sample.jsonl.gz"));
    expect(stats.records).toBe(300);
    expect(stats.flags).toEqual({ duplicate_instruction: 12, empty_instruction: 0, template_instruction: 25, redacted: 15, multiturn: 0, multiturn_two_turns: 0 });
    const { ja, en } = stats.langs;
    expect([ja!.records_with_responses, ja!.responses, ja!.scored, ja!.score_minus_one, ja!.repetition_flagged, ja!.selectable_records]).toEqual([272, 1608, 1540, 68, 34, 272]);
    expect(ja!.score_histogram).toEqual(scores({ "0": 116, "1": 137, "2": 151, "3": 125, "4": 138, "5": 117, "6": 159, "7": 148, "8": 157, "9": 160, "10": 132 }));
    expect(ja!.margin_histogram).toEqual(scores({ "2": 2, "3": 4, "4": 12, "5": 27, "6": 35, "7": 42, "8": 69, "9": 49, "10": 32 }));
    expect(ja!.pairs_at_min_margin).toEqual(keep({ "1": 272, "2": 272, "3": 270, "4": 266, "5": 254, "6": 227, "7": 192, "8": 150, "9": 81, "10": 32 }));
    expect(ja!.response_length_histogram).toEqual(lengths({ "0-99": 1434, "100-199": 174 }));
    expect(ja!.instruction_length_histogram).toEqual(lengths({ "0-99": 272 }));
    expect(ja!.responses_per_instruction).toEqual(scores({ "0": 28, "5": 24, "6": 248 }));
    expect(en!.response_length_histogram).toEqual(lengths({ "0-99": 300 }));
    expect(en!.instruction_length_histogram).toEqual(lengths({ "0-99": 300 }));
    expect(en!.responses_per_instruction).toEqual(scores({ "1": 300 }));
    expect(stats.warnings).toEqual({ annotation_length_mismatch: 0, responses_on_duplicate_or_empty: 0, score_out_of_range: 0 });
  });
});

describe("length buckets", () => {
  // Characters are code points: an emoji is 2 UTF-16 units but 1 character; a lone surrogate is 1.
  it.each([
    ["empty", "0-99", ""],
    ["99 ASCII", "0-99", "a".repeat(99)],
    ["100 ASCII", "100-199", "a".repeat(100)],
    ["99 emoji (198 UTF-16 units)", "0-99", "😀".repeat(99)],
    ["100 emoji", "100-199", "😀".repeat(100)],
    ["199 kana", "100-199", "あ".repeat(199)],
    ["200 ASCII", "200-499", "a".repeat(200)],
    ["499 = 1 emoji + 498", "200-499", "😀" + "a".repeat(498)],
    ["500 ASCII", "500-999", "a".repeat(500)],
    ["999 emoji", "500-999", "😀".repeat(999)],
    ["1000 ASCII", "1000-1999", "a".repeat(1000)],
    ["1999 ASCII", "1000-1999", "a".repeat(1999)],
    ["2000 ASCII", "2000-4999", "a".repeat(2000)],
    ["4999 lone surrogates", "2000-4999", "\uD800".repeat(4999)],
    ["5000 ASCII", "5000+", "a".repeat(5000)],
    ["50000 ASCII", "5000+", "a".repeat(50000)],
  ])("%s → %s", (_name, bucket, text) => {
    const stats = statsOf([record([[text, 5]], { translated_conversation: [{ role: "user", content: text }] })]);
    expect(stats.langs.ja!.response_length_histogram).toEqual(lengths({ [bucket]: 1 }));
    expect(stats.langs.ja!.instruction_length_histogram).toEqual(lengths({ [bucket]: 1 }));
  });
});

describe("per-record rules", () => {
  it("counts every response's length, usable or not, and puts 10 or more responses in bucket 10", () => {
    const twelve: Resp[] = Array.from({ length: 12 }, (_, i) => [i === 0 ? "  " : "a".repeat(150), i === 1 ? -1 : null]);
    const s = statsOf([record(twelve), record([]), record(null), record(null, english([["b", 3]]))]);
    expect(s.langs.ja!.responses_per_instruction).toEqual(scores({ "0": 1, "10": 1 }));
    expect(s.langs.ja!.response_length_histogram).toEqual(lengths({ "0-99": 1, "100-199": 11 }));
    // The instruction is counted once per record with responses, not for the empty list.
    expect(s.langs.ja!.instruction_length_histogram).toEqual(lengths({ "0-99": 1 }));
    expect([s.langs.ja!.records_with_responses, s.langs.ja!.responses, s.langs.ja!.scored, s.langs.ja!.score_minus_one]).toEqual([1, 12, 0, 1]);
    expect(s.langs.en!.responses_per_instruction).toEqual(scores({ "1": 1 }));
  });

  it("buckets margins by floor, (0, 1) in 0, above 10 in 10, and counts pairs kept per --min-margin", () => {
    const s = statsOf([
      record([["a", 7.5], ["b", 7]]), // 0.5: bucket 0, kept by no M ≥ 1
      record([["a", 9], ["b", 5.5]]), // 3.5: bucket 3, kept by M = 1…3
      record([["a", 15], ["b", 0]]), // 15 (out of range, still usable): bucket 10, kept by all
      record([["a", 6], ["b", 6]]), // 0: equal scores never pair
      record([["a", 8, "rep"], ["b", 2]]), // flagged best cannot be chosen; the rest is one candidate
    ]);
    expect(s.langs.ja!.margin_histogram).toEqual(scores({ "0": 1, "3": 1, "10": 1 }));
    expect(s.langs.ja!.pairs_at_min_margin).toEqual(keep({ "1": 2, "2": 2, "3": 2, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1, "10": 1 }));
    expect(s.warnings.score_out_of_range).toBe(1);
    // 15 is out of 0–10, so not in the score histogram: 9 scored of 10 responses.
    expect(s.langs.ja!.scored).toBe(9);
    expect(s.langs.ja!.score_histogram).toEqual(scores({ "0": 1, "2": 1, "5": 1, "6": 2, "7": 2, "8": 1, "9": 1 }));
    expect(s.langs.ja!.repetition_flagged).toBe(1);
  });
});

describe("recordStats + addRecordStats (across threads)", () => {
  it("gives the same statistics as addRecord after a structured clone, in the same key order", () => {
    const records = fixtureRecords("llama3.1/edge-cases.jsonl");
    const direct = statsOf(records);
    const viaClone = createDatasetStats();
    for (const r of records) addRecordStats(viaClone, structuredClone(recordStats(r)));
    expect(viaClone).toEqual(direct);
    expect(JSON.stringify(viaClone)).toBe(JSON.stringify(direct));
  });

  it("enters a language when a record first carries its lists, so en can come first", () => {
    const enOnly = record(null, english([["b", 3]]));
    const stats = statsOf([enOnly, record([["a", 5]])]);
    expect(Object.keys(stats.langs)).toEqual(["en", "ja"]);
    expect(Object.keys(statsOf([record(null)]).langs)).toEqual([]);
  });

  it("is a short list of numbers", () => {
    const counts = recordStats(record([["a", 5], ["b", 3]]));
    expect(counts.every((id) => Number.isInteger(id) && id >= 0)).toBe(true);
    expect(counts.length).toBeLessThan(40);
  });
});
