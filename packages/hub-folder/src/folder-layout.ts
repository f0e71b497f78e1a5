import type { Lang, Variant } from "@lmsynth/schema";
import type { ColumnSpec, OutputFormat } from "@lmsynth/sinks";
import type { SplitName } from "./split-of.js";

/** A config of the Hub folder: one subfolder and one `configs` entry of the card (`sft`, `dpo-sharegpt`, `kto`…). */
export type ConfigName = string;


/** The LLaMA-Factory attributes of a config (its `dataset_info.json` entry besides `file_name`). */
export interface LlamaFactoryAttributes {
  formatting: "sharegpt";
  /** Preference data (chosen and rejected turns). */
  ranking?: boolean;
  /** LLaMA-Factory's column names → this config's columns. */
  columns: Readonly<Record<string, string>>;
  /** LLaMA-Factory's tag names → this layout's values. */
  tags: Readonly<Record<string, string>>;
}

/**
 * What a build's card is rendered from besides its counts and files, kept as `manifest.card` so that
 * `mergeDatasetFolders` renders the card of merged parts exactly as one build would.
 */
export interface DatasetCardSettings {
  /** Configs in card order; the first is the default. */
  configs: ConfigName[];
  /** The columns of each config: the card's `dataset_info` features. */
  columns?: Partial<Record<ConfigName, ColumnSpec[]>>;
  /** What reads each config as it is (`TRL SFTTrainer`): the card's "How to use" comments. */
  readers?: Partial<Record<ConfigName, string>>;
  /** LLaMA-Factory's attributes of the configs it reads: `dataset_info.json` (see `renderDatasetInfo`). */
  llamaFactory?: Partial<Record<ConfigName, LlamaFactoryAttributes>>;
  /** Formats written, in the order asked for (the card's default configs use the first of parquet, arrow,
   * jsonl written; the others get `<config>-<format>`). */
  formats: OutputFormat[];
  /** Splits written: `train`, then `test` when the test size is above 0. */
  splits: SplitName[];
  /** Selects the licences named on the card. */
  variant?: Variant;
  /** Every variant present, when the inputs hold more than one (then `variant` is absent). */
  variants?: Variant[];
  /** Languages listed in the YAML. */
  languages: Lang[];
  /** Card heading, when not the default. */
  title?: string;
  /** Extra card tags. */
  tags?: string[];
}
