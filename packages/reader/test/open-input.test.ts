import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { crc32, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "@lmsynth/schema";
import { CHUNK_BYTES, openInput, peekFirstLine, type OpenedInput } from "../src/open-input.js";

const dir = mkdtempSync(join(tmpdir(), "lmsynth-open-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Everything `openInput` decodes from `path`, or from stdin fed as `pieces` when `path` is `-`. */
async function decode(path: string, pieces?: Buffer[]): Promise<Buffer> {
  const { chunks } = await openInput(path, pieces ? { stdin: Readable.from(pieces) } : {});
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

async function errorOf(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(() => undefined, (e: unknown) => e);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

/** `bytes` cut into pieces of `size` bytes. */
const piecesOf = (bytes: Buffer, size: number): Buffer[] =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

const A = gzipSync("first member\n");
const B = gzipSync("second member\n");
const TWO = Buffer.concat([A, B]);

/** A gzip member whose header has every optional field (RFC 1952 §2.3): FEXTRA, FNAME, FCOMMENT, FHCRC. */
function fullHeaderMember(text: string): Buffer {
  const plain = gzipSync(text);
  const head = Buffer.from(plain.subarray(0, 10));
  head[3] = 4 | 8 | 16 | 2;
  const fields = Buffer.concat([head, Buffer.from([3, 0, 0xaa, 0xbb, 0xcc]), Buffer.from("name.jsonl\0a comment\0")]);
  const hcrc = Buffer.alloc(2);
  hcrc.writeUInt16LE(crc32(fields) & 0xffff);
  return Buffer.concat([fields, hcrc, plain.subarray(10)]);
}

describe("gunzip", () => {
  it("reads multi-member gzip through, whatever the chunk boundaries", async () => {
    expect((await decode(file("two.gz", TWO))).toString()).toBe("first member\nsecond member\n");
    for (const size of [1, 2, 7, 10, A.length - 8, A.length, A.length + 1]) {
      expect((await decode("-", piecesOf(TWO, size))).toString(), `pieces of ${size}`).toBe("first member\nsecond member\n");
    }
  });

  it("reads a header with an extra field, a name, a comment and a header CRC", async () => {
    const member = fullHeaderMember("with every header field\n");
    expect((await decode(file("full-header.gz", member))).toString()).toBe("with every header field\n");
    expect((await decode("-", piecesOf(member, 3))).toString()).toBe("with every header field\n");
  });

  it("yields inflated data in chunks of CHUNK_BYTES (1 MiB)", async () => {
    const { chunks } = await openInput(file("big.gz", gzipSync(Buffer.alloc(3 * CHUNK_BYTES + 5, 0x61))));
    const sizes: number[] = [];
    for await (const c of chunks) sizes.push(c.length);
    expect(sizes).toEqual([CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, 5]);
  });

  it.each([
    ["after one member", Buffer.concat([A, Buffer.alloc(512)])],
    ["after two members", Buffer.concat([TWO, Buffer.alloc(1)])],
    ["in a piece of their own", Buffer.concat([A, Buffer.alloc(CHUNK_BYTES + 10)])],
  ])("accepts zero bytes (tar-style padding) %s", async (_, bytes) => {
    expect((await decode(file("padded.gz", bytes))).toString()).toMatch(/^first member\n/);
  });

  it.each([
    ["text", Buffer.concat([A, Buffer.from("garbage!")]), A.length],
    ["one stray byte", Buffer.concat([A, Buffer.from([0x41])]), A.length],
    ["a lone 0x1f", Buffer.concat([A, Buffer.from([0x1f])]), A.length],
    ["zero padding, then garbage", Buffer.concat([A, Buffer.alloc(100), Buffer.from("x")]), A.length],
    ["garbage after two members", Buffer.concat([TWO, Buffer.from("\n")]), TWO.length],
  ])("refuses trailing garbage: %s", async (_, bytes, at) => {
    const path = file("garbage.gz", bytes);
    for (const pieces of [undefined, piecesOf(bytes, 5)]) {
      const e = await errorOf(decode(pieces ? "-" : path, pieces));
      expect([e.reason, e.message]).toEqual(["corrupt-gzip", `${pieces ? "-" : path}: trailing garbage after gzip member at byte ${at}`]);
    }
  });

  it.each([
    ["inside the header", A.subarray(0, 6)],
    ["inside the deflate data", A.subarray(0, 15)],
    ["before the trailer", A.subarray(0, A.length - 8)],
    ["inside the trailer", A.subarray(0, A.length - 3)],
    ["inside a second member", TWO.subarray(0, A.length + 12)],
  ])("reports a gzip cut %s as truncated", async (_, bytes) => {
    const e = await errorOf(decode(file("cut.gz", bytes)));
    expect([e.reason, e.detail]).toEqual(["corrupt-gzip", "truncated gzip data (unexpected end of file)"]);
  });

  const flip = (bytes: Buffer, at: number, mask = 0xff): Buffer => {
    const out = Buffer.from(bytes);
    out[at < 0 ? out.length + at : at]! ^= mask;
    return out;
  };
  it.each([
    ["a CRC-32 that does not match", flip(A, -8), "corrupt gzip data: incorrect data check"],
    ["a length that does not match", flip(A, -2, 1), "corrupt gzip data: incorrect length check"],
    ["an unknown compression method", flip(A, 2, 1), "corrupt gzip data: unknown compression method"],
    ["reserved header flags", flip(A, 3, 0x80), "corrupt gzip data: unknown header flags set"],
    ["a header CRC that does not match", flip(fullHeaderMember("x\n"), 36, 1), "corrupt gzip data: header crc mismatch"],
    ["a second member with an unknown method", Buffer.concat([A, Buffer.from([0x1f, 0x8b, 7])]), "corrupt gzip data: unknown compression method"],
    ["bad deflate data", Buffer.concat([A.subarray(0, 10), Buffer.from([0xff, 0xff, 0xff]), A.subarray(13)]), "corrupt gzip data: invalid block type"],
  ])("reports %s", async (_, bytes, detail) => {
    const e = await errorOf(decode(file("bad.gz", bytes)));
    expect([e.reason, e.detail]).toEqual(["corrupt-gzip", detail]);
  });

  it("lets an error of the source win over the gzip error it caused (tampered encrypted gzip)", async () => {
    // A file that sniffs as OpenPGP; the "decryption" hands over broken gzip, then fails its integrity check.
    const broken = flip(gzipSync("x".repeat(10_000)), 20);
    expect((await errorOf(decode(file("broken.gz", broken)))).detail).toBe("corrupt gzip data: invalid bit length repeat");
    const path = file("tampered.gpg", Buffer.from([0xc3, 0x0d, 0x04, 0x09, 0x03, 0x08]));
    const decrypt = async function* (_: AsyncIterable<Buffer>, name: string): AsyncGenerator<Uint8Array> {
      yield broken;
      yield Buffer.alloc(100);
      throw new InputError(name, undefined, "decrypt", "integrity check failed: the file was modified");
    };
    const e = await errorOf((async () => {
      const { chunks } = await openInput(path, { decrypt });
      for await (const _ of chunks);
    })());
    expect([e.reason, e.message]).toEqual(["decrypt", `${path}: integrity check failed: the file was modified`]);
  });

  it("stops reading the file when the consumer stops early", async () => {
    const { chunks } = await openInput(file("early.gz", gzipSync(Buffer.alloc(4 * CHUNK_BYTES, 0x62))));
    for await (const c of chunks) {
      expect(c.length).toBe(CHUNK_BYTES);
      break;
    }
  });
});

describe("peekFirstLine", () => {
  const text = `${"x".repeat(3 * CHUNK_BYTES)}\n{"second":1}\n`;
  const collect = async (chunks: AsyncIterable<Buffer>) => {
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    return Buffer.concat(parts).toString("utf8");
  };

  it("reads the first line through the input's stream, and the next open reads every byte of it once, from the start", async () => {
    const path = file("peek.jsonl.gz", gzipSync(text));
    const opened = new Map<string, OpenedInput>();
    let raw = 0;
    const options = { opened, maxLineBytes: 16 * CHUNK_BYTES, onRawChunk: (_: string, chunk: Buffer) => void (raw += chunk.length) };
    expect(await peekFirstLine(path, options)).toBe("x".repeat(3 * CHUNK_BYTES));
    const { kind, chunks } = await openInput(path, options);
    expect(opened.size).toBe(0);
    expect(kind).toBe("text");
    expect(await collect(chunks)).toBe(text);
    expect(raw).toBe(gzipSync(text).length);
  });

  it("reads stdin once: the first line, then the whole of it", async () => {
    const opened = new Map<string, OpenedInput>();
    const options = { opened, maxLineBytes: 1 << 20, stdin: Readable.from([Buffer.from("{\"a\":1}"), Buffer.from("\n{\"b\":2}\n")]) };
    expect(await peekFirstLine("-", options)).toBe('{"a":1}');
    expect(await collect((await openInput("-", options)).chunks)).toBe('{"a":1}\n{"b":2}\n');
  });

  it("gives undefined for an empty input and for a first line longer than the cap, which the read then meets", async () => {
    const opened = new Map<string, OpenedInput>();
    expect(await peekFirstLine(file("empty.jsonl", new Uint8Array()), { opened, maxLineBytes: 1 << 20 })).toBeUndefined();
    const long = file("long.jsonl", Buffer.from(text));
    expect(await peekFirstLine(long, { opened, maxLineBytes: CHUNK_BYTES })).toBeUndefined();
    expect(await collect((await openInput(long, { opened })).chunks)).toBe(text);
  });
});
