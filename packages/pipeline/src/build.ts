import { createDatasetStats, renderReportHtml, type DatasetStats } from "@lmsynth/report";
import { OptionError, VARIANT_TABLE, type Funnel, type Lang, type Variant } from "@lmsynth/schema";
import { stat } from "node:fs/promises";
import { assertNewFolder, openDatasetFolder, sortKeys, verifyManifest, type DatasetFolder, type DatasetFolderOptions, type DatasetManifest } from "@lmsynth/hub-folder";
import { convertAll, finishSummary, threadsOf, type ConvertProgress } from "./convert-all.js";
import { newSummary, summaryOfManifest, type BuildStats, type RunSummary } from "./run-summary.js";
import type { ConvertInit } from "./convert-record.js";
import { folderConfigOf } from "./layouts.js";
import { openRecordSource, type RecordSourceOptions } from "./record-source.js";

/** Who ran a build and how: written into the card, the manifest and the report. */
export interface BuildRun {
  tool: string;
  version: string;
  /** The exact command line (or a description of the library call). */
  command: string;
  /** The options that decide the output, as JSON values. */
  options: Record<string, unknown>;
  /** The preset, named on the report. */
  preset?: string;
}

/** Options of {@link buildFolderIter}. */
export interface BuildOptions {
  /** The output folder; must not exist unless `folder.overwrite`. */
  output: string;
  /** What to read. Skipped lines go to `<output>/rejected.jsonl` unless `source.rejected` says otherwise. */
  source: Omit<RecordSourceOptions, "signal">;
  /** What each record gives; its `outputs` are the folder's configs, in card order. */
  convert: ConvertInit;
  /** Shard formats, sizes, split and resume of the Hub folder (configs and columns come from `convert`). */
  folder: Omit<DatasetFolderOptions, "configs" | "signal">;
  /** Meta columns of every layout (`lang` and the indices and scores of the chosen responses). */
  withMeta: boolean;
  /** Languages of the rows, for the card. */
  languages: Lang[];
  run: BuildRun;
  /** Worker threads. Default: the machine's cores. */
  threads?: number;
  /** Threads holding a copy of `convert.tokenizer` (see `convertAll`). Default 1. */
  tokenizerThreads?: number;
  /** Checked throughout; once aborted, nothing is left at `output` and the run throws its reason. */
  signal?: AbortSignal;
}

/** What a build reports as it goes: records read, then the steps that write the folder's own files. */
export type BuildEvent = ConvertProgress | { event: "phase"; phase: "report" | "closing" };

/** What a build wrote. */
export interface BuildResult {
  summary: RunSummary;
  manifest: DatasetManifest;
  /** Shards taken from an interrupted run (`folder.resume`). */
  reusedShards: number;
}

/** The funnel of one output summed over languages, as the card shows it, with the rows withheld as `deleted`. */
function funnelOf(byLang: Partial<Record<Lang, Funnel>> | undefined, deleted: number | undefined): Funnel {
  const out: Funnel = {};
  if (deleted) out.deleted = deleted;
  for (const f of Object.values(byLang ?? {})) for (const [k, n] of Object.entries(f ?? {})) out[k as keyof Funnel] = (out[k as keyof Funnel] ?? 0) + n;
  return out;
}

/** The report of a conversion run (a build's report.html, `lmsynth report`): the summary's numbers. */
export function renderRunReport(summary: RunSummary, stats: DatasetStats, run: BuildRun): string {
  return renderReportHtml({
    stats,
    records: summary.records,
    rows: summary.rows,
    funnel: summary.funnel,
    ...(summary.deleted ? { deleted: summary.deleted.rows } : {}),
    variant: summary.variant,
    ...(run.preset !== undefined ? { preset: run.preset } : {}),
    options: run.options,
    command: run.command,
    version: run.version,
  });
}

/**
 * The report of a folder from its manifest alone (`manifest.stats`, see {@link BuildStats}): the page its
 * build rendered, after `mergeDatasetFolders` summed parts or `deleteIds` removed rows.
 * @throws OptionError for a manifest without stats (written by an older lmsynth).
 */
