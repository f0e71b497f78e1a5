import { createCipheriv, randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError, sweepAbandonedSpools, trackTemporaryPath } from "@lmsynth/schema";
import { IdTable, grown } from "./id-table.js";
import { decodeUtf8 } from "./utf8-text.js";

/** A spooled record: its number, in the order records were added. */
export type SpoolEntry = number;

/** What another thread needs to read a spool's records: its file, and its key when it is encrypted. */
export interface SpoolFile {
  path: string;
  key?: Uint8Array | undefined;
}

/** The `length` bytes at `at` of a spool file open as `fd`, decrypted with `key` when it has one. */
export function readSpooled(fd: number, key: Uint8Array | undefined, at: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  readSync(fd, buf, 0, length, at);
  return crypt(key, at, buf);
}

/**
 * The record of a spooled record's JSON bytes (from `readSpooled` or `Spool.bytes`). Spools are written from
 * strings, so their bytes are valid UTF-8, as `decodeUtf8` requires.
 */
export function parseSpooled(json: Buffer): Record<string, unknown> {
  return JSON.parse(decodeUtf8(json)) as Record<string, unknown>;
}

/**
 * `data` at file offset `at`, encrypted or decrypted (the same in CTR mode): the counter is the offset's
 * 16-byte block, so any record can be read alone. Without a key, `data` itself.
 */
function crypt(key: Uint8Array | undefined, at: number, data: Buffer): Buffer {
  if (!key) return data;
  const iv = Buffer.alloc(16);
  iv.writeUIntBE(Math.floor(at / 16), 10, 6);
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  const skip = at % 16;
  if (skip > 0) cipher.update(Buffer.alloc(skip));
  return cipher.update(data);
}

/**
 * Records of one side of the join spooled to a temporary file as JSON, indexed by id, so that the join holds
 * only offsets in memory. With `encrypt`, the file holds them encrypted (AES-256-CTR) under a random key
 * that lives in memory only (here, and in the worker threads that read it: see `file`): decrypted
 * instructions must not touch the disk. Owns the file; `close()` deletes it.
 */
export class Spool {
  private readonly dir: string;
  private readonly fd: number;
  private readonly key: Buffer | undefined;
  /** The file and key, for threads that read records themselves (once `flush`ed: `indexJoinSides` does). */
  readonly file: SpoolFile;
  private size = 0;
  /** Records not yet written: one write per ~1 MiB, not one per record. */
  private pending = "";
  private pendingFrom = 0;
  /** The ids; entry `e`'s record is `lengths[e]` bytes at `offsets[e]`, `usedFlags[e]` 1 once a synth record took it. */
  private readonly ids = new IdTable();
  private offsets = new Float64Array(1 << 10);
  private lengths = new Float64Array(1 << 10);
  private usedFlags = new Uint8Array(1 << 10);
  /** Entries marked used. */
  used = 0;

  private readonly untrack: () => void;

  /** `side` names the input in a duplicate-id error ("the LMSYS input"). */
  constructor(
    spoolDir: string | undefined,
    private readonly side: string,
    options: { encrypt?: boolean } = {},
  ) {
    // The pid in the name lets a later run remove what a killed one left (`sweepAbandonedSpools`).
    sweepAbandonedSpools(spoolDir ?? tmpdir());
    this.dir = mkdtempSync(join(spoolDir ?? tmpdir(), `lmsynth-join-${process.pid}-`));
    this.untrack = trackTemporaryPath(this.dir);
    const path = join(this.dir, "spool");
    this.fd = openSync(path, "w+");
    this.key = options.encrypt ? randomBytes(32) : undefined;
    this.file = { path, key: this.key };
  }

  /** Adds the record of `id`, as its JSON `text`. */
  add(id: string, text: string, file: string, line: number): void {
    const e = this.ids.add(id);
    if (e < 0) throw new InputError(file, line, "duplicate-id", `conversation_id ${id} appears twice in ${this.side}`);
    if (e === this.offsets.length) {
      this.offsets = grown(this.offsets, e + 1);
      this.lengths = grown(this.lengths, e + 1);
      this.usedFlags = grown(this.usedFlags, e + 1);
    }
    const length = Buffer.byteLength(text);
    this.pending += text;
    this.offsets[e] = this.size;
    this.lengths[e] = length;
    this.size += length;
    if (this.pending.length >= 1 << 20) this.flush();
  }

  /** Writes what is pending, so that the file holds every record added. */
  flush(): void {
    if (this.pending === "") return;
    const bytes = crypt(this.key, this.pendingFrom, Buffer.from(this.pending));
    writeSync(this.fd, bytes, 0, bytes.length, this.pendingFrom);
    this.pending = "";
    this.pendingFrom = this.size;
  }

  /** The entry of `id`, or -1 when it has none. */
  find(id: string): SpoolEntry {
    return this.ids.find(id);
  }

  /** Where the entry's record starts in the spool file, in bytes. */
  offsetOf(at: SpoolEntry): number {
    return this.offsets[at]!;
  }

  /** The length of the entry's record, in bytes. */
  lengthOf(at: SpoolEntry): number {
    return this.lengths[at]!;
  }

  /** Marks the entry used (a synth record took it). */
  mark(at: SpoolEntry): void {
    if (this.usedFlags[at]) return;
    this.usedFlags[at] = 1;
    this.used++;
  }

  /** The record of `id`, marking it used; undefined when absent. */
  take(id: string): Record<string, unknown> | undefined {
    const at = this.find(id);
    if (at < 0) return undefined;
    this.mark(at);
    return this.read(at);
  }

  read(at: SpoolEntry): Record<string, unknown> {
    return parseSpooled(this.bytes(at));
  }

  /** The record's JSON bytes. */
  bytes(at: SpoolEntry): Buffer {
    this.flush();
    return readSpooled(this.fd, this.key, this.offsetOf(at), this.lengthOf(at));
  }

  /** Entries no synth record took, in the order they were added. */
  *unused(): Generator<SpoolEntry> {
    for (let at = 0; at < this.ids.size; at++) if (!this.usedFlags[at]) yield at;
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
    this.untrack();
  }
}
