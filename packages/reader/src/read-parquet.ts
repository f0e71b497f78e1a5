/**
 * The original LMSYS-Chat-1M Parquet shards as records (behaviour.md §1 `merge --lmsys`,
 * input-format.md §1–2), read with hyparquet one row group at a time.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import * as zlib from "node:zlib";
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import type { AsyncBuffer, Compressors, FileMetaData } from "hyparquet";
import { snappyUncompressor } from "hysnappy";
import { InputError, LmsysFieldsSchema, describeZodError } from "@lmsynth/schema";
import { STRINGS_AS_BYTES, leafPlan, readLeafRows, type LeafPlan } from "./leaf-rows.js";
import type { LocatedRecord } from "./located-record.js";

/** Options of {@link readParquet}: the dataset's own export filter, on by default. */
export interface ReadParquetOptions {
  /**
   * Keep rows whose `language` is one of these (exact, case-sensitive, as LMSYS spells them), or
   * `"all"`. Default `["Japanese", "English"]`, the languages of the dataset's LMSYS export.
   */
  languages?: readonly string[] | "all";
  /**
   * Drop conversations in which any message has `openai_moderation[i].flagged` true, as the dataset's
   * export drops unsafe conversations. Default true.
   */
  dropFlagged?: boolean;
  /** Receives the row counts, filled in as rows are read; read it after the iteration ends. */
  counts?: ParquetCounts;
  /**
   * Read only these columns (those a file lacks are left out of its records). The filter still works: it
   * reads `language`, and of `openai_moderation` only the `flagged` bits, which is most of the saving, as
   * the moderation scores are most of a shard's bytes. Default: every column.
   */
  columns?: readonly string[];
  /**
   * Of `conversation`, keep the first message only (all a conversion reads of it): the text of the other
   * turns is never decoded from UTF-8, nor validated, and the record holds a one-message `conversation`.
   * Default false: every turn.
   */
  firstMessageOnly?: boolean;
}

/** What {@link readParquet} saw; a row dropped for both reasons counts as `otherLanguage`. */
export interface ParquetCounts {
  /** Rows read, kept or not. */
  rows: number;
  /** Rows yielded. */
  kept: number;
  /** Rows dropped by `languages`. */
  otherLanguage: number;
  /** Rows dropped by `dropFlagged`. */
  flagged: number;
}

const DEFAULT_LANGUAGES: readonly string[] = ["Japanese", "English"];

/**
 * Decompressors: SNAPPY, GZIP and BROTLI from node:zlib, and ZSTD where node:zlib has it (Node ≥ 22.15).
 * LZ4 and LZO are not read.
 */
const COMPRESSORS: Compressors = {
  // hysnappy (WebAssembly) inflates SNAPPY, the Hub shards' codec, about 1.5× as fast as hyparquet's own.
  SNAPPY: snappyUncompressor(),
  GZIP: (input) => zlib.gunzipSync(input),
  BROTLI: (input) => zlib.brotliDecompressSync(input),
  ...("zstdDecompressSync" in zlib
    ? { ZSTD: (input: Uint8Array) => (zlib as unknown as { zstdDecompressSync(b: Uint8Array): Buffer }).zstdDecompressSync(input) }
    : {}),
};

/**
 * True when `firstBytes` start with the Parquet magic `PAR1`. Content sniffing only: never throws.
 */
export function isParquet(firstBytes: Uint8Array): boolean {
  return firstBytes[0] === 0x50 && firstBytes[1] === 0x41 && firstBytes[2] === 0x52 && firstBytes[3] === 0x31;
}

