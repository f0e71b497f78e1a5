import { readFile } from "node:fs/promises";
import { z } from "zod";
import { DEFAULT_MAX_LINE_BYTES } from "@lmsynth/reader";
import { OptionError, REASONING_KEYS, VARIANTS, VARIANT_TABLE, type ReasoningKey } from "@lmsynth/schema";
import { templateTraceFields } from "@lmsynth/templates";
import { SHARD_ENGINE_OPTION, shardOfEnvironment } from "../shard-environment.js";
import { checkValue, type OptionSpec, type OptionTable, type OptionValues, type ResolvedValues, type ParsedValue } from "./option-spec.js";

/** Flags every command shares. */
export const GENERAL_OPTIONS = {
  help: { type: "boolean", short: "h", description: "show this help" },
  quiet: { type: "boolean", short: "q", description: "no progress on stderr (the summary stays)" },
  silent: { type: "boolean", description: "nothing on stderr but errors: no progress, no summary, no warnings" },
  json: { type: "boolean", description: "print the summary as JSON on stdout" },
} satisfies OptionTable;

/** Flags that say what to read and how to treat bad lines. */
export const INPUT_OPTIONS = {
  synth: { type: "string", multiple: true, files: true, arg: "file…", description: "synth file: join the unmerged sources on the fly (instead of a merged input)" },
  instructions: { type: "string", multiple: true, files: true, arg: "file…", description: "Japanese instructions (.jsonl.gz or .gpg) to join with --synth" },
  lmsys: { type: "string", multiple: true, files: true, arg: "file…", description: "LMSYS-Chat-1M export (JSONL/gzip) or Parquet shards to join with --synth" },
  "keep-unmatched": { type: "boolean", description: "append LMSYS records without synth data (in LMSYS order)" },
  languages: { type: "string", arg: "list|all", default: "Japanese,English", description: "LMSYS Parquet export filter: languages kept" },
  "drop-flagged": { type: "boolean", default: true, description: "LMSYS Parquet export filter: drop conversations with a moderation-flagged message" },
  variant: { type: "string", choices: VARIANTS, description: "variant, instead of detecting it from the fields" },
  "passphrase-file": { type: "string", arg: "file", description: "passphrase of OpenPGP inputs (or env LMSYNTH_PASSPHRASE)" },
  "on-invalid": { type: "string", choices: ["fail", "skip"] as const, default: "fail", description: "a bad line stops the run (exit 2) or is set aside" },
  rejected: { type: "string", arg: "file", description: "where skipped lines go (default <output>.rejected.jsonl)" },
  "max-line-bytes": {
    type: "string",
    number: { min: 1 << 20, integer: true },
    arg: "bytes",
    default: DEFAULT_MAX_LINE_BYTES,
    description: "longest input line accepted; a longer one is an error at its line",
  },
} satisfies OptionTable;

/** Deletion requests: every command that converts (sft, dpo, build, merge, report) takes them. */
export const DELETION_OPTIONS = {
  "exclude-ids": {
    type: "string",
    multiple: true,
    files: true,
    arg: "file…",
    description: "deletion requests: conversation_ids (one per line, or JSON lines; gzip accepted) that reach no output, counted as deleted",
  },
} satisfies OptionTable;

/** Record filters and selection, shared by sft, dpo and build (behaviour.md §2–3). */
export const CONVERSION_OPTIONS = {
  preset: { type: "string", choices: VARIANTS.flatMap((v) => Object.keys(VARIANT_TABLE[v].presets)), description: "bundle of options used for a Swallow release; flags override it" },
  config: { type: "string", arg: "file", description: "JSON file of options (flag names as keys); flags override it" },
  lang: { type: "string", choices: ["ja", "en", "both"] as const, default: "ja", description: "Japanese, English, or both (ja rows, then en rows, per record)" },
  "exclude-pii": { type: "boolean", description: "skip records with redacted personal data" },
  "exclude-template": { type: "boolean", description: "skip template instructions (is_template_instruction set)" },
  system: { type: "string", arg: "text", description: "system message put first" },
  reasoning: { type: "string", choices: ["keep", "drop"] as const, default: "keep", description: "keep the responses' reasoning traces (GPT-OSS) on their assistant messages, or drop them" },
  "reasoning-key": {
    type: "string",
    choices: REASONING_KEYS,
    description: "message key of the kept reasoning traces: thinking (gpt-oss/Harmony templates), reasoning_content (Qwen3/DeepSeek), or both (default: the key the --template reads, else reasoning_content)",
  },
  threads: { type: "string", number: { min: 1, integer: true }, arg: "n", description: "worker threads that parse and convert (default: the machine's cores)" },
  "tokenizer-threads": {
    type: "string",
    number: { min: 1, integer: true },
    arg: "n",
    description: "threads that each hold one copy of the --tokenizer and count for every worker (default 1: a real model's takes about 400 MB in use)",
  },
  shard: {
    type: "string",
    arg: "i/N|auto",
    description: "only part i of N (a seeded hash of conversation_id); N runs give disjoint parts; auto: from Slurm, Kubernetes (with LMSYNTH_SHARD_COUNT), AWS Batch, Cloud Run, GitLab or LMSYNTH_SHARD_INDEX/LMSYNTH_SHARD_COUNT",
  },
} satisfies OptionTable;

