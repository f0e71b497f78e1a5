import type { FolderConfig, LlamaFactoryAttributes } from "@lmsynth/hub-folder";
import type { UltrafeedbackRow } from "@lmsynth/dpo";
import {
  DPO_FORMATS,
  SFT_FORMATS,
  dpoLayout,
  fromShareGptTurn,
  ktoLayout,
  sftLayout,
  toShareGptTurn,
  type DpoFormat,
  type DpoRow,
  type KtoRow,
  type Message,
  type ReasoningKey,
  type RowLayout,
  type SftFormat,
  type SftRow,
} from "@lmsynth/schema";

/** The kinds of output a record feeds, in the order their rows are written. */
export const OUTPUT_KINDS = ["sft", "dpo", "kto"] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** How a layout's optional columns are chosen. */
export interface LayoutChoice {
  /** Meta columns (`--with-meta`). */
  withMeta: boolean;
  /** A `text` column (`--template`; SFT only). */
  text?: boolean;
  /** The message list's key of the SFT `messages` layout (`--messages-key`). */
  messagesKey?: string;
  /** The reasoning trace fields on every message (`--reasoning keep` on GPT-OSS). */
  reasoningKey?: ReasoningKey | undefined;
  /** SFT: a `num_tokens` column (`--tokenizer`, with meta). */
  tokens?: boolean;
}

/** A pair as TRL splits it: the prompt, then one assistant message each. */
export interface Pair {
  prompt: Message[];
  chosen: Message[];
  rejected: Message[];
}

/** What `render` reads back from a row: its conversation (SFT, KTO) or its pair (DPO). */
export type Readable = { conversation: Message[] } | { pair: Pair };

type Turn = { from: string; value: string } & Record<string, unknown>;

/**
 * One output layout, whole: its columns (from which the zod schema, the Parquet and Arrow schemas, the HF
 * features and the card derive), how a row of its kind is written in it, what `render` reads back from it,
 * who reads it as it is, and LLaMA-Factory's `dataset_info.json` entry when LLaMA-Factory reads it.
 */
export interface Layout<Row> {
  columns(choice: LayoutChoice): RowLayout;
  /** The row as written to every file format, keys in column order. */
  write(row: Row, choice: LayoutChoice): Record<string, unknown>;
  /** The columns that hold the conversation, and the conversation or pair they give (`render`). */
  read: { columns: readonly string[]; of(row: never): Readable };
  /** What reads it as it is, for the card's "How to use". */
  reader: string;
  llamaFactory?: LlamaFactoryAttributes;
}

/** The table of layouts: the compiler demands one entry per `--sft-format`, `--dpo-format` and KTO layout. */
export interface LayoutTable {
  sft: Readonly<Record<SftFormat, Layout<SftRow>>>;
  dpo: Readonly<Record<DpoFormat, Layout<DpoRow>>>;
  kto: Readonly<Record<"trl", Layout<KtoRow>>>;
}

/** LLaMA-Factory's sharegpt tags, as `toShareGptTurn` writes the turns. */
const SHAREGPT_TAGS = { role_tag: "from", content_tag: "value", user_tag: "human", assistant_tag: "gpt", system_tag: "system" };

const reasoning = (c: LayoutChoice) => (c.reasoningKey ? { reasoningKey: c.reasoningKey } : {});
const reads = <R>(columns: readonly string[], of: (row: R) => Readable) => ({ columns, of: of as (row: never) => Readable });

/** SFT's meta keys added to `out`, set one by one, not spread, so that their order does not depend on how
 * `row` was built (and no object is made per row to be spread). */
function withSftMeta(row: SftRow, out: Record<string, unknown>): Record<string, unknown> {
  if (row.lang !== undefined) out.lang = row.lang;
  if (row.response_index !== undefined) out.response_index = row.response_index;
  if (row.score !== undefined) out.score = row.score;
  if (row.num_tokens !== undefined) out.num_tokens = row.num_tokens;
  return out;
}

