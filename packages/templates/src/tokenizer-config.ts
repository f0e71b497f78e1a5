import { TemplateError } from "./template-error.js";

/** What lmsynth takes from a `tokenizer_config.json`. */
export interface TokenizerConfig {
  /** The chat template source; undefined when the file has none (newer repos keep `chat_template.jinja`). */
  chatTemplate: string | undefined;
  /**
   * Special tokens as template variables (`bos_token`, `eos_token`, `unk_token`, `pad_token`, `sep_token`,
   * `cls_token`, `mask_token`, `additional_special_tokens`), as transformers passes them: strings, taken from
   * `content` when the file gives an AddedToken object; absent or null tokens are left out.
   */
  specialTokens: Record<string, string | string[]>;
}

const SPECIAL_TOKEN_KEYS = ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"];

function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * Parses the text of a `tokenizer_config.json` (`path` is named in errors). `chat_template` may be a string
 * or a list of `{ name, template }`, of which the one named `default` is used, as transformers does when no
 * name is given. Throws `TemplateError` when the text is not a JSON object, or `chat_template` has an
 * unexpected shape or no `default`. No I/O.
 */
export function parseTokenizerConfig(text: string, path: string): TokenizerConfig {
  let config: unknown;
  try {
    // A BOM would make JSON.parse fail; it carries no meaning here.
    config = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new TemplateError(path, undefined, `not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new TemplateError(path, undefined, "expected a JSON object (tokenizer_config.json)");
  }
  const c = config as Record<string, unknown>;
  const specialTokens: Record<string, string | string[]> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const t = tokenText(c[key]);
    if (t !== undefined) specialTokens[key] = t;
  }
  if (Array.isArray(c.additional_special_tokens)) {
    const all = c.additional_special_tokens.map(tokenText).filter((t): t is string => t !== undefined);
    specialTokens.additional_special_tokens = all;
  }
  return { chatTemplate: chatTemplateOf(c.chat_template, path), specialTokens };
}

function chatTemplateOf(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    const names: string[] = [];
    for (const entry of value) {
      const e = entry as { name?: unknown; template?: unknown } | null;
      if (e === null || typeof e !== "object" || typeof e.name !== "string" || typeof e.template !== "string") {
        throw new TemplateError(path, undefined, "chat_template: expected a string or a list of { name, template }");
      }
      if (e.name === "default") return e.template;
      names.push(e.name);
    }
    throw new TemplateError(path, undefined, `chat_template: no template named "default" (available: ${names.join(", ")})`);
  }
  throw new TemplateError(path, undefined, "chat_template: expected a string or a list of { name, template }");
}
