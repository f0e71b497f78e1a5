import { OptionError } from "@lmsynth/schema";
import { createRenderer, type ChatRenderer } from "./chat-renderer.js";
import { renderChatml } from "./chatml.js";
import { renderGemma } from "./gemma.js";
import { renderLlama31 } from "./llama31.js";

/** Names of the built-in templates, written natively (behaviour.md §5). */
export const BUILTIN_TEMPLATES = ["llama-3.1", "gemma-2", "gemma-3", "chatml"] as const;

/** One of `BUILTIN_TEMPLATES`. */
export type BuiltinTemplateName = (typeof BUILTIN_TEMPLATES)[number];

/** Options of `builtinRenderer`. */
export interface BuiltinRendererOptions {
  /**
   * gemma-2: fold a leading system message into the first user turn (system text, a blank line, then the
   * trimmed user text: Gemma 3's output) instead of failing. gemma-3 does this anyway. Default false; a usage
   * error with llama-3.1 and chatml, whose templates take system messages.
   */
  systemIntoUser?: boolean;
  /**
   * Template variables (CLI `--template-arg`). Read where the official template reads them: `bos_token`
   * (llama-3.1, gemma-2, gemma-3) and `date_string` (llama-3.1, default `26 Jul 2024`), both strings; others
   * are ignored, as the template ignores them, except tool variables, a usage error. Default none.
   */
  variables?: Readonly<Record<string, unknown>>;
}

/** True when `name` is a built-in template name. */
export function isBuiltinTemplate(name: string): name is BuiltinTemplateName {
  return (BUILTIN_TEMPLATES as readonly string[]).includes(name);
}

/**
 * A native renderer for a built-in template: byte for byte what transformers' `apply_chat_template` returns
 * with the official template and the model's special tokens (`<|begin_of_text|>`; `<bos>`), Python's `trim`
 * semantics included, without interpreting Jinja per row. Throws `OptionError` for options the template cannot
 * take (see `BuiltinRendererOptions`).
 */
export function builtinRenderer(name: BuiltinTemplateName, options: BuiltinRendererOptions = {}): ChatRenderer {
  const variables = options.variables ?? {};
  rejectReserved(name, variables);
  const systemIntoUser = options.systemIntoUser === true;
  switch (name) {
    case "llama-3.1": {
      for (const key of ["tools", "custom_tools", "builtin_tools"]) {
        if (variables[key] !== undefined && variables[key] !== null) {
          throw new OptionError(`template llama-3.1: the built-in renders no tools (${key}); give the official template file instead`);
        }
      }
      rejectSystemIntoUser(name, systemIntoUser);
      const config = {
        bosToken: stringVariable(name, variables, "bos_token") ?? "<|begin_of_text|>",
        dateString: stringVariable(name, variables, "date_string") ?? "26 Jul 2024",
      };
      return createRenderer(name, (messages, gen) => renderLlama31(messages, gen, config));
    }
    case "gemma-2":
    case "gemma-3": {
      const config = {
        bosToken: stringVariable(name, variables, "bos_token") ?? "<bos>",
        foldSystem: name === "gemma-3" || systemIntoUser,
      };
      return createRenderer(name, (messages, gen) => renderGemma(messages, gen, config));
    }
    case "chatml":
      rejectSystemIntoUser(name, systemIntoUser);
      return createRenderer(name, renderChatml);
    default:
      // Unreachable from TypeScript; a JavaScript caller may pass any string.
      throw new OptionError(`unknown built-in template ${JSON.stringify(name)}: expected one of ${BUILTIN_TEMPLATES.join(", ")}`);
  }
}

/** `messages` and `add_generation_prompt` come from the row and the render options, never from variables. */
export function rejectReserved(template: string, variables: Readonly<Record<string, unknown>>): void {
  for (const key of ["messages", "add_generation_prompt"]) {
    if (Object.hasOwn(variables, key)) {
      throw new OptionError(`template ${template}: ${key} cannot be set as a template variable`);
    }
  }
}

function rejectSystemIntoUser(template: string, systemIntoUser: boolean): void {
  if (systemIntoUser) {
    throw new OptionError(`template ${template}: systemIntoUser applies to gemma-2 only (this template takes system messages)`);
  }
}

function stringVariable(template: string, variables: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = variables[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new OptionError(`template ${template}: ${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}
