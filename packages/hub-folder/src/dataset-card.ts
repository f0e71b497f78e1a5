import { FUNNEL_NOTES, LMSYS_LICENSE, VARIANT_TABLE, orderedFunnel, type DatasetLicense, type Lang, type Variant } from "@lmsynth/schema";
import { CARD_FORMAT_ORDER, FILE_FORMATS, featuresYaml, type ColumnSpec, type OutputFormat, type WrittenFile } from "@lmsynth/sinks";
import type { DatasetCardSettings } from "./folder-layout.js";
import { totalRows, type DatasetCounts, type DatasetManifest } from "./dataset-manifest.js";
import type { SplitName } from "./split-of.js";

/** One `configs` entry of the card: a config name and, per split with rows, its files (relative paths). */
export interface CardConfig {
  name: string;
  /** The config `load_dataset(repo)` picks without a name. */
  isDefault: boolean;
  splits: { split: SplitName; paths: string[]; rows: number; bytes: number }[];
  /** Its columns, for `dataset_info`; absent for folders built before they were recorded. */
  columns?: ColumnSpec[];
  /** What reads it as it is (`TRL SFTTrainer`). */
  reader?: string;
}

/** Files of a format the card does not declare (one builder reads one format), and how to load them. */
export interface OtherFormat {
  format: OutputFormat;
  /** Glob per config and split, e.g. `sft/train-*.jsonl`. */
  globs: { config: string; split: SplitName; glob: string }[];
}

/** Everything the dataset card states. */
export interface DatasetCardInput {
  /** Heading and `pretty_name`. Default `LMSYS-Chat-1M-Synth: SFT and DPO`. */
  title?: string;
  tool: string;
  version: string;
  /** The exact command line, shown verbatim. */
  command: string;
  /** Selects the licences that apply; unknown: only LMSYS-Chat-1M's, plus a note. */
  variant?: Variant;
  /** Every variant present, when more than one: one licence each. */
  variants?: Variant[];
  languages: Lang[];
  /** Declared configs: those with rows, in the primary format. */
  configs: CardConfig[];
  /** Configs or splits left out because they have no rows, as `config` or `config/split`. Default none. */
  empty?: string[];
  /** When no config has rows: the train files each config would have (`sft/train-*.parquet`). The card
   * declares them, so that `load_dataset` stops with `DataFilesNotFoundError` instead of loading the
   * folder's `manifest.json` as a one-row dataset, which it does for a card without configs. */
  absent?: { config: string; glob: string }[];
  /** Formats written beside the declared one. Default none. */
  otherFormats?: OtherFormat[];
  files: WrittenFile[];
  counts: DatasetCounts;
  /** Extra `tags`, after `synthetic` and one per config. */
  tags?: string[];
  /** Responses of the input with a reasoning trace, per language, when any has one (GPT-OSS). */
  traces?: Array<{ lang: Lang; with: number; of: number }>;
}


/** Per language, the responses with a reasoning trace and all responses, from the report's counters in
 * `manifest.stats`; undefined when none has a trace. */
function tracesOf(stats: Record<string, unknown> | undefined): DatasetCardInput["traces"] {
  const dataset = stats?.dataset as { langs?: Partial<Record<Lang, { responses?: number; responses_with_reasoning?: number }>> } | undefined;
  const langs = dataset?.langs ?? {};
  const traces = (["ja", "en"] as const).flatMap((lang) => {
    const s = langs[lang];
    return s?.responses ? [{ lang, with: s.responses_with_reasoning ?? 0, of: s.responses }] : [];
  });
  return traces.some((t) => t.with > 0) ? traces : undefined;
}

/**
 * The input of {@link renderDatasetCard} for a folder described by `manifest` and `settings`: one `configs`
 * entry per config with rows, in the primary format (Parquet when written), listing the manifest's files of
 * each split with rows (`<config>/<split>-*.<ext>`); the other formats as globs; counts and funnel in
 * `settings.configs` × `settings.splits` order, whatever the manifest's key order.
 * Pure. @internal shared by the folder writer and the merge; not exported from the index.
 */
