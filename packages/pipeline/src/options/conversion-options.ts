import { DPO_FORMATS, SFT_FORMATS } from "@lmsynth/schema";
import { DEFAULT_MIN_MARGIN, PAIR_MODES, type DpoOptions } from "@lmsynth/dpo";
import { DEFAULT_KTO_DESIRABLE, DEFAULT_KTO_UNDESIRABLE, KTO_PER_RECORD, type KtoOptions } from "@lmsynth/kto";
import type { SftOptions } from "@lmsynth/sft";
import { OptionError } from "@lmsynth/schema";
import type { ConvertInit, TemplateSpec } from "../convert-record.js";
import { formatsOf, outputOf, type OutputKind, type OutputSpec } from "../layouts.js";
import type { CONVERSION_OPTIONS } from "./common-options.js";
import { SCORE, type OptionTable, type ResolvedValues } from "./option-spec.js";

/** The flags both converters read (`--with-meta` where a command has it). */
type SharedValues = ResolvedValues<typeof CONVERSION_OPTIONS> & { "with-meta"?: boolean };

/** Length in tokens, for every kind of row (README "Length in tokens"). */
export const LENGTH_OPTIONS = {
  "max-tokens": {
    type: "string",
    number: { min: 1, integer: true },
    arg: "n",
    description: "drop rows longer than n tokens: their chat-template text's with --tokenizer (every kind of row); without it, an SFT response's response_token_length",
  },
  tokenizer: { type: "string", arg: "tokenizer.json", description: "count each row's tokens with this Hugging Face tokenizer (needs --template); SFT rows get num_tokens with --with-meta" },
} satisfies OptionTable;

/** Selection flags of SFT (behaviour.md §3). */
export const SFT_OPTIONS = {
  select: { type: "string", choices: ["best", "all", "first", "top-k"] as const, default: "best", description: "which responses become conversations" },
  k: { type: "string", number: { min: 1, integer: true }, arg: "n", description: "responses per record for --select top-k" },
  "min-score": { type: "string", number: SCORE, arg: "x", description: "minimum judge score of a selected response" },
  "keep-repetition": { type: "boolean", description: "let repetition-flagged responses be chosen (SFT only)" },
  multiturn: { type: "boolean", description: "use synthesized_multiturn_conversation (Gemma-2) for ja rows" },
  "sft-format": {
    type: "string",
    choices: SFT_FORMATS,
    default: "messages",
    description: "row layout: messages (TRL), conversation (the records of the upstream convert_to_sft_dataset.py file, as the Swallow tools read them; use it with a swallow preset), prompt-completion (TRL), sharegpt (LLaMA-Factory, axolotl)",
  },
  "messages-key": { type: "string", choices: ["messages", "conversation"] as const, default: "messages", description: "key of the message list of --sft-format messages" },
  "max-chars": { type: "string", number: { min: 1, integer: true }, arg: "n", description: "drop conversations longer than n characters" },
  ...LENGTH_OPTIONS,
  "single-en-as-is": { type: "boolean", description: "English: take a record's single response as it is when it has no usable score (Swallow v0.1; not with --min-score)" },
} satisfies OptionTable;

/** Pairing flags of DPO (behaviour.md §4). */
export const DPO_OPTIONS = {
  pairs: { type: "string", choices: PAIR_MODES, default: "best-worst", description: "which pairs each record gives" },
  "min-margin": { type: "string", number: SCORE, arg: "m", default: DEFAULT_MIN_MARGIN, description: "minimum chosen − rejected score" },
  "min-chosen-score": { type: "string", number: SCORE, arg: "x", description: "minimum score of the chosen response" },
  seed: { type: "string", arg: "seed", default: "0", description: "seed of --pairs best-random (in build also of the split hash)" },
  ...LENGTH_OPTIONS,
  "dpo-format": {
    type: "string",
    choices: DPO_FORMATS,
    default: "trl",
    description: "row layout: trl (explicit prompt), implicit (whole conversations, RewardTrainer), ultrafeedback (ultrafeedback_binarized columns), sharegpt (LLaMA-Factory ranking)",
  },
} satisfies OptionTable;

/** Labelling flags of KTO. */
export const KTO_OPTIONS = {
  "kto-desirable": { type: "string", number: SCORE, arg: "x", default: DEFAULT_KTO_DESIRABLE, description: "a response scoring at least x is desirable" },
  "kto-undesirable": { type: "string", number: SCORE, arg: "x", default: DEFAULT_KTO_UNDESIRABLE, description: "a response scoring at most x is undesirable (those between are left out)" },
  "kto-per-record": { type: "string", choices: KTO_PER_RECORD, default: "best-worst", description: "the best and the worst response of a record, or all" },
  ...LENGTH_OPTIONS,
} satisfies OptionTable;

