import { describe, expect, it } from "vitest";
import { builtinRenderer, TemplateError } from "../src/index.js";

// Expected values from transformers' continue_final_message: cut after the last occurrence of the stripped
// final message; keep its trailing whitespace only when the message has no leading whitespace and the template
// kept it.
describe("render with continueFinalMessage", () => {
  it.each([
    ["chatml", " x ", "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n x"],
    ["chatml", "x  ", "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nx  "],
    ["gemma-2", "  Sure, ", "<bos><start_of_turn>user\nQ<end_of_turn>\n<start_of_turn>model\nSure,"],
    ["gemma-3", "Sure,\u0085", "<bos><start_of_turn>user\nQ<end_of_turn>\n<start_of_turn>model\nSure,"],
    ["chatml", "", "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<|im_end|>\n"],
  ] as const)("%s continues %j", (name, final, expected) => {
    const messages = [
      { role: "user", content: "Q" },
      { role: "assistant", content: final },
    ];
    expect(builtinRenderer(name).render(messages, { continueFinalMessage: true })).toBe(expected);
  });

  it("refuses continueFinalMessage with addGenerationPrompt", () => {
    expect(() =>
      builtinRenderer("chatml").render([{ role: "user", content: "Q" }], {
        continueFinalMessage: true,
        addGenerationPrompt: true,
        conversationId: "c",
      }),
    ).toThrow(new TemplateError("chatml", "c", "continueFinalMessage and addGenerationPrompt are not compatible"));
  });

  it("fails when the template does not write the final message", () => {
    // Gemma 3 drops a lone system message (it only prefixes the first user turn).
    expect(() =>
      builtinRenderer("gemma-3").render([{ role: "system", content: "lost" }], { continueFinalMessage: true }),
    ).toThrow(
      new TemplateError(
        "gemma-3",
        undefined,
        "continue_final_message is set but the final message does not appear in the chat after applying the chat template",
      ),
    );
  });
});
