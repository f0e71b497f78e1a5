import { createHash, type Hash } from "node:crypto";
import { join } from "node:path";
import { FILE_FORMATS, measureRow, type ColumnSpec, type Compression, type OutputFormat, type RowSink, type WrittenFile } from "@lmsynth/sinks";
import type { ConfigName } from "./folder-layout.js";
import { ResumeMismatchError } from "./errors.js";
import type { JournalShard, ResumeJournal } from "./resume-journal.js";
import type { SplitName } from "./split-of.js";

// The shards of one config and split of a Hub folder being written (`openDatasetFolder`).

/** How a series cuts and encodes its shards: the folder's options, defaults applied. */
export interface SeriesOptions {
  formats: OutputFormat[];
  compression: Compression;
  maxRowGroupBytes: number;
  maxShardBytes: number;
  createdBy?: string;
}

const pad5 = (n: number): string => String(n).padStart(5, "0");

/** The same row with exactly the column keys, in column order; absent values become null. */
function projectRow(columns: readonly ColumnSpec[], row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name } of columns) out[name] = row[name] ?? null;
  return out;
}

export interface ShardFile {
  format: OutputFormat;
  /** Temporary path inside the temp folder, relative: `<config>/<split>-<i>.<ext>`. */
  relative: string;
  written?: WrittenFile;
}

/** The shard being filled: its sinks, or none when an interrupted run's shard is reused (`reused`). */
interface OpenShard {
  sinks: RowSink<Record<string, unknown>>[];
  bytes: number;
  rows: number;
  /** With resume: sha256 of the rows as JSON lines, recorded in (or checked against) the journal. */
  digest?: Hash;
  reused?: JournalShard;
}

/** How a series resumes: the journal to record completed shards in, and the shards it may reuse. */
export interface SeriesResume {
  journal: ResumeJournal;
  reusable: JournalShard[];
}

/**
 * The shards of one config and split, all formats cut at the same rows. With resume, the first shards may be
 * reused: rows still go through the same cut (measured bytes decide it, so a reused shard meets exactly the
 * rows it holds), but are only hashed, not encoded, and the hash must match the journal's.
 */
export class ShardSeries {
  readonly shards: ShardFile[][] = [];
  rows = 0;
  reusedShards = 0;
  private open: OpenShard | undefined;

  constructor(
    private readonly root: string,
    readonly config: ConfigName,
    readonly split: SplitName,
    private readonly columns: readonly ColumnSpec[],
    private readonly options: SeriesOptions,
    private readonly resume: SeriesResume | undefined,
  ) {}

  async write(row: Readonly<Record<string, unknown>>): Promise<void> {
    const bytes = measureRow(this.columns, row, this.rows);
    const open = await this.shardFor(bytes);
    const projected = projectRow(this.columns, row);
    open.digest?.update(`${JSON.stringify(projected)}\n`);
    for (const sink of open.sinks) await sink.write(projected, bytes);
    open.bytes += bytes;
    open.rows++;
    this.rows++;
    if (open.reused && open.rows > open.reused.rows) await this.mismatch(open.reused);
  }

  /**
   * Counts a row of a conversation under a deletion request toward the shard and row-group cuts without
   * writing it: every cut falls where it would with the row, so a folder built with `--exclude-ids` equals
   * the same build with its rows deleted afterwards (`deleteIds` rewrites only the shards that held them).
   */
  async withhold(row: Readonly<Record<string, unknown>>): Promise<void> {
    const bytes = measureRow(this.columns, row, this.rows);
    const open = await this.shardFor(bytes);
    open.digest?.update(`-${bytes}\n`);
    for (const sink of open.sinks) await sink.withhold?.(bytes);
    open.bytes += bytes;
  }

  /** The open shard a row of `bytes` goes to, after cutting the current one if the row would overflow it. */
  private async shardFor(bytes: number): Promise<OpenShard> {
    if (this.open && this.open.bytes > 0 && this.open.bytes + bytes > this.options.maxShardBytes) {
      await this.closeShard();
    }
    return this.open ?? (await this.openShard());
  }

  /**
   * Closes the last shard. Shards without rows, and so a split without rows, get no file when the shards are
   * named: `load_dataset` refuses a declared split with no data, so the card leaves it out too (also when
   * every row it would hold was withheld).
   */
  async finish(): Promise<void> {
    if (this.open) await this.closeShard();
    const missed = this.resume?.reusable[this.shards.length];
    if (missed) await this.mismatch(missed);
  }

  async abort(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    if (open) for (const sink of open.sinks) await sink.abort();
  }

  /** A reused shard met other rows than the interrupted run's: nothing can be trusted; the journal goes. */
  private async mismatch(shard: JournalShard): Promise<never> {
    await this.resume!.journal.discard();
    throw new ResumeMismatchError(this.root, `${this.config}/${this.split}`, shard.index);
  }

  private async openShard(): Promise<OpenShard> {
    const index = this.shards.length;
    const files: ShardFile[] = this.options.formats.map((format) => ({
      format,
      relative: `${this.config}/${this.split}-${pad5(index)}.${FILE_FORMATS[format].extension}`,
    }));
    this.shards.push(files);
    const sinks: RowSink<Record<string, unknown>>[] = [];
    const open: OpenShard = { sinks, bytes: 0, rows: 0 };
    if (this.resume) open.digest = createHash("sha256");
    this.open = open;
    const reused = this.resume?.reusable[index];
    if (reused) {
      open.reused = reused;
      for (const file of files) {
        const recorded = reused.files.find((f) => f.path === file.relative);
        if (!recorded) await this.mismatch(reused);
        file.written = { path: file.relative, rows: reused.rows, bytes: recorded!.bytes, sha256: recorded!.sha256 };
      }
      return open;
    }
    const { compression, maxRowGroupBytes, createdBy } = this.options;
    for (const file of files) {
      sinks.push(await FILE_FORMATS[file.format].open(join(this.root, file.relative), { columns: this.columns, compression, maxRowGroupBytes, ...(createdBy ? { createdBy } : {}) }));
    }
    return open;
  }

  private async closeShard(): Promise<void> {
    const open = this.open!;
    const index = this.shards.length - 1;
    const files = this.shards[index]!;
    this.open = undefined;
    const rowsSha256 = open.digest?.digest("hex");
    if (open.reused) {
      if (open.rows !== open.reused.rows || rowsSha256 !== open.reused.rowsSha256) await this.mismatch(open.reused);
      this.reusedShards++;
      return;
    }
    for (let i = 0; i < open.sinks.length; i++) {
      try {
        files[i]!.written = await open.sinks[i]!.close();
      } catch (error) {
        for (const sink of open.sinks.slice(i + 1)) await sink.abort();
        throw error;
      }
    }
    await this.resume?.journal.record({
      config: this.config,
      split: this.split,
      index,
      rows: open.rows,
      rowsSha256: rowsSha256!,
      files: files.map((file) => ({ path: file.relative, bytes: file.written!.bytes, sha256: file.written!.sha256 })),
    });
  }
}

