import { describe, expect, it } from "vitest";
import { builtinRenderer, renderSftRow, TemplateError } from "../src/index.js";

describe("renderSftRow", () => {
  it("renders the messages without generation prompt into { conversation_id, text }", () => {
    const row = {
      conversation_id: "a1",
      messages: [
        { role: "user", content: "  おはようございます。今日の天気は？ " },
        { role: "assistant", content: "晴れです。\n" },
      ],
      lang: "ja" as const,
      score: 9,
    };
    expect(renderSftRow(row, builtinRenderer("gemma-2"))).toEqual({
      conversation_id: "a1",
      text: "<bos><start_of_turn>user\nおはようございます。今日の天気は？<end_of_turn>\n<start_of_turn>model\n晴れです。<end_of_turn>\n",
    });
  });

  it("names the row in a template error", () => {
    const row = { conversation_id: "a2", messages: [{ role: "system", content: "s" }, { role: "user", content: "u" }] };
    expect(() => renderSftRow(row, builtinRenderer("gemma-2"))).toThrow(/^template gemma-2, conversation_id a2: System role not supported/);
  });

  it("does not touch the row it reads", () => {
    const row = { conversation_id: "a3", messages: [{ role: "user", content: " x " }] };
    const before = structuredClone(row);
    renderSftRow(row, builtinRenderer("llama-3.1"));
    expect(row).toEqual(before);
  });

  it("throws TemplateError instances", () => {
    expect(() => renderSftRow({ conversation_id: "a4", messages: [] }, builtinRenderer("gemma-3"))).toThrow(TemplateError);
  });
});
