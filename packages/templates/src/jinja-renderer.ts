import { Environment, Interpreter, Template } from "@huggingface/jinja";
import { createRenderer, type ChatRenderer } from "./chat-renderer.js";
import { RenderFailure, TemplateError } from "./template-error.js";

/** Options of `createJinjaRenderer`. */
export interface JinjaRendererOptions {
  /** The Jinja source of the chat template. Required. */
  source: string;
  /** Name used in errors, usually the path the source came from. Required. */
  template: string;
  /**
   * Variables of every render, after `tools: null` and `documents: null` (what transformers passes) and before
   * `messages` and `add_generation_prompt`: special tokens (`bos_token`, `eos_token`, …) and template
   * arguments. Default none.
   */
  variables?: Readonly<Record<string, unknown>>;
}

/** Python's `range`, as @huggingface/jinja defines it. */
function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0) throw new RenderFailure("range() arg 3 must not be zero");
  const out: number[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return out;
}

function raiseException(message: unknown): never {
  throw new RenderFailure(String(message));
}

/**
 * The globals of transformers' chat-template environment. `strftime_now` is left undefined on purpose, so
 * output never depends on the clock: templates that test `strftime_now is defined` use their fixed date.
 */
const GLOBALS: Readonly<Record<string, unknown>> = {
  true: true,
  false: false,
  none: null,
  True: true,
  False: false,
  None: null,
  raise_exception: raiseException,
  range,
};

/**
 * A renderer interpreting a Jinja chat template with `@huggingface/jinja` (trim_blocks and lstrip_blocks, as
 * transformers compiles templates), given the variables transformers gives: `messages`, `tools: null`,
 * `documents: null`, `add_generation_prompt`, the special tokens and extra variables. The source is parsed once;
 * throws `TemplateError` (no record) when it does not parse. Rendering errors and `raise_exception` become
 * `TemplateError`s naming the record. Where @huggingface/jinja differs from Python Jinja (`trim` on U+FEFF,
 * U+001C–U+001F, U+0085), this renderer follows @huggingface/jinja; the built-ins follow Python.
 */
export function createJinjaRenderer(options: JinjaRendererOptions): ChatRenderer {
  let parsed: Template["parsed"];
  try {
    parsed = new Template(options.source).parsed;
  } catch (e) {
    throw new TemplateError(options.template, undefined, `cannot parse the template: ${(e as Error).message}`, { cause: e });
  }
  const base: Record<string, unknown> = { tools: null, documents: null, ...options.variables };
  return createRenderer(options.template, (messages, addGenerationPrompt) => {
    const env = new Environment();
    for (const key in base) env.set(key, base[key]);
    env.set("messages", messages);
    env.set("add_generation_prompt", addGenerationPrompt);
    // Render variables shadow globals, as keyword arguments of Python's `render` do.
    for (const key in GLOBALS) if (!env.variables.has(key)) env.set(key, GLOBALS[key]);
    const result = new Interpreter(env).run(parsed);
    return String(result.value);
  });
}
