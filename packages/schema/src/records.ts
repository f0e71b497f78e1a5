import { z } from "zod";
import { MessageSchema, ResponseSchema } from "./message.js";

/**
 * Judge annotation of one synthesized response (input-format.md §3). Only `preference_score` is read for
 * selection; the other keys are validated when present and unknown keys pass through.
 */
export const AnnotationSchema = z.looseObject({
  /** 0–10, or -1 when the judge gave no usable score; anything else is an invalid record. */
  preference_score: z
    .number()
    .refine((v) => v === -1 || (v >= 0 && v <= 10), { message: "expected a score in [0, 10] or -1" })
    .nullish(),
  judgement: z.string().nullish(),
  repetition_flag: z.boolean().nullish(),
  response_token_length: z.number().nullish(),
});
export type Annotation = z.infer<typeof AnnotationSchema>;

const messages = z.array(MessageSchema);
// "None" may be an absent key, null or [] (input-format.md §3): all three are accepted and read alike.
const optionalList = <T extends z.ZodType>(item: T) => z.array(item).nullish();

/** The join key: a string, never empty (an empty id would join unrelated records and key nothing). */
const conversationId = z.string().min(1, "is empty: every record names its conversation");

/** LMSYS-Chat-1M record (input-format.md §2). */
export const LmsysFieldsSchema = z.looseObject({
  conversation_id: conversationId,
  model: z.string().nullish(),
  conversation: messages.nullish(),
  turn: z.number().nullish(),
  language: z.string().nullish(),
  openai_moderation: z.array(z.unknown()).nullish(),
  redacted: z.boolean().nullish(),
});

/**
 * The LMSYS columns a conversion reads: the English instruction (`conversation`, its first message) and the
 * PII flag (`redacted`). A joined build reads only these columns of Parquet shards.
 */
export const LMSYS_FIELDS_CONVERTED = ["conversation_id", "conversation", "redacted"] as const;

/**
 * The part of an LMSYS record a conversion reads ({@link LMSYS_FIELDS_CONVERTED}, of `conversation` its first
 * message only): all a joined build keeps of it. Validated records only.
 */
export function convertedLmsysPart(record: Record<string, unknown>): Record<string, unknown> {
  const part: Record<string, unknown> = {};
  for (const field of LMSYS_FIELDS_CONVERTED) {
    if (!(field in record)) continue;
    const value = record[field];
    part[field] = field === "conversation" && Array.isArray(value) ? value.slice(0, 1) : value;
  }
  return part;
}

/** Japanese-instruction record, the decrypted `…-instructions-ja.jsonl.gz` (input-format.md §1, §3). */
export const InstructionFieldsSchema = z.looseObject({
  conversation_id: conversationId,
  translated_conversation: messages.nullish(),
});

/**
 * Gemma-2 multi-turn conversation: nested `[[msg…]]` or flat `[msg…]` (input-format.md §5, shape unknown).
 */
export const MultiturnSchema = z.union([z.array(messages), messages]).nullish();

/** Synthesized responses and judge annotations, all variants (input-format.md §3). */
export const SynthFieldsSchema = z.looseObject({
  conversation_id: conversationId,
  duplicate_user_instruction_ja: z.string().nullish(),
  empty_user_instruction_ja: z.boolean().nullish(),
  translated_conversation: messages.nullish(),
  is_template_instruction: z.string().nullish(),
  synthesized_assistant_responses: optionalList(ResponseSchema),
  synthesized_response_scoring_annotations: optionalList(AnnotationSchema),
  synthesized_assistant_responses_en: optionalList(ResponseSchema),
  synthesized_response_scoring_annotations_en: optionalList(AnnotationSchema),
  synthesized_multiturn_conversation: MultiturnSchema,
});

/**
 * A merged record: LMSYS fields, then the Japanese instruction, then the synth fields (input-format.md §4).
 * Every field but `conversation_id` is optional, so a synth-only record is valid too.
 */
export const MergedRecordSchema = z.looseObject({
  ...LmsysFieldsSchema.shape,
  ...InstructionFieldsSchema.shape,
  ...SynthFieldsSchema.shape,
});

export type LmsysRecord = z.infer<typeof LmsysFieldsSchema>;
export type InstructionRecord = z.infer<typeof InstructionFieldsSchema>;
export type SynthRecord = z.infer<typeof SynthFieldsSchema>;
export type MergedRecord = z.infer<typeof MergedRecordSchema>;
export type Multiturn = z.infer<typeof MultiturnSchema>;
