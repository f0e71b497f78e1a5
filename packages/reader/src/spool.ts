import { createCipheriv, randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError, trackTemporaryPath } from "@lmsynth/schema";

/** Where a spooled record is: [offset, length, used (1 once a synth record took it)]. */
export type SpoolEntry = [number, number, number];

/**
 * Records of one side of the join spooled to a temporary file as JSON, indexed by id, so that the join holds
 * only offsets in memory. With `encrypt`, the file holds them encrypted (AES-256-CTR) under a key that lives
 * in this object only: decrypted instructions must not touch the disk. Owns the file; `close()` deletes it.
 */
export class Spool {
  private readonly dir: string;
  private readonly fd: number;
  private readonly key: Buffer | undefined;
  private size = 0;
  /** Records not yet written: one write per ~1 MiB, not one per record. */
  private pending = "";
  private pendingFrom = 0;
  readonly index = new Map<string, SpoolEntry>();
  readonly order: string[] = [];

  private readonly untrack: () => void;

  /** `side` names the input in a duplicate-id error ("the LMSYS input"). */
  constructor(
    spoolDir: string | undefined,
    private readonly side: string,
    options: { encrypt?: boolean } = {},
  ) {
    this.dir = mkdtempSync(join(spoolDir ?? tmpdir(), "lmsynth-join-"));
    this.untrack = trackTemporaryPath(this.dir);
    this.fd = openSync(join(this.dir, "spool"), "w+");
    this.key = options.encrypt ? randomBytes(32) : undefined;
  }

  /** Adds the record of `id`, as its JSON `text`. */
  add(id: string, text: string, file: string, line: number): void {
    if (this.index.has(id)) throw new InputError(file, line, "duplicate-id", `conversation_id ${id} appears twice in ${this.side}`);
    const length = Buffer.byteLength(text);
    this.pending += text;
    this.index.set(id, [this.size, length, 0]);
    this.order.push(id);
    this.size += length;
    if (this.pending.length >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.pending === "") return;
    const bytes = this.crypt(this.pendingFrom, Buffer.from(this.pending));
    writeSync(this.fd, bytes, 0, bytes.length, this.pendingFrom);
    this.pending = "";
    this.pendingFrom = this.size;
  }

  /** Entries marked used. */
  used = 0;

  /** Marks the entry used (a synth record took it). */
  mark(at: SpoolEntry): void {
    if (at[2]) return;
    at[2] = 1;
    this.used++;
  }

  /** The record of `id`, marking it used; undefined when absent. */
  take(id: string): Record<string, unknown> | undefined {
    const at = this.index.get(id);
    if (!at) return undefined;
    this.mark(at);
    return this.read(at);
  }

  read(at: SpoolEntry): Record<string, unknown> {
    return JSON.parse(this.bytes(at).toString("utf8")) as Record<string, unknown>;
  }

  /** The record's JSON bytes. */
  bytes(at: SpoolEntry): Buffer {
    this.flush();
    const buf = Buffer.allocUnsafe(at[1]);
    readSync(this.fd, buf, 0, at[1], at[0]);
    return this.crypt(at[0], buf);
  }

  /**
   * `data` at file offset `at`, encrypted or decrypted (the same in CTR mode): the counter is the offset's
   * 16-byte block, so any record can be read alone. Unencrypted spools pass `data` through.
   */
  private crypt(at: number, data: Buffer): Buffer {
    if (!this.key) return data;
    const iv = Buffer.alloc(16);
    iv.writeUIntBE(Math.floor(at / 16), 10, 6);
    const cipher = createCipheriv("aes-256-ctr", this.key, iv);
    const skip = at % 16;
    if (skip > 0) cipher.update(Buffer.alloc(skip));
    return cipher.update(data);
  }

  /** Entries no synth record took, in LMSYS order. */
  *unused(): Generator<SpoolEntry> {
    for (const id of this.order) {
      const at = this.index.get(id)!;
      if (!at[2]) yield at;
    }
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
    this.untrack();
  }
}
