import { describe, it, expect } from "vitest";
import type { DpoFormat, DpoRow } from "@lmsynth/schema";
import { toDpoRows, type UltrafeedbackRow } from "@lmsynth/dpo";
// The built code, as every test of this package loads it: one module per source (a src import beside it
// would load each file twice, and count its branches twice in coverage).
import { LAYOUTS } from "../dist/index.js";
import { JA, JA_ID, record } from "../../dpo/test/records.js";

/** A DPO row as its layout in the table writes it. */
function formatDpoRow(row: DpoRow, format: DpoFormat = "trl"): Record<string, unknown> {
  return LAYOUTS.dpo[format].write(row, { withMeta: true });
}

const ID = "0123456789abcdef0123456789abcdef";
const r = record([
  ["東京です。", 9],
  ["大阪です。", 2],
]);
const plain = toDpoRows(r).rows[0]!;
const withMeta = toDpoRows(r, { withMeta: true, system: "丁寧に答えてください。" }).rows[0]!;

describe("formatDpoRow trl", () => {
  it("writes TRL's explicit-prompt layout, keys in a fixed order", () => {
    expect(JSON.stringify(formatDpoRow(plain))).toBe(
      `{"conversation_id":"${ID}","prompt":[{"role":"user","content":"日本の首都はどこですか？"}],` +
        `"chosen":[{"role":"assistant","content":"東京です。"}],"rejected":[{"role":"assistant","content":"大阪です。"}],` +
        `"score_chosen":9,"score_rejected":2,"prompt_id":"${JA_ID}"}`,
    );
    expect(formatDpoRow(plain, "trl")).toEqual(formatDpoRow(plain));
  });

  it("puts meta last, and a system message first in prompt", () => {
    expect(JSON.stringify(formatDpoRow(withMeta, "trl"))).toBe(
      `{"conversation_id":"${ID}","prompt":[{"role":"system","content":"丁寧に答えてください。"},` +
        `{"role":"user","content":"日本の首都はどこですか？"}],` +
        `"chosen":[{"role":"assistant","content":"東京です。"}],"rejected":[{"role":"assistant","content":"大阪です。"}],` +
        `"score_chosen":9,"score_rejected":2,"prompt_id":"${JA_ID}","lang":"ja","chosen_index":0,"rejected_index":1}`,
    );
  });

  it("orders keys the same whatever the key order of the input row", () => {
    const shuffled: DpoRow = {
      rejected_index: 1,
      score_rejected: 2,
      lang: "ja",
      rejected: withMeta.rejected,
      chosen_index: 0,
      chosen: withMeta.chosen,
      prompt: withMeta.prompt,
      prompt_id: JA_ID,
      score_chosen: 9,
      conversation_id: ID,
    };
    expect(JSON.stringify(formatDpoRow(shuffled))).toBe(JSON.stringify(formatDpoRow(withMeta)));
  });
});

