import {
  InputError,
  InstructionFieldsSchema,
  LmsysFieldsSchema,
  SynthFieldsSchema,
  convertedLmsysPart,
  type MergedRecord,
} from "@lmsynth/schema";
import { open } from "node:fs/promises";
import { inOrder } from "./in-order.js";
import { isParquet, openShard, type ReadParquetOptions } from "./read-parquet.js";
import { parquetOptionsOf, readShardGroupTask, type LmsysPart, type ShardGroupTask, type ShardGroupTexts } from "./shard-group-task.js";
import { readRecords, type LocatedRecord, type ReadRecordsOptions } from "./read-records.js";
import { Spool } from "./spool.js";
import { UniqueIds } from "./unique-ids.js";

/** What the join saw; filled in as it goes (behaviour.md §8 summary, input-format.md §4). */
export interface JoinCounts {
  synth: number;
  lmsys: number;
  instructions: number;
  /** Synth records kept without LMSYS fields. */
  synthWithoutLmsys: number;
  /** Synth records kept without a Japanese instruction (when instructions were given). */
  synthWithoutInstruction: number;
  /** LMSYS records no synth record asked for: dropped, or appended with `keepUnmatched`. */
  lmsysUnmatched: number;
  /** Instruction records no synth record asked for: dropped. */
  instructionsUnmatched: number;
}

export interface JoinSourcesOptions extends ReadRecordsOptions {
  /** The synth file(s): their order is the output order. */
  synth: readonly string[];
  /** Decrypted or `.gpg` Japanese-instruction file(s). */
  instructions?: readonly string[];
  /** LMSYS export (JSONL/gzip) or Parquet shards. */
  lmsys?: readonly string[];
  /** Export filter applied to LMSYS Parquet shards (the JSONL export is the user's, already filtered). */
  lmsysFilter?: Pick<ReadParquetOptions, "languages" | "dropFlagged">;
  /**
   * What is kept of each LMSYS record: `all` (default), or `converted`, only what a conversion reads
   * (`convertedLmsysPart`): a Parquet shard then reads only those columns, and of the moderation only the
   * `flagged` bits its filter needs.
   */
  lmsysPart?: LmsysPart;
  /** Append LMSYS records without synth data after the synth-ordered output, in LMSYS order. Default false. */
  keepUnmatched?: boolean;
  /** Folder for the LMSYS spool file (deleted at the end). Default the OS temp folder. */
  spoolDir?: string;
  /** Receives the counts; read it after the iteration ends. */
  counts?: JoinCounts;
}

export function emptyJoinCounts(): JoinCounts {
  return { synth: 0, lmsys: 0, instructions: 0, synthWithoutLmsys: 0, synthWithoutInstruction: 0, lmsysUnmatched: 0, instructionsUnmatched: 0 };
}

/**
 * `JSON.stringify(record)`; a record nested too deeply for it (JSON.parse has no depth limit, stringify
 * overflows the stack at a few thousand levels) is bad input, not a crash.
 */
function stringifyRecord(record: unknown, file: string, line: number): string {
  try {
    return JSON.stringify(record);
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(file, line, "invalid-record", "record is nested too deeply to be written back as JSON", { cause: e });
    throw e;
  }
}

/**
 * The records of `files` as they come, checking that each file gave at least one: a source given
 * explicitly that holds no record (an empty file, a 0-row shard, every row filtered out) is an error
 * naming it, never a silently smaller join.
 */
export async function* eachFileCounted<T extends { file: string }>(files: readonly string[], records: AsyncIterable<T>): AsyncGenerator<T> {
  let current = -1;
  /** Throws for the first file before `next` that gave nothing. */
  const passedOver = (next: number): void => {
    if (current + 1 < next) throw contributesNothing(files[current + 1]!);
  };
  for await (const r of records) {
    if (r.file !== files[current]) {
      const next = files.indexOf(r.file, current + 1);
      passedOver(next);
      current = next;
    }
    yield r;
  }
  passedOver(files.length);
}

export function contributesNothing(file: string): InputError {
  return new InputError(file, undefined, "empty-source", "contributes no record (an empty file, or every row filtered out)");
}

