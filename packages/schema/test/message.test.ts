import { describe, expect, it } from "vitest";
import { ResponseSchema, describeZodError, toShareGptTurn, traceOf, traced } from "../src/index.js";

describe("reasoning traces on responses", () => {
  it.each([
    ["reasoning_content", { reasoning_content: "t" }, "t"],
    ["reasoning", { reasoning: "t" }, "t"],
    ["thinking", { thinking: "t" }, "t"],
    ["the same text under two keys", { reasoning_content: "t", thinking: "t" }, "t"],
    ["null", { reasoning_content: null }, undefined],
    ["empty", { thinking: "" }, ""],
    ["missing", {}, undefined],
  ])("read under %s", (_, trace, expected) => {
    const response = { role: "assistant", content: "a", ...trace };
    expect(ResponseSchema.safeParse(response).success).toBe(true);
    expect(traceOf(response)).toBe(expected);
  });

  it.each([
    [{ reasoning_content: "one", thinking: "two" }, "`thinking`: is another trace than `reasoning_content` holds: one response has one trace, got \"two\""],
    [{ reasoning: 3 }, "`reasoning`: expected string, got number"],
    [{ thinking: { text: "t" } }, "`thinking`: expected string, got object"],
    [{ reasoning_content: ["t"] }, "`reasoning_content`: expected string, got array"],
  ])("refuses %j", (trace, message) => {
    const response = { role: "assistant", content: "a", ...trace };
    const result = ResponseSchema.safeParse(response);
    expect(result.success).toBe(false);
    expect(describeZodError(result.error!, response)).toBe(message);
  });

  it("traced gives every message the key's fields, never null: the trace, or an empty string", () => {
    expect(traced({ role: "user", content: "q" }, undefined, "both")).toEqual({ role: "user", content: "q", reasoning_content: "", thinking: "" });
    expect(traced({ role: "assistant", content: "a" }, "t", "thinking")).toEqual({ role: "assistant", content: "a", thinking: "t" });
    expect(traced({ role: "assistant", content: "a" }, "t", undefined)).toEqual({ role: "assistant", content: "a" });
  });

  it("a ShareGPT turn carries its trace inline, as LLaMA-Factory documents it", () => {
    expect(toShareGptTurn({ role: "assistant", content: "a", thinking: "t" })).toEqual({ from: "gpt", value: "<think>t</think>a" });
    expect(toShareGptTurn({ role: "user", content: "q", reasoning_content: "" })).toEqual({ from: "human", value: "q" });
  });
});
