/**
 * OpenPGP passphrase decryption (behaviour.md §1 `decrypt`, §9), streaming, with openpgp v6.
 *
 * openpgp does the cryptography; this module adds what a command-line user needs around it: a wrong
 * passphrase is reported as such before the file is read (openpgp alone reports garbage as "Error during
 * parsing" or, at the very end, as "Modification detected"), a truncated file is told apart from a
 * modified one, and `decryptFile` never leaves a partial output behind.
 */
import { createDecipheriv, getCiphers, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  Message,
  PacketList,
  SymEncryptedSessionKeyPacket,
  config,
  decrypt,
  decryptSessionKeys,
  enums,
  readMessage,
  unarmor,
} from "openpgp";
import type { PartialConfig, SessionKey } from "openpgp";
import { InputError, OutputError, trackTemporaryPath } from "@lmsynth/schema";
import { PacketFraming, PacketTag, concatBytes } from "./packet-framing.js";
import { isArmored } from "./openpgp-sniff.js";
import { s2kSessionKey } from "./s2k.js";
import { badPassphrase, classifyOpenPgpError, errorMessage, truncatedError } from "./openpgp-errors.js";
import type { FramedPacket } from "./packet-framing.js";

/** Options of {@link decryptStream}. */
export interface DecryptStreamOptions {
  /** The passphrase, exactly as `gpg --symmetric` was given it (see {@link readPassphrase}). */
  passphrase: string;
  /** Name of the input, used in error messages only. */
  file: string;
}

/** Options of {@link decryptFile}. */
export interface DecryptFileOptions {
  /** The passphrase, exactly as `gpg --symmetric` was given it (see {@link readPassphrase}). */
  passphrase: string;
  /** Aborts the decryption; the temporary file is removed. Default: none. */
  signal?: AbortSignal;
}

/** What {@link decryptFile} wrote. */
export interface DecryptedFile {
  /** The output path (the renamed file). */
  path: string;
  /** Plaintext bytes written. */
  bytes: number;
}



const OPENPGP_CONFIG: PartialConfig = {
  // Release plaintext as it is decrypted instead of buffering all of it (~3× the file size) until the
  // MDC is checked. Safe only because the MDC failure is still thrown at the end of the stream and
  // every consumer commits nothing before the stream ends cleanly.
  allowUnauthenticatedStream: true,
  // gpg ≥ 2.3 (LibrePGP) writes v5 SKESK packets in front of OCB-encrypted (tag 20) data.
  enableParsingV5Entities: true,
};

/** Body bytes of the encrypted-data packet needed before the passphrase check (SEIPD v1: 1 + 16 + 2). */
const HEAD_BODY_BYTES = 19;
/** Packets that may come before the encrypted data, and the encrypted-data packets themselves. */
const HEAD_PACKET_TAGS: ReadonlySet<number> = new Set([
  PacketTag.skesk,
  PacketTag.pkesk,
  PacketTag.marker,
  PacketTag.sed,
  PacketTag.seipd,
  PacketTag.aead,
]);
/** Give up looking for the encrypted data after this many bytes of key packets. */
const MAX_HEAD_BYTES = 1 << 20;

/** Node cipher names and block sizes for the CFB quick check (RFC 9580 §5.7); others skip the check. */
const CFB_CIPHERS: Readonly<Record<string, { node: string; blockSize: number }>> = {
  aes128: { node: "aes-128-cfb", blockSize: 16 },
  aes192: { node: "aes-192-cfb", blockSize: 16 },
  aes256: { node: "aes-256-cfb", blockSize: 16 },
  tripledes: { node: "des-ede3-cfb", blockSize: 8 },
  cast5: { node: "cast5-cfb", blockSize: 8 },
  blowfish: { node: "bf-cfb", blockSize: 8 },
};


/**
 * Decrypts a passphrase-encrypted OpenPGP message (what `gpg --symmetric` writes, binary or ASCII-armored)
 * and yields the plaintext (the literal data, decompressed) in chunks as it is decrypted, in bounded memory.
 *
 * Reads: SKESK v4 + SEIPD v1 (CFB with MDC: what gpg 2.2 writes, and every gpg since 2007), SKESK v5 +
 * AEAD packet 20 (gpg ≥ 2.3 with AEAD: OCB), SKESK v6 + SEIPD v2 (RFC 9580); AES, 3DES, CAST5 and the other
 * ciphers of openpgp; any S2K digest; ZIP, ZLIB, BZIP2 or no compression. Refuses data without integrity
 * protection (packet 9) and messages encrypted to a public key.
 *
 * Errors, all `InputError(file, undefined, reason, detail)`, thrown by the iterator:
 * - `bad-passphrase` "wrong passphrase", at the first `next()`: the session key is checked before the
 *   data is read (CFB: the RFC 9580 §5.7 quick-check bytes, a 1-in-65536 chance to miss; AEAD: the
 *   authenticated session-key packet).
 * - `decrypt` "truncated OpenPGP data" when the input ends inside the encrypted packet, "integrity check
 *   failed: the file was modified" when the MDC or an AEAD tag does not match (or the decrypted
 *   packets are garbage), "not OpenPGP data" / "not a passphrase-encrypted message" otherwise.
 * Plaintext is released before the integrity check, which happens at the end: the last `next()` throws
 * on failure, so a consumer must commit nothing until the iterator has finished without error.
 *
 * `source` is consumed and, when it is a Node stream, destroyed when iteration ends or stops early.
 */
