import { describe, expect, it } from "vitest";
import { decodeUtf8 } from "../src/utf8-text.js";

describe("decodeUtf8", () => {
  it.each([
    ["empty", ""],
    ["ASCII", '{"role":"user","content":"hi\\n"}'],
    ["a byte order mark, kept", "\u{feff}{}"],
    ["Japanese", "日本語の応答です。"],
    ["one accent in ASCII", "caf\u00e9 au lait"],
    ["astral characters (surrogate pairs in the string)", "😀 𠀋 \u{10ffff}"],
    ["around the surrogate block", "\ud7ff\ue000\uffff"],
    ["NUL, line and paragraph separators", "\u0000\u2028\u2029"],
  ])("%s: the string toString('utf8') gives", (_, text) => {
    const bytes = Buffer.from(text, "utf8");
    expect(decodeUtf8(bytes)).toBe(text);
    expect(decodeUtf8(bytes)).toBe(bytes.toString("utf8"));
  });

  it("reads a view into a larger buffer only", () => {
    const whole = Buffer.from("前{\"a\":\"é\"}後", "utf8");
    expect(decodeUtf8(whole.subarray(3, whole.length - 3))).toBe('{"a":"é"}');
  });
});
