import { OptionError, type Funnel, type Lang } from "@lmsynth/schema";
import type { WrittenFile } from "@lmsynth/sinks";
import type { DatasetCardSettings } from "./folder-layout.js";
import type { DatasetCounts, DatasetManifest } from "./dataset-manifest.js";

/** Options of {@link planDatasetMerge}. */
export interface PlanDatasetMergeOptions {
  /** The merge's own command line; the merged `command` is each part's command (in part order), then this,
   * one per line. */
  command: string;
  /** Paths the caller writes itself into the merged folder (e.g. `report.html`): not taken from the parts.
   * Default none. */
  generated?: readonly string[];
}

/** One file of the merged folder taken from a part. */
export interface MergeCopy {
  /** Position of the part in the array given to {@link planDatasetMerge}. */
  part: number;
  /** Path in the part (relative, `/`-separated). */
  from: string;
  /** The file as listed in the merged manifest (its new path; rows, bytes, sha256 unchanged). */
  file: WrittenFile;
}

/** What {@link planDatasetMerge} decided. */
export interface DatasetMergePlan {
  /** Positions of the parts in merge order: by `--shard` index. */
  order: number[];
  /** Files to copy, sorted by new path. */
  copies: MergeCopy[];
  /** The merged manifest. `files` lists the copies only; the caller adds the generated files. */
  manifest: DatasetManifest & { card: DatasetCardSettings };
}

/** The recorded options that say which part a folder is: `shard` (`i/N`) and `shard-engine` (how `--shard auto`
 * found it). They differ between the parts of one build, and a merged folder has neither. */
export const SHARD_OPTIONS = ["shard", "shard-engine"] as const;

/** `<config>/<split>-<i>-of-<n>.<ext>`: a data shard of a built folder. */
export const SHARD_FILE = /^([^/]+)\/([^/]+)-(\d{5})-of-(\d{5})\.(\w+)$/;
const pad5 = (n: number): string => String(n).padStart(5, "0");

/**
 * Final names of one series' shards (`key` is `<config>/<split>`; each shard is its files, one per format):
 * `<split>-<j>-of-<n>.<ext>` over the shards that hold rows. A shard without rows (every row of it withheld
 * or deleted) is left out: `datasets` fails on a Parquet file with no row group, and LLaMA-Factory on an
 * empty file, so a folder never holds one. The same rule names a build's shards, a merge's and a deletion's,
 * which is what keeps the three byte-identical. Pure.
 */
export function nameShards<F extends { path: string; rows: number }>(key: string, shards: ReadonlyArray<readonly F[]>): Array<{ from: F; path: string }> {
  const kept = shards.filter((files) => files.some((f) => f.rows > 0));
  return kept.flatMap((files, j) =>
    files.map((from) => ({ from, path: `${key}-${pad5(j)}-of-${pad5(kept.length)}${from.path.slice(from.path.lastIndexOf("."))}` })),
  );
}

