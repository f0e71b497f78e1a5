/** The value type of one output column; `messages` is `list<struct<role: string, content: string>>`. */
export type ColumnType = "string" | "int32" | "double" | "messages";

/** One column of the rows a sink writes: the row key, its type, and whether null/absent is allowed. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** True when the row may omit the key or hold null. */
  nullable: boolean;
}

/** Options of {@link sftColumns}. */
export interface SftColumnsOptions {
  /** Add `lang`, `response_index`, `score` (behaviour.md §3 `--with-meta`). Default true. */
  meta?: boolean;
  /** Add a `text` string column (the rendered chat template). Default false. */
  text?: boolean;
  /** Key of the message list (`--messages-key`). Default `messages`. */
  messagesKey?: string;
}

/** Options of {@link dpoColumns}. */
export interface DpoColumnsOptions {
  /** Add `lang`. Default true. */
  meta?: boolean;
  /** Add a `text` string column. Default false. */
  text?: boolean;
}

/**
 * Columns of an SFT row (behaviour.md §3), in output order: `conversation_id`, `messages`, then with `meta`
 * `lang` (nullable string), `response_index` (nullable int32), `score` (nullable double), then `text`.
 */
export function sftColumns(options: SftColumnsOptions = {}): ColumnSpec[] {
  const columns: ColumnSpec[] = [
    { name: "conversation_id", type: "string", nullable: false },
    { name: options.messagesKey ?? "messages", type: "messages", nullable: false },
  ];
  if (options.meta ?? true) {
    columns.push(
      { name: "lang", type: "string", nullable: true },
      { name: "response_index", type: "int32", nullable: true },
      { name: "score", type: "double", nullable: true },
    );
  }
  if (options.text) columns.push({ name: "text", type: "string", nullable: false });
  return columns;
}

/**
 * Columns of a DPO row (behaviour.md §4, TRL explicit-prompt conversational), in output order:
 * `conversation_id`, `prompt`, `chosen`, `rejected` (message lists), `score_chosen`, `score_rejected`
 * (double), `prompt_id`, then with `meta` `lang` (nullable), then `text`.
 */
export function dpoColumns(options: DpoColumnsOptions = {}): ColumnSpec[] {
  const columns: ColumnSpec[] = [
    { name: "conversation_id", type: "string", nullable: false },
    { name: "prompt", type: "messages", nullable: false },
    { name: "chosen", type: "messages", nullable: false },
    { name: "rejected", type: "messages", nullable: false },
    { name: "score_chosen", type: "double", nullable: false },
    { name: "score_rejected", type: "double", nullable: false },
    { name: "prompt_id", type: "string", nullable: false },
  ];
  if (options.meta ?? true) columns.push({ name: "lang", type: "string", nullable: true });
  if (options.text) columns.push({ name: "text", type: "string", nullable: false });
  return columns;
}

const DTYPES: Record<Exclude<ColumnType, "messages">, string> = { string: "string", int32: "int32", double: "float64" };

/**
 * The `datasets` features of `columns`, as `datasets` writes them into a Parquet file's `huggingface`
 * metadata (`{"info": {"features": …}}`), so a loader reads the same types it would have written.
 */
export function huggingfaceFeatures(columns: readonly ColumnSpec[]): Record<string, unknown> {
  const value = (dtype: string) => ({ dtype, _type: "Value" });
  return Object.fromEntries(
    columns.map((c) => [
      c.name,
      c.type === "messages" ? { feature: { role: value("string"), content: value("string") }, _type: "List" } : value(DTYPES[c.type]),
    ]),
  );
}

/** The `features` list of a card's `dataset_info` for `columns`, as YAML lines at `indent` spaces. */
export function featuresYaml(columns: readonly ColumnSpec[], indent: string): string[] {
  return columns.flatMap((c) =>
    c.type === "messages"
      ? [`${indent}- name: ${c.name}`, `${indent}  list:`, `${indent}  - name: role`, `${indent}    dtype: string`, `${indent}  - name: content`, `${indent}    dtype: string`]
      : [`${indent}- name: ${c.name}`, `${indent}  dtype: ${DTYPES[c.type]}`],
  );
}
