import { marginOf } from "@lmsynth/dpo";
import { isChoosable, isUsable, multiturnMessages, readCandidates } from "@lmsynth/sft";
import type { Lang, Variant } from "@lmsynth/schema";
import { GENERAL_OPTIONS, INPUT_OPTIONS } from "../common-options.js";
import { openRecordSource } from "../inputs.js";
import type { CliIo } from "../io.js";
import { parseOptions, type OptionTable } from "../option-table.js";
import { startProgress } from "../progress.js";

export const TABLE = {
  ...INPUT_OPTIONS,
  "on-invalid": { ...INPUT_OPTIONS["on-invalid"], default: "skip", description: "skip (default: count and list bad lines) or fail at the first" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth inspect <file…> [--json]";
export const SUMMARY =
  "Detects the variant, validates every line and counts records, responses and scores. Exits 2 when a line is invalid.";

/** Per-language counts of `inspect`. */
export interface LangStats {
  records_with_responses: number;
  responses: number;
  /** Responses with a usable score (0–10). */
  scored: number;
  /** Responses whose score is -1. */
  score_minus_one: number;
  repetition_flagged: number;
  /** Records with at least one choosable response. */
  selectable_records: number;
  /** Count of usable scores per integer bucket `floor(score)`, "0"…"10". */
  score_histogram: Record<string, number>;
  /** Best-minus-worst margin of each record that could give a DPO pair, per bucket `floor(margin)`. */
  margin_histogram: Record<string, number>;
  /** Records that give a best-worst pair at `--min-margin M`, for M = 1…10 (a margin of 0 never pairs). */
  pairs_at_min_margin: Record<string, number>;
}

/** What `inspect --json` prints. */
export interface InspectReport {
  files: string[];
  variant: Variant | null;
  records: number;
  invalid_lines: number;
  /** The first invalid lines, `file:line: detail`. */
  invalid_examples: string[];
  flags: { duplicate_instruction: number; empty_instruction: number; template_instruction: number; redacted: number; multiturn: number; multiturn_two_turns: number };
  langs: Partial<Record<Lang, LangStats>>;
  /** Broken invariants (input-format.md §3), counted, not fatal. */
  warnings: { annotation_length_mismatch: number; responses_on_duplicate_or_empty: number; score_out_of_range: number };
}

function emptyLang(): LangStats {
  const score_histogram: Record<string, number> = {};
  for (let i = 0; i <= 10; i++) score_histogram[String(i)] = 0;
  return {
    records_with_responses: 0,
    responses: 0,
    scored: 0,
    score_minus_one: 0,
    repetition_flagged: 0,
    selectable_records: 0,
    score_histogram,
    margin_histogram: { ...score_histogram },
    pairs_at_min_margin: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i + 1), 0])),
  };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseOptions(TABLE, argv);
  const o: typeof args.values = { "on-invalid": "skip", ...args.values };
  const report: InspectReport = {
    files: args.positionals,
    variant: null,
    records: 0,
    invalid_lines: 0,
    invalid_examples: [],
    flags: { duplicate_instruction: 0, empty_instruction: 0, template_instruction: 0, redacted: 0, multiturn: 0, multiturn_two_turns: 0 },
    langs: {},
    warnings: { annotation_length_mismatch: 0, responses_on_duplicate_or_empty: 0, score_out_of_range: 0 },
  };
  // Without --rejected, inspect only counts and lists bad lines; it writes no file.
  const source = await openRecordSource(args.positionals, o, io, undefined);
  const progress = startProgress(io, o.quiet === true, source.read, source.totalBytes);
  try {
    for await (const { record } of source.records) {
      report.records++;
      progress.tick(report.records);
      const f = report.flags;
      if (record.duplicate_user_instruction_ja != null) f.duplicate_instruction++;
      if (record.empty_user_instruction_ja === true) f.empty_instruction++;
      if (record.is_template_instruction != null) f.template_instruction++;
      if (record.redacted === true) f.redacted++;
      // Read as `sft --multiturn` does, so a conversation that starts with the assistant counts the
      // Japanese instruction in front of it as its first user turn.
      const turns = multiturnMessages(record.synthesized_multiturn_conversation, "");
      if (turns) {
        f.multiturn++;
        if (turns.filter((m) => m.role === "user").length >= 2) f.multiturn_two_turns++;
      }
      for (const lang of ["ja", "en"] as const) {
        const responses = lang === "ja" ? record.synthesized_assistant_responses : record.synthesized_assistant_responses_en;
        const annotations = lang === "ja" ? record.synthesized_response_scoring_annotations : record.synthesized_response_scoring_annotations_en;
        if (responses == null && annotations == null) continue;
        const s = (report.langs[lang] ??= emptyLang());
        const set = readCandidates(record, lang);
        if ((annotations?.length ?? 0) !== (responses?.length ?? 0)) report.warnings.annotation_length_mismatch++;
        if (set.candidates.length === 0) continue;
        if (lang === "ja" && (record.duplicate_user_instruction_ja != null || record.empty_user_instruction_ja === true)) {
          report.warnings.responses_on_duplicate_or_empty++;
        }
        s.records_with_responses++;
        s.responses += set.candidates.length;
        for (const c of set.candidates) {
          if (c.repetition) s.repetition_flagged++;
          if (c.score === -1) s.score_minus_one++;
          else if (c.score !== undefined && (c.score < 0 || c.score > 10 || !Number.isFinite(c.score))) report.warnings.score_out_of_range++;
          if (isUsable(c) && c.score! >= 0 && c.score! <= 10) {
            s.scored++;
            const bucket = String(Math.floor(c.score!));
            s.score_histogram[bucket] = (s.score_histogram[bucket] ?? 0) + 1;
          }
        }
        if (set.candidates.some((c) => isChoosable(c))) s.selectable_records++;
        const margin = marginOf(record, lang);
        if (margin !== undefined && margin > 0) {
          const bucket = String(Math.min(10, Math.floor(margin)));
          s.margin_histogram[bucket] = (s.margin_histogram[bucket] ?? 0) + 1;
          for (let m = 1; m <= 10 && margin >= m; m++) s.pairs_at_min_margin[String(m)]!++;
        }
      }
    }
  } catch (e) {
    progress.stop();
    await source.abort();
    throw e;
  }
  progress.stop();
  await source.close();
  report.variant = source.variant() ?? null;
  report.invalid_lines = source.rejected();
  report.invalid_examples = source.rejectedExamples;
  if (o.json) io.stdout.write(JSON.stringify(report, null, 2) + "\n");
  else io.stdout.write(formatReport(report));
  return report.invalid_lines > 0 ? 2 : 0;
}

