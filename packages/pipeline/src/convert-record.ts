// Loaded by every worker thread of `mapRecords` and `mapJoinedSources` (by URL, from this package): turns
// one record into the rows of each requested output. Pure apart from reading a template file once at start.
import { toDpoRows, type DpoOptions, type DpoResult } from "@lmsynth/dpo";
import { toKtoRows, type KtoOptions, type KtoResult } from "@lmsynth/kto";
import { LANGUAGE_FIELDS, OptionError, hashFraction, traceOf, variantEvidence, variantOfEvidence, type FunnelCounter, type Message, type Lang, type MergedRecord, type ReasoningKey } from "@lmsynth/schema";
import { recordStats, type RecordStats } from "@lmsynth/report";
import { toSftRows, type SftOptions, type SftResult } from "@lmsynth/sft";
import type { ChatRenderer, TokenCounterLink } from "@lmsynth/templates";
import { LAYOUTS, type LayoutChoice, type OutputSpec } from "./layouts.js";

/** `--template` as plain data, so it crosses to worker threads. */
export interface TemplateSpec {
  name: string;
  args: string[];
  systemIntoUser: boolean;
}

/** What to compute per record; structured-cloneable. */
export interface ConvertInit {
  /** The outputs, in the order their rows are written; each kind's options below. */
  outputs: OutputSpec[];
  sft?: { options: SftOptions; messagesKey: string };
  /** `--template`: SFT rows get its text as a `text` column; `tokenizer` counts the tokens of that text. */
  template?: TemplateSpec;
  /** `--tokenizer`: a `tokenizer.json` counting the tokens of every row's template text (needs `template`),
   * for the `maxTokens` of each kind and SFT's `num_tokens`. */
  tokenizer?: string;
  /** With `reasoningKey`: every record's messages carry the trace fields, `""` where there is no trace (the
   * output's columns declare them: `build`, or `--variant gpt-oss`). Default: only a record whose responses
   * have a trace key, so that other variants' rows stay `{role, content}`. */
  fillTraces?: boolean;
  /** The link to the one tokenizer thread of the process (`convertAll` sets it for every thread): with it,
   * `tokenizer` is not loaded here. */
  tokenCounter?: TokenCounterLink;
  dpo?: { options: DpoOptions };
  kto?: { options: KtoOptions };
  /** `--reasoning keep`: every output keeps the responses' reasoning traces under this key. */
  reasoningKey?: ReasoningKey;
  /** `--shard i/N`: only records whose id hashes to part `index` of `count`. */
  shard?: { index: number; count: number; seed: string };
  /** Also count each record for the report (`recordStats`). */
  stats?: boolean;
  /** `json`: every row leaves the worker as its JSON text (a JSONL output's line, without the newline), so
   * that the thread that writes it neither clones nor stringifies it. Default: rows as objects. */
  encode?: "json";
}

/** One output's share of a record. */
export interface OutputResult {
  /** The rows, or with `init.encode` their JSON texts. */
  rows: object[] | string[];
  /** Skips, and funnel notes (`taken-unscored`), each counted once in the output's funnel. */
  skips: Array<{ lang: Lang; reason: FunnelCounter }>;
  /** DPO: pairs the margin removed. */
  droppedPairs?: number;
  /** KTO: candidates left out between the thresholds. */
  neutral?: number;
}

/** The result for one record; `outside` marks a record of another shard (not counted). */
export interface ConvertOut {
  /** One per `init.outputs`, in its order (absent for a record of another shard). */
  outputs?: OutputResult[];
  /** `conversation_id`, so the reading thread can refuse a repeated one. */
  id: string;
  evidence: number;
  outside?: true;
  /** With `init.stats`: what the record adds to the report's statistics. */
  stats?: RecordStats;
  /** Responses with and without a reasoning trace: ja with, ja without, en with, en without; only for a
   * record whose responses have a trace key (a GPT-OSS record). */
  traces?: [number, number, number, number];
}

