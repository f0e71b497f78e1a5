import { z } from "zod";
import { readRecords } from "@lmsynth/reader";
import { dpoLayout, fromShareGptTurn, rowSchema, sftLayout, type Message, type RowLayout } from "@lmsynth/schema";
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
import { UsageError } from "../usage-error.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "output .jsonl, .jsonl.gz, or - for stdout" },
  ...TEMPLATE_OPTIONS,
  system: { type: "string", arg: "text", description: "system message put first where a row has none" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth render <sft-or-dpo.jsonl> --template <name|tokenizer_config.json> -o <out>";
export const SUMMARY =
  "Chat-template text as transformers' apply_chat_template renders it: SFT rows → {conversation_id, text}; DPO rows → {conversation_id, prompt, chosen, rejected} split as TRL splits them.";

type Turn = { from: string; value: string } & Record<string, unknown>;
type Pair = { prompt: Message[]; chosen: Message[]; rejected: Message[] };
/** A row render reads: its conversation (SFT, KTO) or its pair (DPO). */
type Readable = { conversation: Message[] } | { pair: Pair };

/** The last message as its own list, the rest as the prompt: a whole conversation split as TRL splits it. */
const lastApart = (chosen: Message[], rejected: Message[]): Pair => ({ prompt: chosen.slice(0, -1), chosen: chosen.slice(-1), rejected: rejected.slice(-1) });

/** A layout render reads: the schema of the columns that hold its conversation, and how they become one. */
interface ReadableLayout {
  schema: z.ZodType;
  /** The conversation or pair of `record`, or undefined when it is not a row of this layout. */
  read(record: unknown): Readable | undefined;
}

/** A {@link ReadableLayout} from a row spec (so render reads what the converters write) and its columns. */
function readable<Row>(layout: RowLayout, columns: string[], read: (row: Row) => Readable): ReadableLayout {
  const schema = rowSchema<Row>(layout, columns);
  return {
    schema,
    read(record) {
      const parsed = schema.safeParse(record);
      return parsed.success ? read(parsed.data) : undefined;
    },
  };
}

/** The layouts render reads, tried in this order. */
const READABLE: ReadableLayout[] = [
  readable(dpoLayout({ format: "trl" }), ["prompt", "chosen", "rejected"], (r: Pair) => ({ pair: r })),
  readable(dpoLayout({ format: "ultrafeedback" }), ["prompt", "chosen", "rejected"], (r: Pair) => ({ pair: lastApart(r.chosen, r.rejected) })),
  readable(dpoLayout({ format: "implicit" }), ["chosen", "rejected"], (r: Pair) => ({ pair: lastApart(r.chosen, r.rejected) })),
  readable(dpoLayout({ format: "sharegpt" }), ["conversations", "chosen", "rejected"], (r: { conversations: Turn[]; chosen: Turn; rejected: Turn }) => ({
    pair: { prompt: r.conversations.map(fromShareGptTurn), chosen: [fromShareGptTurn(r.chosen)], rejected: [fromShareGptTurn(r.rejected)] },
  })),
  // KTO rows (prompt, completion, label) read as prompt-completion ones.
  readable(sftLayout({ format: "prompt-completion" }), ["prompt", "completion"], (r: { prompt: Message[]; completion: Message[] }) => ({ conversation: [...r.prompt, ...r.completion] })),
  readable(sftLayout({ format: "sharegpt" }), ["conversations"], (r: { conversations: Turn[] }) => ({ conversation: r.conversations.map(fromShareGptTurn) })),
  readable(sftLayout(), ["messages"], (r: { messages: Message[] }) => ({ conversation: r.messages })),
  readable(sftLayout({ format: "conversation" }), ["conversation"], (r: { conversation: Message[] }) => ({ conversation: r.conversation })),
];

const ANY_LAYOUT = z.union(READABLE.map((r) => r.schema) as [z.ZodType, z.ZodType, ...z.ZodType[]]);
/** A row of any of {@link READABLE}'s layouts, passed on whole (its `conversation_id` too). */
const RenderableRowSchema = {
  safeParse: (value: unknown) => {
    const parsed = ANY_LAYOUT.safeParse(value);
    return parsed.success ? { success: true as const, data: value } : parsed;
  },
};

/** The conversation or pair of a row the schema let through. */
function readableOf(record: unknown): Readable {
  for (const layout of READABLE) {
    const row = layout.read(record);
    if (row) return row;
  }
  throw new TypeError("a row the schema let through matches no layout");
}

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
        const id = typeof (record as { conversation_id?: unknown }).conversation_id === "string" ? (record as { conversation_id: string }).conversation_id : "";
        const row = readableOf(record);
        const out =
          "pair" in row
            ? renderDpoRow({ conversation_id: id, ...row.pair, prompt: withSystem(row.pair.prompt, system) }, renderer)
            : renderSftRow({ conversation_id: id, messages: withSystem(row.conversation, system) }, renderer);
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
