import { describe, expect, it } from "vitest";
import { detectVariant, type MergedRecord } from "../src/index.js";

const r = (fields: Record<string, unknown>): MergedRecord => ({ conversation_id: "x", ...fields });

describe("detectVariant", () => {
  it.each([
    ["a multi-turn field means Gemma-2", [r({ synthesized_assistant_responses: [], synthesized_multiturn_conversation: null })], "gemma-2"],
    ["English responses without it mean Llama-3.1", [r({ synthesized_assistant_responses: [], synthesized_assistant_responses_en: [] })], "llama-3.1"],
    ["only English annotations count too", [r({ synthesized_response_scoring_annotations_en: [] })], "llama-3.1"],
    ["Japanese responses only mean Gemma-3", [r({ synthesized_assistant_responses: [] })], "gemma-3"],
    ["a duplicate record is synth evidence", [r({ duplicate_user_instruction_ja: "y" })], "gemma-3"],
    ["Gemma-2 evidence anywhere wins", [r({ synthesized_assistant_responses_en: [] }), r({ synthesized_multiturn_conversation: [] })], "gemma-2"],
    ["LMSYS fields alone say nothing", [r({ conversation: [], model: "m" })], undefined],
    ["no records say nothing", [], undefined],
  ] as const)("%s", (_, records, want) => {
    expect(detectVariant(records)).toBe(want);
  });
});
