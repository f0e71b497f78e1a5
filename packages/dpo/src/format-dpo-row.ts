import { toShareGptTurn, type DpoFormat, type DpoRow, type Lang, type Message } from "@lmsynth/schema";

/**
 * A DPO row in the `HuggingFaceH4/ultrafeedback_binarized` layout: that dataset's seven columns in its order,
 * then lmsynth's `conversation_id` and, with `withMeta`, the same meta fields as {@link DpoRow}.
 */
export interface UltrafeedbackRow {
  /** The user text, as a plain string. */
  prompt: string;
  /** sha256 hex of `prompt`. */
  prompt_id: string;
  /** Full conversation: [system?], user, chosen assistant turn. */
  chosen: Message[];
  /** Full conversation: [system?], user, rejected assistant turn. */
  rejected: Message[];
  /** Same messages as `chosen` (the dataset's SFT column). */
  messages: Message[];
  score_chosen: number;
  score_rejected: number;
  conversation_id: string;
  lang?: Lang;
  chosen_index?: number;
  rejected_index?: number;
}

function copy(messages: readonly Message[]): Message[] {
  return messages.map((message) => ({ ...message }));
}

function userText(prompt: readonly Message[]): string {
  for (let i = prompt.length - 1; i >= 0; i--) if (prompt[i]!.role === "user") return prompt[i]!.content;
  throw new TypeError("DPO row has no user message in its prompt");
}

function meta(row: DpoRow): Pick<DpoRow, "lang" | "chosen_index" | "rejected_index"> {
  const out: Pick<DpoRow, "lang" | "chosen_index" | "rejected_index"> = {};
  if (row.lang !== undefined) out.lang = row.lang;
  if (row.chosen_index !== undefined) out.chosen_index = row.chosen_index;
  if (row.rejected_index !== undefined) out.rejected_index = row.rejected_index;
  return out;
}

/**
 * The row as written to JSONL/Parquet, keys in a fixed order; meta keys appear only when set on `row`.
 * - `trl` (default): `conversation_id, prompt, chosen, rejected, score_chosen, score_rejected, prompt_id`,
 *   then `lang, chosen_index, rejected_index`.
 * - `ultrafeedback`: `prompt` (the user text), `prompt_id, chosen, rejected, messages, score_chosen,
 *   score_rejected` (full conversations: the prompt messages, system included, then the assistant turn),
 *   then `conversation_id` and the meta keys.
 * - `implicit`: `conversation_id`, `chosen`, `rejected` (whole conversations), the scores, `prompt_id`, meta.
 * - `sharegpt`: `conversation_id`, `conversations` (the prompt as `{from, value}` turns), `chosen` and
 *   `rejected` (one turn each), the scores, `prompt_id`, meta.
 * Message objects are fresh copies; contents are never changed.
 * Throws `TypeError` for `ultrafeedback` when `row.prompt` has no user message.
 */
export function formatDpoRow(row: DpoRow, format?: "trl"): DpoRow;
export function formatDpoRow(row: DpoRow, format: "ultrafeedback"): UltrafeedbackRow;
export function formatDpoRow(row: DpoRow, format: DpoFormat): object;
export function formatDpoRow(row: DpoRow, format: DpoFormat = "trl"): object {
  const scores = { score_chosen: row.score_chosen, score_rejected: row.score_rejected };
  if (format === "implicit") {
    const [chosen, rejected] = [row.chosen, row.rejected].map((answer) => [...copy(row.prompt), ...copy(answer)]);
    return { conversation_id: row.conversation_id, chosen, rejected, ...scores, prompt_id: row.prompt_id, ...meta(row) };
  }
  if (format === "sharegpt") {
    return {
      conversation_id: row.conversation_id,
      conversations: row.prompt.map(toShareGptTurn),
      chosen: toShareGptTurn(row.chosen[0]!),
      rejected: toShareGptTurn(row.rejected[0]!),
      ...scores,
      prompt_id: row.prompt_id,
      ...meta(row),
    };
  }
  if (format === "ultrafeedback") {
    const chosen = [...copy(row.prompt), ...copy(row.chosen)];
    return {
      prompt: userText(row.prompt),
      prompt_id: row.prompt_id,
      chosen,
      rejected: [...copy(row.prompt), ...copy(row.rejected)],
      messages: copy(chosen),
      score_chosen: row.score_chosen,
      score_rejected: row.score_rejected,
      conversation_id: row.conversation_id,
      ...meta(row),
    };
  }
  return {
    conversation_id: row.conversation_id,
    prompt: copy(row.prompt),
    chosen: copy(row.chosen),
    rejected: copy(row.rejected),
    score_chosen: row.score_chosen,
    score_rejected: row.score_rejected,
    prompt_id: row.prompt_id,
    ...meta(row),
  };
}
