// Loaded by every worker thread of `mapRecords` (by URL, from this package), and in the reading thread for
// joined sources: turns one record into the rows of each requested output. Pure apart from reading a
// template file once at start.
import { formatDpoRow, toDpoRows, type DpoFormat, type DpoOptions } from "@lmsynth/dpo";
import { hashFraction, variantEvidence, type Lang, type MergedRecord, type SkipReason } from "@lmsynth/schema";
import { recordStats, type RecordStats } from "@lmsynth/report";
import { formatSftRow, toSftRows, type SftOptions } from "@lmsynth/sft";
import type { ChatRenderer } from "@lmsynth/templates";

/** `--template` as plain data, so it crosses to worker threads. */
export interface TemplateSpec {
  name: string;
  args: string[];
  systemIntoUser: boolean;
}

/** The outputs a record can feed, in the order their rows are written. */
export const OUTPUT_NAMES = ["sft", "dpo"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** What to compute per record; structured-cloneable. */
export interface ConvertInit {
  sft?: { options: SftOptions; messagesKey: string; template?: TemplateSpec };
  dpo?: { options: DpoOptions; format: DpoFormat };
  /** `--shard i/N`: only records whose id hashes to part `index` of `count`. */
  shard?: { index: number; count: number; seed: string };
  /** Also count each record for the report (`recordStats`). */
  stats?: boolean;
}

/** One output's share of a record. */
export interface OutputResult {
  rows: object[];
  skips: Array<{ lang: Lang; reason: SkipReason }>;
  droppedPairs?: number;
}

/** The result for one record; `outside` marks a record of another shard (not counted). */
export interface ConvertOut extends Partial<Record<OutputName, OutputResult>> {
  /** `conversation_id`, so the reading thread can refuse a repeated one. */
  id: string;
  evidence: number;
  outside?: true;
  /** With `init.stats`: what the record adds to the report's statistics. */
  stats?: RecordStats;
}

/** The renderer of `--template`; the templates package is loaded only when one is asked for. */
export async function resolveTemplateSpec(spec: TemplateSpec): Promise<ChatRenderer> {
  const { parseTemplateArgs, resolveTemplate } = await import("@lmsynth/templates");
  return resolveTemplate(spec.name, { systemIntoUser: spec.systemIntoUser, variables: parseTemplateArgs(spec.args) });
}

/** True when `id` belongs to shard `index` of `count` (a seeded hash, independent of the train/test split). */
export function inShard(id: string, shard: NonNullable<ConvertInit["shard"]>): boolean {
  return Math.floor(hashFraction(id, `shard\0${shard.seed}`) * shard.count) === shard.index;
}

export async function createMapper(init: ConvertInit): Promise<(record: MergedRecord) => ConvertOut> {
  const renderer = init.sft?.template ? await resolveTemplateSpec(init.sft.template) : undefined;
  const { sft, dpo, shard, stats } = init;
  return (record) => {
    const out: ConvertOut = { id: record.conversation_id, evidence: variantEvidence(record) };
    if (shard && !inShard(record.conversation_id, shard)) {
      out.outside = true;
      return out;
    }
    if (stats) out.stats = recordStats(record);
    if (sft) {
      const r = toSftRows(record, sft.options);
      const rows = r.rows.map((row) => {
        const o = formatSftRow(row, sft.messagesKey);
        if (renderer) o.text = renderer.render(row.messages, { conversationId: row.conversation_id });
        return o;
      });
      out.sft = { rows, skips: r.skips };
    }
    if (dpo) {
      const r = toDpoRows(record, dpo.options);
      out.dpo = { rows: r.rows.map((row) => formatDpoRow(row, dpo.format)), skips: r.skips, droppedPairs: r.droppedPairs };
    }
    return out;
  };
}
