import { describe, expect, it } from "vitest";
import { dpoLayout, ktoLayout, rowSchema, sftLayout } from "../src/index.js";

const names = (layout: { columns: { name: string }[] }) => layout.columns.map((c) => c.name);

describe("row layouts", () => {
  it("give each shape's columns in key order", () => {
    expect(names(sftLayout())).toEqual(["conversation_id", "messages", "lang", "response_index", "score"]);
    expect(names(sftLayout({ meta: false, text: true, messagesKey: "conversation" }))).toEqual(["conversation_id", "conversation", "text"]);
    expect(names(dpoLayout({ indices: true }))).toEqual(["conversation_id", "prompt", "chosen", "rejected", "score_chosen", "score_rejected", "prompt_id", "lang", "chosen_index", "rejected_index"]);
    expect(names(dpoLayout({ format: "ultrafeedback", meta: false }))).toEqual(["prompt", "prompt_id", "chosen", "rejected", "messages", "score_chosen", "score_rejected", "conversation_id"]);
    expect(names(sftLayout({ format: "conversation", meta: false }))).toEqual(["conversation_id", "conversation"]);
    expect(names(sftLayout({ format: "prompt-completion", meta: false }))).toEqual(["conversation_id", "prompt", "completion"]);
    expect(names(sftLayout({ format: "sharegpt" }))).toEqual(["conversation_id", "conversations", "lang", "response_index", "score"]);
    expect(names(dpoLayout({ format: "implicit", meta: false }))).toEqual(["conversation_id", "chosen", "rejected", "score_chosen", "score_rejected", "prompt_id"]);
    expect(names(dpoLayout({ format: "sharegpt", meta: false }))).toEqual(["conversation_id", "conversations", "chosen", "rejected", "score_chosen", "score_rejected", "prompt_id"]);
    expect(names(ktoLayout())).toEqual(["conversation_id", "prompt", "completion", "label", "score", "prompt_id", "lang", "response_index"]);
  });

  it("give message and turn columns their fields, a kept reasoning trace as a nullable one (two with both keys)", () => {
    expect(sftLayout({ format: "sharegpt", meta: false }).columns[1]).toEqual({ name: "conversations", type: "messages", nullable: false, fields: [{ name: "from" }, { name: "value" }] });
    // ShareGPT has no trace field: LLaMA-Factory reads a trace inline, in `value`.
    expect(dpoLayout({ format: "sharegpt", meta: false, reasoningKey: "thinking" }).columns[2]).toEqual({
      name: "chosen",
      type: "struct",
      nullable: false,
      fields: [{ name: "from" }, { name: "value" }],
    });
    expect(sftLayout({ reasoningKey: "both", meta: false }).columns[1]!.fields).toEqual([
      { name: "role" },
      { name: "content" },
      { name: "reasoning_content", nullable: true },
      { name: "thinking", nullable: true },
    ]);
    // Without a trace the default fields stay implicit, so the columns of every earlier build are unchanged.
    expect(sftLayout().columns[1]).toEqual({ name: "messages", type: "messages", nullable: false });
    expect(ktoLayout({ reasoningKey: "reasoning_content" }).columns[2]!.fields).toEqual([{ name: "role" }, { name: "content" }, { name: "reasoning_content", nullable: true }]);
  });

  it("check KTO labels, turns and traces when reading rows back", () => {
    const kto = rowSchema(ktoLayout({ meta: false, reasoningKey: "reasoning_content" }));
    const row = { conversation_id: "a", prompt: [{ role: "user", content: "q" }], completion: [{ role: "assistant", content: "a", reasoning_content: "r" }], label: false, score: 2, prompt_id: "0".repeat(64) };
    expect(kto.parse(row)).toEqual(row);
    for (const bad of [{ label: "false" }, { completion: [] }, { completion: [{ role: "assistant", content: "a", reasoning_content: 1 }] }]) {
      expect(kto.safeParse({ ...row, ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
    const turn = rowSchema(dpoLayout({ format: "sharegpt", meta: false }));
    const pair = { conversation_id: "a", conversations: [{ from: "human", value: "q" }], chosen: { from: "gpt", value: "g" }, rejected: { from: "gpt", value: "b" }, score_chosen: 9, score_rejected: 1, prompt_id: "0".repeat(64) };
    expect(turn.parse(pair)).toEqual(pair);
    expect(turn.safeParse({ ...pair, chosen: { from: "gpt" } }).success).toBe(false);
  });

  it("derive the zod schema that reads rows back: types, nullable meta, checks, unknown keys stripped", () => {
    const schema = rowSchema(sftLayout());
    const row = { conversation_id: "a", messages: [{ role: "user", content: "q" }], lang: "ja", response_index: 0, score: 9.5 };
    expect(schema.parse({ ...row, extra: 1 })).toEqual(row);
    expect(schema.parse({ conversation_id: "a", messages: row.messages, lang: null })).toEqual({ conversation_id: "a", messages: row.messages, lang: null });
    for (const bad of [{ lang: "fr" }, { response_index: -1 }, { response_index: 1.5 }, { score: "9" }, { messages: [] }, { conversation_id: 7 }]) {
      expect(schema.safeParse({ ...row, ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
