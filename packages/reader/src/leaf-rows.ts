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

/** How a top-level column is read: a primitive, the first entry of a list of structs, or whether any entry is flagged. */
type LeafColumn =
  | { name: string; kind: "flat"; leaf: SchemaTree }
  | { name: string; kind: "first"; list: SchemaTree; element: SchemaTree; fields: SchemaTree[] }
  | { name: string; kind: "anyFlagged"; list: SchemaTree; element: SchemaTree; flagged: SchemaTree };

/** The columns of a shard's leaf read, in the order of its rows' keys, and the schema tree they are nodes of. */
export interface LeafPlan {
  tree: SchemaTree;
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
  const plan: LeafColumn[] = [];
  for (const name of columns) {
    const node = tree.children.find((c) => c.element.name === name);
    if (!node) return undefined;
    if (isPrimitive(node)) {
      plan.push({ name, kind: "flat", leaf: node });
      continue;
    }
    const element = structListElement(node);
    if (!element) return undefined;
    if (name === "conversation") plan.push({ name, kind: "first", list: node, element, fields: element.children });
    else if (name === "openai_moderation" && filterOnly.includes(name) && element.children.length === 1 && element.children[0]!.element.name === "flagged") {
      plan.push({ name, kind: "anyFlagged", list: node, element, flagged: element.children[0]! });
    } else return undefined;
  }
  return { tree, columns: plan };
}

/** Per row of a leaf, its first entry: the definition level and, when defined to the leaf, the value. */
interface FirstEntries {
  defs: number[];
  values: unknown[];
  /** Per row: whether any entry's value is `true`. */
  anyTrue: boolean[];
}

/** The schema path from the root to `leaf` (what hyparquet's decoders take). */
function pathTo(tree: SchemaTree, leaf: SchemaTree): SchemaTree[] {
  const path = [tree];
  let node = tree;
  for (const name of leaf.path) {
    node = node.children.find((c) => c.element.name === name)!;
    path.push(node);
  }
  return path;
}

/** Decodes the chunk of `leaf` in row group `index` page by page, keeping each row's first entry. */
async function readFirstEntries(buffer: AsyncBuffer, metadata: FileMetaData, tree: SchemaTree, index: number, leaf: SchemaTree, compressors: Compressors): Promise<FirstEntries> {
  const chunk = metadata.row_groups[index]!.columns.find((c) => c.meta_data?.path_in_schema.join("\0") === leaf.path.join("\0"))?.meta_data;
  if (!chunk) throw new Error(`parquet column ${leaf.path.join(".")} has no chunk in row group ${index}`);
  const start = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
  const bytes = new Uint8Array(await buffer.slice(start, start + Number(chunk.total_compressed_size)));
  const schemaPath = pathTo(tree, leaf);
  const decoder: ColumnDecoder = {
    pathInSchema: leaf.path,
    type: chunk.type,
    element: leaf.element,
    schemaPath,
    codec: chunk.codec,
    compressors,
    // As readShardGroup asks hyparquet: strings stay UTF-8 bytes.
    parsers: { ...DEFAULT_PARSERS, stringFromBytes: (b: Uint8Array) => b },
  };
  const maxDef = getMaxDefinitionLevel(schemaPath);
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  const out: FirstEntries = { defs: [], values: [], anyTrue: [] };
  let dictionary: DecodedArray | undefined;
  while (reader.offset < bytes.length) {
    const header = parquetHeader(reader);
    const page = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === "DICTIONARY_PAGE") {
      const plain = decompressPage(page, header.uncompressed_page_size, chunk.codec, compressors);
      const values = readPlain({ view: new DataView(plain.buffer, plain.byteOffset, plain.byteLength), offset: 0 }, chunk.type, header.dictionary_page_header!.num_values, leaf.element.type_length);
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
      const value = def === maxDef ? values[v++] : undefined;
      if (reps.length === 0 || reps[i] === 0) {
        out.defs.push(def);
        out.values.push(value);
        out.anyTrue.push(value === true);
      } else if (value === true) out.anyTrue[out.anyTrue.length - 1] = true;
    }
  }
  const rows = Number(metadata.row_groups[index]!.num_rows);
  if (out.defs.length !== rows) throw new Error(`parquet column ${leaf.path.join(".")} holds ${out.defs.length} rows of row group ${index}'s ${rows}`);
  return out;
}

/** The definition level at which a node (and everything above it) is present. */
const definedAt = (tree: SchemaTree, node: SchemaTree): number => getMaxDefinitionLevel(pathTo(tree, node));

/**
 * The rows of row group `index`, as `parquetReadObjects` with bytes for strings gives them and the join then
 * cuts them: a null list `undefined`, an empty one `[]`, else `[first entry]`, a null entry `undefined`, a
 * null field `null`; the moderation `[{ flagged: true }]` when any entry is flagged, else `[]`.
 */
export async function readLeafRows(buffer: AsyncBuffer, metadata: FileMetaData, plan: LeafPlan, index: number, compressors: Compressors): Promise<Record<string, unknown>[]> {
  const { tree } = plan;
  const rows = Array.from({ length: Number(metadata.row_groups[index]!.num_rows) }, (): Record<string, unknown> => ({}));
  for (const column of plan.columns) {
    if (column.kind === "flat") {
      const { defs, values } = await readFirstEntries(buffer, metadata, tree, index, column.leaf, compressors);
      const maxDef = definedAt(tree, column.leaf);
      for (const [r, row] of rows.entries()) row[column.name] = defs[r] === maxDef ? values[r] : null;
      continue;
    }
    const listAt = definedAt(tree, column.list);
    const elementAt = definedAt(tree, column.element);
    if (column.kind === "anyFlagged") {
      const { anyTrue } = await readFirstEntries(buffer, metadata, tree, index, column.flagged, compressors);
      for (const [r, row] of rows.entries()) row[column.name] = anyTrue[r] ? [{ flagged: true }] : [];
      continue;
    }
    const fields = await Promise.all(column.fields.map((f) => readFirstEntries(buffer, metadata, tree, index, f, compressors)));
    const fieldAt = column.fields.map((f) => definedAt(tree, f));
    const { defs } = fields[0]!;
    for (const [r, row] of rows.entries()) {
      const def = defs[r]!;
      if (def < listAt) row[column.name] = undefined;
      else if (def === listAt) row[column.name] = [];
      else if (def < elementAt) row[column.name] = [undefined];
      else {
        const entry: Record<string, unknown> = {};
        for (const [f, field] of column.fields.entries()) entry[field.element.name] = fields[f]!.defs[r] === fieldAt[f] ? fields[f]!.values[r] : null;
        row[column.name] = [entry];
      }
    }
  }
  return rows;
}
