import { describe, expect, it } from "vitest";
import { OptionError } from "@lmsynth/schema";
import { parseTemplateArgs } from "../src/index.js";

describe("parseTemplateArgs", () => {
  it("reads JSON values where they parse and raw text otherwise", () => {
    expect(
      parseTemplateArgs([
        "date_string=26 Jul 2024",
        "enable_thinking=false",
        "n=3",
        'quoted="2024"',
        "empty=",
        "none=null",
        'tools=[{"name": "f"}]',
        "eq=a=b",
      ]),
    ).toEqual({
      date_string: "26 Jul 2024",
      enable_thinking: false,
      n: 3,
      quoted: "2024",
      empty: "",
      none: null,
      tools: [{ name: "f" }],
      eq: "a=b",
    });
  });

  it("keeps the last value of a repeated key, and __proto__ as a plain key", () => {
    const args = parseTemplateArgs(["a=1", "a=2", "__proto__=x"]);
    expect(Object.entries(args)).toEqual([
      ["a", 2],
      ["__proto__", "x"],
    ]);
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
  });

  it.each(["no_equals", "=value", "bad-key=1", "1st=1", " k=1"])("rejects %j", (arg) => {
    expect(() => parseTemplateArgs([arg])).toThrow(
      new OptionError(`--template-arg ${JSON.stringify(arg)}: expected key=value with key a Jinja identifier`),
    );
  });
});
