import { dpoLayout, rowSchema, type DpoRow } from "@lmsynth/schema";
import type { UltrafeedbackRow } from "./format-dpo-row.js";

/**
 * A DPO row as `formatDpoRow(row, "trl")` writes it (behaviour.md §4), from its layout (`dpoLayout`):
 * `prompt` a non-empty message list, `chosen`/`rejected` one message each, `prompt_id` 64 lowercase hex
 * digits, `lang` ja or en, indices ≥ 0. Unknown keys are stripped.
 */
export const DpoRowSchema = rowSchema<DpoRow>(dpoLayout({ meta: true, indices: true }));

/**
 * A DPO row as `formatDpoRow(row, "ultrafeedback")` writes it: the `HuggingFaceH4/ultrafeedback_binarized`
 * columns plus `conversation_id` and optional meta. Conversations hold at least a user and an assistant turn.
 */
export const UltrafeedbackRowSchema = rowSchema<UltrafeedbackRow>(dpoLayout({ format: "ultrafeedback", meta: true, indices: true }));
