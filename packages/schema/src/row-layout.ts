import { z } from "zod";
import { MessageSchema, traceFields, type ReasoningKey } from "./message.js";

/**
 * The value type of one output column. `messages` is a list of structs of string fields (by default
 * `list<struct<role: string, content: string>>`); `struct` is one such struct (a ShareGPT turn).
 */
export type ColumnType = "string" | "int32" | "double" | "bool" | "messages" | "struct";

/** A string field of a `messages` or `struct` column. */
export interface FieldSpec {
  name: string;
  /** True when a message may omit the field or hold null (a reasoning trace on user turns). */
  nullable?: boolean;
}

/** One column of the rows a sink writes: the row key, its type, and whether null/absent is allowed. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** True when the row may omit the key or hold null. */
  nullable: boolean;
  /** The struct fields of a `messages` or `struct` column. Default {@link MESSAGE_FIELDS}. */
  fields?: readonly FieldSpec[];
}

/** The fields of a chat message: `role`, `content`. */
export const MESSAGE_FIELDS: readonly FieldSpec[] = [{ name: "role" }, { name: "content" }];

/** The fields of a ShareGPT turn (LLaMA-Factory, axolotl): `from` (system, human, gpt), `value`. */
export const SHAREGPT_FIELDS: readonly FieldSpec[] = [{ name: "from" }, { name: "value" }];

