/**
 * @file Response selection and SFT conversations (behaviour.md §3). Pure functions over records: no I/O.
 * The candidate and eligibility rules come from `@lmsynth/candidates`.
 */
export { selectCandidates } from "./select.js";
export { toSftRows } from "./to-sft-rows.js";

export type { SelectMode, SelectOptions, Selection } from "./select.js";
export type { SftOptions, SftResult } from "./to-sft-rows.js";
