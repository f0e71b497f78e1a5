import { availableParallelism } from "node:os";
import { addRecordStats, renderReportHtml, type DatasetStats } from "@lmsynth/report";
import { VERSION } from "./main.js";
import { commandLine, recordedOptions } from "./run-record.js";
import { UsageError, variantOfEvidence, type Variant } from "@lmsynth/schema";
import { UniqueIds } from "@lmsynth/reader";
import { openJsonlSink } from "@lmsynth/shards";
import { resolveOptions } from "./common-options.js";
import { createMapper, type ConvertInit, type OutputResult } from "./convert-mapper.js";
import { inputPathsOf, openRecordSource, type RecordSource } from "./inputs.js";
import { withClaimedOutputs, type NamedPath } from "./output-claim.js";
import type { CliIo } from "./io.js";
import { parseOptions, type OptionTable, type ParsedValue } from "./option-table.js";
import { startProgress } from "./progress.js";
import { countSkip, printSummary, type RunSummary } from "./summary.js";

type Values = Record<string, ParsedValue | undefined>;

/** Where each output's rows go. */
export type OutputWriters = Partial<Record<"sft" | "dpo", (row: object) => Promise<void>>>;

const MAX_THREADS_PER_CORE = 4;

/** `--threads` (default: cores) and `--shard i/N` from resolved flags. */
export function parallelismOf(o: Values): { threads: number; shard?: ConvertInit["shard"] } {
  const cores = availableParallelism();
  const threads = (o.threads as number | undefined) ?? cores;
  // Each worker holds a V8 heap and blocks in flight: past a few per core they only cost memory.
  const most = MAX_THREADS_PER_CORE * cores;
  if (threads > most) throw new UsageError(`--threads takes at most ${most} (${MAX_THREADS_PER_CORE} per core on this machine), got ${threads}`);
  if (o.shard === undefined) return { threads };
  const m = /^(\d+)\/(\d+)$/.exec(String(o.shard));
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new UsageError(`--shard takes i/N with 0 ≤ i < N, got "${o.shard}"`);
  return { threads, shard: { index, count, seed: String(o.seed ?? "0") } };
}

/**
 * Reads every record once and feeds each requested output (behaviour.md §6: one pass): parsing and
 * conversion run in `threads` worker threads, rows arrive here in input order and go to `write`.
 * Counts records, rows, skips and the variant evidence into `summary`.
 */
export async function convertAll(
  source: RecordSource,
  init: ConvertInit,
  write: OutputWriters,
  summary: RunSummary,
  io: CliIo,
  options: { quiet: boolean; threads: number; variant?: Variant; /** Filled from `out.stats` (set `init.stats`). */ stats?: DatasetStats },
): Promise<void> {
  // Built here first, so a bad --template is reported as such before any worker starts.
  await createMapper(init);
  const progress = startProgress(io, options.quiet, source.read, source.totalBytes);
  const names = (["sft", "dpo"] as const).filter((n) => init[n]);
  for (const n of names) summary.rows[n] = 0;
  let evidence = 0;
  let seen = 0;
  // The join checks its synth ids itself; a merged input is checked here, where records come in order.
  const ids = source.join ? undefined : new UniqueIds();
  try {
    for await (const { out, file, line } of source.map(init, options.threads)) {
      io.signal?.throwIfAborted();
      ids?.add(out.id, file, line);
      evidence |= out.evidence;
      progress.tick(++seen);
      if (out.outside) continue;
      summary.records++;
      if (options.stats && out.stats) addRecordStats(options.stats, out.stats);
      for (const n of names) {
        const result = out[n] as OutputResult;
        for (const skip of result.skips) countSkip(summary, n, skip.lang, skip.reason);
        for (const row of result.rows) await write[n]!(row);
        summary.rows[n]! += result.rows.length;
        if (result.droppedPairs) summary.droppedPairs = (summary.droppedPairs ?? 0) + result.droppedPairs;
      }
    }
  } finally {
    progress.stop();
  }
  summary.variant = options.variant ?? variantOfEvidence(evidence) ?? null;
}

