import { createReadStream } from "node:fs";
import { mkdtemp, open, rm, stat, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError, sweepAbandonedSpools, trackTemporaryPath } from "@lmsynth/schema";
import { describeUnencryptedOpenPgp, isOpenPgp } from "./openpgp-sniff.js";
import { gunzip } from "./gunzip-members.js";
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
  /** Inputs opened already (by {@link peekFirstLine}): `openInput` takes a file's entry, once, instead of
   * opening it again, so what was read of it is read again from the same stream. */
  opened?: Map<string, OpenedInput>;
}

/** An input opened for reading: what it holds, and its decoded bytes. */
export interface OpenedInput {
  kind: InputKind;
  chunks: AsyncIterable<Buffer>;
  /** Closes the input when it will not be read after all (set by {@link peekFirstLine}). */
  close?: () => Promise<void>;
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

/**
 * Opens an input as a stream of decoded bytes: OpenPGP is decrypted (with `options.decrypt`), gzip is
 * inflated, recursively, so `.jsonl.gz.gpg` reads as JSONL. Parquet is reported as such for a record
 * reader. Throws `InputError` naming the file (`io`, `corrupt-gzip`, `decrypt`).
 */
export async function openInput(file: string, options: OpenInputOptions = {}): Promise<OpenedInput> {
  const opened = options.opened?.get(file);
  if (opened) {
    options.opened!.delete(file);
    return opened;
  }
  await inputSize(file);
  let chunks: AsyncIterable<Buffer> = rawChunks(file, options);
  for (let depth = 0; ; depth++) {
    const p = await peek(chunks);
    const kind = sniff(p.head);
    chunks = p.chunks;
    if (kind === "gzip") chunks = gunzip(chunks, file, CHUNK_BYTES);
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
        const instead = describeUnencryptedOpenPgp(p.head);
        throw new InputError(file, undefined, "decrypt", instead ?? `not an OpenPGP message${p.head.length === 0 ? " (the file is empty)" : ""}, though its name says so`);
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
    sweepAbandonedSpools(tmpdir());
    const dir = await mkdtemp(join(tmpdir(), `lmsynth-ciphertext-${process.pid}-`));
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

/**
 * The first line of `file`'s decoded text (decrypted, inflated), read through the stream the input will be
 * read from: the input stays open in `options.opened`, the bytes read so far first, so that the next
 * `openInput` of it (the real read) sees every byte from the start, and reads, hashes and decrypts it once.
 * Undefined for a Parquet or empty input, or a first line longer than `maxLineBytes` (the real read reports
 * that at its line).
 */
export async function peekFirstLine(file: string, options: OpenInputOptions & { opened: Map<string, OpenedInput>; maxLineBytes: number }): Promise<string | undefined> {
  const { kind, chunks } = await openInput(file, options);
  const rest = chunks[Symbol.asyncIterator]();
  const read: Buffer[] = [];
  let length = 0;
  let line: string | undefined;
  while (kind !== "parquet" && length <= options.maxLineBytes) {
    const step = await rest.next();
    if (step.done) {
      if (length > 0) line = Buffer.concat(read).toString("utf8");
      break;
    }
    read.push(step.value);
    const newline = step.value.indexOf(10);
    if (newline !== -1) {
      line = Buffer.concat(read).subarray(0, length + newline).toString("utf8");
      break;
    }
    length += step.value.length;
  }
  options.opened.set(file, {
    kind,
    chunks: (async function* () {
      yield* read;
      for (let step = await rest.next(); !step.done; step = await rest.next()) yield step.value;
    })(),
    close: async () => void (await rest.return?.(undefined)),
  });
  return line;
}