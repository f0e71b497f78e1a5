import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The official templates and expected renders, kept outside the repo (`shared/reference/templates`, next to
 * the checkout). Tests that need them skip when the folder is missing, except with CI=true, where they fail.
 */
export const REFERENCE_DIR = fileURLToPath(new URL("../../../../shared/reference/templates/", import.meta.url));

const available = existsSync(REFERENCE_DIR);

/** True when reference tests must be skipped: folder missing and not on CI. */
export const skipReference = !available && process.env.CI !== "true";

/** A reference file's text; fails with a clear message when the folder is missing (CI). */
export function readReference(name: string): string {
  if (!available) throw new Error(`reference templates not found at ${REFERENCE_DIR} (required when CI=true)`);
  return readFileSync(REFERENCE_DIR + name, "utf8");
}

/** The well-known ChatML template (transformers chat-templating docs); there is no official file. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const LLAMA_FILE = "meta-llama__Llama-3.1-8B-Instruct.jinja";
export const GEMMA2_FILE = "google__gemma-2-27b-it.jinja";
export const GEMMA3_FILE = "google__gemma-3-27b-it.jinja";
