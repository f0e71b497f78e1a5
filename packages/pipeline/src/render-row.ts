// Loaded by every worker thread of `lmsynth render` (by URL, from this package): turns one SFT, DPO or KTO row
// of any layout into its chat-template text, as the JSONL line the command writes.
import { z } from "zod";
import { rowSchema, type Message } from "@lmsynth/schema";
import { renderDpoRow, renderSftRow } from "@lmsynth/templates";
import { resolveTemplateSpec, type TemplateSpec } from "./convert-record.js";
import { LAYOUTS, type Layout, type Readable } from "./layouts.js";

/** What every thread renders with; structured-cloneable. */
export interface RenderInit {
  template: TemplateSpec;
  /** Put first as a system message where a row has none. */
  system?: string;
}

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

/** A row as the schema gives it to the mapper: its id and its conversation or pair. */
interface ReadRow {
  id: string;
  row: Readable;
}

/**
 * What each line must be: a row of any of {@link READABLE}'s layouts, the first that accepts it read once
 * (its `conversation_id` kept). Only a row of no layout is parsed against the union, whose error says what
 * each layout misses.
 */
export const schema = {
  safeParse: (value: unknown) => {
    for (const layout of READABLE) {
      const row = layout.read(value);
      if (row) {
        const id = (value as { conversation_id?: unknown }).conversation_id;
        return { success: true as const, data: { id: typeof id === "string" ? id : "", row } satisfies ReadRow };
      }
    }
    const parsed = ANY_LAYOUT.safeParse(value);
    if (parsed.success) throw new TypeError("a row the union of the layouts accepts matches none of them");
    return parsed;
  },
};

function withSystem(list: Message[], system: string | undefined): Message[] {
  return system === undefined || list[0]?.role === "system" ? list : [{ role: "system", content: system }, ...list];
}

/** The rendering of `init`: each row to the JSON text of its rendered row (`{conversation_id, text}` or a pair). */
export async function createMapper({ template, system }: RenderInit): Promise<(record: unknown) => string> {
  const renderer = await resolveTemplateSpec(template);
  return (record) => {
    const { id, row } = record as ReadRow;
    const out =
      "pair" in row
        ? renderDpoRow({ conversation_id: id, ...row.pair, prompt: withSystem(row.pair.prompt, system) }, renderer)
        : renderSftRow({ conversation_id: id, messages: withSystem(row.conversation, system) }, renderer);
    return JSON.stringify(out);
  };
}