export function datasetCardInput(manifest: DatasetManifest, settings: DatasetCardSettings): DatasetCardInput {
  const primary = CARD_FORMAT_ORDER.find((format) => settings.formats.includes(format)) ?? settings.formats[0]!;
  const filesOf = (config: string, split: SplitName, format: OutputFormat) =>
    manifest.files.filter((file) => file.path.startsWith(`${config}/${split}-`) && file.path.endsWith(`.${FILE_FORMATS[format].extension}`));
  const configs: CardConfig[] = [];
  const empty: string[] = [];
  for (const config of settings.configs) {
    const splits = settings.splits.flatMap((split) => {
      const files = filesOf(config, split, primary);
      const rows = manifest.counts.rows[config]?.[split] ?? 0;
      if (rows === 0) return [];
      return [{ split, paths: files.map((f) => f.path), rows, bytes: files.reduce((n, f) => n + f.bytes, 0) }];
    });
    const leftOut = settings.splits.filter((split) => !splits.some((s) => s.split === split));
    if (splits.length === 0) empty.push(config);
    else for (const split of leftOut) empty.push(`${config}/${split}`);
    if (splits.length === 0) continue;
    const columns = settings.columns?.[config];
    const reader = settings.readers?.[config];
    configs.push({ name: config, isDefault: configs.length === 0, splits, ...(columns ? { columns } : {}), ...(reader ? { reader } : {}) });
  }
  const otherFormats = settings.formats
    .filter((format) => format !== primary)
    .map((format) => ({
      format,
      globs: configs.flatMap((c) => c.splits.map(({ split }) => ({ config: c.name, split, glob: `${c.name}/${split}-*.${FILE_FORMATS[format].extension}` }))),
    }));
  const rows: DatasetCounts["rows"] = {};
  const funnel: DatasetCounts["funnel"] = {};
  for (const config of settings.configs) {
    rows[config] = {};
    for (const split of settings.splits) rows[config][split] = manifest.counts.rows[config]?.[split] ?? 0;
    funnel[config] = manifest.counts.funnel[config] ?? {};
  }
  const traces = tracesOf(manifest.stats);
  const absent = configs.length === 0 ? settings.configs.map((config) => ({ config, glob: `${config}/train-*.${primary}` })) : [];
  return {
    ...(absent.length > 0 ? { absent } : {}),
    ...(traces ? { traces } : {}),
    title: settings.title,
    tool: manifest.tool,
    version: manifest.version,
    command: manifest.command,
    variant: settings.variant,
    ...(settings.variants ? { variants: settings.variants } : {}),
    languages: settings.languages,
    configs,
    empty,
    otherFormats,
    files: manifest.files,
    counts: { records: manifest.counts.records, rows, funnel, ...(manifest.counts.languages ? { languages: manifest.counts.languages } : {}) },
    tags: settings.tags,
  };
}

/**
 * The licences that apply to a dataset built from `variant` (or several: mixed inputs), the upstream card's
 * "mixed" licence: always the LMSYS-Chat-1M agreement, plus each variant's responses licence from the
 * variant table, once each.
 */
export function datasetLicenses(variant: Variant | readonly Variant[] | undefined): DatasetLicense[] {
  const variants = variant === undefined ? [] : typeof variant === "string" ? [variant] : variant;
  const out = [LMSYS_LICENSE];
  for (const v of variants) if (!out.some((l) => l.name === VARIANT_TABLE[v].license.name)) out.push(VARIANT_TABLE[v].license);
  return out;
}

/** The Hub's `size_categories` bucket of a row count. */
export function sizeCategory(rows: number): string {
  const buckets: [number, string][] = [
    [1e3, "n<1K"],
    [1e4, "1K<n<10K"],
    [1e5, "10K<n<100K"],
    [1e6, "100K<n<1M"],
    [1e7, "1M<n<10M"],
    [1e8, "10M<n<100M"],
    [1e9, "100M<n<1B"],
  ];
  for (const [limit, name] of buckets) if (rows < limit) return name;
  return "n>1T";
}


const YAML_RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

/** A YAML scalar: plain when unambiguous, otherwise a JSON (= YAML double-quoted) string. */
function yamlScalar(value: string): string {
  return /^[A-Za-z][A-Za-z0-9._/<>+-]*$/.test(value) && !YAML_RESERVED.test(value) ? value : JSON.stringify(value);
}

function cell(value: string | number): string {
  return String(value).replaceAll("|", "\\|").replaceAll("\n", " ");
}

const count = (n: number): string => n.toLocaleString("en-US");

/**
 * The dataset card (`README.md`, behaviour.md §6): YAML front matter (`license: other` / `mixed` with a link,
 * `language`, `task_categories`, `size_categories` from the largest config, `tags`, `source_datasets`, and
 * `configs` with the exact `data_files` per split), then the counts, the funnel, the licences that apply,
 * the file list with rows, bytes and sha256, and the exact command and tool version. Pure and deterministic.
 */
