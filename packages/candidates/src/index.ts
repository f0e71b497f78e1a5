/**
 * @file What a record offers, before any output layout (behaviour.md §2): its user turn and candidate
 * responses per language with their judge scores, the usable/choosable rules, record eligibility (the
 * filters), the multi-turn conversation, and the languages of a run. Pure functions over records, shared
 * by `@lmsynth/sft`, `@lmsynth/dpo` and `@lmsynth/report`.
 */
export { readCandidates, hasText, isUsable, isChoosable, byScoreDesc, assistantMessage } from "./candidates.js";
export { recordSkipReason, eligibleSets } from "./eligibility.js";
export { multiturnMessages } from "./multiturn.js";
export { langsOf } from "./langs.js";

export type { Candidate, CandidateSet, TextCandidate } from "./candidates.js";
export type { RecordFilters } from "./eligibility.js";
export type { LangOption, Skip } from "./langs.js";
