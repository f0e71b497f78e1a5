import { mapRecords } from "@lmsynth/reader";
import { OptionError } from "@lmsynth/schema";
import { openJsonlSink } from "@lmsynth/sinks";
import { resolveTemplateSpec } from "../convert-record.js";
import { CONVERSION_OPTIONS, GENERAL_OPTIONS, resolveOptions } from "../options/common-options.js";
import type { OptionTable } from "../options/option-spec.js";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../options/template-options.js";
import { withClaimedOutputs } from "../output-claim.js";
import { PROGRESS_EVERY, threadsOf } from "../convert-all.js";
import type { RenderInit } from "../render-row.js";
import { newSummary, type RunSummary } from "../run-summary.js";
import type { Command, CommandEvent } from "./command.js";

const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "output .jsonl, .jsonl.gz, or - for stdout" },
  ...TEMPLATE_OPTIONS,
  system: { type: "string", arg: "text", description: "system message put first where a row has none" },
  threads: { ...CONVERSION_OPTIONS.threads, description: "worker threads that parse and render (default: the machine's cores)" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

// The worker threads load the renderer from this package by URL.
const RENDER_ROW = new URL("../render-row.js", import.meta.url).href;

/** `lmsynth render`: chat-template text of SFT, DPO and KTO rows of any layout. */
export const renderCommand: Command<typeof TABLE, { summary: RunSummary }> = {
  about: "chat-template text (Llama 3.1, Gemma 2/3, ChatML, any tokenizer_config.json)",
  usage: "lmsynth render <sft-or-dpo.jsonl> --template <name|tokenizer_config.json> -o <out>",
  summary:
    "Chat-template text as transformers' apply_chat_template renders it: SFT rows → {conversation_id, text}; DPO rows → {conversation_id, prompt, chosen, rejected} split as TRL splits them.",
  table: TABLE,
  async *run(options, context) {
    const o = await resolveOptions(TABLE, options, context.env);
    const inputs = options.inputs ?? [];
    if (inputs.length === 0) throw new OptionError("no input: give an sft or dpo JSONL file (or -)");
    const output = o.output;
    if (!output) throw new OptionError("missing -o <output>");
    const spec = templateSpecOf(o);
    if (!spec) throw new OptionError("missing --template <name|path>");
    // Resolved here first, so that a bad template is reported as such before any worker starts.
    await resolveTemplateSpec(spec);
    const init: RenderInit = { template: spec, ...(o.system !== undefined ? { system: o.system } : {}) };
    const threads = threadsOf(o.threads);
    const started = performance.now();
    const read = { bytesRead: 0 };
    return yield* withClaimedOutputs([{ flag: "-o", path: output }], inputs, async function* (): AsyncGenerator<CommandEvent, { summary: RunSummary }> {
      const sink = await openJsonlSink<object>(output, context.stdout ? { stdout: context.stdout } : {});
      // Rows are parsed and rendered in worker threads, in input order; each comes back as its output line.
      const rendered = mapRecords<RenderInit, string>(inputs, { mapper: RENDER_ROW, init, threads, ...(context.stdin ? { stdin: context.stdin } : {}), progress: read });
      const summary = newSummary("render");
      summary.rows.render = 0;
      try {
        for await (const { out } of rendered) {
          context.signal?.throwIfAborted();
          await sink.writeLine(out);
          summary.records++;
          summary.rows.render++;
          if (summary.records % PROGRESS_EVERY === 0) yield { event: "progress", records: summary.records, bytesRead: read.bytesRead, totalBytes: undefined };
        }
      } catch (e) {
        await sink.abort();
        throw e;
      }
      const written = await sink.close();
      summary.outputs = output === "-" ? [] : [written.path];
      summary.seconds = (performance.now() - started) / 1000;
      return { summary };
    });
  },
};
