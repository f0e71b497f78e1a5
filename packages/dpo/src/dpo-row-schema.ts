import { dpoLayout, rowSchema, type DpoRow, type Lang, type Message } from "@lmsynth/schema";

/**
 * A DPO row in the `HuggingFaceH4/ultrafeedback_binarized` layout: that dataset's seven columns in its order,
 * then lmsynth's `conversation_id` and, with `withMeta`, the same meta fields as {@link DpoRow}.
 */
export interface UltrafeedbackRow {
  /** The user text, as a plain string. */
  prompt: string;
  /** sha256 hex of `prompt`. */
  prompt_id: string;
  /** Full conversation: [system?], user, chosen assistant turn. */
  chosen: Message[];
  /** Full conversation: [system?], user, rejected assistant turn. */
  rejected: Message[];
  /** Same messages as `chosen` (the dataset's SFT column). */
  messages: Message[];
  score_chosen: number;
  score_rejected: number;
  conversation_id: string;
  lang?: Lang;
  chosen_index?: number;
  rejected_index?: number;
}

/**
 * A DPO row as the `trl` layout writes it (behaviour.md §4), from its layout (`dpoLayout`):
 * `prompt` a non-empty message list, `chosen`/`rejected` one message each, `prompt_id` 64 lowercase hex
 * digits, `lang` ja or en, indices ≥ 0. Unknown keys are stripped.
 */
export const DpoRowSchema = rowSchema<DpoRow>(dpoLayout({ meta: true, indices: true }));

/**
 * A DPO row as the `ultrafeedback` layout writes it: the `HuggingFaceH4/ultrafeedback_binarized`
 * columns plus `conversation_id` and optional meta. Conversations hold at least a user and an assistant turn.
 */
export const UltrafeedbackRowSchema = rowSchema<UltrafeedbackRow>(dpoLayout({ format: "ultrafeedback", meta: true, indices: true }));
