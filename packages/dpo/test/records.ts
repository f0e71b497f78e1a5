import type { Annotation, MergedRecord, Message } from "@lmsynth/schema";

/** Test record factory: hand-written LMSYS-Chat-1M-Synth merged records (input-format.md §2–3). */

export const JA = "日本の首都はどこですか？";
export const EN = "What is the capital of Japan?";
// Computed independently: printf '%s' '日本の首都はどこですか？' | sha256sum
export const JA_ID = "452dcf691eb97bca494c7e8cf187b4be51dade209ecaa9aa7bf3c3b8b2ca6820";
// printf '%s' 'What is the capital of Japan?' | sha256sum
export const EN_ID = "2227487b5826e487e301d5cbae2745a83934b65211f33360814fa1036c2deea4";

/** A response: its content, its judge score (null: no score), and `"rep"` when repetition-flagged. */
export type Resp = [content: string, score: number | null, flag?: "rep"];

export function responses(list: readonly Resp[]): Message[] {
  return list.map(([content]) => ({ role: "assistant", content }));
}

export function annotations(list: readonly Resp[]): Annotation[] {
  return list.map(([content, score, flag]) => ({
    preference_score: score,
    judgement: `judge text for ${content}`,
    repetition_flag: flag === "rep",
    response_token_length: 10,
  }));
}

/** A merged record with Japanese candidates `ja`; `extra` overrides or adds fields (English ones too). */
export function record(ja: readonly Resp[], extra: Partial<MergedRecord> = {}): MergedRecord {
  return {
    conversation_id: "0123456789abcdef0123456789abcdef",
    model: "vicuna-13b",
    conversation: [
      { role: "user", content: EN },
      { role: "assistant", content: "Tokyo." },
    ],
    turn: 1,
    language: "English",
    redacted: false,
    translated_conversation: [{ role: "user", content: JA }],
    duplicate_user_instruction_ja: null,
    empty_user_instruction_ja: false,
    is_template_instruction: null,
    synthesized_assistant_responses: responses(ja),
    synthesized_response_scoring_annotations: annotations(ja),
    ...extra,
  };
}

/** The English fields for candidates `en`, to spread into `record(…, english(…))`. */
export function english(en: readonly Resp[]): Partial<MergedRecord> {
  return {
    synthesized_assistant_responses_en: responses(en),
    synthesized_response_scoring_annotations_en: annotations(en),
  };
}
