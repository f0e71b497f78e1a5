import { describe, expect, it } from "vitest";
import type { DpoRow } from "@lmsynth/schema";
import { builtinRenderer, createJinjaRenderer, renderDpoRow, TemplateError } from "../src/index.js";

const LLAMA_SYSTEM =
  "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n" +
  "Today Date: 26 Jul 2024\n\n";

const row: DpoRow = {
  conversation_id: "d1",
  prompt_id: "0".repeat(64),
  prompt: [
    { role: "system", content: "あなたは誠実で優秀な日本人のアシスタントです。" },
    { role: "user", content: "  日本の首都は？ " },
  ],
  chosen: [{ role: "assistant", content: " 東京です。\n" }],
  rejected: [{ role: "assistant", content: "大阪です。" }],
  score_chosen: 9,
  score_rejected: 3,
  lang: "ja",
};

// TRL's maybe_apply_chat_template: prompt with add_generation_prompt=True; chosen = render(prompt + chosen)
// minus the first len(prompt) characters (it raises if the prompt render is not a prefix).
describe("renderDpoRow", () => {
  it("splits llama-3.1 renders as TRL does", () => {
    expect(renderDpoRow(row, builtinRenderer("llama-3.1"))).toEqual({
      conversation_id: "d1",
      prompt:
        LLAMA_SYSTEM +
        "あなたは誠実で優秀な日本人のアシスタントです。<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n" +
        "日本の首都は？<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
      chosen: "東京です。<|eot_id|>",
      rejected: "大阪です。<|eot_id|>",
    });
  });

  it("splits gemma-2 renders with systemIntoUser", () => {
    expect(renderDpoRow(row, builtinRenderer("gemma-2", { systemIntoUser: true }))).toEqual({
      conversation_id: "d1",
      prompt:
        "<bos><start_of_turn>user\nあなたは誠実で優秀な日本人のアシスタントです。\n\n日本の首都は？<end_of_turn>\n" +
        "<start_of_turn>model\n",
      chosen: "東京です。<end_of_turn>\n",
      rejected: "大阪です。<end_of_turn>\n",
    });
  });

  it("splits multi-turn chatml renders, nothing trimmed", () => {
    const multi = {
      conversation_id: "d2",
      prompt: [
        { role: "user", content: "Q1" },
        { role: "assistant", content: "A1 " },
        { role: "user", content: " Q2" },
      ],
      chosen: [{ role: "assistant", content: " good " }],
      rejected: [{ role: "assistant", content: "" }],
    };
    expect(renderDpoRow(multi, builtinRenderer("chatml"))).toEqual({
      conversation_id: "d2",
      prompt:
        "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1 <|im_end|>\n<|im_start|>user\n Q2<|im_end|>\n" +
        "<|im_start|>assistant\n",
      chosen: " good <|im_end|>\n",
      rejected: "<|im_end|>\n",
    });
  });

  it("continues a prompt that ends with the assistant's message, as TRL does", () => {
    const partial = {
      conversation_id: "d3",
      prompt: [
        { role: "user", content: "Q" },
        { role: "assistant", content: "  Sure, " },
      ],
      chosen: [{ role: "assistant", content: "here." }],
      rejected: [{ role: "assistant", content: "no." }],
    };
    const prompt =
      LLAMA_SYSTEM +
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nSure,";
    expect(renderDpoRow(partial, builtinRenderer("llama-3.1"))).toEqual({
      conversation_id: "d3",
      prompt,
      chosen: "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nhere.<|eot_id|>",
      rejected: "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nno.<|eot_id|>",
    });
  });

  it("names the row when gemma-2 rejects its system message", () => {
    expect(() => renderDpoRow(row, builtinRenderer("gemma-2"))).toThrow(
      /^template gemma-2, conversation_id d1: System role not supported/,
    );
  });

  it.each([
    [[], "the prompt has no messages"],
    [[{ role: "system", content: "s" }], "invalid role in the last prompt message: system"],
  ])("rejects a prompt %j", (prompt, detail) => {
    expect(() => renderDpoRow({ ...row, prompt }, builtinRenderer("chatml"))).toThrow(new TemplateError("chatml", "d1", detail));
  });

  it("fails, as TRL does, when the full render does not start with the prompt render", () => {
    const counting = createJinjaRenderer({
      template: "counting.jinja",
      source: "{{ messages | length }}{% for m in messages %}{{ m.content }}{% endfor %}",
    });
    expect(() => renderDpoRow(row, counting)).toThrow(
      new TemplateError(
        "counting.jinja",
        "d1",
        "the template applied to prompt + chosen does not start with the template applied to the prompt alone, so TRL cannot split it",
      ),
    );
  });
});
