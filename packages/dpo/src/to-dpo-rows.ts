import { promptIdOf, traced, type ReasoningKey, type DpoRow, type Lang, type MergedRecord, type Message } from "@lmsynth/schema";
import { assistantMessage, eligibleSets } from "@lmsynth/candidates";
import type { LangOption, RecordFilters, Skip } from "@lmsynth/candidates";
import { pairCandidates, type Pair, type PairOptions } from "./pair-candidates.js";

/** Options of {@link toDpoRows}; the flags of `lmsynth dpo` (behaviour.md §4). */
export interface DpoOptions extends PairOptions, RecordFilters {
  /** Default `ja`; `both` gives a record's Japanese pairs, then its English pairs. */
  lang?: LangOption;
  /** A system message put first in every `prompt`. Default none. */
  system?: string;
  /** Add `lang`, `chosen_index`, `rejected_index`. Default false (true in `build`). */
  withMeta?: boolean;
  /** Keep each response's reasoning trace on its assistant message under this key (`--reasoning keep`,
   * GPT-OSS). Default none: dropped. */
  reasoningKey?: ReasoningKey;
  /** Drop rows longer than this many tokens, as `countTokens` counts them (ignored without it). Default none. */
  maxTokens?: number;
  /** Tokens of a conversation as the trainer sees it (its chat-template text, `--tokenizer`); set in the
   * thread that converts (a function does not cross to worker threads). Default none. */
  countTokens?: (messages: readonly Message[]) => number;
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
  const prompt: Message[] = o.system === undefined ? [] : [traced({ role: "system", content: o.system }, undefined, o.reasoningKey)];
  prompt.push(traced({ role: "user", content: user }, undefined, o.reasoningKey));
  const out: DpoRow = {
    conversation_id: record.conversation_id,
    prompt_id: promptIdOf(user),
    prompt,
    chosen: [assistantMessage(pair.chosen, o.reasoningKey)],
    rejected: [assistantMessage(pair.rejected, o.reasoningKey)],
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

/** A pair whose prompt with its longer answer exceeds `maxTokens` (TRL's `max_length` covers both). */
function tooLong(r: DpoRow, o: DpoOptions): boolean {
  if (o.maxTokens === undefined || !o.countTokens) return false;
  return Math.max(o.countTokens([...r.prompt, ...r.chosen]), o.countTokens([...r.prompt, ...r.rejected])) > o.maxTokens;
}

/**
 * DPO preference pairs of one record (behaviour.md §2, §4). Pure and synchronous: no I/O, no state.
 * Rows come per language in `langsOf(options.lang)` order, each language's pairs in the order of
 * {@link pairCandidates}. A language that gives no pair adds one skip: first the record reasons of
 * `recordSkipReason` (`empty-instruction`, `duplicate-instruction`, `pii`, `template`, `no-candidates`),
 * then `no-valid-score`, `too-few-candidates`, `repetition`, `below-min-chosen-score`, `margin`, and `length`
 * when `maxTokens` dropped every pair.
 * Contents are copied byte for byte, never trimmed; every row gets its own message objects.
 * Throws `OptionError` for invalid pairing options.
 */
export function toDpoRows(record: MergedRecord, options: DpoOptions = {}): DpoResult {
  const result: DpoResult = { rows: [], skips: [], droppedPairs: 0 };
  for (const set of eligibleSets(record, options, result.skips)) {
    const lang = set.lang;
    const pairing = pairCandidates(set.candidates, options, `${record.conversation_id}\0${lang}`);
    result.droppedPairs += pairing.droppedPairs;
    if ("skip" in pairing) {
      result.skips.push({ lang, reason: pairing.skip });
      continue;
    }
    const rows = pairing.pairs.map((pair) => row(record, lang, set.instruction!, pair, options)).filter((r) => !tooLong(r, options));
    if (rows.length === 0) result.skips.push({ lang, reason: "length" });
    result.rows.push(...rows);
  }
  return result;
}