function bar(n: number, max: number): string {
  return "█".repeat(max === 0 ? 0 : Math.round((40 * n) / max));
}

/** The report as text: counts, then a score histogram per language. */
export function formatReport(r: InspectReport): string {
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
    lines.push("", `[${lang}] records with responses ${s.records_with_responses}, responses ${s.responses}, scored ${s.scored}, score -1 ${s.score_minus_one}, repetition-flagged ${s.repetition_flagged}, selectable records ${s.selectable_records}`);
    const max = Math.max(...Object.values(s.score_histogram));
    for (const [b, n] of Object.entries(s.score_histogram)) lines.push(`  score ${b.padStart(2)}  ${String(n).padStart(9)}  ${bar(n, max)}`);
    const mmax = Math.max(...Object.values(s.margin_histogram));
    lines.push(`  DPO best-worst margin (chosen − rejected), and the pairs --min-margin M keeps:`);
    for (const [b, n] of Object.entries(s.margin_histogram)) {
      if (b === "0") continue;
      lines.push(`  margin ${b.padStart(2)}  ${String(n).padStart(8)}  keep@${b.padStart(2)} ${String(s.pairs_at_min_margin[b] ?? 0).padStart(8)}  ${bar(n, mmax)}`);
    }
  }
  const w = r.warnings;
  lines.push("", `warnings: annotation length mismatch ${w.annotation_length_mismatch}, responses on duplicate/empty ${w.responses_on_duplicate_or_empty}, score out of range ${w.score_out_of_range}`);
  return lines.join("\n") + "\n";
}
