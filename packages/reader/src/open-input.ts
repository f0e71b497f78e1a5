import { createReadStream } from "node:fs";
import { mkdtemp, open, rm, stat, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, createInflateRaw, type InflateRaw } from "node:zlib";
import { InputError, trackTemporaryPath } from "@lmsynth/schema";
import { isOpenPgp } from "./decrypt.js";
import { isParquet } from "./read-parquet.js";

/** What the first bytes of an input say it is. */
export type InputKind = "gzip" | "openpgp" | "parquet" | "text";

/** 1 MiB: the 16 KiB stream default made gunzip 3× slower (architecture.md). */
export const CHUNK_BYTES = 1 << 20;

/** Where and how to read an input; `-` is stdin. */
export interface OpenInputOptions {
  /** Readable used for `-`. Default `process.stdin`. */
  stdin?: NodeJS.ReadableStream;
  /** Adds compressed bytes as they are read, for progress and ETA. */
  progress?: { bytesRead: number };
  /** Sees every raw (still compressed/encrypted) chunk of a file as it is read: hash inputs in the same pass. */
  onRawChunk?: (file: string, chunk: Buffer) => void;
  /** Decrypts an OpenPGP stream; required to read `.gpg` inputs. */
  decrypt?: (source: AsyncIterable<Buffer>, file: string) => AsyncIterable<Uint8Array>;
}

/** Names the kind of data from its first bytes (content, not file name). */
export function sniff(head: Uint8Array): InputKind {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (isParquet(head)) return "parquet";
  if (isOpenPgp(head)) return "openpgp";
  return "text";
}

/** File size in bytes, or an `io` InputError naming the path when it cannot be read. */
export async function inputSize(file: string): Promise<number | undefined> {
  if (file === "-") return undefined;
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw new InputError(file, undefined, "io", "is a directory, not an input file");
    return s.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, undefined, "io", code === "ENOENT" ? "no such file" : `cannot read (${code})`, { cause: e });
  }
}

