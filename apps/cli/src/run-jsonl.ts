import { UsageError, type Lang, type SkipReason } from "@lmsynth/schema";
import { openJsonlSink } from "@lmsynth/shards";
import { resolveOptions } from "./common-options.js";
import { openRecordSource, type RecordSource } from "./inputs.js";
import type { CliIo } from "./io.js";
import { parseOptions, type OptionTable, type ParsedValue } from "./option-table.js";
import { startProgress } from "./progress.js";
import { countSkip, printSummary, type RunSummary } from "./summary.js";
import type { MergedRecord } from "@lmsynth/schema";

/** One output of a conversion run: a pure converter and where its rows go. */
export interface ConversionOutput {
  name: string;
  convert(record: MergedRecord): { rows: readonly object[]; skips: ReadonlyArray<{ lang: Lang; reason: SkipReason }>; droppedPairs?: number };
  write(row: object): Promise<void>;
}

/**
 * Reads every record once and feeds each output (behaviour.md §6: one pass). Counts rows and skips into
 * `summary`; a failure propagates after the caller's sinks see nothing more.
 */
export async function convertAll(source: RecordSource, outputs: readonly ConversionOutput[], summary: RunSummary, io: CliIo, quiet: boolean): Promise<void> {
  const progress = startProgress(io, quiet, source.read, source.totalBytes);
  for (const out of outputs) summary.rows[out.name] = 0;
  try {
    for await (const { record } of source.records) {
      summary.records++;
      for (const out of outputs) {
        const result = out.convert(record);
        for (const skip of result.skips) countSkip(summary, out.name, skip.lang, skip.reason);
        for (const row of result.rows) await out.write(row);
        summary.rows[out.name]! += result.rows.length;
        if (result.droppedPairs) summary.droppedPairs = (summary.droppedPairs ?? 0) + result.droppedPairs;
      }
      progress.tick(summary.records);
    }
  } finally {
    progress.stop();
  }
}

/** A command that converts its inputs into one JSONL output (`sft`, `dpo`). */
export interface JsonlCommand {
  name: string;
  table: OptionTable;
  /** Builds the converter from resolved flags (usage errors thrown here, before any file is opened). */
  converter(o: Record<string, ParsedValue | undefined>): ConversionOutput["convert"] | Promise<ConversionOutput["convert"]>;
}

export async function runJsonlCommand(command: JsonlCommand, argv: string[], io: CliIo): Promise<number> {
  const args = parseOptions(command.table, argv);
  const o = await resolveOptions(command.table, args);
  const output = o.output as string | undefined;
  if (!output) throw new UsageError("missing -o <output> (a .jsonl or .jsonl.gz file, or - for stdout)");
  if (output === "-" && o.json) throw new UsageError("--json prints on stdout: give -o a file");
  const convert = await command.converter(o);
  const started = performance.now();
  const source = await openRecordSource(args.positionals, o, io, output === "-" ? "lmsynth.rejected.jsonl" : `${output}.rejected.jsonl`);
  const sink = await openJsonlSink<object>(output, { stdout: io.stdout });
  const summary: RunSummary = { command: command.name, variant: null, records: 0, rejected: 0, rows: {}, funnel: {}, outputs: [], seconds: 0 };
  try {
    await convertAll(source, [{ name: command.name, convert, write: (row) => sink.write(row) }], summary, io, o.quiet === true);
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
}

/** Fills the fields known only at the end of a run. */
export function finishSummary(summary: RunSummary, source: RecordSource, started: number): void {
  summary.variant = source.variant() ?? null;
  summary.rejected = source.rejected();
  if (source.join) summary.join = source.join;
  summary.seconds = (performance.now() - started) / 1000;
}
