import { availableParallelism } from "node:os";
import { UniqueIds, type MapRecordsOptions } from "@lmsynth/reader";
import { SharedTokenCounter, templateTraceFields } from "@lmsynth/templates";
import { addRecordStats, type DatasetStats } from "@lmsynth/report";
import { OptionError, VARIANTS, VARIANT_TABLE, variantOfEvidence, type Lang } from "@lmsynth/schema";
import { createMapper, type ConvertInit } from "./convert-record.js";
import { countSkip, type RunSummary } from "./run-summary.js";
import type { RecordSource } from "./record-source.js";

/** Where each output's rows go, by output name. */
export type OutputWriters = Readonly<Record<string, (row: object | string) => Promise<void>>>;

/** Records read so far: yielded every {@link PROGRESS_EVERY} records while a conversion runs. */
export interface ConvertProgress {
  event: "progress";
  records: number;
  /** Compressed input bytes read so far, and their total when every input is a file. */
  bytesRead: number;
  totalBytes: number | undefined;
}

export const PROGRESS_EVERY = 1024;
const MAX_THREADS_PER_CORE = 4;

/**
 * The worker threads to use: `requested`, or the machine's cores.
 * @throws OptionError above 4 per core: past a few per core, workers only cost memory (a V8 heap each).
 */
export function threadsOf(requested: number | undefined): number {
  const cores = availableParallelism();
  const most = MAX_THREADS_PER_CORE * cores;
  const threads = requested ?? cores;
  if (threads > most) throw new OptionError(`--threads takes at most ${most} (${MAX_THREADS_PER_CORE} per core on this machine), got ${threads}`);
  return threads;
}

/**
 * Reads every record once and feeds each requested output (behaviour.md §6: one pass): parsing and
 * conversion run in `threads` worker threads, rows arrive here in input order and go to `write`. Counts
 * records, rows, skips and the variant evidence into `summary`, refuses a repeated `conversation_id`
 * (`duplicate-id`), and yields progress every 1,024 records.
 */
export async function* convertAll(
  source: RecordSource,
  init: ConvertInit,
  write: OutputWriters,
  summary: RunSummary,
  options: {
    threads: number;
    /** Threads that each load `init.tokenizer` once and count tokens for the workers linked to them, in
     * turn. Default 1: one copy for the process, whatever `threads` (a real model's tokenizer takes about
     * 400 MB in use); each more one counts in parallel at that cost. */
    tokenizerThreads?: number;
    signal?: AbortSignal;
    /** Filled from `out.stats` (set `init.stats`). */
    stats?: DatasetStats;
    /** Where the rows of conversations under a deletion request go instead of `write` (a Hub folder keeps
     * its cuts: `DatasetFolder.withhold`); default: they are dropped. */
    withhold?: OutputWriters;
  },
): AsyncGenerator<ConvertProgress, void> {
  // A variant given decides: as gpt-oss every record is one, whether or not its responses show a trace key;
  // as another, no record has traces to write (and the summary warns if it finds some).
  if (init.reasoningKey && source.variantGiven) {
    init = VARIANT_TABLE[source.variantGiven].reasoning ? { ...init, fillTraces: true } : (({ reasoningKey: _, ...rest }) => rest)(init);
  }
  // The tokenizer is loaded by its own threads, not by each worker: memory stays that of `tokenizerThreads`
  // copies, whatever `threads`.
  const tokens: SharedTokenCounter[] = [];
  let linked = 0;
  try {
    // With one thread mapping, that thread holds the one copy itself: no second thread to wait on.
    const copies = options.threads === 1 ? 0 : (options.tokenizerThreads ?? 1);
    for (let i = 0; init.tokenizer && i < copies; i++) tokens.push(await SharedTokenCounter.start(init.tokenizer));
    yield* convertLinked(source, init, write, summary, options, () => {
      if (tokens.length === 0) return { init };
      const { link, transfer } = tokens[linked++ % tokens.length]!.link();
      return { init: { ...init, tokenCounter: link }, transfer };
    });
  } finally {
    await Promise.all(tokens.map((t) => t.close()));
  }
}

