import type { Message } from "@lmsynth/schema";
import { RenderFailure } from "./template-error.js";

/** Fails unless `m` is a `{ role: string, content: string }` message; `i` is its index in the conversation. */
export function checkMessage(m: Message, i: number): void {
  if (typeof m.role !== "string") throw new RenderFailure(`messages[${i}].role: expected string, got ${typeName(m.role)}`);
  if (typeof m.content !== "string") {
    throw new RenderFailure(`messages[${i}].content: expected string, got ${typeName(m.content)}`);
  }
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}
