import { z } from "zod";
import { MessageSchema } from "./message.js";

/** The value type of one output column; `messages` is `list<struct<role: string, content: string>>`. */
export type ColumnType = "string" | "int32" | "double" | "messages";

/** One column of the rows a sink writes: the row key, its type, and whether null/absent is allowed. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** True when the row may omit the key or hold null. */
  nullable: boolean;
}

/** What a column's values must be besides their type (checked by {@link rowSchema}, never written). */
export interface ColumnCheck {
  /** A string column: one of these. */
  values?: readonly string[];
  /** A string column: 64 lowercase hex digits (a sha256). */
  sha256?: true;
  /** An int32 column: at least this. */
  min?: number;
  /** A messages column: at least / exactly this many messages. */
  minItems?: number;
  items?: number;
}

/**
 * One output row layout: its columns in key order (what the JSONL writer, the Parquet and Arrow schemas and
 * the card's `dataset_info` are derived from) and the checks its values meet. {@link rowSchema} derives its
 * zod schema.
 */
export interface RowLayout {
  name: string;
  columns: ColumnSpec[];
  checks: Readonly<Record<string, ColumnCheck>>;
}

const column = (name: string, type: ColumnType, nullable = false): ColumnSpec => ({ name, type, nullable });
const LANG: ColumnCheck = { values: ["ja", "en"] };
const INDEX: ColumnCheck = { min: 0 };

/** Options of {@link sftLayout}. */
export interface SftLayoutOptions {
  /** Add `lang`, `response_index`, `score` (behaviour.md §3 `--with-meta`). Default true. */
  meta?: boolean;
  /** Add a `text` string column (the rendered chat template). Default false. */
  text?: boolean;
  /** Key of the message list (`--messages-key`). Default `messages`. */
  messagesKey?: string;
}

/**
 * An SFT row (behaviour.md §3): `conversation_id`, the message list (under `messagesKey`), then with `meta`
 * `lang` (nullable string), `response_index` (nullable int32), `score` (nullable double), then `text`.
 */
export function sftLayout(options: SftLayoutOptions = {}): RowLayout {
  const messages = options.messagesKey ?? "messages";
  const columns = [column("conversation_id", "string"), column(messages, "messages")];
  if (options.meta ?? true) columns.push(column("lang", "string", true), column("response_index", "int32", true), column("score", "double", true));
  if (options.text) columns.push(column("text", "string"));
  return { name: `sft-${messages}`, columns, checks: { [messages]: { minItems: 1 }, lang: LANG, response_index: INDEX } };
}

/** Options of {@link dpoLayout}. */
export interface DpoLayoutOptions {
  /** `trl` (explicit prompt, default) or `ultrafeedback` (`HuggingFaceH4/ultrafeedback_binarized` columns). */
  format?: "trl" | "ultrafeedback";
  /** Add `lang`. Default true. */
  meta?: boolean;
  /** Add `chosen_index` and `rejected_index` (with `meta`). Default false. */
  indices?: boolean;
  /** Add a `text` string column. Default false. */
  text?: boolean;
}

/**
 * A DPO row (behaviour.md §4). `trl`: `conversation_id`, `prompt`, `chosen`, `rejected` (message lists;
 * one assistant message each for chosen and rejected), `score_chosen`, `score_rejected`, `prompt_id` (sha256
 * hex of the user text). `ultrafeedback`: `prompt` (the user text), `prompt_id`, `chosen`, `rejected`,
 * `messages` (whole conversations), the scores, then `conversation_id`. Both then `lang` (with `meta`),
 * `chosen_index`, `rejected_index` (with `indices`), `text`.
 */
export function dpoLayout(options: DpoLayoutOptions = {}): RowLayout {
  const format = options.format ?? "trl";
  const scores = [column("score_chosen", "double"), column("score_rejected", "double")];
  const columns =
    format === "trl"
      ? [column("conversation_id", "string"), column("prompt", "messages"), column("chosen", "messages"), column("rejected", "messages"), ...scores, column("prompt_id", "string")]
      : [column("prompt", "string"), column("prompt_id", "string"), column("chosen", "messages"), column("rejected", "messages"), column("messages", "messages"), ...scores, column("conversation_id", "string")];
  if (options.meta ?? true) {
    columns.push(column("lang", "string", true));
    if (options.indices) columns.push(column("chosen_index", "int32", true), column("rejected_index", "int32", true));
  }
  if (options.text) columns.push(column("text", "string"));
  const turns: Record<string, ColumnCheck> =
    format === "trl" ? { prompt: { minItems: 1 }, chosen: { items: 1 }, rejected: { items: 1 } } : { chosen: { minItems: 2 }, rejected: { minItems: 2 }, messages: { minItems: 2 } };
  return { name: `dpo-${format}`, columns, checks: { ...turns, prompt_id: { sha256: true }, lang: LANG, chosen_index: INDEX, rejected_index: INDEX } };
}

/** The zod type of one column, with its checks. */
function columnSchema(spec: ColumnSpec, check: ColumnCheck = {}): z.ZodType {
  let schema: z.ZodType;
  if (spec.type === "string") {
    const text = z.string();
    schema = check.values ? z.enum(check.values as [string, ...string[]]) : check.sha256 ? text.regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits (sha256)") : text;
  } else if (spec.type === "messages") {
    const list = z.array(MessageSchema);
    schema = check.items !== undefined ? list.length(check.items) : check.minItems !== undefined ? list.min(check.minItems) : list;
  } else {
    const n = spec.type === "int32" ? z.number().int() : z.number();
    schema = check.min !== undefined ? n.min(check.min) : n;
  }
  return spec.nullable ? schema.nullish() : schema;
}

/**
 * The zod schema of a layout's rows: every column with its type and checks, nullable ones optional; unknown
 * keys are stripped. Reads back what the writers wrote; `Row` is the type the caller's converter writes in
 * this layout.
 */
export function rowSchema<Row>(layout: RowLayout): z.ZodType<Row> {
  // The columns are Row's keys and types by construction of each layout; zod cannot infer that from data.
  return z.object(Object.fromEntries(layout.columns.map((c) => [c.name, columnSchema(c, layout.checks[c.name])]))) as unknown as z.ZodType<Row>;
}
