import { OptionError } from "@lmsynth/schema";

/** One option, declared once: a flag of the command line, a key of a config file and of the Node API's
 * options object; drives parsing, validation and `--help`. */
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

function checkRange(name: string, range: NumberRange, n: number): void {
  const { min, max, maxExclusive, integer } = range;
  const bounds = [min !== undefined ? `≥ ${min}` : "", max !== undefined ? `${maxExclusive ? "<" : "≤"} ${max}` : ""].filter(Boolean).join(" and ");
  const ok = (!integer || Number.isInteger(n)) && (min === undefined || n >= min) && (max === undefined || (maxExclusive ? n < max : n <= max));
  if (!ok) throw new OptionError(`--${name} takes ${integer ? "a whole number" : "a number"}${bounds ? ` ${bounds}` : ""}, got ${n}`);
}

/** Validates one value against its spec (also used for config-file values). */
export function checkValue(name: string, spec: OptionSpec, raw: unknown): ParsedValue {
  if (spec.type === "boolean") {
    if (typeof raw !== "boolean") throw new OptionError(`--${name} is a switch (true or false), got ${JSON.stringify(raw)}`);
    return raw;
  }
  if (spec.multiple) {
    const list = Array.isArray(raw) ? raw : [raw];
    return list.map((v) => String(v));
  }
  if (spec.number) {
    const n = typeof raw === "number" ? raw : Number(raw);
    if (raw === "" || !Number.isFinite(n)) throw new OptionError(`--${name} takes a number, got ${JSON.stringify(raw)}`);
    checkRange(name, spec.number, n);
    return n;
  }
  const s = String(raw);
  // An empty value is a shell variable that was not set (`--seed "$SEED"`), not a choice: only free text
  // (`--system ""`) may be empty.
  if (s === "" && spec.arg !== "text") throw new OptionError(`--${name} takes a value, got an empty string`);
  if (spec.choices && !spec.choices.includes(s)) {
    throw new OptionError(`--${name} must be one of ${spec.choices.join(", ")}; got ${JSON.stringify(s)}`);
  }
  return s;
}
