import { ByteOutput, type RowSink, type WrittenFile } from "./byte-output.js";

/** Options of {@link openJsonlSink}. */
export interface JsonlSinkOptions {
  /** Gzip the output (mtime 0, deterministic). Default: true when the path ends with `.gz` (never for `-`). */
  gzip?: boolean;
  /** zlib compression level 0–9 when gzipping. Default 6. */
  gzipLevel?: number;
  /** Stream written when the path is `-`. Default `process.stdout`. */
  stdout?: NodeJS.WritableStream;
}

/** A JSONL row sink; `stopped` turns true when stdout's reader went away (EPIPE), so the caller can stop. */
export interface JsonlSink<Row> extends RowSink<Row> {
  readonly stopped: boolean;
  /** Adds a row given as its JSON text (`JSON.stringify(row)`, made where the row was). */
  writeLine(json: string): Promise<void>;
}

// Rows are joined into one string and encoded once per ~1 MiB: one Buffer per row costs ~2× the time.
const FLUSH_CHARS = 1 << 20;

class JsonlFileSink<Row> implements JsonlSink<Row> {
  private pending = "";
  private rows = 0;

  constructor(private readonly output: ByteOutput) {}

  get stopped(): boolean {
    return this.output.stopped;
  }

  // Async, so that a row JSON.stringify cannot write (nested too deeply) rejects, as every write error does.
  async write(row: Row): Promise<void> {
    await this.writeLine(JSON.stringify(row));
  }

  async writeLine(json: string): Promise<void> {
    if (this.output.stopped) return;
    this.pending += json + "\n";
    this.rows++;
    if (this.pending.length >= FLUSH_CHARS) await this.flush();
  }

  close(): Promise<WrittenFile> {
    return this.output.finishAndClose(() => this.flush(), this.rows);
  }

  abort(): Promise<void> {
    this.pending = "";
    return this.output.abort();
  }

  private async flush(): Promise<void> {
    if (this.pending === "") return;
    const text = this.pending;
    this.pending = "";
    await this.output.write(Buffer.from(text, "utf8"));
  }
}

/**
 * Opens a JSONL sink (behaviour.md §3–4, §6, §9): one `JSON.stringify(row)` per line, `\n`-terminated, UTF-8
 * without ASCII escaping, optionally gzipped with mtime 0 so equal rows give equal bytes. Regular files are
 * written to a temporary sibling and renamed on `close`; `abort` deletes it. A path naming a device or FIFO
 * (`/dev/full`, `/dev/stdout`) is written in place. `-` writes to `options.stdout`, never ends it, and treats
 * EPIPE as a normal stop (`stopped` turns true; later rows are dropped and not counted).
 * `close` resolves with the row count and the sha256/length of the bytes actually written (after gzip).
 * @throws InputError (reason `io`, naming `path`) when the file cannot be created or written (missing or
 * unwritable directory, disk full); on open, `write` or `close`.
 */
export async function openJsonlSink<Row>(path: string, options: JsonlSinkOptions = {}): Promise<JsonlSink<Row>> {
  const gzip = options.gzip ?? (path !== "-" && path.endsWith(".gz"));
  const output = await ByteOutput.open(path, { gzip, gzipLevel: options.gzipLevel, stdout: options.stdout });
  return new JsonlFileSink<Row>(output);
}
