import { describe, expect, it } from "vitest";
import { detectVariant, VARIANT_TABLE, VARIANTS, type MergedRecord, type Variant } from "../src/index.js";

const r = (fields: Record<string, unknown>): MergedRecord => ({ conversation_id: "x", ...fields });

describe("detectVariant", () => {
  it.each([
    ["a multi-turn field means Gemma-2", [r({ synthesized_assistant_responses: [], synthesized_multiturn_conversation: null })], "gemma-2"],
    ["English responses without it mean Llama-3.1", [r({ synthesized_assistant_responses: [], synthesized_assistant_responses_en: [] })], "llama-3.1"],
    ["only English annotations count too", [r({ synthesized_response_scoring_annotations_en: [] })], "llama-3.1"],
    ["Japanese responses only mean Gemma-3", [r({ synthesized_assistant_responses: [] })], "gemma-3"],
    ["a duplicate record is synth evidence", [r({ duplicate_user_instruction_ja: "y" })], "gemma-3"],
    ["Gemma-2 evidence anywhere wins", [r({ synthesized_assistant_responses_en: [] }), r({ synthesized_multiturn_conversation: [] })], "gemma-2"],
    ["a reasoning trace on a response means GPT-OSS", [r({ synthesized_assistant_responses: [{ role: "assistant", content: null, reasoning_content: "…" }] })], "gpt-oss"],
    ["an English trace too, over English evidence", [r({ synthesized_assistant_responses_en: [{ role: "assistant", content: "a", reasoning_content: "" }] })], "gpt-oss"],
    ["responses without a trace are not GPT-OSS", [r({ synthesized_assistant_responses: [{ role: "assistant", content: "a" }] })], "gemma-3"],
    ["LMSYS fields alone say nothing", [r({ conversation: [], model: "m" })], undefined],
    ["no records say nothing", [], undefined],
  ] as const)("%s", (_, records, want) => {
    expect(detectVariant(records)).toBe(want);
  });
});

describe("VARIANT_TABLE", () => {
  it("has one entry per variant, each with its licence, template and presets", () => {
    expect(Object.keys(VARIANT_TABLE)).toEqual([...VARIANTS]);
    expect(Object.fromEntries(VARIANTS.map((v) => [v, [VARIANT_TABLE[v].license.name, VARIANT_TABLE[v].template, Object.keys(VARIANT_TABLE[v].presets)]]))).toEqual({
      "llama-3.1": ["Llama 3.1 Community License", "llama-3.1", ["swallow-v0.1"]],
      "gemma-2": ["Gemma Terms of Use", "gemma-2", ["swallow-v0.3"]],
      "gemma-3": ["Gemma Terms of Use", "gemma-3", ["swallow-v0.5"]],
      // No built-in template: gpt-oss renders with its own tokenizer_config.json (harmony).
      "gpt-oss": ["Apache License 2.0", undefined, []],
    });
  });

  it("lists the languages the detection evidence implies", () => {
    const record = (v: Variant): MergedRecord =>
      v === "gemma-2"
        ? { conversation_id: "a", synthesized_assistant_responses: [], synthesized_multiturn_conversation: [] }
        : v === "llama-3.1"
          ? { conversation_id: "a", synthesized_assistant_responses: [], synthesized_assistant_responses_en: [] }
          : v === "gpt-oss"
            ? { conversation_id: "a", synthesized_assistant_responses_en: [{ role: "assistant", content: "a", reasoning_content: "r" }] }
            : { conversation_id: "a", synthesized_assistant_responses: [] };
    for (const v of VARIANTS) expect(detectVariant([record(v)])).toBe(v);
    expect(VARIANTS.filter((v) => VARIANT_TABLE[v].languages.includes("en"))).toEqual(["llama-3.1", "gemma-2", "gpt-oss"]);
  });
});
