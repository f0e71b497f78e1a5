import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutputError } from "@lmsynth/schema";
import { openJsonlSink } from "../src/index.js";
import { duckdbJsonRows } from "./read-back.js";

const rows = [
  { conversation_id: "a1", messages: [{ role: "user", content: "こんにちは 😀 \"quoted\"\n" }] },
  { conversation_id: "a2", messages: [{ role: "assistant", content: "  spaces kept  \t\\" }], score: 8.5 },
];
const expectedText =
  '{"conversation_id":"a1","messages":[{"role":"user","content":"こんにちは 😀 \\"quoted\\"\\n"}]}\n' +
  '{"conversation_id":"a2","messages":[{"role":"assistant","content":"  spaces kept  \\t\\\\"}],"score":8.5}\n';

const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmsynth-jsonl-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("openJsonlSink", () => {
  it("writes one JSON line per row, UTF-8 without ASCII escaping, and reports rows, bytes and sha256", async () => {
    const path = join(dir, "out.jsonl");
    const sink = await openJsonlSink(path);
    for (const row of rows) await sink.write(row);
    const file = await sink.close();
    const bytes = await readFile(path);
    expect(bytes.toString("utf8")).toBe(expectedText);
    expect(file).toEqual({ path, rows: 2, bytes: bytes.byteLength, sha256: sha256(bytes) });
    expect(await readdir(dir)).toEqual(["out.jsonl"]);
  });

  it("writes to a temporary sibling until close, and abort removes it", async () => {
    const path = join(dir, "out.jsonl");
    const sink = await openJsonlSink(path);
    await sink.write(rows[0]);
    const during = await readdir(dir);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(new RegExp(`^\\.out\\.jsonl\\.tmp-${process.pid}-\\d+$`));
    await sink.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it("replaces an existing file only on close", async () => {
    const path = join(dir, "out.jsonl");
    await writeFile(path, "old\n");
    const sink = await openJsonlSink(path);
    await sink.write(rows[0]);
    expect(await readFile(path, "utf8")).toBe("old\n");
    await sink.close();
    expect(await readFile(path, "utf8")).toBe(expectedText.split("\n")[0] + "\n");
  });

  it.each([
    ["out.jsonl.gz", undefined, true],
    ["out.jsonl", true, true],
    ["out.jsonl.gz", false, false],
  ])("%s with gzip=%s is gzipped: %s", async (name, gzip, gzipped) => {
    const path = join(dir, name);
    const sink = await openJsonlSink(path, gzip === undefined ? {} : { gzip });
    for (const row of rows) await sink.write(row);
    const file = await sink.close();
    const bytes = await readFile(path);
    expect(file).toEqual({ path, rows: 2, bytes: bytes.byteLength, sha256: sha256(bytes) });
    if (gzipped) {
      // magic, deflate, no flags, mtime 0 (bytes 4–7), xfl 0 for level 6, OS 3 (Unix)
      expect([...bytes.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
      expect(gunzipSync(bytes).toString("utf8")).toBe(expectedText);
    } else {
      expect(bytes.toString("utf8")).toBe(expectedText);
    }
  });

  it("gives byte-identical gzip output for the same rows", async () => {
    const written = [];
    for (const name of ["a.jsonl.gz", "b.jsonl.gz"]) {
      const sink = await openJsonlSink(join(dir, name));
      for (let i = 0; i < 20_000; i++) await sink.write({ id: `c${i}`, text: "x".repeat(i % 97) });
      written.push(await sink.close());
    }
    expect(written[0]!.sha256).toBe(written[1]!.sha256);
    expect(await readFile(join(dir, "a.jsonl.gz"))).toEqual(await readFile(join(dir, "b.jsonl.gz")));
  });

  it("streams many megabytes with backpressure and reads back every row", async () => {
    const path = join(dir, "big.jsonl.gz");
    const sink = await openJsonlSink(path, { gzipLevel: 1 });
    const n = 60_000;
    for (let i = 0; i < n; i++) await sink.write({ i, content: `${i}:`.padEnd(200, "あ") });
    const file = await sink.close();
    expect(file.rows).toBe(n);
    const lines = gunzipSync(await readFile(path)).toString("utf8").split("\n");
    expect(lines).toHaveLength(n + 1);
    expect(lines[n]).toBe("");
    expect(JSON.parse(lines[12_345]!)).toEqual({ i: 12_345, content: "12345:".padEnd(200, "あ") });
  });

  it("gzips in members of 4 MiB of input, which zcat, zlib and DuckDB read as one stream", async () => {
    const path = join(dir, "members.jsonl.gz");
    const sink = await openJsonlSink(path);
    const n = 30_000;
    const row = (i: number) => ({ i, content: `${i}:`.padEnd(300, "あ") });
    for (let i = 0; i < n; i++) await sink.write(row(i));
    await sink.close();
    const bytes = await readFile(path);
    const text = Array.from({ length: n }, (_, i) => JSON.stringify(row(i)) + "\n").join("");
    // Node's gzip header (mtime 0, OS 3) starts every member: a member takes the sink's 1 MiB-character
    // batches (about 2.9 MB each here) until it holds 4 MiB, so 27.4 MB make 5 members.
    const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    let members = 0;
    for (let at = bytes.indexOf(header); at !== -1; at = bytes.indexOf(header, at + 1)) members++;
    expect([Buffer.byteLength(text), members]).toEqual([27_401_110, 5]);
    expect(gunzipSync(bytes).toString("utf8")).toBe(text);
    expect(execFileSync("zcat", [path], { maxBuffer: 64 << 20 }).toString("utf8")).toBe(text);
    const read = await duckdbJsonRows(path);
    expect(read).toHaveLength(n);
    // DuckDB reads `i` as BIGINT, which its JSON form gives as a string.
    expect(read.map((r) => [Number(r["i"]), r["content"]])).toEqual(Array.from({ length: n }, (_, i) => [i, row(i).content]));
    // 27 MB through three readers: seconds when the other packages' tests run beside it.
  }, 30_000);

  it("writes an empty gzip output as one empty member", async () => {
    const path = join(dir, "empty.jsonl.gz");
    await (await openJsonlSink(path)).close();
    const bytes = await readFile(path);
    expect([bytes.length, gunzipSync(bytes).length]).toEqual([20, 0]);
  });

  it("writes `-` to the given stdout without ending it", async () => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    const sink = await openJsonlSink("-", { stdout });
    for (const row of rows) await sink.write(row);
    const file = await sink.close();
    const bytes = Buffer.concat(chunks);
    expect(bytes.toString("utf8")).toBe(expectedText);
    expect(file).toEqual({ path: "-", rows: 2, bytes: bytes.byteLength, sha256: sha256(bytes) });
    expect(stdout.writableEnded).toBe(false);
    expect(stdout.listenerCount("error")).toBe(0);
  });

  it("treats EPIPE on stdout as a normal stop", async () => {
    let calls = 0;
    const stdout = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        calls++;
        callback(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    const sink = await openJsonlSink("-", { stdout });
    for (let i = 0; i < 30_000 && !sink.stopped; i++) await sink.write({ i, pad: "p".repeat(100) });
    expect(sink.stopped).toBe(true);
    await sink.write({ after: true });
    const file = await sink.close();
    expect(file.path).toBe("-");
    expect(calls).toBe(1);
  });

  it("fails with an OutputError naming the path when the disk is full (/dev/full, written in place)", async () => {
    const sink = await openJsonlSink("/dev/full");
    await sink.write(rows[0]);
    const error = await sink.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputError);
    expect(error).toMatchObject({ path: "/dev/full" });
    expect((error as Error).message).toMatch(/^\/dev\/full: cannot write: ENOSPC/);
  });

  it.each([
    ["a missing directory", "missing/out.jsonl", /^cannot write: ENOENT/],
    ["a path below a file", "file/out.jsonl", /^cannot write: ENOTDIR/],
    ["a directory", "sub", /^cannot write: is a directory$/],
  ])("refuses %s on open with an OutputError", async (_what, relative, detail) => {
    await writeFile(join(dir, "file"), "");
    await mkdir(join(dir, "sub"));
    const path = join(dir, relative);
    const error = await openJsonlSink(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputError);
    expect(error).toMatchObject({ path });
    expect((error as OutputError).detail).toMatch(detail);
  });
});
