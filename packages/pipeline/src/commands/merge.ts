import { InputError, OptionError } from "@lmsynth/schema";
import { openJsonlSink } from "@lmsynth/sinks";
import { PROGRESS_EVERY, finishSummary } from "../convert-all.js";
import { DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS, resolveOptions } from "../options/common-options.js";
import type { OptionTable } from "../options/option-spec.js";
import { exclusionOf, inputPathsOf, sourceOptionsOf } from "../options/source-options.js";
import { withClaimedOutputs } from "../output-claim.js";
import { openRecordSource } from "../record-source.js";
import { newSummary, type RunSummary } from "../run-summary.js";
import type { Command, CommandEvent } from "./command.js";
import { intoSink, rejectedOutput } from "./run-jsonl.js";

const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "merged output .jsonl.gz, .jsonl, or - for stdout" },
  ...INPUT_OPTIONS,
  ...DELETION_OPTIONS,
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

/** `lmsynth merge`: the dataset's two-step merge of its published sources, in one streaming pass. */
export const mergeCommand: Command<typeof TABLE, { summary: RunSummary }> = {
  about: "merge the LMSYS export, Japanese instructions and synth file into one file",
  usage: "lmsynth merge --lmsys <f…> --instructions <f> --synth <f> -o <out.jsonl.gz>",
  summary: "The dataset's two-step merge in one streaming pass: LMSYS fields, then the Japanese instruction, then the synth fields, in synth order.",
  table: TABLE,
  async *run(options, context) {
    const o = await resolveOptions(TABLE, options, context.env);
    if (!o.synth) throw new OptionError("merge needs --synth (and --instructions and/or --lmsys)");
    const output = o.output;
    if (!output) throw new OptionError("missing -o <output>");
    const inputs = options.inputs ?? [];
    const started = performance.now();
    const rejected = `${output === "-" ? "lmsynth" : output}.rejected.jsonl`;
    return yield* withClaimedOutputs([{ flag: "-o", path: output }, rejectedOutput(o, rejected)], inputPathsOf(inputs, o), async function* (): AsyncGenerator<CommandEvent, { summary: RunSummary }> {
      const exclusion = await exclusionOf(o);
      for (const message of exclusion?.warnings ?? []) yield { event: "warning", message };
      const source = await openRecordSource(sourceOptionsOf(inputs, o, context, rejected, exclusion));
      const sink = await openJsonlSink<object>(output, context.stdout ? { stdout: context.stdout } : {});
      const summary = newSummary("merge");
      summary.rows.merge = 0;
      const copy = async function* (): AsyncGenerator<CommandEvent> {
        for await (const { record, file, line } of source.records) {
          await sink.write(record).catch((e: unknown) => {
            // JSON.parse has no depth limit, but stringify overflows the stack at a few thousand levels.
            if (e instanceof RangeError) throw new InputError(file, line, "invalid-record", "record is nested too deeply to be written back as JSON", { cause: e });
            throw e;
          });
          summary.records++;
          summary.rows.merge!++;
          if (summary.records % PROGRESS_EVERY === 0) yield { event: "progress", records: summary.records, bytesRead: source.read.bytesRead, totalBytes: source.totalBytes };
        }
      };
      const written = yield* intoSink(source, sink, copy());
      finishSummary(summary, source, started);
      summary.variant = source.variant() ?? null;
      if (exclusion) summary.deleted = { records: source.deleted(), rows: { merge: source.deleted() } };
      summary.outputs = output === "-" ? [] : [written.path];
      return { summary };
    });
  },
};
