import type { Lang, MergedRecord } from "@lmsynth/schema";
import { readCandidates, recordSkipReason, type RecordFilters } from "@lmsynth/candidates";
import { bestWorstOf } from "./pair-candidates.js";

/** Options of {@link marginOf}: the record filters and chosen floor that `toDpoRows` would apply. */
export interface MarginOptions extends RecordFilters {
  /** Smallest judge score of a chosen candidate (inclusive). Default none. */
  minChosenScore?: number;
}

/**
 * The `best-worst` margin of `record` in `lang` (behaviour.md §4): score of the best choosable candidate
 * (reaching `minChosenScore`) minus score of the worst usable one; ≥ 0, and 0 when the scores are all equal.
 * Undefined when the record gives no pair whatever the margin (any skip reason but `margin`).
 * The record gives at least one pair, in every `PairMode`, exactly when the margin is > 0 and ≥ `minMargin`,
 * so `lmsynth inspect` can count records kept per `--min-margin M` from these values alone
 * (e.g. buckets `Math.min(10, Math.floor(m))`, cumulative count of m > 0 and m ≥ M).
 */
export function marginOf(record: MergedRecord, lang: Lang, options: MarginOptions = {}): number | undefined {
  const set = readCandidates(record, lang);
  if (recordSkipReason(record, set, options)) return undefined;
  const ends = bestWorstOf(set.candidates, options.minChosenScore);
  return "skip" in ends ? undefined : ends.chosen.score! - ends.rejected.score!;
}
