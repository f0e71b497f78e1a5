import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  InputError,
  InstructionFieldsSchema,
  LmsysFieldsSchema,
  SynthFieldsSchema,
  convertedLmsysPart,
  trackTemporaryPath,
  type MergedRecord,
} from "@lmsynth/schema";
import { open } from "node:fs/promises";
import { isParquet, openShard, type ReadParquetOptions, type ShardGroupTexts } from "./read-parquet.js";
import { parquetOptionsOf, readShardGroupTask, type LmsysPart, type ShardGroupTask } from "./shard-group-task.js";
import { readRecords, type LocatedRecord, type ReadRecordsOptions } from "./read-records.js";
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

/** Where a spooled record is: [offset, length, used (1 once a synth record took it)]. */
export type SpoolEntry = [number, number, number];

/**
 * LMSYS records spooled to a temporary file as JSON lines, indexed by id, so that the join holds only
 * offsets in memory (LMSYS is the largest side after synth). Owns the file; `close()` deletes it.
 */
export class LmsysSpool {
  private readonly dir: string;
  private readonly fd: number;
  private size = 0;
  /** Records not yet written: one write per ~1 MiB, not one per record. */
  private pending = "";
  private pendingFrom = 0;
  readonly index = new Map<string, SpoolEntry>();
  readonly order: string[] = [];

  private readonly untrack: () => void;

  constructor(spoolDir: string | undefined) {
    this.dir = mkdtempSync(join(spoolDir ?? tmpdir(), "lmsynth-join-"));
    this.untrack = trackTemporaryPath(this.dir);
    this.fd = openSync(join(this.dir, "lmsys.jsonl"), "w+");
  }

  /** Adds the record of `id`, as its JSON `text`. */
  add(id: string, text: string, file: string, line: number): void {
    if (this.index.has(id)) throw new InputError(file, line, "duplicate-id", `conversation_id ${id} appears twice in the LMSYS input`);
    const length = Buffer.byteLength(text);
    this.pending += text;
    this.index.set(id, [this.size, length, 0]);
    this.order.push(id);
    this.size += length;
    if (this.pending.length >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.pending === "") return;
    const bytes = Buffer.from(this.pending);
    writeSync(this.fd, bytes, 0, bytes.length, this.pendingFrom);
    this.pending = "";
    this.pendingFrom = this.size;
  }

  /** The record of `id`, marking it used; undefined when absent. */
  take(id: string): Record<string, unknown> | undefined {
    const at = this.index.get(id);
    if (!at) return undefined;
    at[2] = 1;
    return this.read(at);
  }

  read(at: SpoolEntry): Record<string, unknown> {
    return JSON.parse(this.bytes(at).toString("utf8")) as Record<string, unknown>;
  }

  /** The record's JSON bytes. */
  bytes(at: SpoolEntry): Buffer {
    this.flush();
    const buf = Buffer.allocUnsafe(at[1]);
    readSync(this.fd, buf, 0, at[1], at[0]);
    return buf;
  }

  /** Entries no synth record took, in LMSYS order. */
  *unused(): Generator<SpoolEntry> {
    for (const id of this.order) {
      const at = this.index.get(id)!;
      if (!at[2]) yield at;
    }
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
    this.untrack();
  }
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
    const pending: Array<Promise<ShardGroupTexts>> = [];
    let next = 0;
    while (next < shard.groupStarts.length || pending.length > 0) {
      while (next < shard.groupStarts.length && pending.length < groups.depth) {
        const read = groups.read({ file, index: next++, options: taskOptions });
        read.catch(() => {}); // awaited in order below
        pending.push(read);
      }
      const { ids, texts, lines, error } = await pending.shift()!;
      for (const [i, id] of ids.entries()) yield { id, text: texts[i]!, file, line: lines[i]! };
      if (error) throw new InputError(file, error.line, error.reason, error.detail);
    }
  }
}

/** The instruction index and the LMSYS spool of a join, with the counts of both sides. */
export interface JoinSides {
  /** id → the instruction's other fields as JSON bytes (decrypted text stays in memory, off the disk). */
  instructions: Map<string, Buffer>;
  spool: LmsysSpool | undefined;
}

/**
 * Reads the instruction and LMSYS sides of a join into memory and the spool, refusing repeated ids. The two
 * are read at once (Parquet row groups in `groups`' threads, the decryption here). The caller closes the spool.
 */
