/**
 * A row group of an LMSYS shard read leaf by leaf, for the join's converted part (`firstMessageOnly`): the
 * rows hyparquet's `parquetReadObjects` gives with strings left as bytes, `conversation` cut to its first
 * message, without assembling the lists and structs of every turn. hyparquet decodes the pages; this walks
 * their repetition and definition levels itself, keeping each row's first list entry (and, of the moderation,
 * only whether any entry is flagged). At full size the build from the published shapes takes 7% less time and
 * 9% less CPU (bench/README.md, run V); hyparquet's assembly builds an object per turn and per moderation entry.
 */
import type { AsyncBuffer, ColumnDecoder, Compressors, DecodedArray, FileMetaData, SchemaTree } from "hyparquet/src/types.js";
import { parquetSchema } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { DEFAULT_PARSERS, convertWithDictionary } from "hyparquet/src/convert.js";
import { decompressPage, readDataPage, readDataPageV2 } from "hyparquet/src/datapage.js";
import { readPlain } from "hyparquet/src/plain.js";
import { getMaxDefinitionLevel, isListLike } from "hyparquet/src/schema.js";

/** A leaf column as the read needs it: its schema path, and the definition level at which its value is present. */
interface Leaf {
  node: SchemaTree;
  schemaPath: SchemaTree[];
  maxDef: number;
}

/**
 * How a top-level column is read: a primitive; the first entry of a list of structs, with the definition levels
 * at which the list and its entry are present; or whether any entry is flagged.
 */
type LeafColumn =
  | { name: string; kind: "flat"; leaf: Leaf }
  | { name: string; kind: "first"; listAt: number; elementAt: number; fields: Leaf[] }
  | { name: string; kind: "anyFlagged"; flagged: Leaf };

/** The columns of a shard's leaf read, in the order of its rows' keys. */
export interface LeafPlan {
  columns: LeafColumn[];
}

const isPrimitive = (node: SchemaTree): boolean => node.children.length === 0 && node.element.repetition_type !== "REPEATED";

/**
 * The standard three-level list of a struct of primitives (`<name>` LIST → repeated group → element group →
 * fields): its element, or undefined for any other shape.
 */
function structListElement(node: SchemaTree): SchemaTree | undefined {
  // What hyparquet assembles as a list; another group with a repeated child is a struct to it.
  if (!isListLike(node)) return undefined;
  const repeated = node.children.length === 1 ? node.children[0]! : undefined;
  const element = repeated?.element.repetition_type === "REPEATED" && repeated.children.length === 1 ? repeated.children[0]! : undefined;
  if (node.element.repetition_type === "REPEATED" || !element || element.element.repetition_type === "REPEATED") return undefined;
  return element.children.length > 0 && element.children.every(isPrimitive) ? element : undefined;
}

/**
 * The leaf plan of a shard read for the converted part: `conversation` read as its first entry, the
 * moderation (`filterOnly`) as whether any entry is flagged, every other column a top-level primitive. Undefined
 * when a column has another shape: the shard is then read by hyparquet's row assembly.
 */
export function leafPlan(metadata: FileMetaData, columns: readonly string[], filterOnly: readonly string[]): LeafPlan | undefined {
  const tree = parquetSchema(metadata);
  /** The schema path from the root to `node` (what hyparquet's decoders take). */
  const pathTo = (node: SchemaTree): SchemaTree[] => {
    const path = [tree];
    for (const name of node.path) path.push(path.at(-1)!.children.find((c) => c.element.name === name)!);
    return path;
  };
  const definedAt = (node: SchemaTree): number => getMaxDefinitionLevel(pathTo(node));
  const leaf = (node: SchemaTree): Leaf => ({ node, schemaPath: pathTo(node), maxDef: definedAt(node) });
  const plan: LeafColumn[] = [];
  for (const name of columns) {
    const node = tree.children.find((c) => c.element.name === name);
    if (!node) return undefined;
    if (isPrimitive(node)) {
      plan.push({ name, kind: "flat", leaf: leaf(node) });
      continue;
    }
    const element = structListElement(node);
    if (!element) return undefined;
    if (name === "conversation") {
      plan.push({ name, kind: "first", listAt: definedAt(node), elementAt: definedAt(element), fields: element.children.map(leaf) });
    } else if (name === "openai_moderation" && filterOnly.includes(name) && element.children.length === 1 && element.children[0]!.element.name === "flagged") {
      plan.push({ name, kind: "anyFlagged", flagged: leaf(element.children[0]!) });
    } else return undefined;
  }
  return { columns: plan };
}

/** Per row of a leaf: its first entry's definition level and value (undefined when not defined to the leaf). */
interface FirstEntries {
  defs: number[];
  values: unknown[];
}

/** hyparquet's parsers for a first-message read: strings stay UTF-8 bytes, decoded only where kept. */
export const STRINGS_AS_BYTES = { stringFromBytes: (bytes: Uint8Array) => bytes };
const BYTE_PARSERS = { ...DEFAULT_PARSERS, ...STRINGS_AS_BYTES };

/**
 * Decodes the chunk of `leaf` in row group `index` page by page, calling `entry` for each value with whether it
 * starts a row (repetition level 0), its definition level, and its value when defined to the leaf.
 */
