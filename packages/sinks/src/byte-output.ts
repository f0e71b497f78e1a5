import { createHash } from "node:crypto";
import { open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { InputError, OutputError, trackTemporaryPath } from "@lmsynth/schema";

/** One finished output file: where it is, how many rows it holds, and its final bytes' length and sha256. */
export interface WrittenFile {
  /** The path given to the sink (`-` for stdout). */
  path: string;
  rows: number;
  /** Length of the bytes on disk (after compression), in bytes. */
  bytes: number;
  /** Lowercase hex sha256 of the bytes on disk. */
  sha256: string;
}

/**
 * A sink of rows that owns one output file (style.md "Builders vs sinks"). `write` resolves once the row
 * is accepted (it awaits backpressure); `close` finishes the file, renames it into place and resolves with
 * what was written; `abort` deletes the temporary file. Nothing exists at the final path before `close`
 * resolves. Errors are `OutputError`s naming the path.
 */
/** The file formats of the shards (behaviour.md §6 `--format`); each is also its files' extension. */
export const OUTPUT_FORMATS = ["parquet", "jsonl", "arrow"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface RowSink<Row> {
  /**
   * Adds a row. `bytes`: its measured size (`measureRow`), when the caller has it already, so it is not
   * measured (and type-checked) twice; sinks that do not size by bytes ignore it.
   */
  write(row: Row, bytes?: number): Promise<void>;
  /** Counts a withheld row of measured `bytes` toward the row-group cut without writing it (see
   * `ColumnBatchBuilder.withhold`); absent on sinks that do not cut by bytes. */
  withhold?(bytes: number): Promise<void>;
  close(): Promise<WrittenFile>;
  abort(): Promise<void>;
}

/** Options of {@link ByteOutput.open}. */
export interface ByteOutputOptions {
  /** Gzip the bytes (header mtime 0, so deterministic). Default false. */
  gzip?: boolean;
  /** zlib level 0–9 when `gzip`. Default 6. */
  gzipLevel?: number;
  /** Stream used when the path is `-`. Default `process.stdout`. */
  stdout?: NodeJS.WritableStream;
}

// Small writes are gathered up to this size so a row-at-a-time caller costs one syscall per MiB.
const FLUSH_BYTES = 1 << 20;

const gzipAsync = promisify(gzipCallback);

/**
 * Gzip output is a series of gzip members of at least this much input each (RFC 1952 §2.2; zcat, Python's gzip,
 * `datasets` and DuckDB read them as one stream), compressed on libuv's threads several at a time, so that
 * deflate, the slowest step of a JSONL.gz output, does not hold up the thread producing the rows. Members cut
 * at input sizes only, so equal input still gives equal bytes; a member restarts the 32 KiB window, which costs
 * a few hundredths of a percent of size at this length.
 */
const MEMBER_BYTES = 4 << 20;
const MEMBERS_IN_FLIGHT = availableParallelism();
let tempSequence = 0;

/** Where bytes go: a temp file renamed on close, a non-regular file written in place, or stdout. */
type Target =
  | { kind: "temp"; handle: FileHandle; temp: string; untrack: () => void }
  | { kind: "direct"; handle: FileHandle }
  | { kind: "stdout"; stream: NodeJS.WritableStream; onError: (error: Error) => void };



/**
 * The byte layer every sink writes through: batching, optional gzip, sha256 and length of the final bytes,
 * backpressure, and the atomic temp-then-rename commit. A path that names an existing non-regular file
 * (`/dev/full`, a FIFO, `/dev/stdout`) is written in place, since renaming over a device would replace it.
 * `-` writes to stdout, never ends it, and treats EPIPE as a normal stop: later writes are dropped and
 * {@link ByteOutput.stopped} becomes true.
 * @internal shared by the sinks of this package; not exported from the index.
 */
export class ByteOutput {
  private readonly hash = createHash("sha256");
  private written = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failure: InputError | OutputError | undefined;
  private epipe = false;
  private finished = false;
  private wakers = new Set<() => void>();
  /** With gzip: the input of the next member, and the members being compressed, in order. */
  private readonly gzip: { level: number; member: Buffer[]; memberBytes: number; inFlight: Array<Promise<Buffer>> } | undefined;

  private constructor(
    readonly path: string,
    private readonly target: Target,
    options: ByteOutputOptions,
  ) {
    if (options.gzip) this.gzip = { level: options.gzipLevel ?? 6, member: [], memberBytes: 0, inFlight: [] };
  }

  /**
   * Opens `path` for writing (a temporary sibling `.<name>.tmp-<pid>-<n>` for regular files).
   * @throws OutputError when the directory is missing or unwritable, or the path is a directory.
   */
  static async open(path: string, options: ByteOutputOptions = {}): Promise<ByteOutput> {
    if (path === "-") {
      const stream = options.stdout ?? process.stdout;
      // Placeholder replaced right below: the listener needs the instance.
      const target: Target = { kind: "stdout", stream, onError: () => {} };
      const output = new ByteOutput(path, target, options);
      target.onError = (error: Error) => output.stdoutError(error);
      stream.on("error", target.onError);
      return output;
    }
    let existing;
    try {
      existing = await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw OutputError.of(path, "write", error);
    }
    if (existing?.isDirectory()) {
      throw new OutputError(path, "cannot write: is a directory");
    }
    try {
      if (existing && !existing.isFile()) {
        return new ByteOutput(path, { kind: "direct", handle: await open(path, "w") }, options);
      }
      const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${tempSequence++}`);
      const untrack = trackTemporaryPath(temp);
      return new ByteOutput(path, { kind: "temp", handle: await open(temp, "wx"), temp, untrack }, options);
    } catch (error) {
      throw OutputError.of(path, "write", error);
    }
  }

  /** True once stdout reported EPIPE (the reader went away): the caller may stop producing. */
  get stopped(): boolean {
    return this.epipe;
  }

  /** Queues `chunk`; resolves when it is buffered or written (awaiting backpressure). */
  async write(chunk: Uint8Array): Promise<void> {
    this.check();
    if (this.epipe || chunk.byteLength === 0) return;
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.pending.push(buffer);
    this.pendingBytes += buffer.byteLength;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  /**
   * Flushes, finishes gzip, closes and renames the file into place.
   * @returns the path, length and sha256 of the final bytes.
   * @throws OutputError; the temporary file is removed first.
   */
  async close(): Promise<Omit<WrittenFile, "rows">> {
    try {
      this.check();
      await this.flush();
      // An empty output is still one (empty) member, as a gzip stream would write it: no member is 0 bytes, so
      // nothing written and none in flight means none was made.
      if (this.gzip && (this.gzip.memberBytes > 0 || (this.written === 0 && this.gzip.inFlight.length === 0))) this.compressMember();
      while (this.gzip?.inFlight.length) await this.sinkMember();
      this.check();
      this.finished = true;
      const target = this.target;
      if (target.kind === "stdout") {
        target.stream.off("error", target.onError);
      } else {
        if (target.kind === "temp") await target.handle.sync();
        await target.handle.close();
        if (target.kind === "temp") {
          await rename(target.temp, this.path);
          target.untrack();
        }
      }
      return { path: this.path, bytes: this.written, sha256: this.hash.digest("hex") };
    } catch (error) {
      const failure = OutputError.of(this.path, "write", error);
      await this.abort();
      throw failure;
    }
  }

  /**
   * A sink's close: runs the format's last writes (`finish`: last batch, footer), then {@link close}. When
   * `finish` fails, the temporary file is removed and its error thrown.
   * @returns the written file with `rows`.
   */
  async finishAndClose(finish: () => Promise<void>, rows: number): Promise<WrittenFile> {
    try {
      await finish();
    } catch (error) {
      await this.abort();
      throw error;
    }
    const file = await this.close();
    return { path: file.path, rows, bytes: file.bytes, sha256: file.sha256 };
  }

  /** Stops writing and deletes the temporary file. Never throws; safe to call twice or after `close`. */
  async abort(): Promise<void> {
    if (!this.failure) {
      this.failure = new OutputError(this.path, "cannot write: aborted");
    }
    this.wakeAll();
    // Members still being compressed finish on their own (each has its catch from `compressMember`); their
    // bytes are dropped.
    if (this.gzip) this.gzip.inFlight.length = 0;
    const target = this.target;
    if (target.kind === "stdout") {
      target.stream.off("error", target.onError);
      return;
    }
    if (this.finished) return;
    this.finished = true;
    await target.handle.close().catch(() => {});
    if (target.kind === "temp") {
      await rm(target.temp, { force: true }).catch(() => {});
      target.untrack();
    }
  }

  /** Resolves when `stream` drains, closes or errors, or when {@link wakeAll} runs (EPIPE, failure). */
  private waitDrain(stream: NodeJS.EventEmitter): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        stream.off("drain", done);
        stream.off("close", done);
        stream.off("error", done);
        this.wakers.delete(done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("close", done);
      stream.on("error", done);
      this.wakers.add(done);
    });
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  private fail(error: unknown): void {
    this.failure ??= OutputError.of(this.path, "write", error);
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }

  private stdoutError(error: Error): void {
    if ((error as NodeJS.ErrnoException).code === "EPIPE") {
      this.epipe = true;
      this.wakeAll();
    } else {
      this.fail(error);
    }
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const chunks = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.epipe) return;
    const gzip = this.gzip;
    if (gzip) {
      gzip.member.push(...chunks);
      gzip.memberBytes += bytes;
      if (gzip.memberBytes >= MEMBER_BYTES) this.compressMember();
      // As many members in flight as cores, then the oldest is awaited and written.
      while (gzip.inFlight.length > MEMBERS_IN_FLIGHT) await this.sinkMember();
    } else {
      try {
        await this.sink(chunks);
      } catch (error) {
        this.fail(error);
      }
    }
    this.check();
  }

  /** Starts compressing the pending input as one gzip member (Node's header: mtime 0, OS 3, so deterministic). */
  private compressMember(): void {
    const gzip = this.gzip!;
    const input = Buffer.concat(gzip.member, gzip.memberBytes);
    gzip.member = [];
    gzip.memberBytes = 0;
    const member = gzipAsync(input, { level: gzip.level });
    member.catch(() => {}); // awaited in order by sinkMember
    gzip.inFlight.push(member);
  }

  /** Awaits the oldest member being compressed and writes it. */
  private async sinkMember(): Promise<void> {
    const member = this.gzip!.inFlight.shift();
    try {
      if (member) await this.sink([await member]);
    } catch (error) {
      this.fail(error);
    }
    this.check();
  }

  /** Writes final bytes (after gzip) to the target and accounts for them; chunks are never copied. */
  private async sink(chunks: Buffer[]): Promise<void> {
    if (this.epipe) return;
    let total = 0;
    for (const chunk of chunks) {
      this.hash.update(chunk);
      total += chunk.byteLength;
    }
    this.written += total;
    const target = this.target;
    if (target.kind === "stdout") {
      for (const chunk of chunks) {
        if (!target.stream.write(chunk)) await this.waitDrain(target.stream);
        this.check();
        if (this.epipe) return;
      }
      return;
    }
    // One writev per flush; a short write (rare on regular files, possible on pipes) resumes where it stopped.
    let done = (await target.handle.writev(chunks)).bytesWritten;
    if (done === total) return;
    for (const chunk of chunks) {
      if (done >= chunk.byteLength) {
        done -= chunk.byteLength;
        continue;
      }
      let offset = done;
      done = 0;
      while (offset < chunk.byteLength) {
        offset += (await target.handle.write(chunk, offset, chunk.byteLength - offset)).bytesWritten;
      }
    }
  }
}
