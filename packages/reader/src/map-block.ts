import type { InputErrorReason, MergedRecord } from "@lmsynth/schema";
import { BOM, isBlank, parseLine } from "./read-records.js";

/** Turns one record into whatever a command needs (rows, counts); pure, so it runs in any thread. */
export type RecordMapper<Out> = (record: MergedRecord) => Out;

/**
 * A module that `mapRecords` loads in each worker: it exports `createMapper(init)`, which may be async (to
 * read a template file, say). `init` must survive structured cloning.
 */
export interface RecordMapperModule<Init, Out> {
  createMapper(init: Init): RecordMapper<Out> | Promise<RecordMapper<Out>>;
}

/** What one block of lines gave. Line numbers are relative to the block's first line (1-based). */
export interface BlockResult<Out> {
  /** Lines in the block, blank ones included. */
  lines: number;
  outs: Array<{ line: number; out: Out }>;
  rejected: Array<{ line: number; reason: InputErrorReason; detail: string; text: string }>;
  /** With `skip: false`, the first bad line; the block stops there. */
  failed?: { line: number; reason: InputErrorReason; detail: string };
}

/**
 * Parses, validates and maps the lines of `block` (whole lines; the last may lack its `\n`), the unit of
 * work of a worker thread. `first` says the block starts a file, so a BOM is dropped. Same rules as
 * `readRecords`: blank lines passed over, bad lines failed or set aside.
 */
export function mapBlock<Out>(
  block: Buffer,
  mapper: RecordMapper<Out>,
  options: { first: boolean; skip: boolean; maxRejectedText: number },
): BlockResult<Out> {
  const result: BlockResult<Out> = { lines: 0, outs: [], rejected: [] };
  let start = options.first && block.subarray(0, 3).equals(BOM) ? 3 : 0;
  while (start < block.length) {
    let end = block.indexOf(10, start);
    if (end === -1) end = block.length;
    const text = block.subarray(start, end);
    start = end + 1;
    const line = ++result.lines;
    if (isBlank(text)) continue;
    const parsed = parseLine(text);
    if ("record" in parsed) {
      result.outs.push({ line, out: mapper(parsed.record) });
    } else if (options.skip) {
      result.rejected.push({ line, reason: parsed.reason, detail: parsed.detail, text: text.subarray(0, options.maxRejectedText).toString("utf8") });
    } else {
      result.failed = { line, reason: parsed.reason, detail: parsed.detail };
      break;
    }
  }
  return result;
}
