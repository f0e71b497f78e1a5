import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "@lmsynth/schema";
// The worker loads dist/map-worker.js: test the built package, as users run it.
import { mapRecords, type MapRecordsOptions, type RejectedLine } from "../dist/index.js";

const dir = mkdtempSync(join(tmpdir(), "lmsynth-map-"));
const mapper = new URL("./fixtures/id-mapper.mjs", import.meta.url).href;
const line = (i: number, extra: Record<string, unknown> = {}) => JSON.stringify({ conversation_id: `id${i}`, n: i, pad: "日本語".repeat(i % 50), ...extra });

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function collect(files: string[], options: Partial<MapRecordsOptions<{ tag: string }>> & { threads: number }) {
  const out: Array<{ line: number; id: string; tag: string }> = [];
  for await (const m of mapRecords<{ tag: string }, { id: string; tag: string }>(files, { mapper, init: { tag: "t" }, blockBytes: 4096, ...options })) {
    out.push({ line: m.line, id: m.out.id, tag: m.out.tag });
  }
  return out;
}

// 3,000 lines with blank lines and CRLF here and there, cut into many 4 KiB blocks.
const body = Array.from({ length: 3000 }, (_, i) => (i % 97 === 5 ? "\n" : "") + line(i) + (i % 13 === 0 ? "\r" : "")).join("\n") + "\n";

describe("mapRecords", () => {
  it.each([1, 2, 3])("gives the same records, lines and order with %i thread(s)", async (threads) => {
    const f = file("many.jsonl.gz", gzipSync(`\ufeff${body}`));
    const got = await collect([f], { threads });
    expect(got).toHaveLength(3000);
    expect(got.slice(0, 7)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => ({ line: i < 5 ? i + 1 : i + 2, id: `id${i}`, tag: "t" })));
    expect(got.at(-1)).toEqual({ line: 3000 + 31, id: "id2999", tag: "t" });
    expect(got.map((g) => g.id)).toEqual(Array.from({ length: 3000 }, (_, i) => `id${i}`));
  });

  it("names file and line of a bad line far into the file", async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => line(i));
    lines[1733] = '{"conversation_id": 7}';
    const f = file("bad.jsonl", lines.join("\n"));
    const e = await collect([f], { threads: 2 }).then(() => undefined, (e: unknown) => e);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toBe(`${f}:1734: \`conversation_id\`: expected string, got number`);
  });

  it("sets bad lines aside in order with onInvalid skip", async () => {
    const lines = Array.from({ length: 1500 }, (_, i) => line(i));
    lines[10] = "nope";
    lines[1200] = "[1]";
    const f = file("skip.jsonl", lines.join("\n") + "\n");
    const rejected: RejectedLine[] = [];
    const got = await collect([f], { threads: 2, onInvalid: "skip", onRejected: (r) => void rejected.push(r) });
    expect(got).toHaveLength(1498);
    expect(rejected.map((r) => [r.line, r.reason, r.text])).toEqual([
      [11, "invalid-json", "nope"],
      [1201, "invalid-record", "[1]"],
    ]);
  });

  it("passes a mapper's error through with its message", async () => {
    const f = file("explode.jsonl", [line(1), line(2, { explode: true })].join("\n"));
    await expect(collect([f], { threads: 2 })).rejects.toThrow("cannot map id2");
  });

  describe("across the input's 1 MiB chunks", () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => line(i));
    // The line that starts 20,000 bytes before the first chunk ends, made 40,000 bytes long: it spans two chunks.
    let long = 0;
    for (let at = 0; at + Buffer.byteLength(lines[long]!) + 1 < (1 << 20) - 20_000; long++) at += Buffer.byteLength(lines[long]!) + 1;

    it.each([1, 2])("gives every line in order with %i thread(s), blocks cut from whole lines only", async (threads) => {
      const f = file(`chunks-${threads}.jsonl`, lines.join("\n"));
      const got = await collect([f], { threads, blockBytes: 2 << 20 });
      expect(got.map((g) => [g.line, g.id])).toEqual(lines.map((_, i) => [i + 1, `id${i}`]));
    });

    it.each([1, 2])("stops at a line over the cap that spans two chunks, after every line before it (%i thread(s))", async (threads) => {
      const withLong = [...lines.slice(0, long), JSON.stringify({ conversation_id: "long", pad: "x".repeat(40_000) }), ...lines.slice(long + 1)];
      const f = file(`chunks-long-${threads}.jsonl`, withLong.join("\n"));
      const got: string[] = [];
      const e = await (async () => {
        for await (const m of mapRecords<{ tag: string }, { id: string }>([f], { mapper, init: { tag: "t" }, threads, maxLineBytes: 30_000 })) got.push(m.out.id);
      })().then(() => undefined, (e: unknown) => e);
      expect(long).toBeGreaterThan(3000);
      expect((e as InputError).message).toBe(`${f}:${long + 1}: line longer than 30000 bytes (raise the cap with --max-line-bytes)`);
      expect(got).toEqual(lines.slice(0, long).map((_, i) => `id${i}`));
    });
  });

  it("reads several files, each numbered from line 1", async () => {
    const a = file("a.jsonl", `${line(1)}\n${line(2)}\n`);
    const b = file("b.jsonl", `${line(3)}\n`);
    expect(await collect([a, b], { threads: 2 })).toEqual([
      { line: 1, id: "id1", tag: "t" },
      { line: 2, id: "id2", tag: "t" },
      { line: 1, id: "id3", tag: "t" },
    ]);
  });
});

describe("mapRecords with the mapper's id filter", () => {
  const evenMapper = new URL("./fixtures/even-id-mapper.mjs", import.meta.url).href;

  it.each([1, 2])("passes over the lines of ids it refuses, unparsed, with %i thread(s)", async (threads) => {
    const lines = Array.from({ length: 2000 }, (_, i) => line(i));
    // Refused before parsing: a malformed line of an odd id is no error here.
    lines[1001] = '{"conversation_id":"id1001", broken';
    const f = file(`even-${threads}.jsonl`, lines.join("\n") + "\n");
    const got = [];
    for await (const m of mapRecords<{ tag: string }, { id: string }>([f], { mapper: evenMapper, init: { tag: "t" }, threads, blockBytes: 4096 })) got.push([m.line, m.out.id]);
    expect(got).toEqual(Array.from({ length: 1000 }, (_, k) => [2 * k + 1, `id${2 * k}`]));
  });

  it.each([
    ["a bad line of an id it wants", '{"conversation_id":"id20", broken', 2],
    ["a line whose id cannot be read", "nope", 1],
  ])("still fails on %s", async (_, bad, threads) => {
    const lines = Array.from({ length: 50 }, (_, i) => line(i));
    lines[20] = bad;
    const f = file(`even-bad-${threads}.jsonl`, lines.join("\n"));
    const e = await (async () => {
      for await (const m of mapRecords([f], { mapper: evenMapper, init: { tag: "t" }, threads })) void m;
    })().then(() => undefined, (e: unknown) => e);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toMatch(new RegExp(`^${f.replaceAll("/", "\\/")}:21: malformed JSON`));
  });
});
