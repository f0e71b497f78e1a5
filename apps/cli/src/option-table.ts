import { parseArgs } from "node:util";
import { checkValue, type OptionTable, type OptionValues, type ParsedValue } from "@lmsynth/pipeline";
import { UsageError } from "./usage-error.js";

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
