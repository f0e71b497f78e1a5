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
 * Why a record (per language) produced no row, in pipeline order (behaviour.md §2–4: a deletion request
 * (`--exclude-ids`), record filters, then candidates, then pairing) — the order the card and the report list them in. The same literals appear in
 * the funnel, in `--rejected` rows and in error `reason`s (behaviour.md §2, §4, §9).
 */
export const SKIP_REASONS = [
  "deleted",
  "no-candidates",
  "turn-order",
  "empty-instruction",
  "duplicate-instruction",
  "pii",
  "pii-unknown",
  "template",
  "no-valid-score",
  "repetition",
  "below-min-score",
  "length",
  "too-few-candidates",
  "margin",
  "below-min-chosen-score",
  "neutral-score",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * What the funnel counts besides skips: `taken-unscored`, rows taken without a usable score (a preset's rule,
 * such as Swallow v0.1's single English response), so that no such row goes unseen.
 */
export const FUNNEL_NOTES = ["taken-unscored"] as const;
export type FunnelNote = (typeof FUNNEL_NOTES)[number];

/** Counts of skips (and {@link FUNNEL_NOTES}) by reason. Only reasons that occurred are present. */
export type Funnel = Partial<Record<SkipReason | FunnelNote, number>>;
