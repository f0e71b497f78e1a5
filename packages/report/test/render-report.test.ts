import { describe, it, expect } from "vitest";
import type { MergedRecord } from "@lmsynth/schema";
import { addRecord, createDatasetStats, renderReportHtml, type DatasetStats, type ReportInput } from "../src/index.js";
import { fixtureRecords, record } from "./records.js";

function statsOf(records: readonly MergedRecord[]): DatasetStats {
  const stats = createDatasetStats();
  for (const r of records) addRecord(stats, r);
  return stats;
}

interface ChartSeen {
  bars: Array<[label: string, value: number]>;
  /** Numbers printed next to the bars, as text. */
  shown: string[];
  titles: string[];
}

/** Every `<svg data-chart>` of the page, by name in page order, with its bars, printed numbers and tooltips. */
function charts(html: string): Map<string, ChartSeen> {
  const out = new Map<string, ChartSeen>();
  for (const [, name, body] of html.matchAll(/<svg data-chart="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g)) {
    out.set(name!, {
      bars: [...body!.matchAll(/<rect data-bar data-label="([^"]*)" data-value="([^"]*)"/g)].map((m) => [m[1]!, Number(m[2])]),
      shown: [...body!.matchAll(/<text class="value[^"]*"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!),
      titles: [...body!.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]!),
    });
  }
  return out;
}

const bars = (labels: readonly string[], values: readonly number[]): Array<[string, number]> => labels.map((l, i) => [l, values[i]!]);
const TO10 = Array.from({ length: 11 }, (_, i) => String(i));
const LENGTHS = ["0-99", "100-199", "200-499", "500-999", "1000-1999", "2000-4999", "5000+"];

const edge = statsOf(fixtureRecords("llama3.1/edge-cases.jsonl"));
const INPUT: ReportInput = {
  stats: edge,
  records: 22,
  rows: { sft: 30, dpo: 11 },
  funnel: {
    // Keys deliberately out of order: the chart orders reasons as behaviour.md lists them.
    sft: { ja: { "no-valid-score": 2, "no-candidates": 3, "duplicate-instruction": 1, "empty-instruction": 1 }, en: { pii: 1, "no-candidates": 1 } },
    dpo: { ja: { margin: 2, "too-few-candidates": 4, "no-candidates": 3 }, en: { "too-few-candidates": 21 } },
  },
  variant: "llama-3.1",
  preset: "swallow-v0.1",
  options: { system: `<b>&'"`, lang: "both", format: ["parquet", "jsonl"], "min-margin": 1 },
  command: `lmsynth build in.jsonl --system '<script>alert(1)</script>' -o out`,
  version: "0.1.0",
};

describe("renderReportHtml charts", () => {
  const html = renderReportHtml(INPUT);
  const seen = charts(html);

  it("draws every chart, in page order", () => {
    expect([...seen.keys()]).toEqual([
      "funnel-sft",
      "funnel-dpo",
      "score-ja",
      "score-en",
      "margin-ja",
      "margin-en",
      "response-length-ja",
      "response-length-en",
      "instruction-length-ja",
      "instruction-length-en",
      "responses-per-instruction-ja",
      "responses-per-instruction-en",
    ]);
  });

  it("funnel: one bar per reason summed over languages, in behaviour.md order, then rows written", () => {
    expect(seen.get("funnel-sft")).toEqual({
      bars: [["no-candidates", 4], ["empty-instruction", 1], ["duplicate-instruction", 1], ["pii", 1], ["no-valid-score", 2], ["rows written", 30]],
      shown: ["4", "1", "1", "1", "2", "30"],
      titles: ["no-candidates: 4 (ja 3, en 1)", "empty-instruction: 1 (ja 1)", "duplicate-instruction: 1 (ja 1)", "pii: 1 (en 1)", "no-valid-score: 2 (ja 2)", "rows written: 30"],
    });
    expect(seen.get("funnel-dpo")!.bars).toEqual([["no-candidates", 3], ["too-few-candidates", 25], ["margin", 2], ["rows written", 11]]);
  });

  it.each([
    ["score-ja", bars(TO10, [0, 0, 4, 2, 5, 6, 7, 14, 6, 4, 0])],
    ["score-en", bars(TO10, [0, 0, 0, 0, 0, 0, 0, 0, 21, 0, 0])],
    ["margin-ja", bars(TO10.slice(1), [2, 4, 1, 1, 2, 0, 1, 0, 0, 0])],
    ["margin-en", bars(TO10.slice(1), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
    ["response-length-ja", bars(LENGTHS, [63, 0, 0, 0, 0, 0, 0])],
    ["response-length-en", bars(LENGTHS, [21, 0, 0, 0, 0, 0, 0])],
    ["instruction-length-ja", bars(LENGTHS, [17, 0, 0, 0, 0, 0, 0])],
    ["instruction-length-en", bars(LENGTHS, [21, 0, 0, 0, 0, 0, 0])],
    ["responses-per-instruction-ja", bars([...TO10.slice(0, 10), "10+"], [3, 0, 6, 5, 0, 0, 6, 0, 0, 0, 0])],
    ["responses-per-instruction-en", bars([...TO10.slice(0, 10), "10+"], [0, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
  ])("%s has the stats' bars, each number printed and in its tooltip", (name, expected) => {
    const chart = seen.get(name)!;
    expect(chart.bars).toEqual(expected);
    expect(chart.shown).toEqual(expected.map(([, v]) => String(v)));
    expect(chart.titles.map((t) => t.replace(/^.*: /, ""))).toEqual(expected.map(([, v]) => String(v)));
  });

  it("prints the records kept per --min-margin", () => {
    expect(html).toContain(
      "<tr><th scope=\"row\">ja</th><td>11</td><td>9</td><td>5</td><td>4</td><td>3</td><td>1</td><td>1</td><td>0</td><td>0</td><td>0</td></tr>",
    );
  });

  it("draws a funnel chart exactly so", () => {
    const tiny = renderReportHtml({ stats: createDatasetStats(), records: 3, rows: { sft: 2 }, funnel: { sft: { ja: { "no-candidates": 1 } } }, options: {}, command: "c", version: "0.1.0" });
    expect(tiny.match(/<svg[\s\S]*?<\/svg>/g)).toEqual([
      '<svg data-chart="funnel-sft" role="img" aria-labelledby="chart-funnel-sft" viewBox="0 0 540 60" width="540" height="60">' +
        '<line class="axis" x1="177.5" y1="2" x2="177.5" y2="58"/>' +
        '<g><text class="tick" x="168" y="21" text-anchor="end">no-candidates</text>' +
        '<rect data-bar data-label="no-candidates" data-value="1" class="bar skip" x="178" y="8" width="142" height="18" rx="2"><title>no-candidates: 1 (ja 1)</title></rect>' +
        '<text class="value" x="326" y="21">1</text></g>' +
        '<g><text class="tick" x="168" y="47" text-anchor="end">rows written</text>' +
        '<rect data-bar data-label="rows written" data-value="2" class="bar kept" x="178" y="34" width="284" height="18" rx="2"><title>rows written: 2</title></rect>' +
        '<text class="value" x="468" y="47">2</text></g>' +
        "</svg>",
    ]);
    expect(tiny).toContain("No record had responses.");
  });
});

describe("renderReportHtml page", () => {
  it("escapes every text it is given", () => {
    const html = renderReportHtml(INPUT);
    expect(html).not.toContain("<script");
    expect(html).toContain("<code>lmsynth build in.jsonl --system &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39; -o out</code>");
    expect(html).toContain("<tr><th scope=\"row\"><code>--system</code></th><td>&lt;b&gt;&amp;&#39;&quot;</td></tr>");
    expect(html).toContain("<tr><th scope=\"row\"><code>--format</code></th><td>parquet, jsonl</td></tr>");
  });

  it("is self-contained: no script, no URL, and a policy that forbids fetching anything", () => {
    const html = renderReportHtml(INPUT);
    expect(html).not.toMatch(/https?:|src=|href=|url\(|@import|<link|<script|<img/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  });

  it("is deterministic and shows the variant, preset, version and counts", () => {
    const html = renderReportHtml(INPUT);
    expect(renderReportHtml(structuredClone(INPUT))).toBe(html);
    expect(html).toContain("<div><dt>records read</dt><dd>22</dd></div><div><dt>sft rows written</dt><dd>30</dd></div><div><dt>dpo rows written</dt><dd>11</dd></div><div><dt>variant</dt><dd>llama-3.1</dd></div>");
    expect(html).toContain("<tr><th scope=\"row\">preset</th><td>swallow-v0.1</td></tr>");
    expect(html).toContain("<tr><th scope=\"row\">tool</th><td>lmsynth 0.1.0</td></tr>");
    expect(html).toContain("<title>lmsynth report</title>");
  });

  it("groups large numbers by commas in print, keeps them exact in data-value", () => {
    const stats = createDatasetStats();
    const big = renderReportHtml({ stats, records: 1234567, rows: { dpo: 1000 }, funnel: { dpo: { ja: { margin: 999999 } } }, options: {}, command: "c", version: "0.1.0" });
    expect(charts(big).get("funnel-dpo")).toEqual({
      bars: [["margin", 999999], ["rows written", 1000]],
      shown: ["999,999", "1,000"],
      titles: ["margin: 999,999 (ja 999,999)", "rows written: 1,000"],
    });
    expect(big).toContain("<dd>1,234,567</dd>");
    expect([...charts(big).keys()]).toEqual(["funnel-dpo"]);
  });

  it("adds a first '<1' margin bar only when a margin in (0, 1) occurred", () => {
    const stats = statsOf([record([["a", 7.5], ["b", 7]]), record([["a", 9], ["b", 2]])]);
    const chart = charts(renderReportHtml({ ...INPUT, stats })).get("margin-ja")!;
    // Raw HTML: the label is escaped.
    expect(chart.bars).toEqual(bars(["&lt;1", ...TO10.slice(1)], [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]));
    expect(chart.shown[0]).toBe("1");
    expect(chart.titles[0]).toBe("margin &lt;1: 1");
  });
});