export async function* decryptStream(
  source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  options: DecryptStreamOptions,
): AsyncIterable<Uint8Array> {
  const { passphrase, file } = options;
  const input = byteChunks(source, file)[Symbol.asyncIterator]();
  const framing = new PacketFraming();
  // False when the format allowed no early check of the passphrase (CFB with a cipher Node lacks).
  let verified = true;
  try {
    const sniffed = await readAtLeast(input, 64);
    if (sniffed.length === 0) throw new InputError(file, undefined, "decrypt", "not OpenPGP data: the file is empty");
    const all = prepend(sniffed, input);
    const binary = isArmored(concatBytes(sniffed)) ? await dearmor(all, file) : all;

    const head: Uint8Array[] = [];
    let ended = false;
    while (!framing.headReady(HEAD_BODY_BYTES) && !framing.packets.some((p) => !HEAD_PACKET_TAGS.has(p.tag))) {
      const next = await binary.next();
      if (next.done) {
        framing.end();
        ended = true;
        break;
      }
      framing.push(next.value);
      head.push(next.value);
      if (framing.offset > MAX_HEAD_BYTES && !framing.dataPacket) {
        throw new InputError(file, undefined, "decrypt", "not OpenPGP data: no encrypted data packet in the first 1 MiB");
      }
    }
    const checked = await checkPassphrase(framing, concatBytes(head), passphrase, file, ended);
    verified = checked.verified;

    async function* tracked(): AsyncGenerator<Uint8Array> {
      yield* head;
      for (;;) {
        const next = await binary.next();
        if (next.done) break;
        framing.push(next.value);
        yield next.value;
      }
      framing.end();
    }
    const message = await readMessage({ binaryMessage: toWebStream(tracked()), config: OPENPGP_CONFIG });
    const { data } = await decrypt({ message, sessionKeys: checked.sessionKey, format: "binary", config: OPENPGP_CONFIG });
    yield* fromWebStream(data as unknown as ReadableStream<Uint8Array>);
    // openpgp would have failed on a short packet already; this guards a stream that ended early anyway.
    if (framing.truncated) throw truncatedError(file);
  } catch (error) {
    throw classifyOpenPgpError(error, framing, file, verified);
  } finally {
    const stream = source as { destroy?: () => void };
    if (typeof stream.destroy === "function") stream.destroy();
    else void input.return?.(undefined)?.catch(() => {});
  }
}

/**
 * Decrypts `inPath` into `outPath` atomically: the plaintext is streamed into a temporary sibling file
 * (`.<name>.<random>.tmp` in the output's folder) that is renamed to `outPath` only after the integrity
 * check passed. On any failure or abort the temporary file is removed and nothing is left at `outPath`
 * (an existing `outPath` is left untouched). A device or FIFO at `outPath` is written in place, not
 * replaced. Throws the errors of {@link decryptStream}, `InputError` (`io`) naming the path when the input
 * cannot be read or the output cannot be written, and `signal.reason` once `signal` aborts.
 */
