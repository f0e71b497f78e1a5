// The worker side of `mapRecords`: loads the mapper module once, then maps each block it is sent.
import { parentPort, workerData } from "node:worker_threads";
import { mapBlock, type BlockSides, type RecordMapperModule } from "./map-block.js";

interface BlockMessage {
  id: number;
  block: Uint8Array;
  first: boolean;
  sides?: BlockSides;
}

const { mapper: url, init, skip, maxRejectedText } = workerData as { mapper: string; init: unknown; skip: boolean; maxRejectedText: number };
const mod = (await import(url)) as RecordMapperModule<unknown, unknown>;
const mapper = await mod.createMapper(init);

parentPort!.on("message", (msg: BlockMessage) => {
  try {
    const block = Buffer.from(msg.block.buffer, msg.block.byteOffset, msg.block.byteLength);
    parentPort!.postMessage({ id: msg.id, result: mapBlock(block, mapper, { first: msg.first, skip, maxRejectedText, sides: msg.sides }) });
  } catch (e) {
    // A mapper that throws (a template raising, say) fails the run in the main thread with its own message.
    parentPort!.postMessage({ id: msg.id, error: e });
  }
});
parentPort!.postMessage({ ready: true });
