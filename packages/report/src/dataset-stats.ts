import { marginOf } from "@lmsynth/dpo";
import { LANGUAGE_FIELDS, type Lang, type MergedRecord } from "@lmsynth/schema";
import { isChoosable, isUsable, multiturnMessages, readCandidates } from "@lmsynth/candidates";

/**
 * Counts of one language (ja or en) of the input. Histograms are objects whose keys are the bucket labels in
 * display order, every bucket present (zeros included), so two runs always print the same keys.
 */
export interface LanguageStats {
  /** Records with at least one response in this language. */
  records_with_responses: number;
  responses: number;
  /** Responses whose content is not text (null: a reasoning model gave no final answer): never usable. */
  responses_without_text: number;
  /** Responses carrying a reasoning trace (`reasoning_content` as a string, GPT-OSS). */
  responses_with_reasoning: number;
  /** Usable responses (behaviour.md §2) whose score lies in 0–10. */
  scored: number;
  /** Responses whose score is -1. */
  score_minus_one: number;
  repetition_flagged: number;
  /** Records with at least one choosable response. */
  selectable_records: number;
  /** Scored responses per bucket `floor(score)`, "0"…"10". */
  score_histogram: Record<string, number>;
  /** Best-minus-worst DPO margin of each record that could give a pair (`marginOf` > 0), per bucket
   * `min(10, floor(margin))`, "0"…"10"; "0" holds margins in (0, 1), possible only with fractional scores. */
  margin_histogram: Record<string, number>;
  /** Records that give a best-worst pair at `--min-margin M`, for M = "1"…"10" (a margin of 0 never pairs). */
  pairs_at_min_margin: Record<string, number>;
  /** Responses with text content (usable or not) by length in characters (code points): "0-99" … "5000+". */
  response_length_histogram: Record<string, number>;
  /** Instructions of the records with responses, by length in characters (code points): "0-99" … "5000+". */
  instruction_length_histogram: Record<string, number>;
  /** Records whose response or annotation list is present (even empty), by response count "0"…"10";
   * "10" also holds longer lists. */
  responses_per_instruction: Record<string, number>;
}

/** Record-level flags of the input (input-format.md §3, §5). */
export interface DatasetFlags {
  /** `duplicate_user_instruction_ja` set. */
  duplicate_instruction: number;
  /** `empty_user_instruction_ja` true. */
  empty_instruction: number;
  /** `is_template_instruction` set. */
  template_instruction: number;
  /** `redacted` true. */
  redacted: number;
  /** A non-empty `synthesized_multiturn_conversation`. */
  multiturn: number;
  /** Of those, conversations with a second user turn. */
  multiturn_two_turns: number;
}

/** Broken invariants of the input (input-format.md §3), counted, not fatal. */
export interface DatasetWarnings {
  /** Annotation list length differs from the response list length (one per record and language). */
  annotation_length_mismatch: number;
  /** Japanese responses on a record flagged duplicate or empty. */
  responses_on_duplicate_or_empty: number;
  /** Scores other than -1 outside 0–10, or not finite. */
  score_out_of_range: number;
}

/** What {@link addRecord} accumulates over a stream of records. */
export interface DatasetStats {
  records: number;
  flags: DatasetFlags;
  /** Languages seen (a record with either list present), in the order first seen; ja before en within a record. */
  langs: Partial<Record<Lang, LanguageStats>>;
  warnings: DatasetWarnings;
}

/** Upper bounds (exclusive) of the length buckets, in characters; the last bucket is open. */
const LENGTH_BOUNDS = [100, 200, 500, 1000, 2000, 5000] as const;
const LENGTH_LABELS = ["0-99", "100-199", "200-499", "500-999", "1000-1999", "2000-4999", "5000+"] as const;

function zeros(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = 0;
  return out;
}

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

function emptyLanguage(): LanguageStats {
  return {
    records_with_responses: 0,
    responses: 0,
    responses_without_text: 0,
    responses_with_reasoning: 0,
    scored: 0,
    score_minus_one: 0,
    repetition_flagged: 0,
    selectable_records: 0,
    score_histogram: zeros(range(0, 10)),
    margin_histogram: zeros(range(0, 10)),
    pairs_at_min_margin: zeros(range(1, 10)),
    response_length_histogram: zeros(LENGTH_LABELS),
    instruction_length_histogram: zeros(LENGTH_LABELS),
    responses_per_instruction: zeros(range(0, 10)),
  };
}