export function renderDatasetCard(input: DatasetCardInput): string {
  const present = input.variants ?? (input.variant ? [input.variant] : []);
  const licenses = datasetLicenses(present);
  const dataConfigs = Object.keys(input.counts.rows);
  const largest = Math.max(0, ...dataConfigs.map((config) => totalRows(input.counts.rows[config])));
  const tags = [...new Set(["synthetic", ...dataConfigs, ...(input.tags ?? [])])];

  const title = input.title ?? "LMSYS-Chat-1M-Synth: SFT and DPO";
  const yaml: string[] = [
    `pretty_name: ${JSON.stringify(title)}`,
    "license: other",
    "license_name: mixed",
    "license_link: https://huggingface.co/datasets/tokyotech-llm/lmsys-chat-1m-synth/blob/main/README.md#license-information",
    // Every row holds LMSYS-Chat-1M text in the clear: access is gated on its terms, as lmsys/lmsys-chat-1m is.
    `extra_gated_prompt: ${JSON.stringify(GATED_PROMPT)}`,
    "extra_gated_fields:",
    "  Name: text",
    "  Affiliation: text",
    `  ${JSON.stringify(`I agree to the ${LMSYS_LICENSE.name}`)}: checkbox`,
    `  ${JSON.stringify("I will delete conversations whose deletion is requested, from this data and what I build from it")}: checkbox`,
    `extra_gated_button_content: ${JSON.stringify(`I agree to the terms of the ${LMSYS_LICENSE.name}`)}`,
    "language:",
    ...input.languages.map((lang) => `- ${lang}`),
    "task_categories:",
    "- text-generation",
    "size_categories:",
    `- ${sizeCategory(largest)}`,
    "tags:",
    ...tags.map((tag) => `- ${yamlScalar(tag)}`),
    "source_datasets:",
    "- lmsys/lmsys-chat-1m",
    "- tokyotech-llm/lmsys-chat-1m-synth",
    "configs:",
  ];
  for (const [i, { config, glob }] of (input.absent ?? []).entries()) {
    yaml.push(`- config_name: ${yamlScalar(config)}`, ...(i === 0 ? ["  default: true"] : []), "  data_files:", "  - split: train", `    path: ${yamlScalar(glob)}`);
  }
  for (const config of input.configs) {
    yaml.push(`- config_name: ${yamlScalar(config.name)}`);
    if (config.isDefault) yaml.push("  default: true");
    yaml.push("  data_files:");
    for (const { split, paths } of config.splits) {
      yaml.push(`  - split: ${split}`, "    path:", ...paths.map((path) => `    - ${yamlScalar(path)}`));
    }
  }
  // What `datasets` would record after loading: features, and per split its rows and (file) bytes.
  const described = input.configs.filter((config) => config.columns);
  if (described.length > 0) yaml.push("dataset_info:");
  for (const config of described) {
    const bytes = config.splits.reduce((n, s) => n + s.bytes, 0);
    yaml.push(`- config_name: ${yamlScalar(config.name)}`, "  features:", ...featuresYaml(config.columns!, "  "), "  splits:");
    for (const { split, rows, bytes: splitBytes } of config.splits) yaml.push(`  - name: ${split}`, `    num_bytes: ${splitBytes}`, `    num_examples: ${rows}`);
    yaml.push(`  download_size: ${bytes}`, `  dataset_size: ${bytes}`);
  }

  const md: string[] = [
    `# ${title}`,
    "",
    `Built with ${input.tool} ${input.version} from LMSYS-Chat-1M-Synth${present.length > 0 ? ` (${present.join(", ")} variant${present.length > 1 ? "s" : ""})` : ""}.` +
      (present.includes("llama-3.1") ? " Built with Llama." : ""),
    "",
    ...(input.files.some((file) => file.path === "report.html")
      ? ["Charts of this build (funnel, judge scores, DPO margins, lengths): [report.html](report.html), a self-contained page to download and open in a browser.", ""]
      : []),
    "## Counts",
    "",
    `Records read: ${count(input.counts.records)}`,
    "",
    ...(input.traces ? [`Responses with a reasoning trace: ${input.traces.map((t) => `${t.lang} ${count(t.with)} of ${count(t.of)}`).join(", ")}.`, ""] : []),
    "| config | split | rows |",
    "|---|---|---:|",
  ];
  for (const config of dataConfigs) {
    for (const [split, rows] of Object.entries(input.counts.rows[config] ?? {})) {
      md.push(`| ${cell(config)} | ${split} | ${count(rows ?? 0)} |`);
    }
  }
  // In config order, whatever order the counts were summed in.
  const byLang = dataConfigs.map((c) => [c, input.counts.languages?.[c] ?? {}] as const).filter(([, langs]) => Object.keys(langs).length > 0);
  if (byLang.length > 0) {
    md.push("", "Rows per language, all splits:", "", "| config | language | rows |", "|---|---|---:|");
    for (const [config, langs] of byLang) for (const lang of ["ja", "en"] as const) if (langs[lang]) md.push(`| ${cell(config)} | ${lang} | ${count(langs[lang])} |`);
  }
  if (input.absent) {
    md.push(
      "",
      "**This folder holds no rows**: every record was skipped or deleted (see the funnel), or it is a `--shard` part that received none. " +
        "Its configs name files that do not exist, so `load_dataset` stops with `DataFilesNotFoundError`; `lmsynth merge-manifests` takes it as a part.",
    );
  } else if (input.empty?.length) {
    md.push("", `Left out of the configs above because they have no rows: ${input.empty.map((e) => `\`${e}\``).join(", ")}.`);
  }
  md.push(...usageSection(input));
  const noted = Object.values(input.counts.funnel).some((f) => FUNNEL_NOTES.some((note) => f[note]));
  const note = noted ? " `taken-unscored` is not a skip: rows taken without a usable score (a preset's rule)." : "";
  md.push("", "## Funnel", "", `Skips by reason, as counted during the build.${note}`, "", "| config | reason | count |", "|---|---|---:|");
  for (const [config, funnel] of Object.entries(input.counts.funnel)) {
    for (const { reason, count: n } of orderedFunnel(funnel)) md.push(`| ${cell(config)} | ${cell(reason)} | ${count(n)} |`);
  }
  md.push("", "## License information", "");
  for (const license of licenses) md.push(`- [${license.name}](${license.url}): ${license.covers}.`);
  if (present.length === 0) md.push("- The licence of the model that generated the assistant responses.");
  md.push(
    "",
    "### Deletion requests",
    "",
    `The ${LMSYS_LICENSE.name} gives the authors of the conversations the right to request their deletion, in whole or in part; whoever holds a copy of this data must then delete it. To apply a request to a copy of this folder, list the \`conversation_id\`s one per line and run \`lmsynth delete-ids <folder> --ids <list>\`, then \`lmsynth publish <folder> --repo <repo>\`: only the shards that held them are rewritten and sent, and the folder equals a fresh build with \`--exclude-ids <list>\`. Remove the same conversations from everything built from it.`,
  );
  md.push("", "## Files", "", "| path | rows | bytes | sha256 |", "|---|---:|---:|---|");
  for (const file of input.files) md.push(`| ${cell(file.path)} | ${count(file.rows)} | ${count(file.bytes)} | \`${file.sha256}\` |`);
  const longestTicks = Math.max(2, ...(input.command.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestTicks + 1);
  md.push("", "## How it was built", "", `${input.tool} ${input.version}:`, "", `${fence}sh`, input.command, fence, "");

  return `---\n${yaml.join("\n")}\n---\n\n${md.join("\n")}`;
}

