import { buildFolderIter, type BuildOptions, type BuildResult } from "../build.js";
import { DEFAULT_ROW_GROUP_BYTES, DEFAULT_SHARD_BYTES, OUTPUT_FORMATS, type OutputFormat } from "@lmsynth/sinks";
import { OptionError } from "@lmsynth/schema";
import { CONVERSION_OPTIONS, DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS, resolveOptions } from "../options/common-options.js";
import { FOLDER_SELECTION_OPTIONS, folderConvertInit } from "../options/conversion-options.js";
import { BYTES, type OptionTable, type OptionValues } from "../options/option-spec.js";
import { exclusionOf, inputPathsOf, sourceOptionsOf } from "../options/source-options.js";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../options/template-options.js";
import { withClaimedOutputs } from "../output-claim.js";
import type { Command, CommandEvent } from "./command.js";
import { argvOf, parallelismOf, rejectedOutput, runOf } from "./run-jsonl.js";

const TABLE = {
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

function formatsOf(value: string): OutputFormat[] {
  const list = value.split(",").map((f) => f.trim()).filter(Boolean);
  for (const f of list) if (!OUTPUT_FORMATS.includes(f as OutputFormat)) throw new OptionError(`--format takes parquet, jsonl and/or arrow; got "${f}"`);
  if (list.length === 0) throw new OptionError("--format is empty");
  return list as OutputFormat[];
}

/** The input files of a run, for the `--resume` fingerprint; stdin cannot be read again, so it is refused. */
function resumeInputsOf(positionals: readonly string[], o: OptionValues<typeof INPUT_OPTIONS>): string[] {
  const files = o.synth ? [...o.synth, ...(o.instructions ?? []), ...(o.lmsys ?? [])] : [...positionals];
  if (files.includes("-")) throw new OptionError("--resume needs input files: stdin cannot be read again");
  return files;
}

/** `lmsynth build`, the main job: the Hub folder of every config asked for, in one pass. */
export const buildCommand: Command<typeof TABLE, BuildResult> = {
  about: "the main job: SFT + DPO (+ KTO) shards in every layout, dataset card and manifest for the Hub, in one pass",
  usage: "lmsynth build <input…> -o <dir>",
  summary:
    "The main job: one streaming pass producing SFT and DPO (and KTO) shards in every layout asked for (Parquet/Arrow/JSONL), a dataset card and a manifest, laid out for the Hub (README: \"Output\", \"Layouts\").",
  table: TABLE,
  async *run(options, context) {
    const o = await resolveOptions(TABLE, options, context.env);
    const inputs = options.inputs ?? [];
    const dir = o.output;
    if (!dir) throw new OptionError("missing -o <dir>");
    const withMeta = o["with-meta"] === true;
    const template = templateSpecOf(o);
    const { threads, tokenizerThreads, shard } = parallelismOf(o);
    const claims = [{ flag: "-o", path: dir }, rejectedOutput(o, undefined)];
    return yield* withClaimedOutputs(claims, inputPathsOf(inputs, o), async function* (): AsyncGenerator<CommandEvent, BuildResult> {
      const exclusion = await exclusionOf(o);
      for (const message of exclusion?.warnings ?? []) yield { event: "warning", message };
      const run = runOf("build", argvOf(options, context), o, exclusion);
      const log: string[] = [];
      const build: BuildOptions = {
        output: dir,
        // rejected.jsonl lives inside the folder unless --rejected names another file.
        source: sourceOptionsOf(inputs, o, context, undefined, exclusion),
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
            ? { resume: { key: { tool: run.tool, version: run.version, options: run.options }, inputs: resumeInputsOf(inputs, o), log: (message: string) => void log.push(message) } }
            : {}),
        },
        withMeta,
        languages: o.lang === "both" ? ["ja", "en"] : [o.lang],
        run,
        threads,
        ...(tokenizerThreads ? { tokenizerThreads } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
      };
      const events = buildFolderIter(build);
      for (;;) {
        const step = await events.next();
        for (const message of log.splice(0)) yield { event: "log", message };
        if (step.done) return step.value;
        yield step.value;
      }
    });
  },
};
