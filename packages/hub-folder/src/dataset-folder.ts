import { createHash } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { InputError, OptionError, type Lang, OutputError, trackTemporaryPath } from "@lmsynth/schema";
import { DEFAULT_ROW_GROUP_BYTES, DEFAULT_SHARD_BYTES, openJsonlSink, type OutputFormat, type RowSink, type WrittenFile } from "@lmsynth/sinks";
import { datasetCardInput, renderDatasetCard } from "./dataset-card.js";
import { DATASET_INFO, renderDatasetInfo } from "./dataset-info.js";
import type { ConfigName, DatasetCardSettings } from "./folder-layout.js";
import type { DatasetFolder, DatasetFolderOptions, DatasetFolderResult, DatasetSummary, FolderConfig } from "./folder-options.js";
import { commitFolder } from "./folder-files.js";
import { formatManifest, type DatasetManifest } from "./dataset-manifest.js";
import { nameShards } from "./plan-dataset-merge.js";
import { ResumeJournal, statResumeInputs, type JournalShard } from "./resume-journal.js";
import { ShardSeries } from "./shard-series.js";
import { splitOf, type SplitName } from "./split-of.js";


let folderSequence = 0;

class DatasetFolderWriter implements DatasetFolder {
  private readonly series = new Map<string, ShardSeries>();
  // An extra file is either a sink still open, or written whole (`writeText`), with no sink.
  private readonly extras: { relative: string; sink?: RowSink<unknown>; written?: WrittenFile }[] = [];
  /** Rows per config and language, for the card (the languages seen are its keys). */
  private readonly langRows: Record<string, Partial<Record<Lang, number>>> = {};
  private state: "open" | "closed" | "aborted" = "open";
  private lastSplit: { id: string | undefined; split: SplitName } = { id: undefined, split: "train" };

  constructor(
    readonly dir: string,
    private readonly temp: string,
    private readonly options: DatasetFolderOptions,
    private readonly configs: ConfigName[],
    private readonly formats: OutputFormat[],
    private readonly splits: SplitName[],
    private readonly resume: { journal: ResumeJournal; reusable: Map<string, JournalShard[]> } | undefined,
    /** Ends the temporary folder's registration for a second Ctrl-C, once it is renamed or removed. */
    private readonly untrack: () => void,
  ) {
    const shardOptions = shardOptionsOf(options, formats);
    for (const config of configs) {
      const columns = options.configs[config]!.columns;
      for (const split of splits) {
        const key = `${config}/${split}`;
        const seriesResume = resume && { journal: resume.journal, reusable: resume.reusable.get(key) ?? [] };
        this.series.set(key, new ShardSeries(temp, config, split, columns, shardOptions, seriesResume));
      }
    }
  }


  /** `relativePath` normalised to `a/b`; a OptionError unless it stays inside the folder. */
  private relativeOf(relativePath: string): string {
    const relative = relativePath.split(/[\\/]+/).filter(Boolean).join("/");
    if (relative === "" || relative.split("/").some((part) => part === ".." || part.startsWith("."))) {
      throw new OptionError(`not a plain relative path inside the output folder: ${relativePath}`);
    }
    return relative;
  }