/** The gate of the Hub repository: the terms a visitor accepts before the files are shown. */
const GATED_PROMPT =
  `The rows hold text of LMSYS-Chat-1M, under the ${LMSYS_LICENSE.name} (${LMSYS_LICENSE.url}): ` +
  "you agree to its terms, including the authors' Right to Request Deletion, before you access this data.";

/** A config name as a Python variable (`sft-sharegpt` → `sft_sharegpt`). */
const pythonName = (config: string): string => config.replace(/\W/g, "_");

/** "How to use": `load_dataset` per declared config and what reads it, then the other formats. */
function usageSection(input: DatasetCardInput): string[] {
  if (input.configs.length === 0) return [];
  const md = ["", "## How to use", "", "```python", "from datasets import load_dataset", ""];
  for (const config of input.configs) {
    md.push(`${pythonName(config.name)} = load_dataset("<this repo or folder>", ${JSON.stringify(config.name)})${config.reader ? `  # ${config.reader}` : ""}`);
  }
  md.push("```");
  if (input.configs.some((c) => c.columns?.some((col) => col.name === "text"))) {
    md.push("", "The `text` column is the chat template applied to the messages; it starts with the BOS token, so a trainer must not add another (TRL: `dataset_text_field=\"text\"` with `add_special_tokens=False`, or train on `messages`).");
  }
  for (const other of input.otherFormats ?? []) {
    const byConfig = new Map<string, string[]>();
    for (const g of other.globs) byConfig.set(g.config, [...(byConfig.get(g.config) ?? []), `${JSON.stringify(g.split)}: ${JSON.stringify(g.glob)}`]);
    md.push("", `The same rows as ${FILE_FORMATS[other.format].title} files (not declared above: \`datasets\` reads one format per repository):`, "", "```python");
    for (const [config, list] of byConfig) md.push(`${pythonName(config)} = load_dataset(${JSON.stringify(FILE_FORMATS[other.format].builder)}, data_dir="<folder>", data_files={${list.join(", ")}})`);
    md.push("```");
  }
  return md;
}