export async function decryptFile(inPath: string, outPath: string, options: DecryptFileOptions): Promise<DecryptedFile> {
  const { passphrase, signal } = options;
  // A device or FIFO (`/dev/full`, `/dev/stdout`) is written in place: renaming over it would replace it.
  const existing = await stat(outPath).catch(() => undefined);
  const inPlace = existing !== undefined && !existing.isFile() && !existing.isDirectory();
  const temp = inPlace ? outPath : join(dirname(outPath), `.${basename(outPath)}.${randomBytes(6).toString("hex")}.tmp`);
  const untrack = inPlace ? () => {} : trackTemporaryPath(temp);
  let bytes = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of decryptStream(createReadStream(inPath, { highWaterMark: 1 << 20 }), { passphrase, file: inPath })) {
      bytes += chunk.length;
      yield chunk;
    }
  }
  try {
    // A device or FIFO shows every byte at once: verify the whole file first, so that no unverified
    // plaintext reaches it (a temporary file is verified by the rename that waits for the check).
    if (inPlace) for await (const _ of decryptStream(createReadStream(inPath, { highWaterMark: 1 << 20 }), { passphrase, file: inPath })) signal?.throwIfAborted();
    await pipeline(Readable.from(counted(), { objectMode: false }), createWriteStream(temp, { flags: inPlace ? "w" : "wx" }), { signal });
    if (!inPlace) await rename(temp, outPath);
    untrack();
  } catch (error) {
    if (!inPlace) await unlink(temp).catch(() => {});
    untrack();
    // The pipeline reports an abort as a bare AbortError; the signal's reason says why (e.g. SIGINT).
    if (signal?.aborted) throw signal.reason;
    throw ioError(error, inPath, outPath, temp);
  }
  return { path: outPath, bytes };
}

/**
 * Input chunks as `Uint8Array`s, whatever the source. A failing source (missing file, read error)
 * becomes an `io` InputError here, so that it is not mistaken for bad data further on.
 */
async function* byteChunks(source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, file: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
      // A Node stream with an encoding set yields strings; turn them back into bytes.
      yield typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const detail = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not an input file" : `read failed: ${errorMessage(error)}`;
    throw new InputError(file, undefined, "io", detail, { cause: error });
  }
}

/** Reads chunks until at least `bytes` bytes were read or the input ended. */
async function readAtLeast(input: AsyncIterator<Uint8Array>, bytes: number): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < bytes) {
    const next = await input.next();
    if (next.done) break;
    chunks.push(next.value);
    size += next.value.length;
  }
  return chunks;
}

