import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { z } from "zod";
import { InputError, printable, type Funnel, type Lang } from "@lmsynth/schema";
import { OUTPUT_FORMATS, type ShardSinkOptions, type WrittenFile } from "@lmsynth/sinks";
import type { DatasetCardSettings } from "./folder-layout.js";
import { ManifestMismatchError, type ManifestProblem } from "./errors.js";
import type { SplitName } from "./split-of.js";

/** One input of a build, as recorded in the manifest. */
export interface InputFile {
  /** The path as given on the command line. */
  path: string;
  bytes: number;
  /** Lowercase hex sha256 of the file's bytes. */
  sha256: string;
}

/** The `counts` of a manifest: records read, rows per config and split, and each config's skip funnel. */
export interface DatasetCounts {
  records: number;
  /** Rows written per config (`sft`, `dpo`) and split. */
  rows: Record<string, Partial<Record<SplitName, number>>>;
  /** Skip reasons with counts, per config. */
  funnel: Record<string, Funnel>;
  /** Rows per config and language (`ja`, `en`), all splits together. */
  languages?: Record<string, Partial<Record<Lang, number>>>;
}

/** `manifest.json` of a built folder (behaviour.md §6). File paths are relative to the folder, `/`-separated. */
export interface DatasetManifest {
  tool: string;
  version: string;
  command: string;
  options: Record<string, unknown>;
  inputs: InputFile[];
  /** Every data file (and `rejected.jsonl` if any), sorted by path. Not `README.md` nor itself. */
  files: WrittenFile[];
  counts: DatasetCounts;
  /** What the card was rendered from besides counts and files (absent in folders written before it was
   * kept; such folders cannot be merged). */
  card?: DatasetCardSettings;
  /** How the shards were encoded, so that `deleteIds` can rewrite one exactly as the build would (absent in
   * folders written before it was kept). */
  shards?: ShardSettings;
  /** Raw counters of the build (nested objects of numbers, e.g. the report's statistics), summed key by key
   * when parts are merged; their key order is kept as written. */
  stats?: Record<string, unknown>;
}

/** The encoding settings of a folder's shards: what a format's `open` (`FILE_FORMATS`) takes besides the columns. */
export type ShardSettings = Omit<ShardSinkOptions, "columns">;

/** Rows of one config over all its splits. */
export function totalRows(splits: Partial<Record<SplitName, number>> | undefined): number {
  return Object.values(splits ?? {}).reduce((a, b) => a + (b ?? 0), 0);
}

/** Files a folder may hold besides those the manifest lists. */
export const UNLISTED_FILES = ["README.md", "manifest.json"] as const;

/** `value` with the keys of every object sorted (arrays keep their order): a canonical form to compare. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

/**
 * The text of `manifest.json`: keys in a fixed order (top level, files and card as declared; `options`,
 * `counts` and funnels sorted by key; `stats` as given, since its histograms' bucket order is meaningful),
 * two-space indent, trailing newline. Equal manifests give equal bytes.
 */
export function formatManifest(manifest: DatasetManifest): string {
  const ordered = {
    tool: manifest.tool,
    version: manifest.version,
    command: manifest.command,
    options: sortKeys(manifest.options),
    inputs: manifest.inputs.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 })),
    files: manifest.files.map(({ path, rows, bytes, sha256 }) => ({ path, rows, bytes, sha256 })),
    counts: sortKeys(manifest.counts),
    card: manifest.card && {
      configs: manifest.card.configs,
      columns: manifest.card.columns,
      readers: manifest.card.readers,
      llamaFactory: manifest.card.llamaFactory,
      formats: manifest.card.formats,
      splits: manifest.card.splits,
      variant: manifest.card.variant,
      variants: manifest.card.variants,
      languages: manifest.card.languages,
      title: manifest.card.title,
      tags: manifest.card.tags,
    },
    shards: manifest.shards && { compression: manifest.shards.compression, maxRowGroupBytes: manifest.shards.maxRowGroupBytes, createdBy: manifest.shards.createdBy },
    stats: manifest.stats,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Length and sha256 of a file, read in 1 MiB chunks. */
export async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).byteLength;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/**
 * Describes an input for the manifest: its path as given, length and sha256 (reads the whole file).
 * @throws InputError (`io`) when it cannot be read.
 */
export async function describeInputFile(path: string): Promise<InputFile> {
  try {
    return { path, ...(await hashFile(path)) };
  } catch (error) {
    throw new InputError(path, undefined, "io", `cannot read: ${(error as Error).message}`, { cause: error });
  }
}