async function* convertLinked(
  source: RecordSource,
  init: ConvertInit,
  write: OutputWriters,
  summary: RunSummary,
  options: Parameters<typeof convertAll>[4],
  initFor: NonNullable<MapRecordsOptions<ConvertInit>["initFor"]>,
): AsyncGenerator<ConvertProgress, void> {
  // Built here first, so a bad template is reported as such before any worker starts.
  await createMapper(initFor().init);
  if (init.template) summary.templateTraceFields = await templateTraceFields(init.template.name);
  const names = init.outputs.map((o) => o.name);
  for (const n of names) summary.rows[n] = 0;
  // Several layouts of one kind share its rows: their pairs dropped and candidates left out count once.
  const firstOfKind = init.outputs.map((o, i) => init.outputs.findIndex((p) => p.kind === o.kind) === i);
  if (source.excluding) summary.deleted = { records: 0, rows: Object.fromEntries(names.map((n) => [n, 0])) };
  let seen = 0;
  // Variant evidence per input file: a record alone cannot tell its variant (a Llama record without English
  // responses looks like Gemma-3), but a file can. Kept for the current file, stored when the file changes.
  const fileEvidence = new Map<string, number>();
  let current: string | undefined;
  let bits = 0;
  // The join checks its synth ids itself; a merged input is checked here, where records come in order.
  const ids = source.join ? undefined : new UniqueIds();
  for await (const { out, file, line } of source.map(init, options.threads, initFor)) {
    options.signal?.throwIfAborted();
    ids?.add(out.id, file, line);
    if (file !== current) {
      if (current !== undefined) fileEvidence.set(current, (fileEvidence.get(current) ?? 0) | bits);
      current = file;
      bits = 0;
    }
    bits |= out.evidence;
    if (++seen % PROGRESS_EVERY === 0) yield { event: "progress", records: seen, bytesRead: source.read.bytesRead, totalBytes: source.totalBytes };
    if (out.outside) continue;
    summary.records++;
    if (options.stats && out.stats) addRecordStats(options.stats, out.stats);
    if (out.traces) {
      const traces = (summary.traces ??= {});
      for (const [i, lang] of (["ja", "en"] as const).entries()) {
        if (out.traces[2 * i]! + out.traces[2 * i + 1]! === 0) continue;
        const t = (traces[lang] ??= { with: 0, without: 0 });
        t.with += out.traces[2 * i]!;
        t.without += out.traces[2 * i + 1]!;
      }
    }
    // A deleted conversation is read and converted like any other (the statistics describe the input), but
    // its rows are withheld: counted per output as `deleted`, never written.
    const excluded = source.excluded(out.id);
    if (excluded) summary.deleted!.records++;
    for (const [i, n] of names.entries()) {
      const result = out.outputs![i]!;
      for (const skip of result.skips) countSkip(summary, n, skip.lang, skip.reason);
      if (excluded) {
        for (const row of result.rows) await options.withhold?.[n]?.(row);
        summary.deleted!.rows[n]! += result.rows.length;
        continue;
      }
      for (const row of result.rows) await write[n]!(row);
      summary.rows[n]! += result.rows.length;
      if (!firstOfKind[i]) continue;
      if (result.droppedPairs) summary.droppedPairs = (summary.droppedPairs ?? 0) + result.droppedPairs;
      if (result.neutral) summary.neutralCandidates = (summary.neutralCandidates ?? 0) + result.neutral;
    }
  }
  if (current !== undefined) fileEvidence.set(current, (fileEvidence.get(current) ?? 0) | bits);
  const perFile = [...fileEvidence.values()];
  const variants = VARIANTS.filter((v) => perFile.some((b) => variantOfEvidence(b) === v));
  const evidence = perFile.reduce((all, b) => all | b, 0);
  if (!source.variantGiven && variants.length > 1) {
    summary.variants = variants;
    summary.variant = null;
  } else summary.variant = source.variantGiven ?? variantOfEvidence(evidence) ?? null;
}

