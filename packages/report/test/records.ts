import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { Annotation, MergedRecord } from "@lmsynth/schema";

/**
 * Records for the tests: the fixture files of test-fixtures/ (parsed with JSON.parse; the reader has its own
 * tests) and a small factory of hand-written records.
 */

const FIXTURES = new URL("../../../test-fixtures/", import.meta.url);

/** Every record of a JSONL fixture, `.gz` inflated. */
export function fixtureRecords(path: string): MergedRecord[] {
  const bytes = readFileSync(new URL(path, FIXTURES));
  const text = (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as MergedRecord);
}

/** A response: its content and its judge score (null: no score); `"rep"` when repetition-flagged. */
export type Resp = [content: string, score: number | null, flag?: "rep"];

function annotations(list: readonly Resp[]): Annotation[] {
  return list.map(([, score, flag]) => ({ preference_score: score, judgement: "", repetition_flag: flag === "rep", response_token_length: 10 }));
}

/** A merged record with Japanese candidates `ja`; `extra` overrides or adds fields. */
export function record(ja: readonly Resp[] | null, extra: Partial<MergedRecord> = {}): MergedRecord {
  return {
    conversation_id: "0123456789abcdef0123456789abcdef",
    conversation: [{ role: "user", content: "What is the capital of Japan?" }],
    translated_conversation: [{ role: "user", content: "日本の首都はどこですか？" }],
    synthesized_assistant_responses: ja && ja.map(([content]) => ({ role: "assistant", content })),
    synthesized_response_scoring_annotations: ja && annotations(ja),
    ...extra,
  };
}

/** The English fields for candidates `en`, to spread into `record(…, english(…))`. */
export function english(en: readonly Resp[]): Partial<MergedRecord> {
  return {
    synthesized_assistant_responses_en: en.map(([content]) => ({ role: "assistant", content })),
    synthesized_response_scoring_annotations_en: annotations(en),
  };
}