async function* prepend(first: readonly Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/** ASCII armor → binary, through openpgp's streaming `unarmor` (checksum and headers per RFC 9580 §6). */
async function dearmor(armoredBytes: AsyncIterator<Uint8Array>, file: string): Promise<AsyncIterator<Uint8Array>> {
  async function* text(): AsyncGenerator<string> {
    const decoder = new TextDecoder("latin1");
    for (;;) {
      const next = await armoredBytes.next();
      if (next.done) break;
      yield decoder.decode(next.value, { stream: true });
    }
  }
  // openpgp's types declare `unarmor(string)`, but it streams when given a stream of strings.
  const unarmored = await (unarmor as unknown as (input: ReadableStream<string>) => ReturnType<typeof unarmor>)(
    toWebStream(text()),
  );
  if (unarmored.type !== enums.armor.message) {
    throw new InputError(file, undefined, "decrypt", `not an encrypted OpenPGP message: the armor is a ${enums.read(enums.armor, unarmored.type)} block`);
  }
  return fromWebStream(unarmored.data as ReadableStream<Uint8Array>);
}

/** A pull-driven web stream over an async iterator (openpgp reads web streams), with backpressure. */
function toWebStream<T>(iterator: AsyncIterator<T>): ReadableStream<T> {
  return new ReadableStream<T>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await iterator.return?.(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The chunks of a web stream; stopping early cancels it. */
async function* fromWebStream<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Finds the session key that `passphrase` unlocks, checking it against the encrypted data when the
 * format allows (CFB quick check), so that a wrong passphrase fails here, before the data is read.
 */
async function checkPassphrase(
  framing: PacketFraming,
  head: Uint8Array,
  passphrase: string,
  file: string,
  ended: boolean,
): Promise<{ sessionKey: SessionKey; verified: boolean }> {
  const data = framing.dataPacket;
  if (!data) {
    const other = framing.packets.find((p) => !HEAD_PACKET_TAGS.has(p.tag));
    if (other?.tag === PacketTag.literal || other?.tag === PacketTag.compressed) {
      throw new InputError(file, undefined, "decrypt", "not an encrypted OpenPGP message: it holds unencrypted data");
    }
    if (other) {
      throw new InputError(
        file,
        undefined,
        "decrypt",
        `not OpenPGP-encrypted data: found packet type ${other.tag} where a session-key packet was expected`,
      );
    }
    if (ended) throw truncatedError(file, "before the encrypted data");
    throw new InputError(file, undefined, "decrypt", "not OpenPGP data: no encrypted data packet in the first 1 MiB");
  }
  if (data.tag === PacketTag.sed) {
    throw new InputError(
      file,
      undefined,
      "decrypt",
      "the OpenPGP data has no integrity protection (packet 9, no MDC); refusing to decrypt it, as gpg does",
    );
  }
  const skesks = framing.packets.filter((p) => p.tag === PacketTag.skesk && p.end !== undefined);
  if (skesks.length === 0) {
    throw new InputError(
      file,
      undefined,
      "decrypt",
      "not a passphrase-encrypted message: it is encrypted to a public key (lmsynth reads gpg --symmetric files)",
    );
  }
  const fast = skesks.map((p) => s2kSessionKey(p.body, passphrase));
  const candidates = fast.every((k) => k !== undefined) ? fast : await openpgpSessionKeys(skesks, head, passphrase, file);
  for (const { data: key, algorithm } of candidates) {
    // SEIPD v2 names its cipher in its own header and openpgp ignores `algorithm`; the SKESK v6 it
    // came from was authenticated.
    if (algorithm === null) return { sessionKey: { data: key, algorithm: "aes256" }, verified: true };
    const check = quickCheck(data, key, algorithm);
    if (check !== "fail") return { sessionKey: { data: key, algorithm }, verified: check === "pass" };
  }
  throw badPassphrase(file, passphrase);
}

/** The session keys openpgp derives from the SKESK packets `skesks` with `passphrase`. */
async function openpgpSessionKeys(skesks: FramedPacket[], head: Uint8Array, passphrase: string, file: string): ReturnType<typeof decryptSessionKeys> {
  const packets = await PacketList.fromBinary(
    concatBytes(skesks.map((p) => rawPacket(p, head))),
    // openpgp's types say Map, but its code indexes a plain tag → class object.
    { [enums.packet.symEncryptedSessionKey]: SymEncryptedSessionKeyPacket } as unknown as Parameters<typeof PacketList.fromBinary>[1],
    { ...config, ...OPENPGP_CONFIG },
  );
  try {
    return await decryptSessionKeys({ message: new Message(packets), passwords: passphrase, config: OPENPGP_CONFIG });
  } catch (error) {
    // SKESK v5/v6 and v4 with an encrypted session key are authenticated (or at least checked): a
    // failure means the passphrase is wrong, unless the packet itself was not understood.
    if (packets.filterByTag(enums.packet.symEncryptedSessionKey).length === 0) {
      throw new InputError(file, undefined, "decrypt", `unsupported OpenPGP session-key packet: ${errorMessage(error)}`, { cause: error });
    }
    throw badPassphrase(file, passphrase, error);
  }
}

/** The raw bytes (header and body) of a complete packet from the start of the input. */
function rawPacket(packet: FramedPacket, head: Uint8Array): Uint8Array {
  return head.subarray(packet.start, packet.end);
}

/**
 * RFC 9580 §5.7: SEIPD v1 plaintext starts with a block of random bytes whose last two are repeated, so
 * a wrong key fails here (and passes by chance with probability 1/65536). "pass" for AEAD data, whose
 * session-key packet was authenticated already; "unchecked" when this Node has no such CFB cipher
 * (CAST5, Blowfish, Twofish, IDEA) or the packet is too short to check (caught as truncated later).
 */
function quickCheck(data: FramedPacket, key: Uint8Array, algorithm: string): "pass" | "fail" | "unchecked" {
  if (data.tag !== PacketTag.seipd || data.body[0] !== 1) return "pass";
  const cipher = CFB_CIPHERS[algorithm];
  if (!cipher || !getCiphers().includes(cipher.node)) return "unchecked";
  const { blockSize } = cipher;
  const prefix = data.body.subarray(1, 1 + blockSize + 2);
  if (prefix.length < blockSize + 2) return "unchecked";
  let plain: Buffer;
  try {
    // OpenPGP CFB with a zero IV is plain CFB (the resynchronising variant is only for packet 9).
    plain = createDecipheriv(cipher.node, key, Buffer.alloc(blockSize)).update(prefix);
  } catch {
    return "fail"; // a key of the wrong length for this cipher is not the key
  }
  return plain[blockSize - 2] === plain[blockSize] && plain[blockSize - 1] === plain[blockSize + 1] ? "pass" : "fail";
}

function ioError(error: unknown, inPath: string, outPath: string, temp: string): unknown {
  if (error instanceof InputError || (error instanceof Error && error.name === "AbortError")) return error;
  const code = (error as { code?: string; path?: string }).code;
  const path = (error as { path?: string }).path;
  if (code && path === inPath) return new InputError(inPath, undefined, "io", `cannot read: ${errorMessage(error)}`, { cause: error });
  // A failed write(2) carries no path: it can only be the output's.
  const write = path === temp || (error as { syscall?: string }).syscall === "write";
  if (code && write) return new OutputError(outPath, `cannot write: ${errorMessage(error)}`, { cause: error });
  if (code) return new InputError(outPath, undefined, "io", errorMessage(error), { cause: error });
  return error;
}

