import { fieldsOf, type ColumnSpec, type ColumnType } from "@lmsynth/schema";

export type { ColumnSpec, ColumnType };

const DTYPES: Record<"string" | "int32" | "double" | "bool", string> = { string: "string", int32: "int32", double: "float64", bool: "bool" };

/**
 * The `datasets` features of `columns`, as `datasets` writes them into a Parquet file's `huggingface`
 * metadata (`{"info": {"features": …}}`), so a loader reads the same types it would have written.
 */
export function huggingfaceFeatures(columns: readonly ColumnSpec[]): Record<string, unknown> {
  const value = (dtype: string) => ({ dtype, _type: "Value" });
  const struct = (c: ColumnSpec) => Object.fromEntries(fieldsOf(c).map((f) => [f.name, value("string")]));
  return Object.fromEntries(
    columns.map((c) => [
      c.name,
      c.type === "messages" ? { feature: struct(c), _type: "List" } : c.type === "struct" ? struct(c) : value(DTYPES[c.type]),
    ]),
  );
}

/** The `features` list of a card's `dataset_info` for `columns`, as YAML lines at `indent` spaces. */
export function featuresYaml(columns: readonly ColumnSpec[], indent: string): string[] {
  return columns.flatMap((c) => {
    if (c.type !== "messages" && c.type !== "struct") return [`${indent}- name: ${c.name}`, `${indent}  dtype: ${DTYPES[c.type]}`];
    const fields = fieldsOf(c).flatMap((f) => [`${indent}  - name: ${f.name}`, `${indent}    dtype: string`]);
    return [`${indent}- name: ${c.name}`, `${indent}  ${c.type === "messages" ? "list" : "struct"}:`, ...fields];
  });
}
