import { orderedFunnel, type Funnel, type FunnelCounter, type Lang, type Variant } from "@lmsynth/schema";
import type { DatasetStats, LanguageStats } from "./dataset-stats.js";

/** An output whose funnel the report draws. */
/** An output of the run: a config of the folder (`sft`, `dpo`, `sft-sharegpt`, `kto`…). */
export type ReportOutput = string;

/** Everything the report shows; see {@link renderReportHtml}. */
export interface ReportInput {
  /** Counts of the input, from `addRecord` over every record read. */
  stats: DatasetStats;
  /** Records read (the summary's "records read"). */
  records: number;
  /** Rows written per output. Only the outputs present here get a funnel chart, sft before dpo. */
  rows: Partial<Record<ReportOutput, number>>;
  /** Skip reasons per output and language, as the run summary holds them (`RunSummary.funnel`). */
  funnel: Partial<Record<ReportOutput, Partial<Record<Lang, Funnel>>>>;
  /** Rows withheld per output because their conversation is under a deletion request (`--exclude-ids`,
   * `delete-ids`): the first bar of the funnel, present when a deletion list was applied. */
  deleted?: Partial<Record<ReportOutput, number>>;
  /** Variant given or detected; null or undefined prints "unknown". */
  variant?: Variant | null;
  /** `--preset` in force, if any. */
  preset?: string;
  /** Resolved options as recorded in the manifest (JSON values); shown sorted by key. */
  options: Record<string, unknown>;
  /** The exact command line. */
  command: string;
  /** lmsynth version. */
  version: string;
  /** Page heading. Default "lmsynth report". */
  title?: string;
}


const LANGS: readonly Lang[] = ["ja", "en"];
const LANG_NAMES: Record<Lang, string> = { ja: "Japanese (ja)", en: "English (en)" };

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for HTML and SVG content and attribute values. */
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A count as people read it: whole numbers grouped by commas (no locale, so the output is stable). */
function fmt(n: number): string {
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : String(n);
}

/** A coordinate with at most one decimal, so the SVG text is short and stable. */
function px(n: number): string {
  return String(Math.round(n * 10) / 10);
}

interface Bar {
  /** Axis label. */
  label: string;
  value: number;
  /** Tooltip text after "label: value". */
  detail?: string;
  /** CSS class of the rectangle. */
  tone: string;
}

interface ChartSpec {
  /** `data-chart` value, unique in the page. */
  name: string;
  /** Figure heading. */
  caption: string;
  /** Small line under the heading. */
  note: string;
  /** Tooltip prefix of a column, e.g. "score" ("score 7: 14"); funnel rows need none. */
  what?: string;
  bars: Bar[];
}

const COLUMN_W = 540;
const COLUMN_H = 220;

/** A vertical bar chart: one column per bucket, its count printed above it and in its `<title>`. */
function columnChart(spec: ChartSpec): string {
  const top = 24;
  const bottom = COLUMN_H - 30;
  const left = 6;
  const slot = (COLUMN_W - 2 * left) / Math.max(1, spec.bars.length);
  const width = Math.min(56, slot * 0.72);
  const max = Math.max(0, ...spec.bars.map((b) => b.value));
  const parts: string[] = [];
  spec.bars.forEach((b, i) => {
    const h = max === 0 ? 0 : ((bottom - top) * b.value) / max;
    const cx = left + slot * (i + 0.5);
    const title = `${spec.what ?? ""} ${b.label}: ${fmt(b.value)}${b.detail ? ` (${b.detail})` : ""}`.trimStart();
    parts.push(
      `<g>` +
        `<rect data-bar data-label="${esc(b.label)}" data-value="${b.value}" class="bar ${b.tone}" x="${px(cx - width / 2)}" y="${px(bottom - h)}" width="${px(width)}" height="${px(h)}" rx="2"><title>${esc(title)}</title></rect>` +
        `<text class="value${b.value === 0 ? " zero" : ""}" x="${px(cx)}" y="${px(bottom - h - 6)}" text-anchor="middle">${fmt(b.value)}</text>` +
        `<text class="tick" x="${px(cx)}" y="${bottom + 18}" text-anchor="middle">${esc(b.label)}</text>` +
        `</g>`,
    );
  });
  const axis = `<line class="axis" x1="${left}" y1="${bottom + 0.5}" x2="${COLUMN_W - left}" y2="${bottom + 0.5}"/>`;
  const empty = max === 0 ? `<text class="empty" x="${COLUMN_W / 2}" y="${px((top + bottom) / 2)}" text-anchor="middle">none</text>` : "";
  return figure(spec, COLUMN_W, COLUMN_H, axis + empty + parts.join(""));
}

