import { OptionError, hashFraction, type SkipReason } from "@lmsynth/schema";
import { byScoreDesc, isChoosable, isUsable, type Candidate, type TextCandidate } from "@lmsynth/candidates";

/** The `--pairs` modes of `lmsynth dpo`, default first (behaviour.md §4). */
export const PAIR_MODES = ["best-worst", "best-vs-rest", "all", "best-random"] as const;

/** How preference pairs are formed from one record's candidates (behaviour.md §4). */
export type PairMode = (typeof PAIR_MODES)[number];

/** Options of {@link pairCandidates}. Repetition-flagged candidates are never chosen: there is no `keepRepetition`. */
export interface PairOptions {
  /** Default `best-worst`. */
  pairs?: PairMode;
  /** Smallest kept score difference chosen − rejected, in judge points. Default 1.0; must be finite and ≥ 0. */
  minMargin?: number;
  /** Smallest judge score of a chosen candidate (inclusive). Default none. */
  minChosenScore?: number;
  /** Seed of `best-random`'s choice. Default `0`. */
  seed?: string;
}

/** One preference pair: `chosen` is choosable, `rejected` usable, and chosen scores strictly higher. */
export interface Pair {
  chosen: TextCandidate;
  rejected: TextCandidate;
}

/**
 * The pairs of one candidate set, or the reason there are none. `droppedPairs` counts the pairs the mode
 * considered (chosen strictly better than rejected) that the margin removed; it may be non-zero with pairs.
 */
export type Pairing = { pairs: Pair[]; droppedPairs: number } | { skip: SkipReason; droppedPairs: number };

/** Default of {@link PairOptions.minMargin}. */
export const DEFAULT_MIN_MARGIN = 1.0;

// Decimal scores meet a decimal margin as written (8.5 − 7.4 is 1.0999999999999996 in binary floating point).
const MARGIN_TOLERANCE = 1e-9;

/** Throws `OptionError` for an unknown mode or a margin that is negative or not a finite number. */
function checkOptions(o: PairOptions): void {
  if (o.pairs !== undefined && !PAIR_MODES.includes(o.pairs)) {
    throw new OptionError(`unknown pairing mode "${String(o.pairs)}" (expected ${PAIR_MODES.join(", ")})`);
  }
  if (o.minMargin !== undefined && !(Number.isFinite(o.minMargin) && o.minMargin >= 0)) {
    throw new OptionError(`min margin must be a finite number ≥ 0, got ${String(o.minMargin)}`);
  }
  if (o.minChosenScore !== undefined && !Number.isFinite(o.minChosenScore)) {
    throw new OptionError(`min chosen score must be a finite number, got ${String(o.minChosenScore)}`);
  }
}

/** Highest score; ties → lowest index. `list` is non-empty. */
function best(list: readonly TextCandidate[]): TextCandidate {
  let b = list[0]!;
  for (const c of list) if (c.score! > b.score!) b = c;
  return b;
}

/** Lowest score; ties → highest index. `list` is non-empty. */
function worst(list: readonly TextCandidate[]): TextCandidate {
  let w = list[0]!;
  for (const c of list) if (c.score! <= w.score!) w = c;
  return w;
}

/** Whether chosen − rejected is a pair at all (strictly positive) and meets the margin. */
function meets(diff: number, minMargin: number): boolean {
  return diff > 0 && diff >= minMargin - MARGIN_TOLERANCE;
}

/**
 * The candidate that would be chosen in `best-worst` mode and its rejected partner, before the margin; or
 * the reason there is none. Shared by {@link pairCandidates} and `marginOf`; not part of the package API.
 * Order of checks (the first that applies is the skip reason): `no-valid-score` (no usable candidate:
 * scores missing, -1, or blank contents), `too-few-candidates` (exactly one usable), `repetition` (two or
 * more usable, all repetition-flagged), `below-min-chosen-score` (no choosable candidate reaches it).
 */
export function bestWorstOf(
  candidates: readonly Candidate[],
  minChosenScore: number | undefined,
): { chosen: TextCandidate; rejected: TextCandidate; usable: TextCandidate[]; choosers: TextCandidate[] } | { skip: SkipReason } {
  const usable = candidates.filter(isUsable);
  if (usable.length === 0) return { skip: "no-valid-score" };
  if (usable.length === 1) return { skip: "too-few-candidates" };
  const choosable = usable.filter((c): c is TextCandidate => isChoosable(c));
  if (choosable.length === 0) return { skip: "repetition" };
  const choosers = minChosenScore === undefined ? choosable : choosable.filter((c) => c.score! >= minChosenScore);
  if (choosers.length === 0) return { skip: "below-min-chosen-score" };
  return { chosen: best(choosers), rejected: worst(usable), usable, choosers };
}

/**
 * Pairs one record's candidates in one language (behaviour.md §2, §4). A candidate is usable per
 * `isUsable`, choosable per `isChoosable` without `keepRepetition`: a repetition-flagged response may be
 * rejected, never chosen. Equal scores never pair, and a pair is kept when chosen − rejected ≥ `minMargin`.
 * - `best-worst`: chosen = the choosable candidate with the highest score (tie → lowest index); rejected =
 *   the usable candidate with the lowest score (tie → highest index). At most one pair.
 * - `best-vs-rest`: the same chosen against every other usable candidate that meets the margin, in index order.
 * - `all`: every ordered pair (chosen choosable and ≥ `minChosenScore`, rejected usable) that meets the
 *   margin; ordered by chosen (higher score first, tie → lower index, as `byScoreDesc`), then by rejected index.
 * - `best-random` (the `ultrafeedback_binarized` recipe): the same chosen against one of the candidates
 *   `best-vs-rest` would pair it with, picked by a seeded hash of `key` (the conversation and language) and
 *   `seed`: the same inputs always give the same pair, in any process. `droppedPairs` counts as in
 *   `best-vs-rest`.
 * Skip reasons, first that applies: `no-valid-score`, `too-few-candidates`, `repetition`,
 * `below-min-chosen-score`, `margin` (no pair meets the margin, including all-equal scores).
 * A record yields at least one pair in every mode exactly when the `best-worst` pair meets the margin.
 * Throws `OptionError` for invalid options.
 */
export function pairCandidates(candidates: readonly Candidate[], options: PairOptions = {}, key = ""): Pairing {
  checkOptions(options);
  const mode = options.pairs ?? "best-worst";
  const minMargin = options.minMargin ?? DEFAULT_MIN_MARGIN;
  const ends = bestWorstOf(candidates, options.minChosenScore);
  if ("skip" in ends) return { skip: ends.skip, droppedPairs: 0 };
  const choosers = mode === "all" ? [...ends.choosers].sort(byScoreDesc) : [ends.chosen];
  const pairs: Pair[] = [];
  let droppedPairs = 0;
  for (const chosen of choosers) {
    const rejecteds = mode === "best-worst" ? [ends.rejected] : ends.usable;
    for (const rejected of rejecteds) {
      const diff = chosen.score! - rejected.score!;
      if (rejected === chosen || diff <= 0) continue;
      if (meets(diff, minMargin)) pairs.push({ chosen, rejected });
      else droppedPairs++;
    }
  }
  if (pairs.length === 0) return { skip: "margin", droppedPairs };
  if (mode !== "best-random") return { pairs, droppedPairs };
  return { pairs: [pairs[Math.floor(hashFraction(key, `best-random\0${options.seed ?? "0"}`) * pairs.length)]!], droppedPairs };
}
