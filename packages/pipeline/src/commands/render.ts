import { z } from "zod";
import { readRecords } from "@lmsynth/reader";
import { OptionError, rowSchema, type Message } from "@lmsynth/schema";
import { openJsonlSink } from "@lmsynth/sinks";
import { renderDpoRow, renderSftRow } from "@lmsynth/templates";
import { resolveTemplateSpec } from "../convert-record.js";
import { LAYOUTS, type Layout, type Readable } from "../layouts.js";
import { GENERAL_OPTIONS, resolveOptions } from "../options/common-options.js";
import type { OptionTable } from "../options/option-spec.js";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../options/template-options.js";
import { withClaimedOutputs } from "../output-claim.js";
import { PROGRESS_EVERY } from "../convert-all.js";
import { newSummary, type RunSummary } from "../run-summary.js";
import type { Command, CommandEvent } from "./command.js";

const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "output .jsonl, .jsonl.gz, or - for stdout" },
  ...TEMPLATE_OPTIONS,
  system: { type: "string", arg: "text", description: "system message put first where a row has none" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

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
    const renderer = await resolveTemplateSpec(spec);
    const system = o.system;
    const started = performance.now();
    const read = { bytesRead: 0 };
    return yield* withClaimedOutputs([{ flag: "-o", path: output }], inputs, async function* (): AsyncGenerator<CommandEvent, { summary: RunSummary }> {
      const sink = await openJsonlSink<object>(output, context.stdout ? { stdout: context.stdout } : {});
      const summary = newSummary("render");
      summary.rows.render = 0;
      try {
        for await (const { record } of readRecords(inputs, { ...(context.stdin ? { stdin: context.stdin } : {}), progress: read, schema: RenderableRowSchema })) {
          context.signal?.throwIfAborted();
          const id = typeof (record as { conversation_id?: unknown }).conversation_id === "string" ? (record as { conversation_id: string }).conversation_id : "";
          const row = readableOf(record);
          const out =
            "pair" in row
              ? renderDpoRow({ conversation_id: id, ...row.pair, prompt: withSystem(row.pair.prompt, system) }, renderer)
              : renderSftRow({ conversation_id: id, messages: withSystem(row.conversation, system) }, renderer);
          await sink.write(out);
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
