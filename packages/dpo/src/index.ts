/**
 * @file DPO preference pairs from judge scores (behaviour.md §2, §4). Pure functions over records: no I/O.
 * Candidate reading, usability and the record filters come from `@lmsynth/sft`.
 */
export { pairCandidates, PAIR_MODES, DEFAULT_MIN_MARGIN } from "./pair-candidates.js";
export { toDpoRows } from "./to-dpo-rows.js";
export { marginOf } from "./margin-of.js";
export { promptIdOf } from "@lmsynth/schema";
export { DpoRowSchema, UltrafeedbackRowSchema } from "./dpo-row-schema.js";

export type { PairMode, PairOptions, Pair, Pairing } from "./pair-candidates.js";
export type { DpoOptions, DpoResult } from "./to-dpo-rows.js";
export type { MarginOptions } from "./margin-of.js";
export type { UltrafeedbackRow } from "./dpo-row-schema.js";
