import type { z } from "zod";

/** What was wrong with an input line or file; also the `reason` of a `--rejected` row. */
export type InputErrorReason =
  | "invalid-json"
  | "invalid-record"
  | "invalid-utf8"
  | "corrupt-gzip"
  | "corrupt-parquet"
  | "decrypt"
  | "bad-passphrase"
  | "duplicate-id"
  | "io";

/**
 * Bad input: a file, optionally a 1-based line, and what is wrong. Prints as `file:line: detail`.
 * Exit code 2 at the CLI.
 */
export class InputError extends Error {
  override name = "InputError";
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: InputErrorReason,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${detail}`, options);
  }
}

/** A command line that cannot run as given. Exit code 1 at the CLI. */
export class UsageError extends Error {
  override name = "UsageError";
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  // JSON.parse turns 1e400 into Infinity, which is a number to typeof but not to the schema.
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) v = v == null ? undefined : (v as Record<PropertyKey, unknown>)[k];
  return v;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const k of path) out += typeof k === "number" ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out || "(record)";
}

/**
 * The first zod issue as "`path`: expected X, got Y", reading the offending value from `input` so the
 * message names what was really there.
 */
export function describeZodError(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0];
  if (!issue) return "invalid record";
  const where = formatPath(issue.path);
  const got = valueAt(input, issue.path);
  if (issue.code === "invalid_type" || issue.code === "invalid_union") {
    const expected = issue.code === "invalid_type" ? issue.expected : "one of the accepted shapes";
    return `\`${where}\`: expected ${expected}, got ${got === undefined ? "nothing" : typeOf(got)}`;
  }
  return `\`${where}\`: ${issue.message}`;
}
