import { describe, it, expect } from "vitest";
import type { Candidate } from "@lmsynth/candidates";
import { pairCandidates } from "../src/index.js";

function cand(index: number, score: number | undefined, repetition = false, content = `c${index}`): Candidate {
  return { index, content, score, repetition, tokens: undefined };
}

describe("pairCandidates", () => {
  it("returns the candidate objects themselves", () => {
    const list = [cand(0, 4), cand(1, 9), cand(2, 4)];
    const result = pairCandidates(list);
    expect(result).toEqual({ pairs: [{ chosen: list[1], rejected: list[2] }], droppedPairs: 0 });
    expect("pairs" in result && result.pairs[0]!.chosen).toBe(list[1]);
  });

  it.each<[string, Candidate[], string]>([
    ["no candidates", [], "no-valid-score"],
    ["unscored", [cand(0, undefined), cand(1, undefined)], "no-valid-score"],
    ["one usable", [cand(0, 9), cand(1, -1)], "too-few-candidates"],
    ["all flagged", [cand(0, 9, true), cand(1, 1, true)], "repetition"],
    ["equal", [cand(0, 3), cand(1, 3)], "margin"],
  ])("%s → %s", (_name, list, skip) => {
    expect(pairCandidates(list)).toEqual({ skip, droppedPairs: 0 });
  });

  it("defaults to best-worst with a margin of 1", () => {
    const list = [cand(0, 5), cand(1, 4.5), cand(2, 4)];
    expect(pairCandidates(list)).toEqual({ pairs: [{ chosen: list[0], rejected: list[2] }], droppedPairs: 0 });
    expect(pairCandidates(list, { pairs: "best-vs-rest" })).toEqual({
      pairs: [{ chosen: list[0], rejected: list[2] }],
      droppedPairs: 1,
    });
  });
});