/** A command that converts its inputs into one JSONL output (`sft`, `dpo`). */
export interface JsonlCommand {
  name: "sft" | "dpo";
  table: OptionTable;
  /** What to compute, from resolved flags (usage errors are thrown here, before any file is opened). */
  init(o: Values): ConvertInit;
}

export async function runJsonlCommand(command: JsonlCommand, argv: string[], io: CliIo): Promise<number> {
  const args = parseOptions(command.table, argv);
  const o = await resolveOptions(command.table, args);
  const output = o.output as string | undefined;
  if (!output) throw new UsageError("missing -o <output> (a .jsonl or .jsonl.gz file, or - for stdout)");
  if (output === "-" && o.json) throw new UsageError("--json prints on stdout: give -o a file");
  const { threads, shard } = parallelismOf(o);
  const init = { ...command.init(o), ...(shard ? { shard } : {}) };
  const started = performance.now();
  const rejected = (o.rejected as string | undefined) ?? (output === "-" ? "lmsynth.rejected.jsonl" : `${output}.rejected.jsonl`);
  return withClaimedOutputs([{ flag: "-o", path: output }, rejectedOutput(o, rejected)], inputPathsOf(args.positionals, o), async () => {
    const source = await openRecordSource(args.positionals, o, io, rejected);
    const sink = await openJsonlSink<object>(output, { stdout: io.stdout });
    const summary = newSummary(command.name);
    try {
      await convertAll(source, init, { [command.name]: (row: object) => sink.write(row) }, summary, io, { quiet: o.quiet === true, threads, ...variantOption(o) });
    } catch (e) {
      await Promise.allSettled([sink.abort(), source.abort()]);
      throw e;
    }
    const written = await sink.close();
    await source.close();
    finishSummary(summary, source, started);
    summary.outputs = output === "-" ? [] : [written.path];
    printSummary(io, summary, { json: o.json === true, quiet: o.quiet === true });
    return 0;
  });
}

/** The visual report of a converting run (`build`'s report.html, `lmsynth report`): this summary's numbers. */
export function reportHtmlOf(command: string, argv: readonly string[], o: Values, summary: RunSummary, stats: DatasetStats): string {
  return renderReportHtml({
    stats,
    records: summary.records,
    rows: summary.rows,
    funnel: summary.funnel,
    variant: summary.variant,
    ...(typeof o.preset === "string" ? { preset: o.preset } : {}),
    options: recordedOptions(o),
    command: commandLine(command, argv),
    version: VERSION,
  });
}

/** The rejected-lines file as an output to claim: when named, or when `--on-invalid skip` may write it. */
export function rejectedOutput(o: Values, fallback: string | undefined): NamedPath {
  const named = o.rejected as string | undefined;
  return { flag: "--rejected", path: named ?? (o["on-invalid"] === "skip" ? fallback : undefined) };
}

export function newSummary(command: string): RunSummary {
  return { command, variant: null, records: 0, rejected: 0, rows: {}, funnel: {}, outputs: [], seconds: 0 };
}

/** `--variant`, when given, instead of the detected one. */
export function variantOption(o: Values): { variant?: Variant } {
  return o.variant ? { variant: o.variant as Variant } : {};
}

/** Above this share of synth records without their LMSYS record or instruction, the summary warns. */
const UNMATCHED_SHARE_WARNING = 0.01;

/** Fills the fields known only at the end of a run, warnings included. */
export function finishSummary(summary: RunSummary, source: RecordSource, started: number): void {
  summary.rejected = source.rejected();
  if (source.join) summary.join = source.join;
  summary.seconds = (performance.now() - started) / 1000;
  const warnings = warningsOf(summary);
  if (warnings.length > 0) summary.warnings = warnings;
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
  const unknown = Math.max(0, ...Object.values(s.funnel).map((byLang) => Object.values(byLang).reduce((n, f) => n + (f?.["pii-unknown"] ?? 0), 0)));
  if (unknown > 0) {
    warnings.push(`--exclude-pii: ${unknown} skipped as pii-unknown: without their LMSYS record it is unknown whether they hold personal data`);
  }
  return warnings;
}
