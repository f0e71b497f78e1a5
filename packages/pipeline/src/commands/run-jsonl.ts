import { convertAll, finishSummary, threadsOf } from "../convert-all.js";
import type { BuildRun } from "../build.js";
import type { ConvertInit } from "../convert-record.js";
import { openRecordSource, type RecordSource } from "../record-source.js";
import { EXCLUDE_IDS_OPTION, newSummary, type RunSummary } from "../run-summary.js";
import { openJsonlSink, type RowSink, type WrittenFile } from "@lmsynth/sinks";
import { OptionError } from "@lmsynth/schema";
import type { IdList } from "@lmsynth/reader";
import { CONVERSION_OPTIONS, DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS, resolveOptions } from "../options/common-options.js";
import { TEMPLATE_OPTIONS } from "../options/template-options.js";
import { exclusionOf, inputPathsOf, sourceOptionsOf } from "../options/source-options.js";
import type { OptionSpec, OptionTable, OptionValues, ParsedValue, ResolvedValues } from "../options/option-spec.js";
import { withClaimedOutputs, type NamedPath } from "../output-claim.js";
import { commandLine, recordedOptions } from "../run-record.js";
import { VERSION } from "../version.js";
import type { Command, CommandContext, CommandEvent } from "./command.js";

type Values = Record<string, ParsedValue | undefined>;

/** `--threads` (default: cores, at most 4 per core), `--tokenizer-threads` and `--shard i/N` from resolved options. */
export function parallelismOf(o: OptionValues<typeof CONVERSION_OPTIONS> & { seed?: string }): { threads: number; tokenizerThreads?: number; shard?: ConvertInit["shard"] } {
  const threads = threadsOf(o.threads);
  const tokenizerThreads = o["tokenizer-threads"];
  if (tokenizerThreads !== undefined && tokenizerThreads > threads) throw new OptionError(`--tokenizer-threads ${tokenizerThreads} is more than --threads ${threads}: a copy would count for no worker`);
  const counting = tokenizerThreads === undefined ? {} : { tokenizerThreads };
  if (o.shard === undefined) return { threads, ...counting };
  const m = /^(\d+)\/(\d+)$/.exec(String(o.shard));
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new OptionError(`--shard takes i/N with 0 ≤ i < N, or auto, got "${o.shard}"`);
  return { threads, ...counting, shard: { index, count, seed: String(o.seed ?? "0") } };
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

/** What every JSONL command's table holds: `-o`, the input flags, and the conversion flags. */
type JsonlTable = typeof INPUT_OPTIONS & typeof DELETION_OPTIONS & typeof CONVERSION_OPTIONS & typeof GENERAL_OPTIONS & { output: OptionSpec & { type: "string" } };

/**
 * A command that converts its inputs into one JSONL output (`sft`, `dpo`, `kto`): `init` says what to
 * compute from the resolved options (option errors are thrown there, before any file is opened).
 */
export function jsonlCommand<T extends JsonlTable>(
  name: string,
  about: Omit<Command<T, { summary: RunSummary }>, "run">,
  init: (o: ResolvedValues<T>) => ConvertInit,
): Command<T, { summary: RunSummary }> {
  return {
    ...about,
    async *run(options, context) {
      const values = await resolveOptions(about.table, options, context.env);
      // T extends JsonlTable, so its values hold JsonlTable's; TypeScript cannot follow that through the mapped type.
      const o = values as ResolvedValues<JsonlTable>;
      const output = o.output;
      if (!output) throw new OptionError("missing -o <output> (a .jsonl or .jsonl.gz file, or - for stdout)");
      const { threads, tokenizerThreads, shard } = parallelismOf(o);
      // Rows are written as the workers encoded them.
      const convert: ConvertInit = { ...init(values), ...(shard ? { shard } : {}), encode: "json" };
      const started = performance.now();
      const inputs = options.inputs ?? [];
      const rejected = o.rejected ?? (output === "-" ? "lmsynth.rejected.jsonl" : `${output}.rejected.jsonl`);
      return yield* withClaimedOutputs([{ flag: "-o", path: output }, rejectedOutput(o, rejected)], inputPathsOf(inputs, o), async function* (): AsyncGenerator<CommandEvent, { summary: RunSummary }> {
        const exclusion = await exclusionOf(o);
        for (const message of exclusion?.warnings ?? []) yield { event: "warning", message };
        const source = await openRecordSource(sourceOptionsOf(inputs, o, context, rejected, exclusion));
        const sink = await openJsonlSink<object>(output, context.stdout ? { stdout: context.stdout } : {});
        const summary = newSummary(name);
        const write = { [name]: (line: object | string) => sink.writeLine(line as string) };
        const written = yield* intoSink(source, sink, convertAll(source, convert, write, summary, { threads, ...(tokenizerThreads ? { tokenizerThreads } : {}), ...(context.signal ? { signal: context.signal } : {}) }));
        finishSummary(summary, source, started);
        summary.outputs = output === "-" ? [] : [written.path];
        return { summary };
      });
    },
  };
}

/**
 * Runs `body`, which reads `source` and writes `sink`: when it fails both are aborted (no output is left,
 * nor the rejected lines); when it ends the sink is committed, then the source closed. Returns the file.
 */
export async function* intoSink<E>(source: RecordSource, sink: RowSink<object>, body: AsyncGenerator<E, unknown>): AsyncGenerator<E, WrittenFile> {
  try {
    yield* body;
  } catch (e) {
    await Promise.allSettled([sink.abort(), source.abort()]);
    throw e;
  }
  const written = await sink.close();
  await source.close();
  return written;
}

/** The rejected-lines file as an output to claim: when named, or when `--on-invalid skip` may write it. */
export function rejectedOutput(o: OptionValues<typeof INPUT_OPTIONS>, fallback: string | undefined): NamedPath {
  const named = o.rejected;
  return { flag: "--rejected", path: named ?? (o["on-invalid"] === "skip" ? fallback : undefined) };
}

/** The command line of a run, for the manifest: the CLI's own (`context.argv`), or for a Node API call the one
 * that gives `options`: its inputs, then each option as its flag, in the options' order. */
export function argvOf(options: object & { inputs?: readonly string[] }, context: Pick<CommandContext, "argv">): readonly string[] {
  if (context.argv) return context.argv;
  const argv = [...(options.inputs ?? [])];
  for (const [name, value] of Object.entries(options) as [string, unknown][]) {
    if (name === "inputs" || value === undefined) continue;
    if (value === true) argv.push(`--${name}`);
    else if (value === false) argv.push(`--no-${name}`);
    else if (Array.isArray(value)) argv.push(`--${name}`, ...value.map(String));
    else argv.push(`--${name}`, String(value));
  }
  return argv;
}
