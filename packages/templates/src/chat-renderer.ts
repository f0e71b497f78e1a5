import type { Message } from "@lmsynth/schema";
import { continueFinalMessage } from "./continue-final-message.js";
import { RenderFailure, TemplateError } from "./template-error.js";

/** How to render one conversation; the flags of transformers' `apply_chat_template`. */
export interface RenderOptions {
  /** Append the header that opens an assistant turn (`add_generation_prompt`). Default false. */
  addGenerationPrompt?: boolean;
  /**
   * Cut the text right after the last message's content, so a model continues it
   * (`continue_final_message`, as transformers does it). Default false. Not with `addGenerationPrompt`.
   */
  continueFinalMessage?: boolean;
  /** The record being rendered, named in errors. Default none. */
  conversationId?: string;
}

/** A chat template ready to render conversations: a built-in or a Jinja template file. */
export interface ChatRenderer {
  /** Built-in name (`llama-3.1`) or the path the template was read from; named in errors. */
  readonly template: string;
  /**
   * Renders `messages` to the exact text transformers' `apply_chat_template(messages, tokenize=False, …)`
   * returns. Pure and deterministic. Throws `TemplateError` (naming `template` and `conversationId`) when the
   * template raises or the conversation cannot be rendered.
   */
  render(messages: readonly Message[], options?: RenderOptions): string;
}

/** The template-specific part of a renderer. Throws `RenderFailure` with the reason. */
export type RenderCore = (messages: readonly Message[], addGenerationPrompt: boolean) => string;

const NO_OPTIONS: RenderOptions = {};

/**
 * Wraps a `RenderCore` into a `ChatRenderer`: applies `continueFinalMessage` and turns every failure into a
 * `TemplateError` naming the template and the record.
 */
export function createRenderer(template: string, core: RenderCore): ChatRenderer {
  return {
    template,
    render(messages, options = NO_OPTIONS) {
      try {
        if (options.continueFinalMessage) {
          if (options.addGenerationPrompt) {
            throw new RenderFailure("continueFinalMessage and addGenerationPrompt are not compatible");
          }
          return continueFinalMessage(core(messages, false), messages);
        }
        return core(messages, options.addGenerationPrompt === true);
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        const detail = e instanceof RenderFailure ? e.message : `render failed: ${(e as Error).message}`;
        throw new TemplateError(template, options.conversationId, detail, { cause: e });
      }
    },
  };
}
