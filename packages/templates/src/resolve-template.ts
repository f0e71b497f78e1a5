import { dirname, join } from "node:path";
import { OptionError, TRACE_FIELDS, type TraceField } from "@lmsynth/schema";
import { BUILTIN_TEMPLATES, builtinRenderer, isBuiltinTemplate, rejectReserved } from "./builtin-renderer.js";
import type { ChatRenderer } from "./chat-renderer.js";
import { createJinjaRenderer } from "./jinja-renderer.js";
import { readTemplateFile } from "./read-template-file.js";
import { TemplateError } from "./template-error.js";
import { parseTokenizerConfig } from "./tokenizer-config.js";

/** Options of `resolveTemplate` (CLI: `--system-into-user`, `--template-arg`). */
export interface ResolveTemplateOptions {
  /** Built-in gemma-2 only: fold a leading system message into the first user turn. Default false. */
  systemIntoUser?: boolean;
  /** Extra template variables, e.g. `{ date_string: "1 Jan 2025" }` (see `parseTemplateArgs`). Default none. */
  variables?: Readonly<Record<string, unknown>>;
  /** Template files only: `bos_token`, over the config's. Default: the config's, else undefined. */
  bosToken?: string;
  /** Template files only: `eos_token`, over the config's. Default: the config's, else undefined. */
  eosToken?: string;
}

/**
 * A renderer for `--template`: a built-in name (`llama-3.1`, `gemma-2`, `gemma-3`, `chatml`), or a path to a
 * `tokenizer_config.json` or a `chat_template.jinja`. A path is anything with a `/`, a `\` or a `.json` /
 * `.jinja` ending; its content decides its kind: a JSON object is a tokenizer config, anything else Jinja. A
 * config without `chat_template` uses the `chat_template.jinja` next to it. Special tokens come from the config,
 * then `bosToken`/`eosToken`, then `variables` (which win, as transformers' keyword arguments do).
 * Throws `OptionError` for an unknown name or options the template cannot take, `TemplateError` when the file
 * cannot be read or parsed.
 */
export async function resolveTemplate(nameOrPath: string, options: ResolveTemplateOptions = {}): Promise<ChatRenderer> {
  const variables = options.variables ?? {};
  if (isBuiltinTemplate(nameOrPath)) {
    if (options.bosToken !== undefined || options.eosToken !== undefined) {
      throw new OptionError(`template ${nameOrPath}: bosToken/eosToken apply to template files; a built-in has its model's tokens`);
    }
    return builtinRenderer(nameOrPath, { systemIntoUser: options.systemIntoUser, variables });
  }
  if (!/[/\\]|\.json$|\.jinja$/i.test(nameOrPath)) {
    throw new OptionError(
      `unknown template ${JSON.stringify(nameOrPath)}: expected one of ${BUILTIN_TEMPLATES.join(", ")}, ` +
        "or a path to a tokenizer_config.json or chat_template.jinja",
    );
  }
  rejectReserved(nameOrPath, variables);
  if (options.systemIntoUser) {
    throw new OptionError(`template ${nameOrPath}: systemIntoUser applies to the built-in gemma-2 only`);
  }
  const { source, tokens } = await templateSource(nameOrPath);
  if (options.bosToken !== undefined) tokens.bos_token = options.bosToken;
  if (options.eosToken !== undefined) tokens.eos_token = options.eosToken;
  return createJinjaRenderer({ source, template: nameOrPath, variables: { ...tokens, ...variables } });
}

/** The Jinja source of a template file, and the special tokens of its config (see {@link resolveTemplate}). */
async function templateSource(path: string): Promise<{ source: string; tokens: Record<string, unknown> }> {
  const text = (await readTemplateFile(path))!;
  if (!/\.json$/i.test(path) && !isJsonObject(text)) return { source: text, tokens: {} };
  const config = parseTokenizerConfig(text, path);
  if (config.chatTemplate !== undefined) return { source: config.chatTemplate, tokens: config.specialTokens };
  const sibling = join(dirname(path), "chat_template.jinja");
  const siblingText = await readTemplateFile(sibling, true);
  if (siblingText === undefined) throw new TemplateError(path, undefined, `no chat_template in the file and no ${sibling}`);
  return { source: siblingText, tokens: config.specialTokens };
}

/**
 * The message fields holding a reasoning trace that a `--template` reads: `thinking` for gpt-oss / Harmony
 * templates, `reasoning_content` for Qwen3 / DeepSeek ones, none for the built-ins. Read from the source
 * text, so a template that names a field reads it.
 * @throws TemplateError when the file cannot be read.
 */
export async function templateTraceFields(nameOrPath: string): Promise<TraceField[]> {
  if (isBuiltinTemplate(nameOrPath)) return [];
  const { source } = await templateSource(nameOrPath);
  return TRACE_FIELDS.filter((field) => new RegExp(`\\b${field}\\b`).test(source));
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    return v !== null && typeof v === "object" && !Array.isArray(v);
  } catch {
    return false;
  }
}