/** Above this share of synth records without their LMSYS record or instruction, the summary warns. */
const UNMATCHED_SHARE_WARNING = 0.01;

/** Fills the fields known only at the end of a run, warnings included. */
export function finishSummary(summary: RunSummary, source: RecordSource, started: number): void {
  summary.rejected = source.rejected();
  // Rejected lines of listed conversations were dropped where they were read.
  if (summary.deleted) summary.deleted.records += source.deleted();
  if (source.join) summary.join = source.join;
  summary.seconds = (performance.now() - started) / 1000;
  const warnings = warningsOf(summary);
  if (warnings.length > 0) summary.warnings = warnings;
  // Trace counts say something only where traces were found or expected (GPT-OSS).
  if (!Object.values(summary.traces ?? {}).some((t) => t.with > 0) && !hasReasoningVariant(summary)) delete summary.traces;
}

/** True when the inputs are read as a variant whose responses carry reasoning traces (GPT-OSS). */
function hasReasoningVariant(s: RunSummary): boolean {
  return (s.variants ?? (s.variant ? [s.variant] : [])).some((v) => VARIANT_TABLE[v].reasoning);
}

/** What the user must not miss in a summary that otherwise looks fine (behaviour.md §9). */
function warningsOf(s: RunSummary): string[] {
  const warnings: string[] = [];
  const join = s.join;
  const share = (n: number): string => `${n} of ${join!.synth} synth records (${((100 * n) / join!.synth).toFixed(1)}%)`;
  if (join && join.lmsys > 0 && join.synthWithoutLmsys > UNMATCHED_SHARE_WARNING * join.synth) {
    warnings.push(`${share(join.synthWithoutLmsys)} have no LMSYS record: are all --lmsys files given?`);
  }
  if (join && join.instructions > 0 && join.synthWithoutInstruction > UNMATCHED_SHARE_WARNING * join.synth) {
    warnings.push(`${share(join.synthWithoutInstruction)} have no Japanese instruction: is the whole --instructions file given?`);
  }
  warnings.push(...traceWarnings(s));
  const unknown = Math.max(0, ...Object.values(s.funnel).map((byLang) => Object.values(byLang).reduce((n, f) => n + (f?.["pii-unknown"] ?? 0), 0)));
  if (unknown > 0) {
    warnings.push(`--exclude-pii: ${unknown} skipped as pii-unknown: without their LMSYS record it is unknown whether they hold personal data`);
  }
  return warnings;
}

/**
 * What a build must say about reasoning traces: a GPT-OSS input without any, traces in an input of another
 * variant (they get no field and the card names that variant's licence), and traces kept where the template
 * reads no trace field. Each names the flag that changes it.
 */
function traceWarnings(s: RunSummary): string[] {
  const counts = Object.entries(s.traces ?? {}) as Array<[Lang, { with: number; without: number }]>;
  const found = counts.reduce((n, [, t]) => n + t.with, 0);
  const of = counts.map(([lang, t]) => `${lang} ${t.with} of ${t.with + t.without}`).join(", ");
  const reasoning = hasReasoningVariant(s);
  const warnings: string[] = [];
  if (reasoning && found === 0) {
    warnings.push(`the input is read as gpt-oss, but no response carries a reasoning trace (reasoning_content, reasoning or thinking): every row has an empty one; is --variant gpt-oss right? --reasoning drop writes no trace field`);
  }
  if (!reasoning && found > 0) {
    warnings.push(`${found} responses carry a reasoning trace (${of}), but the input is read as ${(s.variants ?? [s.variant]).filter(Boolean).join(" + ") || "an unknown variant"}: the traces are not written and the card names that variant's licence; give --variant gpt-oss to keep them`);
  }
  if (reasoning && found > 0 && s.templateTraceFields?.length === 0) {
    warnings.push(`the rows keep their reasoning traces (${of}), but the --template reads no trace field (thinking or reasoning_content): its text column has none; --reasoning drop leaves them out of the rows too`);
  }
  return warnings;
}
