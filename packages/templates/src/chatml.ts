import type { Message } from "@lmsynth/schema";
import { checkMessage } from "./check-message.js";

/**
 * The well-known ChatML template (`<|im_start|>role\ncontent<|im_end|>\n` per message, no BOS, nothing
 * trimmed, any roles in any order), as in the transformers chat-templating docs.
 */
export function renderChatml(messages: readonly Message[], addGenerationPrompt: boolean): string {
  let out = "";
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    checkMessage(m, i);
    out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  }
  if (addGenerationPrompt) out += "<|im_start|>assistant\n";
  return out;
}
