import { z } from "zod";

/** One chat turn. `role` is open-ended on input (system/user/assistant in practice). */
export const MessageSchema = z.looseObject({
  role: z.string(),
  content: z.string(),
});
export type Message = { role: string; content: string };
