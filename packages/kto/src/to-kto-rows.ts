import { OptionError, promptIdOf, traced, type ReasoningKey, type KtoRow, type Lang, type MergedRecord, type Message } from "@lmsynth/schema";
import { assistantMessage, byScoreDesc, eligibleSets, isChoosable, isUsable, type LangOption, type RecordFilters, type Skip, type TextCandidate } from "@lmsynth/candidates";

/** The `--kto-per-record` values, default first. */
export const KTO_PER_RECORD = ["best-worst", "all"] as const;
export type KtoPerRecord = (typeof KTO_PER_RECORD)[number];

/**
 * The default thresholds on the judge's 0–10 score. Best-of-n SFT keeps the best response whatever its
 * score; KTO needs examples the judge clearly liked or clearly did not. 8 and above is the judge's "good"
 * band, 5 and below at most mediocre; 6–7 is left out as ambiguous (README "KTO").
 */
export const DEFAULT_KTO_DESIRABLE = 8;
export const DEFAULT_KTO_UNDESIRABLE = 5;

/** Options of {@link toKtoRows}; the flags of `lmsynth kto`. */
export interface KtoOptions extends RecordFilters {
  /** Default `ja`. */
  lang?: LangOption;
  /** A system message put first in every `prompt`. Default none. */
  system?: string;
  /** A choosable candidate scoring at least this is desirable. Default {@link DEFAULT_KTO_DESIRABLE}. */
  desirable?: number;
  /** A usable candidate scoring at most this is undesirable. Default {@link DEFAULT_KTO_UNDESIRABLE}. */
  undesirable?: number;
  /** `best-worst` (default): the best choosable and the worst usable candidate; `all`: every usable one. */
  perRecord?: KtoPerRecord;
  /** Add `lang`, `response_index`. Default false. */
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

/** Rows of one record, the skips to count in the funnel, and the candidates left out between the thresholds. */
export interface KtoResult {
  rows: KtoRow[];
  /** One per language that gave no row, with its reason. */
  skips: Skip[];
  /** Candidates considered but scored between the thresholds (or repetition-flagged above the undesirable one). */
  neutral: number;
}

function label(c: TextCandidate, o: KtoOptions): boolean | undefined {
  if (c.score! <= (o.undesirable ?? DEFAULT_KTO_UNDESIRABLE)) return false;
  // A repetition-flagged response is never an example to imitate.
  return isChoosable(c) && c.score! >= (o.desirable ?? DEFAULT_KTO_DESIRABLE) ? true : undefined;
}

function row(record: MergedRecord, lang: Lang, user: string, c: TextCandidate, desirable: boolean, o: KtoOptions): KtoRow {
  const prompt: Message[] = o.system === undefined ? [] : [traced({ role: "system", content: o.system }, undefined, o.reasoningKey)];
  prompt.push(traced({ role: "user", content: user }, undefined, o.reasoningKey));
  const out: KtoRow = {
    conversation_id: record.conversation_id,
    prompt,
    completion: [assistantMessage(c, o.reasoningKey)],
    label: desirable,
    score: c.score!,
    prompt_id: promptIdOf(user),
  };
  if (o.withMeta) {
    out.lang = lang;
    out.response_index = c.index;
  }
  return out;
}

/**
 * KTO examples of one record. Pure: no I/O, no state. Per language in `langsOf(options.lang)` order: the
 * record filters of `recordSkipReason` first; then the candidates considered (`best-worst`: the best
 * choosable candidate, then the worst usable one when it is another; `all`: every usable candidate, best
 * first, tie → lower index) each become a desirable row (choosable, score ≥ `desirable`), an undesirable row
 * (score ≤ `undesirable`), or are left out and counted as `neutral`. A language with no usable candidate
 * skips as `no-valid-score`; one whose candidates were all neutral as `neutral-score`; one whose rows
 * `maxTokens` all dropped as `length`.
 * @throws OptionError when `undesirable` is not below `desirable`.
 */
export function toKtoRows(record: MergedRecord, options: KtoOptions = {}): KtoResult {
  const desirable = options.desirable ?? DEFAULT_KTO_DESIRABLE;
  const undesirable = options.undesirable ?? DEFAULT_KTO_UNDESIRABLE;
  if (!(undesirable < desirable)) throw new OptionError(`the undesirable threshold (${undesirable}) must be below the desirable one (${desirable})`);
  const result: KtoResult = { rows: [], skips: [], neutral: 0 };
  for (const set of eligibleSets(record, options, result.skips)) {
    const lang = set.lang;
    const usable = set.candidates.filter(isUsable).sort(byScoreDesc);
    if (usable.length === 0) {
      result.skips.push({ lang, reason: "no-valid-score" });
      continue;
    }
    let considered = usable;
    if ((options.perRecord ?? "best-worst") === "best-worst") {
      const best = usable.find((c) => isChoosable(c)) ?? usable[0]!;
      const worst = usable.at(-1)!;
      considered = worst === best ? [best] : [best, worst];
    }
    const labelled: KtoRow[] = [];
    for (const c of considered) {
      const desirableLabel = label(c, options);
      if (desirableLabel === undefined) result.neutral++;
      else labelled.push(row(record, lang, set.instruction!, c, desirableLabel, options));
    }
    const kept = labelled.filter((r) => !(options.maxTokens !== undefined && options.countTokens && options.countTokens([...r.prompt, ...r.completion]) > options.maxTokens));
    if (kept.length === 0) result.skips.push({ lang, reason: labelled.length === 0 ? "neutral-score" : "length" });
    result.rows.push(...kept);
  }
  return result;
}
