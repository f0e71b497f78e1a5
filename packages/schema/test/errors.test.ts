import { describe, expect, it } from "vitest";
import { InputError, InterruptedError, MergedRecordSchema, OutputError, describeZodError, redactSecrets } from "../src/index.js";

function describe_(value: unknown): string {
  const result = MergedRecordSchema.safeParse(value);
  if (result.success) throw new Error("expected a failure");
  return describeZodError(result.error, value);
}

describe("describeZodError", () => {
  it.each([
    [{}, "`conversation_id`: expected string, got nothing"],
    [{ conversation_id: 5 }, "`conversation_id`: expected string, got number"],
    // A response's content may be anything (null from a reasoning model): it is its role that must be text.
    [{ conversation_id: "a", synthesized_assistant_responses: [{ role: 1, content: "x" }] }, "`synthesized_assistant_responses[0].role`: expected string, got number"],
    [{ conversation_id: "a", translated_conversation: [{ role: "user", content: 1 }] }, "`translated_conversation[0].content`: expected string, got number"],
    [{ conversation_id: "a", redacted: "yes" }, "`redacted`: expected boolean, got string"],
    [{ conversation_id: "a", synthesized_response_scoring_annotations: [{ preference_score: JSON.parse("1e400") }] }, "`synthesized_response_scoring_annotations[0].preference_score`: expected number, got Infinity"],
    [{ conversation_id: "a", synthesized_multiturn_conversation: "x" }, "`synthesized_multiturn_conversation`: expected one of the accepted shapes, got string"],
    // input-format.md §3: a score is in [0, 10] or -1.
    [{ conversation_id: "a", synthesized_response_scoring_annotations: [{ preference_score: 1000 }] }, "`synthesized_response_scoring_annotations[0].preference_score`: expected a score in [0, 10] or -1, got 1000"],
    [{ conversation_id: "a", synthesized_response_scoring_annotations_en: [{ preference_score: -0.5 }] }, "`synthesized_response_scoring_annotations_en[0].preference_score`: expected a score in [0, 10] or -1, got -0.5"],
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

describe("InterruptedError", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("%s exits %i", (signal, code) => {
    const e = new InterruptedError(signal);
    expect([e.message, e.exitCode]).toEqual([`interrupted by ${signal}`, code]);
  });
});

describe("OutputError.of", () => {
  it("names the path and keeps Node's words", () => {
    const cause = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    const e = OutputError.of("out/manifest.json", "write", cause);
    expect([e.message, (e as OutputError).path]).toEqual(["out/manifest.json: cannot write: ENOSPC: no space left on device, write", "out/manifest.json"]);
  });

  it("passes lmsynth's own errors through", () => {
    const own = new InputError("a.jsonl", 3, "invalid-json", "bad");
    expect(OutputError.of("x", "write", own)).toBe(own);
  });
});

describe("redactSecrets", () => {
  it.each([
    ["the secret itself", "token abc123 was refused", "abc123", "token [redacted] was refused"],
    ["a Bearer header", "headers: {Authorization: Bearer hf_AbC}", undefined, "headers: {Authorization: Bearer [redacted]}"],
    ["an authorization value", '{"authorization":"token-xyz"}', undefined, '{"authorization":"[redacted]"}'],
    ["a Hub token anywhere", "echo hf_Zz9 back", undefined, "echo hf_[redacted] back"],
    ["nothing secret", "connect ECONNREFUSED 127.0.0.1:9", undefined, "connect ECONNREFUSED 127.0.0.1:9"],
  ])("%s", (_, text, secret, want) => {
    expect(redactSecrets(text, secret)).toBe(want);
  });
});
