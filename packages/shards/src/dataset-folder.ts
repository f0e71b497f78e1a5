import { createHash } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { InputError, UsageError, type DpoRow, type Funnel, type Lang, type SftRow, type Variant } from "@lmsynth/schema";
import { openArrowSink } from "./arrow-sink.js";
import type { RowSink, WrittenFile } from "./byte-output.js";
import { measureRow } from "./column-batch-builder.js";
import { renderDatasetCard, type CardConfig } from "./dataset-card.js";
import { formatManifest, type DatasetManifest, type InputFile } from "./dataset-manifest.js";
import { openJsonlSink } from "./jsonl-sink.js";
import { openParquetSink, type Compression } from "./parquet-sink.js";
import { dpoColumns, sftColumns, type ColumnSpec } from "./row-columns.js";
import { splitOf, type SplitName } from "./split-of.js";

/** A config of the Hub folder: one subfolder and one `configs` entry of the card. */
export type ConfigName = "sft" | "dpo";

/** A file format of the shards (behaviour.md §6 `--format`). */
export type OutputFormat = "parquet" | "jsonl" | "arrow";

/** Options of {@link openDatasetFolder}. */
export interface DatasetFolderOptions {
  /** Configs written; each gets its subfolder, a train split, and a test split when `testSize` > 0.
   * The first is the card's default. Default `["sft", "dpo"]`. */
  configs?: ConfigName[];
  /** Formats written, each with the same shard boundaries. Default `["parquet"]`. */
  formats?: OutputFormat[];
  /** Parquet page compression. Default `zstd`. */
  compression?: Compression;
  /** Parquet row group / Arrow record batch cut, in measured uncompressed bytes. Default 100 MB. */
  maxRowGroupBytes?: number;
  /** Shard cut, in measured uncompressed bytes. Default 500 MB. */
  maxShardBytes?: number;
  /** Fraction of conversations in `test`, in [0, 1]. Default 0 (train only). */
  testSize?: number;
  /** Seed of the split hash. Default 0. */
  seed?: number | string;
  /** SFT columns. Default `sftColumns()` (with meta). */
  sftColumns?: readonly ColumnSpec[];
  /** DPO columns. Default `dpoColumns()` (with `lang`). */
  dpoColumns?: readonly ColumnSpec[];
  /** Replace an existing folder at `dir` (swapped in at `close`). Default false: refuse it. */
  overwrite?: boolean;
  /** Checked on every write and on close: once aborted, the folder aborts and the call throws its reason. */
  signal?: AbortSignal;
}

/** What the caller knows at the end of a build: written into the card and the manifest. */
export interface DatasetSummary {
  tool: string;
  version: string;
  /** The exact command line. */
  command: string;
  /** Resolved options, as JSON values (keys are sorted in the manifest). */
  options: Record<string, unknown>;
  inputs: InputFile[];
  /** Records read. */
  records: number;
  /** Skip reasons with counts, per config. */
  funnel: Partial<Record<ConfigName, Funnel>>;
  /** Selects the licences named on the card. */
  variant?: Variant;
  /** Languages of the rows. Default: the `lang` values seen, `ja` before `en`. */
  languages?: Lang[];
  /** Card heading. */
  title?: string;
  /** Extra card tags. */
  tags?: string[];
}

/** The committed folder. */
export interface DatasetFolderResult {
  /** Absolute path of the folder. */
  dir: string;
  manifest: DatasetManifest;
}

/**
 * A Hub dataset folder being written; see {@link openDatasetFolder}. Calls must not overlap (await each).
 */
export interface DatasetFolder {
  /** Writes an SFT row to the shard of its split. @throws RowTypeError, InputError (`io`). */
  writeSft(row: SftRow): Promise<void>;
  /** Writes a DPO row to the shard of its split. @throws RowTypeError, InputError (`io`). */
  writeDpo(row: DpoRow): Promise<void>;
  /** Opens an extra JSONL file inside the folder (e.g. `rejected.jsonl`); it is listed in the manifest. */
  openJsonl<Row>(relativePath: string): Promise<RowSink<Row>>;
  /** Writes a whole text file inside the folder (e.g. `report.html`), UTF-8; listed in the manifest with
   * 0 rows, and in the card's file list. @throws UsageError for a path outside the folder. */
  writeText(relativePath: string, text: string): Promise<void>;
  /** Finishes every shard, names them `-of-N`, writes `README.md` and `manifest.json`, renames the folder
   * into place. @throws UsageError when `dir` appeared meanwhile and `overwrite` is off. */
  close(summary: DatasetSummary): Promise<DatasetFolderResult>;
  /** Stops and deletes the temporary folder. Never throws. */
  abort(): Promise<void>;
}

