import { crc32, createInflateRaw, type InflateRaw } from "node:zlib";
import { InputError } from "@lmsynth/schema";

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
 * Yields inflated chunks of at most `chunkSize` bytes.
 */
export async function* gunzip(chunks: AsyncIterable<Buffer>, file: string, chunkSize: number): AsyncGenerator<Buffer> {
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
      z = createInflateRaw({ chunkSize });
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