function sft(format: SftFormat, write: (row: SftRow, c: LayoutChoice) => Record<string, unknown>, read: Layout<SftRow>["read"], reader: string): Layout<SftRow> {
  const columns = (c: LayoutChoice) => sftLayout({ format, meta: c.withMeta, text: c.text === true, tokens: c.tokens === true, ...(c.messagesKey ? { messagesKey: c.messagesKey } : {}), ...reasoning(c) });
  return { columns, write: (row, c) => withSftMeta(row, write(row, c)), read, reader };
}

const copy = (messages: readonly Message[]): Message[] => messages.map((message) => ({ ...message }));

function userText(prompt: readonly Message[]): string {
  for (let i = prompt.length - 1; i >= 0; i--) if (prompt[i]!.role === "user") return prompt[i]!.content;
  throw new TypeError("DPO row has no user message in its prompt");
}

/** DPO's meta keys added to `out`, in their order, where set. */
function withDpoMeta(row: DpoRow, out: Record<string, unknown>): Record<string, unknown> {
  if (row.lang !== undefined) out.lang = row.lang;
  if (row.chosen_index !== undefined) out.chosen_index = row.chosen_index;
  if (row.rejected_index !== undefined) out.rejected_index = row.rejected_index;
  return out;
}

function dpo(format: DpoFormat, write: (row: DpoRow) => Record<string, unknown>, read: Layout<DpoRow>["read"], reader: string, llamaFactory?: LlamaFactoryAttributes): Layout<DpoRow> {
  return {
    columns: (c) => dpoLayout({ format, meta: c.withMeta, indices: c.withMeta, ...reasoning(c) }),
    write: (row) => withDpoMeta(row, write(row)),
    read,
    reader,
    ...(llamaFactory ? { llamaFactory } : {}),
  };
}

/** The last message of each whole conversation apart, the rest as the prompt: the pair as TRL splits it. */
const lastApart = (r: { chosen: Message[]; rejected: Message[] }): Readable => ({ pair: { prompt: r.chosen.slice(0, -1), chosen: r.chosen.slice(-1), rejected: r.rejected.slice(-1) } });

/**
 * Every output layout (behaviour.md §3, §4, §11). Message objects are fresh copies in DPO rows; contents are
 * never changed. ShareGPT turns carry a reasoning trace inline (`toShareGptTurn`).
 */
