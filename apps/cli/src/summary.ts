import type { RunSummary } from "@lmsynth/pipeline";
import type { CliIo } from "./io.js";

/** The summary as aligned text lines. */
export function formatSummary(s: RunSummary): string {
  const rows: Array<[string, string]> = [
    ["variant", s.variant ?? "unknown"],
    ["records read", String(s.records)],
  ];
  if (s.rejected) rows.push(["lines rejected", String(s.rejected)]);
  for (const [out, n] of Object.entries(s.rows)) rows.push([`${out} rows written`, String(n)]);
  for (const [out, byLang] of Object.entries(s.funnel)) {
    for (const lang of (["ja", "en"] as const).filter((l) => byLang[l])) {
      const funnel = byLang[lang];
      for (const [reason, n] of Object.entries(funnel ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        rows.push([`${out} skipped (${lang}) ${reason}`, String(n)]);
      }
    }
  }
  if (s.droppedPairs) rows.push(["dpo pairs dropped by margin", String(s.droppedPairs)]);
  for (const [k, v] of Object.entries(s.join ?? {})) rows.push([`join ${k}`, String(v)]);
  if (s.reusedShards !== undefined) rows.push(["shards reused", String(s.reusedShards)]);
  rows.push(["seconds", s.seconds.toFixed(2)]);
  for (const path of s.outputs) rows.push(["wrote", path]);
  const w = Math.max(...rows.map(([k]) => k.length));
  const table = rows.map(([k, v]) => (k === "wrote" ? `${k.padEnd(w)}  ${v}` : `${k.padEnd(w)}  ${v.padStart(10)}`));
  // Warnings on lines of their own, after the table, where a reader looks last.
  return [...table, ...(s.warnings ?? []).map((w) => `warning: ${w}`)].join("\n") + "\n";
}

/** Prints the summary: JSON on stdout with `--json`, else the table on stderr unless `--quiet`. */
export function printSummary(io: CliIo, s: RunSummary, opts: { json?: boolean; quiet?: boolean }): void {
  if (opts.json) io.stdout.write(JSON.stringify(s, null, 2) + "\n");
  else if (!opts.quiet) io.stderr.write(formatSummary(s));
  // Warnings reach stderr even when the table does not: `--quiet` hides progress, not a changed dataset.
  if (opts.json || opts.quiet) for (const w of s.warnings ?? []) io.stderr.write(`warning: ${w}\n`);
}
