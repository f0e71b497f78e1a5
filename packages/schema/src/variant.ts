import type { MergedRecord } from "./records.js";

/** The three published variants (input-format.md §1). */
export const VARIANTS = ["llama-3.1", "gemma-2", "gemma-3"] as const;
export type Variant = (typeof VARIANTS)[number];

const MULTITURN = 1;
const ENGLISH = 2;
const SYNTH = 4;

/**
 * The fields of one record that tell the variant, as bits that can be OR-ed over many records (and across
 * worker threads): multi-turn field, English synth fields, any synth field.
 */
export function variantEvidence(r: MergedRecord): number {
  let bits = 0;
  if ("synthesized_multiturn_conversation" in r) bits |= MULTITURN;
  if ("synthesized_assistant_responses_en" in r || "synthesized_response_scoring_annotations_en" in r) bits |= ENGLISH;
  if ("synthesized_assistant_responses" in r || "duplicate_user_instruction_ja" in r) bits |= SYNTH;
  return bits;
}

/**
 * Names the variant from OR-ed evidence: a multi-turn field means Gemma-2; English responses without it
 * mean Llama-3.1; synth fields with neither mean Gemma-3 (Japanese only, up to 10 responses). Undefined
 * when no synth field was seen.
 */
export function variantOfEvidence(bits: number): Variant | undefined {
  if (bits & MULTITURN) return "gemma-2";
  if (bits & ENGLISH) return "llama-3.1";
  return bits & SYNTH ? "gemma-3" : undefined;
}

/** {@link variantOfEvidence} over `records`. */
export function detectVariant(records: Iterable<MergedRecord>): Variant | undefined {
  let bits = 0;
  for (const r of records) bits |= variantEvidence(r);
  return variantOfEvidence(bits);
}
