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

describe("pairCandidates best-random", () => {
  // c2 is the best; c0, c1 and c3 are at least 1 below it; c4 is within the margin.
  const list = [cand(0, 3), cand(1, 5), cand(2, 9), cand(3, 7.5), cand(4, 8.5)];
  const rejectedOf = (key: string, seed?: string) => {
    const result = pairCandidates(list, { pairs: "best-random", ...(seed !== undefined ? { seed } : {}) }, key);
    if (!("pairs" in result)) throw new Error("expected a pair");
    expect(result.pairs).toHaveLength(1);
    expect(result.pairs[0]!.chosen).toBe(list[2]);
    expect(result.droppedPairs).toBe(1);
    return result.pairs[0]!.rejected.index;
  };

  it("pairs the best with one of what best-vs-rest keeps, the same one for the same key and seed", () => {
    const keys = Array.from({ length: 60 }, (_, i) => `conversation-${i}\0ja`);
    const picks = keys.map((key) => rejectedOf(key));
    expect(new Set(picks)).toEqual(new Set([0, 1, 3]));
    expect(keys.map((key) => rejectedOf(key))).toEqual(picks);
    expect(keys.map((key) => rejectedOf(key, "0"))).toEqual(picks);
    // Another seed is another draw.
    expect(keys.map((key) => rejectedOf(key, "7"))).not.toEqual(picks);
  });

  it("skips for the margin when no other candidate meets it", () => {
    expect(pairCandidates([cand(0, 9), cand(1, 8.5)], { pairs: "best-random" }, "k")).toEqual({ skip: "margin", droppedPairs: 1 });
  });
});
