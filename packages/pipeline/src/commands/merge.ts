import { finishSummary, newSummary, openRecordSource } from "@lmsynth/pipeline";
import { InputError } from "@lmsynth/schema";
import { openJsonlSink } from "@lmsynth/sinks";
import { DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS } from "../common-options.js";
import { exclusionOf, inputPathsOf, sourceOptionsOf } from "../source-options.js";
import { withClaimedOutputs } from "../output-claim.js";
import type { CliIo } from "../io.js";
import { parseOptions, type OptionTable } from "../option-table.js";
import { startProgress } from "../progress.js";
import { rejectedOutput } from "../run-jsonl.js";
import { printSummary, noProgress } from "../summary.js";
import { UsageError } from "../usage-error.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "merged output .jsonl.gz, .jsonl, or - for stdout" },
  ...INPUT_OPTIONS,
  ...DELETION_OPTIONS,
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth merge --lmsys <f…> --instructions <f> --synth <f> -o <out.jsonl.gz>";
export const SUMMARY =
  "The dataset's two-step merge in one streaming pass: LMSYS fields, then the Japanese instruction, then the synth fields, in synth order.";

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseOptions(TABLE, argv);
  const o = args.values;
  if (!o.synth) throw new UsageError("merge needs --synth (and --instructions and/or --lmsys)");
  const output = o.output;
  if (!output) throw new UsageError("missing -o <output>");
  if (output === "-" && o.json) throw new UsageError("--json prints on stdout: give -o a file");
  const started = performance.now();
  const rejected = `${output === "-" ? "lmsynth" : output}.rejected.jsonl`;
  return withClaimedOutputs([{ flag: "-o", path: output }, rejectedOutput(o, rejected)], inputPathsOf(args.positionals, o), async () => {
    const exclusion = await exclusionOf(o, io);
    const source = await openRecordSource(sourceOptionsOf(args.positionals, o, io, rejected, exclusion));
    const sink = await openJsonlSink<object>(output, { stdout: io.stdout });
    const summary = newSummary("merge");
    summary.rows.merge = 0;
    const progress = startProgress(io, noProgress(o), source.read, source.totalBytes);
    try {
      for await (const { record, file, line } of source.records) {
        await sink.write(record).catch((e: unknown) => {
          // JSON.parse has no depth limit, but stringify overflows the stack at a few thousand levels.
          if (e instanceof RangeError) throw new InputError(file, line, "invalid-record", "record is nested too deeply to be written back as JSON", { cause: e });
          throw e;
        });
        summary.records++;
        summary.rows.merge++;
        progress.tick(summary.records);
      }
    } catch (e) {
      progress.stop();
      await Promise.allSettled([sink.abort(), source.abort()]);
      throw e;
    }
    progress.stop();
    const written = await sink.close();
    await source.close();
    finishSummary(summary, source, started);
    summary.variant = source.variant() ?? null;
    if (exclusion) summary.deleted = { records: source.deleted(), rows: { merge: source.deleted() } };
    summary.outputs = output === "-" ? [] : [written.path];
    printSummary(io, summary, { json: o.json === true, silent: o.silent === true });
    return 0;
  });
}
