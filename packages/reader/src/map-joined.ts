import { InputError } from "@lmsynth/schema";
import { BOM, isBlank } from "./read-records.js";
import { checkJoined, contributesNothing, emptyJoinCounts, indexJoinSides, type JoinSourcesOptions, type SpoolEntry } from "./join-sources.js";
import type { BlockSides } from "./map-block.js";
import { mapFileBlocks, openBlockPool, type MapRecordsOptions, type MappedRecord } from "./map-records.js";
import { openInput } from "./open-input.js";
import { UniqueIds } from "./unique-ids.js";

export type MapJoinedOptions<Init> = JoinSourcesOptions & Omit<MapRecordsOptions<Init>, keyof JoinSourcesOptions>;

/** What the reading thread keeps of a block's lines until their results come back (index: line in block - 1). */
interface BlockMeta {
  ids: Array<string | undefined>;
  lmsys: Array<SpoolEntry | undefined>;
  instruction: boolean[];
}

const ID_KEY = Buffer.from('"conversation_id"');
const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0d;

/**
 * The `conversation_id` of a synth line, read without parsing it when it is the first key, as the published
 * files have it; else from a full parse. Undefined when the line has none (the worker then refuses the line).
 */
export function lineIdOf(text: Buffer): string | undefined {
  let i = 0;
  const skip = () => {
    while (isSpace(text[i])) i++;
  };
  skip();
  if (text[i] === 0x7b) {
    i++;
    skip();
    if (text.subarray(i, i + ID_KEY.length).equals(ID_KEY)) {
      i += ID_KEY.length;
      skip();
      if (text[i++] === 0x3a) {
        skip();
        const end = text.indexOf(0x22, i + 1);
        const value = text.subarray(i + 1, end);
        if (text[i] === 0x22 && end !== -1 && !value.includes(0x5c)) return value.toString("utf8");
      }
    }
  }
  try {
    const id = (JSON.parse(text.toString("utf8")) as { conversation_id?: unknown } | null)?.conversation_id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `joinSources` and `mapRecords` in one: joins synth records with their instruction and LMSYS record and
 * maps each with the mapper module in `threads` worker threads, yielding in synth order exactly what
 * mapping `joinSources`'s records would (same records, lines, counts, errors). This thread holds the
 * indexes: it cuts the synth input into blocks of lines, finds each line's id without parsing it, and sends
 * the block with the JSON of its matches; the workers parse, merge and map. Unmatched LMSYS records kept
 * with `keepUnmatched` are mapped last, at line 0 of the first LMSYS file.
 */
export async function* mapJoinedSources<Init, Out>(options: MapJoinedOptions<Init>): AsyncGenerator<MappedRecord<Out>> {
  const counts = options.counts ?? emptyJoinCounts();
  const { synth, instructions = [], lmsys = [] } = options;
  const sides = await indexJoinSides(options, counts);
  const { instructions: instructionIndex, spool } = sides;
  const pool = await openBlockPool<Init, Out>(options);
  try {
    const usedInstructions = new Set<string>();
    const synthIds = new UniqueIds();
    const prepare = (block: Buffer, first: boolean): { sides: BlockSides; meta: BlockMeta } => {
      const meta: BlockMeta = { ids: [], lmsys: [], instruction: [] };
      const offsets: number[] = [];
      const pieces: Buffer[] = [];
      let size = 0;
      const place = (bytes: Buffer | undefined): void => {
        offsets.push(size, bytes ? bytes.length : -1);
        if (!bytes) return;
        pieces.push(bytes);
        size += bytes.length;
      };
      let start = first && block.subarray(0, 3).equals(BOM) ? 3 : 0;
      while (start < block.length) {
        let end = block.indexOf(10, start);
        if (end === -1) end = block.length;
        const text = block.subarray(start, end);
        start = end + 1;
        const id = isBlank(text) ? undefined : lineIdOf(text);
        const at = id === undefined ? undefined : spool?.index.get(id);
        const instruction = id === undefined ? undefined : instructionIndex.get(id);
        meta.ids.push(id);
        meta.lmsys.push(at);
        meta.instruction.push(instruction !== undefined);
        place(at && spool!.bytes(at));
        place(instruction);
      }
      // Buffers of their own (not Node's shared pool), as they are transferred to a worker.
      const bytes = new Uint8Array(size);
      let offset = 0;
      for (const piece of pieces) {
        bytes.set(piece, offset);
        offset += piece.length;
      }
      return { sides: { bytes, offsets: Int32Array.from(offsets), ids: meta.ids }, meta };
    };
    for (const file of synth) {
      const { kind, chunks } = await openInput(file, options);
      if (kind === "parquet") throw new InputError(file, undefined, "invalid-record", "this is a Parquet file; give it as --lmsys");
      let records = 0;
      // Counted as each record is taken, in order, so that a line set aside counts nowhere.
      const accept = (line: number, inBlock: number, meta: BlockMeta): void => {
        const id = meta.ids[inBlock - 1]!;
        synthIds.add(id, file, line);
        records++;
        counts.synth++;
        const at = meta.lmsys[inBlock - 1];
        if (at) at[2] = 1;
        else if (spool) counts.synthWithoutLmsys++;
        if (instructions.length === 0) return;
        if (meta.instruction[inBlock - 1]) usedInstructions.add(id);
        else counts.synthWithoutInstruction++;
      };
      yield* mapFileBlocks(file, chunks, pool, options, { prepare, accept });
      if (records === 0) throw contributesNothing(file);
    }
    checkJoined(options, counts, usedInstructions.size, instructionIndex.size);
    if (!spool) return;
    async function* unmatched(): AsyncGenerator<Buffer> {
      for (const at of spool!.unused()) {
        counts.lmsysUnmatched++;
        if (options.keepUnmatched) yield Buffer.concat([spool!.bytes(at), Buffer.from("\n")]);
      }
    }
    for await (const m of mapFileBlocks(lmsys[0]!, unmatched(), pool, options)) yield { ...m, line: 0 };
  } finally {
    await pool.close();
    spool?.close();
  }
}
