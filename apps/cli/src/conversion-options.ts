import { UsageError } from "@lmsynth/schema";
import { DEFAULT_MIN_MARGIN, DPO_FORMATS, PAIR_MODES, type DpoFormat, type DpoOptions } from "@lmsynth/dpo";
import type { SftOptions } from "@lmsynth/sft";
import type { ConvertInit, TemplateSpec } from "@lmsynth/pipeline";
import { SCORE, type OptionTable, type ParsedValue } from "./option-table.js";

type Values = Record<string, ParsedValue | undefined>;

/** Selection flags of SFT (behaviour.md §3). */
export const SFT_OPTIONS = {
  select: { type: "string", choices: ["best", "all", "first", "top-k"], default: "best", description: "which responses become conversations" },
  k: { type: "string", number: { min: 1, integer: true }, arg: "n", description: "responses per record for --select top-k" },
  "min-score": { type: "string", number: SCORE, arg: "x", description: "minimum judge score of a selected response" },
  "keep-repetition": { type: "boolean", description: "let repetition-flagged responses be chosen (SFT only)" },
  multiturn: { type: "boolean", description: "use synthesized_multiturn_conversation (Gemma-2) for ja rows" },
  "messages-key": { type: "string", choices: ["messages", "conversation"], default: "messages", description: "key of the message list" },
  "max-chars": { type: "string", number: { min: 1, integer: true }, arg: "n", description: "drop conversations longer than n characters" },
  "max-tokens": { type: "string", number: { min: 1, integer: true }, arg: "n", description: "drop responses longer than n tokens (response_token_length)" },
} satisfies OptionTable;

/** Pairing flags of DPO (behaviour.md §4). */
export const DPO_OPTIONS = {
  pairs: { type: "string", choices: PAIR_MODES, default: "best-worst", description: "which pairs each record gives" },
  "min-margin": { type: "string", number: SCORE, arg: "m", default: DEFAULT_MIN_MARGIN, description: "minimum chosen − rejected score" },
  "min-chosen-score": { type: "string", number: SCORE, arg: "x", description: "minimum score of the chosen response" },
  "dpo-format": { type: "string", choices: DPO_FORMATS, default: "trl", description: "TRL explicit-prompt rows, or ultrafeedback_binarized columns" },
} satisfies OptionTable;

/** Options common to both converters. */
function shared(o: Values) {
  const out: { lang: SftOptions["lang"]; excludePii: boolean; excludeTemplate: boolean; withMeta: boolean; system?: string } = {
    lang: o.lang as SftOptions["lang"],
    excludePii: o["exclude-pii"] === true,
    excludeTemplate: o["exclude-template"] === true,
    withMeta: o["with-meta"] === true,
  };
  if (o.system !== undefined) out.system = o.system as string;
  return out;
}

/** `SftOptions` from resolved flags; `--select top-k` without a whole `--k` ≥ 1 is a usage error. */
export function sftOptionsOf(o: Values): SftOptions {
  const k = o.k as number | undefined;
  if (o.select === "top-k" && (k === undefined || k < 1 || !Number.isInteger(k))) {
    throw new UsageError("--select top-k needs --k <n>, a whole number ≥ 1");
  }
  const out: SftOptions = {
    ...shared(o),
    select: o.select as SftOptions["select"],
    keepRepetition: o["keep-repetition"] === true,
    multiturn: o.multiturn === true,
  };
  if (k !== undefined) out.k = k;
  if (o["min-score"] !== undefined) out.minScore = o["min-score"] as number;
  if (o["max-chars"] !== undefined) out.maxChars = o["max-chars"] as number;
  if (o["max-tokens"] !== undefined) out.maxTokens = o["max-tokens"] as number;
  return out;
}

/** `DpoOptions` and the output format from resolved flags. */
export function dpoOptionsOf(o: Values): { options: DpoOptions; format: DpoFormat } {
  const options: DpoOptions = {
    ...shared(o),
    pairs: o.pairs as DpoOptions["pairs"],
    minMargin: o["min-margin"] as number,
  };
  if (o["min-chosen-score"] !== undefined) options.minChosenScore = o["min-chosen-score"] as number;
  return { options, format: o["dpo-format"] as DpoFormat };
}

const { "messages-key": _messagesKey, ...SFT_FOLDER_OPTIONS } = SFT_OPTIONS;
const { "dpo-format": _dpoFormat, ...DPO_FOLDER_OPTIONS } = DPO_OPTIONS;

/**
 * What `build` converts and `report` counts: the same selection, both configs, always in the folder's
 * layout (the `messages` key, TRL pairs), so these two flags are left out.
 */
export const FOLDER_SELECTION_OPTIONS = {
  ...SFT_FOLDER_OPTIONS,
  ...DPO_FOLDER_OPTIONS,
  sft: { type: "boolean", default: true, description: "the sft config" },
  dpo: { type: "boolean", default: true, description: "the dpo config" },
} satisfies OptionTable;

/**
 * What `build` converts and `report` counts per record, from resolved flags: both configs as the folder
 * lays them out, the report counters, and the `--shard` filter. One function, so that the two agree.
 */
export function folderConvertInit(
  o: Values,
  extra: { withMeta: boolean; template?: TemplateSpec | undefined; shard?: ConvertInit["shard"] },
): ConvertInit {
  const { withMeta, template, shard } = extra;
  return {
    ...(o.sft ? { sft: { options: { ...sftOptionsOf(o), withMeta }, messagesKey: "messages", ...(template ? { template } : {}) } } : {}),
    ...(o.dpo ? { dpo: { options: { ...dpoOptionsOf(o).options, withMeta }, format: "trl" as const } } : {}),
    ...(shard ? { shard } : {}),
    stats: true,
  };
}