async function readEntries(
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  index: number,
  { node, schemaPath, maxDef }: Leaf,
  compressors: Compressors,
  entry: (first: boolean, def: number, value: unknown) => void,
): Promise<void> {
  const chunk = metadata.row_groups[index]!.columns.find((c) => c.meta_data?.path_in_schema.join("\0") === node.path.join("\0"))?.meta_data;
  if (!chunk) throw new Error(`parquet column ${node.path.join(".")} has no chunk in row group ${index}`);
  const start = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
  const bytes = new Uint8Array(await buffer.slice(start, start + Number(chunk.total_compressed_size)));
  const decoder: ColumnDecoder = { pathInSchema: node.path, type: chunk.type, element: node.element, schemaPath, codec: chunk.codec, compressors, parsers: BYTE_PARSERS };
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  let dictionary: DecodedArray | undefined;
  let rows = 0;
  while (reader.offset < bytes.length) {
    const header = parquetHeader(reader);
    const page = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === "DICTIONARY_PAGE") {
      const plain = decompressPage(page, header.uncompressed_page_size, chunk.codec, compressors);
      const values = readPlain({ view: new DataView(plain.buffer, plain.byteOffset, plain.byteLength), offset: 0 }, chunk.type, header.dictionary_page_header!.num_values, node.element.type_length);
      dictionary = convertWithDictionary(values, undefined, "PLAIN", decoder);
      continue;
    }
    let data;
    let encoding;
    if (header.type === "DATA_PAGE") {
      data = readDataPage(decompressPage(page, header.uncompressed_page_size, chunk.codec, compressors), header.data_page_header!, decoder);
      encoding = header.data_page_header!.encoding;
    } else if (header.type === "DATA_PAGE_V2") {
      data = readDataPageV2(page, header, decoder);
      encoding = header.data_page_header_v2!.encoding;
    } else throw new Error(`parquet unsupported page type: ${header.type}`);
    const defs = data.definitionLevels ?? [];
    const reps = data.repetitionLevels;
    const values = convertWithDictionary(data.dataPage, dictionary, encoding, decoder);
    const n = defs.length || reps.length || values.length;
    for (let i = 0, v = 0; i < n; i++) {
      const def = defs.length ? defs[i]! : maxDef;
      const first = reps.length === 0 || reps[i] === 0;
      if (first) rows++;
      entry(first, def, def === maxDef ? values[v++] : undefined);
    }
  }
  const expected = Number(metadata.row_groups[index]!.num_rows);
  if (rows !== expected) throw new Error(`parquet column ${node.path.join(".")} holds ${rows} rows of row group ${index}'s ${expected}`);
}

/** Each row's first entry of `leaf`. */
async function firstEntries(buffer: AsyncBuffer, metadata: FileMetaData, index: number, leaf: Leaf, compressors: Compressors): Promise<FirstEntries> {
  const out: FirstEntries = { defs: [], values: [] };
  await readEntries(buffer, metadata, index, leaf, compressors, (first, def, value) => {
    if (!first) return;
    out.defs.push(def);
    out.values.push(value);
  });
  return out;
}

/** Per row, whether any entry of `leaf` is `true`. */
async function anyTrue(buffer: AsyncBuffer, metadata: FileMetaData, index: number, leaf: Leaf, compressors: Compressors): Promise<boolean[]> {
  const out: boolean[] = [];
  await readEntries(buffer, metadata, index, leaf, compressors, (first, _def, value) => {
    if (first) out.push(value === true);
    else if (value === true) out[out.length - 1] = true;
  });
  return out;
}

/**
 * The rows of row group `index`, as `parquetReadObjects` with bytes for strings gives them and the join then
 * cuts them: a null list `undefined`, an empty one `[]`, else `[first entry]`, a null entry `undefined`, a
 * null field `null`; the moderation `[{ flagged: true }]` when any entry is flagged, else `[]`.
 */
export async function readLeafRows(buffer: AsyncBuffer, metadata: FileMetaData, plan: LeafPlan, index: number, compressors: Compressors): Promise<Record<string, unknown>[]> {
  const rows = Array.from({ length: Number(metadata.row_groups[index]!.num_rows) }, (): Record<string, unknown> => ({}));
  for (const column of plan.columns) {
    if (column.kind === "flat") {
      const { defs, values } = await firstEntries(buffer, metadata, index, column.leaf, compressors);
      for (const [r, row] of rows.entries()) row[column.name] = defs[r] === column.leaf.maxDef ? values[r] : null;
    } else if (column.kind === "anyFlagged") {
      const flagged = await anyTrue(buffer, metadata, index, column.flagged, compressors);
      for (const [r, row] of rows.entries()) row[column.name] = flagged[r] ? [{ flagged: true }] : [];
    } else {
      const { listAt, elementAt, fields } = column;
      const entries = await Promise.all(fields.map((f) => firstEntries(buffer, metadata, index, f, compressors)));
      const { defs } = entries[0]!;
      for (const [r, row] of rows.entries()) {
        const def = defs[r]!;
        if (def < listAt) row[column.name] = undefined;
        else if (def === listAt) row[column.name] = [];
        else if (def < elementAt) row[column.name] = [undefined];
        else {
          const entry: Record<string, unknown> = {};
          for (const [f, field] of fields.entries()) entry[field.node.element.name] = entries[f]!.defs[r] === field.maxDef ? entries[f]!.values[r] : null;
          row[column.name] = [entry];
        }
      }
    }
  }
  return rows;
}
