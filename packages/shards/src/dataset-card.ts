import { LMSYS_LICENSE, SKIP_REASONS, VARIANT_TABLE, type DatasetLicense, type Funnel, type Lang, type Variant } from "@lmsynth/schema";
import type { WrittenFile } from "./byte-output.js";
import type { DatasetCardSettings, OutputFormat } from "./folder-layout.js";
import type { DatasetCounts, DatasetManifest } from "./dataset-manifest.js";
import type { SplitName } from "./split-of.js";

/** One `configs` entry of the card: a config name and, per split, its files (relative paths). */
export interface CardConfig {
  name: string;
  /** The config `load_dataset(repo)` picks without a name. */
  isDefault: boolean;
  splits: { split: SplitName; paths: string[] }[];
}

/** Everything the dataset card states. */
export interface DatasetCardInput {
  /** Heading. Default `LMSYS-Chat-1M-Synth: SFT and DPO`. */
  title?: string;
  tool: string;
  version: string;
  /** The exact command line, shown verbatim. */
  command: string;
  /** Selects the licences that apply; unknown: only LMSYS-Chat-1M's, plus a note. */
  variant?: Variant;
  languages: Lang[];
  configs: CardConfig[];
  files: WrittenFile[];
  counts: DatasetCounts;
  /** Extra `tags`, after `synthetic` and one per config. */
  tags?: string[];
}


const EXTENSIONS: Record<OutputFormat, string> = { parquet: "parquet", jsonl: "jsonl", arrow: "arrow" };
// The card's default configs use the first format here that was written; the others get `<config>-<format>`.
const FORMAT_PRIORITY: OutputFormat[] = ["parquet", "arrow", "jsonl"];

/**
 * The input of {@link renderDatasetCard} for a folder described by `manifest` and `settings`: one `configs`
 * entry per format and config, listing the manifest's files of each split (`<config>/<split>-*.<ext>`);
 * counts and funnel in `settings.configs` × `settings.splits` order, whatever the manifest's key order.
 * Pure. @internal shared by the folder writer and the merge; not exported from the index.
 */
export function datasetCardInput(manifest: DatasetManifest, settings: DatasetCardSettings): DatasetCardInput {
  const primary = FORMAT_PRIORITY.find((format) => settings.formats.includes(format)) ?? settings.formats[0]!;
  const ordered = [primary, ...settings.formats.filter((format) => format !== primary)];
  const configs: CardConfig[] = [];
  for (const format of ordered) {
    for (const config of settings.configs) {
      configs.push({
        name: format === primary ? config : `${config}-${format}`,
        isDefault: format === primary && config === settings.configs[0],
        splits: settings.splits.map((split) => ({
          split,
          paths: manifest.files
            .map((file) => file.path)
            .filter((path) => path.startsWith(`${config}/${split}-`) && path.endsWith(`.${EXTENSIONS[format]}`)),
        })),
      });
    }
  }
  const rows: DatasetCounts["rows"] = {};
  const funnel: DatasetCounts["funnel"] = {};
  for (const config of settings.configs) {
    rows[config] = {};
    for (const split of settings.splits) rows[config][split] = manifest.counts.rows[config]?.[split] ?? 0;
    funnel[config] = manifest.counts.funnel[config] ?? {};
  }
  return {
    title: settings.title,
    tool: manifest.tool,
    version: manifest.version,
    command: manifest.command,
    variant: settings.variant,
    languages: settings.languages,
    configs,
    files: manifest.files,
    counts: { records: manifest.counts.records, rows, funnel },
    tags: settings.tags,
  };
}

/**
 * The licences that apply to a dataset built from `variant` (the upstream card's "mixed" licence): always
 * the LMSYS-Chat-1M agreement, plus the responses' licence from the variant table.
 */
export function datasetLicenses(variant: Variant | undefined): DatasetLicense[] {
  return variant ? [LMSYS_LICENSE, VARIANT_TABLE[variant].license] : [LMSYS_LICENSE];
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


function orderedReasons(funnel: Funnel): [string, number][] {
  const rank = (reason: string): number => {
    const i = (SKIP_REASONS as readonly string[]).indexOf(reason);
    return i === -1 ? SKIP_REASONS.length : i;
  };
  return Object.entries(funnel)
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
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
  const licenses = datasetLicenses(input.variant);
  const rowsOf = (config: string): number =>
    Object.values(input.counts.rows[config] ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  const dataConfigs = Object.keys(input.counts.rows);
  const largest = Math.max(0, ...dataConfigs.map(rowsOf));
  const tags = [...new Set(["synthetic", ...dataConfigs, ...(input.tags ?? [])])];

  const yaml: string[] = [
    "license: other",
    "license_name: mixed",
    "license_link: https://huggingface.co/datasets/tokyotech-llm/lmsys-chat-1m-synth/blob/main/README.md#license-information",
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
  for (const config of input.configs) {
    yaml.push(`- config_name: ${yamlScalar(config.name)}`);
    if (config.isDefault) yaml.push("  default: true");
    yaml.push("  data_files:");
    for (const { split, paths } of config.splits) {
      yaml.push(`  - split: ${split}`, "    path:", ...paths.map((path) => `    - ${yamlScalar(path)}`));
    }
  }

  const md: string[] = [
    `# ${input.title ?? "LMSYS-Chat-1M-Synth: SFT and DPO"}`,
    "",
    `Built with ${input.tool} ${input.version} from LMSYS-Chat-1M-Synth${input.variant ? ` (${input.variant} variant)` : ""}.` +
      (input.variant === "llama-3.1" ? " Built with Llama." : ""),
    "",
    ...(input.files.some((file) => file.path === "report.html")
      ? ["Charts of this build (funnel, judge scores, DPO margins, lengths): [report.html](report.html), a self-contained page to download and open in a browser.", ""]
      : []),
    "## Counts",
    "",
    `Records read: ${count(input.counts.records)}`,
    "",
    "| config | split | rows |",
    "|---|---|---:|",
  ];
  for (const config of dataConfigs) {
    for (const [split, rows] of Object.entries(input.counts.rows[config] ?? {})) {
      md.push(`| ${cell(config)} | ${split} | ${count(rows ?? 0)} |`);
    }
  }
  md.push("", "## Funnel", "", "Skips by reason, as counted during the build.", "", "| config | reason | count |", "|---|---|---:|");
  for (const [config, funnel] of Object.entries(input.counts.funnel)) {
    for (const [reason, n] of orderedReasons(funnel)) md.push(`| ${cell(config)} | ${cell(reason)} | ${count(n)} |`);
  }
  md.push("", "## License information", "");
  for (const license of licenses) md.push(`- [${license.name}](${license.url}): ${license.covers}.`);
  if (!input.variant) md.push("- The licence of the model that generated the assistant responses.");
  md.push("", "## Files", "", "| path | rows | bytes | sha256 |", "|---|---:|---:|---|");
  for (const file of input.files) md.push(`| ${cell(file.path)} | ${count(file.rows)} | ${count(file.bytes)} | \`${file.sha256}\` |`);
  const longestTicks = Math.max(2, ...(input.command.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestTicks + 1);
  md.push("", "## How it was built", "", `${input.tool} ${input.version}:`, "", `${fence}sh`, input.command, fence, "");

  return `---\n${yaml.join("\n")}\n---\n\n${md.join("\n")}`;
}
