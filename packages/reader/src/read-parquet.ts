/**
 * The original LMSYS-Chat-1M Parquet shards as records (behaviour.md §1 `merge --lmsys`,
 * input-format.md §1–2), read with hyparquet one row group at a time.
 */
import * as zlib from "node:zlib";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import type { AsyncBuffer, Compressors, FileMetaData } from "hyparquet";
import { InputError, LmsysFieldsSchema, describeZodError } from "@lmsynth/schema";
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
 * Decompressors beyond hyparquet's built-in SNAPPY: GZIP and BROTLI from node:zlib, and ZSTD where
 * node:zlib has it (Node ≥ 22.15). LZ4 and LZO are not read.
 */
const COMPRESSORS: Compressors = {
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
  const languages = options.languages === "all" ? undefined : new Set(options.languages ?? DEFAULT_LANGUAGES);
  const dropFlagged = options.dropFlagged ?? true;
  const counts = options.counts;
  const wanted = options.columns && new Set(options.columns);
  for (const file of files) {
    const opened = await openParquet(file);
    const { buffer } = opened;
    let metadata = opened.metadata;
    let columns: string[] | undefined;
    if (wanted) {
      const read = new Set(wanted);
      if (languages) read.add("language");
      if (dropFlagged && !wanted.has("openai_moderation")) {
        read.add("openai_moderation");
        metadata = pruneLeaves(metadata, (path) => path[0] !== "openai_moderation" || path.at(-1) === "flagged");
      }
      columns = topLevelNames(metadata).filter((name) => read.has(name));
    }
    let groupStart = 0;
    for (const [index, group] of metadata.row_groups.entries()) {
      const rowEnd = groupStart + Number(group.num_rows);
      let rows: Record<string, unknown>[];
      try {
        rows = await parquetReadObjects({ file: buffer, metadata, rowStart: groupStart, rowEnd, compressors: COMPRESSORS, ...(columns ? { columns } : {}) });
      } catch (error) {
        throw new InputError(
          file,
          undefined,
          "corrupt-parquet",
          `row group ${index} (rows ${groupStart + 1}–${rowEnd}): ${errorMessage(error)}`,
          { cause: error },
        );
      }
      for (const [offset, row] of rows.entries()) {
        const line = groupStart + offset + 1;
        if (counts) counts.rows++;
        const record = plainValue(row, file, line) as Record<string, unknown>;
        if (languages && !languages.has(record["language"] as string)) {
          if (counts) counts.otherLanguage++;
          continue;
        }
        if (dropFlagged && isFlagged(record["openai_moderation"])) {
          if (counts) counts.flagged++;
          continue;
        }
        // Columns read only for the filter stay out of the record.
        if (wanted) for (const name of ["language", "openai_moderation"]) if (!wanted.has(name)) delete record[name];
        const parsed = LmsysFieldsSchema.safeParse(record);
        if (!parsed.success) throw new InputError(file, line, "invalid-record", describeZodError(parsed.error, record));
        if (counts) counts.kept++;
        yield { record: parsed.data, file, line };
      }
      groupStart = rowEnd;
    }
  }
}

async function openParquet(file: string): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }> {
  let buffer: AsyncBuffer;
  let magic: ArrayBuffer;
  try {
    buffer = await asyncBufferFromFile(file);
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

/**
 * A JSON-like copy of a hyparquet value: 64-bit integers (bigint) become numbers, the only non-JSON type
 * the LMSYS columns produce. An integer beyond 2^53 cannot be a number exactly: an `invalid-record` error.
 */
function plainValue(value: unknown, file: string, line: number): unknown {
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new InputError(file, line, "invalid-record", `integer ${value} is too large for JSON numbers`);
    }
    return Number(value);
  }
  if (Array.isArray(value)) return value.map((v) => plainValue(v, file, line));
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array) && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainValue(v, file, line);
    return out;
  }
  return value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
