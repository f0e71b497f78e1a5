import { availableParallelism } from "node:os";
import type { Transferable } from "node:worker_threads";
import { InputError } from "@lmsynth/schema";
import { inOrder } from "./in-order.js";
import type { BlockResult, BlockSides } from "./map-block.js";
import type { MapBlockInit, MapBlockRequest } from "./map-block-task.js";
import { CHUNK_BYTES, openInput } from "./open-input.js";
import type { ShardGroupTask, ShardGroupTexts } from "./shard-group-task.js";
import { openWorkerPool, type TaskSpecs } from "./worker-pool.js";

// The tasks a block pool runs, by module: the pool loads them in each thread.
const MAP_BLOCK_TASK = new URL("./map-block-task.js", import.meta.url).href;
const SHARD_GROUP_TASK = new URL("./shard-group-task.js", import.meta.url).href;
import { DEFAULT_MAX_LINE_BYTES, LineTooLongError } from "./split-lines.js";
import type { ReadRecordsOptions } from "./read-records.js";

export interface MapRecordsOptions<Init> extends ReadRecordsOptions {
  /** URL (`file:`) of a module exporting `createMapper(init)` (see `RecordMapperModule`). */
  mapper: string;
  /** Given to `createMapper` in every thread; structured-cloneable. */
  init: Init;
  /** Worker threads. Default: the machine's cores. 1 maps in this thread (no worker). */
  threads?: number;
  /** Decoded bytes per block sent to a worker. Default 2 MiB. */
  blockBytes?: number;
  /** The `init` of each thread that maps, when threads need their own part of it (a `MessagePort` of a
   * service thread, say), with what it transfers; called once per thread. Default: `init` for every one. */
  initFor?: () => { init: Init; transfer?: Transferable[] };
}

/** One mapped record, where it came from. */
export interface MappedRecord<Out> {
  file: string;
  line: number;
  out: Out;
}

/**
 * Decoded input cut into blocks of whole lines, about `size` bytes each. A line longer than `maxLineBytes`
 * throws `LineTooLongError`; every line before it has been yielded by then. Each byte is copied once, into a
 * buffer that no one else holds: a block is the front of that buffer, so its `ArrayBuffer` can be
 * transferred to a worker as it is (the unfinished line after it has been moved to the next buffer).
 */
async function* lineBlocks(chunks: AsyncIterable<Buffer>, size: number, maxLineBytes: number): AsyncGenerator<Buffer> {
  let buf = Buffer.allocUnsafeSlow(size + CHUNK_BYTES);
  let length = 0;
  // Where the unfinished line begins: the bytes before it are whole lines.
  let pending = 0;
  const tooLong = function* (): Generator<Buffer> {
    if (pending > 0) yield buf.subarray(0, pending);
    throw new LineTooLongError(maxLineBytes);
  };
  for await (const chunk of chunks) {
    if (length + chunk.length > buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * buf.length, length + chunk.length));
      buf.copy(grown, 0, 0, length);
      buf = grown;
    }
    chunk.copy(buf, length);
    const start = length;
    length += chunk.length;
    const cut = chunk.lastIndexOf(10);
    // Only a line that spans chunks can grow without bound; one inside a chunk is as long as the chunk.
    if (cut !== -1) {
      if (start + chunk.indexOf(10) - pending > maxLineBytes) yield* tooLong();
      pending = start + cut + 1;
    }
    if (length - pending > maxLineBytes) yield* tooLong();
    if (cut === -1 || pending < size) continue;
    const block = buf.subarray(0, pending);
    const next = Buffer.allocUnsafeSlow(Math.max(size + CHUNK_BYTES, length - pending));
    buf.copy(next, 0, pending, length);
    buf = next;
    length -= pending;
    pending = 0;
    yield block;
  }
  if (length > 0) yield buf.subarray(0, length);
}

/** Maps blocks of lines with the mapper module: in worker threads, or in this one when `threads` is 1. */
export interface BlockPool<Out> {
  threads: number;
  /** With workers, `block`'s whole `ArrayBuffer` is transferred (detached here): it must hold nothing else. */
  map(block: Buffer, first: boolean, sides?: BlockSides): Promise<BlockResult<Out>>;
  /** Reads a row group of an LMSYS Parquet shard for the join, in a worker (so several at once). */
  readShardGroup(task: ShardGroupTask): Promise<ShardGroupTexts>;
  close(): Promise<void>;
}