export const LAYOUTS: LayoutTable = {
  sft: {
    messages: sft("messages", (row, c) => ({ conversation_id: row.conversation_id, [c.messagesKey ?? "messages"]: row.messages }), reads(["messages"], (r: { messages: Message[] }) => ({ conversation: r.messages })), "TRL SFTTrainer"),
    conversation: sft("conversation", (row) => ({ conversation_id: row.conversation_id, conversation: row.messages }), reads(["conversation"], (r: { conversation: Message[] }) => ({ conversation: r.conversation })), "the Swallow tools"),
    "prompt-completion": sft(
      "prompt-completion",
      (row) => ({ conversation_id: row.conversation_id, prompt: row.messages.slice(0, -1), completion: row.messages.slice(-1) }),
      reads(["prompt", "completion"], (r: { prompt: Message[]; completion: Message[] }) => ({ conversation: [...r.prompt, ...r.completion] })),
      "TRL SFTTrainer (completion-only loss)",
    ),
    sharegpt: {
      ...sft("sharegpt", (row) => ({ conversation_id: row.conversation_id, conversations: row.messages.map(toShareGptTurn) }), reads(["conversations"], (r: { conversations: Turn[] }) => ({ conversation: r.conversations.map(fromShareGptTurn) })), "LLaMA-Factory, axolotl (sharegpt)"),
      llamaFactory: { formatting: "sharegpt", columns: { messages: "conversations" }, tags: SHAREGPT_TAGS },
    },
  },
  dpo: {
    trl: dpo(
      "trl",
      (row) => ({ conversation_id: row.conversation_id, prompt: copy(row.prompt), chosen: copy(row.chosen), rejected: copy(row.rejected), score_chosen: row.score_chosen, score_rejected: row.score_rejected, prompt_id: row.prompt_id }),
      reads(["prompt", "chosen", "rejected"], (r: Pair) => ({ pair: r })),
      "TRL DPOTrainer",
    ),
    implicit: dpo(
      "implicit",
      (row) => ({ conversation_id: row.conversation_id, chosen: [...copy(row.prompt), ...copy(row.chosen)], rejected: [...copy(row.prompt), ...copy(row.rejected)], score_chosen: row.score_chosen, score_rejected: row.score_rejected, prompt_id: row.prompt_id }),
      reads(["chosen", "rejected"], lastApart),
      "TRL RewardTrainer, DPOTrainer",
    ),
    ultrafeedback: dpo(
      "ultrafeedback",
      (row): Omit<UltrafeedbackRow, "lang" | "chosen_index" | "rejected_index"> => {
        const chosen = [...copy(row.prompt), ...copy(row.chosen)];
        return { prompt: userText(row.prompt), prompt_id: row.prompt_id, chosen, rejected: [...copy(row.prompt), ...copy(row.rejected)], messages: copy(chosen), score_chosen: row.score_chosen, score_rejected: row.score_rejected, conversation_id: row.conversation_id };
      },
      reads(["prompt", "chosen", "rejected"], lastApart),
      "recipes of ultrafeedback_binarized",
    ),
    sharegpt: dpo(
      "sharegpt",
      (row) => ({ conversation_id: row.conversation_id, conversations: row.prompt.map(toShareGptTurn), chosen: toShareGptTurn(row.chosen[0]!), rejected: toShareGptTurn(row.rejected[0]!), score_chosen: row.score_chosen, score_rejected: row.score_rejected, prompt_id: row.prompt_id }),
      reads(["conversations", "chosen", "rejected"], (r: { conversations: Turn[]; chosen: Turn; rejected: Turn }) => ({
        pair: { prompt: r.conversations.map(fromShareGptTurn), chosen: [fromShareGptTurn(r.chosen)], rejected: [fromShareGptTurn(r.rejected)] },
      })),
      "LLaMA-Factory ranking (sharegpt)",
      { formatting: "sharegpt", ranking: true, columns: { messages: "conversations", chosen: "chosen", rejected: "rejected" }, tags: SHAREGPT_TAGS },
    ),
  },
  kto: {
    trl: {
      columns: (c) => ktoLayout({ meta: c.withMeta, ...reasoning(c) }),
      // `toKtoRows` builds its rows in column order.
      write: (row) => row as unknown as Record<string, unknown>,
      read: reads(["prompt", "completion"], (r: { prompt: Message[]; completion: Message[] }) => ({ conversation: [...r.prompt, ...r.completion] })),
      reader: "TRL KTOTrainer",
    },
  },
};

const FORMATS: { readonly [K in OutputKind]: readonly (keyof LayoutTable[K] & string)[] } = { sft: SFT_FORMATS, dpo: DPO_FORMATS, kto: ["trl"] };

/** The layout names of a kind, the default first (`--sft-format`, `--dpo-format`). */
export function formatsOf(kind: OutputKind): readonly string[] {
  return FORMATS[kind];
}

/** One output of a run: a config of the Hub folder, or the file of a JSONL command. */
export type OutputSpec = { [K in OutputKind]: { kind: K; format: keyof LayoutTable[K]; name: string } }[OutputKind];

/** The layout of an output. */
export function layoutOf(output: OutputSpec): Layout<SftRow> | Layout<DpoRow> | Layout<KtoRow> {
  return (LAYOUTS[output.kind] as Readonly<Record<string, Layout<never>>>)[output.format]!;
}

/** An output of `kind` in `format` (default: the kind's first), named after both: `sft`, `sft-sharegpt`. */
export function outputOf<K extends OutputKind>(kind: K, format: keyof LayoutTable[K] & string = formatsOf(kind)[0] as keyof LayoutTable[K] & string): OutputSpec {
  return { name: format === formatsOf(kind)[0] ? kind : `${kind}-${format}`, kind, format } as OutputSpec;
}

/** An output as a config of the Hub folder: its layout's columns, what reads it, LLaMA-Factory's attributes. */
export function folderConfigOf(output: OutputSpec, choice: LayoutChoice): FolderConfig {
  const layout = layoutOf(output);
  return { columns: layout.columns(choice).columns, reader: layout.reader, ...(layout.llamaFactory ? { llamaFactory: layout.llamaFactory } : {}) };
}
