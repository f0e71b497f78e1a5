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
  | "empty-source"
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

/**
 * An output that cannot be written: names the path and the cause (`ENOSPC: no space left on device`).
 * Exit code 2 at the CLI.
 */
export class OutputError extends Error {
  override name = "OutputError";
  constructor(
    readonly path: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${detail}`, options);
  }

  /**
   * `error` as a failure to `action` `path` ("out/manifest.json: cannot write: ENOSPC: no space left on
   * device, write"); lmsynth's own errors pass through unchanged.
   */
  static of(path: string, action: string, error: unknown): OutputError | InputError {
    if (error instanceof OutputError || error instanceof InputError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new OutputError(path, `cannot ${action}: ${message}`, { cause: error });
  }
}

/**
 * The run was stopped by a signal. The CLI exits with 128 + its number (130 SIGINT, 143 SIGTERM, 129
 * SIGHUP), so a job scheduler can tell an interruption from bad data.
 */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor(readonly signal: "SIGINT" | "SIGTERM" | "SIGHUP") {
    super(`interrupted by ${signal}`);
  }

  get exitCode(): number {
    return 128 + SIGNAL_NUMBERS[this.signal];
  }
}

/** POSIX numbers, the same on every platform Node runs lmsynth on. */
const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Options a library call cannot run with: a value out of range, a combination that cannot apply, an output
 * that exists, parts that do not fit together. The CLI reports it as it reports a bad flag (exit code 1).
 */
export class OptionError extends Error {
  override name = "OptionError";
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
  const shown = JSON.stringify(got) ?? "nothing";
  return `\`${where}\`: ${issue.message}${issue.code === "custom" ? `, got ${shown.length > 80 ? `${shown.slice(0, 80)}…` : shown}` : ""}`;
}

/**
 * `text` with anything but printable ASCII written `\u{…}`, cut to `max` characters: what a message quotes
 * from a file (an id, a parser's complaint) shows a zero-width or binary character instead of sending it to
 * the terminal.
 */
export function printable(text: string, max: number): string {
  const shown = text.replace(/[^\x20-\x7e]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
  return shown.length > max ? `${shown.slice(0, max)}…` : shown;
}

/**
 * `text` with `secret` (when given), `Bearer …` and `Authorization: …` values and anything shaped like a
 * Hub token replaced by `[redacted]`.
 */
export function redactSecrets(text: string, secret?: string): string {
  let out = secret ? text.split(secret).join("[redacted]") : text;
  out = out.replace(/\b(Bearer\s+)[^\s"',;}\]]+/gi, "$1[redacted]");
  out = out.replace(/(authorization["']?\s*[:=]\s*["']?)(?!Bearer)[^\s"',;}]+/gi, "$1[redacted]");
  return out.replace(/\bhf_[A-Za-z0-9]+/g, "hf_[redacted]");
}