// Surrogates are rare in this corpus; a regex scan finds out quickly whether the count can differ from `length`.
const SURROGATE = /[\uD800-\uDFFF]/;

/** Length in Unicode code points, as `--max-chars` counts; a lone surrogate counts as one. */
function codePointLength(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = s.length;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n--;
    }
  }
  return n;
}

/** Index of the length bucket of `chars` in {@link LENGTH_LABELS}. */
function lengthBucket(chars: number): number {
  let i = 0;
  while (i < LENGTH_BOUNDS.length && chars >= LENGTH_BOUNDS[i]!) i++;
  return i;
}

/** One counter of {@link DatasetStats}: adds 1 to it (creating the language entry on first use). */
type Counter = (stats: DatasetStats) => void;

// Every counter gets a small integer id, so that the statistics of a record travel between threads as a
// short array of ids (see `recordStats`), and adding them is one indexed call per id. Ids are given at module
// load in a fixed order, so a worker thread and the main thread (same module file) agree on them.
const COUNTERS: Counter[] = [];

function counter(apply: Counter): number {
  COUNTERS.push(apply);
  return COUNTERS.length - 1;
}

const languageOf = (stats: DatasetStats, lang: Lang): LanguageStats => (stats.langs[lang] ??= emptyLanguage());

type ScalarField = { [K in keyof LanguageStats]: LanguageStats[K] extends number ? K : never }[keyof LanguageStats];
type HistogramField = Exclude<keyof LanguageStats, ScalarField>;

/** Ids of one language's counters; histograms by bucket index in key order. */
interface LanguageCounters {
  /** Enters the language in `stats.langs` without counting anything. */
  seen: number;
  scalar: Record<ScalarField, number>;
  histogram: Record<HistogramField, number[]>;
}

function languageCounters(lang: Lang): LanguageCounters {
  const template = emptyLanguage();
  const scalar = {} as Record<ScalarField, number>;
  const histogram = {} as Record<HistogramField, number[]>;
  for (const [field, value] of Object.entries(template) as Array<[keyof LanguageStats, unknown]>) {
    if (typeof value === "number") {
      const f = field as ScalarField;
      scalar[f] = counter((stats) => void languageOf(stats, lang)[f]++);
    } else {
      const f = field as HistogramField;
      histogram[f] = Object.keys(value as Record<string, number>).map((key) => counter((stats) => void languageOf(stats, lang)[f][key]!++));
    }
  }
  return { seen: counter((stats) => void languageOf(stats, lang)), scalar, histogram };
}

const RECORDS = counter((stats) => void stats.records++);
const FLAGS = Object.fromEntries(
  Object.keys(createDatasetStats().flags).map((k) => [k, counter((stats) => void stats.flags[k as keyof DatasetFlags]++)]),
) as Record<keyof DatasetFlags, number>;
const WARNINGS = Object.fromEntries(
  Object.keys(createDatasetStats().warnings).map((k) => [k, counter((stats) => void stats.warnings[k as keyof DatasetWarnings]++)]),
) as Record<keyof DatasetWarnings, number>;
const LANGUAGE: Record<Lang, LanguageCounters> = { ja: languageCounters("ja"), en: languageCounters("en") };

/**
 * What one record adds to {@link DatasetStats}, as a short array of counter ids (opaque; repeated ids count
 * repeatedly). Plain numbers, so it is cheap to send from a worker thread; give it to {@link addRecordStats}.
 */
export type RecordStats = number[];

/** A fresh accumulator: zero records, no languages yet. */
export function createDatasetStats(): DatasetStats {
  return {
    records: 0,
    flags: { duplicate_instruction: 0, empty_instruction: 0, template_instruction: 0, redacted: 0, multiturn: 0, multiturn_two_turns: 0 },
    langs: {},
    warnings: { annotation_length_mismatch: 0, responses_on_duplicate_or_empty: 0, score_out_of_range: 0 },
  };
}

