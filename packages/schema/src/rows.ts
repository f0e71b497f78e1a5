import type { Message } from "./message.js";

/** Which side of the corpus a row comes from: the Japanese translation or the original English turn. */
export type Lang = "ja" | "en";

/** One SFT conversation (behaviour.md §3). Meta fields are present with `withMeta`. */
export interface SftRow {
  conversation_id: string;
  /** Written under `messagesKey` (default `messages`). */
  messages: Message[];
  lang?: Lang;
  /** Index of the response in the record's candidate list; null for multi-turn rows. */
  response_index?: number | null;
  /** Judge score of that response; null when unknown (`select first` without scores, multi-turn). */
  score?: number | null;
  /** Tokens of the row's chat-template text (`--tokenizer`, with meta). */
  num_tokens?: number;
}

/** One DPO preference pair in TRL's explicit-prompt conversational layout (behaviour.md §4). */
export interface DpoRow {
  conversation_id: string;
  /** sha256 hex of the user text. */
  prompt_id: string;
  prompt: Message[];
  chosen: Message[];
  rejected: Message[];
  score_chosen: number;
  score_rejected: number;
  lang?: Lang;
  chosen_index?: number;
  rejected_index?: number;
}

/** One KTO example (TRL's unpaired preference type): a prompt, one completion, and whether it is desirable. */
export interface KtoRow {
  conversation_id: string;
  prompt: Message[];
  /** One assistant message. */
  completion: Message[];
  /** True: desirable (score ≥ the desirable threshold); false: undesirable (≤ the undesirable one). */
  label: boolean;
  score: number;
  /** sha256 hex of the user text. */
  prompt_id: string;
  lang?: Lang;
  response_index?: number;
}

/**
 * Every funnel counter, in pipeline order (behaviour.md §2–4: a deletion request (`--exclude-ids`), record
 * filters, then candidates, then pairing) — the order the summary, the card and the report list them in:
 * - a `skip`: why a record (per language) produced no row. The same literals appear in `--rejected` rows and
 *   in error `reason`s (behaviour.md §2, §4, §9);
 * - a `note`: rows that were written but are counted so that none goes unseen — `taken-unscored`, rows taken
 *   without a usable score (a preset's rule, such as Swallow v0.1's single English response).
 * `label` is how each kind is named where counts are listed.
 */
export const FUNNEL = {
  deleted: "skip",
  "no-candidates": "skip",
  "turn-order": "skip",
  "empty-instruction": "skip",
  "duplicate-instruction": "skip",
  pii: "skip",
  "pii-unknown": "skip",
  template: "skip",
  "no-valid-score": "skip",
  repetition: "skip",
  "below-min-score": "skip",
  length: "skip",
  "too-few-candidates": "skip",
  margin: "skip",
  "below-min-chosen-score": "skip",
  "neutral-score": "skip",
  "taken-unscored": "note",
} as const satisfies Record<string, "skip" | "note">;
export type FunnelCounter = keyof typeof FUNNEL;
export type FunnelKind = (typeof FUNNEL)[FunnelCounter];

/** How each kind of counter is named where counts are listed. */
export const FUNNEL_LABELS: Readonly<Record<FunnelKind, string>> = { skip: "skipped", note: "taken, not skipped" };

export type SkipReason = { [K in FunnelCounter]: (typeof FUNNEL)[K] extends "skip" ? K : never }[FunnelCounter];
export type FunnelNote = Exclude<FunnelCounter, SkipReason>;

const counters = Object.keys(FUNNEL) as FunnelCounter[];
/** The skip reasons, in pipeline order. */
export const SKIP_REASONS = counters.filter((c): c is SkipReason => FUNNEL[c] === "skip");
/** The notes: counted in the funnel, not skips. */
export const FUNNEL_NOTES = counters.filter((c): c is FunnelNote => FUNNEL[c] === "note");

/** Counts of skips (and {@link FUNNEL_NOTES}) by reason. Only reasons that occurred are present. */
export type Funnel = Partial<Record<FunnelCounter, number>>;

/** A funnel's counts in {@link FUNNEL} order (a counter this version does not know, from an older or newer
 * manifest, after them by name), each with its kind. */
export function orderedFunnel(funnel: Readonly<Record<string, number | undefined>>): Array<{ reason: string; count: number; kind: FunnelKind }> {
  const rank = (reason: string): number => {
    const i = counters.indexOf(reason as FunnelCounter);
    return i === -1 ? counters.length : i;
  };
  return Object.entries(funnel)
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([reason, count]) => ({ reason, count, kind: FUNNEL[reason as FunnelCounter] ?? "skip" }));
}
