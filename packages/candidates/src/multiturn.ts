import type { Message, Multiturn } from "@lmsynth/schema";

/**
 * The Gemma-2 multi-turn conversation as a flat message list (input-format.md §5). Accepts the nested
 * `[[msg…]]` and the flat `[msg…]` shapes; when the conversation starts with the assistant, the Japanese
 * instruction is put in front. Returns undefined when the field is absent, null or empty.
 */
export function multiturnMessages(field: Multiturn, instruction: string): Message[] | undefined {
  if (!field || field.length === 0) return undefined;
  const first = field[0]!;
  const flat = (Array.isArray(first) ? first : field) as Message[];
  if (flat.length === 0) return undefined;
  const messages = flat.map(({ role, content }) => ({ role, content }));
  if (messages[0]!.role === "assistant") messages.unshift({ role: "user", content: instruction });
  return messages;
}
