import { EXCLUDE_IDS_OPTION, SHARD_ENGINE_OPTION, convertAll, shardOfEnvironment, finishSummary, newSummary, openRecordSource, threadsOf, type BuildRun, type ConvertInit, type ConvertProgress } from "@lmsynth/pipeline";

import { openJsonlSink } from "@lmsynth/sinks";
import { CONVERSION_OPTIONS, DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS, resolveOptions } from "./common-options.js";
import { TEMPLATE_OPTIONS } from "./template-options.js";
import type { CliIo } from "./io.js";
import { VERSION } from "./main.js";
import { withClaimedOutputs, type NamedPath } from "./output-claim.js";
import { parseOptions, type OptionSpec, type OptionTable, type OptionValues, type ParsedValue, type ResolvedValues } from "./option-table.js";
import { startProgress } from "./progress.js";
import { commandLine, recordedOptions } from "./run-record.js";
import { exclusionOf, inputPathsOf, sourceOptionsOf } from "./source-options.js";
import type { IdList } from "@lmsynth/reader";
import { printSummary, noProgress } from "./summary.js";
import { UsageError } from "./usage-error.js";

type Values = Record<string, ParsedValue | undefined>;

/**
 * `--threads` (default: cores, at most 4 per core) and `--shard i/N` from resolved flags. `--shard auto` reads
 * the part from the scale-out engine's environment (`shardOfEnvironment`) and sets `o.shard` to the `i/N` it
 * found, with the engine and variables in `o["shard-engine"]`, so that both are recorded.
 */
export function parallelismOf(
  o: OptionValues<typeof CONVERSION_OPTIONS> & { seed?: string },
  env: Readonly<Record<string, string | undefined>>,
): { threads: number; tokenizerThreads?: number; shard?: ConvertInit["shard"] } {
  const threads = threadsOf(o.threads);
  const tokenizerThreads = o["tokenizer-threads"];
  if (tokenizerThreads !== undefined && tokenizerThreads > threads) throw new UsageError(`--tokenizer-threads ${tokenizerThreads} is more than --threads ${threads}: a copy would count for no worker`);
  const counting = tokenizerThreads === undefined ? {} : { tokenizerThreads };
  if (o.shard === undefined) return { threads, ...counting };
  if (o.shard === "auto") {
    const found = shardOfEnvironment(env);
    o.shard = `${found.index}/${found.count}`;
    (o as Record<string, unknown>)[SHARD_ENGINE_OPTION] = `${found.engine}: ${found.variables.join(", ")}`;
  }
  const m = /^(\d+)\/(\d+)$/.exec(String(o.shard));
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new UsageError(`--shard takes i/N with 0 ≤ i < N, or auto, got "${o.shard}"`);
  return { threads, ...counting, shard: { index, count, seed: String(o.seed ?? "0") } };
}

/** Draws progress events on stderr (a TTY without `--quiet`) until the events end. */
export async function drawProgress<R>(events: AsyncGenerator<ConvertProgress | { event: "phase" }, R>, io: CliIo, quiet: boolean): Promise<R> {
  let progress: ReturnType<typeof startProgress> | undefined;
  const read = { bytesRead: 0 };
  try {
    for (;;) {
      const step = await events.next();
      if (step.done) return step.value;
      if (step.value.event !== "progress") continue;
      read.bytesRead = step.value.bytesRead;
      progress ??= startProgress(io, quiet, read, step.value.totalBytes);
      progress.tick(step.value.records);
    }
  } finally {
    progress?.stop();
  }
}

/** Who ran this and how, for the card, the manifest and the report. */
export function runOf(command: string, argv: readonly string[], o: Values, exclusion?: IdList): BuildRun {
  return {
    tool: "lmsynth",
    version: VERSION,
    command: commandLine(command, argv),
    // A deletion list is recorded by its sha256, never its contents or path.
    options: { ...recordedOptions(o), ...(exclusion ? { [EXCLUDE_IDS_OPTION]: exclusion.files.map((f) => f.sha256) } : {}) },
    ...(typeof o.preset === "string" ? { preset: o.preset } : {}),
  };
}

