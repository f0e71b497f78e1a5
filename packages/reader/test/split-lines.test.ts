import { describe, expect, it } from "vitest";
import { splitLines } from "../src/split-lines.js";

async function lines(chunks: string[]): Promise<string[]> {
  async function* source() {
    for (const c of chunks) yield Buffer.from(c);
  }
  const out: string[] = [];
  for await (const batch of splitLines(source())) out.push(...batch.map((b) => b.toString()));
  return out;
}

describe("splitLines", () => {
  it.each([
    { name: "one chunk", chunks: ["a\nb\n"], want: ["a", "b"] },
    { name: "no final newline", chunks: ["a\nb"], want: ["a", "b"] },
    { name: "line across chunks", chunks: ["ab", "c\nd", "e\n"], want: ["abc", "de"] },
    { name: "line across three chunks", chunks: ["a", "b", "c", "\n"], want: ["abc"] },
    { name: "newline at chunk start", chunks: ["a", "\nb\n"], want: ["a", "b"] },
    { name: "empty lines kept", chunks: ["\n\na\n"], want: ["", "", "a"] },
    { name: "CR kept for the JSON parser", chunks: ["a\r\nb\r\n"], want: ["a\r", "b\r"] },
    { name: "empty input", chunks: [], want: [] },
  ])("$name", async ({ chunks, want }) => {
    expect(await lines(chunks)).toEqual(want);
  });

  it("keeps a multi-byte character split across chunks whole", async () => {
    const bytes = Buffer.from("日本\n語\n");
    async function* source() {
      yield bytes.subarray(0, 4);
      yield bytes.subarray(4);
    }
    const out: string[] = [];
    for await (const batch of splitLines(source())) out.push(...batch.map((b) => b.toString("utf8")));
    expect(out).toEqual(["日本", "語"]);
  });
});