/** The bytes of `file` (`-`: stdin) as read; errors name `shownAs` (a spool is named after its input). */
async function* rawChunks(file: string, options: OpenInputOptions, shownAs = file): AsyncGenerator<Buffer> {
  const source = file === "-" ? (options.stdin ?? process.stdin) : createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const { progress, onRawChunk } = options;
  try {
    for await (const chunk of source) {
      const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      if (progress) progress.bytesRead += b.length;
      onRawChunk?.(file, b);
      yield b;
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(shownAs, undefined, "io", `read failed: ${(e as Error).message}`, { cause: e });
  }
}

/** Sniffing needs this many bytes (the armor line is the longest magic). */
const SNIFF_BYTES = 64;

/**
 * Pulls chunks until there are enough bytes to sniff (a pipe may deliver one byte first), then gives back
 * a stream that starts with them.
 */
async function peek(chunks: AsyncIterable<Buffer>): Promise<{ head: Buffer; chunks: AsyncIterable<Buffer> }> {
  const it = chunks[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < SNIFF_BYTES) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    first.push(r.value);
    length += r.value.length;
  }
  const head = Buffer.concat(first, length);
  async function* replay(): AsyncGenerator<Buffer> {
    if (length > 0) yield head;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { head, chunks: replay() };
}

/** Longest gzip member header accepted (extra field, name and comment included), in bytes. */
const MAX_GZIP_HEADER = 1 << 20;

/**
 * Length of the gzip member header at the start of `b` (RFC 1952 §2.3), `undefined` while `b` ends inside
 * it, or what is wrong with it, in zlib's words.
 */
function gzipHeaderLength(b: Buffer): number | undefined | { problem: string } {
  if (b.length > 2 && b[2] !== 8) return { problem: "unknown compression method" };
  if (b.length > 3 && b[3]! & 0xe0) return { problem: "unknown header flags set" };
  if (b.length < 10) return undefined;
  const flags = b[3]!;
  let at = 10;
  if (flags & 4) {
    if (b.length < 12) return undefined;
    at = 12 + b.readUInt16LE(10);
  }
  // FNAME, then FCOMMENT: zero-terminated.
  for (const flag of [8, 16]) {
    if (!(flags & flag)) continue;
    const zero = at < b.length ? b.indexOf(0, at) : -1;
    if (zero === -1) return undefined;
    at = zero + 1;
  }
  if (flags & 2) {
    if (b.length < at + 2) return undefined;
    if (b.readUInt16LE(at) !== (crc32(b.subarray(0, at)) & 0xffff)) return { problem: "header crc mismatch" };
    at += 2;
  }
  return at <= b.length ? at : undefined;
}

/**
 * Inflates gzip data. Members are framed here and inflated raw, so the end of each is known to the byte
 * (Node's gunzip hides it): a following member is read through (multi-member gzip), zero bytes after the
 * last member are padding (tar-style) and accepted, and anything else after it is an error, "trailing
 * garbage after gzip member at byte N" (N: offset in the gzip data). gzip(1) only warns there, but a
 * silently ignored tail can hide a broken concatenation. CRC-32 and length of every member are checked.
 */
async function* gunzip(chunks: AsyncIterable<Buffer>, file: string): AsyncGenerator<Buffer> {
  const input = chunks[Symbol.asyncIterator]();
  /** Input not yet framed or inflated, and the offset of its first byte in the gzip data. */
  let buf: Buffer = Buffer.alloc(0);
  let at = 0;
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const r = await input.next();
    if (r.done) {
      ended = true;
      return false;
    }
    buf = buf.length === 0 ? r.value : Buffer.concat([buf, r.value]);
    return true;
  };
  const corrupt = (detail: string, cause?: unknown): InputError =>
    new InputError(file, undefined, "corrupt-gzip", detail, cause === undefined ? undefined : { cause });
  const truncated = (): InputError => corrupt("truncated gzip data (unexpected end of file)");

  /** One piece at a time into `z`; returns once the deflate stream ended, with `buf`/`at` at what follows. */
  async function feed(z: InflateRaw): Promise<void> {
    try {
      let piece = buf;
      let pieceAt = at;
      buf = Buffer.alloc(0);
      for (;;) {
        if (piece.length > 0) {
          const before = z.bytesWritten;
          await new Promise<void>((resolve, reject) => {
            const closed = (): void => reject(z.errored ?? new Error("inflate stream closed"));
            z.once("close", closed);
            z.write(piece, (e) => {
              z.off("close", closed);
              if (e) reject(e);
              else resolve();
            });
          });
          // The raw inflater takes no byte past the end of its deflate stream (then it ends its output).
          const used = z.bytesWritten - before;
          if (used < piece.length) {
            buf = piece.subarray(used);
            at = pieceAt + used;
            z.end();
            return;
          }
        }
        pieceAt += piece.length;
        const r = ended ? undefined : await input.next();
        if (!r || r.done) {
          ended = true;
          at = pieceAt;
          // Z_FINISH: a deflate stream cut short fails here with "unexpected end of file".
          z.end();
          return;
        }
        piece = r.value;
      }
    } catch (e) {
      z.destroy(e as Error);
      throw e;
    }
  }

  let z: InflateRaw | undefined;
  try {
    for (let member = 0; ; member++) {
      while (buf.length < 2 && (await more()));
      if (member > 0 && buf.length === 0) return;
      if (buf[0] !== 0x1f || buf[1] !== 0x8b) {
        // Not a member: only zero bytes may follow the last one.
        const garbageAt = at;
        do {
          for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) throw corrupt(`trailing garbage after gzip member at byte ${garbageAt}`);
          at += buf.length;
          buf = Buffer.alloc(0);
        } while (await more());
        return;
      }
      let header = gzipHeaderLength(buf);
      while (header === undefined) {
        if (buf.length > MAX_GZIP_HEADER) throw corrupt("corrupt gzip data: header longer than 1 MiB");
        if (!(await more())) throw truncated();
        header = gzipHeaderLength(buf);
      }
      if (typeof header === "object") throw corrupt(`corrupt gzip data: ${header.problem}`);
      buf = buf.subarray(header);
      at += header;
      z = createInflateRaw({ chunkSize: CHUNK_BYTES });
      const fed = feed(z);
      fed.catch(() => {}); // its error also ends `z`, which throws it below
      let crc = 0;
      let size = 0;
      for await (const out of z) {
        crc = crc32(out as Buffer, crc);
        size += (out as Buffer).length;
        yield out as Buffer;
      }
      await fed;
      while (buf.length < 8 && (await more()));
      if (buf.length < 8) throw truncated();
      if (buf.readUInt32LE(0) !== crc) throw corrupt("corrupt gzip data: incorrect data check");
      if (buf.readUInt32LE(4) !== size % 2 ** 32) throw corrupt("corrupt gzip data: incorrect length check");
      buf = buf.subarray(8);
      at += 8;
    }
  } catch (e) {
    if (e instanceof InputError && e.reason !== "corrupt-gzip") throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (!(e instanceof InputError) && !code?.startsWith("Z_")) throw e;
    const error =
      e instanceof InputError ? e : code === "Z_BUF_ERROR" ? corrupt("truncated gzip data (unexpected end of file)", e) : corrupt(`corrupt gzip data: ${(e as Error).message}`, e);
    // Bad gzip inside decrypted data is usually the symptom of tampering, which the decryption reports
    // only at its end: read on (without inflating) so that its error wins.
    try {
      while (!ended && !(await input.next()).done);
    } catch (inner) {
      if (inner instanceof InputError) throw inner;
    }
    throw error;
  } finally {
    z?.destroy();
    if (!ended) void input.return?.(undefined)?.catch(() => {});
  }
}

