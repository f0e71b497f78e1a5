import { InputError } from "@lmsynth/schema";
import { lineIdOf } from "./line-id.js";
import { isBlank } from "./read-records.js";
import { contributesNothing, emptyJoinCounts, finishJoin, indexJoinSides, type JoinSides, type JoinSourcesOptions } from "./join-sources.js";
import type { Spool, SpoolEntry } from "./spool.js";
import { blockLines, type BlockSides } from "./map-block.js";
import { mapFileBlocks, openBlockPool, type MapRecordsOptions, type MappedRecord } from "./map-records.js";
import { openInput } from "./open-input.js";
import { UniqueIds } from "./unique-ids.js";

export type MapJoinedOptions<Init> = JoinSourcesOptions & Omit<MapRecordsOptions<Init>, keyof JoinSourcesOptions>;

/**
 * What the reading thread keeps of a block's lines until their results come back (index: line in block - 1):
 * the id, and the entries in the LMSYS and instruction spools (-1: none).
 */
interface BlockMeta {
  ids: Array<string | undefined>;
  lmsys: SpoolEntry[];
  instruction: SpoolEntry[];
}

/** The entry of `id` in `spool`, -1 when either is missing. */
const entryOf = (spool: Spool | undefined, id: string | undefined): SpoolEntry => (spool && id !== undefined ? spool.find(id) : -1);

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
  const { synth, lmsys = [] } = options;
  const pool = await openBlockPool<Init, Out>(options);
  let sides: JoinSides | undefined;
  try {
    sides = await indexJoinSides(options, counts, { read: pool.readShardGroup, depth: 2 * pool.threads });
    const { instructions: instructionSpool, lmsys: spool } = sides;
    const synthIds = new UniqueIds();
    const spools: BlockSides["spools"] = [spool?.file, instructionSpool?.file];
    const prepare = (block: Buffer, first: boolean): { sides: BlockSides; meta: BlockMeta } => {
      const meta: BlockMeta = { ids: [], lmsys: [], instruction: [] };
      const places: number[] = [];
      const place = (from: Spool | undefined, at: SpoolEntry): void => void (at < 0 ? places.push(0, -1) : places.push(from!.offsetOf(at), from!.lengthOf(at)));
      for (const text of blockLines(block, first)) {
        const id = isBlank(text) ? undefined : lineIdOf(text);
        const at = entryOf(spool, id);
        const instruction = entryOf(instructionSpool, id);
        meta.ids.push(id);
        meta.lmsys.push(at);
        meta.instruction.push(instruction);
        place(spool, at);
        place(instructionSpool, instruction);
      }
      return { sides: { places: Float64Array.from(places), spools, ids: meta.ids }, meta };
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
        const at = meta.lmsys[inBlock - 1]!;
        if (at >= 0) spool!.mark(at);
        const instruction = meta.instruction[inBlock - 1]!;
        if (instruction >= 0) instructionSpool!.mark(instruction);
      };
      yield* mapFileBlocks(file, chunks, pool, options, { prepare, accept });
      if (records === 0) throw contributesNothing(file);
    }
    finishJoin(options, counts, sides);
    if (!spool || !options.keepUnmatched) return;
    async function* unmatched(): AsyncGenerator<Buffer> {
      for (const at of spool!.unused()) yield Buffer.concat([spool!.bytes(at), Buffer.from("\n")]);
    }
    for await (const m of mapFileBlocks(lmsys[0]!, unmatched(), pool, options)) yield { ...m, line: 0 };
  } finally {
    await pool.close();
    sides?.instructions?.close();
    sides?.lmsys?.close();
  }
}
