import { parseArgs } from "node:util";
import { UsageError } from "@lmsynth/schema";

/** One flag, declared once: drives parsing, validation and `--help`. */
export interface OptionSpec {
  type: "string" | "boolean";
  description: string;
  short?: string;
  /** Placeholder in `--help` for string options. */
  arg?: string;
  multiple?: boolean;
  choices?: readonly string[];
  /** Parsed as a number (validated). */
  number?: boolean;
  /** Shown in `--help`; applied by the command, not by the parser, so that presets can override it. */
  default?: string | boolean | number;
}

export type OptionTable = Record<string, OptionSpec>;

export type ParsedValue = string | boolean | number | string[];

/** A parsed command line: flags that were given (by their table names) and positionals. */
export interface ParsedArgs {
  values: Record<string, ParsedValue | undefined>;
  positionals: string[];
}

/** Parses `argv` strictly against `table`: unknown flags, bad choices and bad numbers are `UsageError`s. */
export function parseOptions(table: OptionTable, argv: readonly string[]): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(table)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true, allowNegative: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
  const values: ParsedArgs["values"] = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    values[name] = checkValue(name, table[name]!, raw as ParsedValue);
  }
  return { values, positionals: parsed.positionals };
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
    return n;
  }
  const s = String(raw);
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