/**
 * What each preset sets, from the variant table (input-format.md §6): the selection of a Swallow release.
 * The variant is still detected from the data, so a preset on another variant's file is reported as it is.
 */
export const PRESETS: Record<string, Record<string, ParsedValue>> = Object.fromEntries(
  VARIANTS.flatMap((v) => Object.entries(VARIANT_TABLE[v].presets).map(([name, flags]) => [name, { ...flags }])),
);

/** A zod schema of a config file, derived from the command's option table so that both stay one list. */
export function configSchema(table: OptionTable): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(table)) {
    if (name === "config" || name === "help") continue;
    shape[name] = fieldSchema(spec).optional();
  }
  return z.strictObject(shape);
}

function fieldSchema(spec: OptionSpec): z.ZodType {
  if (spec.type === "boolean") return z.boolean();
  if (spec.multiple) return z.union([z.string(), z.array(z.string())]);
  if (spec.number) return z.number();
  if (spec.choices) return z.enum(spec.choices as [string, ...string[]]);
  return z.string();
}

/** The options of a `--config` file, each checked against `table`. @throws OptionError naming the file and key. */
export async function readConfig(path: string, table: OptionTable): Promise<Record<string, ParsedValue>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new OptionError(`--config ${path}: cannot read (${(e as NodeJS.ErrnoException).code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new OptionError(`--config ${path}: malformed JSON: ${(e as Error).message}`);
  }
  const parsed = configSchema(table).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join(".") || (issue.code === "unrecognized_keys" ? issue.keys.join(", ") : "");
    throw new OptionError(`--config ${path}: ${key ? `"${key}": ` : ""}${issue.message}`);
  }
  const out: Record<string, ParsedValue> = {};
  for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) out[k] = checkValue(k, table[k]!, v);
  return out;
}

/**
 * The options in force: table defaults, then the preset, then the config file, then the options given (the
 * flags of the command line, or a Node API call's options object), each checked against its spec. Keys
 * are flag names; `inputs` (the input files) is not an option. A preset may name flags the command does not
 * have (e.g. `multiturn` for dpo); those are dropped. `--shard auto` becomes the `i/N` the scale-out engine's
 * environment gives (`shardOfEnvironment`), with the engine and its variables as `shard-engine`, so that
 * both are recorded.
 * @throws OptionError for an unknown option, a value its spec refuses, a config file that cannot be read.
 */
export async function resolveOptions<T extends OptionTable>(
  table: T,
  values: OptionValues<T> & { inputs?: readonly string[] },
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<ResolvedValues<T>> {
  const given: Record<string, ParsedValue> = {};
  for (const [name, value] of Object.entries(values) as [string, unknown][]) {
    if (name === "inputs" || value === undefined) continue;
    const spec = table[name];
    if (!spec) throw new OptionError(`unknown option "${name}": the options are the command's flags (lmsynth <command> --help), by name`);
    given[name] = checkValue(name, spec, value);
  }
  const config = typeof given.config === "string" ? await readConfig(given.config, table) : {};
  const presetName = (given.preset ?? config.preset) as string | undefined;
  const preset = presetName ? PRESETS[presetName] ?? {} : {};
  const out: Record<string, ParsedValue | undefined> = {};
  for (const [name, spec] of Object.entries(table)) if (spec.default !== undefined) out[name] = spec.default;
  for (const layer of [preset, config, given]) {
    for (const [k, v] of Object.entries(layer)) if (k in table && v !== undefined) out[k] = v;
  }
  if ("reasoning-key" in table && out["reasoning-key"] === undefined) out["reasoning-key"] = await templateReasoningKey(out.template);
  if ("shard" in table && out.shard === "auto") {
    const found = shardOfEnvironment(env);
    out.shard = `${found.index}/${found.count}`;
    out[SHARD_ENGINE_OPTION] = `${found.engine}: ${found.variables.join(", ")}`;
  }
  // Defaults, presets and config values are checked against the same specs (checkValue).
  return out as ResolvedValues<T>;
}

/**
 * The `--reasoning-key` a template reads: `thinking` (gpt-oss/Harmony), `reasoning_content` (Qwen3/DeepSeek),
 * `both` when it reads both; `reasoning_content` without a template or when it reads neither. A template file
 * that cannot be read is reported where the conversion opens it.
 */
async function templateReasoningKey(template: ParsedValue | undefined): Promise<ReasoningKey> {
  const fields = typeof template === "string" ? await templateTraceFields(template).catch(() => []) : [];
  return fields.length === 2 ? "both" : (fields[0] ?? "reasoning_content");
}
