/**
 * @file Eligibility, candidate selection and SFT conversations (behaviour.md §2–3). Pure functions over
 * records: no I/O. The candidate and eligibility rules are shared with `@lmsynth/dpo`.
 */
export { readCandidates, isUsable, isChoosable } from "./candidates.js";
export { recordSkipReason } from "./eligibility.js";
export { selectCandidates, byScoreDesc } from "./select.js";
export { multiturnMessages } from "./multiturn.js";
export { toSftRows, formatSftRow, langsOf } from "./to-sft-rows.js";

export type { Candidate, CandidateSet } from "./candidates.js";
export type { RecordFilters } from "./eligibility.js";
export type { SelectMode, SelectOptions, Selection } from "./select.js";
export type { LangOption, SftOptions, SftResult, Skip } from "./to-sft-rows.js";
