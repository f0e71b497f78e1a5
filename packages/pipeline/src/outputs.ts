import type { FolderConfig, LlamaFactoryAttributes } from "@lmsynth/shards";
import { DPO_FORMATS, SFT_FORMATS, dpoLayout, ktoLayout, sftLayout, type ReasoningKey, type RowLayout } from "@lmsynth/schema";

/** The kinds of output a record feeds, in the order their rows are written. */
export const OUTPUT_KINDS = ["sft", "dpo", "kto"] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** One output of a run: a config of the Hub folder, or the file of a JSONL command. */
export interface OutputSpec {
  /** Its name: the folder's config (`sft`, `dpo-sharegpt`, `kto`) and the summary's key. */
  name: string;
  kind: OutputKind;
  /** One of the kind's {@link OutputKindSpec.formats}. */
  format: string;
}

/** How a layout's optional columns are chosen. */
export interface LayoutChoice {
  /** Meta columns (`--with-meta`). */
  withMeta: boolean;
  /** A `text` column (`--template`; SFT only). */
  text?: boolean;
  /** The message list's key of the SFT `messages` format (`--messages-key`). */
  messagesKey?: string;
  /** A nullable reasoning field on every message (`--reasoning keep` on GPT-OSS). */
  reasoningKey?: ReasoningKey | undefined;
  /** SFT: a `num_tokens` column (`--tokenizer`, with meta). */
  tokens?: boolean;
}

/** What lmsynth knows about one kind of output: its layouts and who reads each. */
export interface OutputKindSpec {
  /** Layout names, the default first (`--sft-format`, `--dpo-format`). */
  formats: readonly string[];
  /** The row layout of `format`. */
  layout(format: string, choice: LayoutChoice): RowLayout;
  /** What reads each format as it is, for the card's "How to use". */
  readers: Readonly<Record<string, string>>;
  /** LLaMA-Factory's `dataset_info.json` attributes of the formats it reads. */
  llamaFactory?: Readonly<Record<string, LlamaFactoryAttributes>>;
}

/** LLaMA-Factory's sharegpt tags, as `toShareGptTurn` writes the turns. */
const SHAREGPT_TAGS = { role_tag: "from", content_tag: "value", user_tag: "human", assistant_tag: "gpt", system_tag: "system" };

const reasoning = (c: LayoutChoice) => (c.reasoningKey ? { reasoningKey: c.reasoningKey } : {});

/** The registry of outputs: the one place that names SFT, DPO and KTO and their layouts (behaviour.md §11). */
export const OUTPUT_TABLE: Readonly<Record<OutputKind, OutputKindSpec>> = {
  sft: {
    formats: SFT_FORMATS,
    layout: (format, c) => sftLayout({ format: format as (typeof SFT_FORMATS)[number], meta: c.withMeta, text: c.text === true, tokens: c.tokens === true, ...(c.messagesKey ? { messagesKey: c.messagesKey } : {}), ...reasoning(c) }),
    readers: { messages: "TRL SFTTrainer", conversation: "the Swallow tools", "prompt-completion": "TRL SFTTrainer (completion-only loss)", sharegpt: "LLaMA-Factory, axolotl (sharegpt)" },
    llamaFactory: { sharegpt: { formatting: "sharegpt", columns: { messages: "conversations" }, tags: SHAREGPT_TAGS } },
  },
  dpo: {
    formats: DPO_FORMATS,
    layout: (format, c) => dpoLayout({ format: format as (typeof DPO_FORMATS)[number], meta: c.withMeta, indices: c.withMeta, ...reasoning(c) }),
    readers: { trl: "TRL DPOTrainer", implicit: "TRL RewardTrainer, DPOTrainer", ultrafeedback: "recipes of ultrafeedback_binarized", sharegpt: "LLaMA-Factory ranking (sharegpt)" },
    llamaFactory: { sharegpt: { formatting: "sharegpt", ranking: true, columns: { messages: "conversations", chosen: "chosen", rejected: "rejected" }, tags: SHAREGPT_TAGS } },
  },
  kto: {
    formats: ["trl"],
    layout: (_format, c) => ktoLayout({ meta: c.withMeta, ...reasoning(c) }),
    readers: { trl: "TRL KTOTrainer" },
  },
};

/** An output of `kind` in `format` (default: the kind's first), named after both: `sft`, `sft-sharegpt`. */
export function outputOf(kind: OutputKind, format: string = OUTPUT_TABLE[kind].formats[0]!): OutputSpec {
  return { name: format === OUTPUT_TABLE[kind].formats[0] ? kind : `${kind}-${format}`, kind, format };
}

/** The row layout of an output. */
export function layoutOf(output: OutputSpec, choice: LayoutChoice): RowLayout {
  return OUTPUT_TABLE[output.kind].layout(output.format, choice);
}

/** An output as a config of the Hub folder: its layout's columns, what reads it, LLaMA-Factory's attributes. */
export function folderConfigOf(output: OutputSpec, choice: LayoutChoice): FolderConfig {
  const kind = OUTPUT_TABLE[output.kind];
  const llamaFactory = kind.llamaFactory?.[output.format];
  return { columns: layoutOf(output, choice).columns, reader: kind.readers[output.format]!, ...(llamaFactory ? { llamaFactory } : {}) };
}
