import { z } from "zod";

/** One chat turn. `role` is open-ended on input (system/user/assistant in practice). */
export const MessageSchema = z.looseObject({
  role: z.string(),
  content: z.string(),
});
/**
 * Where an assistant message keeps a reasoning trace (`--reasoning-key`): `reasoning_content` as the GPT-OSS
 * responses and the Swallow team's SFT files have it, or `thinking` as some chat templates read it.
 */
export const REASONING_KEYS = ["reasoning_content", "thinking"] as const;
export type ReasoningKey = (typeof REASONING_KEYS)[number];

/** A chat message as rows hold it; an assistant message may carry a reasoning trace (GPT-OSS). */
export type Message = { role: string; content: string } & Partial<Record<ReasoningKey, string>>;

/**
 * One synthesized assistant response. Its `content` is read as text only when it is a string: a reasoning
 * model may give none (`null`), and such a response must be an unusable candidate, not an invalid record.
 */
export const ResponseSchema = z.looseObject({
  role: z.string(),
  content: z.unknown(),
});
export type Response = z.infer<typeof ResponseSchema>;

/** ShareGPT speaker names (LLaMA-Factory's default tags) of the chat roles. */
const SHAREGPT_FROM: Readonly<Record<string, string>> = { system: "system", user: "human", assistant: "gpt" };

const SHAREGPT_ROLE: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(SHAREGPT_FROM).map(([role, from]) => [from, role]));

/** A ShareGPT turn (`{from, value}`) from a message; other keys (a reasoning trace) follow unchanged. */
export function toShareGptTurn({ role, content, ...rest }: Message): Record<string, unknown> {
  return { from: SHAREGPT_FROM[role] ?? role, value: content, ...rest };
}

/** The message of a ShareGPT turn: the inverse of {@link toShareGptTurn}. */
export function fromShareGptTurn({ from, value, ...rest }: { from: string; value: string } & Record<string, unknown>): Message {
  return { role: SHAREGPT_ROLE[from] ?? from, content: value, ...rest };
}
