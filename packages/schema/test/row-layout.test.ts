import { describe, expect, it } from "vitest";
import { dpoLayout, rowSchema, sftLayout } from "../src/index.js";

const names = (layout: { columns: { name: string }[] }) => layout.columns.map((c) => c.name);

describe("row layouts", () => {
  it("give each shape's columns in key order", () => {
    expect(names(sftLayout())).toEqual(["conversation_id", "messages", "lang", "response_index", "score"]);
    expect(names(sftLayout({ meta: false, text: true, messagesKey: "conversation" }))).toEqual(["conversation_id", "conversation", "text"]);
    expect(names(dpoLayout({ indices: true }))).toEqual(["conversation_id", "prompt", "chosen", "rejected", "score_chosen", "score_rejected", "prompt_id", "lang", "chosen_index", "rejected_index"]);
    expect(names(dpoLayout({ format: "ultrafeedback", meta: false }))).toEqual(["prompt", "prompt_id", "chosen", "rejected", "messages", "score_chosen", "score_rejected", "conversation_id"]);
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
