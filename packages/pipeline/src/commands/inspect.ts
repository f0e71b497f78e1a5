import { addRecord, createDatasetStats, type DatasetFlags, type DatasetWarnings, type LanguageStats } from "@lmsynth/report";
import { LANGUAGE_FIELDS, MergedRecordSchema, VARIANT_TABLE, type Lang, type MergedRecord, type Variant } from "@lmsynth/schema";
import { PROGRESS_EVERY } from "../convert-all.js";
import { GENERAL_OPTIONS, INPUT_OPTIONS, resolveOptions } from "../options/common-options.js";
import type { OptionTable } from "../options/option-spec.js";
import { inputPathsOf, sourceOptionsOf } from "../options/source-options.js";
import { withClaimedOutputs } from "../output-claim.js";
import { openRecordSource } from "../record-source.js";
import type { Command, CommandEvent } from "./command.js";

const TABLE = {
  ...INPUT_OPTIONS,
  "on-invalid": { ...INPUT_OPTIONS["on-invalid"], default: "skip", description: "skip (count and list bad lines) or fail at the first" },
  rejected: { ...INPUT_OPTIONS.rejected, description: "also write the bad lines to this file" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

/** Per-language counts of `inspect` (the accumulator's fields that `inspect` prints, in this key order). */
export type LangStats = Pick<
  LanguageStats,
  | "records_with_responses"
  | "responses"
  | "responses_without_text"
  | "responses_with_reasoning"
  | "scored"
  | "score_minus_one"
  | "repetition_flagged"
  | "selectable_records"
  | "score_histogram"
  | "margin_histogram"
  | "pairs_at_min_margin"
>;

/** What `inspect --json` prints. */
export interface InspectReport {
  files: string[];
  variant: Variant | null;
  records: number;
  invalid_lines: number;
  /** The first invalid lines, `file:line: detail`. */
  invalid_examples: string[];
  flags: DatasetFlags;
  langs: Partial<Record<Lang, LangStats>>;
  /** Broken invariants (input-format.md §3), counted, not fatal. */
  warnings: DatasetWarnings;
  /** Fields lmsynth does not know, with the records (or responses, as `<list>[].<key>`) that have them: a
   * real file's surprises, visible at once. Passed through by `merge`, never read. */
  unknown_fields: Record<string, number>;
  /** What the input cannot tell, and what to give to tell it (e.g. a synth file without its instructions). */
  notes: string[];
}

const KNOWN_FIELDS = new Set(Object.keys(MergedRecordSchema.shape));
const RESPONSE_KEYS = new Set(["role", "content", "reasoning_content"]);

/** Counts the fields of `record` (and of its responses) that no schema names. */
function countUnknownFields(record: MergedRecord, counts: Map<string, number>): void {
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const key of Object.keys(record)) if (!KNOWN_FIELDS.has(key)) add(key);
  for (const { responses } of Object.values(LANGUAGE_FIELDS)) {
    for (const response of record[responses] ?? []) for (const key of Object.keys(response)) if (!RESPONSE_KEYS.has(key)) add(`${responses}[].${key}`);
  }
}

/** What `inspect` cannot confirm about a variant whose shape was inferred, not documented (input-format.md §7). */
function variantNotes(variant: Variant | undefined, langs: InspectReport["langs"]): string[] {
  if (!variant || !VARIANT_TABLE[variant].reasoning) return [];
  const traces = Object.entries(langs).map(([lang, s]) => `${lang} ${s.responses_with_reasoning} of ${s.responses}`).join(", ");
  return [
    `${variant}: the shape of this subset is inferred from consumers' code, no card or record has been seen: traces are read from reasoning_content (responses with one: ${traces}); a response whose content is not a string is counted without text and never used; any other field is listed under unknown fields`,
  ];
}

/** The fields `inspect` prints, in its key order; the length histograms are shown only by `lmsynth report`. */
function inspectLang(s: LanguageStats): LangStats {
  return {
    records_with_responses: s.records_with_responses,
    responses: s.responses,
    responses_without_text: s.responses_without_text,
    responses_with_reasoning: s.responses_with_reasoning,
    scored: s.scored,
    score_minus_one: s.score_minus_one,
    repetition_flagged: s.repetition_flagged,
    selectable_records: s.selectable_records,
    score_histogram: s.score_histogram,
    margin_histogram: s.margin_histogram,
    pairs_at_min_margin: s.pairs_at_min_margin,
  };
}

/** `lmsynth inspect`: what a file holds, every line validated; its report (exit 2 in the CLI when a line is invalid). */
export const inspectCommand: Command<typeof TABLE, InspectReport> = {
  about: "detect the variant, count and validate records, print a summary",
  usage: "lmsynth inspect <file…> [--json]",
  summary: "Detects the variant, validates every line and counts records, responses and scores. Exits 2 when a line is invalid.",
  table: TABLE,
  async *run(options, context) {
    const o = await resolveOptions(TABLE, options, context.env);
    const inputs = options.inputs ?? [];
    const stats = createDatasetStats();
    const rejected = { flag: "--rejected", path: o.rejected };
    let withoutInstruction = 0;
    const unknown = new Map<string, number>();
    return yield* withClaimedOutputs([rejected], inputPathsOf(inputs, o), async function* (): AsyncGenerator<CommandEvent, InspectReport> {
      // Without --rejected, inspect only counts and lists bad lines; it writes no file.
      const source = await openRecordSource(sourceOptionsOf(inputs, o, context, undefined));
      try {
        for await (const { record } of source.records) {
          addRecord(stats, record);
          countUnknownFields(record, unknown);
          if (record.synthesized_assistant_responses?.length && !record.translated_conversation?.length) withoutInstruction++;
          if (stats.records % PROGRESS_EVERY === 0) yield { event: "progress", records: stats.records, bytesRead: source.read.bytesRead, totalBytes: source.totalBytes };
        }
      } catch (e) {
        await source.abort();
        throw e;
      }
      await source.close();
      const langs = Object.fromEntries(Object.entries(stats.langs).map(([lang, s]) => [lang, inspectLang(s)]));
      return {
        files: [...inputs],
        variant: source.variant() ?? null,
        records: stats.records,
        invalid_lines: source.rejected(),
        invalid_examples: source.rejectedExamples,
        flags: stats.flags,
        langs,
        warnings: stats.warnings,
        unknown_fields: Object.fromEntries([...unknown].sort(([a], [b]) => a.localeCompare(b))),
        notes: [
          ...variantNotes(source.variant(), langs),
          // A synth file alone has no Japanese instructions: its records are not eligible, so margins would read 0.
          ...(withoutInstruction > 0
            ? [`${withoutInstruction} records with Japanese responses have no Japanese instruction: Japanese margins and selectable counts need --instructions (the .gpg file) with --synth`]
            : []),
        ],
      };
    });
  },
};

function bar(n: number, max: number): string {
  return "█".repeat(max === 0 ? 0 : Math.round((40 * n) / max));
}

/** The report as text: counts, then a score histogram per language. */
export function formatInspectReport(r: InspectReport): string {
  const lines = [
    `files            ${r.files.join(", ")}`,
    `variant          ${r.variant ?? "unknown"}`,
    `records          ${r.records}`,
    `invalid lines    ${r.invalid_lines}`,
    ...r.invalid_examples.map((e) => `  ${e}`),
    `duplicate / empty / template / redacted   ${r.flags.duplicate_instruction} / ${r.flags.empty_instruction} / ${r.flags.template_instruction} / ${r.flags.redacted}`,
  ];
  if (r.flags.multiturn) lines.push(`multi-turn conversations   ${r.flags.multiturn} (${r.flags.multiturn_two_turns} with a second user turn)`);
  for (const [lang, s] of Object.entries(r.langs)) {
    lines.push("", `[${lang}] records with responses ${s.records_with_responses}, responses ${s.responses}${s.responses_without_text ? ` (${s.responses_without_text} without text)` : ""}${s.responses_with_reasoning ? `, with reasoning ${s.responses_with_reasoning}` : ""}, scored ${s.scored}, score -1 ${s.score_minus_one}, repetition-flagged ${s.repetition_flagged}, selectable records ${s.selectable_records}`);
    const max = Math.max(...Object.values(s.score_histogram));
    for (const [b, n] of Object.entries(s.score_histogram)) lines.push(`  score ${b.padStart(2)}  ${String(n).padStart(9)}  ${bar(n, max)}`);
    const mmax = Math.max(...Object.values(s.margin_histogram));
    lines.push(`  DPO best-worst margin (chosen − rejected), and the pairs --min-margin M keeps:`);
    for (const [b, n] of Object.entries(s.margin_histogram)) {
      if (b === "0") continue;
      lines.push(`  margin ${b.padStart(2)}  ${String(n).padStart(8)}  keep@${b.padStart(2)} ${String(s.pairs_at_min_margin[b] ?? 0).padStart(8)}  ${bar(n, mmax)}`);
    }
  }
  const unknown = Object.entries(r.unknown_fields);
  if (unknown.length > 0) lines.push("", "unknown fields (passed through, never read):", ...unknown.map(([k, n]) => `  ${k}  ${n}`));
  for (const note of r.notes) lines.push("", `note: ${note}`);
  const w = r.warnings;
  lines.push("", `warnings: annotation length mismatch ${w.annotation_length_mismatch}, responses on duplicate/empty ${w.responses_on_duplicate_or_empty}, score out of range ${w.score_out_of_range}`);
  return lines.join("\n") + "\n";
}