function matchedNothing(files: readonly string[], records: number, flag: string): InputError {
  return new InputError(files.join(", "), undefined, "empty-source", `${flag}: none of its ${records} conversation_ids matches a synth record`);
}

async function startsWithParquetMagic(file: string): Promise<boolean> {
  if (file === "-") return false;
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return false; // readRecords names the missing file
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    return isParquet(head);
  } finally {
    await handle.close();
  }
}

/** One LMSYS record on its way to the spool: its id, its JSON, where it was read. */
interface SpoolItem {
  id: string;
  text: string;
  file: string;
  line: number;
}

/** Reads row groups of a shard; in worker threads when the join has them (see `BlockPool.readShardGroup`). */
export interface ShardGroupReader {
  read(task: ShardGroupTask): Promise<ShardGroupTexts>;
  /** Row groups read at once. */
  depth: number;
}

const IN_THIS_THREAD: ShardGroupReader = { read: readShardGroupTask, depth: 1 };

/**
 * LMSYS records from the JSONL export or the original Parquet shards, told apart by content, in order, as
 * JSON for the spool. A shard's row groups are read `groups.depth` at a time.
 */
async function* lmsysTexts(options: JoinSourcesOptions, readOptions: ReadRecordsOptions, groups: ShardGroupReader): AsyncGenerator<SpoolItem> {
  const { lmsys = [], lmsysFilter, lmsysPart = "all" } = options;
  for (const file of lmsys) {
    if (!(await startsWithParquetMagic(file))) {
      for await (const { record, line } of readRecords([file], { ...readOptions, schema: LmsysFieldsSchema })) {
        yield { id: record.conversation_id, text: stringifyRecord(lmsysPart === "converted" ? convertedLmsysPart(record) : record, file, line), file, line };
      }
      continue;
    }
    const taskOptions = { ...lmsysFilter, part: lmsysPart };
    const shard = await openShard(file, parquetOptionsOf(taskOptions));
    const read = inOrder(shard.groupStarts.keys(), (index) => groups.read({ file, index, options: taskOptions }), groups.depth);
    for await (const { ids, texts, lines, error } of read) {
      for (const [i, id] of ids.entries()) yield { id, text: texts[i]!, file, line: lines[i]! };
      if (error) throw new InputError(file, error.line, error.reason, error.detail);
    }
  }
}

/** The instruction index and the LMSYS spool of a join. */
export interface JoinSides {
  /** id → the instruction's other fields, spooled encrypted: decrypted text never touches the disk. */
  instructions: Spool | undefined;
  lmsys: Spool | undefined;
}

/**
 * Spools the instruction and LMSYS sides of a join, refusing repeated ids. The two are read at once (Parquet
 * row groups in `groups`' threads, the decryption here). The spools come back flushed, their files complete;
 * the caller closes them.
 */
export async function indexJoinSides(options: JoinSourcesOptions, counts: JoinCounts, groups: ShardGroupReader = IN_THIS_THREAD): Promise<JoinSides> {
  const { synth: _s, instructions = [], lmsys = [], lmsysFilter: _f, lmsysPart: _l, keepUnmatched: _k, counts: _c, ...readOptions } = options;
  // The first side to fail stops the other: its error is the one reported.
  const stop = new AbortController();
  const fill = async (files: readonly string[], spool: Spool, items: AsyncIterable<SpoolItem>, count: "instructions" | "lmsys"): Promise<Spool | undefined> => {
    try {
      for await (const { id, text, file, line } of eachFileCounted(files, items)) {
        // Parquet shards are read without the signal: check it here, the spool is the long phase.
        readOptions.signal?.throwIfAborted();
        stop.signal.throwIfAborted();
        spool.add(id, text, file, line);
        counts[count]++;
      }
      // Complete on disk, so that other threads can read the spool file itself.
      spool.flush();
      return spool;
    } catch (e) {
      spool.close();
      stop.abort(e);
      throw e;
    }
  };
  const sides = await Promise.allSettled([
    instructions.length === 0
      ? undefined
      : fill(instructions, new Spool(options.spoolDir, "the instructions", { encrypt: true }), instructionTexts(instructions, readOptions), "instructions"),
    lmsys.length === 0 ? undefined : fill(lmsys, new Spool(options.spoolDir, "the LMSYS input"), lmsysTexts(options, readOptions, groups), "lmsys"),
  ]);
  const [instructionSide, lmsysSide] = sides.map((side) => (side.status === "fulfilled" ? side.value : undefined));
  if (sides.every((side) => side.status === "fulfilled")) return { instructions: instructionSide, lmsys: lmsysSide };
  instructionSide?.close();
  lmsysSide?.close();
  throw stop.signal.reason;
}

