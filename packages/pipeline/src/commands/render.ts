import { z } from "zod";
import { readRecords } from "@lmsynth/reader";
import { rowSchema, type Message } from "@lmsynth/schema";
import { openJsonlSink } from "@lmsynth/sinks";
import { renderDpoRow, renderSftRow } from "@lmsynth/templates";
import { GENERAL_OPTIONS } from "../common-options.js";
import type { CliIo } from "../io.js";
import { withClaimedOutputs } from "../output-claim.js";
import { parseOptions, type OptionTable } from "../option-table.js";
import { startProgress } from "../progress.js";
import { printSummary, noProgress } from "../summary.js";
import { LAYOUTS, resolveTemplateSpec, type Layout, type Readable, type RunSummary } from "@lmsynth/pipeline";
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

/** A layout render reads: the schema of the columns that hold its conversation, and how they become one. */
interface ReadableLayout {
  schema: z.ZodType;
  /** The conversation or pair of `record`, or undefined when it is not a row of this layout. */
  read(record: unknown): Readable | undefined;
}

// DPO layouts first: a DPO sharegpt row also has SFT sharegpt's `conversations`; KTO rows read as
// prompt-completion ones.
const READ_ORDER = ["dpo", "kto", "sft"] as const;

/** Every layout of the table, as render reads it: so render reads what the converters write. */
const READABLE: ReadableLayout[] = READ_ORDER.flatMap((kind) =>
  Object.values<Layout<never>>(LAYOUTS[kind]).map((layout) => {
    const schema = rowSchema(layout.columns({ withMeta: false }), layout.read.columns);
    return {
      schema,
      read(record: unknown) {
        const parsed = schema.safeParse(record);
        return parsed.success ? layout.read.of(parsed.data as never) : undefined;
      },
    };
  }),
);

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