/**
 * Opens an input as a stream of decoded bytes: OpenPGP is decrypted (with `options.decrypt`), gzip is
 * inflated, recursively, so `.jsonl.gz.gpg` reads as JSONL. Parquet is reported as such for a record
 * reader. Throws `InputError` naming the file (`io`, `corrupt-gzip`, `decrypt`).
 */
export async function openInput(
  file: string,
  options: OpenInputOptions = {},
): Promise<{ kind: InputKind; chunks: AsyncIterable<Buffer> }> {
  await inputSize(file);
  let chunks: AsyncIterable<Buffer> = rawChunks(file, options);
  for (let depth = 0; ; depth++) {
    const p = await peek(chunks);
    const kind = sniff(p.head);
    chunks = p.chunks;
    if (kind === "gzip") chunks = gunzip(chunks, file);
    else if (kind === "openpgp") {
      const decrypt = options.decrypt;
      if (!decrypt) throw new InputError(file, undefined, "decrypt", "OpenPGP-encrypted input needs a passphrase (--passphrase-file or LMSYNTH_PASSPHRASE)");
      const ciphertext = await verifyOpenPgp(file, chunks, decrypt, depth === 0 && file !== "-");
      chunks = (async function* () {
        try {
          for await (const c of decrypt(ciphertext.chunks(), file)) yield Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
        } finally {
          await ciphertext.dispose();
        }
      })();
    } else {
      if (depth === 0 && OPENPGP_NAME.test(file)) {
        throw new InputError(file, undefined, "decrypt", `not an OpenPGP message${p.head.length === 0 ? " (the file is empty)" : ""}, though its name says so`);
      }
      return { kind, chunks };
    }
  }
}

/** Names that promise OpenPGP data: a file so named that holds anything else is an error, not text. */
const OPENPGP_NAME = /\.(gpg|pgp|asc)$/i;

/**
 * The verifying pass (behaviour.md §9): decrypts `chunks` to the end, discarding the plaintext, so that a
 * modified file fails its integrity check before any byte derived from it reaches an output. Then gives the
 * ciphertext again: read anew from `file` when `rereadable`, else from a spool of the ciphertext (stdin,
 * or encrypted data inside gzip) in the temp folder, removed by `dispose`.
 */
async function verifyOpenPgp(
  file: string,
  chunks: AsyncIterable<Buffer>,
  decrypt: NonNullable<OpenInputOptions["decrypt"]>,
  rereadable: boolean,
): Promise<{ chunks: () => AsyncIterable<Buffer>; dispose: () => Promise<void> }> {
  let spool: { dir: string; path: string; handle: FileHandle; untrack: () => void } | undefined;
  if (!rereadable) {
    const dir = await mkdtemp(join(tmpdir(), "lmsynth-ciphertext-"));
    const path = join(dir, "input.gpg");
    spool = { dir, path, handle: await open(path, "wx", 0o600), untrack: trackTemporaryPath(dir) };
  }
  const dispose = async (): Promise<void> => {
    if (!spool) return;
    await spool.handle.close().catch(() => {});
    await rm(spool.dir, { recursive: true, force: true });
    spool.untrack();
  };
  try {
    const target = spool?.handle;
    const teed = target
      ? (async function* () {
          for await (const c of chunks) {
            await target.write(c);
            yield c;
          }
        })()
      : chunks;
    for await (const _ of decrypt(teed, file));
    await target?.close();
  } catch (e) {
    await dispose();
    throw e;
  }
  const path = spool?.path ?? file;
  return { chunks: () => rawChunks(path, {}, file), dispose };
}
