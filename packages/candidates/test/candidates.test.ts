import { describe, it, expect } from "vitest";
import type { MergedRecord } from "@lmsynth/schema";
import { isChoosable, isUsable, readCandidates, type Candidate } from "../src/index.js";
import { enA, enQ, jaA, jaQ, loadCases } from "./fixture-records.js";

const LLAMA = loadCases("llama3.1");
const GEMMA3 = loadCases("gemma3");
const rec = (cases: Map<string, MergedRecord>, name: string): MergedRecord => cases.get(name)!;

/** A candidate as read from a fixture: token length 120 in every annotation. */
const cand = (index: number, content: string, score: number | undefined, repetition = false): Candidate => ({
  index,
  content,
  score,
  repetition,
  tokens: score === undefined ? undefined : 120,
});

describe("readCandidates", () => {
  it("score-forms: 8.0 and 8 both read as 8, -1.0 as -1, 7.5 kept", () => {
    const name = "score-forms";
    expect(readCandidates(rec(LLAMA, name), "ja")).toStrictEqual({
      lang: "ja",
      instruction: jaQ(name),
      candidates: [8, 8, -1, 7.5, -1, 6].map((s, i) => cand(i, jaA(name, i), s)),
      scored: true,
    });
  });

  it("annotations-wrong-length: 3 responses, 2 annotations → unscored, no score, flag or tokens read", () => {
    const name = "annotations-wrong-length";
    expect(readCandidates(rec(LLAMA, name), "ja")).toStrictEqual({
      lang: "ja",
      instruction: jaQ(name),
      candidates: [0, 1, 2].map((i) => cand(i, jaA(name, i), undefined)),
      scored: false,
    });
  });

  it("repetition-best: the flag of annotation 0", () => {
    const name = "repetition-best";
    expect(readCandidates(rec(LLAMA, name), "ja").candidates).toStrictEqual(
      [9, 7, 8, 6, 5, 4].map((s, i) => cand(i, jaA(name, i), s, i === 0)),
    );
  });

  it.each(["responses-absent", "responses-null", "responses-empty"])("%s: no candidates, unscored", (name) => {
    expect(readCandidates(rec(LLAMA, name), "ja")).toStrictEqual({ lang: "ja", instruction: jaQ(name), candidates: [], scored: false });
  });

  it("en reads conversation[0] and the _en fields", () => {
    expect(readCandidates(rec(LLAMA, "basic"), "en")).toStrictEqual({
      lang: "en",
      instruction: enQ("basic"),
      candidates: [cand(0, enA("basic"), 8)],
      scored: true,
    });
  });

  it("gemma3 has no English candidates", () => {
    expect(readCandidates(rec(GEMMA3, "ten-responses"), "en")).toStrictEqual({
      lang: "en",
      instruction: enQ("ten-responses"),
      candidates: [],
      scored: false,
    });
  });

  it("empty: the blank translation is read as it is", () => {
    expect(readCandidates(rec(LLAMA, "empty"), "ja").instruction).toBe("");
  });

  it("extra-fields: unknown response and annotation fields are not copied", () => {
    expect(readCandidates(rec(LLAMA, "extra-fields"), "ja").candidates).toStrictEqual([cand(0, "考えた回答A", 4), cand(1, "考えた回答B", 6)]);
  });
});

describe("isUsable / isChoosable on the fixtures", () => {
  it.each<[string, boolean[], boolean[]]>([
    ["basic", [true, true, true, true, true, true], [true, true, true, true, true, true]],
    ["score-forms", [true, true, false, true, false, true], [true, true, false, true, false, true]],
    ["all-minus-one", [false, false, false, false, false, false], [false, false, false, false, false, false]],
    ["repetition-best", [true, true, true, true, true, true], [false, true, true, true, true, true]],
    ["all-repetition", [true, true], [false, false]],
    ["annotations-wrong-length", [false, false, false], [false, false, false]],
    ["whitespace-response", [false, true, true], [false, true, true]], // " \n\u3000\t" is blank
    ["first-blank", [false, true], [false, true]],
    ["single-usable", [false, true, false], [false, true, false]],
  ])("%s", (name, usable, choosable) => {
    const { candidates } = readCandidates(rec(LLAMA, name), "ja");
    expect(candidates.map((c) => isUsable(c))).toEqual(usable);
    expect(candidates.map((c) => isChoosable(c))).toEqual(choosable);
    // --keep-repetition: every usable candidate is choosable.
    expect(candidates.map((c) => isChoosable(c, true))).toEqual(usable);
  });

  it.each<[string, string, number | undefined, boolean]>([
    ["score 0", "a", 0, true],
    ["score 10", "a", 10, true],
    ["score -1", "a", -1, false],
    ["score NaN", "a", NaN, false],
    ["score Infinity", "a", Infinity, false],
    ["no score", "a", undefined, false],
    ["empty content", "", 5, false],
    ["U+3000 only", "\u3000", 5, false],
    ["CRLF and tab only", "\r\n\t", 5, false],
    ["U+3000 around text", "\u3000a\u3000", 5, true],
  ])("isUsable: %s", (_, content, score, expected) => {
    expect(isUsable(cand(0, content, score))).toBe(expected);
  });
});

describe("responses whose content is not text", () => {
  // A reasoning model may give no final answer: `content` null (or, in broken data, not a string).
  const record = {
    conversation_id: "no-answer",
    translated_conversation: [{ role: "user", content: "質問" }],
    synthesized_assistant_responses: [
      { role: "assistant", content: null, reasoning_content: "考え中" },
      { role: "assistant", content: 42 },
      { role: "assistant", content: "答え" },
    ],
    synthesized_response_scoring_annotations: [{ preference_score: 9 }, { preference_score: 8 }, { preference_score: 3 }],
  } as unknown as MergedRecord;

  it("are read with content null, and are never usable, whatever their score", () => {
    const set = readCandidates(record, "ja");
    expect(set.candidates.map((c) => [c.content, c.score, isUsable(c), isChoosable(c)])).toEqual([
      [null, 9, false, false],
      [null, 8, false, false],
      ["答え", 3, true, true],
    ]);
  });
});