/** A horizontal bar chart (the funnel): one row per reason, its name on the left and its count after the bar. */
function rowChart(spec: ChartSpec): string {
  const rowH = 26;
  const labelW = 178;
  const valueW = 78;
  const height = spec.bars.length * rowH + 8;
  const span = COLUMN_W - labelW - valueW;
  const max = Math.max(0, ...spec.bars.map((b) => b.value));
  const parts = spec.bars.map((b, i) => {
    const y = 4 + i * rowH;
    const w = max === 0 ? 0 : (span * b.value) / max;
    const title = `${b.label}: ${fmt(b.value)}${b.detail ? ` (${b.detail})` : ""}`;
    return (
      `<g>` +
      `<text class="tick" x="${labelW - 10}" y="${y + 17}" text-anchor="end">${esc(b.label)}</text>` +
      `<rect data-bar data-label="${esc(b.label)}" data-value="${b.value}" class="bar ${b.tone}" x="${labelW}" y="${y + 4}" width="${px(w)}" height="${rowH - 8}" rx="2"><title>${esc(title)}</title></rect>` +
      `<text class="value${b.value === 0 ? " zero" : ""}" x="${px(labelW + w + 6)}" y="${y + 17}">${fmt(b.value)}</text>` +
      `</g>`
    );
  });
  const axis = `<line class="axis" x1="${labelW - 0.5}" y1="2" x2="${labelW - 0.5}" y2="${height - 2}"/>`;
  return figure(spec, COLUMN_W, height, axis + parts.join(""));
}

function figure(spec: ChartSpec, width: number, height: number, body: string): string {
  const id = `chart-${spec.name}`;
  return (
    `<figure class="chart">` +
    `<figcaption><span class="caption" id="${esc(id)}">${esc(spec.caption)}</span><span class="note">${esc(spec.note)}</span></figcaption>` +
    `<svg data-chart="${esc(spec.name)}" role="img" aria-labelledby="${esc(id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${body}</svg>` +
    `</figure>`
  );
}

function histogramBars(histogram: Record<string, number>, tone: string, relabel: (key: string) => string = (k) => k): Bar[] {
  return Object.entries(histogram).map(([key, value]) => ({ label: relabel(key), value, tone }));
}

/** Sum of a funnel over languages, with the per-language counts for the tooltip, in funnel order; a note
 * (rows taken, not skipped) drawn as kept rows. */
function funnelBars(byLang: Partial<Record<Lang, Funnel>>): Bar[] {
  const total: Record<string, number> = {};
  for (const lang of LANGS) for (const [reason, n] of Object.entries(byLang[lang] ?? {})) total[reason] = (total[reason] ?? 0) + n;
  return orderedFunnel(total).map(({ reason, count, kind }) => ({
    label: reason,
    value: count,
    detail: LANGS.flatMap((lang) => {
      const n = byLang[lang]?.[reason as FunnelCounter];
      return n === undefined ? [] : [`${lang} ${fmt(n)}`];
    }).join(", "),
    tone: kind === "note" ? "kept" : "skip",
  }));
}

