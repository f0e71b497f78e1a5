import type { MergedRecord, SkipReason } from "@lmsynth/schema";
import { readCandidates, type CandidateSet } from "./candidates.js";
import { langsOf, type LangOption, type Skip } from "./langs.js";

/** Record filters shared by SFT and DPO. */
export interface RecordFilters {
  /**
   * Skip records whose `redacted` is true (PII placeholders), and those whose `redacted` is unknown (no
   * LMSYS match): a filter that cannot be applied never lets a record through. Default false.
   */
  excludePii?: boolean;
  /** Skip records with a non-null `is_template_instruction`. Default false. */
  excludeTemplate?: boolean;
}

/**
 * Why this record cannot give rows in `set.lang`, before any candidate is looked at; undefined when it may.
 * Checked in this order, so a record is counted once under its most specific reason: empty instruction,
 * duplicate instruction (ja only), PII (then PII unknown: `redacted` absent), template, no candidates. An
 * absent translation counts as empty.
 */
export function recordSkipReason(
  record: MergedRecord,
  set: CandidateSet,
  filters: RecordFilters,
): SkipReason | undefined {
  if (set.lang === "ja" && record.empty_user_instruction_ja === true) return "empty-instruction";
  if (set.instruction === undefined || set.instruction.trim() === "") return "empty-instruction";
  if (set.lang === "ja" && record.duplicate_user_instruction_ja != null) return "duplicate-instruction";
  if (filters.excludePii && record.redacted === true) return "pii";
  if (filters.excludePii && typeof record.redacted !== "boolean") return "pii-unknown";
  if (filters.excludeTemplate && record.is_template_instruction != null) return "template";
  if (set.candidates.length === 0) return "no-candidates";
  return undefined;
}

/**
 * The candidate sets of `record` that may give rows, per language in `langsOf(lang)` order; each language
 * that may not adds its {@link recordSkipReason} to `skips`.
 */
export function eligibleSets(record: MergedRecord, options: RecordFilters & { lang?: LangOption }, skips: Skip[]): CandidateSet[] {
  const sets: CandidateSet[] = [];
  for (const lang of langsOf(options.lang)) {
    const set = readCandidates(record, lang);
    const reason = recordSkipReason(record, set, options);
    if (reason) skips.push({ lang, reason });
    else sets.push(set);
  }
  return sets;
}
