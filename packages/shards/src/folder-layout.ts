import type { Lang, Variant } from "@lmsynth/schema";
import type { ColumnSpec, OutputFormat } from "@lmsynth/sinks";
import type { SplitName } from "./split-of.js";

/** A config of the Hub folder: one subfolder and one `configs` entry of the card. */
export type ConfigName = "sft" | "dpo";


/**
 * What a build's card is rendered from besides its counts and files, kept as `manifest.card` so that
 * `mergeDatasetFolders` renders the card of merged parts exactly as one build would.
 */
export interface DatasetCardSettings {
  /** Configs in card order; the first is the default. */
  configs: ConfigName[];
  /** The columns of each config: the card's `dataset_info` features. */
  columns?: Partial<Record<ConfigName, ColumnSpec[]>>;
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
