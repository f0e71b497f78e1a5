import { describe, expect, it } from "vitest";
import { LineTooLongError, splitLines } from "../src/split-lines.js";

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

describe("splitLines cap", () => {
  async function* repeat(chunk: Buffer, times: number): AsyncGenerator<Buffer> {
    for (let i = 0; i < times; i++) yield chunk;
  }

  it("reads a line of exactly the cap, and refuses one byte more", async () => {
    const lines: number[] = [];
    for await (const batch of splitLines(repeat(Buffer.from("aaaa"), 4), 16)) lines.push(...batch.map((b) => b.length));
    expect(lines).toEqual([16]);
    await expect(async () => {
      for await (const _ of splitLines(repeat(Buffer.from("aaaaa"), 4), 16));
    }).rejects.toThrow(new LineTooLongError(16));
  });

  it("assembles a long line in linear time: 64 MiB in 1 KiB pieces", async () => {
    // Quadratic assembly copied ~2 TB here; linear assembly copies each byte twice.
    let length = 0;
    for await (const batch of splitLines(repeat(Buffer.alloc(1024, 0x61), 64 * 1024))) length += batch[0]!.length;
    expect(length).toBe(64 * 1024 * 1024);
  });
});
