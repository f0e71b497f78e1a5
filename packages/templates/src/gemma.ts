import type { Message } from "@lmsynth/schema";
import { checkMessage } from "./check-message.js";
import { pythonStrip } from "./python-strip.js";
import { RenderFailure } from "./template-error.js";

/** What the Gemma 2/3 templates read besides the messages, and how they differ. */
export interface GemmaConfig {
  /** `bos_token`; the models' is `<bos>`. */
  bosToken: string;
  /**
   * Gemma 3 (and Gemma 2 with `systemIntoUser`): a leading system message is written, untrimmed and followed
   * by a blank line, at the start of the first turn. Gemma 2 otherwise raises `System role not supported`.
   */
  foldSystem: boolean;
}

const SYSTEM_NOT_SUPPORTED =
  "System role not supported (Gemma 2's template rejects a system message; " +
  "set systemIntoUser / --system-into-user to fold it into the first user turn as Gemma 3 does)";
const NOT_ALTERNATING = "Conversation roles must alternate user/assistant/user/assistant/...";

/**
 * google/gemma-2-27b-it's and google/gemma-3-27b-it's chat templates for string contents. Turns must
 * alternate starting with `user` (only whether the role is `user` is checked, as the template does);
 * `assistant` is written as `model`; contents are trimmed.
 */
export function renderGemma(messages: readonly Message[], addGenerationPrompt: boolean, config: GemmaConfig): string {
  const n = messages.length;
  const first = messages[0];
  // `messages[0]['role']` on an empty list is an UndefinedError in Python Jinja.
  if (first === undefined) throw new RenderFailure("the conversation has no messages");
  checkMessage(first, 0);
  let start = 0;
  let prefix = "";
  if (first.role === "system") {
    if (!config.foldSystem) throw new RenderFailure(SYSTEM_NOT_SUPPORTED);
    prefix = first.content + "\n\n";
    start = 1;
  }
  let out = config.bosToken;
  for (let i = start; i < n; i++) {
    const m = messages[i]!;
    checkMessage(m, i);
    const role = m.role;
    if ((role === "user") !== (((i - start) & 1) === 0)) throw new RenderFailure(NOT_ALTERNATING);
    out +=
      "<start_of_turn>" +
      (role === "assistant" ? "model" : role) +
      "\n" +
      (i === start ? prefix + pythonStrip(m.content) : pythonStrip(m.content)) +
      "<end_of_turn>\n";
  }
  if (addGenerationPrompt) out += "<start_of_turn>model\n";
  return out;
}
