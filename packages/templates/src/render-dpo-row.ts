import type { DpoRow, Message } from "@lmsynth/schema";
import type { ChatRenderer, RenderOptions } from "./chat-renderer.js";
import { TemplateError } from "./template-error.js";

/** A DPO pair rendered to strings, split as TRL splits it: `prompt + chosen` is the full chosen conversation. */
export interface RenderedDpoRow {
  conversation_id: string;
  prompt: string;
  chosen: string;
  rejected: string;
}

/**
 * Renders a DPO row in TRL's explicit-prompt layout as TRL's `maybe_apply_chat_template` does (behaviour.md
 * §5): `prompt` is the prompt messages rendered with the generation prompt (or, when the last prompt message is
 * the assistant's, continuing it); `chosen` is render(prompt + chosen) with the first `prompt.length`
 * characters cut off, and likewise `rejected`. Throws `TemplateError` naming the row when the template raises,
 * the prompt is empty or its last role is neither user nor assistant, or a full render does not start with
 * the prompt render (TRL raises there too).
 */
export function renderDpoRow(
  row: Pick<DpoRow, "conversation_id" | "prompt" | "chosen" | "rejected">,
  renderer: ChatRenderer,
): RenderedDpoRow {
  const id = row.conversation_id;
  const last = row.prompt[row.prompt.length - 1];
  let promptOptions: RenderOptions;
  if (last?.role === "user") promptOptions = { addGenerationPrompt: true, conversationId: id };
  else if (last?.role === "assistant") promptOptions = { continueFinalMessage: true, conversationId: id };
  else {
    const what = last === undefined ? "the prompt has no messages" : `invalid role in the last prompt message: ${last.role}`;
    throw new TemplateError(renderer.template, id, what);
  }
  const prompt = renderer.render(row.prompt, promptOptions);
  const full = { conversationId: id };
  const chosen = completion(renderer, prompt, renderer.render(concat(row.prompt, row.chosen), full), "chosen", id);
  const rejected = completion(renderer, prompt, renderer.render(concat(row.prompt, row.rejected), full), "rejected", id);
  return { conversation_id: id, prompt, chosen, rejected };
}

function concat(a: readonly Message[], b: readonly Message[]): Message[] {
  return a.concat(b);
}

function completion(renderer: ChatRenderer, prompt: string, whole: string, side: string, id: string): string {
  if (!whole.startsWith(prompt)) {
    throw new TemplateError(
      renderer.template,
      id,
      `the template applied to prompt + ${side} does not start with the template applied to the prompt alone, ` +
        "so TRL cannot split it",
    );
  }
  return whole.slice(prompt.length);
}