/** The struct fields of a `messages` or `struct` column. */
export function fieldsOf(spec: ColumnSpec): readonly FieldSpec[] {
  return spec.fields ?? MESSAGE_FIELDS;
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

/** The `--sft-format` values, default first (behaviour.md §3). */
export const SFT_FORMATS = ["messages", "conversation", "prompt-completion", "sharegpt"] as const;
export type SftFormat = (typeof SFT_FORMATS)[number];

/** The `--dpo-format` values, default first (behaviour.md §4). */
export const DPO_FORMATS = ["trl", "implicit", "ultrafeedback", "sharegpt"] as const;
export type DpoFormat = (typeof DPO_FORMATS)[number];

/** A message-list column; with `reasoningKey`, its messages carry its trace fields after `content` (strings,
 * `""` where there is no trace: `traced`; nullable for files written before). */
function messagesColumn(name: string, reasoningKey: ReasoningKey | undefined): ColumnSpec {
  if (!reasoningKey) return column(name, "messages");
  return { ...column(name, "messages"), fields: [...MESSAGE_FIELDS, ...traceFields(reasoningKey).map((field) => ({ name: field, nullable: true }))] };
}

/** ShareGPT turns (`{from, value}`, a trace inline in `value`), as a list or, for the chosen and rejected
 * answers of LLaMA-Factory's ranking data, one. */
const shareGptColumn = (name: string): ColumnSpec => ({ ...column(name, "messages"), fields: SHAREGPT_FIELDS });
const turnColumn = (name: string): ColumnSpec => ({ ...column(name, "struct"), fields: SHAREGPT_FIELDS });

/** Options of {@link sftLayout}. */
export interface SftLayoutOptions {
  /** Default `messages`. */
  format?: SftFormat;
  /** Add `lang`, `response_index`, `score` (behaviour.md §3 `--with-meta`). Default true. */
  meta?: boolean;
  /** Add a `text` string column (the rendered chat template). Default false. */
  text?: boolean;
  /** Key of the message list of the `messages` format (`--messages-key`). Default `messages`. */
  messagesKey?: string;
  /** Messages carry the trace fields of this key (`--reasoning keep`, GPT-OSS; not in sharegpt, where a trace is inline). Default none. */
  reasoningKey?: ReasoningKey;
  /** Add `num_tokens` (nullable int32) after the meta columns (`--tokenizer`, with `meta`). Default false. */
  tokens?: boolean;
}

/**
 * An SFT row (behaviour.md §3): `conversation_id`, then by format
 * - `messages`: the message list (under `messagesKey`); `conversation`: the same under `conversation` (the
 *   upstream `convert_to_sft_dataset.py` key);
 * - `prompt-completion`: `prompt` (every message before the last) and `completion` (the last assistant
 *   message), TRL's conversational prompt-completion type;
 * - `sharegpt`: `conversations` of `{from: system|human|gpt, value}` (LLaMA-Factory, axolotl);
 *
 * then with `meta` `lang` (nullable string), `response_index` (nullable int32), `score` (nullable double) and
 * with `tokens` `num_tokens` (nullable int32), then `text`.
 */
export function sftLayout(options: SftLayoutOptions = {}): RowLayout {
  const format = options.format ?? "messages";
  const reasoning = options.reasoningKey;
  const list = (key: string) => ({ columns: [messagesColumn(key, reasoning)], checks: { [key]: { minItems: 1 } } });
  const bodies: Record<SftFormat, () => { columns: ColumnSpec[]; checks: Record<string, ColumnCheck> }> = {
    messages: () => list(options.messagesKey ?? "messages"),
    conversation: () => list("conversation"),
    "prompt-completion": () => ({ columns: [messagesColumn("prompt", reasoning), messagesColumn("completion", reasoning)], checks: { prompt: { minItems: 1 }, completion: { items: 1 } } }),
    sharegpt: () => ({ columns: [shareGptColumn("conversations")], checks: { conversations: { minItems: 1 } } }),
  };
  const body = bodies[format]();
  const columns = [column("conversation_id", "string"), ...body.columns];
  const checks = body.checks;
  if (options.meta ?? true) {
    columns.push(column("lang", "string", true), column("response_index", "int32", true), column("score", "double", true));
    if (options.tokens) columns.push(column("num_tokens", "int32", true));
  }
  if (options.text) columns.push(column("text", "string"));
  return { name: `sft-${format}`, columns, checks: { ...checks, lang: LANG, response_index: INDEX, num_tokens: INDEX } };
}

/** Options of {@link dpoLayout}. */
export interface DpoLayoutOptions {
  /** Default `trl`. */
  format?: DpoFormat;
  /** Add `lang`. Default true. */
  meta?: boolean;
  /** Add `chosen_index` and `rejected_index` (with `meta`). Default false. */
  indices?: boolean;
  /** Add a `text` string column. Default false. */
  text?: boolean;
  /** Messages carry the trace fields of this key (not in sharegpt, where a trace is inline). Default none. */
  reasoningKey?: ReasoningKey;
}

/**
 * A DPO row (behaviour.md §4).
 * - `trl`: `conversation_id`, `prompt`, `chosen`, `rejected` (message lists; one assistant message each for
 *   chosen and rejected), `score_chosen`, `score_rejected`, `prompt_id` (sha256 hex of the user text);
 * - `implicit`: `conversation_id`, `chosen`, `rejected` (whole conversations, TRL's implicit prompt, as
 *   RewardTrainer reads), the scores, `prompt_id`;
 * - `ultrafeedback`: `prompt` (the user text), `prompt_id`, `chosen`, `rejected`, `messages` (whole
 *   conversations), the scores, then `conversation_id`;
 * - `sharegpt`: `conversation_id`, `conversations` (the prompt as `{from, value}` turns), `chosen` and
 *   `rejected` (one `{from: gpt, value}` turn each, LLaMA-Factory's ranking data), the scores, `prompt_id`;
 *
 * then `lang` (with `meta`), `chosen_index`, `rejected_index` (with `indices`), `text`.
 */
export function dpoLayout(options: DpoLayoutOptions = {}): RowLayout {
  const format = options.format ?? "trl";
  const reasoning = options.reasoningKey;
  const id = column("conversation_id", "string");
  const promptId = column("prompt_id", "string");
  const scores = [column("score_chosen", "double"), column("score_rejected", "double")];
  const [chosen, rejected] = ["chosen", "rejected"].map((name) => (format === "sharegpt" ? turnColumn(name) : messagesColumn(name, reasoning))) as [ColumnSpec, ColumnSpec];
  const columns = ({
    trl: [id, messagesColumn("prompt", reasoning), chosen, rejected, ...scores, promptId],
    implicit: [id, chosen, rejected, ...scores, promptId],
    ultrafeedback: [column("prompt", "string"), promptId, chosen, rejected, messagesColumn("messages", reasoning), ...scores, id],
    sharegpt: [id, shareGptColumn("conversations"), chosen, rejected, ...scores, promptId],
  } satisfies Record<DpoFormat, ColumnSpec[]>)[format];
  if (options.meta ?? true) {
    columns.push(column("lang", "string", true));
    if (options.indices) columns.push(column("chosen_index", "int32", true), column("rejected_index", "int32", true));
  }
  if (options.text) columns.push(column("text", "string"));
  const whole: ColumnCheck = { minItems: 2 };
  const turns: Record<string, ColumnCheck> = ({
    trl: { prompt: { minItems: 1 }, chosen: { items: 1 }, rejected: { items: 1 } },
    implicit: { chosen: whole, rejected: whole },
    ultrafeedback: { chosen: whole, rejected: whole, messages: whole },
    sharegpt: { conversations: { minItems: 1 } },
  } satisfies Record<DpoFormat, Record<string, ColumnCheck>>)[format];
  return { name: `dpo-${format}`, columns, checks: { ...turns, prompt_id: { sha256: true }, lang: LANG, chosen_index: INDEX, rejected_index: INDEX } };
}

/** Options of {@link ktoLayout}. */
export interface KtoLayoutOptions {
  /** Add `lang` and `response_index`. Default true. */
  meta?: boolean;
  /** Messages carry the trace fields of this key (not in sharegpt, where a trace is inline). Default none. */
  reasoningKey?: ReasoningKey;
}

/**
 * A KTO row (TRL's unpaired preference type): `conversation_id`, `prompt` (message list), `completion` (one
 * assistant message), `label` (true: desirable), `score` (the judge's score that decided the label),
 * `prompt_id`, then with `meta` `lang` and `response_index`.
 */
export function ktoLayout(options: KtoLayoutOptions = {}): RowLayout {
  const reasoning = options.reasoningKey;
  const columns = [
    column("conversation_id", "string"),
    messagesColumn("prompt", reasoning),
    messagesColumn("completion", reasoning),
    column("label", "bool"),
    column("score", "double"),
    column("prompt_id", "string"),
  ];
  if (options.meta ?? true) columns.push(column("lang", "string", true), column("response_index", "int32", true));
  return { name: "kto", columns, checks: { prompt: { minItems: 1 }, completion: { items: 1 }, prompt_id: { sha256: true }, lang: LANG, response_index: INDEX } };
}

/** The zod schema of a struct of string fields (a message or a turn); other keys are kept. */
function structSchema(fields: readonly FieldSpec[]): z.ZodType {
  return z.looseObject(Object.fromEntries(fields.map((f) => [f.name, f.nullable ? z.string().nullish() : z.string()])));
}

/** The zod type of one column, with its checks. */
function columnSchema(spec: ColumnSpec, check: ColumnCheck = {}): z.ZodType {
  let schema: z.ZodType;
  if (spec.type === "string") {
    const text = z.string();
    schema = check.values ? z.enum(check.values as [string, ...string[]]) : check.sha256 ? text.regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits (sha256)") : text;
  } else if (spec.type === "messages") {
    const list = z.array(spec.fields ? structSchema(spec.fields) : MessageSchema);
    schema = check.items !== undefined ? list.length(check.items) : check.minItems !== undefined ? list.min(check.minItems) : list;
  } else if (spec.type === "struct") {
    schema = structSchema(fieldsOf(spec));
  } else if (spec.type === "bool") {
    schema = z.boolean();
  } else {
    const n = spec.type === "int32" ? z.number().int() : z.number();
    schema = check.min !== undefined ? n.min(check.min) : n;
  }
  return spec.nullable ? schema.nullish() : schema;
}

/**
 * The zod schema of a layout's rows: every column with its type and checks, nullable ones optional; unknown
 * keys are stripped. Reads back what the writers wrote; `Row` is the type the caller's converter writes in
 * this layout. With `only`, just those columns (a reader that needs the conversation, not the meta).
 */
export function rowSchema<Row>(layout: RowLayout, only?: readonly string[]): z.ZodType<Row> {
  const columns = only ? layout.columns.filter((c) => only.includes(c.name)) : layout.columns;
  // The columns are Row's keys and types by construction of each layout; zod cannot infer that from data.
  return z.object(Object.fromEntries(columns.map((c) => [c.name, columnSchema(c, layout.checks[c.name])]))) as unknown as z.ZodType<Row>;
}
