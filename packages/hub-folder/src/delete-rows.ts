import { createHash } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { InputError, OutputError, OptionError, conversationIdIn, trackTemporaryPath, type Lang } from "@lmsynth/schema";
import { FILE_FORMATS, READ_FORMAT_ORDER, measureRow, type ColumnSpec, type OutputFormat, type RowSink, type WrittenFile } from "@lmsynth/sinks";
import { datasetCardInput, renderDatasetCard } from "./dataset-card.js";
import { DATASET_INFO, renderDatasetInfo } from "./dataset-info.js";
import { formatManifest, verifyManifest, type DatasetCounts, type DatasetManifest } from "./dataset-manifest.js";
import { ManifestMismatchError, type ManifestProblem } from "./errors.js";
import type { ConfigName, DatasetCardSettings } from "./folder-layout.js";
import type { SplitName } from "./split-of.js";
import { commitFolder, linkOrCopy } from "./folder-files.js";
import { nameShards, SHARD_FILE } from "./plan-dataset-merge.js";

/** Options of {@link deleteFolderRows}. */
export interface DeleteFolderRowsOptions {
  /** The rest of the manifest after the deletion (options and command naming the deletion list), given the
   * manifest with new files and counts and the number of listed conversations found; return `undefined` to
   * write nothing (the list was applied already and none of its conversations is there). */
  amend(manifest: DatasetManifest, found: number): DatasetManifest | undefined;
  /** Whole text files rendered from the new manifest (e.g. `report.html`), replacing the folder's files of
   * those paths (a path the folder does not have is left out). */
  texts?: Record<string, (manifest: DatasetManifest) => string>;
  /** Checked between shards: once aborted, nothing is changed and the call throws its reason. */
  signal?: AbortSignal;
}

/** What {@link deleteFolderRows} changed. */
export interface DeleteFolderRowsResult {
  /** The folder's manifest now. */
  manifest: DatasetManifest;
  /** Files rewritten or added, then files removed, by relative path (`README.md` and `manifest.json`
   * included when they changed): what a Hub commit must send. Empty when the list was applied already. */
  changed: string[];
  removed: string[];
  /** Rows removed per config. */
  rows: Record<string, number>;
  /** Distinct listed ids found in the folder. */
  found: number;
}

let sequence = 0;

interface Shard {
  config: ConfigName;
  split: SplitName;
  index: number;
  files: Partial<Record<OutputFormat, WrittenFile>>;
}

/**
 * Removes every row of the conversations in `ids` from a built Hub folder, in place and atomically
 * (Right to Request Deletion of the LMSYS-Chat-1M licence). Only shards holding such a row are rewritten, in
 * every format; their row groups are cut as the build cut them with the rows withheld
 * (`DatasetFolder.withhold`), so the folder equals a fresh build of the same inputs with `--exclude-ids`
 * byte for byte. Counts, funnels (`deleted`, in rows), the card and `options.texts` are renewed. A shard left
 * with no row goes and the other shards of its split are named again (`nameShards`), as a fresh build names
 * them; a split left with no row loses its files.
 *
 * The folder is checked against its manifest first, and every data file must be of a config, split and
 * format its card settings declare. The new folder is assembled in a temporary sibling
 * (unchanged files hard-linked) and swapped in by rename; any failure leaves the folder as it was.
 * @throws ManifestMismatchError when the folder does not match its manifest.
 * @throws OptionError for a folder whose manifest lacks what a rewrite needs (written by an older lmsynth).
 * @throws OutputError when the new folder cannot be written.
 */