const EXTENSIONS: Record<OutputFormat, string> = { parquet: "parquet", jsonl: "jsonl", arrow: "arrow" };
// The card's default configs use the first format here that was written; the others get `<config>-<format>`.
const FORMAT_PRIORITY: OutputFormat[] = ["parquet", "arrow", "jsonl"];
let folderSequence = 0;

const pad5 = (n: number): string => String(n).padStart(5, "0");

/** The same row with exactly the column keys, in column order; absent values become null. */
function projectRow(columns: readonly ColumnSpec[], row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name } of columns) out[name] = row[name] ?? null;
  return out;
}

interface ShardFile {
  format: OutputFormat;
  /** Temporary path inside the temp folder, relative: `<config>/<split>-<i>.<ext>`. */
  relative: string;
  written?: WrittenFile;
}

/** The shards of one config and split, all formats cut at the same rows. */
class ShardSeries {
  readonly shards: ShardFile[][] = [];
  rows = 0;
  private open: { sinks: RowSink<Record<string, unknown>>[]; bytes: number } | undefined;

  constructor(
    private readonly root: string,
    readonly config: ConfigName,
    readonly split: SplitName,
    private readonly columns: readonly ColumnSpec[],
    private readonly options: Required<Pick<DatasetFolderOptions, "formats" | "compression" | "maxRowGroupBytes" | "maxShardBytes">>,
  ) {}

  async write(row: Readonly<Record<string, unknown>>): Promise<void> {
    const bytes = measureRow(this.columns, row, this.rows);
    if (this.open && this.open.bytes > 0 && this.open.bytes + bytes > this.options.maxShardBytes) {
      await this.closeShard();
    }
    const open = this.open ?? (await this.openShard());
    const projected = projectRow(this.columns, row);
    for (const sink of open.sinks) await sink.write(projected);
    open.bytes += bytes;
    this.rows++;
  }

  /** Closes the last shard; a split without rows still gets one empty shard, so every split has a file. */
  async finish(): Promise<void> {
    if (!this.open && this.shards.length === 0) await this.openShard();
    if (this.open) await this.closeShard();
  }

  async abort(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    if (open) for (const sink of open.sinks) await sink.abort();
  }

  private async openShard(): Promise<{ sinks: RowSink<Record<string, unknown>>[]; bytes: number }> {
    const index = this.shards.length;
    const files: ShardFile[] = this.options.formats.map((format) => ({
      format,
      relative: `${this.config}/${this.split}-${pad5(index)}.${EXTENSIONS[format]}`,
    }));
    this.shards.push(files);
    const sinks: RowSink<Record<string, unknown>>[] = [];
    const open = { sinks, bytes: 0 };
    this.open = open;
    for (const file of files) {
      const path = join(this.root, file.relative);
      const { columns } = this;
      const { compression, maxRowGroupBytes } = this.options;
      if (file.format === "parquet") {
        sinks.push(await openParquetSink(path, { columns, compression, maxRowGroupBytes }));
      } else if (file.format === "arrow") {
        sinks.push(await openArrowSink(path, { columns, maxBatchBytes: maxRowGroupBytes }));
      } else {
        sinks.push(await openJsonlSink(path, { gzip: false }));
      }
    }
    return open;
  }

  private async closeShard(): Promise<void> {
    const open = this.open!;
    const files = this.shards[this.shards.length - 1]!;
    this.open = undefined;
    for (let i = 0; i < open.sinks.length; i++) {
      try {
        files[i]!.written = await open.sinks[i]!.close();
      } catch (error) {
        for (const sink of open.sinks.slice(i + 1)) await sink.abort();
        throw error;
      }
    }
  }
}

class DatasetFolderWriter implements DatasetFolder {
  private readonly series = new Map<string, ShardSeries>();
  // An extra file is either a sink still open, or written whole (`writeText`), with no sink.
  private readonly extras: { relative: string; sink?: RowSink<unknown>; written?: WrittenFile }[] = [];
  private readonly langs = new Set<Lang>();
  private state: "open" | "closed" | "aborted" = "open";
  private lastSplit: { id: string | undefined; split: SplitName } = { id: undefined, split: "train" };

  constructor(
    readonly dir: string,
    private readonly temp: string,
    private readonly options: DatasetFolderOptions,
    private readonly configs: ConfigName[],
    private readonly formats: OutputFormat[],
    private readonly splits: SplitName[],
  ) {
    const shardOptions = {
      formats,
      compression: options.compression ?? "zstd",
      maxRowGroupBytes: options.maxRowGroupBytes ?? 100_000_000,
      maxShardBytes: options.maxShardBytes ?? 500_000_000,
    };
    for (const config of configs) {
      const columns = config === "sft" ? (options.sftColumns ?? sftColumns()) : (options.dpoColumns ?? dpoColumns());
      for (const split of splits) {
        this.series.set(`${config}/${split}`, new ShardSeries(temp, config, split, columns, shardOptions));
      }
    }
  }

