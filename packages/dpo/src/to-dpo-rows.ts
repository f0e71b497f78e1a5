import type { DpoRow, Lang, MergedRecord, Message } from "@lmsynth/schema";
import { langsOf, readCandidates, recordSkipReason } from "@lmsynth/candidates";
import type { LangOption, RecordFilters, Skip } from "@lmsynth/candidates";
import { pairCandidates, type Pair, type PairOptions } from "./pair-candidates.js";
import { promptIdOf } from "./prompt-id-of.js";

/** Options of {@link toDpoRows}; the flags of `lmsynth dpo` (behaviour.md §4). */
export interface DpoOptions extends PairOptions, RecordFilters {
  /** Default `ja`; `both` gives a record's Japanese pairs, then its English pairs. */
  lang?: LangOption;
  /** A system message put first in every `prompt`. Default none. */
  system?: string;
  /** Add `lang`, `chosen_index`, `rejected_index`. Default false (true in `build`). */
  withMeta?: boolean;
}

/** Pairs of one record in output order, the skips to count in the funnel, and pairs lost to the margin. */
export interface DpoResult {
  rows: DpoRow[];
  /** One per language that gave no row, with its reason. */
  skips: Skip[];
  /**
   * Pairs the mode considered (chosen strictly better than rejected) that `minMargin` removed, summed over
   * languages, whether or not the language still gave rows. Equal-score pairs are never counted.
   */
  droppedPairs: number;
}

function row(record: MergedRecord, lang: Lang, user: string, pair: Pair, o: DpoOptions): DpoRow {
  const prompt: Message[] = o.system === undefined ? [] : [{ role: "system", content: o.system }];
  prompt.push({ role: "user", content: user });
  const out: DpoRow = {
    conversation_id: record.conversation_id,
    prompt_id: promptIdOf(user),
    prompt,
    chosen: [{ role: "assistant", content: pair.chosen.content }],
    rejected: [{ role: "assistant", content: pair.rejected.content }],
    score_chosen: pair.chosen.score!,
    score_rejected: pair.rejected.score!,
  };
  if (o.withMeta) {
    out.lang = lang;
    out.chosen_index = pair.chosen.index;
    out.rejected_index = pair.rejected.index;
  }
  return out;
}

/**
 * DPO preference pairs of one record (behaviour.md §2, §4). Pure and synchronous: no I/O, no state.
 * Rows come per language in `langsOf(options.lang)` order, each language's pairs in the order of
 * {@link pairCandidates}. A language that gives no pair adds one skip: first the record reasons of
 * `recordSkipReason` (`empty-instruction`, `duplicate-instruction`, `pii`, `template`, `no-candidates`),
 * then `no-valid-score`, `too-few-candidates`, `repetition`, `below-min-chosen-score`, `margin`.
 * Contents are copied byte for byte, never trimmed; every row gets its own message objects.
 * Throws `UsageError` for invalid pairing options.
 */
export function toDpoRows(record: MergedRecord, options: DpoOptions = {}): DpoResult {
  const result: DpoResult = { rows: [], skips: [], droppedPairs: 0 };
  for (const lang of langsOf(options.lang)) {
    const set = readCandidates(record, lang);
    const skip = recordSkipReason(record, set, options);
    if (skip) {
      result.skips.push({ lang, reason: skip });
      continue;
    }
    const pairing = pairCandidates(set.candidates, options, `${record.conversation_id}\0${lang}`);
    result.droppedPairs += pairing.droppedPairs;
    if ("skip" in pairing) result.skips.push({ lang, reason: pairing.skip });
    else for (const pair of pairing.pairs) result.rows.push(row(record, lang, set.instruction!, pair, options));
  }
  return result;
}
