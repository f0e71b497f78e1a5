import { SynthFieldsSchema, type InputErrorReason, type MergedRecord } from "@lmsynth/schema";
import { closeSync, openSync } from "node:fs";
import { lineIdOf } from "./line-id.js";
import { parseSpooled, readSpooled, type SpoolFile } from "./spool.js";
import { BOM, isBlank, parseLine, type ReadRecordsOptions } from "./read-records.js";

/** Turns one record into whatever a command needs (rows, counts); pure, so it runs in any thread. */
export type RecordMapper<Out> = (record: MergedRecord) => Out;

/**
 * A module that `mapRecords` loads in each worker: it exports `createMapper(init)`, which may be async (to
 * read a template file, say). `init` must survive structured cloning.
 */
export interface RecordMapperModule<Init, Out> {
  createMapper(init: Init): RecordMapper<Out> | Promise<RecordMapper<Out>>;
  /**
   * Optional: which records the mapper wants at all, by id. A line whose id it refuses is passed over
   * before it is parsed (and so not validated: it is another run's to read), which is what lets
   * `--shard i/N` spend its parsing on its own part only.
   */
  createIdFilter?(init: Init): IdFilter | undefined;
  /** Optional: what each line must be, when the mapper reads rows rather than merged records (`lmsynth render`
   * reads rows of any layout). Default the merged record. */
  schema?: ReadRecordsOptions["schema"];
}

/** True for the ids whose records are to be mapped. */
export type IdFilter = (id: string) => boolean;

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
 * What the join sends with a block of synth lines: for the block's line `i` (1-based), `places[4i-4 … 4i-1]`
 * place its LMSYS record and its instruction fields in the spool files `spools[0]` and `spools[1]` (offset,
 * length; length -1: none), and `ids[i-1]` is the `conversation_id` the reading thread found them by. The
 * thread that maps the block reads them, so the reading thread only looks them up.
 */
export interface BlockSides {
  places: Float64Array;
  spools: [SpoolFile | undefined, SpoolFile | undefined];
  ids: Array<string | undefined>;
}

/** The lines of `block` (whole lines; the last may lack its `\n`), a BOM dropped when it starts a file (`first`). */
export function* blockLines(block: Buffer, first: boolean): Generator<Buffer> {
  let start = first && block.subarray(0, 3).equals(BOM) ? 3 : 0;
  while (start < block.length) {
    let end = block.indexOf(10, start);
    if (end === -1) end = block.length;
    yield block.subarray(start, end);
    start = end + 1;
  }
}

/**
 * Parses, validates and maps the lines of `block` (whole lines; the last may lack its `\n`), the unit of
 * work of a worker thread. `first` says the block starts a file, so a BOM is dropped. Same rules as
 * `readRecords`: blank lines passed over, bad lines failed or set aside; lines of ids `wants` refuses passed
 * over unparsed. With `sides`, the lines are synth records, each merged as the join merges (LMSYS fields,
 * then the instruction's, then its own) before mapping.
 */
export function mapBlock<Out>(
  block: Buffer,
  mapper: RecordMapper<Out>,
  options: { first: boolean; skip: boolean; maxRejectedText: number; sides?: BlockSides | undefined; wants?: IdFilter | undefined; schema?: ReadRecordsOptions["schema"] | undefined },
): BlockResult<Out> {
  const result: BlockResult<Out> = { lines: 0, outs: [], rejected: [] };
  // The spool files are open for the block, not per record.
  const fds = options.sides ? options.sides.spools.map((spool) => spool && openSync(spool.path, "r")) : [];
  try {
    mapLines(block, mapper, options, result, fds);
  } finally {
    for (const fd of fds) if (fd !== undefined) closeSync(fd);
  }
  return result;
}

/** Spooled records at most this far apart are read together: a read costs more than this many bytes' worth. */
const READ_GAP = 8 << 10;

/**
 * The JSON of every side that `sides` places, read from the spools open as `fds`: index `2 × (line - 1) + i`
 * for side `i` of the block's `line`. Records that lie close together in a spool (the instructions come in
 * synth order) are read as one run, with one read and one cipher.
 */
function readSides(sides: BlockSides, fds: Array<number | undefined>): Array<Buffer | undefined> {
  const { places } = sides;
  const out = new Array<Buffer | undefined>(places.length / 2);
  for (const i of [0, 1] as const) {
    const fd = fds[i];
    if (fd === undefined) continue;
    const offset = (k: number): number => places[2 * k + 2 * i]!;
    const length = (k: number): number => places[2 * k + 2 * i + 1]!;
    // k: 2 × (line - 1), the line's first place; in spool order.
    const lines: number[] = [];
    for (let k = 0; k < places.length / 2; k += 2) if (length(k) >= 0) lines.push(k);
    lines.sort((a, b) => offset(a) - offset(b));
    for (let r = 0; r < lines.length; ) {
      const start = offset(lines[r]!);
      let end = start + length(lines[r]!);
      let s = r + 1;
      for (; s < lines.length && offset(lines[s]!) <= end + READ_GAP; s++) end = Math.max(end, offset(lines[s]!) + length(lines[s]!));
      const run = readSpooled(fd, sides.spools[i]!.key, start, end - start);
      for (; r < s; r++) out[lines[r]! + i] = run.subarray(offset(lines[r]!) - start, offset(lines[r]!) - start + length(lines[r]!));
    }
  }
  return out;
}

function mapLines<Out>(
  block: Buffer,
  mapper: RecordMapper<Out>,
  options: Parameters<typeof mapBlock>[2],
  result: BlockResult<Out>,
  fds: Array<number | undefined>,
): void {
  const sides = options.sides;
  const read = sides && readSides(sides, fds);
  // The join counts every synth record it reads: its lines are all parsed.
  const wants = sides ? undefined : options.wants;
  for (const text of blockLines(block, options.first)) {
    const line = ++result.lines;
    if (isBlank(text)) continue;
    if (wants) {
      const id = lineIdOf(text);
      if (id !== undefined && !wants(id)) continue;
    }
    const parsed = sides ? joinLine(text, line, sides.ids[line - 1], read!) : parseLine(text, options.schema);
    if ("record" in parsed) {
      result.outs.push({ line, out: mapper(parsed.record) });
    } else if (options.skip) {
      result.rejected.push({ line, reason: parsed.reason, detail: parsed.detail, text: text.subarray(0, options.maxRejectedText).toString("utf8") });
    } else {
      result.failed = { line, reason: parsed.reason, detail: parsed.detail };
      return;
    }
  }
}

/**
 * A synth line merged with its sides (`read`, from `readSides`); a line whose id is not the one (`id`) its
 * sides were found by is refused.
 */
function joinLine(text: Buffer, line: number, id: string | undefined, read: Array<Buffer | undefined>): ReturnType<typeof parseLine> {
  const parsed = parseLine(text, SynthFieldsSchema);
  if (!("record" in parsed)) return parsed;
  const record = parsed.record;
  if (record.conversation_id !== id) {
    return { reason: "invalid-record", detail: "`conversation_id` is given twice in the record, with different values" };
  }
  const side = (i: 0 | 1): object | undefined => {
    const json = read[2 * (line - 1) + i];
    return json && parseSpooled(json);
  };
  const lmsys = side(0);
  const instruction = side(1);
  return lmsys || instruction ? { record: { ...lmsys, ...instruction, ...record } } : parsed;
}
