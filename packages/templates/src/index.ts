/**
 * @file Chat templates (behaviour.md §5): native renderers for llama-3.1, gemma-2, gemma-3 and chatml that equal
 * transformers' `apply_chat_template` byte for byte, any `tokenizer_config.json` / `chat_template.jinja` through
 * `@huggingface/jinja`, and SFT / DPO rows rendered to text the way TRL does. Pure, except reading the
 * template file in `resolveTemplate`.
 */
export { resolveTemplate, templateTraceFields } from "./resolve-template.js";
export { builtinRenderer, isBuiltinTemplate, BUILTIN_TEMPLATES } from "./builtin-renderer.js";
export { createJinjaRenderer } from "./jinja-renderer.js";
export { parseTokenizerConfig } from "./tokenizer-config.js";
export { parseTemplateArgs } from "./parse-template-args.js";
export { renderSftRow } from "./render-sft-row.js";
export { renderDpoRow } from "./render-dpo-row.js";
export { TemplateError } from "./template-error.js";
export { loadTokenCounter } from "./token-counter.js";
export { SharedTokenCounter, linkedTokenCounter } from "./shared-token-counter.js";

export type { ChatRenderer, RenderOptions } from "./chat-renderer.js";
export type { BuiltinTemplateName, BuiltinRendererOptions } from "./builtin-renderer.js";
export type { JinjaRendererOptions } from "./jinja-renderer.js";
export type { TokenizerConfig } from "./tokenizer-config.js";
export type { ResolveTemplateOptions } from "./resolve-template.js";
export type { RenderedSftRow } from "./render-sft-row.js";
export type { RenderedDpoRow } from "./render-dpo-row.js";
export type { TokenCounter } from "./token-counter.js";
export type { TokenCounterLink } from "./shared-token-counter.js";