/** Options common to both converters. */
function shared(o: SharedValues) {
  const out: { lang: SftOptions["lang"]; excludePii: boolean; excludeTemplate: boolean; withMeta: boolean; system?: string } = {
    lang: o.lang,
    excludePii: o["exclude-pii"] === true,
    excludeTemplate: o["exclude-template"] === true,
    withMeta: o["with-meta"] === true,
  };
  if (o.system !== undefined) out.system = o.system;
  return out;
}

/** `--reasoning keep`: the key every output keeps reasoning traces under. */
export function reasoningOf(o: SharedValues): Pick<ConvertInit, "reasoningKey"> {
  return o.reasoning === "keep" ? { reasoningKey: o["reasoning-key"] } : {};
}

/** `KtoOptions` from resolved flags; thresholds that overlap are a usage error. */
export function ktoOptionsOf(o: SharedValues & ResolvedValues<typeof KTO_OPTIONS>): KtoOptions {
  const desirable = o["kto-desirable"];
  const undesirable = o["kto-undesirable"];
  if (!(undesirable < desirable)) throw new OptionError(`--kto-undesirable (${undesirable}) must be below --kto-desirable (${desirable})`);
  return { ...shared(o), desirable, undesirable, perRecord: o["kto-per-record"], ...tokenLimit(o) };
}

/** DPO's and KTO's `maxTokens`: counted with the tokenizer only (no response length covers a pair or a label). */
function tokenLimit(o: ResolvedValues<typeof LENGTH_OPTIONS>): { maxTokens?: number } {
  return o.tokenizer !== undefined && o["max-tokens"] !== undefined ? { maxTokens: o["max-tokens"] } : {};
}

/** What `lmsynth sft` converts: one output in `--sft-format`. */
export function sftInitOf(o: SharedValues & ResolvedValues<typeof SFT_OPTIONS>, template: TemplateSpec | undefined): ConvertInit {
  if (o["messages-key"] !== "messages" && o["sft-format"] !== "messages") throw new OptionError("--messages-key names the list of --sft-format messages only");
  return { outputs: [{ ...outputOf("sft", o["sft-format"]), name: "sft" }], ...reasoningOf(o), ...lengthOf(o, template, true), sft: { options: sftOptionsOf(o), messagesKey: o["messages-key"] } };
}

/**
 * `--template` and `--tokenizer` of a conversion (the tokenizer counts the template's text, so it needs
 * one). `--max-tokens` without a tokenizer reads SFT's `response_token_length`, and a template without one
 * only gives SFT rows their text: a command with no SFT output can apply neither.
 */
export function lengthOf(o: ResolvedValues<typeof LENGTH_OPTIONS>, template: TemplateSpec | undefined, sft: boolean): Pick<ConvertInit, "template" | "tokenizer"> {
  if (o.tokenizer !== undefined && !template) throw new OptionError("--tokenizer counts the tokens of the chat-template text: give --template too");
  if (!sft && o["max-tokens"] !== undefined && o.tokenizer === undefined) throw new OptionError("--max-tokens counts DPO and KTO rows with --tokenizer (and --template): give them");
  if (!sft && template && o.tokenizer === undefined) throw new OptionError("--template gives SFT rows a text column, and counts tokens with --tokenizer; DPO and KTO text comes from lmsynth render");
  return { ...(template ? { template } : {}), ...(o.tokenizer !== undefined ? { tokenizer: o.tokenizer } : {}) };
}

/** `SftOptions` from resolved flags; `--select top-k` without a whole `--k` ≥ 1 is a usage error. */
export function sftOptionsOf(o: SharedValues & ResolvedValues<typeof SFT_FOLDER_OPTIONS>): SftOptions {
  const k = o.k;
  if (o.select === "top-k" && (k === undefined || k < 1 || !Number.isInteger(k))) {
    throw new OptionError("--select top-k needs --k <n>, a whole number ≥ 1");
  }
  const out: SftOptions = {
    ...shared(o),
    select: o.select,
    keepRepetition: o["keep-repetition"] === true,
    multiturn: o.multiturn === true,
    singleEnglishAsIs: o["single-en-as-is"] === true,
  };
  if (k !== undefined) out.k = k;
  if (o["min-score"] !== undefined) out.minScore = o["min-score"];
  if (o["max-chars"] !== undefined) out.maxChars = o["max-chars"];
  if (o["max-tokens"] !== undefined) out.maxTokens = o["max-tokens"];
  return out;
}

