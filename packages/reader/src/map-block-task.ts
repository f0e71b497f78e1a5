// The pool task that maps a block of lines with a mapper module (`mapRecords`, `mapJoinedSources`).
import { mapBlock, type BlockResult, type BlockSides, type RecordMapperModule } from "./map-block.js";

/** What every thread's block task is created with. */
export interface MapBlockInit {
  /** URL (`file:`) of the mapper module. */
  mapper: string;
  /** Given to its `createMapper`. */
  init: unknown;
  skip: boolean;
  maxRejectedText: number;
}

/** One block to map: whole lines, whether it is its file's first, and the join's sides of its records. */
export interface MapBlockRequest {
  block: Uint8Array;
  first: boolean;
  sides?: BlockSides | undefined;
}

/** Loads the mapper module once; maps each block it is given. */
export async function createTask({ mapper, init, skip, maxRejectedText }: MapBlockInit): Promise<(request: MapBlockRequest) => BlockResult<unknown>> {
  const mod = (await import(mapper)) as RecordMapperModule<unknown, unknown>;
  const map = await mod.createMapper(init);
  const wants = mod.createIdFilter?.(init);
  const schema = mod.schema;
  return ({ block, first, sides }) => mapBlock(Buffer.from(block.buffer, block.byteOffset, block.byteLength), map, { first, skip, maxRejectedText, sides, wants, schema });
}
