import { readIdList, type IdListFile } from "@lmsynth/reader";
import { deleteFolderRows, type DatasetManifest, type DeleteFolderRowsResult } from "@lmsynth/hub-folder";
import { renderManifestReport } from "./build.js";
import { EXCLUDE_IDS_OPTION } from "./run-summary.js";

/** Options of {@link deleteIds}. */
export interface DeleteIdsOptions {
  /** Deletion lists: `conversation_id`s one per line, or JSON lines with one (gzip accepted). */
  lists: readonly string[];
  /**
   * How each list is named on a recorded command line (`--exclude-ids <path>`, quoted for a shell): appended
   * to every `build` line of the manifest's command, so that it reads as the fresh build it now equals.
   */
  argument(list: IdListFile): string;
  signal?: AbortSignal;
}

/** What {@link deleteIds} did. */
export interface DeleteIdsResult extends DeleteFolderRowsResult {
  lists: IdListFile[];
  /** What the user should look at: lists recorded as applied whose conversations were still there, list
   * lines that do not look like a `conversation_id`, listed ids that match no row. */
  warnings: string[];
}

/**
 * Applies deletion requests to a built folder in place (`lmsynth delete-ids`): the rows of every listed
 * conversation leave every shard and format, and the manifest, card and `report.html` are renewed, so the
 * folder equals a fresh `build` with `--exclude-ids` of the same lists, byte for byte (see
 * `deleteFolderRows`). A list already applied (its sha256 is recorded) changes nothing.
 * @throws InputError for an unreadable or malformed list; see `deleteFolderRows` for the rest.
 */
export async function deleteIds(dir: string, options: DeleteIdsOptions): Promise<DeleteIdsResult> {
  const list = await readIdList(options.lists);
  const warnings = [...list.warnings];
  const result = await deleteFolderRows(dir, list.ids, {
    amend(manifest: DatasetManifest, found: number) {
      const applied = (manifest.options[EXCLUDE_IDS_OPTION] as string[] | undefined) ?? [];
      const fresh = list.files.filter((f, i) => !applied.includes(f.sha256) && list.files.findIndex((g) => g.sha256 === f.sha256) === i);
      if (fresh.length === 0 && found === 0) return undefined;
      // The manifest says these lists were applied, yet their conversations are here: delete them all the
      // same (the request is what counts), and say so.
      if (fresh.length === 0) warnings.push(`the manifest recorded ${list.files.length === 1 ? "this list" : "these lists"} as applied, but ${found} of the listed conversations were still in the folder: deleted now`);
      const suffix = fresh.map((f) => ` ${options.argument(f)}`).join("");
      return {
        ...manifest,
        options: { ...manifest.options, [EXCLUDE_IDS_OPTION]: [...applied, ...fresh.map((f) => f.sha256)] },
        command: manifest.command
          .split("\n")
          .map((line) => (line.startsWith("lmsynth build ") ? line + suffix : line))
          .join("\n"),
      };
    },
    texts: { "report.html": renderManifestReport },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { ...result, lists: list.files, warnings };
}
