import { z } from "zod";
import { readRecords } from "@lmsynth/reader";
import { MessageSchema, UsageError, type Message } from "@lmsynth/schema";
import { openJsonlSink } from "@lmsynth/sinks";
import { renderDpoRow, renderSftRow } from "@lmsynth/templates";
import { GENERAL_OPTIONS } from "../common-options.js";
import type { CliIo } from "../io.js";
import { withClaimedOutputs } from "../output-claim.js";
import { parseOptions, type OptionTable } from "../option-table.js";
import { startProgress } from "../progress.js";
import { printSummary, noProgress } from "../summary.js";
import { resolveTemplateSpec, type RunSummary } from "@lmsynth/pipeline";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../template-options.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "output .jsonl, .jsonl.gz, or - for stdout" },
  ...TEMPLATE_OPTIONS,
  system: { type: "string", arg: "text", description: "system message put first where a row has none" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth render <sft-or-dpo.jsonl> --template <name|tokenizer_config.json> -o <out>";
export const SUMMARY =
  "Chat-template text as transformers' apply_chat_template renders it: SFT rows → {conversation_id, text}; DPO rows → {conversation_id, prompt, chosen, rejected} split as TRL splits them.";

const messages = z.array(MessageSchema);
/**
 * An SFT row (under `messages` or the upstream `conversation`), a TRL DPO row, or an `ultrafeedback_binarized`
 * row (string `prompt`, whole conversations in `chosen` and `rejected`: split at their last message).
 */
const RenderableRowSchema = z.union([
  z.looseObject({ conversation_id: z.string().optional(), prompt: messages, chosen: messages, rejected: messages }),
  z.looseObject({ conversation_id: z.string().optional(), prompt: z.string(), chosen: messages.min(2), rejected: messages.min(2) }),
  z.looseObject({ conversation_id: z.string().optional(), messages }),
  z.looseObject({ conversation_id: z.string().optional(), conversation: messages }),
]);
/** What the schema lets through, as the renderers read it. */
type RenderableRow = { conversation_id?: string } & (
  | { prompt: Message[] | string; chosen: Message[]; rejected: Message[] }
  | { messages: Message[] }
  | { conversation: Message[] }
);

function withSystem(list: Message[], system: string | undefined): Message[] {
  return system === undefined || list[0]?.role === "system" ? list : [{ role: "system", content: system }, ...list];
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values: o, positionals } = parseOptions(TABLE, argv);
  if (positionals.length === 0) throw new UsageError("no input: give an sft or dpo JSONL file (or -)");
  const output = o.output;
  if (!output) throw new UsageError("missing -o <output>");
  if (o.output === "-" && o.json) throw new UsageError("--json prints on stdout: give -o a file");
  const spec = templateSpecOf(o);
  if (!spec) throw new UsageError("missing --template <name|path>");
  const renderer = await resolveTemplateSpec(spec);
  const system = o.system;
  const started = performance.now();
  const read = { bytesRead: 0 };
  return withClaimedOutputs([{ flag: "-o", path: output }], positionals, async () => {
    const sink = await openJsonlSink<object>(output, { stdout: io.stdout });
    const summary: RunSummary = { command: "render", variant: null, records: 0, rejected: 0, rows: { render: 0 }, funnel: {}, outputs: [], seconds: 0 };
    const progress = startProgress(io, noProgress(o), read, undefined);
    try {
      for await (const { record } of readRecords(positionals, { stdin: io.stdin, progress: read, schema: RenderableRowSchema })) {
        io.signal?.throwIfAborted();
        const row = record as unknown as RenderableRow;
        const id = row.conversation_id ?? "";
        // ultrafeedback: the prompt messages are the chosen conversation but its last message.
        const pair =
          "prompt" in row
            ? typeof row.prompt === "string"
              ? { prompt: row.chosen.slice(0, -1), chosen: row.chosen.slice(-1), rejected: row.rejected.slice(-1) }
              : { prompt: row.prompt, chosen: row.chosen, rejected: row.rejected }
            : undefined;
        const out = pair
          ? renderDpoRow({ conversation_id: id, prompt: withSystem(pair.prompt, system), chosen: pair.chosen, rejected: pair.rejected }, renderer)
          : renderSftRow({ conversation_id: id, messages: withSystem("messages" in row ? row.messages : (row as { conversation: Message[] }).conversation, system) }, renderer);
        await sink.write(out);
        summary.records++;
        summary.rows.render!++;
        progress.tick(summary.records);
      }
    } catch (e) {
      progress.stop();
      await sink.abort();
      throw e;
    }
    progress.stop();
    const written = await sink.close();
    summary.outputs = o.output === "-" ? [] : [written.path];
    summary.seconds = (performance.now() - started) / 1000;
    printSummary(io, summary, { json: o.json === true, silent: o.silent === true });
    return 0;
  });
}