describe("formatDpoRow ultrafeedback", () => {
  it("writes the ultrafeedback_binarized columns in order, then conversation_id", () => {
    expect(JSON.stringify(formatDpoRow(plain, "ultrafeedback"))).toBe(
      `{"prompt":"日本の首都はどこですか？","prompt_id":"${JA_ID}",` +
        `"chosen":[{"role":"user","content":"日本の首都はどこですか？"},{"role":"assistant","content":"東京です。"}],` +
        `"rejected":[{"role":"user","content":"日本の首都はどこですか？"},{"role":"assistant","content":"大阪です。"}],` +
        `"messages":[{"role":"user","content":"日本の首都はどこですか？"},{"role":"assistant","content":"東京です。"}],` +
        `"score_chosen":9,"score_rejected":2,"conversation_id":"${ID}"}`,
    );
  });

  it("keeps the system message in the full conversations and out of the prompt string", () => {
    expect(formatDpoRow(withMeta, "ultrafeedback")).toEqual({
      prompt: JA,
      prompt_id: JA_ID,
      chosen: [
        { role: "system", content: "丁寧に答えてください。" },
        { role: "user", content: JA },
        { role: "assistant", content: "東京です。" },
      ],
      rejected: [
        { role: "system", content: "丁寧に答えてください。" },
        { role: "user", content: JA },
        { role: "assistant", content: "大阪です。" },
      ],
      messages: [
        { role: "system", content: "丁寧に答えてください。" },
        { role: "user", content: JA },
        { role: "assistant", content: "東京です。" },
      ],
      score_chosen: 9,
      score_rejected: 2,
      conversation_id: ID,
      lang: "ja",
      chosen_index: 0,
      rejected_index: 1,
    });
    expect(Object.keys(formatDpoRow(withMeta, "ultrafeedback"))).toEqual([
      "prompt",
      "prompt_id",
      "chosen",
      "rejected",
      "messages",
      "score_chosen",
      "score_rejected",
      "conversation_id",
      "lang",
      "chosen_index",
      "rejected_index",
    ]);
  });

  it("shares no objects with the input row or between columns", () => {
    const out = formatDpoRow(plain, "ultrafeedback") as unknown as UltrafeedbackRow;
    out.messages[1]!.content = "changed";
    out.chosen[0]!.content = "changed";
    expect(out.chosen[1]!.content).toBe("東京です。");
    expect(plain.prompt[0]!.content).toBe(JA);
  });

  it("throws TypeError when the prompt has no user message", () => {
    const broken: DpoRow = { ...plain, prompt: [{ role: "system", content: "s" }] };
    expect(() => formatDpoRow(broken, "ultrafeedback")).toThrow(new TypeError("DPO row has no user message in its prompt"));
  });
});

describe("formatDpoRow implicit and sharegpt", () => {
  it("implicit: chosen and rejected as whole conversations (TRL's implicit prompt)", () => {
    expect(JSON.stringify(formatDpoRow(withMeta, "implicit"))).toBe(
      `{"conversation_id":"${ID}",` +
        `"chosen":[{"role":"system","content":"丁寧に答えてください。"},{"role":"user","content":"日本の首都はどこですか？"},{"role":"assistant","content":"東京です。"}],` +
        `"rejected":[{"role":"system","content":"丁寧に答えてください。"},{"role":"user","content":"日本の首都はどこですか？"},{"role":"assistant","content":"大阪です。"}],` +
        `"score_chosen":9,"score_rejected":2,"prompt_id":"${JA_ID}","lang":"ja","chosen_index":0,"rejected_index":1}`,
    );
  });

  it("sharegpt: the prompt as turns, one gpt turn each for chosen and rejected (LLaMA-Factory ranking)", () => {
    expect(JSON.stringify(formatDpoRow(withMeta, "sharegpt"))).toBe(
      `{"conversation_id":"${ID}",` +
        `"conversations":[{"from":"system","value":"丁寧に答えてください。"},{"from":"human","value":"日本の首都はどこですか？"}],` +
        `"chosen":{"from":"gpt","value":"東京です。"},"rejected":{"from":"gpt","value":"大阪です。"},` +
        `"score_chosen":9,"score_rejected":2,"prompt_id":"${JA_ID}","lang":"ja","chosen_index":0,"rejected_index":1}`,
    );
  });

  it("keeps a reasoning trace on the assistant turns, under its key, and inline in ShareGPT, as LLaMA-Factory reads it", () => {
    const traced = { ...plain, chosen: [{ role: "assistant", content: "東京です。", reasoning_content: "首都は東京。" }] };
    expect(formatDpoRow(traced, "sharegpt")).toMatchObject({ chosen: { from: "gpt", value: "<think>首都は東京。</think>東京です。" } });
    // An empty trace (a response without one) adds no tag.
    expect(formatDpoRow({ ...plain, chosen: [{ role: "assistant", content: "東京です。", thinking: "" }] }, "sharegpt")).toMatchObject({ chosen: { from: "gpt", value: "東京です。" } });
    expect(formatDpoRow(traced, "implicit")).toMatchObject({ chosen: [{ role: "user", content: JA }, { role: "assistant", content: "東京です。", reasoning_content: "首都は東京。" }] });
  });
});
