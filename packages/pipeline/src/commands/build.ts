import { buildIter, type BuildOptions } from "@lmsynth/pipeline";

import { DEFAULT_ROW_GROUP_BYTES, DEFAULT_SHARD_BYTES, OUTPUT_FORMATS, type OutputFormat } from "@lmsynth/sinks";
import { CONVERSION_OPTIONS, DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS, resolveOptions } from "../common-options.js";
import { FOLDER_SELECTION_OPTIONS, folderConvertInit } from "../conversion-options.js";
import { withClaimedOutputs } from "../output-claim.js";
import type { CliIo } from "../io.js";
import { BYTES, parseOptions, type OptionTable, type OptionValues } from "../option-table.js";
import { drawProgress, parallelismOf, rejectedOutput, runOf } from "../run-jsonl.js";
import { exclusionOf, inputPathsOf, sourceOptionsOf } from "../source-options.js";
import { noProgress, printSummary } from "../summary.js";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../template-options.js";
import { UsageError } from "../usage-error.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "dir", description: "output folder (must not exist, unless --overwrite)" },
  ...INPUT_OPTIONS,
  ...DELETION_OPTIONS,
  ...CONVERSION_OPTIONS,
  ...FOLDER_SELECTION_OPTIONS,
  "with-meta": { type: "boolean", default: true, description: "meta columns: lang, response_index, score (sft); lang, chosen_index, rejected_index (dpo)" },
  format: { type: "string", arg: "parquet,jsonl,arrow", default: "parquet", description: "shard formats, comma-separated" },
  compression: { type: "string", choices: ["zstd", "snappy", "gzip", "none"] as const, default: "zstd", description: "Parquet compression" },
  "max-shard-bytes": { type: "string", number: BYTES, arg: "bytes", default: DEFAULT_SHARD_BYTES, description: "shard size cut, uncompressed" },
  "max-row-group-bytes": { type: "string", number: BYTES, arg: "bytes", default: DEFAULT_ROW_GROUP_BYTES, description: "row group size cut, uncompressed (each open file holds one in memory)" },
  "test-size": { type: "string", number: { min: 0, max: 1, maxExclusive: true }, arg: "fraction", default: 0, description: "share of conversations in the test split" },
  seed: { type: "string", arg: "seed", default: "0", description: "seed of the split hash and of --pairs best-random" },
  overwrite: { type: "boolean", description: "replace an existing output folder" },
  resume: { type: "boolean", description: "keep finished shards in .<dir>.partial if interrupted, and reuse them when rerun with the same options and inputs" },
  ...TEMPLATE_OPTIONS,
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth build <input…> -o <dir>";
export const SUMMARY =
  "The main job: one streaming pass producing SFT and DPO (and KTO) shards in every layout asked for (Parquet/Arrow/JSONL), a dataset card and a manifest, laid out for the Hub (README: \"Output\", \"Layouts\").";

function formatsOf(value: string): OutputFormat[] {
  const list = value.split(",").map((f) => f.trim()).filter(Boolean);
  for (const f of list) if (!OUTPUT_FORMATS.includes(f as OutputFormat)) throw new UsageError(`--format takes parquet, jsonl and/or arrow; got "${f}"`);
  if (list.length === 0) throw new UsageError("--format is empty");
  return list as OutputFormat[];
}

/** The input files of a run, for the `--resume` fingerprint; stdin cannot be read again, so it is refused. */
function resumeInputsOf(positionals: string[], o: OptionValues<typeof INPUT_OPTIONS>): string[] {
  const files = o.synth ? [...o.synth, ...(o.instructions ?? []), ...(o.lmsys ?? [])] : positionals;
  if (files.includes("-")) throw new UsageError("--resume needs input files: stdin cannot be read again");
  return files;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseOptions(TABLE, argv);
  const o = await resolveOptions(TABLE, args);
  const dir = o.output;
  if (!dir) throw new UsageError("missing -o <dir>");
  const withMeta = o["with-meta"] === true;
  const template = templateSpecOf(o);
  const { threads, tokenizerThreads, shard } = parallelismOf(o, io.env);
  const quiet = noProgress(o);
  const exclusion = await exclusionOf(o, io);
  const run = runOf("build", argv, o, exclusion);
  const options: BuildOptions = {
    output: dir,
    // rejected.jsonl lives inside the folder unless --rejected names another file.
    source: sourceOptionsOf(args.positionals, o, io, undefined, exclusion),
    convert: folderConvertInit(o, { withMeta, template, shard }),
    folder: {
      formats: formatsOf(o.format),
      compression: o.compression,
      maxShardBytes: o["max-shard-bytes"],
      maxRowGroupBytes: o["max-row-group-bytes"],
      testSize: o["test-size"],
      seed: o.seed,
      overwrite: o.overwrite === true,
      ...(o.resume === true
        ? {
            resume: {
              key: { tool: run.tool, version: run.version, options: run.options },
              inputs: resumeInputsOf(args.positionals, o),
              log: (message: string) => void (quiet ? undefined : io.stderr.write(`${message}\n`)),
            },
          }
        : {}),
    },
    withMeta,
    languages: (o.lang === "both" ? ["ja", "en"] : [o.lang]),
    run,
    threads,
    ...(tokenizerThreads ? { tokenizerThreads } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  };
  const claims = [{ flag: "-o", path: dir }, rejectedOutput(o, undefined)];
  return withClaimedOutputs(claims, inputPathsOf(args.positionals, o), async () => {
    const { summary } = await drawProgress(buildIter(options), io, quiet);
    printSummary(io, summary, { json: o.json === true, silent: o.silent === true });
    return 0;
  });
}
