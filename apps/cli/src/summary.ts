import type { RunSummary } from "@lmsynth/pipeline";
import { FUNNEL_LABELS, VARIANT_TABLE, orderedFunnel } from "@lmsynth/pipeline";
import type { CliIo } from "./io.js";

/** The summary as aligned text lines. */
export function formatSummary(s: RunSummary): string {
  const rows: Array<[string, string]> = [
    ["variant", s.variant ?? s.variants?.join(" + ") ?? "unknown"],
    ["records read", String(s.records)],
  ];
  if (s.rejected) rows.push(["lines rejected", String(s.rejected)]);
  // Said whenever a trace was seen or expected, so that a GPT-OSS build shows how many it kept.
  const traced = Object.values(s.traces ?? {}).some((t) => t.with > 0) || [s.variant, ...(s.variants ?? [])].some((v) => v && VARIANT_TABLE[v].reasoning);
  if (traced) {
    for (const lang of ["ja", "en"] as const) {
      const t = s.traces?.[lang];
      if (t) rows.push([`responses with a reasoning trace (${lang})`, `${t.with} of ${t.with + t.without}`]);
    }
  }
  if (s.deleted) {
    rows.push(["records deleted (--exclude-ids)", String(s.deleted.records)]);
    for (const [out, n] of Object.entries(s.deleted.rows)) rows.push([`${out} rows withheld`, String(n)]);
  }
  for (const [out, n] of Object.entries(s.rows)) {
    const splits = Object.entries(s.splits?.[out] ?? {});
    rows.push([`${out} rows written`, String(n)]);
    if (splits.length > 1) for (const [split, m] of splits) rows.push([`${out} ${split}`, String(m ?? 0)]);
  }
  for (const [out, byLang] of Object.entries(s.funnel)) {
    for (const lang of (["ja", "en"] as const).filter((l) => byLang[l])) {
      const funnel = byLang[lang];
      for (const { reason, count, kind } of orderedFunnel(funnel ?? {})) rows.push([`${out} ${FUNNEL_LABELS[kind]} (${lang}) ${reason}`, String(count)]);
    }
  }
  if (s.droppedPairs) rows.push(["dpo pairs dropped by margin", String(s.droppedPairs)]);
  if (s.neutralCandidates) rows.push(["kto responses between the thresholds", String(s.neutralCandidates)]);
  for (const [k, v] of Object.entries(s.join ?? {})) rows.push([`join ${k}`, String(v)]);
  if (s.reusedShards !== undefined) rows.push(["shards reused", String(s.reusedShards)]);
  if (s.alreadyComplete) rows.push(["left as it is", "already complete"]);
  if (s.leftOut) rows.push(["left out (no rows)", s.leftOut.join(", ")]);
  rows.push(["seconds", s.seconds.toFixed(2)]);
  for (const path of s.outputs) rows.push(["wrote", path]);
  const w = Math.max(...rows.map(([k]) => k.length));
  const table = rows.map(([k, v]) => (k === "wrote" || k.startsWith("left ") ? `${k.padEnd(w)}  ${v}` : `${k.padEnd(w)}  ${v.padStart(10)}`));
  // Warnings on lines of their own, after the table, where a reader looks last.
  return [...table, ...(s.warnings ?? []).map((w) => `warning: ${w}`)].join("\n") + "\n";
}

/**
 * Prints the summary: JSON on stdout with `--json` (its warnings on stderr too), else the table, warnings
 * last, on stderr. `--silent` prints nothing on stderr.
 */
export function printSummary(io: CliIo, s: RunSummary, opts: { json?: boolean; silent?: boolean }): void {
  if (opts.json) io.stdout.write(JSON.stringify(s, null, 2) + "\n");
  if (opts.silent) return;
  if (opts.json) for (const w of s.warnings ?? []) io.stderr.write(`warning: ${w}\n`);
  else io.stderr.write(formatSummary(s));
}

/** `--quiet` and `--silent` both turn progress off. */
export function noProgress(o: Record<string, unknown>): boolean {
  return o.quiet === true || o.silent === true;
}