export function renderManifestReport(manifest: DatasetManifest): string {
  const stats = manifest.stats as BuildStats | undefined;
  if (!stats?.dataset) throw new OptionError("the manifest keeps no stats (built by an older lmsynth): build again");
  const preset = manifest.options.preset;
  return renderRunReport(summaryOfManifest("build", manifest), stats.dataset, {
    tool: manifest.tool,
    version: manifest.version,
    command: manifest.command,
    options: manifest.options,
    ...(typeof preset === "string" ? { preset } : {}),
  });
}


/**
 * The main job as a library call (behaviour.md §6), `commitIter` style: one streaming pass over the input
 * producing every requested config as Parquet/Arrow/JSONL shards, `report.html`, the dataset card and
 * `manifest.json`, committed atomically at `output`. Yields progress and phase events; returns what was
 * written. {@link build} drains it.
 * @throws OptionError for options that cannot run; InputError for bad input; OutputError for an output that
 * cannot be written; the signal's reason once aborted. Nothing is left at `output` after any of them.
 */
export async function* buildFolderIter(options: BuildOptions): AsyncGenerator<BuildEvent, BuildResult> {
  const started = performance.now();
  const done = options.folder.resume && !options.folder.overwrite ? await completedBuild(options) : undefined;
  if (done) return done;
  const outputs = options.convert.outputs;
  const configs = outputs.map((o) => o.name);
  const threads = threadsOf(options.threads);
  const { signal } = options;
  // An existing folder is named before any input is read.
  await assertNewFolder(options.output, options.folder.overwrite);
  let opened: DatasetFolder | undefined;
  const source = await openRecordSource({
    // Opened on the first rejected line, after the folder.
    rejected: () => opened!.openJsonl("rejected.jsonl"),
    ...options.source,
    ...(signal ? { signal } : {}),
  });
  const stats = createDatasetStats();
  const summary = newSummary("build");
  try {
    // A Parquet/Arrow column is fixed before the first row: the reasoning field exists when the variant has
    // traces, as the first record tells (read through the stream the build reads on from).
    const first = await source.firstVariant();
    const reasoningLeftOut = options.convert.reasoningKey !== undefined && !(first && VARIANT_TABLE[first].reasoning);
    const { reasoningKey, ...rest } = options.convert;
    // The columns declare the trace fields: every row fills them.
    const convert: ConvertInit = { ...rest, ...(reasoningKey && !reasoningLeftOut ? { reasoningKey, fillTraces: true } : {}), stats: true };
    const choice = { withMeta: options.withMeta, text: options.convert.template !== undefined, tokens: options.convert.tokenizer !== undefined, reasoningKey: convert.reasoningKey };
    const folder = await openDatasetFolder(options.output, {
      createdBy: `${options.run.tool} version ${options.run.version}`,
      ...options.folder,
      configs: Object.fromEntries(outputs.map((o) => [o.name, folderConfigOf(o, choice)])),
      ...(signal ? { signal } : {}),
    });
    opened = folder;
    // The conversion does not `encode` its rows here: each reaches the folder as an object.
    const write = Object.fromEntries(configs.map((c) => [c, (row: object | string) => folder.write(c, row as object)]));
    const withhold = Object.fromEntries(configs.map((c) => [c, (row: object | string) => folder.withhold(c, row as object)]));
    yield* convertAll(source, convert, write, summary, { threads, ...(options.tokenizerThreads ? { tokenizerThreads: options.tokenizerThreads } : {}), stats, withhold, ...(signal ? { signal } : {}) });
    await source.close();
    finishSummary(summary, source, started);
    if (reasoningLeftOut && [summary.variant, ...(summary.variants ?? [])].some((v) => v && VARIANT_TABLE[v].reasoning)) {
      throw new ReasoningLayoutError(
        `${inputsOf(options)}: responses carry reasoning traces the build had no field for (the first record of its first file showed none): give --variant gpt-oss to keep them, or --reasoning drop`,
      );
    }
    // A `--shard` part may be empty on a small input, and so may a build whose every row is under a deletion
    // request (it must equal `delete-ids` of the same list); any other build that wrote nothing is not what
    // was asked.
    const withheld = configs.some((c) => (summary.deleted?.rows[c] ?? 0) > 0);
    if (!convert.shard && !withheld && configs.every((c) => summary.rows[c] === 0)) {
      throw new EmptyBuildError(`${inputsOf(options)}: the build wrote no row: every record was skipped (${describeFunnel(summary)}); nothing to publish`);
    }
    yield { event: "phase", phase: "report" };
    await folder.writeText("report.html", renderRunReport(summary, stats, options.run));
    yield { event: "phase", phase: "closing" };
    const variant: Variant | undefined = summary.variant ?? undefined;
    const result = await folder.close({
      tool: options.run.tool,
      version: options.run.version,
      command: options.run.command,
      options: options.run.options,
      inputs: await source.inputFiles(),
      records: summary.records,
      funnel: Object.fromEntries(configs.map((c) => [c, funnelOf(summary.funnel[c], summary.deleted?.rows[c])])),
      ...(variant ? { variant } : {}),
      ...(summary.variants ? { variants: summary.variants } : {}),
      languages: options.languages,
      stats: { dataset: stats, funnel: summary.funnel } satisfies BuildStats,
    });
    summary.outputs = result.manifest.files.map((f) => f.path);
    summary.splits = result.manifest.counts.rows;
    const leftOut = configs.flatMap((c) => {
      const splits = Object.entries(result.manifest.counts.rows[c] ?? {});
      return splits.every(([, n]) => !n) ? [c] : splits.filter(([, n]) => !n).map(([split]) => `${c}/${split}`);
    });
    if (leftOut.length > 0) summary.leftOut = leftOut;
    if (options.folder.resume) summary.reusedShards = result.reusedShards;
    summary.seconds = (performance.now() - started) / 1000;
    return { summary, manifest: result.manifest, reusedShards: result.reusedShards };
  } catch (e) {
    await Promise.allSettled([opened?.abort(), source.abort()]);
    throw e;
  }
}