/**
 * Streams the rows of LMSYS-Chat-1M Parquet shards as `{ record, file, line }`, files in the given order
 * and rows in file order, `line` being the 1-based row number in its file (dropped rows count too, so it
 * points at the physical row). Each record has the file's columns in the file's order; 64-bit integers
 * (`turn`) become numbers. Rows are filtered by `languages` and `dropFlagged` (defaults: the dataset's
 * own export, Japanese and English without flagged conversations).
 *
 * Reads one row group at a time, never a whole file: memory is bounded by the largest row group.
 * Throws `InputError` with reason `io` (missing file), `corrupt-parquet` (not Parquet, broken footer or
 * page, unsupported compression) or, with the row number, `invalid-record` (a row that is not an LMSYS
 * record, e.g. `conversation_id` missing).
 */
export async function* readParquet(files: readonly string[], options: ReadParquetOptions = {}): AsyncGenerator<LocatedRecord> {
  for (const file of files) {
    const shard = await openShard(file, options);
    for (let index = 0; index < shard.groupStarts.length; index++) {
      const { records, error } = await readShardGroup(shard, index, options.counts);
      yield* records;
      if (error) throw error;
    }
  }
}

/**
 * A shard opened for reading with its options: its footer (a view pruned to the columns read), where each
 * row group starts, and the filter, derived once for every row group.
 */
export interface ParquetShard {
  file: string;
  buffer: AsyncBuffer;
  metadata: FileMetaData;
  /** Top-level columns read; undefined: all. */
  columns: string[] | undefined;
  /** Row number (0-based) of each row group's first row. */
  groupStarts: number[];
  /** Languages kept; undefined: all. */
  languages: ReadonlySet<string> | undefined;
  dropFlagged: boolean;
  /** Columns read only for the filter, left out of the records. */
  filterOnly: string[];
  firstMessageOnly: boolean;
  /** With `firstMessageOnly`, how the row groups are read leaf by leaf (`leaf-rows.ts`); undefined: by hyparquet. */
  leaves: LeafPlan | undefined;
}

/** Opens `file` for {@link readShardGroup} (the footer is read here). */
export async function openShard(file: string, options: ReadParquetOptions = {}): Promise<ParquetShard> {
  const opened = await openParquet(file);
  const languages = options.languages === "all" ? undefined : new Set(options.languages ?? DEFAULT_LANGUAGES);
  const dropFlagged = options.dropFlagged ?? true;
  let metadata = opened.metadata;
  let columns: string[] | undefined;
  const filterOnly: string[] = [];
  if (options.columns) {
    const read = new Set(options.columns);
    if (languages && !read.has("language")) filterOnly.push("language");
    if (dropFlagged && !read.has("openai_moderation")) {
      filterOnly.push("openai_moderation");
      metadata = pruneLeaves(metadata, (path) => path[0] !== "openai_moderation" || path.at(-1) === "flagged");
    }
    for (const name of filterOnly) read.add(name);
    columns = topLevelNames(metadata).filter((name) => read.has(name));
  }
  const groupStarts: number[] = [];
  let start = 0;
  for (const group of metadata.row_groups) {
    groupStarts.push(start);
    start += Number(group.num_rows);
  }
  const firstMessageOnly = options.firstMessageOnly === true;
  const leaves = firstMessageOnly && columns ? leafPlan(metadata, columns, filterOnly) : undefined;
  return { file, buffer: opened.buffer, metadata, columns, groupStarts, languages, dropFlagged, filterOnly, firstMessageOnly, leaves };
}

/**
 * The kept records of row group `index` of `shard`, filtered (as the shard was opened) and validated as
 * {@link readParquet} does, counted in `counts`. A bad row stops the group: the records before it come with
 * the `error`. Row groups are independent, so several may be read at once (in worker threads, say).
 */
