import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { InputError } from "@lmsynth/schema";
import { hashFile } from "./dataset-manifest.js";

/** An input as the resume fingerprint sees it: path as given, size and modification time. */
export interface ResumeInput {
  path: string;
  bytes: number;
  /** `stat().mtimeMs`. */
  mtimeMs: number;
}

/** One completed shard of a series (all its formats), as `resume.json` records it. */
export interface JournalShard {
  config: string;
  split: string;
  /** 0-based index in its series. */
  index: number;
  rows: number;
  /** sha256 of the shard's rows as JSON lines (exactly the columns), so a rerun can tell it met the same rows. */
  rowsSha256: string;
  /** One per format, path relative to the partial folder. */
  files: { path: string; bytes: number; sha256: string }[];
}

/** `resume.json`. */
interface JournalFile {
  version: 1;
  /** sha256 of everything that decides the bytes of the shards (see `openDatasetFolder`'s `resume`). */
  fingerprint: string;
  /** Shown to a person reading the file; the fingerprint covers them. */
  inputs: ResumeInput[];
  shards: JournalShard[];
}

export const JOURNAL = "resume.json";
const VERSION = 1;

/** Length and sha256 of a file; undefined when it cannot be read. */
function hashFileIfReadable(path: string): Promise<{ bytes: number; sha256: string } | undefined> {
  return hashFile(path).catch(() => undefined);
}

/** Every file under `dir`, hidden ones included, relative and `/`-separated. */
async function listAll(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"));
}

/**
 * The size and mtime of each input, for the fingerprint.
 * @throws InputError (`io`) naming an input that cannot be stat'ed.
 */
export async function statResumeInputs(paths: readonly string[]): Promise<ResumeInput[]> {
  const out: ResumeInput[] = [];
  for (const path of paths) {
    try {
      const info = await stat(path);
      out.push({ path, bytes: info.size, mtimeMs: info.mtimeMs });
    } catch (error) {
      throw new InputError(path, undefined, "io", `cannot read: ${(error as Error).message}`, { cause: error });
    }
  }
  return out;
}

/**
 * The journal of a `--resume` build's partial folder (`resume.json`): which shards are complete, rewritten
 * whole through a temporary name and a rename after each, so a kill at any point leaves either the old or
 * the new journal. @internal used by the dataset folder writer; not exported from the index.
 */
export class ResumeJournal {
  private constructor(
    private readonly root: string,
    private readonly file: JournalFile,
  ) {}

  /**
   * Opens (or creates) the partial folder `root` for a run whose fingerprint is `fingerprint`. When `root`
   * holds a journal with the same fingerprint, the completed shards of each series whose every file still
   * has its recorded size and sha256 are kept, as a prefix 0…k-1 of the series; a series with any failed
   * file, or a gap, starts over. Every other file in `root` (unfinished shards, temporaries, extras of the
   * interrupted run) is deleted. A missing, unreadable or mismatched journal starts the whole folder over.
   * Each decision is told to `log`.
   * @returns the journal (already rewritten to list only the kept shards) and the kept shards per series
   * key `<config>/<split>`, in index order.
   */
  static async open(
    root: string,
    options: { fingerprint: string; inputs: ResumeInput[]; series: readonly string[]; log: (message: string) => void },
  ): Promise<{ journal: ResumeJournal; reusable: Map<string, JournalShard[]> }> {
    const fresh: JournalFile = { version: VERSION, fingerprint: options.fingerprint, inputs: options.inputs, shards: [] };
    const reusable = new Map<string, JournalShard[]>();
    const existing = await stat(root).catch(() => undefined);
    if (existing) {
      let old: JournalFile | undefined;
      try {
        old = JSON.parse(await readFile(join(root, JOURNAL), "utf8")) as JournalFile;
      } catch {
        old = undefined;
      }
      if (!old || old.version !== VERSION || !Array.isArray(old.shards)) {
        options.log(`resume: ${root} has no readable ${JOURNAL}; starting over`);
        await rm(root, { recursive: true, force: true });
      } else if (old.fingerprint !== options.fingerprint) {
        options.log(`resume: the interrupted run had other options or inputs (${JOURNAL} fingerprint differs); starting over`);
        await rm(root, { recursive: true, force: true });
      } else {
        for (const key of options.series) {
          const shards = old.shards.filter((s) => `${s.config}/${s.split}` === key).sort((a, b) => a.index - b.index);
          const problem = await ResumeJournal.check(root, shards);
          if (problem) {
            options.log(`resume: ${key} ${problem}; starting ${key} over`);
          } else if (shards.length > 0) {
            reusable.set(key, shards);
            options.log(`resume: reusing ${shards.length} completed shard${shards.length === 1 ? "" : "s"} of ${key}`);
          }
        }
        const keep = new Set([...reusable.values()].flat().flatMap((s) => s.files.map((f) => f.path)));
        for (const path of await listAll(root)) if (!keep.has(path)) await rm(join(root, ...path.split("/")), { force: true });
        fresh.shards = [...reusable.values()].flat();
      }
    }
    await mkdir(root, { recursive: true });
    const journal = new ResumeJournal(root, fresh);
    await journal.save();
    return { journal, reusable };
  }

  /** Why `shards` (one series, by index) cannot be reused, or undefined when every file verifies. */
  private static async check(root: string, shards: JournalShard[]): Promise<string | undefined> {
    for (const [i, shard] of shards.entries()) {
      if (shard.index !== i) return `has no completed shard ${i}`;
      for (const file of shard.files) {
        const info = await stat(join(root, ...file.path.split("/"))).catch(() => undefined);
        if (!info?.isFile()) return `shard ${file.path} is missing`;
        if (info.size !== file.bytes) return `shard ${file.path} has ${info.size} bytes, not ${file.bytes}`;
        const actual = await hashFileIfReadable(join(root, ...file.path.split("/")));
        if (actual?.sha256 !== file.sha256) return `shard ${file.path} fails its sha256 check`;
      }
    }
    return undefined;
  }

  /** Adds a completed shard and rewrites the journal. */
  async record(shard: JournalShard): Promise<void> {
    this.file.shards.push(shard);
    await this.save();
  }

  /** Deletes the journal, so that the next `--resume` starts over. Never throws. */
  async discard(): Promise<void> {
    await rm(join(this.root, JOURNAL), { force: true }).catch(() => {});
  }

  private async save(): Promise<void> {
    const path = join(this.root, JOURNAL);
    const temp = `${path}.tmp`;
    await writeFile(temp, `${JSON.stringify(this.file, null, 2)}\n`);
    await rename(temp, path);
  }
}