/**
 * The option table of a JSONL command: `-o`, the input, deletion and conversion flags, the command's own
 * (`own`), `--with-meta` (what it adds: `meta`), the template flags, the general ones, in that help order.
 */
export function jsonlTable<T extends OptionTable>(own: T, meta: string) {
  return {
    output: { type: "string", short: "o", arg: "file", description: "output .jsonl, .jsonl.gz, or - for stdout" },
    ...INPUT_OPTIONS,
    ...DELETION_OPTIONS,
    ...CONVERSION_OPTIONS,
    ...own,
    "with-meta": { type: "boolean", description: meta },
    ...TEMPLATE_OPTIONS,
    ...GENERAL_OPTIONS,
  } as const satisfies OptionTable;
}

/** A command that converts its inputs into one JSONL output (`sft`, `dpo`, `kto`). */
export interface JsonlCommand<T extends JsonlTable> {
  /** The command, and the name of its one output in `init`. */
  name: string;
  table: T;
  /** What to compute, from resolved flags (usage errors are thrown here, before any file is opened). */
  init(o: ResolvedValues<T>): ConvertInit;
}

/** What every JSONL command's table holds: `-o`, the input flags, and the conversion flags. */
type JsonlTable = typeof INPUT_OPTIONS & typeof DELETION_OPTIONS & typeof CONVERSION_OPTIONS & typeof GENERAL_OPTIONS & { output: OptionSpec & { type: "string" } };

export async function runJsonlCommand<T extends JsonlTable>(command: JsonlCommand<T>, argv: string[], io: CliIo): Promise<number> {
  const args = parseOptions(command.table, argv);
  const values = await resolveOptions(command.table, args);
  // T extends JsonlTable, so its values hold JsonlTable's; TypeScript cannot follow that through the mapped type.
  const o = values as ResolvedValues<JsonlTable>;
  const output = o.output;
  if (!output) throw new UsageError("missing -o <output> (a .jsonl or .jsonl.gz file, or - for stdout)");
  if (output === "-" && o.json) throw new UsageError("--json prints on stdout: give -o a file");
  const { threads, tokenizerThreads, shard } = parallelismOf(o, io.env);
  const init = { ...command.init(values), ...(shard ? { shard } : {}) };
  const started = performance.now();
  const rejected = o.rejected ?? (output === "-" ? "lmsynth.rejected.jsonl" : `${output}.rejected.jsonl`);
  return withClaimedOutputs([{ flag: "-o", path: output }, rejectedOutput(o, rejected)], inputPathsOf(args.positionals, o), async () => {
    const exclusion = await exclusionOf(o, io);
    const source = await openRecordSource(sourceOptionsOf(args.positionals, o, io, rejected, exclusion));
    const sink = await openJsonlSink<object>(output, { stdout: io.stdout });
    const summary = newSummary(command.name);
    try {
      const write = { [command.name]: (row: object) => sink.write(row) };
      await drawProgress(convertAll(source, init, write, summary, { threads, ...(tokenizerThreads ? { tokenizerThreads } : {}), ...(io.signal ? { signal: io.signal } : {}) }), io, noProgress(o));
    } catch (e) {
      await Promise.allSettled([sink.abort(), source.abort()]);
      throw e;
    }
    const written = await sink.close();
    await source.close();
    finishSummary(summary, source, started);
    summary.outputs = output === "-" ? [] : [written.path];
    printSummary(io, summary, { json: o.json === true, silent: o.silent === true });
    return 0;
  });
}

/** The rejected-lines file as an output to claim: when named, or when `--on-invalid skip` may write it. */
export function rejectedOutput(o: OptionValues<typeof INPUT_OPTIONS>, fallback: string | undefined): NamedPath {
  const named = o.rejected;
  return { flag: "--rejected", path: named ?? (o["on-invalid"] === "skip" ? fallback : undefined) };
}
