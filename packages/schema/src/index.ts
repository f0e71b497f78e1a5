/**
 * @file Schemas and types of lmsynth: input records (input-format.md §2–5), output rows (behaviour.md §3–4),
 * skip reasons, variants, and the typed errors every package throws. No I/O.
 */
export { toShareGptTurn, fromShareGptTurn, REASONING_KEYS, TRACE_FIELDS, TRACE_INPUT_KEYS, traceFields, traced, traceOf } from "./message.js";
export { promptIdOf } from "./prompt-id-of.js";
export { MessageSchema, ResponseSchema } from "./message.js";
export {
  AnnotationSchema,
  LmsysFieldsSchema,
  InstructionFieldsSchema,
  SynthFieldsSchema,
  MergedRecordSchema,
  MultiturnSchema,
  LMSYS_FIELDS_CONVERTED,
  convertedLmsysPart,
} from "./records.js";
export { detectVariant, variantEvidence, variantOfEvidence, VARIANTS, VARIANT_TABLE, LMSYS_LICENSE, LANGUAGE_FIELDS } from "./variant.js";
export { InputError, InterruptedError, OptionError, OutputError, describeZodError, printable, redactSecrets } from "./errors.js";
export { removeTemporaryPathsSync, trackTemporaryPath } from "./temporary-paths.js";
export { isAlive, recoverInterruptedOutput, sweepAbandonedSpools } from "./interrupted-outputs.js";
export { hashFraction } from "./hash-fraction.js";
export { FUNNEL, FUNNEL_LABELS, SKIP_REASONS, FUNNEL_NOTES, orderedFunnel } from "./rows.js";

export type { Message, ReasoningKey, Response, TraceField } from "./message.js";
export type {
  Annotation,
  LmsysRecord,
  InstructionRecord,
  SynthRecord,
  MergedRecord,
  Multiturn,
} from "./records.js";
export type { Lang, SftRow, DpoRow, KtoRow, SkipReason, Funnel, FunnelCounter, FunnelKind, FunnelNote } from "./rows.js";
export type { Variant, VariantSpec, DatasetLicense } from "./variant.js";
export type { InputErrorReason } from "./errors.js";
export { conversationIdIn } from "./conversation-id-in.js";
export { sftLayout, dpoLayout, ktoLayout, rowSchema, fieldsOf, MESSAGE_FIELDS, SHAREGPT_FIELDS, SFT_FORMATS, DPO_FORMATS } from "./row-layout.js";
export type { ColumnType, ColumnSpec, ColumnCheck, FieldSpec, RowLayout, SftLayoutOptions, DpoLayoutOptions, KtoLayoutOptions, SftFormat, DpoFormat } from "./row-layout.js";
