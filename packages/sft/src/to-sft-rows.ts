import { traced, type ReasoningKey, type Lang, type MergedRecord, type Message, type SftRow, type SkipReason } from "@lmsynth/schema";
import { assistantMessage, hasText, isUsable, langsOf, multiturnMessages, readCandidates, recordSkipReason, type Candidate, type LangOption, type RecordFilters, type Skip, type TextCandidate } from "@lmsynth/candidates";
import { selectCandidates, type SelectOptions } from "./select.js";


/** Options of {@link toSftRows}; the CLI flags of `lmsynth sft` (behaviour.md §3). */
export interface SftOptions extends SelectOptions, RecordFilters {
  /** Default `ja`. */
  lang?: LangOption;
  /** Use `synthesized_multiturn_conversation` for Japanese rows instead of a single turn. Default false. */
  multiturn?: boolean;
  /** A system message put first in every conversation. Default none. */
  system?: string;
  /** Add `lang`, `response_index`, `score`. Default false (true in `build`). */
  withMeta?: boolean;
  /** Drop rows whose messages hold more characters (code points) than this. Default none. */
  maxChars?: number;
  /** Drop rows longer than this many tokens: those of `countTokens` when given, else the response's
   * `response_token_length` (a row whose count is unknown is kept). Default none. */
  maxTokens?: number;
  /**
   * The tokens of a row's messages as the trainer sees them (its chat-template text, `--tokenizer`). Set in
   * the thread that converts (a function does not cross to worker threads). With `withMeta`, rows get
   * `num_tokens`. Default none.
   */
  countTokens?: (messages: readonly Message[]) => number;
  /** Keep each response's reasoning trace on its assistant message under this key (`--reasoning keep`,
   * GPT-OSS). Default none: dropped. */
  reasoningKey?: ReasoningKey;
  /**
   * English: take a record's single response as it is when it has no usable score, as Swallow v0.1 took its
   * English side (`--single-en-as-is`, in the `swallow-v0.1` preset). Never with `minScore`, which a response
   * without a score cannot meet. Default false.
   */
  singleEnglishAsIs?: boolean;
}

/** Rows of one record, in output order, and the skips to count in the funnel. */
export interface SftResult {
  rows: SftRow[];
  skips: Skip[];
  /** Languages whose row was taken without a usable score (`singleEnglishAsIs`): the funnel's `taken-unscored`. */
  unscored?: Lang[];
}

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n--;
    }
  }
  return n;
}

function tooLong(messages: readonly Message[], tokens: number | undefined, o: SftOptions): boolean {
  if (o.maxTokens !== undefined && tokens !== undefined && tokens > o.maxTokens) return true;
  if (o.maxChars === undefined) return false;
  let n = 0;
  for (const m of messages) n += codePoints(m.content);
  return n > o.maxChars;
}

/** The row if it is not too long (`maxChars`, `maxTokens`), with `num_tokens` when counted. */
function keptRow(record: MergedRecord, lang: Lang, messages: Message[], picked: Candidate | undefined, o: SftOptions): SftRow | undefined {
  const counted = o.countTokens?.(messages);
  if (tooLong(messages, counted ?? picked?.tokens, o)) return undefined;
  const out = row(record, lang, messages, picked, o);
  if (counted !== undefined && o.withMeta) out.num_tokens = counted;
  return out;
}

function row(record: MergedRecord, lang: Lang, messages: Message[], picked: Candidate | undefined, o: SftOptions): SftRow {
  const out: SftRow = { conversation_id: record.conversation_id, messages };
  if (o.withMeta) {
    out.lang = lang;
    out.response_index = picked ? picked.index : null;
    out.score = picked?.score ?? null;
  }
  return out;
}

/** The single English response of an unscored record, under `singleEnglishAsIs`; undefined otherwise. */
function asIs(candidates: readonly Candidate[], lang: Lang, o: SftOptions): { picked: TextCandidate[] } | undefined {
  const only = candidates[0];
  if (!o.singleEnglishAsIs || lang !== "en" || o.minScore !== undefined || candidates.length !== 1 || !only || isUsable(only) || !hasText(only)) return undefined;
  return { picked: [only] };
}

/**
 * True for user, assistant, user, …, assistant: the only multi-turn shape every layout's reader takes.
 * LLaMA-Factory's sharegpt converter drops a conversation that repeats a role, ends with the user or holds a
 * system or tool turn inside; a prompt-completion split and an assistant-only loss need the assistant last.
 */
function alternates(turns: readonly Message[]): boolean {
  return turns.length % 2 === 0 && turns.every((m, i) => m.role === (i % 2 === 0 ? "user" : "assistant"));
}

function rowsForLang(record: MergedRecord, lang: Lang, o: SftOptions, unscored: Lang[]): SftRow[] | SkipReason {
  const set = readCandidates(record, lang);
  const head: Message[] = o.system === undefined ? [] : [traced({ role: "system", content: o.system }, undefined, o.reasoningKey)];
  if (lang === "ja" && o.multiturn) {
    const skip = recordSkipReason(record, { ...set, candidates: [] }, o);
    if (skip && skip !== "no-candidates") return skip;
    const turns = multiturnMessages(record.synthesized_multiturn_conversation, set.instruction!);
    if (!turns) return "no-candidates";
    if (!alternates(turns)) return "turn-order";
    const messages = [...head, ...turns.map((m) => traced(m, undefined, o.reasoningKey))];
    const one = keptRow(record, lang, messages, undefined, o);
    return one ? [one] : "length";
  }
  const skip = recordSkipReason(record, set, o);
  if (skip) return skip;
  const taken = asIs(set.candidates, lang, o);
  const selection = taken ?? selectCandidates(set.candidates, o);
  if ("skip" in selection) return selection.skip;
  const user = traced({ role: "user", content: set.instruction! }, undefined, o.reasoningKey);
  const rows: SftRow[] = [];
  for (const c of selection.picked) {
    const messages = [...head, user, assistantMessage(c, o.reasoningKey)];
    const r = keptRow(record, lang, messages, c, o);
    if (r) rows.push(r);
  }
  if (taken && rows.length > 0) unscored.push(lang);
  return rows.length > 0 ? rows : "length";
}

/**
 * SFT conversations of one record (behaviour.md §2–3). Pure: no I/O, no state. Rows come per language in
 * `langsOf(options.lang)` order, each language's rows in selection order; a language that gives no row adds
 * one skip with its reason. Contents are copied byte for byte, never trimmed.
 */
export function toSftRows(record: MergedRecord, options: SftOptions = {}): SftResult {
  const result: SftResult = { rows: [], skips: [] };
  const unscored: Lang[] = [];
  for (const lang of langsOf(options.lang)) {
    const r = rowsForLang(record, lang, options, unscored);
    if (typeof r === "string") result.skips.push({ lang, reason: r });
    else result.rows.push(...r);
  }
  if (unscored.length > 0) result.unscored = unscored;
  return result;
}
