import { createHash } from "node:crypto";

/**
 * The `prompt_id` of a DPO or KTO row: the sha256 of the user text's UTF-8 bytes, as 64 lowercase hex digits
 * (the shape of the `prompt_id` column of `HuggingFaceH4/ultrafeedback_binarized`). The text is hashed
 * exactly as given (never trimmed or normalised); a system message never takes part, so every pair of one
 * record and language shares the id.
 */
export function promptIdOf(userText: string): string {
  return createHash("sha256").update(userText, "utf8").digest("hex");
}