/**
 * The counts one record adds (pure; O(responses)). Describes the input as it is, whatever the conversion
 * options: candidates are read and judged usable/choosable as behaviour.md §2 says (without
 * `--keep-repetition`), and the margin is `marginOf` with no filters, so the counts equal `lmsynth inspect`.
 * A language counts for a record that has its response or annotation list (even empty).
 * Run it where the record is (a worker thread) and add the result in input order with {@link addRecordStats}.
 */
export function recordStats(record: MergedRecord): RecordStats {
  const out: RecordStats = [RECORDS];
  if (record.duplicate_user_instruction_ja != null) out.push(FLAGS.duplicate_instruction);
  if (record.empty_user_instruction_ja === true) out.push(FLAGS.empty_instruction);
  if (record.is_template_instruction != null) out.push(FLAGS.template_instruction);
  if (record.redacted === true) out.push(FLAGS.redacted);
  // Read as `sft --multiturn` does, so a conversation that starts with the assistant counts the
  // instruction put in front of it as its first user turn.
  const turns = multiturnMessages(record.synthesized_multiturn_conversation, "");
  if (turns) {
    out.push(FLAGS.multiturn);
    if (turns.filter((m) => m.role === "user").length >= 2) out.push(FLAGS.multiturn_two_turns);
  }
  for (const lang of ["ja", "en"] as const) {
    const responses = record[LANGUAGE_FIELDS[lang].responses];
    const annotations = record[LANGUAGE_FIELDS[lang].annotations];
    if (responses == null && annotations == null) continue;
    const { seen, scalar, histogram } = LANGUAGE[lang];
    out.push(seen);
    const set = readCandidates(record, lang);
    if ((annotations?.length ?? 0) !== (responses?.length ?? 0)) out.push(WARNINGS.annotation_length_mismatch);
    out.push(histogram.responses_per_instruction[Math.min(10, set.candidates.length)]!);
    if (set.candidates.length === 0) continue;
    if (lang === "ja" && (record.duplicate_user_instruction_ja != null || record.empty_user_instruction_ja === true)) {
      out.push(WARNINGS.responses_on_duplicate_or_empty);
    }
    out.push(scalar.records_with_responses);
    if (set.instruction !== undefined) out.push(histogram.instruction_length_histogram[lengthBucket(codePointLength(set.instruction))]!);
    for (const c of set.candidates) {
      out.push(scalar.responses);
      if (c.reasoning !== undefined) out.push(scalar.responses_with_reasoning);
      if (c.content === null) out.push(scalar.responses_without_text);
      else out.push(histogram.response_length_histogram[lengthBucket(codePointLength(c.content))]!);
      if (c.repetition) out.push(scalar.repetition_flagged);
      if (c.score === -1) out.push(scalar.score_minus_one);
      else if (c.score !== undefined && (c.score < 0 || c.score > 10 || !Number.isFinite(c.score))) out.push(WARNINGS.score_out_of_range);
      if (isUsable(c) && c.score! >= 0 && c.score! <= 10) out.push(scalar.scored, histogram.score_histogram[Math.floor(c.score!)]!);
    }
    if (set.candidates.some((c) => isChoosable(c))) out.push(scalar.selectable_records);
    const margin = marginOf(record, lang);
    if (margin !== undefined && margin > 0) {
      out.push(histogram.margin_histogram[Math.min(10, Math.floor(margin))]!);
      // pairs_at_min_margin[i] is M = i + 1: a margin m is kept by every M ≤ m.
      for (let m = 1; m <= 10 && margin >= m; m++) out.push(histogram.pairs_at_min_margin[m - 1]!);
    }
  }
  return out;
}

/**
 * Adds one record's counts, from {@link recordStats}, to `stats` (mutates it). Call it in input order: a
 * language enters `stats.langs` when first seen, so the key order matches a single-threaded run.
 */
export function addRecordStats(stats: DatasetStats, counts: RecordStats): void {
  for (const id of counts) COUNTERS[id]!(stats);
}

/** `addRecordStats(stats, recordStats(record))`: adds one record where it was read (`lmsynth inspect`). */
export function addRecord(stats: DatasetStats, record: MergedRecord): void {
  addRecordStats(stats, recordStats(record));
}