/** `{"shard": "i/N"}` of a part's options as numbers; no shard is the whole (0 of 1). */
function shardOf(manifest: DatasetManifest, where: string): { index: number; count: number } {
  const shard = manifest.options.shard;
  if (shard === undefined) return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(String(shard));
  if (!m) throw new OptionError(`${where}: options.shard is not i/N: ${JSON.stringify(shard)}`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (index >= count) throw new OptionError(`${where}: --shard ${index}/${count} is not a part of ${count}`);
  return { index, count };
}

/** Canonical JSON (keys sorted), to compare option and input lists whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The sum of two counter trees: numbers add, objects add key by key (keys of `a` first, in their order,
 * then those only `b` has). @throws OptionError naming the key where the shapes differ.
 */
function sumCounters(a: unknown, b: unknown, path: string): unknown {
  if (typeof a === "number" && typeof b === "number") return a + b;
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObject(a) || !isObject(b)) throw new OptionError(`parts' stats differ in shape at ${path || "(root)"}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) out[k] = k in b ? sumCounters(v, b[k], path ? `${path}.${k}` : k) : v;
  for (const [k, v] of Object.entries(b)) if (!(k in a)) out[k] = v;
  return out;
}

function sumFunnels(funnels: Array<Funnel | undefined>): Funnel {
  const out: Funnel = {};
  for (const funnel of funnels) {
    for (const [reason, n] of Object.entries(funnel ?? {}) as Array<[keyof Funnel, number]>) out[reason] = (out[reason] ?? 0) + n;
  }
  return out;
}

/**
 * Plans the merge of N build folders' manifests (`--shard 0/N` … `--shard N-1/N`, otherwise the same
 * options) into one Hub folder. Pure: checks and renames, no I/O.
 * - Order: parts are taken by shard index, whatever the order given, and must be exactly 0…N-1 of one N.
 * - Checks: equal `tool`, `version`, `inputs` (path, bytes, sha256), `options` except `shard`, and card
 *   settings except `languages` (their union is listed, ja before en); every part has `card` settings.
 * - Data files `<config>/<split>-<i>-of-<n>.<ext>`: per config, split and format, the parts' shards in
 *   part order, each part's in its order, renamed to global indices `<split>-<j>-of-<total>`; shards
 *   without rows are dropped ({@link nameShards}).
 * - Other files (e.g. `rejected.jsonl`, the same lines in every part since each part reads all input): must
 *   have the same sha256 in every part, and are taken once; `generated` paths are skipped.
 * - Counts: `records`, rows per config and split and each funnel summed; `stats` summed key by key
 *   (in every part or in none); `options` without `shard`.
 * @throws OptionError naming the first mismatch (with the parts' positions in the given array).
 */
export function planDatasetMerge(parts: readonly DatasetManifest[], options: PlanDatasetMergeOptions): DatasetMergePlan {
  if (parts.length === 0) throw new OptionError("no part to merge");
  const name = (i: number): string => `part ${i + 1}`;
  const shards = parts.map((m, i) => shardOf(m, name(i)));
  const count = shards[0]!.count;
  const order = parts.map((_, i) => i).sort((a, b) => shards[a]!.index - shards[b]!.index);
  for (const [i, shard] of shards.entries()) {
    if (shard.count !== count) throw new OptionError(`${name(i)} is shard ${shard.index}/${shard.count}, ${name(0)} is of ${count}: parts of different --shard counts`);
  }
  for (let k = 0; k < count; k++) {
    const found = order.filter((i) => shards[i]!.index === k);
    if (found.length > 1) throw new OptionError(`shard ${k}/${count} is given twice (${found.map(name).join(", ")})`);
  }
  const missing = Array.from({ length: count }, (_, k) => k).filter((k) => !order.some((i) => shards[i]!.index === k));
  if (missing.length > 0) {
    throw new OptionError(`${missing.length === 1 ? `shard ${missing[0]}/${count} is` : `shards ${missing.join(", ")} of ${count} are`} missing: merge needs every part 0…${count - 1}`);
  }

  const first = parts[order[0]!]!;
  // A part that received no record cannot know the variant: it takes the others'.
  const informed = order.filter((i) => parts[i]!.counts.records > 0);
  const cardPart = informed[0] ?? order[0]!;
  const firstCard = parts[cardPart]!.card;
  const withoutShard = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([k]) => !(SHARD_OPTIONS as readonly string[]).includes(k)));
  const cardKey = (card: DatasetCardSettings, records: number): string =>
    canonical({ ...card, languages: undefined, ...(records === 0 ? { variant: firstCard?.variant, variants: firstCard?.variants } : {}) });
  for (const i of order) {
    const part = parts[i]!;
    if (!part.card) throw new OptionError(`${name(i)}: its manifest has no card settings (built by an older lmsynth): rebuild it`);
    for (const key of ["tool", "version"] as const) {
      if (part[key] !== first[key]) throw new OptionError(`${name(i)} has ${key} ${part[key]}, ${name(order[0]!)} ${first[key]}`);
    }
    if (canonical(part.inputs) !== canonical(first.inputs)) throw new OptionError(`${name(i)} was built from other inputs than ${name(order[0]!)}`);
    const a = withoutShard(first.options);
    const b = withoutShard(part.options);
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (canonical(a[key]) !== canonical(b[key])) {
        throw new OptionError(`${name(i)} was built with option ${key} = ${JSON.stringify(b[key])}, ${name(order[0]!)} with ${JSON.stringify(a[key])}`);
      }
    }
    if (cardKey(part.card, part.counts.records) !== cardKey(firstCard!, 1)) throw new OptionError(`${name(i)} has other configs, formats, splits or variant than ${name(cardPart)}`);
    if (Boolean(part.stats) !== Boolean(first.stats)) throw new OptionError(`${name(i)} and ${name(order[0]!)}: only one of them kept stats`);
  }
  const card: DatasetCardSettings = { ...firstCard!, languages: (["ja", "en"] as Lang[]).filter((l) => order.some((i) => parts[i]!.card!.languages.includes(l))) };

  // Data files per series and format, in part order; other files compared across parts.
  const generated = new Set(options.generated ?? []);
  const copies: MergeCopy[] = [];
  const rows: DatasetCounts["rows"] = {};
  const funnel: DatasetCounts["funnel"] = {};
  for (const config of card.configs) {
    rows[config] = {};
    funnel[config] = sumFunnels(order.map((i) => parts[i]!.counts.funnel[config]));
    for (const split of card.splits) {
      rows[config][split] = order.reduce((sum, i) => sum + (parts[i]!.counts.rows[config]?.[split] ?? 0), 0);
    }
  }
  const series = new Map<string, Array<{ part: number; files: WrittenFile[] }>>();
  const others = new Map<string, Array<{ part: number; file: WrittenFile }>>();
  for (const i of order) {
    const byIndex = new Map<string, WrittenFile[][]>();
    for (const file of parts[i]!.files) {
      const m = SHARD_FILE.exec(file.path);
      if (m && card.configs.includes(m[1] as never) && card.splits.includes(m[2] as never)) {
        const key = `${m[1]}/${m[2]}`;
        const list = byIndex.get(key) ?? [];
        byIndex.set(key, list);
        (list[Number(m[3])] ??= []).push(file);
      } else if (!generated.has(file.path)) {
        others.set(file.path, [...(others.get(file.path) ?? []), { part: i, file }]);
      }
    }
    for (const [key, list] of byIndex) {
      for (const [index, files] of list.entries()) {
        if (!files) throw new OptionError(`${name(i)}: ${key} has no shard ${index}`);
        series.set(key, [...(series.get(key) ?? []), { part: i, files }]);
      }
    }
  }
  for (const [key, list] of series) {
    const named = nameShards(key, list.map(({ part, files }) => files.map((file) => ({ ...file, part }))));
    for (const { from: { part, ...file }, path } of named) copies.push({ part, from: file.path, file: { ...file, path } });
  }
  for (const [path, list] of others) {
    if (list.length !== parts.length || list.some(({ file }) => file.sha256 !== list[0]!.file.sha256)) {
      throw new OptionError(`${path} differs between parts (or is missing in some); it cannot be merged`);
    }
    copies.push({ part: list[0]!.part, from: path, file: list[0]!.file });
  }
  copies.sort((a, b) => (a.file.path < b.file.path ? -1 : a.file.path > b.file.path ? 1 : 0));

  let stats: Record<string, unknown> | undefined;
  for (const i of order) {
    const part = parts[i]!.stats;
    if (part) stats = stats ? (sumCounters(stats, part, "") as Record<string, unknown>) : part;
  }
  const manifest: DatasetMergePlan["manifest"] = {
    tool: first.tool,
    version: first.version,
    command: [...order.map((i) => parts[i]!.command), options.command].join("\n"),
    options: withoutShard(first.options),
    inputs: first.inputs,
    files: copies.map((c) => c.file),
    counts: {
      records: order.reduce((sum, i) => sum + parts[i]!.counts.records, 0),
      rows,
      funnel,
      ...(parts.some((p) => p.counts.languages) ? { languages: sumLanguages(order.map((i) => parts[i]!.counts.languages)) } : {}),
    },
    card,
    ...(first.shards ? { shards: first.shards } : {}),
    ...(stats ? { stats } : {}),
  };
  return { order, copies, manifest };
}

/** Rows per config and language, summed over the parts. */
function sumLanguages(parts: ReadonlyArray<DatasetCounts["languages"]>): NonNullable<DatasetCounts["languages"]> {
  const out: NonNullable<DatasetCounts["languages"]> = {};
  for (const part of parts) {
    for (const [config, byLang] of Object.entries(part ?? {})) {
      const sum = (out[config] ??= {});
      for (const [lang, n] of Object.entries(byLang) as Array<[Lang, number]>) sum[lang] = (sum[lang] ?? 0) + n;
    }
  }
  return out;
}
