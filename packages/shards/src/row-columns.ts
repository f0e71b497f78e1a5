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
