/**
 * @file KTO examples from judge scores (TRL's unpaired preference type: `prompt`, `completion`, `label`).
 * Pure functions over records, a sibling of `@lmsynth/sft` and `@lmsynth/dpo` over `@lmsynth/candidates`.
 */
export { toKtoRows, KTO_PER_RECORD, DEFAULT_KTO_DESIRABLE, DEFAULT_KTO_UNDESIRABLE } from "./to-kto-rows.js";

export type { KtoOptions, KtoResult, KtoPerRecord } from "./to-kto-rows.js";
