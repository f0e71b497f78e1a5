import type { SftRow } from "@lmsynth/schema";
import type { ChatRenderer } from "./chat-renderer.js";

/** An SFT conversation rendered to text: what TRL's `apply_chat_template` makes of `{ messages }`. */
export interface RenderedSftRow {
  conversation_id: string;
  text: string;
}

/**
 * Renders an SFT row's `messages` without generation prompt (behaviour.md §5). Throws the renderer's
 * `TemplateError`, naming the row's `conversation_id`.
 */
export function renderSftRow(row: Pick<SftRow, "conversation_id" | "messages">, renderer: ChatRenderer): RenderedSftRow {
  const text = renderer.render(row.messages, { conversationId: row.conversation_id });
  return { conversation_id: row.conversation_id, text };
}