  writeSft(row: SftRow): Promise<void> {
    return this.write("sft", row);
  }

  writeDpo(row: DpoRow): Promise<void> {
    return this.write("dpo", row);
  }

  /** `relativePath` normalised to `a/b`; a UsageError unless it stays inside the folder. */
  private relativeOf(relativePath: string): string {
    const relative = relativePath.split(/[\\/]+/).filter(Boolean).join("/");
    if (relative === "" || relative.split("/").some((part) => part === ".." || part.startsWith("."))) {
      throw new UsageError(`not a plain relative path inside the output folder: ${relativePath}`);
    }
    return relative;
  }

  async writeText(relativePath: string, text: string): Promise<void> {
    await this.checkOpen();
    const relative = this.relativeOf(relativePath);
    const path = join(this.temp, ...relative.split("/"));
    await mkdir(dirname(path), { recursive: true });
    const bytes = Buffer.from(text, "utf8");
    await writeFile(path, bytes);
    this.extras.push({ relative, written: { path: relative, rows: 0, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") } });
  }

  async openJsonl<Row>(relativePath: string): Promise<RowSink<Row>> {
    await this.checkOpen();
    const relative = this.relativeOf(relativePath);
    const path = join(this.temp, ...relative.split("/"));
    await mkdir(dirname(path), { recursive: true });
    const sink = await openJsonlSink<Row>(path, { gzip: relative.endsWith(".gz") });
    const extra: { relative: string; sink: RowSink<unknown>; written?: WrittenFile } = {
      relative,
      sink: sink as RowSink<unknown>,
    };
    this.extras.push(extra);
    return {
      write: (row) => sink.write(row),
      close: async () => {
        extra.written = { ...(await sink.close()), path: relative };
        return extra.written;
      },
      abort: () => sink.abort(),
    };
  }

  async close(summary: DatasetSummary): Promise<DatasetFolderResult> {
    await this.checkOpen();
    try {
      for (const series of this.series.values()) await series.finish();
      for (const extra of this.extras) {
        extra.written ??= { ...(await extra.sink!.close()), path: extra.relative };
      }
      const files = await this.nameShards();
      const manifest = this.manifest(summary, files);
      await writeFile(join(this.temp, "manifest.json"), formatManifest(manifest));
      await writeFile(join(this.temp, "README.md"), renderDatasetCard(this.cardInput(summary, manifest)));
      await this.commit();
      this.state = "closed";
      return { dir: this.dir, manifest };
    } catch (error) {
      await this.abort();
      if (error instanceof InputError || error instanceof UsageError) throw error;
      if ((error as NodeJS.ErrnoException).code) {
        throw new InputError(this.dir, undefined, "io", `cannot write: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    }
  }

  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "aborted";
    for (const series of this.series.values()) await series.abort();
    for (const extra of this.extras) if (!extra.written) await extra.sink?.abort();
    await rm(this.temp, { recursive: true, force: true }).catch(() => {});
  }

  private async checkOpen(): Promise<void> {
    if (this.options.signal?.aborted) {
      await this.abort();
      throw this.options.signal.reason;
    }
    if (this.state !== "open") throw new UsageError(`dataset folder ${this.dir} is already ${this.state}`);
  }

  private async write(config: ConfigName, row: SftRow | DpoRow): Promise<void> {
    await this.checkOpen();
    // Rows of one conversation come together (select all, both languages, SFT then DPO): hash it once.
    if (row.conversation_id !== this.lastSplit.id) {
      this.lastSplit = {
        id: row.conversation_id,
        split: splitOf(row.conversation_id, this.options.testSize ?? 0, this.options.seed ?? 0),
      };
    }
    const split = this.lastSplit.split;
    const series = this.series.get(`${config}/${split}`);
    if (!series) throw new UsageError(`config ${config} was not requested for ${this.dir}`);
    if (row.lang) this.langs.add(row.lang);
    await series.write(row as unknown as Readonly<Record<string, unknown>>);
  }

  /** Renames `<split>-<i>.<ext>` to `<split>-<i>-of-<n>.<ext>` now that n is known; returns all files by path. */
  private async nameShards(): Promise<WrittenFile[]> {
    const files: WrittenFile[] = [];
    for (const series of this.series.values()) {
      const n = series.shards.length;
      for (const shard of series.shards) {
        for (const file of shard) {
          const final = file.relative.replace(/-(\d{5})\.(\w+)$/, `-$1-of-${pad5(n)}.$2`);
          await rename(join(this.temp, file.relative), join(this.temp, final));
          files.push({ ...file.written!, path: final });
        }
      }
    }
    for (const extra of this.extras) files.push(extra.written!);
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private manifest(summary: DatasetSummary, files: WrittenFile[]): DatasetManifest {
    const rows: DatasetManifest["counts"]["rows"] = {};
    for (const series of this.series.values()) (rows[series.config] ??= {})[series.split] = series.rows;
    const funnel: DatasetManifest["counts"]["funnel"] = {};
    for (const config of this.configs) funnel[config] = summary.funnel[config] ?? {};
    return {
      tool: summary.tool,
      version: summary.version,
      command: summary.command,
      options: summary.options,
      inputs: summary.inputs,
      files,
      counts: { records: summary.records, rows, funnel },
    };
  }

  private cardInput(summary: DatasetSummary, manifest: DatasetManifest): Parameters<typeof renderDatasetCard>[0] {
    const primary = FORMAT_PRIORITY.find((format) => this.formats.includes(format))!;
    const ordered = [primary, ...this.formats.filter((format) => format !== primary)];
    const configs: CardConfig[] = [];
    for (const format of ordered) {
      for (const config of this.configs) {
        configs.push({
          name: format === primary ? config : `${config}-${format}`,
          isDefault: format === primary && config === this.configs[0],
          splits: this.splits.map((split) => ({
            split,
            paths: manifest.files
              .map((file) => file.path)
              .filter((path) => path.startsWith(`${config}/${split}-`) && path.endsWith(`.${EXTENSIONS[format]}`)),
          })),
        });
      }
    }
    const languages = summary.languages ?? (["ja", "en"] as const).filter((lang) => this.langs.has(lang));
    return {
      title: summary.title,
      tool: summary.tool,
      version: summary.version,
      command: summary.command,
      variant: summary.variant,
      languages,
      configs,
      files: manifest.files,
      counts: manifest.counts,
      tags: summary.tags,
    };
  }

  /** Moves the finished temp folder to `dir`; an existing one (with `overwrite`) is swapped out, then removed. */
  private async commit(): Promise<void> {
    const existing = await stat(this.dir).catch(() => undefined);
    if (!existing) {
      await rename(this.temp, this.dir);
      return;
    }
    if (!this.options.overwrite) throw new UsageError(`output folder already exists: ${this.dir}`);
    const old = join(dirname(this.dir), `.${basename(this.dir)}.old-${process.pid}-${folderSequence++}`);
    await rename(this.dir, old);
    try {
      await rename(this.temp, this.dir);
    } catch (error) {
      await rename(old, this.dir).catch(() => {});
      throw error;
    }
    await rm(old, { recursive: true, force: true });
  }
}

/**
 * Opens a Hub dataset folder for writing (behaviour.md §6): rows go to `<dir>/<config>/<split>-<i>-of-<n>.<ext>`
 * for every requested format, split by {@link splitOf} on `conversation_id` (so SFT and DPO agree), cut into
 * shards at `maxShardBytes` of measured uncompressed data (all formats share the cuts). Every row is written
 * with exactly its config's columns, absent values as null. `close` adds the dataset card (`README.md`) and
 * `manifest.json`, then renames the folder into place. Everything lives in a temporary sibling
 * `.<name>.tmp-<pid>-<n>` until then, so no folder ever looks complete before it is; `abort` (or a failure
 * in `close`) deletes it. Same rows, options and summary → byte-identical files and manifest.
 * @throws UsageError when `dir` exists and `overwrite` is off, or `formats`/`configs`/`testSize` are invalid.
 * @throws InputError (`io`, naming the path) when the parent folder cannot be created or written.
 */
export async function openDatasetFolder(dir: string, options: DatasetFolderOptions = {}): Promise<DatasetFolder> {
  const absolute = resolve(dir);
  const configs = [...new Set(options.configs ?? (["sft", "dpo"] as ConfigName[]))];
  const formats = [...new Set(options.formats ?? (["parquet"] as OutputFormat[]))];
  const testSize = options.testSize ?? 0;
  if (configs.length === 0) throw new UsageError("no config to write: configs is empty");
  if (formats.length === 0) throw new UsageError("no format to write: formats is empty");
  if (!(testSize >= 0 && testSize <= 1)) throw new UsageError(`test size must be in [0, 1], got ${testSize}`);
  if (!options.overwrite && (await stat(absolute).catch(() => undefined))) {
    throw new UsageError(`output folder already exists: ${absolute}`);
  }
  const temp = join(dirname(absolute), `.${basename(absolute)}.tmp-${process.pid}-${folderSequence++}`);
  try {
    await mkdir(dirname(absolute), { recursive: true });
    await mkdir(temp);
    for (const config of configs) await mkdir(join(temp, config));
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => {});
    throw new InputError(absolute, undefined, "io", `cannot write: ${(error as Error).message}`, { cause: error });
  }
  // Train always; test only when asked, since an always-empty split would mislead `load_dataset`.
  const splits: SplitName[] = testSize > 0 ? ["train", "test"] : ["train"];
  return new DatasetFolderWriter(absolute, temp, options, configs, formats, splits);
}
