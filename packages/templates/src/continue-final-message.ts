import type { Message } from "@lmsynth/schema";
import { pythonLstrip, pythonStrip } from "./python-strip.js";
import { RenderFailure } from "./template-error.js";

/**
 * transformers' `continue_final_message`: cuts `rendered` right after the last occurrence of the final
 * message's stripped content, keeping its leading/trailing spaces only where the template kept them.
 * Strips with Python semantics, as transformers does. Throws `RenderFailure` when the content is not found.
 */
export function continueFinalMessage(rendered: string, messages: readonly Message[]): string {
  const last = messages[messages.length - 1];
  if (last === undefined) throw new RenderFailure("continue_final_message is set but the conversation is empty");
  const final = last.content;
  const stripped = pythonStrip(final);
  const at = rendered.lastIndexOf(stripped);
  if (at < 0) {
    throw new RenderFailure(
      "continue_final_message is set but the final message does not appear in the chat after applying the chat template",
    );
  }
  const lstripped = pythonLstrip(final);
  // transformers compares a slice as long as the left-stripped message with the whole message: equal only
  // when the message has no leading whitespace and the template kept its trailing whitespace.
  if (rendered.slice(at, at + lstripped.length) === final) return rendered.slice(0, at + lstripped.length);
  return rendered.slice(0, at + stripped.length);
}
