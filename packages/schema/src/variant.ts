import type { MergedRecord } from "./records.js";

/** The three published variants (input-format.md §1). */
export const VARIANTS = ["llama-3.1", "gemma-2", "gemma-3"] as const;
export type Variant = (typeof VARIANTS)[number];

/**
 * Accumulates evidence from records and names the variant: a multi-turn field means Gemma-2; English
 * responses without it mean Llama-3.1; neither means Gemma-3 (Japanese only, up to 10 responses).
 * Returns undefined until a record with synth fields has been seen.
 */
export function detectVariant(records: Iterable<MergedRecord>): Variant | undefined {
  let sawSynth = false;
  let sawEnglish = false;
  for (const r of records) {
    if ("synthesized_multiturn_conversation" in r) return "gemma-2";
    if ("synthesized_assistant_responses_en" in r || "synthesized_response_scoring_annotations_en" in r) {
      sawEnglish = true;
    }
    if ("synthesized_assistant_responses" in r || "duplicate_user_instruction_ja" in r) sawSynth = true;
  }
  if (sawEnglish) return "llama-3.1";
  return sawSynth ? "gemma-3" : undefined;
}
