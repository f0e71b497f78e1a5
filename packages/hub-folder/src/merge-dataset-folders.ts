import { createHash } from "node:crypto";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { InputError, OptionError, OutputError } from "@lmsynth/schema";
import type { WrittenFile } from "@lmsynth/sinks";
import { datasetCardInput, renderDatasetCard } from "./dataset-card.js";
import { DATASET_INFO, renderDatasetInfo } from "./dataset-info.js";
import type { DatasetFolderResult } from "./folder-options.js";
import { formatManifest, verifyManifest, type DatasetManifest } from "./dataset-manifest.js";
import { commitFolder, linkOrCopy } from "./folder-files.js";
import { planDatasetMerge } from "./plan-dataset-merge.js";

/** Options of {@link mergeDatasetFolders}. */
export interface MergeDatasetFoldersOptions {
  /** The merge's own command line, recorded after the parts' commands (see `planDatasetMerge`). */
  command: string;
  /** Whole text files to write into the merged folder, by relative path, each rendered from the merged
   * manifest (files listed are the parts' copies only). They replace the parts' files of that path, which are
   * then neither compared nor copied: `lmsynth merge-manifests` re-renders `report.html` here. Default none. */
  texts?: Record<string, (merged: DatasetManifest) => string>;
  /** Replace an existing folder at `dir`. Default false: refuse it. */
  overwrite?: boolean;
  /** Checked between files: once aborted, the temporary folder is deleted and the call throws its reason. */
  signal?: AbortSignal;
}

let mergeSequence = 0;

/**
 * Merges build folders made with the same options except `--shard i/N` (scale-out, architecture.md "Scale")
 * into one Hub folder at `dir`, as {@link planDatasetMerge} plans it: every part is first checked against its
 * manifest (`verifyManifest`), data files are renamed to global shard indices in part order, counts, funnels
 * and stats summed, `texts` rendered, the card re-rendered with `renderDatasetCard` and the manifest
 * rewritten. Files are hard-linked from the parts when possible, else copied; the parts are left as they were.
 * Atomic: everything is written in a temporary sibling `.<name>.tmp-<pid>-<n>` renamed into place at the end
 * (an existing `dir` is swapped out only with `overwrite`); any failure deletes it.
 * @returns the merged folder and its manifest (`reusedShards` 0).
 * @throws ManifestMismatchError when a part does not match its manifest.
 * @throws OptionError for parts that do not belong together (see `planDatasetMerge`), or an existing `dir`.
 * @throws InputError (`io`) naming a path that cannot be read or written.
 */
export async function mergeDatasetFolders(
  parts: readonly string[],
  dir: string,
  options: MergeDatasetFoldersOptions,
): Promise<DatasetFolderResult> {
  const absolute = resolve(dir);
  if (!options.overwrite && (await stat(absolute).catch(() => undefined))) {
    throw new OptionError(`output folder already exists: ${absolute}`);
  }
  const manifests: DatasetManifest[] = [];
  for (const part of parts) {
    options.signal?.throwIfAborted();
    manifests.push(await verifyManifest(part));
  }
  // dataset_info.json names the merged shards, so it is rendered again like the caller's texts.
  const texts = { ...options.texts, ...(manifests[0]?.card?.llamaFactory ? { [DATASET_INFO]: (m: DatasetManifest) => renderDatasetInfo(m)! } : {}) };
  const plan = planDatasetMerge(manifests, { command: options.command, generated: Object.keys(texts) });
  const temp = join(dirname(absolute), `.${basename(absolute)}.tmp-${process.pid}-${mergeSequence++}`);
  try {
    await mkdir(temp, { recursive: true });
    for (const copy of plan.copies) {
      options.signal?.throwIfAborted();
      const to = join(temp, ...copy.file.path.split("/"));
      await mkdir(dirname(to), { recursive: true });
      await linkOrCopy(join(parts[copy.part]!, ...copy.from.split("/")), to);
    }
    const written: WrittenFile[] = [];
    for (const [path, render] of Object.entries(texts)) {
      const bytes = Buffer.from(render(plan.manifest), "utf8");
      const to = join(temp, ...path.split("/"));
      await mkdir(dirname(to), { recursive: true });
      await writeFile(to, bytes);
      written.push({ path, rows: 0, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
    const files = [...plan.manifest.files, ...written].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const manifest = { ...plan.manifest, files };
    await writeFile(join(temp, "manifest.json"), formatManifest(manifest));
    await writeFile(join(temp, "README.md"), renderDatasetCard(datasetCardInput(manifest, manifest.card)));
    options.signal?.throwIfAborted();
    await commitFolder(temp, absolute, options.overwrite === true);
    return { dir: absolute, manifest, reusedShards: 0 };
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => {});
    if (error instanceof InputError || error instanceof OptionError || !(error as NodeJS.ErrnoException).code) throw error;
    throw new OutputError(absolute, `cannot write: ${(error as Error).message}`, { cause: error });
  }
}
