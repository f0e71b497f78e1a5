import { describe, it, expect } from "vitest";
import type { Message, Multiturn } from "@lmsynth/schema";
import { multiturnMessages } from "../src/index.js";

const Q = "日本語の指示";
const u = (content: string): Message => ({ role: "user", content });
const a = (content: string): Message => ({ role: "assistant", content });

describe("multiturnMessages (input-format.md §5)", () => {
  it.each<[string, Multiturn, Message[] | undefined]>([
    ["nested two turns", [[u("q1"), a("a1"), u("q2"), a("a2\r\n")]], [u("q1"), a("a1"), u("q2"), a("a2\r\n")]],
    ["flat single turn", [u("q1"), a("a1")], [u("q1"), a("a1")]],
    ["nested, starts with the assistant: instruction put in front", [[a("a1"), u("q2"), a("a2")]], [u(Q), a("a1"), u("q2"), a("a2")]],
    ["flat, starts with the assistant", [a("a1")], [u(Q), a("a1")]],
    ["nested with two conversations: the first", [[u("q1"), a("a1")], [u("x"), a("y")]], [u("q1"), a("a1")]],
    ["absent", undefined, undefined],
    ["null", null, undefined],
    ["[]", [], undefined],
    ["[[]]", [[]], undefined],
  ])("%s", (_, field, expected) => {
    expect(multiturnMessages(field, Q)).toStrictEqual(expected);
  });

  it("keeps only role and content, byte for byte", () => {
    const field = [[{ role: "user", content: " q\u3000", name: "x" }, { role: "assistant", content: "😀\n", reasoning_content: "…" }]] as Multiturn;
    expect(multiturnMessages(field, Q)).toStrictEqual([u(" q\u3000"), a("😀\n")]);
  });

  it("does not change its input", () => {
    const inner = [a("a1")];
    multiturnMessages([inner], Q);
    expect(inner).toStrictEqual([a("a1")]);
  });
});