/** Starts the worker threads of `options` (or loads the mapper here for one thread). Close it when done. */
export async function openBlockPool<Init, Out>(options: MapRecordsOptions<Init>): Promise<BlockPool<Out>> {
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const skip = options.onInvalid === "skip";
  const maxRejectedText = options.maxRejectedText ?? 64 * 1024;
  const tasksOf = (init: Init): TaskSpecs => ({
    map: { module: MAP_BLOCK_TASK, init: { mapper: options.mapper, init, skip, maxRejectedText } satisfies MapBlockInit },
    readShardGroup: { module: SHARD_GROUP_TASK, init: undefined },
  });
  const initFor = options.initFor;
  const pool = await openWorkerPool({
    threads,
    tasks: tasksOf(options.init),
    ...(initFor
      ? {
          tasksFor: () => {
            const own = initFor();
            return { tasks: tasksOf(own.init), ...(own.transfer ? { transfer: own.transfer } : {}) };
          },
        }
      : {}),
  });
  return {
    threads,
    map(block, first, sides) {
      // A worker takes the block's buffer (and the sides' places) as they are: transferred, not copied.
      const transfer = threads === 1 ? [] : [block.buffer as ArrayBuffer, ...(sides ? [sides.places.buffer as ArrayBuffer] : [])];
      return pool.run<BlockResult<Out>>("map", { block, first, sides } satisfies MapBlockRequest, transfer);
    },
    readShardGroup: (task) => pool.run<ShardGroupTexts>("readShardGroup", task),
    close: () => pool.close(),
  };
}

/**
 * What a caller adds to the blocks of a file: `prepare` gives each block's sides (and what it wants to keep
 * of them), `accept` sees each mapped record in order before it is yielded, and may throw to stop there.
 */
export interface BlockHooks<Meta> {
  prepare(block: Buffer, first: boolean): { sides: BlockSides; meta: Meta };
  accept(line: number, lineInBlock: number, meta: Meta): void;
}

/**
 * The mapped records of one input's chunks, in order, about `2 × threads` blocks in flight. Bad lines
 * behave as in `readRecords`: `InputError` at file:line after every record before it, or `onRejected`.
 */
export async function* mapFileBlocks<Out, Meta = undefined>(
  file: string,
  chunks: AsyncIterable<Buffer>,
  pool: BlockPool<Out>,
  options: ReadRecordsOptions & { blockBytes?: number },
  hooks?: BlockHooks<Meta>,
): AsyncGenerator<MappedRecord<Out>> {
  let base = 0;
  let first = true;
  const blocks = lineBlocks(chunks, options.blockBytes ?? 2 << 20, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  const mapped = inOrder(
    blocks,
    (block) => {
      const prepared = hooks?.prepare(block, first);
      const result = pool.map(block, first, prepared?.sides);
      first = false;
      return result.then((result) => ({ result, meta: prepared?.meta }));
    },
    2 * pool.threads,
  );
  try {
    for await (const { result, meta } of mapped) {
      for (const r of result.rejected) await options.onRejected?.({ file, line: base + r.line, reason: r.reason, detail: r.detail, text: r.text });
      // Outputs before a bad line are still yielded, as readRecords would have.
      for (const o of result.outs) {
        if (result.failed && o.line >= result.failed.line) break;
        hooks?.accept(base + o.line, o.line, meta as Meta);
        yield { file, line: base + o.line, out: o.out };
      }
      if (result.failed) throw new InputError(file, base + result.failed.line, result.failed.reason, result.failed.detail);
      base += result.lines;
    }
  } catch (e) {
    if (!(e instanceof LineTooLongError)) throw e;
    // Every block before the long line was mapped and yielded first: their lines place it.
    throw new InputError(file, base + 1, "invalid-record", e.message, { cause: e });
  }
}

/**
 * Maps every record of JSONL inputs (plain, gzip, OpenPGP) with the mapper module, in `threads` worker
 * threads, and yields the results in input order, exactly as a single thread would: this thread inflates
 * and cuts line-aligned blocks, workers parse, validate and map them. Bad lines behave as in `readRecords`
 * (`InputError` with file:line, or `onRejected` with `onInvalid: "skip"`). Memory: about `2 × threads`
 * blocks in flight.
 */
export async function* mapRecords<Init, Out>(files: readonly string[], options: MapRecordsOptions<Init>): AsyncGenerator<MappedRecord<Out>> {
  const pool = await openBlockPool<Init, Out>(options);
  try {
    for (const file of files) {
      const { kind, chunks } = await openInput(file, options);
      if (kind === "parquet") throw new InputError(file, undefined, "invalid-record", "this is a Parquet file; give it as --lmsys");
      yield* mapFileBlocks(file, chunks, pool, options);
    }
  } finally {
    await pool.close();
  }
}
