import { createDatasetStats, type DatasetStats } from "@lmsynth/report";
import { UsageError, type DpoRow, type Funnel, type Lang, type SftRow } from "@lmsynth/schema";
import { dpoColumns, openDatasetFolder, sftColumns, type Compression, type ConfigName, type OutputFormat } from "@lmsynth/shards";
import { CONVERSION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS, resolveOptions } from "../common-options.js";
import { FOLDER_SELECTION_OPTIONS, folderConvertInit } from "../conversion-options.js";
import { inputPathsOf, openRecordSource } from "../inputs.js";
import { withClaimedOutputs } from "../output-claim.js";
import type { CliIo } from "../io.js";
import { VERSION } from "../main.js";
import { BYTES, parseOptions, type OptionTable } from "../option-table.js";
import { convertAll, finishSummary, newSummary, parallelismOf, rejectedOutput, reportHtmlOf, variantOption } from "../run-jsonl.js";
import { commandLine, recordedOptions } from "../run-record.js";
import { printSummary, type RunSummary } from "../summary.js";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../template-options.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "dir", description: "output folder (must not exist, unless --overwrite)" },
  ...INPUT_OPTIONS,
  ...CONVERSION_OPTIONS,
  ...FOLDER_SELECTION_OPTIONS,
  "with-meta": { type: "boolean", default: true, description: "meta columns: lang, response_index, score (sft); lang, chosen_index, rejected_index (dpo)" },
  format: { type: "string", arg: "parquet,jsonl,arrow", default: "parquet", description: "shard formats, comma-separated" },
  compression: { type: "string", choices: ["zstd", "snappy", "gzip", "none"], default: "zstd", description: "Parquet compression" },
  "max-shard-bytes": { type: "string", number: BYTES, arg: "bytes", default: 500_000_000, description: "shard size cut, uncompressed" },
  "max-row-group-bytes": { type: "string", number: BYTES, arg: "bytes", default: 32_000_000, description: "row group size cut, uncompressed (each open file holds one in memory)" },
  "test-size": { type: "string", number: { min: 0, max: 1, maxExclusive: true }, arg: "fraction", default: 0, description: "share of conversations in the test split" },
  seed: { type: "string", arg: "seed", default: "0", description: "seed of the split hash" },
  overwrite: { type: "boolean", description: "replace an existing output folder" },
  resume: { type: "boolean", description: "keep finished shards in .<dir>.partial if interrupted, and reuse them when rerun with the same options and inputs" },
  ...TEMPLATE_OPTIONS,
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth build <input…> -o <dir>";
export const SUMMARY =
  "The main job: one streaming pass producing SFT and DPO shards (Parquet/Arrow/JSONL), a dataset card and a manifest, laid out for the Hub (behaviour.md §6).";

const FORMATS: readonly OutputFormat[] = ["parquet", "jsonl", "arrow"];

function formatsOf(value: string): OutputFormat[] {
  const list = value.split(",").map((f) => f.trim()).filter(Boolean);
  for (const f of list) if (!FORMATS.includes(f as OutputFormat)) throw new UsageError(`--format takes parquet, jsonl and/or arrow; got "${f}"`);
  if (list.length === 0) throw new UsageError("--format is empty");
  return list as OutputFormat[];
}

/**
 * The raw counters a build keeps in `manifest.stats`: the report's statistics and the per-language funnel,
 * everything `renderReportHtml` needs besides what the manifest already holds, summed key by key when
 * `merge-manifests` combines `--shard` parts.
 */
export interface BuildStats {
  dataset: DatasetStats;
  funnel: RunSummary["funnel"];
}

/** The input files of a run, for the `--resume` fingerprint; stdin cannot be read again, so it is refused. */
function resumeInputsOf(positionals: string[], o: Record<string, unknown>): string[] {
  const synth = o.synth as string[] | undefined;
  const files = synth ? [...synth, ...((o.instructions as string[] | undefined) ?? []), ...((o.lmsys as string[] | undefined) ?? [])] : positionals;
  if (files.includes("-")) throw new UsageError("--resume needs input files: stdin cannot be read again");
  return files;
}