export async function readShardGroup(
  shard: ParquetShard,
  index: number,
  counts?: ParquetCounts,
): Promise<{ records: LocatedRecord[]; error?: InputError }> {
  const { file, metadata, languages, dropFlagged, filterOnly, firstMessageOnly } = shard;
  const groupStart = shard.groupStarts[index]!;
  const rowEnd = groupStart + Number(metadata.row_groups[index]!.num_rows);
  let rows: Record<string, unknown>[];
  try {
    rows = shard.leaves ? await readLeafRows(shard.buffer, metadata, shard.leaves, index, COMPRESSORS) : await assembledRows(shard, groupStart, rowEnd);
  } catch (error) {
    const detail = `row group ${index} (rows ${groupStart + 1}–${rowEnd}): ${errorMessage(error)}`;
    return { records: [], error: new InputError(file, undefined, "corrupt-parquet", detail, { cause: error }) };
  }
  const records: LocatedRecord[] = [];
  for (const [offset, row] of rows.entries()) {
    const line = groupStart + offset + 1;
    if (counts) counts.rows++;
    let record: Record<string, unknown>;
    try {
      record = plainValue(row, file, line, firstMessageOnly) as Record<string, unknown>;
    } catch (error) {
      return { records, error: error as InputError };
    }
    if (languages && !languages.has(record["language"] as string)) {
      if (counts) counts.otherLanguage++;
      continue;
    }
    if (dropFlagged && isFlagged(record["openai_moderation"])) {
      if (counts) counts.flagged++;
      continue;
    }
    for (const name of filterOnly) delete record[name];
    const parsed = LmsysFieldsSchema.safeParse(record);
    if (!parsed.success) return { records, error: new InputError(file, line, "invalid-record", describeZodError(parsed.error, record)) };
    if (counts) counts.kept++;
    records.push({ record: parsed.data, file, line });
  }
  return { records };
}

/** The rows of rows `rowStart`–`rowEnd` as hyparquet assembles them; with `firstMessageOnly`, cut as `readLeafRows` cuts them. */
async function assembledRows({ buffer, metadata, columns, firstMessageOnly }: ParquetShard, rowStart: number, rowEnd: number): Promise<Record<string, unknown>[]> {
  const rows = await parquetReadObjects({
    file: buffer,
    metadata,
    rowStart,
    rowEnd,
    compressors: COMPRESSORS,
    ...(columns ? { columns } : {}),
    // Strings stay UTF-8 bytes until `plainValue` decodes those the record keeps: most of a conversation's
    // text is in the turns after the first, which a conversion drops.
    ...(firstMessageOnly ? { parsers: STRINGS_AS_BYTES } : {}),
  });
  if (firstMessageOnly) for (const row of rows) if (Array.isArray(row["conversation"])) row["conversation"] = (row["conversation"] as unknown[]).slice(0, 1);
  return rows;
}

async function openParquet(file: string): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }> {
  let buffer: AsyncBuffer;
  let magic: ArrayBuffer;
  try {
    buffer = fileBuffer(file);
    magic = await buffer.slice(0, Math.min(4, buffer.byteLength));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not an input file" : `cannot read (${errorMessage(error)})`;
    throw new InputError(file, undefined, "io", detail, { cause: error });
  }
  if (!isParquet(new Uint8Array(magic))) {
    throw new InputError(file, undefined, "corrupt-parquet", "not a Parquet file: it does not start with PAR1");
  }
  try {
    return { buffer, metadata: await parquetMetadataAsync(buffer) };
  } catch (error) {
    // hyparquet's messages start with "parquet " and say what is wrong with the footer.
    throw new InputError(file, undefined, "corrupt-parquet", `${errorMessage(error)} (truncated or damaged file?)`, { cause: error });
  }
}

/**
 * `file` as hyparquet reads it, each range with one synchronous read into a buffer of its own. hyparquet's
 * `asyncBufferFromFile` opens a read stream per range and concatenates its 64 KiB chunks, one more copy of
 * every byte: this reads a shard 15% faster (bench/README.md, run T). A range is a few column chunks of one row
 * group, a few MB, so the read blocks its thread for about a millisecond; row groups are read on the worker
 * threads but in `merge` and with `--threads 1`. The file is opened per range, never left open.
 */
