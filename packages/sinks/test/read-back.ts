import { readFile } from "node:fs/promises";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { tableFromIPC } from "apache-arrow";

let connection: Promise<DuckDBConnection> | undefined;

function duckdb(): Promise<DuckDBConnection> {
  connection ??= DuckDBInstance.create(":memory:").then((db) => db.connect());
  return connection;
}

const quote = (path: string): string => `'${path.replaceAll("'", "''")}'`;

/** Every row of a Parquet file as DuckDB reads it, in file order, as JSON-compatible objects. */
export async function duckdbRows(path: string): Promise<Record<string, unknown>[]> {
  const con = await duckdb();
  const reader = await con.runAndReadAll(`SELECT * FROM read_parquet(${quote(path)})`);
  return reader.getRowObjectsJson();
}

/** Every line of a JSONL(.gz) file as DuckDB's `read_json` reads it, in file order, as JSON-compatible objects. */
export async function duckdbJsonRows(path: string): Promise<Record<string, unknown>[]> {
  const con = await duckdb();
  const reader = await con.runAndReadAll(`SELECT * FROM read_json(${quote(path)}, format = 'newline_delimited')`);
  return reader.getRowObjectsJson();
}

/** DuckDB's `DESCRIBE` of a Parquet file: column name → type. */
export async function duckdbTypes(path: string): Promise<Record<string, string>> {
  const con = await duckdb();
  const reader = await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quote(path)})`);
  return Object.fromEntries(
    (reader.getRowObjectsJson() as { column_name: string; column_type: string }[]).map((r) => [r.column_name, r.column_type]),
  );
}

/** Per-row-group row counts and per-column-chunk facts from DuckDB's `parquet_metadata`. */
export async function duckdbMetadata(path: string): Promise<
  { row_group_id: number; row_group_num_rows: number; path_in_schema: string; compression: string; stats_min_value: string | null; stats_max_value: string | null; total_uncompressed_size: number }[]
> {
  const con = await duckdb();
  const reader = await con.runAndReadAll(
    `SELECT row_group_id, row_group_num_rows, path_in_schema, compression, stats_min_value, stats_max_value, total_uncompressed_size
     FROM parquet_metadata(${quote(path)}) ORDER BY row_group_id, column_id`,
  );
  return reader.getRowObjectsJson() as never;
}

/** Every row of an Arrow IPC stream file as apache-arrow reads it, as plain objects. */
export async function arrowRows(path: string): Promise<Record<string, unknown>[]> {
  const table = tableFromIPC(await readFile(path));
  return JSON.parse(JSON.stringify(table.toArray())) as Record<string, unknown>[];
}

/** The data files the card's YAML front matter lists, per `config/split` (a tiny reader for the card's own shape). */
export function listedInCard(card: string): Map<string, string[]> {
  const listed = new Map<string, string[]>();
  let config = "";
  let split = "";
  for (const line of card.split("---\n")[1]!.split("\n")) {
    if (line === "dataset_info:") break;
    const c = /^- config_name: (.+)$/.exec(line);
    const s = /^ {2}- split: (.+)$/.exec(line);
    const p = /^ {4}- (.+)$/.exec(line);
    if (c) config = c[1]!;
    else if (s) split = s[1]!;
    else if (p) listed.set(`${config}/${split}`, [...(listed.get(`${config}/${split}`) ?? []), p[1]!]);
  }
  return listed;
}
