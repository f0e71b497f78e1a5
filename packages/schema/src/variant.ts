import { TRACE_INPUT_KEYS } from "./message.js";
import type { MergedRecord } from "./records.js";
import type { Lang } from "./rows.js";

/** The published variants (input-format.md §1), in the order of the table below. */
export const VARIANTS = ["llama-3.1", "gemma-2", "gemma-3", "gpt-oss"] as const;
export type Variant = (typeof VARIANTS)[number];

/** A licence that applies to a built dataset, as named and linked on the card. */
export interface DatasetLicense {
  name: string;
  url: string;
  /** Which part of the data it covers. */
  covers: string;
}

/** Everything lmsynth knows about one variant: the one place to add a variant. */
export interface VariantSpec {
  /** The synth file as published on the Hub. */
  file: string;
  /** What in a record tells this variant (see {@link variantOfEvidence}). */
  evidence: string;
  /** Languages with synthesized responses. */
  languages: readonly Lang[];
  /** Most responses per Japanese instruction. */
  maxResponses: number;
  /** Model that generated the responses (and judged them). */
  model: string;
  /** The licence of the responses, beside the LMSYS-Chat-1M agreement that covers the instructions. */
  license: DatasetLicense;
  /** The built-in chat template of the model the variant was made for; none when lmsynth has none built in
   * (give that model's `tokenizer_config.json` to `--template`). */
  template?: string;
  /** True when responses carry a reasoning trace (`reasoning_content`): `--reasoning keep` gives it a field. */
  reasoning?: boolean;
  /**
   * The selections of the Swallow releases made from this variant (input-format.md §6), as command-line
   * flag names and values: `--preset <name>` sets them, explicit flags override them.
   */
  presets: Readonly<Record<string, Readonly<Record<string, string | boolean>>>>;
}

/** The variants: detection, languages, licence and template (input-format.md §1, §3, §6). */
export const VARIANT_TABLE: Readonly<Record<Variant, VariantSpec>> = {
  "llama-3.1": {
    file: "llama3.1-lmsys-chat-1m-synth-ja+en.jsonl.gz",
    evidence: "English responses (`synthesized_assistant_responses_en`) and no multi-turn field",
    languages: ["ja", "en"],
    maxResponses: 6,
    model: "Llama 3.1 405B Instruct (judge: Llama 3.1 70B Instruct)",
    license: { name: "Llama 3.1 Community License", url: "https://www.llama.com/llama3_1/license/", covers: "assistant responses and scores generated with Llama 3.1" },
    template: "llama-3.1",
    // Swallow took the single English response as it was; its score field is not confirmed (input-format.md §6).
    presets: { "swallow-v0.1": { lang: "both", select: "best", "exclude-pii": true, "exclude-template": true, "single-en-as-is": true } },
  },
  "gemma-2": {
    file: "gemma2-lmsys-chat-1m-synth-ja+en.jsonl.gz",
    evidence: "a multi-turn field (`synthesized_multiturn_conversation`)",
    languages: ["ja", "en"],
    maxResponses: 6,
    model: "Gemma 2 27B IT",
    license: { name: "Gemma Terms of Use", url: "https://ai.google.dev/gemma/terms", covers: "assistant responses generated with Gemma" },
    template: "gemma-2",
    presets: { "swallow-v0.3": { lang: "ja", multiturn: true, "exclude-pii": true, "exclude-template": true } },
  },
  "gemma-3": {
    file: "gemma3-lmsys-chat-1m-synth-ja+en.jsonl.gz",
    evidence: "synth fields with neither English responses nor a multi-turn field",
    languages: ["ja"],
    maxResponses: 10,
    model: "Gemma 3 27B IT",
    license: { name: "Gemma Terms of Use", url: "https://ai.google.dev/gemma/terms", covers: "assistant responses generated with Gemma" },
    template: "gemma-3",
    presets: { "swallow-v0.5": { lang: "ja", select: "best", "exclude-pii": true, "exclude-template": true } },
  },
  // input-format.md §7: the shape is inferred from consumers' code; no card or record has been seen.
  "gpt-oss": {
    file: "gpt-oss-lmsys-chat-1m-synth-ja+en.jsonl.gz",
    evidence: "a reasoning trace (`reasoning_content`, `reasoning` or `thinking`) on synthesized responses",
    languages: ["ja", "en"],
    maxResponses: 6,
    model: "gpt-oss",
    license: { name: "Apache License 2.0", url: "https://www.apache.org/licenses/LICENSE-2.0", covers: "assistant responses and reasoning traces generated with gpt-oss" },
    reasoning: true,
    presets: {},
  },
};

/** The agreement that covers the user instructions of every variant. */
export const LMSYS_LICENSE: DatasetLicense = {
  name: "LMSYS-Chat-1M Dataset License Agreement",
  url: "https://huggingface.co/datasets/lmsys/lmsys-chat-1m",
  covers: "user instructions (original and Japanese translations)",
};

/** Where a language's user turn and candidates live in a record (input-format.md §3), for every variant. */
export const LANGUAGE_FIELDS = {
  ja: { conversation: "translated_conversation", responses: "synthesized_assistant_responses", annotations: "synthesized_response_scoring_annotations" },
  en: { conversation: "conversation", responses: "synthesized_assistant_responses_en", annotations: "synthesized_response_scoring_annotations_en" },
} as const satisfies Record<Lang, { conversation: keyof MergedRecord; responses: keyof MergedRecord; annotations: keyof MergedRecord }>;

const MULTITURN = 1;
const ENGLISH = 2;
const SYNTH = 4;
const REASONING = 8;

/** True when a response of `list` carries a trace key (any of `TRACE_INPUT_KEYS`, even null). */
function hasReasoning(list: readonly object[] | null | undefined): boolean {
  return list?.some((r) => TRACE_INPUT_KEYS.some((k) => k in r)) === true;
}

/**
 * The fields of one record that tell the variant, as bits that can be OR-ed over many records (and across
 * worker threads): multi-turn field, English synth fields, any synth field, reasoning traces.
 */
export function variantEvidence(r: MergedRecord): number {
  let bits = 0;
  if ("synthesized_multiturn_conversation" in r) bits |= MULTITURN;
  if ("synthesized_assistant_responses_en" in r || "synthesized_response_scoring_annotations_en" in r) bits |= ENGLISH;
  if ("synthesized_assistant_responses" in r || "duplicate_user_instruction_ja" in r) bits |= SYNTH;
  if (hasReasoning(r.synthesized_assistant_responses) || hasReasoning(r.synthesized_assistant_responses_en)) bits |= REASONING;
  return bits;
}

/**
 * Names the variant from OR-ed evidence: reasoning traces mean GPT-OSS; a multi-turn field means Gemma-2;
 * English responses without it mean Llama-3.1; synth fields with none of these mean Gemma-3 (Japanese only,
 * up to 10 responses). Undefined when no synth field was seen.
 */
export function variantOfEvidence(bits: number): Variant | undefined {
  if (bits & REASONING) return "gpt-oss";
  if (bits & MULTITURN) return "gemma-2";
  if (bits & ENGLISH) return "llama-3.1";
  return bits & SYNTH ? "gemma-3" : undefined;
}

/** {@link variantOfEvidence} over `records`. */
export function detectVariant(records: Iterable<MergedRecord>): Variant | undefined {
  let bits = 0;
  for (const r of records) bits |= variantEvidence(r);
  return variantOfEvidence(bits);
}
