import { LMSYS_FIELDS_CONVERTED, convertedLmsysPart, type InputErrorReason } from "@lmsynth/schema";
import { openShard, readShardGroup, type ParquetShard, type ReadParquetOptions } from "./read-parquet.js";

/** What the join keeps of an LMSYS record: all of it, or what a conversion reads (`convertedLmsysPart`). */
export type LmsysPart = "all" | "converted";

/** One row group of an LMSYS Parquet shard to read for the join's spool, as plain data (it crosses threads). */
export interface ShardGroupTask {
  file: string;
  index: number;
  options: Pick<ReadParquetOptions, "languages" | "dropFlagged"> & { part: LmsysPart };
}

/** A row group's kept records as JSON texts: the form in which they cross from a worker thread to the spool. */
export interface ShardGroupTexts {
  ids: string[];
  lines: number[];
  texts: string[];
  /** The `InputError` that stopped the group, as data (errors lose their class between threads). */
  error?: { line: number | undefined; reason: InputErrorReason; detail: string };
}

/** The `readParquet` options of a task: the columns of its part. */
export function parquetOptionsOf(options: ShardGroupTask["options"]): ReadParquetOptions {
  const { part, ...filter } = options;
  return part === "converted" ? { ...filter, columns: LMSYS_FIELDS_CONVERTED, firstMessageOnly: true } : filter;
}

// A thread reads several groups of a shard: its footer is read once. Shards are read one after another.
let open: { file: string; shard: Promise<ParquetShard> } | undefined;

/** Reads the row group of `task` in this thread (the footer cached per shard), as JSON texts for the spool. */
export async function readShardGroupTask(task: ShardGroupTask): Promise<ShardGroupTexts> {
  if (open?.file !== task.file) open = { file: task.file, shard: openShard(task.file, parquetOptionsOf(task.options)) };
  const { records, error } = await readShardGroup(await open.shard, task.index);
  const part = task.options.part === "converted" ? convertedLmsysPart : (r: object) => r;
  return {
    ids: records.map((r) => r.record.conversation_id),
    lines: records.map((r) => r.line),
    texts: records.map((r) => JSON.stringify(part(r.record))),
    ...(error ? { error: { line: error.line, reason: error.reason, detail: error.detail } } : {}),
  };
}

/** The pool task that reads a row group for the join's spool (see `openWorkerPool`). */
export function createTask(): (task: ShardGroupTask) => Promise<ShardGroupTexts> {
  return readShardGroupTask;
}
