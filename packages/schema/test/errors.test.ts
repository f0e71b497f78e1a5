import { describe, expect, it } from "vitest";
import { InputError, MergedRecordSchema, describeZodError } from "../src/index.js";

function describe_(value: unknown): string {
  const result = MergedRecordSchema.safeParse(value);
  if (result.success) throw new Error("expected a failure");
  return describeZodError(result.error, value);
}

describe("describeZodError", () => {
  it.each([
    [{}, "`conversation_id`: expected string, got nothing"],
    [{ conversation_id: 5 }, "`conversation_id`: expected string, got number"],
    [{ conversation_id: "a", synthesized_assistant_responses: [{ role: "assistant", content: 1 }] }, "`synthesized_assistant_responses[0].content`: expected string, got number"],
    [{ conversation_id: "a", redacted: "yes" }, "`redacted`: expected boolean, got string"],
    [{ conversation_id: "a", synthesized_response_scoring_annotations: [{ preference_score: JSON.parse("1e400") }] }, "`synthesized_response_scoring_annotations[0].preference_score`: expected number, got Infinity"],
    [{ conversation_id: "a", synthesized_multiturn_conversation: "x" }, "`synthesized_multiturn_conversation`: expected one of the accepted shapes, got string"],
  ])("%j", (value, want) => {
    expect(describe_(value)).toBe(want);
  });

  it("accepts unknown fields anywhere and absent, null or empty lists alike", () => {
    for (const v of [undefined, null, []]) {
      const rec = { conversation_id: "a", extra: 1, synthesized_assistant_responses: v, synthesized_response_scoring_annotations: [{ preference_score: 8, judge: "x" }] };
      expect(MergedRecordSchema.safeParse(rec).success).toBe(true);
    }
  });
});

describe("InputError", () => {
  it("prints file:line: detail, or file: detail without a line", () => {
    expect(new InputError("a.jsonl", 3, "invalid-json", "bad").message).toBe("a.jsonl:3: bad");
    expect(new InputError("a.gz", undefined, "corrupt-gzip", "cut").message).toBe("a.gz: cut");
  });
});
