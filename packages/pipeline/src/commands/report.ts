import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { convertAll, finishSummary, newSummary, openRecordSource, renderRunReport } from "@lmsynth/pipeline";
import { createDatasetStats } from "@lmsynth/report";
import { OutputError } from "@lmsynth/schema";
import { CONVERSION_OPTIONS, DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS, resolveOptions } from "../common-options.js";
import { FOLDER_SELECTION_OPTIONS, folderConvertInit } from "../conversion-options.js";
import { exclusionOf, inputPathsOf, sourceOptionsOf } from "../source-options.js";
import { withClaimedOutputs } from "../output-claim.js";
import type { CliIo } from "../io.js";
import { parseOptions, type OptionTable } from "../option-table.js";
import { drawProgress, parallelismOf, rejectedOutput, runOf } from "../run-jsonl.js";
import { printSummary, noProgress } from "../summary.js";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../template-options.js";
import { UsageError } from "../usage-error.js";

// The report counts what `build` would write, so it takes build's selection flags but none of its file ones.
export const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "output .html file, or - for stdout" },
  ...INPUT_OPTIONS,
  ...DELETION_OPTIONS,
  ...CONVERSION_OPTIONS,
  ...FOLDER_SELECTION_OPTIONS,
  ...TEMPLATE_OPTIONS,
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth report <input…> -o report.html";
export const SUMMARY =
  "Writes the visual report that build puts in its folder, alone: the funnel, score, margin and length charts, as one self-contained HTML file (inline SVG, no network). Takes build's selection flags; writes no rows.";

/**
 * Writes `text` to `path` through a temporary sibling renamed into place, so no half-written report is ever
 * seen at `path` (behaviour.md §9). `-` writes to stdout.
 */
async function writeReport(path: string, text: string, io: CliIo): Promise<void> {
  if (path === "-") {
    io.stdout.write(text);
    return;
  }
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await writeFile(temp, text);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true }).catch(() => {});
    throw OutputError.of(path, "write", e);
  }
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseOptions(TABLE, argv);
  const o = await resolveOptions(TABLE, args);
  const output = o.output;
  if (!output) throw new UsageError("missing -o <report.html> (or - for stdout)");
  if (output === "-" && o.json) throw new UsageError("--json prints on stdout: give -o a file");
  const { threads, tokenizerThreads, shard } = parallelismOf(o, io.env);
  // The same conversion as `build` (rows are only counted), so the funnel equals build's.
  const init = folderConvertInit(o, { withMeta: false, template: templateSpecOf(o), shard });
  const started = performance.now();
  const stats = createDatasetStats();
  const summary = newSummary("report");
  // Skipped lines are only counted (and shown in the summary) unless --rejected names a file.
  return withClaimedOutputs([{ flag: "-o", path: output }, rejectedOutput(o, undefined)], inputPathsOf(args.positionals, o), async () => {
    const exclusion = await exclusionOf(o, io);
    const source = await openRecordSource(sourceOptionsOf(args.positionals, o, io, undefined, exclusion));
    const discard = async (): Promise<void> => {};
    const writers = Object.fromEntries(init.outputs.map((output) => [output.name, discard]));
    try {
      await drawProgress(convertAll(source, init, writers, summary, { threads, ...(tokenizerThreads ? { tokenizerThreads } : {}), stats, ...(io.signal ? { signal: io.signal } : {}) }), io, noProgress(o));
    } catch (e) {
      await source.abort();
      throw e;
    }
    await source.close();
    finishSummary(summary, source, started);
    await writeReport(output, renderRunReport(summary, stats, runOf("report", argv, o, exclusion)), io);
    summary.outputs = output === "-" ? [] : [output];
    summary.seconds = (performance.now() - started) / 1000;
    printSummary(io, summary, { json: o.json === true, silent: o.silent === true });
    return 0;
  });
}
