import { describe, it, expect } from "vitest";
import { byScoreDesc, type Candidate } from "@lmsynth/candidates";
import { selectCandidates, type Selection, type SelectOptions } from "../src/index.js";

/** Candidates from a compact list: score (undefined: none), `rep` when flagged, content `rN` unless given. */
function list(...specs: Array<number | undefined | [number | undefined, "rep" | string]>): Candidate[] {
  return specs.map((spec, index) => {
    const [score, mark] = Array.isArray(spec) ? spec : [spec, undefined];
    return {
      index,
      content: mark !== undefined && mark !== "rep" ? mark : `r${index}`,
      score,
      repetition: mark === "rep",
      tokens: 10,
    };
  });
}

/** The indices picked, or the skip reason. */
function pick(candidates: Candidate[], options?: SelectOptions): number[] | string {
  const s: Selection = selectCandidates(candidates, options);
  return "skip" in s ? s.skip : s.picked.map((c) => c.index);
}

describe("selectCandidates", () => {
  it.each<[string, Candidate[], SelectOptions | undefined, number[] | string]>([
    ["best is the default", list(6, 8, 7, 8), undefined, [1]],
    ["best: ties → lowest index", list(7, 7, 7), { select: "best" }, [0]],
    ["best skips a flagged top score", list([9, "rep"], 8, 8), { select: "best" }, [1]],
    ["best with keep-repetition", list([9, "rep"], 8), { select: "best", keepRepetition: true }, [0]],
    ["best skips blank content", list([9, " \u3000"], 3), { select: "best" }, [1]],
    ["all: index order", list(3, 9, -1, 5), { select: "all" }, [0, 1, 3]],
    ["top-k: best first, ties lowest index first", list(5, 9, 7, 9, 7), { select: "top-k", k: 3 }, [1, 3, 2]],
    ["top-k: fewer choosable than k", list(5, -1), { select: "top-k", k: 3 }, [0]],
    ["top-k without k: one", list(5, 6), { select: "top-k" }, [1]],
    ["first: candidate 0, scores not read", list(undefined, 9), { select: "first" }, [0]],
    ["first: flagged candidate 0 still taken", list([1, "rep"], 9), { select: "first", minScore: 5 }, [0]],
    ["first: blank candidate 0", list([9, "\t\n"], 9), { select: "first" }, "no-candidates"],
    ["first: no candidates", list(), { select: "first" }, "no-candidates"],
    ["no candidates, best", list(), { select: "best" }, "no-valid-score"],
    ["no usable score", list(-1, undefined, NaN), { select: "best" }, "no-valid-score"],
    ["blank usable-score ones are not usable", list([9, ""], -1), { select: "all" }, "no-valid-score"],
    ["usable but all flagged", list([9, "rep"], [7, "rep"], -1), { select: "best" }, "repetition"],
    ["repetition before below-min-score", list([9, "rep"]), { select: "best", minScore: 10 }, "repetition"],
    ["below-min-score", list(3, 4), { select: "all", minScore: 4.5 }, "below-min-score"],
    ["min-score is inclusive", list(3, 4), { select: "all", minScore: 4 }, [1]],
    ["min-score ignores a flagged high score", list([9, "rep"], 4), { select: "best", minScore: 5 }, "below-min-score"],
  ])("%s", (_, candidates, options, expected) => {
    expect(pick(candidates, options)).toEqual(expected);
  });

  it("returns the candidate objects themselves", () => {
    const c = list(1, 2);
    expect(selectCandidates(c)).toStrictEqual({ picked: [c[1]] });
  });
});

describe("byScoreDesc", () => {
  it("sorts higher score first, then lower index", () => {
    const c = list(5, 9, 5, 9, 7);
    expect([...c].reverse().sort(byScoreDesc).map((x) => x.index)).toEqual([1, 3, 4, 0, 2]);
  });
});
