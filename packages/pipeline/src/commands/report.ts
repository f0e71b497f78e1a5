import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createDatasetStats } from "@lmsynth/report";
import { OptionError, OutputError } from "@lmsynth/schema";
import { renderRunReport } from "../build.js";
import { convertAll, finishSummary } from "../convert-all.js";
import { CONVERSION_OPTIONS, DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS, resolveOptions } from "../options/common-options.js";
import { FOLDER_SELECTION_OPTIONS, folderConvertInit } from "../options/conversion-options.js";
import type { OptionTable } from "../options/option-spec.js";
import { exclusionOf, inputPathsOf, sourceOptionsOf } from "../options/source-options.js";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../options/template-options.js";
import { withClaimedOutputs } from "../output-claim.js";
import { openRecordSource } from "../record-source.js";
import { newSummary, type RunSummary } from "../run-summary.js";
import type { Command, CommandEvent } from "./command.js";
import { argvOf, parallelismOf, rejectedOutput, runOf } from "./run-jsonl.js";

// The report counts what `build` would write, so it takes build's selection flags but none of its file ones.
const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "output .html file, or - for stdout" },
  ...INPUT_OPTIONS,
  ...DELETION_OPTIONS,
  ...CONVERSION_OPTIONS,
  ...FOLDER_SELECTION_OPTIONS,
  ...TEMPLATE_OPTIONS,
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

/**
 * Writes `text` to `path` through a temporary sibling renamed into place, so no half-written report is ever
 * seen at `path` (behaviour.md §9). `-` writes to stdout.
 */
async function writeReport(path: string, text: string, stdout: NodeJS.WritableStream | undefined): Promise<void> {
  if (path === "-") {
    if (!stdout) throw new OptionError("-o -: this call has no stdout");
    stdout.write(text);
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

/** `lmsynth report`: the visual report of a build alone, counting what `build` would write. */
export const reportCommand: Command<typeof TABLE, { summary: RunSummary }> = {
  about: "the visual report of a build alone: funnel, scores, margins, lengths as one HTML file",
  usage: "lmsynth report <input…> -o report.html",
  summary:
    "Writes the visual report that build puts in its folder, alone: the funnel, score, margin and length charts, as one self-contained HTML file (inline SVG, no network). Takes build's selection flags; writes no rows.",
  table: TABLE,
  async *run(options, context) {
    const o = await resolveOptions(TABLE, options, context.env);
    const inputs = options.inputs ?? [];
    const output = o.output;
    if (!output) throw new OptionError("missing -o <report.html> (or - for stdout)");
    const { threads, tokenizerThreads, shard } = parallelismOf(o);
    // The same conversion as `build` (rows are only counted), so the funnel equals build's.
    const init = folderConvertInit(o, { withMeta: false, template: templateSpecOf(o), shard });
    const started = performance.now();
    const stats = createDatasetStats();
    const summary = newSummary("report");
    // Skipped lines are only counted (and shown in the summary) unless --rejected names a file.
    return yield* withClaimedOutputs([{ flag: "-o", path: output }, rejectedOutput(o, undefined)], inputPathsOf(inputs, o), async function* (): AsyncGenerator<CommandEvent, { summary: RunSummary }> {
      const exclusion = await exclusionOf(o);
      for (const message of exclusion?.warnings ?? []) yield { event: "warning", message };
      const source = await openRecordSource(sourceOptionsOf(inputs, o, context, undefined, exclusion));
      const discard = async (): Promise<void> => {};
      const writers = Object.fromEntries(init.outputs.map((output) => [output.name, discard]));
      try {
        yield* convertAll(source, init, writers, summary, { threads, ...(tokenizerThreads ? { tokenizerThreads } : {}), stats, ...(context.signal ? { signal: context.signal } : {}) });
      } catch (e) {
        await source.abort();
        throw e;
      }
      await source.close();
      finishSummary(summary, source, started);
      await writeReport(output, renderRunReport(summary, stats, runOf("report", argvOf(options, context), o, exclusion)), context.stdout);
      summary.outputs = output === "-" ? [] : [output];
      summary.seconds = (performance.now() - started) / 1000;
      return { summary };
    });
  },
};