  async writeText(relativePath: string, text: string): Promise<void> {
    await this.checkOpen();
    const relative = this.relativeOf(relativePath);
    const path = join(this.temp, ...relative.split("/"));
    await mkdir(dirname(path), { recursive: true });
    const bytes = Buffer.from(text, "utf8");
    await this.writeWhole(relative, bytes);
    this.extras.push({ relative, written: { path: relative, rows: 0, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") } });
  }

  /** Writes a whole file of the folder; a failure names the file by its final path. */
  private async writeWhole(relative: string, data: string | Buffer): Promise<void> {
    try {
      await writeFile(join(this.temp, ...relative.split("/")), data);
    } catch (error) {
      throw OutputError.of(join(this.dir, relative), "write", error);
    }
  }

  async openJsonl<Row>(relativePath: string): Promise<RowSink<Row>> {
    await this.checkOpen();
    const relative = this.relativeOf(relativePath);
    const path = join(this.temp, ...relative.split("/"));
    await mkdir(dirname(path), { recursive: true });
    const sink = await openJsonlSink<Row>(path, { gzip: relative.endsWith(".gz") });
    const extra: { relative: string; sink: RowSink<unknown>; written?: WrittenFile } = {
      relative,
      sink: sink,
    };
    this.extras.push(extra);
    const named = (e: unknown) => Promise.reject(this.finalNamed(e));
    return {
      write: (row) => sink.write(row).catch(named),
      close: async () => {
        extra.written = { ...(await sink.close().catch(named)), path: relative };
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
      // The journal names shards before their `-of-N` names; from here on a rerun starts over.
      await this.resume?.journal.discard();
      const files = await this.nameShards();
      // A config without rows has no files: its folder goes too, so nothing hints at data that is not there.
      for (const config of this.configs) {
        if (!files.some((f) => f.path.startsWith(`${config}/`))) await rm(join(this.temp, config), { recursive: true, force: true });
      }
      let manifest = this.manifest(summary, files);
      // Derived from the named shards, so written after them, and listed like report.html.
      const info = renderDatasetInfo(manifest);
      if (info !== undefined) {
        await this.writeWhole(DATASET_INFO, info);
        const file = { path: DATASET_INFO, rows: 0, bytes: Buffer.byteLength(info), sha256: createHash("sha256").update(info).digest("hex") };
        manifest = { ...manifest, files: [...manifest.files, file].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
      }
      await this.writeWhole("manifest.json", formatManifest(manifest));
      await this.writeWhole("README.md", renderDatasetCard(datasetCardInput(manifest, manifest.card!)));
      await commitFolder(this.temp, this.dir, this.options.overwrite === true);
      this.untrack();
      this.state = "closed";
      let reusedShards = 0;
      for (const series of this.series.values()) reusedShards += series.reusedShards;
      return { dir: this.dir, manifest, reusedShards };
    } catch (error) {
      await this.abort();
      if (error instanceof OptionError || !(error as NodeJS.ErrnoException).code) throw this.finalNamed(error);
      throw OutputError.of(this.dir, "write", error);
    }
  }

  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "aborted";
    for (const series of this.series.values()) await series.abort();
    for (const extra of this.extras) if (!extra.written) await extra.sink?.abort();
    // A resumable build keeps its completed shards and journal for the next run.
    if (!this.resume) await rm(this.temp, { recursive: true, force: true }).catch(() => {});
    this.untrack();
  }

  private async checkOpen(): Promise<void> {
    if (this.options.signal?.aborted) {
      await this.abort();
      throw this.options.signal.reason;
    }
    if (this.state !== "open") throw new OptionError(`dataset folder ${this.dir} is already ${this.state}`);
  }

  /** `error`, naming the final path of a file it names inside the temporary folder: the user knows the output
   * folder, not its hidden sibling. */
  private finalNamed(error: unknown): unknown {
    if (error instanceof OutputError && error.path.startsWith(this.temp + sep)) {
      return new OutputError(this.dir + error.path.slice(this.temp.length), error.detail, { cause: error });
    }
    return error;
  }

  async write(config: ConfigName, row: object): Promise<void> {
    await this.checkOpen();
    const { lang } = row as { lang?: Lang };
    await this.seriesOf(config, row)
      .write(row as Readonly<Record<string, unknown>>)
      .catch((e: unknown) => Promise.reject(this.finalNamed(e)));
    if (lang) {
      const byLang = (this.langRows[config] ??= {});
      byLang[lang] = (byLang[lang] ?? 0) + 1;
    }
  }

  async withhold(config: ConfigName, row: object): Promise<void> {
    await this.checkOpen();
    await this.seriesOf(config, row)
      .withhold(row as Readonly<Record<string, unknown>>)
      .catch((e: unknown) => Promise.reject(this.finalNamed(e)));
  }

  /** The shard series of `row`: its config and the split of its conversation. */
  private seriesOf(config: ConfigName, row: object): ShardSeries {
    // Rows of one conversation come together (select all, both languages, SFT then DPO): hash it once.
    const id = (row as { conversation_id: string }).conversation_id;
    if (id !== this.lastSplit.id) {
      this.lastSplit = { id, split: splitOf(id, this.options.testSize ?? 0, this.options.seed ?? 0) };
    }
    const series = this.series.get(`${config}/${this.lastSplit.split}`);
    if (!series) throw new OptionError(`config ${config} was not requested for ${this.dir}`);
    return series;
  }

  /** Renames `<split>-<i>.<ext>` to `<split>-<j>-of-<n>.<ext>` now that n is known, dropping shards left without
   * rows ({@link nameShards}); returns all files by path. */
  private async nameShards(): Promise<WrittenFile[]> {
    const files: WrittenFile[] = [];
    for (const series of this.series.values()) {
      const shards = series.shards.map((shard) => shard.map((file) => ({ ...file.written!, path: file.relative })));
      const named = new Map(nameShards(`${series.config}/${series.split}`, shards).map((n) => [n.from, n.path]));
      for (const file of shards.flat()) {
        const final = named.get(file);
        if (final === undefined) {
          await rm(join(this.temp, file.path), { force: true });
          continue;
        }
        await rename(join(this.temp, file.path), join(this.temp, final));
        files.push({ ...file, path: final });
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
    const card: DatasetCardSettings = {
      configs: this.configs,
      columns: Object.fromEntries(this.configs.map((config) => [config, [...this.options.configs[config]!.columns]])),
      ...cardAttributes(this.options.configs),
      formats: this.formats,
      splits: this.splits,
      languages: summary.languages ?? (["ja", "en"] as const).filter((lang) => Object.values(this.langRows).some((byLang) => byLang[lang])),
    };
    if (summary.variant) card.variant = summary.variant;
    if (summary.variants && summary.variants.length > 1) card.variants = summary.variants;
    if (summary.title !== undefined) card.title = summary.title;
    if (summary.tags) card.tags = summary.tags;
    return {
      tool: summary.tool,
      version: summary.version,
      command: summary.command,
      options: summary.options,
      inputs: summary.inputs,
      files,
      counts: { records: summary.records, rows, funnel, languages: this.langRows },
      card,
      shards: (({ compression, maxRowGroupBytes, createdBy }) => ({ compression, maxRowGroupBytes, ...(createdBy ? { createdBy } : {}) }))(shardOptionsOf(this.options, this.formats)),
      ...(summary.stats ? { stats: summary.stats } : {}),
    };
  }
}

function shardOptionsOf(options: DatasetFolderOptions, formats: OutputFormat[]) {
  return {
    formats,
    compression: options.compression ?? "zstd",
    maxRowGroupBytes: options.maxRowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES,
    maxShardBytes: options.maxShardBytes ?? DEFAULT_SHARD_BYTES,
    ...(options.createdBy ? { createdBy: options.createdBy } : {}),
  };
}

/** The card's `readers` and `llamaFactory` from the configs that have them; absent when none has. */
function cardAttributes(configs: DatasetFolderOptions["configs"]): Pick<DatasetCardSettings, "readers" | "llamaFactory"> {
  const of = <K extends "reader" | "llamaFactory">(key: K) =>
    Object.fromEntries(Object.entries(configs).flatMap(([name, c]) => (c[key] === undefined ? [] : [[name, c[key]]]))) as Record<ConfigName, NonNullable<FolderConfig[K]>>;
  const readers = of("reader");
  const llamaFactory = of("llamaFactory");
  return { ...(Object.keys(readers).length > 0 ? { readers } : {}), ...(Object.keys(llamaFactory).length > 0 ? { llamaFactory } : {}) };
}

/**
 * Opens a Hub dataset folder for writing (behaviour.md §6): rows go to `<dir>/<config>/<split>-<i>-of-<n>.<ext>`
 * for every requested format, split by {@link splitOf} on `conversation_id` (so SFT and DPO agree), cut into
 * shards at `maxShardBytes` of measured uncompressed data (all formats share the cuts). Every row is written
 * with exactly its config's columns, absent values as null. `close` adds the dataset card (`README.md`) and
 * `manifest.json` (with `card` settings and `summary.stats`, so parts can be merged), then renames the folder
 * into place. Everything lives in a temporary sibling `.<name>.tmp-<pid>-<n>` until then, so no folder ever
 * looks complete before it is; `abort` (or a failure in `close`) deletes it. Same rows, options and summary →
 * byte-identical files and manifest.
 *
 * With `resume`, the temporary sibling is `.<name>.partial` and survives `abort` and any failure. Each time a
 * shard's files are complete, `resume.json` there records them (rows, sha256 of the rows, bytes and sha256 of
 * each file) under a fingerprint of `resume.key`, the inputs' paths, sizes and mtimes, and this folder's
 * options (configs, formats, columns, compression, cuts, test size, seed). A later open with the same
 * fingerprint reuses the completed shards whose files verify (see `ResumeJournal`): the caller writes every
 * row again, and rows falling into a reused shard are hashed instead of encoded. Byte-identical to a run
 * without interruption. A series whose files fail, or a different fingerprint, starts over (told to
 * `resume.log`).
 * @throws OptionError when `dir` exists and `overwrite` is off, or `formats`/`configs`/`testSize` are invalid.
 * @throws InputError (`io`, naming the path) when the parent folder cannot be created or written, or (with
 * `resume`) an input cannot be stat'ed.
 * @throws ResumeMismatchError (from a write or `close`) when a reused shard meets other rows than it holds.
 */
/**
 * The output check of {@link openDatasetFolder}, alone, for a caller that reads its input before it opens the
 * folder: so that an existing folder is named before any input is read.
 * @throws OptionError when `dir` exists and `overwrite` is off.
 */
export async function assertNewFolder(dir: string, overwrite: boolean | undefined): Promise<void> {
  if (!overwrite && (await stat(dir).catch(() => undefined))) throw new OptionError(`output folder already exists: ${resolve(dir)}`);
}

export async function openDatasetFolder(dir: string, options: DatasetFolderOptions): Promise<DatasetFolder> {
  const absolute = resolve(dir);
  const configs = Object.keys(options.configs);
  const formats = [...new Set(options.formats ?? (["parquet"] as OutputFormat[]))];
  const testSize = options.testSize ?? 0;
  if (configs.length === 0) throw new OptionError("no config to write: configs is empty");
  if (formats.length === 0) throw new OptionError("no format to write: formats is empty");
  if (!(testSize >= 0 && testSize <= 1)) throw new OptionError(`test size must be in [0, 1], got ${testSize}`);
  await assertNewFolder(absolute, options.overwrite);
  // Train always; test only when asked, since an always-empty split would mislead `load_dataset`.
  const splits: SplitName[] = testSize > 0 ? ["train", "test"] : ["train"];
  const temp = options.resume
    ? join(dirname(absolute), `.${basename(absolute)}.partial`)
    : join(dirname(absolute), `.${basename(absolute)}.tmp-${process.pid}-${folderSequence++}`);
  let resume: { journal: ResumeJournal; reusable: Map<string, JournalShard[]> } | undefined;
  // A resumable build keeps its `.partial` folder on purpose; any other temporary folder goes on any exit.
  const untrack = options.resume ? () => {} : trackTemporaryPath(temp);
  try {
    await mkdir(dirname(absolute), { recursive: true });
    if (options.resume) {
      const inputs = await statResumeInputs(options.resume.inputs);
      const shardOptions = shardOptionsOf(options, formats);
      const folder = {
        configs,
        splits,
        columns: Object.fromEntries(configs.map((config) => [config, options.configs[config]!.columns])),
        formats,
        compression: shardOptions.compression,
        maxRowGroupBytes: shardOptions.maxRowGroupBytes,
        maxShardBytes: shardOptions.maxShardBytes,
        testSize,
        seed: String(options.seed ?? 0),
      };
      const fingerprint = createHash("sha256").update(JSON.stringify({ key: options.resume.key, inputs, folder })).digest("hex");
      const series = configs.flatMap((config) => splits.map((split) => `${config}/${split}`));
      resume = await ResumeJournal.open(temp, { fingerprint, inputs, series, log: options.resume.log ?? (() => {}) });
    } else {
      await mkdir(temp);
    }
    for (const config of configs) await mkdir(join(temp, config), { recursive: true });
  } catch (error) {
    if (!options.resume) await rm(temp, { recursive: true, force: true }).catch(() => {});
    untrack();
    if (error instanceof InputError) throw error;
    throw new OutputError(absolute, `cannot write: ${(error as Error).message}`, { cause: error });
  }
  return new DatasetFolderWriter(absolute, temp, options, configs, formats, splits, resume, untrack);
}