/**
 * With `resume`, a folder at `output` that a run of the same options over the same inputs completed (its
 * manifest verifies against its files, its options and input sizes are this run's): there is nothing to
 * resume, so a rerun (a requeued job that had finished) succeeds without rewriting it. Undefined otherwise.
 */
async function completedBuild(options: BuildOptions): Promise<BuildResult | undefined> {
  const manifest = await verifyManifest(options.output).catch(() => undefined);
  if (!manifest || JSON.stringify(sortKeys(manifest.options)) !== JSON.stringify(sortKeys(options.run.options))) return undefined;
  const inputs = options.folder.resume!.inputs;
  const sizes = await Promise.all(inputs.map((p) => stat(p).then((s) => s.size, () => -1)));
  if (manifest.inputs.length !== inputs.length || manifest.inputs.some((input, i) => input.path !== inputs[i] || input.bytes !== sizes[i])) return undefined;
  const summary = summaryOfManifest("build", manifest);
  summary.reusedShards = 0;
  summary.alreadyComplete = true;
  return { summary, manifest, reusedShards: 0 };
}

/** The inputs of a build, for its messages. */
function inputsOf(options: BuildOptions): string {
  return [...(options.source.files ?? []), ...(options.source.synth ?? [])].join(", ");
}

/** Traces found where the build had no field for them (exit 2 at the CLI): keeping them was asked for. */
export class ReasoningLayoutError extends Error {
  override name = "ReasoningLayoutError";
}

/** A build whose every config came out empty: there is nothing the user asked for (exit 2 at the CLI). */
export class EmptyBuildError extends Error {
  override name = "EmptyBuildError";
}

/** The largest skip reasons of the summary, for an empty build's message. */
function describeFunnel(summary: RunSummary): string {
  const totals = new Map<string, number>();
  for (const byLang of Object.values(summary.funnel)) for (const f of Object.values(byLang)) for (const [k, n] of Object.entries(f ?? {})) totals.set(k, (totals.get(k) ?? 0) + (n ?? 0));
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return top.length > 0 ? top.map(([k, n]) => `${k} ${n}`).join(", ") : `${summary.records} records read`;
}

/** Drains {@link buildFolderIter}: the same result and errors, no progress. */
export async function buildFolder(options: BuildOptions): Promise<BuildResult> {
  const iterator = buildFolderIter(options);
  for (;;) {
    const step = await iterator.next();
    if (step.done) return step.value;
  }
}