export async function deleteFolderRows(dir: string, ids: ReadonlySet<string>, options: DeleteFolderRowsOptions): Promise<DeleteFolderRowsResult> {
  const absolute = resolve(dir);
  const manifest = await verifyManifest(absolute);
  const { card, shards: settings } = manifest;
  if (!card?.columns || !settings) {
    throw new OptionError(`${absolute}: its manifest does not say how its shards were encoded (built by an older lmsynth): build it again with --exclude-ids`);
  }
  // Every shard is read for the ids, so every shard must be one the card settings declare: a data file they
  // leave out would keep its rows while the folder says they are gone.
  const undeclared: ManifestProblem[] = [];
  const shards = new Map<string, Shard>();
  for (const file of manifest.files) {
    const m = SHARD_FILE.exec(file.path);
    if (!m) continue;
    const [, config, split, index, , format] = m as unknown as [string, ConfigName, SplitName, string, string, OutputFormat];
    if (!card.configs.includes(config) || !card.columns[config] || !card.splits.includes(split) || !card.formats.includes(format)) {
      undeclared.push({ path: file.path, problem: "undeclared" });
      continue;
    }
    const key = `${config}/${split}-${index}`;
    const shard = shards.get(key) ?? { config, split, index: Number(index), files: {} };
    shard.files[format] = file;
    shards.set(key, shard);
  }
  if (undeclared.length > 0) throw new ManifestMismatchError(absolute, undeclared);

  const temp = join(dirname(absolute), `.${basename(absolute)}.tmp-${process.pid}-delete-${sequence++}`);
  // Rewritten shards are written under their old names here, then moved to their new ones.
  const staging = join(temp, ".rewritten");
  const untrack = trackTemporaryPath(temp);
  try {
    await mkdir(staging, { recursive: true });
    const rewritten = new Map<string, WrittenFile>();
    const emptied = new Set<string>();
    const rows: Record<string, number> = {};
    const byLang: Record<string, Partial<Record<Lang, number>>> = {};
    const found = new Set<string>();
    for (const shard of shards.values()) {
      options.signal?.throwIfAborted();
      const columns = card.columns[shard.config]!;
      const source = READ_FORMAT_ORDER.find((f) => shard.files[f])!;
      const path = join(absolute, ...shard.files[source]!.path.split("/"));
      if (!(await holdsAny(path, source, columns, ids))) continue;
      const sinks = await openSinks(staging, shard, columns, settings);
      let index = 0;
      try {
        for await (const row of FILE_FORMATS[source].read(path, columns)) {
          const bytes = measureRow(columns, row, index++);
          const id = row.conversation_id as string;
          if (!ids.has(id)) {
            for (const { sink } of sinks) await sink.write(row, bytes);
            continue;
          }
          found.add(id);
          rows[shard.config] = (rows[shard.config] ?? 0) + 1;
          const lang = row.lang as Lang | null | undefined;
          if (lang) (byLang[shard.config] ??= {})[lang] = (byLang[shard.config]![lang] ?? 0) + 1;
          for (const { sink } of sinks) await sink.withhold?.(bytes);
        }
        for (const { sink, file } of sinks) rewritten.set(file.path, { ...(await sink.close()), path: file.path });
      } catch (error) {
        await Promise.allSettled(sinks.map(({ sink }) => sink.abort()));
        throw error;
      }
    }

    // Lines set aside as invalid (`rejected.jsonl`) hold the raw text of their record: those of a listed
    // conversation go too, as a build with `--exclude-ids` never writes them.
    for (const file of manifest.files) {
      if (SHARD_FILE.test(file.path) || !file.path.endsWith(".jsonl")) continue;
      const kept = await withoutListed(join(absolute, ...file.path.split("/")), ids, found);
      if (kept.rows === file.rows) continue;
      // A build opens such a file at its first line: with none left, it writes no file.
      if (kept.rows === 0) {
        emptied.add(file.path);
        continue;
      }
      const bytes = Buffer.from(kept.lines.map((l) => `${l}\n`).join(""), "utf8");
      const to = join(staging, ...file.path.split("/"));
      await mkdir(dirname(to), { recursive: true });
      await writeFile(to, bytes);
      rewritten.set(file.path, { path: file.path, rows: kept.rows, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }

    // Shards are named again as a build names them: one left without rows goes, and its series is renumbered.
    const moves = new Map<string, string>();
    for (const [key, series] of seriesOf(shards.values())) {
      const named = nameShards(key, series.map((shard) => Object.values(shard.files).map((f) => rewritten.get(f.path) ?? f)));
      for (const { from, path } of named) moves.set(from.path, path);
    }
    const next: DatasetManifest = {
      ...manifest,
      files: manifest.files.flatMap((f) => {
        if (emptied.has(f.path) || (SHARD_FILE.test(f.path) && !moves.has(f.path))) return [];
        return [{ ...(rewritten.get(f.path) ?? f), path: moves.get(f.path) ?? f.path }];
      }),
      counts: withDeletions(manifest, rows, byLang),
    };
    next.counts.rows = rowsOf(next.files, card);
    next.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const amended = options.amend(next, found.size);
    if (!amended) {
      await rm(temp, { recursive: true, force: true });
      return { manifest, changed: [], removed: [], rows: {}, found: 0 };
    }
    const texts: WrittenFile[] = [];
    const derived = manifest.card?.llamaFactory ? { [DATASET_INFO]: (m: DatasetManifest) => renderDatasetInfo(m)! } : {};
    for (const [path, render] of Object.entries({ ...options.texts, ...derived })) {
      // Only a file the folder has: a text is renewed, never added.
      if (!amended.files.some((f) => f.path === path)) continue;
      const bytes = Buffer.from(render(amended), "utf8");
      await writeFile(join(temp, ...path.split("/")), bytes);
      texts.push({ path, rows: 0, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
    const files = amended.files.map((f) => texts.find((t) => t.path === f.path) ?? f);
    const final: DatasetManifest = { ...amended, files };
    const oldPath = new Map([...moves].map(([from, to]) => [to, from]));
    for (const file of files) {
      if (texts.some((t) => t.path === file.path)) continue;
      const from = oldPath.get(file.path) ?? file.path;
      const to = join(temp, ...file.path.split("/"));
      await mkdir(dirname(to), { recursive: true });
      if (rewritten.has(from)) await rename(join(staging, ...from.split("/")), to);
      else await linkOrCopy(join(absolute, ...from.split("/")), to);
    }
    await rm(staging, { recursive: true, force: true });
    const manifestText = formatManifest(final);
    const cardText = renderDatasetCard(datasetCardInput(final, final.card!));
    await writeFile(join(temp, "manifest.json"), manifestText);
    await writeFile(join(temp, "README.md"), cardText);
    options.signal?.throwIfAborted();
    await commitFolder(temp, absolute, true);
    const before = new Map(manifest.files.map((f) => [f.path, f.sha256]));
    const changed = files.filter((f) => before.get(f.path) !== f.sha256).map((f) => f.path);
    if (manifestText !== formatManifest(manifest)) changed.push("manifest.json", "README.md");
    const removed = manifest.files.filter((f) => !files.some((g) => g.path === f.path)).map((f) => f.path);
    return { manifest: final, changed: changed.sort(), removed, rows, found: found.size };
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => {});
    if (error instanceof InputError || error instanceof OptionError || !(error as NodeJS.ErrnoException).code) throw error;
    throw OutputError.of(absolute, "write", error);
  } finally {
    untrack();
  }
}

/** The shards of each series (`<config>/<split>`), in index order. */
function seriesOf(shards: Iterable<Shard>): Map<string, Shard[]> {
  const out = new Map<string, Shard[]>();
  for (const shard of shards) {
    const key = `${shard.config}/${shard.split}`;
    out.set(key, [...(out.get(key) ?? []), shard]);
  }
  for (const list of out.values()) list.sort((a, b) => a.index - b.index);
  return out;
}

/** Rows per config and split, summed over the shard files of the card's first format. */
function rowsOf(files: readonly WrittenFile[], card: DatasetCardSettings): DatasetCounts["rows"] {
  const rows: DatasetCounts["rows"] = {};
  for (const config of card.configs) {
    rows[config] = {};
    for (const split of card.splits) rows[config][split] = 0;
  }
  for (const file of files) {
    const m = SHARD_FILE.exec(file.path);
    if (m && m[5] === card.formats[0]) rows[m[1]!]![m[2] as SplitName]! += file.rows;
  }
  return rows;
}

/** The lines of a JSONL file of rejected lines whose `text` names no conversation of `ids` (adding those it
 * names to `found`). Such files are small: the lines a run set aside. */
async function withoutListed(path: string, ids: ReadonlySet<string>, found: Set<string>): Promise<{ lines: string[]; rows: number }> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line === "") continue;
    const text = (JSON.parse(line) as { text?: unknown }).text;
    const id = typeof text === "string" ? conversationIdIn(text) : undefined;
    if (id !== undefined && ids.has(id)) found.add(id);
    else lines.push(line);
  }
  return { lines, rows: lines.length };
}

/** True when the shard holds a row of `ids`: a first pass that reads only what it must. */
async function holdsAny(path: string, format: OutputFormat, columns: readonly ColumnSpec[], ids: ReadonlySet<string>): Promise<boolean> {
  const idOnly = FILE_FORMATS[format].readsColumnsApart ? columns.filter((c) => c.name === "conversation_id") : columns;
  for await (const row of FILE_FORMATS[format].read(path, idOnly)) if (ids.has(row.conversation_id as string)) return true;
  return false;
}

/** A sink per format of `shard` inside `temp`, encoded as the build encoded it. */
async function openSinks(temp: string, shard: Shard, columns: readonly ColumnSpec[], settings: NonNullable<DatasetManifest["shards"]>) {
  const sinks: { sink: RowSink<Record<string, unknown>>; file: WrittenFile }[] = [];
  for (const [format, file] of Object.entries(shard.files) as Array<[OutputFormat, WrittenFile]>) {
    const path = join(temp, ...file.path.split("/"));
    await mkdir(dirname(path), { recursive: true });
    sinks.push({ sink: await FILE_FORMATS[format].open(path, { ...settings, columns }), file });
  }
  return sinks;
}

/** The counts with removed rows added to each funnel's `deleted` and taken from the languages' rows. */
function withDeletions(manifest: DatasetManifest, removed: Record<string, number>, byLang: Record<string, Partial<Record<Lang, number>>>): DatasetCounts {
  const counts = structuredClone(manifest.counts);
  for (const [config, n] of Object.entries(removed)) {
    const funnel = (counts.funnel[config] ??= {});
    funnel.deleted = (funnel.deleted ?? 0) + n;
    const langs = counts.languages?.[config];
    for (const [lang, k] of Object.entries(byLang[config] ?? {}) as Array<[Lang, number]>) {
      // A fresh build counts only the languages it wrote rows in.
      if (langs && (langs[lang] = (langs[lang] ?? 0) - k) === 0) delete langs[lang];
    }
    if (langs && Object.keys(langs).length === 0) delete counts.languages![config];
  }
  return counts;
}
