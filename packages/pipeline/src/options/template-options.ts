import type { TemplateSpec } from "../convert-record.js";
import type { OptionTable, OptionValues } from "./option-spec.js";

/** Chat-template flags (behaviour.md §5). */
export const TEMPLATE_OPTIONS = {
  template: { type: "string", arg: "name|path", description: "llama-3.1, gemma-2, gemma-3, chatml, or a tokenizer_config.json / chat_template.jinja" },
  "template-arg": { type: "string", multiple: true, arg: "key=value", description: "extra template variable (repeatable; JSON values are parsed)" },
  "system-into-user": { type: "boolean", description: "gemma-2: put a system message at the start of the first user turn" },
} satisfies OptionTable;

/** `--template` and its flags as data, or undefined when no template was given. */
export function templateSpecOf(o: OptionValues<typeof TEMPLATE_OPTIONS>): TemplateSpec | undefined {
  if (typeof o.template !== "string") return undefined;
  return { name: o.template, args: o["template-arg"] ?? [], systemIntoUser: o["system-into-user"] === true };
}
