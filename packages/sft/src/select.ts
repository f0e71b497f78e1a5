import type { SkipReason } from "@lmsynth/schema";
import { byScoreDesc, hasText, isChoosable, isUsable, type Candidate, type TextCandidate } from "@lmsynth/candidates";

/** How responses are chosen for SFT (behaviour.md §3). */
export type SelectMode = "best" | "all" | "first" | "top-k";

export interface SelectOptions {
  /** Default `best`. */
  select?: SelectMode;
  /** Number of responses for `top-k`. Default 1. */
  k?: number;
  /** Minimum judge score of a selected response, for every mode that reads scores. Default none. */
  minScore?: number;
  /** Let repetition-flagged responses be chosen. Default false. */
  keepRepetition?: boolean;
}

/** Selected candidates, or the reason none was. */
export type Selection = { picked: TextCandidate[] } | { skip: SkipReason };

/**
 * Picks candidates per `options.select`:
 * - `best`: the choosable candidate with the highest score; ties go to the lowest index.
 * - `all`: every choosable candidate, in index order.
 * - `top-k`: the `k` best choosable candidates, best first (ties: lowest index first).
 * - `first`: candidate 0 when its content is not blank; no scores are read.
 * Skip reasons: `no-candidates` (first), `no-valid-score` (no usable candidate), `repetition` (usable ones
 * exist but all are flagged), `below-min-score` (choosable ones exist, none reaches `minScore`).
 */
export function selectCandidates(candidates: readonly Candidate[], options: SelectOptions = {}): Selection {
  const mode = options.select ?? "best";
  if (mode === "first") {
    const c = candidates[0];
    return c && hasText(c) ? { picked: [c] } : { skip: "no-candidates" };
  }
  const choosable = candidates.filter((c): c is TextCandidate => isChoosable(c, options.keepRepetition));
  if (choosable.length === 0) return { skip: candidates.some(isUsable) ? "repetition" : "no-valid-score" };
  const minScore = options.minScore;
  const passing = minScore === undefined ? choosable : choosable.filter((c) => c.score! >= minScore);
  if (passing.length === 0) return { skip: "below-min-score" };
  if (mode === "all") return { picked: passing };
  if (mode === "best") {
    let best = passing[0]!;
    for (const c of passing) if (c.score! > best.score!) best = c;
    return { picked: [best] };
  }
  return { picked: [...passing].sort(byScoreDesc).slice(0, Math.max(1, options.k ?? 1)) };
}