function sum(histogram: Record<string, number>): number {
  return Object.values(histogram).reduce((a, b) => a + b, 0);
}

/** One chart per language present, side by side. */
function perLanguage(langs: Array<[Lang, LanguageStats]>, chart: (lang: Lang, s: LanguageStats) => string): string {
  return `<div class="grid">${langs.map(([lang, s]) => chart(lang, s)).join("")}</div>`;
}

/** A card of the page; `lead` and `body` are HTML built here (the lead texts are constants of this file). */
function section(id: string, heading: string, lead: string, body: string): string {
  return `<section id="${id}"><h2>${esc(heading)}</h2><p class="lead">${lead}</p>${body}</section>`;
}

/** A table whose first column heads the rows; `head` is plain text (escaped here), cells are HTML. */
function table(head: string[] | undefined, rows: string[][], className = ""): string {
  const thead = head ? `<thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join("")}</tr></thead>` : "";
  const tr = rows.map((cells) => `<tr>${cells.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td>${c}</td>`)).join("")}</tr>`).join("");
  return `<table${className ? ` class="${className}"` : ""}>${thead}<tbody>${tr}</tbody></table>`;
}

function optionValue(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => String(v)).join(", ");
  if (typeof value === "string") return value;
  return JSON.stringify(value) ?? String(value);
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2328;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1160px;margin:0 auto;padding:28px 24px 40px}
header h1{margin:0 0 4px;font-size:24px;font-weight:650;letter-spacing:-.01em}
header p{margin:0;color:#59636e}
code{font:12.5px/1.5 ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;background:#eef0f3;border-radius:4px;padding:1px 5px;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin:20px 0 8px;padding:0}
.cards div{background:#fff;border:1px solid #dfe3e8;border-radius:8px;padding:12px 16px}
.cards dt{color:#59636e;font-size:12.5px}
.cards dd{margin:2px 0 0;font-size:22px;font-weight:650}
section{background:#fff;border:1px solid #dfe3e8;border-radius:8px;padding:18px 20px 14px;margin-top:16px}
h2{margin:0;font-size:16.5px;font-weight:650}
.lead{margin:2px 0 12px;color:#59636e;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:14px 28px}
figure{margin:0}
figcaption{display:flex;justify-content:space-between;align-items:baseline;gap:12px;margin-bottom:4px}
.caption{font-weight:600}
.note{color:#59636e;font-size:12.5px}
svg{display:block;width:100%;height:auto;overflow:visible}
svg text{font-size:11.5px;fill:#1f2328}
svg .tick{fill:#59636e}
svg .value{font-weight:600}
svg .value.zero{fill:#a3acb6;font-weight:400}
svg .empty{fill:#a3acb6;font-size:13px}
.axis{stroke:#c9d0d8;stroke-width:1}
.bar.ja{fill:#4c78a8}.bar.en{fill:#e8863a}.bar.skip{fill:#d76b5f}.bar.kept{fill:#4f9d5a}
table{border-collapse:collapse;font-size:13px;margin:4px 0 8px}
th,td{padding:5px 12px 5px 0;text-align:right;border-bottom:1px solid #edf0f3;vertical-align:top}
th{font-weight:600}
thead th{color:#59636e;font-weight:600;border-bottom:1px solid #d5dbe1}
thead th:first-child,tbody th{text-align:left}
tbody th{font-weight:400;color:#1f2328}
table.run{width:100%}
table.run td,table.run th{text-align:left}
table.run th{white-space:nowrap;padding-right:20px}
table.run td{width:100%}
table.keep{margin-top:14px}
table.keep td,table.keep thead th+th{min-width:52px}
.tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:8px 28px;align-items:start}
.tables table{width:100%}
footer{margin-top:18px;color:#8b949e;font-size:12px;text-align:center}
`;