function fileBuffer(file: string): AsyncBuffer {
  const byteLength = statSync(file).size;
  const read = (start: number, end: number): ArrayBuffer => {
    const bytes = new Uint8Array(end - start);
    const fd = openSync(file, "r");
    try {
      for (let at = 0; at < bytes.length; ) {
        const n = readSync(fd, bytes, at, bytes.length - at, start + at);
        if (n === 0) throw new Error(`unexpected end of file at byte ${start + at} (was it changed while being read?)`);
        at += n;
      }
    } finally {
      closeSync(fd);
    }
    return bytes.buffer;
  };
  return {
    byteLength,
    slice: (start, end = byteLength) => {
      try {
        return Promise.resolve(read(start, end));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

/** The names of the top-level columns, in schema order. */
function topLevelNames(metadata: FileMetaData): string[] {
  const names: string[] = [];
  let i = 1;
  const skipSubtree = (): void => {
    const children = metadata.schema[i++]!.num_children ?? 0;
    for (let c = 0; c < children; c++) skipSubtree();
  };
  while (i < metadata.schema.length) {
    names.push(metadata.schema[i]!.name);
    skipSubtree();
  }
  return names;
}

/**
 * `metadata` as if the file held only the leaf columns `keep` accepts (by path), groups left empty dropped:
 * hyparquet then reads and assembles only those leaves, fetching nothing else. The column chunks keep their
 * byte offsets, so this is a view of the same file.
 */
function pruneLeaves(metadata: FileMetaData, keep: (path: readonly string[]) => boolean): FileMetaData {
  const schema: FileMetaData["schema"] = [];
  let i = 0;
  // Appends the subtree at `i` if any of its leaves is kept; returns whether it did.
  const walk = (path: readonly string[]): boolean => {
    const element = metadata.schema[i++]!;
    const here = i === 1 ? [] : [...path, element.name];
    if (!element.num_children) {
      if (!keep(here)) return false;
      schema.push(element);
      return true;
    }
    const at = schema.push(element) - 1;
    let kept = 0;
    for (let c = 0; c < element.num_children; c++) if (walk(here)) kept++;
    if (kept === 0 && at > 0) {
      schema.length = at;
      return false;
    }
    schema[at] = { ...element, num_children: kept };
    return true;
  };
  walk([]);
  const row_groups = metadata.row_groups.map((g) => ({ ...g, columns: g.columns.filter((c) => !c.meta_data || keep(c.meta_data.path_in_schema)) }));
  return { ...metadata, schema, row_groups };
}

/** True when any message's moderation result is flagged; tolerates nulls in the list. */
function isFlagged(moderation: unknown): boolean {
  if (!Array.isArray(moderation)) return false;
  return moderation.some((m) => (m as { flagged?: unknown } | null)?.flagged === true);
}

// hyparquet's own decoder of strings: the same text whether it or `plainValue` decodes.
const utf8 = new TextDecoder();

/**
 * Makes a hyparquet value JSON-like, in place (hyparquet's values are fresh objects): 64-bit integers
 * (bigint) become numbers, the only non-JSON type the LMSYS columns produce, and with `decode` the strings left
 * as UTF-8 bytes (`firstMessageOnly`) are decoded. An integer beyond 2^53 cannot be a number exactly: an `invalid-record`
 * error.
 */
function plainValue(value: unknown, file: string, line: number, decode: boolean): unknown {
  if (decode && value instanceof Uint8Array) return utf8.decode(value);
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new InputError(file, line, "invalid-record", `integer ${value} is too large for JSON numbers`);
    }
    return Number(value);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = plainValue(value[i], file, line, decode);
  } else if (value !== null && typeof value === "object" && !(value instanceof Uint8Array) && !(value instanceof Date)) {
    const object = value as Record<string, unknown>;
    for (const k in object) object[k] = plainValue(object[k], file, line, decode);
  }
  return value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
