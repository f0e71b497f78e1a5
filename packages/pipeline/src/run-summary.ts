import type { DatasetStats } from "@lmsynth/report";
import type { Funnel, Lang, Variant } from "@lmsynth/schema";
import type { JoinCounts } from "@lmsynth/reader";
import { totalRows, type DatasetManifest } from "@lmsynth/hub-folder";

/** What a conversion run reports at its end, as a table or `--json` (behaviour.md §8). */
export interface RunSummary {
  command: string;
  /** The variant of the inputs; null when unknown, or when they mix several (see `variants`). */
  variant: Variant | null;
  /** Every variant present when the input files hold more than one (each file is told apart on its own). */
  variants?: Variant[];
  records: number;
  /** Lines set aside by `onInvalid: "skip"`. */
  rejected: number;
  /** Rows written per output (`sft`, `dpo-sharegpt`, `kto`…, or a command's own, such as `merge`). */
  rows: Record<string, number>;
  /** Skip reasons per output and language. */
  funnel: Record<string, Partial<Record<Lang, Funnel>>>;
  /** Pairs the margin removed (dpo). */
  droppedPairs?: number;
  /** Candidates left out between the KTO thresholds (kto). */
  neutralCandidates?: number;
  /** With a deletion list (`--exclude-ids`): records it matched, and rows withheld per output (also in each
   * output's funnel as `deleted`). */
  deleted?: { records: number; rows: Record<string, number> };
  /** Counts of the on-the-fly join, when sources were joined. */
  join?: JoinCounts;
  /** Output files written. */
  outputs: string[];
  /** Responses of the records read, per language, with and without a reasoning trace; only when a trace was
   * found or the variant has them (GPT-OSS). */
  traces?: Partial<Record<Lang, { with: number; without: number }>>;
  /** With `--template`: the trace fields its text reads (`templateTraceFields`). */
  templateTraceFields?: string[];
  /** What the user must not miss: a filter applied by skipping, a join that matched little. */
  warnings?: string[];
  /** `build`: rows per config and split (`train`, `test`). */
  splits?: Record<string, Partial<Record<string, number>>>;
  /** `build`: configs or `config/split`s with no rows, left out of the card. */
  leftOut?: string[];
  /** `build --resume` on a folder that run had completed: nothing was read or written. */
  alreadyComplete?: boolean;
  /** `build --resume`: shards taken from the interrupted run instead of written. */
  reusedShards?: number;
  seconds: number;
}

/** An empty summary of `command`. */
export function newSummary(command: string): RunSummary {
  return { command, variant: null, records: 0, rejected: 0, rows: {}, funnel: {}, outputs: [], seconds: 0 };
}

/** Adds one skip to the funnel of `output`. */
export function countSkip(summary: RunSummary, output: string, lang: Lang, reason: keyof Funnel): void {
  const byLang = (summary.funnel[output] ??= {});
  const f = (byLang[lang] ??= {});
  f[reason] = (f[reason] ?? 0) + 1;
}

/**
 * The raw counters a build keeps in `manifest.stats`: the report's statistics and the per-language funnel,
 * summed key by key when `mergeDatasetFolders` combines `--shard` parts.
 */
export interface BuildStats {
  dataset: DatasetStats;
  funnel: RunSummary["funnel"];
}

/** The recorded option naming the deletion lists applied, by sha256 (`--exclude-ids`, `deleteIds`). */
export const EXCLUDE_IDS_OPTION = "exclude-ids";

/**
 * The summary of `command` for a folder, from its manifest alone: what a `build` of it printed, for a build
 * resumed on a complete folder, a merge of `--shard` parts, and the report rendered again after a merge or a
 * deletion. `seconds` is 0; nothing was read, so there are no join counts, traces or warnings.
 */
export function summaryOfManifest(command: string, manifest: DatasetManifest): RunSummary {
  const summary = newSummary(command);
  const card = manifest.card;
  summary.variant = card?.variant ?? null;
  if (card?.variants) summary.variants = card.variants;
  summary.records = manifest.counts.records;
  // A part of a scale-out run reads all input, so each set aside the same lines: a merged folder holds them once.
  summary.rejected = manifest.files.find((f) => f.path === "rejected.jsonl")?.rows ?? 0;
  const configs = card?.configs ?? Object.keys(manifest.counts.rows);
  for (const config of configs) summary.rows[config] = totalRows(manifest.counts.rows[config]);
  summary.splits = manifest.counts.rows;
  summary.funnel = (manifest.stats as BuildStats | undefined)?.funnel ?? {};
  if (manifest.options[EXCLUDE_IDS_OPTION] !== undefined) {
    summary.deleted = { records: 0, rows: Object.fromEntries(configs.map((c) => [c, manifest.counts.funnel[c]?.deleted ?? 0])) };
  }
  summary.outputs = manifest.files.map((f) => f.path);
  return summary;
}
