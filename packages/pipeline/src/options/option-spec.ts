import { parseArgs } from "node:util";
import { UsageError } from "./usage-error.js";

/** One flag, declared once: drives parsing, validation and `--help`. */
export interface OptionSpec {
  type: "string" | "boolean";
  description: string;
  short?: string;
  /** Placeholder in `--help` for string options. */
  arg?: string;
  multiple?: boolean;
  /** A list of files: the values after the flag up to the next flag all belong to it (`--lmsys a b c`, a shell glob). */
  files?: boolean;
  choices?: readonly string[];
  /** Parsed as a number, with its sign, and checked against this range. */
  number?: NumberRange;
  /** Shown in `--help`; applied by the command, not by the parser, so that presets can override it. */
  default?: string | boolean | number;
}

/** Where a numeric option's value may lie; bounds are inclusive unless marked. */
export interface NumberRange {
  min?: number;
  max?: number;
  maxExclusive?: boolean;
  integer?: boolean;
}

/** Judge scores (input-format.md §3): the range of every score threshold. */
export const SCORE: NumberRange = { min: 0, max: 10 };
/** Byte sizes of shards and row groups: below 1 KiB a cut makes a file per row. */
export const BYTES: NumberRange = { min: 1024, integer: true };

export type OptionTable = Record<string, OptionSpec>;

export type ParsedValue = string | boolean | number | string[];

/** The value type a spec parses to: a switch, a list, a number, one of its choices, or a string (any of
 * them for a spec not known at compile time). */
export type ValueOf<S extends OptionSpec> = OptionSpec extends S
  ? ParsedValue
  : S["type"] extends "boolean"
  ? boolean
  : S extends { multiple: true }
    ? string[]
    : S extends { number: NumberRange }
      ? number
      : S extends { choices: readonly (infer C extends string)[] }
        ? C
        : string;

/** The values of a table's flags, typed from the table: each may be absent. */
export type OptionValues<T extends OptionTable> = { [K in keyof T]?: ValueOf<T[K]> };

/** The values after defaults are applied (`resolveOptions`): a flag with a default is always there. */
export type ResolvedValues<T extends OptionTable> = OptionValues<T> & {
  [K in keyof T as T[K] extends { default: string | boolean | number } ? K : never]-?: ValueOf<T[K]>;
};

/** A parsed command line: flags that were given (by their table names) and positionals. */
export interface ParsedArgs<T extends OptionTable = OptionTable> {
  values: OptionValues<T>;
  positionals: string[];
}

/** Parses `argv` strictly against `table`: unknown flags, bad choices and bad numbers are `UsageError`s. */
export function parseOptions<T extends OptionTable>(table: T, argv: readonly string[]): ParsedArgs<T> {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(table)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: signedValues(table, argv), options, strict: true, allowPositionals: true, allowNegative: true, tokens: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
  // parseArgs keeps the last of a repeated flag: a first value dropped without a word is not what was asked.
  const seen = new Map<string, string>();
  for (const token of parsed.tokens) {
    if (token.kind !== "option" || table[token.name]?.type !== "string" || table[token.name]?.multiple) continue;
    const earlier = seen.get(token.name);
    if (earlier !== undefined) {
      throw new UsageError(`--${token.name} is given twice (${JSON.stringify(earlier)}, then ${JSON.stringify(token.value)}): give it once${table[token.name]!.choices ? "" : "; where it takes a list, separate the values with commas"}`);
    }
    seen.set(token.name, token.value ?? "");
  }
  const values: Record<string, ParsedValue> = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    values[name] = checkValue(name, table[name]!, raw);
  }
  // checkValue gives each flag the type its spec declares.
  return { values: values as OptionValues<T>, positionals: parsed.positionals };
}

/**
 * The command line as parseArgs should see it. `--min-margin -5` becomes `--min-margin=-5` (and `--shard
 * -1/2` `--shard=-1/2`): parseArgs takes a value starting with `-` for a flag, so a negative number would
 * otherwise fail as "ambiguous" instead of being checked. A file-list flag takes every value up to the next
 * flag.
 */
function signedValues(table: OptionTable, argv: readonly string[]): string[] {
  const out: string[] = [];
  let list: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : Object.keys(table).find((k) => arg === `-${table[k]!.short}`);
    if (name !== undefined && table[name]?.type === "string" && !table[name]?.files && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
      list = undefined;
    } else if (list !== undefined && !arg.startsWith("-")) {
      // `--lmsys a.parquet b.parquet`: a further file of the list flag before it.
      out.push(`--${list}=${arg}`);
    } else {
      out.push(arg);
      list = undefined;
      if (name !== undefined && table[name]?.files && next !== undefined && !next.startsWith("-")) {
        out.push(next);
        i++;
        list = name;
      }
    }
  }
  return out;
}

function checkRange(name: string, range: NumberRange, n: number): void {
  const { min, max, maxExclusive, integer } = range;
  const bounds = [min !== undefined ? `≥ ${min}` : "", max !== undefined ? `${maxExclusive ? "<" : "≤"} ${max}` : ""].filter(Boolean).join(" and ");
  const ok = (!integer || Number.isInteger(n)) && (min === undefined || n >= min) && (max === undefined || (maxExclusive ? n < max : n <= max));
  if (!ok) throw new UsageError(`--${name} takes ${integer ? "a whole number" : "a number"}${bounds ? ` ${bounds}` : ""}, got ${n}`);
}

/** Validates one value against its spec (also used for config-file values). */
export function checkValue(name: string, spec: OptionSpec, raw: unknown): ParsedValue {
  if (spec.type === "boolean") {
    if (typeof raw !== "boolean") throw new UsageError(`--${name} is a switch (true or false), got ${JSON.stringify(raw)}`);
    return raw;
  }
  if (spec.multiple) {
    const list = Array.isArray(raw) ? raw : [raw];
    return list.map((v) => String(v));
  }
  if (spec.number) {
    const n = typeof raw === "number" ? raw : Number(raw);
    if (raw === "" || !Number.isFinite(n)) throw new UsageError(`--${name} takes a number, got ${JSON.stringify(raw)}`);
    checkRange(name, spec.number, n);
    return n;
  }
  const s = String(raw);
  // An empty value is a shell variable that was not set (`--seed "$SEED"`), not a choice: only free text
  // (`--system ""`) may be empty.
  if (s === "" && spec.arg !== "text") throw new UsageError(`--${name} takes a value, got an empty string`);
  if (spec.choices && !spec.choices.includes(s)) {
    throw new UsageError(`--${name} must be one of ${spec.choices.join(", ")}; got ${JSON.stringify(s)}`);
  }
  return s;
}

/** `--help` text: usage line, then one line per option from the same table. */
export function formatHelp(usage: string, summary: string, table: OptionTable): string {
  const rows = Object.entries(table).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : "    "}--${s.type === "boolean" && s.default === true ? "[no-]" : ""}${name}${s.type === "string" ? ` <${s.arg ?? (s.choices ? s.choices.join("|") : "value")}>` : ""}`;
    const dflt = s.default === undefined ? "" : ` (default: ${s.default})`;
    return [flag, `${s.description}${dflt}`] as const;
  });
  const width = Math.min(44, Math.max(...rows.map(([f]) => f.length)) + 2);
  const lines = rows.map(([f, d]) => `  ${f.padEnd(width)}${f.length >= width ? `\n  ${" ".repeat(width)}` : ""}${d}`);
  return `Usage: ${usage}\n\n${summary}\n\nOptions:\n${lines.join("\n")}\n\nSwitches can be turned off with --no-<name> (to override a preset or config).\n`;
}