/** Every regular file under `dir`, relative and `/`-separated, skipping hidden entries (`.git`, `.cache`). */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const full = join(at, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(relative(dir, full).split(sep).join("/"));
    }
  };
  await walk(dir);
  return out.sort();
}

/** True when `path` is a plain relative path whose file (`full`, symlinks resolved) lies inside `root`. */
async function staysInside(root: string, path: unknown, full: string): Promise<boolean> {
  if (typeof path !== "string" || path === "" || isAbsolute(path) || path.includes("\\")) return false;
  if (path.split("/").some((part) => part === ".." || part === "." || part === "")) return false;
  const real = await realpath(full).catch(() => undefined);
  return real === undefined || real.startsWith(root + sep);
}

/**
 * Reads `<dir>/manifest.json` and checks it against the folder: every listed file exists with the listed
 * size and sha256, and no other file is present except `README.md` and `manifest.json` (hidden entries are
 * ignored). Sizes are compared first, so a wrong size costs no hashing.
 * @returns the manifest when everything matches.
 * @throws ManifestMismatchError listing every problem (a missing or unparsable manifest is one).
 */
export async function verifyManifest(dir: string): Promise<DatasetManifest> {
  let manifest: DatasetManifest;
  try {
    manifest = parseManifest(await readFile(join(dir, "manifest.json"), "utf8"));
  } catch (error) {
    const problem = (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "unparsable";
    throw new ManifestMismatchError(dir, [{ path: "manifest.json", problem }], { cause: error });
  }
  const problems: ManifestProblem[] = [];
  const listed = new Set<string>(UNLISTED_FILES);
  const root = await realpath(dir).catch(() => resolve(dir));
  for (const file of manifest.files) {
    listed.add(file.path);
    const full = join(dir, ...String(file.path).split("/"));
    // A manifest is data: a path that leaves the folder (absolute, `..`, a symlink out) is never read or sent.
    if (!(await staysInside(root, file.path, full))) {
      problems.push({ path: String(file.path), problem: "outside" });
      continue;
    }
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) {
      problems.push({ path: file.path, problem: "missing" });
    } else if (info.size !== file.bytes) {
      problems.push({ path: file.path, problem: "size", expected: String(file.bytes), actual: String(info.size) });
    } else {
      const { sha256 } = await hashFile(full);
      if (sha256 !== file.sha256) problems.push({ path: file.path, problem: "sha256", expected: file.sha256, actual: sha256 });
    }
  }
  for (const path of await listFiles(dir)) {
    if (!listed.has(path)) problems.push({ path, problem: "unlisted" });
  }
  if (problems.length > 0) throw new ManifestMismatchError(dir, problems);
  return manifest;
}

const SPLITS = ["train", "test"] as const satisfies readonly SplitName[];

const count = z.number().int().nonnegative();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits (sha256)");
const file = z.looseObject({ path: z.string().min(1), rows: count, bytes: count, sha256 });
const counts = z.record(z.string(), count.optional());

/**
 * What a `manifest.json` must hold for lmsynth to act on it: every field a command reads, typed. Fields this
 * version does not know (a newer lmsynth's) are kept; the card settings, encoding settings and raw
 * statistics are checked where they are used.
 */
const MANIFEST_SCHEMA = z.looseObject({
  tool: z.string(),
  version: z.string(),
  command: z.string(),
  options: z.record(z.string(), z.unknown()),
  inputs: z.array(z.looseObject({ path: z.string(), bytes: count, sha256 })),
  files: z.array(file),
  counts: z.looseObject({
    records: count,
    rows: z.record(z.string(), counts),
    funnel: z.record(z.string(), counts),
    languages: z.record(z.string(), counts).optional(),
  }),
  card: z.looseObject({ configs: z.array(z.string()), formats: z.array(z.enum(OUTPUT_FORMATS)), splits: z.array(z.enum(SPLITS)) }).optional(),
  shards: z.looseObject({}).optional(),
  stats: z.record(z.string(), z.unknown()).optional(),
});

/**
 * The manifest in `text`, validated.
 * @throws Error naming the first field that is not what a manifest of lmsynth's holds (or the JSON error).
 */
export function parseManifest(text: string): DatasetManifest {
  const parsed = MANIFEST_SCHEMA.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.map(String).join(".") || "the manifest"}: ${printable(issue.message, 200)}`);
  }
  // The schema checks what commands read; the rest of the settings are checked where they are used.
  return parsed.data as unknown as DatasetManifest;
}
