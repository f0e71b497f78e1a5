import { UsageError } from "@lmsynth/schema";
import { DEFAULT_MIN_MARGIN, DPO_FORMATS, PAIR_MODES, type DpoOptions } from "@lmsynth/dpo";
import type { SftOptions } from "@lmsynth/sft";
import type { ConvertInit, TemplateSpec } from "@lmsynth/pipeline";
import type { CONVERSION_OPTIONS } from "./common-options.js";
import { SCORE, type OptionTable, type ResolvedValues } from "./option-table.js";

/** The flags both converters read (`--with-meta` where a command has it). */
type SharedValues = ResolvedValues<typeof CONVERSION_OPTIONS> & { "with-meta"?: boolean };

/** Selection flags of SFT (behaviour.md §3). */
export const SFT_OPTIONS = {
  select: { type: "string", choices: ["best", "all", "first", "top-k"] as const, default: "best", description: "which responses become conversations" },
  k: { type: "string", number: { min: 1, integer: true }, arg: "n", description: "responses per record for --select top-k" },
  "min-score": { type: "string", number: SCORE, arg: "x", description: "minimum judge score of a selected response" },
  "keep-repetition": { type: "boolean", description: "let repetition-flagged responses be chosen (SFT only)" },
  multiturn: { type: "boolean", description: "use synthesized_multiturn_conversation (Gemma-2) for ja rows" },
  "messages-key": { type: "string", choices: ["messages", "conversation"] as const, default: "messages", description: "key of the message list" },
  "max-chars": { type: "string", number: { min: 1, integer: true }, arg: "n", description: "drop conversations longer than n characters" },
  "max-tokens": { type: "string", number: { min: 1, integer: true }, arg: "n", description: "drop responses longer than n tokens (response_token_length)" },
} satisfies OptionTable;

/** Pairing flags of DPO (behaviour.md §4). */
export const DPO_OPTIONS = {
  pairs: { type: "string", choices: PAIR_MODES, default: "best-worst", description: "which pairs each record gives" },
  "min-margin": { type: "string", number: SCORE, arg: "m", default: DEFAULT_MIN_MARGIN, description: "minimum chosen − rejected score" },
  "min-chosen-score": { type: "string", number: SCORE, arg: "x", description: "minimum score of the chosen response" },
  seed: { type: "string", arg: "seed", default: "0", description: "seed of --pairs best-random (in build also of the split hash)" },
  "dpo-format": { type: "string", choices: DPO_FORMATS, default: "trl", description: "TRL explicit-prompt rows, or ultrafeedback_binarized columns" },
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

/** `SftOptions` from resolved flags; `--select top-k` without a whole `--k` ≥ 1 is a usage error. */
export function sftOptionsOf(o: SharedValues & ResolvedValues<typeof SFT_FOLDER_OPTIONS>): SftOptions {
  const k = o.k;
  if (o.select === "top-k" && (k === undefined || k < 1 || !Number.isInteger(k))) {
    throw new UsageError("--select top-k needs --k <n>, a whole number ≥ 1");
  }
  const out: SftOptions = {
    ...shared(o),
    select: o.select,
    keepRepetition: o["keep-repetition"] === true,
    multiturn: o.multiturn === true,
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
  };
  if (o["min-chosen-score"] !== undefined) options.minChosenScore = o["min-chosen-score"];
  if (o.pairs === "best-random") options.seed = o.seed;
  return options;
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
  o: SharedValues & ResolvedValues<typeof FOLDER_SELECTION_OPTIONS>,
  extra: { withMeta: boolean; template?: TemplateSpec | undefined; shard?: ConvertInit["shard"] },
): ConvertInit {
  const { withMeta, template, shard } = extra;
  return {
    ...(o.sft ? { sft: { options: { ...sftOptionsOf(o), withMeta }, messagesKey: "messages", ...(template ? { template } : {}) } } : {}),
    ...(o.dpo ? { dpo: { options: { ...dpoOptionsOf(o), withMeta }, format: "trl" as const } } : {}),
    ...(shard ? { shard } : {}),
    stats: true,
  };
}
