// The worker side of `mapRecords`: loads the mapper module once, then maps each block it is sent.
import { parentPort, workerData } from "node:worker_threads";
import { mapBlock, type BlockSides, type RecordMapperModule } from "./map-block.js";
import { readShardGroupTask, type ShardGroupTask } from "./shard-group-task.js";

interface BlockMessage {
  id: number;
  block?: Uint8Array;
  first?: boolean;
  sides?: BlockSides;
  /** Instead of a block: a row group of an LMSYS Parquet shard to read for the join's spool. */
  shardGroup?: ShardGroupTask;
}

const { mapper: url, init, skip, maxRejectedText } = workerData as { mapper: string; init: unknown; skip: boolean; maxRejectedText: number };
const mod = (await import(url)) as RecordMapperModule<unknown, unknown>;
const mapper = await mod.createMapper(init);
const wants = mod.createIdFilter?.(init);

parentPort!.on("message", (msg: BlockMessage) => {
  if (msg.shardGroup) {
    readShardGroupTask(msg.shardGroup).then(
      (result) => parentPort!.postMessage({ id: msg.id, result }),
      (error: unknown) => parentPort!.postMessage({ id: msg.id, error }),
    );
    return;
  }
  try {
    const block = Buffer.from(msg.block!.buffer, msg.block!.byteOffset, msg.block!.byteLength);
    parentPort!.postMessage({ id: msg.id, result: mapBlock(block, mapper, { first: msg.first === true, skip, maxRejectedText, sides: msg.sides, wants }) });
  } catch (e) {
    // A mapper that throws (a template raising, say) fails the run in the main thread with its own message.
    parentPort!.postMessage({ id: msg.id, error: e });
  }
});
parentPort!.postMessage({ ready: true });
