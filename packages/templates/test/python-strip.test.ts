import { Template } from "@huggingface/jinja";
import { describe, expect, it } from "vitest";
import { builtinRenderer } from "../src/index.js";
import { pythonLstrip, pythonStrip } from "../src/python-strip.js";
import { GEMMA2_FILE, LLAMA_FILE, readReference, skipReference } from "./reference.js";

// Expected values written by hand from Python 3: str.strip() strips exactly the code points for which
// str.isspace() is true: U+0009–U+000D, U+001C–U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029,
// U+202F, U+205F, U+3000. U+FEFF is not among them (it is Cf, not whitespace).
describe("pythonStrip", () => {
  it.each([
    ["", ""],
    ["abc", "abc"],
    ["  abc  ", "abc"],
    ["\t\n\v\f\r abc \r\n", "abc"],
    ["\u3000全角\u3000", "全角"],
    ["\u00a0\u1680\u2000\u2005\u200a x \u2028\u2029\u202f\u205f", "x"],
    ["\u001c\u001d\u001e\u001f x \u001f", "x"],
    ["\u0085x\u0085", "x"],
    ["\ufeffx\ufeff", "\ufeffx\ufeff"],
    [" \ufeff x \ufeff ", "\ufeff x \ufeff"],
    ["\u200bzero width\u200b", "\u200bzero width\u200b"],
    ["\u180emongolian\u180e", "\u180emongolian\u180e"],
    [" 😀 ", "😀"],
    [" \u3000\n ", ""],
    ["a b", "a b"],
  ])("strip(%j) = %j", (input, expected) => {
    expect(pythonStrip(input)).toBe(expected);
  });

  it.each([
    ["  a  ", "a  "],
    ["\u0085\u001ca", "a"],
    ["\ufeffa", "\ufeffa"],
    ["", ""],
  ])("lstrip(%j) = %j", (input, expected) => {
    expect(pythonLstrip(input)).toBe(expected);
  });
});

/**
 * Where @huggingface/jinja's `trim` (String.prototype.trim) differs from Python's (str.strip): the built-ins
 * follow Python, so their output is what transformers produces and differs from @huggingface/jinja's.
 */
describe.skipIf(skipReference)("known divergences of @huggingface/jinja from Python Jinja", () => {
  const divergent = [
    ["U+FEFF (Python keeps it, JS strips it)", "\ufeff", "\ufeffこんにちは\ufeff", "こんにちは"],
    ["U+001C (Python strips it, JS keeps it)", "\u001c", "こんにちは", "\u001cこんにちは\u001c"],
    ["U+001D (Python strips it, JS keeps it)", "\u001d", "こんにちは", "\u001dこんにちは\u001d"],
    ["U+001E (Python strips it, JS keeps it)", "\u001e", "こんにちは", "\u001eこんにちは\u001e"],
    ["U+001F (Python strips it, JS keeps it)", "\u001f", "こんにちは", "\u001fこんにちは\u001f"],
    ["U+0085 (Python strips it, JS keeps it)", "\u0085", "こんにちは", "\u0085こんにちは\u0085"],
  ] as const;

  it.each(divergent)("gemma-2 user turn with %s", (_, c, python, js) => {
    const messages = [{ role: "user", content: ` ${c}こんにちは${c} ` }];
    const want = (s: string) => `<bos><start_of_turn>user\n${s}<end_of_turn>\n`;
    expect(builtinRenderer("gemma-2").render(messages)).toBe(want(python));
    const jinja = new Template(readReference(GEMMA2_FILE)).render({ messages, bos_token: "<bos>" });
    expect(jinja).toBe(want(js));
    expect(jinja).not.toBe(builtinRenderer("gemma-2").render(messages));
  });

  it.each(divergent)("llama-3.1 system message with %s", (_, c, python, js) => {
    const messages = [
      { role: "system", content: `${c}こんにちは${c}` },
      { role: "user", content: "hi" },
    ];
    const want = (s: string) =>
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n" +
      `Today Date: 26 Jul 2024\n\n${s}<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>`;
    expect(builtinRenderer("llama-3.1").render(messages)).toBe(want(python));
    const jinja = new Template(readReference(LLAMA_FILE)).render({ messages, bos_token: "<|begin_of_text|>" });
    expect(jinja).toBe(want(js));
  });

  it("gemma-3 trims the first user turn but not the folded system text", () => {
    const messages = [
      { role: "system", content: "\u001c sys \ufeff" },
      { role: "user", content: "\ufeff\u0085 q \u001f" },
    ];
    expect(builtinRenderer("gemma-3").render(messages)).toBe(
      "<bos><start_of_turn>user\n\u001c sys \ufeff\n\n\ufeff\u0085 q<end_of_turn>\n",
    );
  });
});
