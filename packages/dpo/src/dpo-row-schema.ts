import { z } from "zod";
import { MessageSchema } from "@lmsynth/schema";

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits (sha256)");
const assistantTurn = z.array(MessageSchema).length(1);
const meta = {
  lang: z.enum(["ja", "en"]).optional(),
  chosen_index: z.number().int().nonnegative().optional(),
  rejected_index: z.number().int().nonnegative().optional(),
};

/**
 * A DPO row as `formatDpoRow(row, "trl")` writes it (behaviour.md §4): `prompt` a non-empty message list,
 * `chosen`/`rejected` one message each, `prompt_id` 64 lowercase hex digits. Unknown keys are stripped.
 */
export const DpoRowSchema = z.object({
  conversation_id: z.string(),
  prompt: z.array(MessageSchema).min(1),
  chosen: assistantTurn,
  rejected: assistantTurn,
  score_chosen: z.number(),
  score_rejected: z.number(),
  prompt_id: sha256Hex,
  ...meta,
});

/**
 * A DPO row as `formatDpoRow(row, "ultrafeedback")` writes it: the `HuggingFaceH4/ultrafeedback_binarized`
 * columns plus `conversation_id` and optional meta. Conversations hold at least a user and an assistant turn.
 */
export const UltrafeedbackRowSchema = z.object({
  prompt: z.string(),
  prompt_id: sha256Hex,
  chosen: z.array(MessageSchema).min(2),
  rejected: z.array(MessageSchema).min(2),
  messages: z.array(MessageSchema).min(2),
  score_chosen: z.number(),
  score_rejected: z.number(),
  conversation_id: z.string(),
  ...meta,
});