/** The {@link ConvertOut.traces} of a record. */
function traceCounts(record: MergedRecord): NonNullable<ConvertOut["traces"]> {
  const counts: [number, number, number, number] = [0, 0, 0, 0];
  for (const [i, lang] of (["ja", "en"] as const).entries()) {
    for (const r of record[LANGUAGE_FIELDS[lang].responses] ?? []) counts[2 * i + (traceOf(r) === undefined ? 1 : 0)]!++;
  }
  return counts;
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

/**
 * `--shard`: the records of other parts are passed over before they are parsed (the worker reads the id
 * first), so a part spends its parsing on its own records. Joined sources parse every synth record (the join
 * counts them), and the mapper below marks the others `outside`.
 */
export function createIdFilter(init: ConvertInit): ((id: string) => boolean) | undefined {
  const shard = init.shard;
  return shard && ((id) => inShard(id, shard));
}

/**
 * The per-record conversion of `init`: each kind's rows are computed once per record, then laid out in each
 * requested format (and rendered once with `--template`).
 */
export async function createMapper(init: ConvertInit): Promise<(record: MergedRecord) => ConvertOut> {
  const renderer = init.template ? await resolveTemplateSpec(init.template) : undefined;
  const { shard, stats, reasoningKey } = init;
  // Two sets of options: with the trace fields, for a record that has traces (or for every record with
  // `fillTraces`), and without, so that the rows of other variants stay `{role, content}`.
  const withReasoning = <T extends object>(options: T | undefined): T => ({ ...options!, ...(reasoningKey ? { reasoningKey } : {}) });
  const traced = { sft: withReasoning(init.sft?.options), dpo: withReasoning(init.dpo?.options), kto: withReasoning(init.kto?.options) };
  const plain = reasoningKey && !init.fillTraces ? { sft: { ...init.sft?.options }, dpo: { ...init.dpo?.options }, kto: { ...init.kto?.options } } : traced;
  // Each row's text is rendered once: for its token count, then for its `text` column.
  const rendered = new WeakMap<readonly Message[], string>();
  let conversationId = "";
  const render = (messages: readonly Message[]): string => {
    let text = rendered.get(messages);
    if (text === undefined) rendered.set(messages, (text = renderer!.render(messages, { conversationId })));
    return text;
  };
  if (init.tokenizer) {
    if (!renderer) throw new OptionError("a tokenizer counts the tokens of the chat-template text: give a template too");
    const { linkedTokenCounter, loadTokenCounter } = await import("@lmsynth/templates");
    const count = init.tokenCounter ? linkedTokenCounter(init.tokenCounter) : await loadTokenCounter(init.tokenizer);
    for (const set of [traced, plain]) set.sft.countTokens = set.dpo.countTokens = set.kto.countTokens = (messages) => count(render(messages));
  }
  // What the writers read of the layout choice: the SFT message list's key.
  const choice: LayoutChoice = { withMeta: true, ...(init.sft ? { messagesKey: init.sft.messagesKey } : {}) };
  return (record) => {
    const out: ConvertOut = { id: record.conversation_id, evidence: variantEvidence(record) };
    conversationId = record.conversation_id;
    if (shard && !inShard(record.conversation_id, shard)) {
      out.outside = true;
      return out;
    }
    if (stats) out.stats = recordStats(record);
    // A record with a trace key: only its rows get the trace fields (unless every row must, `fillTraces`), and
    // only it sends trace counts to the main thread.
    const hasTraces = variantOfEvidence(out.evidence) === "gpt-oss";
    if (hasTraces) out.traces = traceCounts(record);
    const { sft: sftOptions, dpo: dpoOptions, kto: ktoOptions } = hasTraces ? traced : plain;
    let sftResult: SftResult | undefined;
    let texts: string[] | undefined;
    let dpoResult: DpoResult | undefined;
    let ktoResult: KtoResult | undefined;
    out.outputs = init.outputs.map((output): OutputResult => {
      if (output.kind === "sft") {
        const layout = LAYOUTS.sft[output.format];
        sftResult ??= toSftRows(record, sftOptions);
        const r = sftResult;
        if (renderer) texts ??= r.rows.map((row) => render(row.messages));
        const rows = r.rows.map((row, i) => {
          const o = layout.write(row, choice);
          if (texts) o.text = texts[i];
          return o;
        });
        return { rows, skips: r.unscored ? [...r.skips, ...r.unscored.map((lang) => ({ lang, reason: "taken-unscored" as const }))] : r.skips };
      }
      if (output.kind === "dpo") {
        const layout = LAYOUTS.dpo[output.format];
        dpoResult ??= toDpoRows(record, dpoOptions);
        return { rows: dpoResult.rows.map((row) => layout.write(row, choice)), skips: dpoResult.skips, droppedPairs: dpoResult.droppedPairs };
      }
      const layout = LAYOUTS.kto[output.format];
      ktoResult ??= toKtoRows(record, ktoOptions);
      return { rows: ktoResult.rows.map((row) => layout.write(row, choice)), skips: ktoResult.skips, neutral: ktoResult.neutral };
    });
    if (init.encode === "json") for (const result of out.outputs) result.rows = result.rows.map((row) => JSON.stringify(row));
    return out;
  };
}
