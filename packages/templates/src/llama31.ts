import type { Message } from "@lmsynth/schema";
import { checkMessage } from "./check-message.js";
import { pythonStrip } from "./python-strip.js";
import { RenderFailure } from "./template-error.js";

/** What the Llama 3.1 template reads besides the messages. */
export interface Llama31Config {
  /** `bos_token`; the model's is `<|begin_of_text|>`. */
  bosToken: string;
  /** `date_string`; the template's default is `26 Jul 2024`. */
  dateString: string;
}

const HEADER_START = "<|start_header_id|>";
const HEADER_END = "<|end_header_id|>\n\n";
const EOT = "<|eot_id|>";
const GENERATION_PROMPT = "<|start_header_id|>assistant<|end_header_id|>\n\n";
const IPYTHON_HEADER = "<|start_header_id|>ipython<|end_header_id|>\n\n";

/**
 * meta-llama/Llama-3.1-8B-Instruct's chat template without tools (transformers passes `tools=None`): the system
 * header is always written, with the knowledge cutoff and `date_string`, then the trimmed system message, if
 * the first message is one. Every other message is `header + trim(content) + <|eot_id|>`, except `tool` and
 * `ipython` ones, written untrimmed as a JSON string under an `ipython` header (a string is `iterable` in
 * Jinja). A message with a `tool_calls` key needs the official template file.
 */
export function renderLlama31(messages: readonly Message[], addGenerationPrompt: boolean, config: Llama31Config): string {
  const n = messages.length;
  const first = messages[0];
  // `messages[0]['role']` on an empty list is an UndefinedError in Python Jinja.
  if (first === undefined) throw new RenderFailure("the conversation has no messages");
  checkMessage(first, 0);
  let i = 0;
  let system = "";
  if (first.role === "system") {
    system = pythonStrip(first.content);
    i = 1;
  }
  let out =
    config.bosToken +
    "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: " +
    config.dateString +
    "\n\n" +
    system +
    EOT;
  for (; i < n; i++) {
    const m = messages[i]!;
    checkMessage(m, i);
    if ("tool_calls" in m) {
      throw new RenderFailure(`messages[${i}] has tool_calls: the built-in llama-3.1 renders no tool calls; use the official template file`);
    }
    const role = m.role;
    if (role === "tool" || role === "ipython") out += IPYTHON_HEADER + pythonJsonString(m.content) + EOT;
    else out += HEADER_START + role + HEADER_END + pythonStrip(m.content) + EOT;
  }
  if (addGenerationPrompt) out += GENERATION_PROMPT;
  return out;
}

/**
 * `json.dumps(s, ensure_ascii=False)`: escapes `"`, `\` and U+0000–U+001F only (named escapes where JSON has
 * them, else `\u00xx`). Unlike `JSON.stringify`, leaves lone surrogates as they are.
 */
function pythonJsonString(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(from, i) + jsonEscape(c);
    from = i + 1;
  }
  return out + s.slice(from) + '"';
}

function jsonEscape(c: number): string {
  switch (c) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return "\\\\";
    case 0x0a:
      return "\\n";
    case 0x0d:
      return "\\r";
    case 0x09:
      return "\\t";
    case 0x08:
      return "\\b";
    case 0x0c:
      return "\\f";
    default:
      return "\\u" + c.toString(16).padStart(4, "0");
  }
}
