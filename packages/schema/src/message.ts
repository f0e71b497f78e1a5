import { z } from "zod";

/** One chat turn. `role` is open-ended on input (system/user/assistant in practice). */
export const MessageSchema = z.looseObject({
  role: z.string(),
  content: z.string(),
});
export type Message = { role: string; content: string };

/**
 * One synthesized assistant response. Its `content` is read as text only when it is a string: a reasoning
 * model may give none (`null`), and such a response must be an unusable candidate, not an invalid record.
 */
export const ResponseSchema = z.looseObject({
  role: z.string(),
  content: z.unknown(),
});
export type Response = z.infer<typeof ResponseSchema>;