/** The funnel of one output summed over languages, as the card shows it. */
function funnelOf(byLang: Partial<Record<Lang, Funnel>> | undefined): Funnel {
  const out: Funnel = {};
  for (const f of Object.values(byLang ?? {})) for (const [k, n] of Object.entries(f ?? {})) out[k as keyof Funnel] = (out[k as keyof Funnel] ?? 0) + n;
  return out;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseOptions(TABLE, argv);
  const o = await resolveOptions(TABLE, args);
  const dir = o.output as string | undefined;
  if (!dir) throw new UsageError("missing -o <dir>");
  const configs: ConfigName[] = [...(o.sft ? ["sft" as const] : []), ...(o.dpo ? ["dpo" as const] : [])];
  if (configs.length === 0) throw new UsageError("--no-sft and --no-dpo together leave nothing to build");
  const withMeta = o["with-meta"] === true;
  const template = templateSpecOf(o);
  const { threads, shard } = parallelismOf(o);
  const init = folderConvertInit(o, { withMeta, template, shard });
  const stats = createDatasetStats();
  const started = performance.now();
  const options = recordedOptions(o);
  const quiet = o.quiet === true;
  // rejected.jsonl lives inside the folder unless --rejected names another file.
  const claims = [{ flag: "-o", path: dir }, rejectedOutput(o, undefined)];
  return withClaimedOutputs(claims, inputPathsOf(args.positionals, o), async () => {
    const folder = await openDatasetFolder(dir, {
      configs,
      formats: formatsOf(o.format as string),
      compression: o.compression as Compression,
      maxShardBytes: o["max-shard-bytes"] as number,
      maxRowGroupBytes: o["max-row-group-bytes"] as number,
      testSize: o["test-size"] as number,
      seed: o.seed as string,
      overwrite: o.overwrite === true,
      sftColumns: sftColumns({ meta: withMeta, text: template !== undefined }),
      dpoColumns: withMeta
        ? [...dpoColumns({ meta: true }), { name: "chosen_index", type: "int32", nullable: true }, { name: "rejected_index", type: "int32", nullable: true }]
        : dpoColumns({ meta: false }),
      ...(io.signal ? { signal: io.signal } : {}),
      ...(o.resume === true
        ? {
            resume: {
              key: { tool: "lmsynth", version: VERSION, options },
              inputs: resumeInputsOf(args.positionals, o),
              log: (message: string) => void (quiet ? undefined : io.stderr.write(`${message}\n`)),
            },
          }
        : {}),
    });
    const summary = newSummary("build");
    let source;
    try {
      source = await openRecordSource(args.positionals, o, io, () => folder.openJsonl("rejected.jsonl"));
      const write = { sft: (row: object) => folder.writeSft(row as SftRow), dpo: (row: object) => folder.writeDpo(row as DpoRow) };
      await convertAll(source, init, write, summary, io, { quiet, threads, stats, ...variantOption(o) });
      await source.close();
      finishSummary(summary, source, started);
      const variant = summary.variant ?? undefined;
      const command = commandLine("build", argv);
      // The visual report: its numbers are this summary's; the card links it.
      await folder.writeText("report.html", reportHtmlOf("build", argv, o, summary, stats));
      const result = await folder.close({
        tool: "lmsynth",
        version: VERSION,
        command,
        options,
        inputs: await source.inputFiles(),
        records: summary.records,
        funnel: Object.fromEntries(configs.map((c) => [c, funnelOf(summary.funnel[c])])),
        ...(variant ? { variant } : {}),
        languages: (o.lang === "both" ? ["ja", "en"] : [o.lang]) as Lang[],
        // What `merge-manifests` sums to re-render report.html for merged `--shard` parts.
        stats: { dataset: stats, funnel: summary.funnel } satisfies BuildStats,
      });
      summary.outputs = result.manifest.files.map((f) => f.path);
      if (o.resume === true) summary.reusedShards = result.reusedShards;
    } catch (e) {
      await Promise.allSettled([folder.abort(), source?.abort()]);
      throw e;
    }
    summary.seconds = (performance.now() - started) / 1000;
    printSummary(io, summary, { json: o.json === true, quiet });
    return 0;
  });
}