/** `DpoOptions` from resolved flags. */
export function dpoOptionsOf(o: SharedValues & ResolvedValues<typeof DPO_FOLDER_OPTIONS>): DpoOptions {
  const options: DpoOptions = {
    ...shared(o),
    pairs: o.pairs,
    minMargin: o["min-margin"],
    ...tokenLimit(o),
  };
  if (o["min-chosen-score"] !== undefined) options.minChosenScore = o["min-chosen-score"];
  if (o.pairs === "best-random") options.seed = o.seed;
  return options;
}

const { "messages-key": _messagesKey, "sft-format": _sftFormat, ...SFT_FOLDER_OPTIONS } = SFT_OPTIONS;
const { "dpo-format": _dpoFormat, ...DPO_FOLDER_OPTIONS } = DPO_OPTIONS;

/**
 * What `build` converts and `report` counts: the same selection; each kind in one or more layouts, each
 * layout its own config (`sft`, `sft-sharegpt`, `dpo-implicit`, `kto`), the message list always `messages`.
 */
export const FOLDER_SELECTION_OPTIONS = {
  ...SFT_FOLDER_OPTIONS,
  ...DPO_FOLDER_OPTIONS,
  ...KTO_OPTIONS,
  sft: { type: "boolean", default: true, description: "the sft configs" },
  dpo: { type: "boolean", default: true, description: "the dpo configs" },
  kto: { type: "boolean", description: "a kto config (TRL KTOTrainer)" },
  "sft-format": { type: "string", arg: SFT_FORMATS.join(","), default: "messages", description: "SFT layouts, comma-separated: one config each (sft, sft-<layout>)" },
  "dpo-format": { type: "string", arg: DPO_FORMATS.join(","), default: "trl", description: "DPO layouts, comma-separated: one config each (dpo, dpo-<layout>)" },
} satisfies OptionTable;

/** The outputs of `kind` named by a comma-separated `--<kind>-format` list. */
function outputsOf(kind: OutputKind, list: string): OutputSpec[] {
  const flag = `--${kind}-format`;
  const formats = [...new Set(list.split(",").map((f) => f.trim()).filter(Boolean))];
  const known = formatsOf(kind);
  for (const f of formats) if (!known.includes(f)) throw new OptionError(`${flag} takes ${known.join(", ")}; got ${JSON.stringify(f)}`);
  if (formats.length === 0) throw new OptionError(`${flag} is empty`);
  // Each is one of the kind's formats, checked above.
  return formats.map((f) => outputOf(kind, f as never));
}

/**
 * What `build` converts and `report` counts per record, from resolved flags: every config as the folder
 * lays it out, the report counters, and the `--shard` filter. One function, so that the two agree.
 * @throws OptionError when no config is left.
 */
export function folderConvertInit(
  o: SharedValues & ResolvedValues<typeof FOLDER_SELECTION_OPTIONS>,
  extra: { withMeta: boolean; template?: TemplateSpec | undefined; shard?: ConvertInit["shard"] },
): ConvertInit {
  const { withMeta, template, shard } = extra;
  if (!o.sft && !o.dpo && !o.kto) throw new OptionError("--no-sft and --no-dpo without --kto leave no output");
  if (!o.kto) {
    const unused = (["kto-desirable", "kto-undesirable", "kto-per-record"] as const).filter((k) => o[k] !== KTO_OPTIONS[k].default);
    if (unused.length > 0) throw new OptionError(`${unused.map((k) => `--${k}`).join(", ")} shape${unused.length === 1 ? "s" : ""} KTO rows: give --kto too`);
  }
  const outputs = [...(o.sft ? outputsOf("sft", o["sft-format"]) : []), ...(o.dpo ? outputsOf("dpo", o["dpo-format"]) : []), ...(o.kto ? [outputOf("kto")] : [])];
  return {
    outputs,
    ...reasoningOf(o),
    ...lengthOf(o, template, o.sft),
    ...(o.sft ? { sft: { options: { ...sftOptionsOf(o), withMeta }, messagesKey: "messages" } } : {}),
    ...(o.dpo ? { dpo: { options: { ...dpoOptionsOf(o), withMeta } } } : {}),
    ...(o.kto ? { kto: { options: { ...ktoOptionsOf(o), withMeta } } } : {}),
    ...(shard ? { shard } : {}),
    stats: true,
  };
}