/** The instructions as JSON for their spool: each record's fields but its id. */
async function* instructionTexts(files: readonly string[], readOptions: ReadRecordsOptions): AsyncGenerator<SpoolItem> {
  for await (const { record, file, line } of readRecords(files, { ...readOptions, schema: InstructionFieldsSchema })) {
    const { conversation_id: id, ...fields } = record;
    yield { id, text: stringifyRecord(fields, file, line), file, line };
  }
}

/**
 * After the synth side: the counts the spools' marks give (each synth id is unique, so it marks at most one
 * entry of each side), and a side that matched no synth record is an error, since the output would
 * silently lack its fields.
 */
export function finishJoin(options: JoinSourcesOptions, counts: JoinCounts, sides: JoinSides): void {
  const { instructions = [], lmsys = [] } = options;
  if (sides.instructions) {
    counts.synthWithoutInstruction = counts.synth - sides.instructions.used;
    counts.instructionsUnmatched = counts.instructions - sides.instructions.used;
    if (counts.synth > 0 && sides.instructions.used === 0) throw matchedNothing(instructions, counts.instructions, "--instructions");
  }
  if (sides.lmsys) {
    counts.synthWithoutLmsys = counts.synth - sides.lmsys.used;
    counts.lmsysUnmatched = counts.lmsys - sides.lmsys.used;
    if (counts.synth > 0 && sides.lmsys.used === 0) throw matchedNothing(lmsys, counts.lmsys, "--lmsys");
  }
}

/**
 * Joins synth records with their Japanese instruction and LMSYS record by `conversation_id`, the dataset's
 * two-step merge in one pass (input-format.md §4): a merged record is the LMSYS fields, then the
 * instruction fields, then the synth fields, a later source winning on a clashing key. Records come in
 * synth order, located at their synth line. Synth records missing from the other sides are kept with the
 * fields they have; unmatched LMSYS records are dropped, or appended in LMSYS order with `keepUnmatched`.
 * A repeated id in the instruction or LMSYS input throws `duplicate-id`. An aborted `signal` throws its
 * reason, in every phase; the spool files are deleted whenever the iteration ends.
 *
 * Memory: both sides go to temporary spool files and only offsets stay in memory; the instructions' spool
 * is encrypted under a key held in memory only, as decrypted text must not touch the disk.
 */
export async function* joinSources(options: JoinSourcesOptions): AsyncGenerator<LocatedRecord> {
  const counts = options.counts ?? emptyJoinCounts();
  const { synth, instructions: _i, lmsys = [], lmsysFilter: _f, lmsysPart: _l, keepUnmatched, counts: _, ...readOptions } = options;
  const sides = await indexJoinSides(options, counts);
  const spool = sides.lmsys;
  try {
    const synthIds = new UniqueIds();
    for await (const located of eachFileCounted(synth, readRecords(synth, { ...readOptions, schema: SynthFieldsSchema }))) {
      const id = located.record.conversation_id;
      synthIds.add(id, located.file, located.line);
      counts.synth++;
      const base = spool?.take(id);
      const instruction = sides.instructions?.take(id);
      if (!base && !instruction) {
        yield located;
        continue;
      }
      yield { ...located, record: { ...base, ...instruction, ...located.record } };
    }
    finishJoin(options, counts, sides);
    if (keepUnmatched) for (const at of spool?.unused() ?? []) yield { record: spool!.read(at) as MergedRecord, file: lmsys[0]!, line: 0 };
  } finally {
    sides.instructions?.close();
    spool?.close();
  }
}