export async function indexJoinSides(options: JoinSourcesOptions, counts: JoinCounts, groups: ShardGroupReader = IN_THIS_THREAD): Promise<JoinSides> {
  const { synth: _s, instructions = [], lmsys = [], lmsysFilter: _f, lmsysPart: _l, keepUnmatched: _k, counts: _c, ...readOptions } = options;
  // The first side to fail stops the other: its error is the one reported.
  const stop = new AbortController();
  const stopOnError = <T>(side: Promise<T>): Promise<T> => side.catch((e: unknown) => (stop.abort(e), Promise.reject(e)));
  const indexInstructions = async (): Promise<Map<string, Buffer>> => {
    const index = new Map<string, Buffer>();
    for await (const { record, file, line } of eachFileCounted(instructions, readRecords(instructions, { ...readOptions, schema: InstructionFieldsSchema }))) {
      stop.signal.throwIfAborted();
      const { conversation_id: id, ...fields } = record;
      if (index.has(id)) throw new InputError(file, line, "duplicate-id", `conversation_id ${id} appears twice in the instructions`);
      index.set(id, Buffer.from(stringifyRecord(fields, file, line)));
      counts.instructions++;
    }
    return index;
  };
  const spoolLmsys = async (): Promise<LmsysSpool | undefined> => {
    if (lmsys.length === 0) return undefined;
    const spool = new LmsysSpool(options.spoolDir);
    try {
      for await (const { id, text, file, line } of eachFileCounted(lmsys, lmsysTexts(options, readOptions, groups))) {
        // Parquet shards are read without the signal: check it here, the spool is the long phase.
        readOptions.signal?.throwIfAborted();
        stop.signal.throwIfAborted();
        spool.add(id, text, file, line);
        counts.lmsys++;
      }
    } catch (e) {
      spool.close();
      throw e;
    }
    return spool;
  };
  const [index, spool] = await Promise.allSettled([stopOnError(indexInstructions()), stopOnError(spoolLmsys())]);
  if (index.status === "fulfilled" && spool.status === "fulfilled") return { instructions: index.value, spool: spool.value };
  if (spool.status === "fulfilled") spool.value?.close();
  throw stop.signal.reason;
}

/**
 * After the synth side: a side that matched no synth record contributes nothing, and the output would
 * silently lack its fields, so that is an error.
 */
export function checkJoined(options: JoinSourcesOptions, counts: JoinCounts, usedInstructions: number, instructionRecords: number): void {
  const { instructions = [], lmsys = [] } = options;
  counts.instructionsUnmatched = instructionRecords - usedInstructions;
  if (counts.synth > 0 && instructions.length > 0 && usedInstructions === 0) throw matchedNothing(instructions, counts.instructions, "--instructions");
  if (counts.synth > 0 && lmsys.length > 0 && counts.synthWithoutLmsys === counts.synth) throw matchedNothing(lmsys, counts.lmsys, "--lmsys");
}

/**
 * Joins synth records with their Japanese instruction and LMSYS record by `conversation_id`, the dataset's
 * two-step merge in one pass (input-format.md §4): a merged record is the LMSYS fields, then the
 * instruction fields, then the synth fields, a later source winning on a clashing key. Records come in
 * synth order, located at their synth line. Synth records missing from the other sides are kept with the
 * fields they have; unmatched LMSYS records are dropped, or appended in LMSYS order with `keepUnmatched`.
 * A repeated id in the instruction or LMSYS input throws `duplicate-id`. An aborted `signal` throws its
 * reason, in every phase; the spool file is deleted whenever the iteration ends.
 *
 * Memory: instructions are held as compact JSON bytes (they are small, and decrypted text must not touch
 * the disk); LMSYS records go to a temporary spool file and only offsets stay in memory.
 */
export async function* joinSources(options: JoinSourcesOptions): AsyncGenerator<LocatedRecord> {
  const counts = options.counts ?? emptyJoinCounts();
  const { synth, instructions = [], lmsys = [], lmsysFilter: _f, lmsysPart: _l, keepUnmatched, counts: _, ...readOptions } = options;
  const { instructions: instructionIndex, spool } = await indexJoinSides(options, counts);
  try {
    const usedInstructions = new Set<string>();
    const synthIds = new UniqueIds();
    for await (const located of eachFileCounted(synth, readRecords(synth, { ...readOptions, schema: SynthFieldsSchema }))) {
      const id = located.record.conversation_id;
      synthIds.add(id, located.file, located.line);
      counts.synth++;
      const base = spool?.take(id);
      if (spool && !base) counts.synthWithoutLmsys++;
      const instruction = instructionIndex.get(id);
      if (instructions.length > 0) {
        if (instruction) usedInstructions.add(id);
        else counts.synthWithoutInstruction++;
      }
      if (!base && !instruction) {
        yield located;
        continue;
      }
      const merged = { ...base, ...(instruction ? (JSON.parse(instruction.toString("utf8")) as object) : {}), ...located.record };
      yield { ...located, record: merged };
    }
    checkJoined(options, counts, usedInstructions.size, instructionIndex.size);
    for (const at of spool?.unused() ?? []) {
      counts.lmsysUnmatched++;
      if (keepUnmatched) yield { record: spool!.read(at) as MergedRecord, file: lmsys[0]!, line: 0 };
    }
  } finally {
    spool?.close();
  }
}