/**
 * The visual report (issue 8) as one self-contained HTML page: inline SVG bar charts and a stylesheet, no
 * script, no external URL (a Content-Security-Policy forbids any fetch), so it opens offline and can sit in
 * a Hub dataset folder. Charts, each an `<svg data-chart="…">` whose bars are `<rect data-bar data-value>` with
 * the exact count in a `<title>` and printed beside the bar:
 * - `funnel-<output>` (each output in `rows`, in its order: `funnel-sft`, `funnel-dpo`…): one bar per skip reason present in the funnel, summed
 *   over languages, in behaviour.md order, then `rows written`;
 * - per language present in `stats.langs` (ja, then en): `score-<lang>` (11 bars, 0…10), `margin-<lang>`
 *   (10 bars, 1…10, plus a first `<1` bar only when a margin in (0, 1) occurred), `response-length-<lang>` and
 *   `instruction-length-<lang>` (7 bars each), `responses-per-instruction-<lang>` (11 bars, 0…10+).
 * Tables give the per-language counts, flags, warnings, pairs kept per `--min-margin`, and the variant,
 * preset, options, command and version. All text is HTML-escaped. Same input → same string (no dates).
 */
export function renderReportHtml(input: ReportInput): string {
  const { stats } = input;
  const title = input.title ?? "lmsynth report";
  const langs = LANGS.filter((l) => stats.langs[l] !== undefined).map((l) => [l, stats.langs[l]!] as [Lang, LanguageStats]);
  const outputs = Object.keys(input.rows);
  const variant = input.variant ?? "unknown";

  const cards = [
    ["records read", fmt(input.records)],
    ...outputs.map((o) => [`${o} rows written`, fmt(input.rows[o]!)]),
    ["variant", variant],
  ]
    .map(([k, v]) => `<div><dt>${esc(k!)}</dt><dd>${esc(v!)}</dd></div>`)
    .join("");

  const funnel = outputs.map((o) =>
    rowChart({
      name: `funnel-${o}`,
      caption: o.toUpperCase(),
      note: `${fmt(input.rows[o]!)} rows from ${fmt(input.records)} records`,
      bars: [
        ...(input.deleted?.[o] !== undefined ? [{ label: "deleted (rows)", value: input.deleted[o], tone: "skip" }] : []),
        ...funnelBars(input.funnel[o] ?? {}),
        { label: "rows written", value: input.rows[o]!, tone: "kept" },
      ],
    }),
  );

  const score = perLanguage(langs, (lang, s) =>
    columnChart({
      name: `score-${lang}`,
      caption: LANG_NAMES[lang],
      note: `${fmt(s.scored)} scored responses`,
      what: "score",
      bars: histogramBars(s.score_histogram, lang),
    }),
  );

  const margin = perLanguage(langs, (lang, s) => {
    const entries = Object.entries(s.margin_histogram).filter(([k, n]) => k !== "0" || n > 0);
    return columnChart({
      name: `margin-${lang}`,
      caption: LANG_NAMES[lang],
      note: `${fmt(sum(s.margin_histogram))} records can give a pair`,
      what: "margin",
      bars: entries.map(([k, n]) => ({ label: k === "0" ? "<1" : k, value: n, tone: lang })),
    });
  });
  const keep = table(
    ["records kept at --min-margin", ...Object.keys(langs[0]?.[1].pairs_at_min_margin ?? {})],
    langs.map(([lang, s]) => [esc(lang), ...Object.values(s.pairs_at_min_margin).map(fmt)]),
    "keep",
  );

  const lengths = (key: "response_length_histogram" | "instruction_length_histogram", name: string, unit: string) =>
    perLanguage(langs, (lang, s) =>
      columnChart({
        name: `${name}-${lang}`,
        caption: LANG_NAMES[lang],
        note: `${fmt(sum(s[key]))} ${unit}`,
        what: "characters",
        bars: histogramBars(s[key], lang),
      }),
    );

  const perInstruction = perLanguage(langs, (lang, s) =>
    columnChart({
      name: `responses-per-instruction-${lang}`,
      caption: LANG_NAMES[lang],
      note: `${fmt(sum(s.responses_per_instruction))} records`,
      what: "responses",
      bars: histogramBars(s.responses_per_instruction, lang, (k) => (k === "10" ? "10+" : k)),
    }),
  );

  const counts = table(
    ["", ...langs.map(([l]) => l)],
    (
      [
        ["records with responses", "records_with_responses"],
        ["responses", "responses"],
        ["responses without text (null)", "responses_without_text"],
        // Only reasoning variants have traces; the row would be zeros for the others.
        ...(langs.some(([, s]) => s.responses_with_reasoning > 0) ? [["responses with reasoning", "responses_with_reasoning"] as const] : []),
        ["scored (0–10)", "scored"],
        ["score −1", "score_minus_one"],
        ["repetition-flagged", "repetition_flagged"],
        ["selectable records", "selectable_records"],
      ] as const
    ).map(([label, key]) => [esc(label), ...langs.map(([, s]) => fmt(s[key]))]),
  );
  const f = stats.flags;
  const w = stats.warnings;
  const flags = table(
    ["records", "count"],
    [
      ["duplicate instruction", f.duplicate_instruction],
      ["empty instruction", f.empty_instruction],
      ["template instruction", f.template_instruction],
      ["redacted (PII)", f.redacted],
      ["multi-turn conversation", f.multiturn],
      ["… with a second user turn", f.multiturn_two_turns],
    ].map(([k, v]) => [esc(String(k)), fmt(v as number)]),
  );
  const warnings = table(
    ["warnings", "count"],
    [
      ["annotation length mismatch", w.annotation_length_mismatch],
      ["responses on duplicate/empty", w.responses_on_duplicate_or_empty],
      ["score out of range", w.score_out_of_range],
    ].map(([k, v]) => [esc(String(k)), fmt(v as number)]),
  );

  const options = Object.keys(input.options)
    .sort()
    .map((k) => [`<code>--${esc(k)}</code>`, esc(optionValue(input.options[k]))]);
  const run = table(
    undefined,
    [
      ["tool", `lmsynth ${esc(input.version)}`],
      ["variant", esc(variant)],
      ["preset", input.preset === undefined ? "none" : esc(input.preset)],
      ["command", `<code>${esc(input.command)}</code>`],
      ...options,
    ],
    "run",
  );

  const noLang = langs.length === 0 ? `<p class="lead">No record had responses.</p>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header><h1>${esc(title)}</h1><p>${esc(variant)} · lmsynth ${esc(input.version)}</p></header>
<dl class="cards">${cards}</dl>
${section("funnel", "Funnel", "Records skipped per reason (summed over languages; hover a bar for each language), then the rows written.", `<div class="grid">${funnel.join("")}</div>`)}
${section("scores", "Judge scores", "Usable responses by <code>floor(preference_score)</code>.", noLang + score)}
${section("margins", "DPO margin", "Best-worst margin (chosen − rejected score) of each record that can give a pair, by <code>floor(margin)</code>, and the records <code>--min-margin M</code> keeps.", noLang + margin + keep)}
${section("response-lengths", "Response length", "Characters (Unicode code points) of every response.", noLang + lengths("response_length_histogram", "response-length", "responses"))}
${section("instruction-lengths", "Instruction length", "Characters (Unicode code points) of the instruction of each record with responses.", noLang + lengths("instruction_length_histogram", "instruction-length", "instructions"))}
${section("responses-per-instruction", "Responses per instruction", "Synthesized responses per record, for the records that carry the list.", noLang + perInstruction)}
${section("records", "Input", "Counts over every record read, whatever the options.", `<div class="tables">${counts}${flags}${warnings}</div>`)}
${section("run", "Run", "What produced this report.", run)}
<footer>Generated by lmsynth ${esc(input.version)}. Self-contained: no scripts, no network.</footer>
</main>
</body>
</html>
`;
}
