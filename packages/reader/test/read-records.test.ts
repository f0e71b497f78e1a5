import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "@lmsynth/schema";
import { parseLine, readRecords, type RejectedLine } from "../src/read-records.js";
import { sniff } from "../src/open-input.js";

const dir = mkdtempSync(join(tmpdir(), "lmsynth-reader-"));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const line = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ conversation_id: id, ...extra });

async function collect(files: string[], options: Parameters<typeof readRecords>[1] = {}) {
  const out: Array<{ id: string; file: string; line: number }> = [];
  for await (const r of readRecords(files, options)) out.push({ id: r.record.conversation_id, file: r.file, line: r.line });
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(() => undefined, (e: unknown) => e);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

describe("sniff", () => {
  it.each([
    ["gzip", [0x1f, 0x8b, 8, 0], "gzip"],
    ["parquet", [...Buffer.from("PAR1")], "parquet"],
    ["OpenPGP new-format SKESK", [0xc3, 0x0d, 4, 9], "openpgp"],
    ["OpenPGP old-format SKESK", [0x8c, 0x0d, 4, 9], "openpgp"],
    ["armor", [...Buffer.from("-----BEGIN PGP MESSAGE-----\n")], "openpgp"],
    ["JSON", [...Buffer.from('{"a":1}')], "text"],
    ["empty", [], "text"],
  ] as const)("%s", (_, bytes, kind) => {
    expect(sniff(Uint8Array.from(bytes))).toBe(kind);
  });
});

describe("readRecords", () => {
  it("reads plain JSONL with 1-based line numbers, passing blank lines over", async () => {
    const f = file("plain.jsonl", `${line("a")}\n\n  \n${line("b")}\n`);
    expect(await collect([f])).toEqual([
      { id: "a", file: f, line: 1 },
      { id: "b", file: f, line: 4 },
    ]);
  });

  it("reads gzip by content, whatever the name, and multi-member gzip through", async () => {
    const body = Buffer.concat([gzipSync(`${line("a")}\n${line("b")}\n`), gzipSync(`${line("c")}\n`)]);
    const f = file("two-members.data", body);
    expect((await collect([f])).map((r) => `${r.id}:${r.line}`)).toEqual(["a:1", "b:2", "c:3"]);
  });

  it("drops a UTF-8 BOM and accepts CRLF line ends", async () => {
    const f = file("bom-crlf.jsonl", `\ufeff${line("a")}\r\n${line("b")}\r\n`);
    expect((await collect([f])).map((r) => r.id)).toEqual(["a", "b"]);
  });

  it("reads several files in order and stdin as -", async () => {
    const f = file("one.jsonl", `${line("a")}\n`);
    const stdin = Readable.from([gzipSync(`${line("s1")}\n${line("s2")}`)]);
    expect(await collect([f, "-"], { stdin })).toEqual([
      { id: "a", file: f, line: 1 },
      { id: "s1", file: "-", line: 1 },
      { id: "s2", file: "-", line: 2 },
    ]);
  });

  it("keeps unknown fields and content bytes as they are", async () => {
    const content = "\u3000 全角😀𠮷\r\n末尾 ";
    const f = file("extra.jsonl", `${line("a", { new_field: { x: 1 }, translated_conversation: [{ role: "user", content, extra: true }] })}\n`);
    for await (const { record } of readRecords([f])) {
      expect(record.new_field).toEqual({ x: 1 });
      expect(record.translated_conversation).toEqual([{ role: "user", content, extra: true }]);
    }
  });

  it.each([
    ["malformed JSON", `${line("a")}\n{"conversation_id": "b",,}\n`, 2, "invalid-json", /^malformed JSON: /],
    ["a wrong type", `${line("a")}\n${line("b")}\n${line("c", { synthesized_response_scoring_annotations: [{ preference_score: "9" }] })}\n`, 3, "invalid-record", /^`synthesized_response_scoring_annotations\[0\]\.preference_score`: expected number, got string$/],
    ["a missing id", `${JSON.stringify({ turn: 1 })}\n`, 1, "invalid-record", /^`conversation_id`: expected string, got nothing$/],
    ["not an object", `[1]\n`, 1, "invalid-record", /^expected a JSON object, got array$/],
    ["invalid UTF-8", Buffer.concat([Buffer.from('{"conversation_id": "'), Buffer.from([0xff]), Buffer.from('"}\n')]), 1, "invalid-utf8", /^line is not valid UTF-8$/],
  ] as const)("fails on %s with file:line", async (_, content, at, reason, detail) => {
    const f = file(`bad-${at}-${reason}.jsonl`, content);
    const e = await errorOf(collect([f]));
    expect({ file: e.file, line: e.line, reason: e.reason }).toEqual({ file: f, line: at, reason });
    expect(e.detail).toMatch(detail);
    expect(e.message).toBe(`${f}:${at}: ${e.detail}`);
  });

  it("sets bad lines aside with onInvalid skip and goes on", async () => {
    const f = file("skip.jsonl", `${line("a")}\nnot json\n${line("b")}\n`);
    const rejected: RejectedLine[] = [];
    const got = await collect([f], { onInvalid: "skip", onRejected: (r) => void rejected.push(r) });
    expect(got.map((r) => r.id)).toEqual(["a", "b"]);
    expect(rejected).toEqual([
      { file: f, line: 2, reason: "invalid-json", detail: expect.stringMatching(/^malformed JSON: /), text: "not json" },
    ]);
  });

  it("reports truncated gzip as corrupt-gzip, even with onInvalid skip", async () => {
    const full = gzipSync(Array.from({ length: 200 }, (_, i) => line(`id${i}`)).join("\n"));
    const f = file("cut.jsonl.gz", full.subarray(0, full.length - 20));
    const e = await errorOf(collect([f], { onInvalid: "skip" }));
    expect([e.reason, e.detail]).toEqual(["corrupt-gzip", "truncated gzip data (unexpected end of file)"]);
  });

  it("stops with an aborted signal's reason before the next chunk", async () => {
    const f = file("signal.jsonl", `${line("a")}\n${line("b")}\n`);
    const controller = new AbortController();
    controller.abort(new Error("interrupted by SIGINT"));
    const e = await collect([f], { signal: controller.signal }).then(() => undefined, (e: unknown) => e);
    expect(e).toBe(controller.signal.reason);
  });

  it("names a missing file", async () => {
    const e = await errorOf(collect([join(dir, "nope.jsonl")]));
    expect([e.file, e.line, e.reason, e.message]).toEqual([join(dir, "nope.jsonl"), undefined, "io", `${join(dir, "nope.jsonl")}: no such file`]);
  });

  it("asks for a passphrase for OpenPGP input when it has no decrypter", async () => {
    const f = file("secret.gpg", Buffer.from([0xc3, 0x0d, 0x04, 0x09, 0x03, 0x08]));
    const e = await errorOf(collect([f]));
    expect(e.reason).toBe("decrypt");
    expect(e.detail).toBe("OpenPGP-encrypted input needs a passphrase (--passphrase-file or LMSYNTH_PASSPHRASE)");
  });
});

describe("parseLine", () => {
  it("returns the validated record", () => {
    const got = parseLine(Buffer.from(line("a", { synthesized_response_scoring_annotations: [{ preference_score: 8.0 }] })));
    expect(got).toEqual({ record: { conversation_id: "a", synthesized_response_scoring_annotations: [{ preference_score: 8 }] } });
  });
});
