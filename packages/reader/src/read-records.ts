import { isUtf8 } from "node:buffer";
import { InputError, MergedRecordSchema, describeZodError, printable, type InputErrorReason, type MergedRecord } from "@lmsynth/schema";
import type { LocatedRecord } from "./located-record.js";
import { openInput, type OpenInputOptions } from "./open-input.js";
import { decodeUtf8 } from "./utf8-text.js";
import { LineTooLongError, splitLines } from "./split-lines.js";

export type { LocatedRecord };

/** A line set aside by `onInvalid: "skip"`; written as a `--rejected` row (behaviour.md §9). */
export interface RejectedLine {
  file: string;
  line: number;
  reason: InputErrorReason;
  /** What is wrong, as in the error message. */
  detail: string;
  /** The line itself, cut at `maxRejectedText` bytes. */
  text: string;
}

export interface ReadRecordsOptions extends OpenInputOptions {
  /** `fail` (default): throw at the first bad line. `skip`: pass it to `onRejected` and go on. */
  onInvalid?: "fail" | "skip";
  /** Receives skipped lines, awaited before reading on. */
  onRejected?: (rejected: RejectedLine) => void | Promise<void>;
  /** Record schema; default the merged record. Unknown fields always pass through. */
  schema?: { safeParse(value: unknown): { success: true; data: unknown } | { success: false; error: import("zod").ZodError } };
  /** Longest `text` of a rejected line, in bytes; longer lines are cut. Default 64 KiB. */
  maxRejectedText?: number;
  /** Longest line accepted, in bytes; a longer one is an `invalid-record` error at its line. Default 256 MiB. */
  maxLineBytes?: number;
  /** Checked between chunks: once aborted, reading stops and the iterator throws `signal.reason`. Default: none. */
  signal?: AbortSignal;
}

/** The UTF-8 byte order mark, dropped at the start of a file. */
export const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Spaces, tabs and CR only: a blank line, passed over. */
export function isBlank(line: Buffer): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** The start of a JSON escape in U+D000–U+DFFF, surrogates among them: searched in the line's bytes (faster
 * than a regular expression over its text), and only a line holding one is walked. */
const SURROGATE_HIGH = Buffer.from("\\ud");
const SURROGATE_UPPER = Buffer.from("\\uD");

/** Half a surrogate pair: a high one not followed by a low one, or a low one not after a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string (key or value) in `value` that is not well-formed UTF-16, if any. */
function loneSurrogate(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path || "(record)" : undefined;
  if (value === null || typeof value !== "object") return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    if (LONE_SURROGATE.test(k)) return at;
    const found = loneSurrogate(v, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Characters that look like white space or nothing, named in JSON errors since a terminal does not show them. */
const INVISIBLE: Record<string, string> = {
  "\ufeff": "a byte order mark",
  "\u00a0": "a no-break space",
  "\u000c": "a form feed",
  "\u000b": "a vertical tab",
  "\u3000": "an ideographic space",
  "\u200b": "a zero-width space",
  "\u2028": "a line separator",
  "\u0000": "a NUL byte",
};

/**
 * Why `text` is not JSON, in words a user can act on: an invisible character where the value should start is
 * named with its code point and offset; otherwise V8's message, with what it quotes made printable.
 */
function malformation(text: string, error: Error): string {
  const start = text.search(/[^ \t\r\n]/);
  const c = start === -1 ? undefined : text[start];
  if (c !== undefined && INVISIBLE[c]) {
    const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    return `${INVISIBLE[c]} (${code}) at character ${start + 1}, before the record${c === "\ufeff" ? " (only a file's first line may start with one)" : ""}`;
  }
  return printable(error.message, 300);
}

/**
 * Parses one JSONL line into a validated record, or returns why it cannot be one. Exported for worker
 * threads and tests; `readRecords` is the streaming entry point.
 */
export function parseLine(
  line: Buffer,
  schema: NonNullable<ReadRecordsOptions["schema"]> = MergedRecordSchema,
): { record: MergedRecord } | { reason: InputErrorReason; detail: string } {
  if (!isUtf8(line)) return { reason: "invalid-utf8", detail: "line is not valid UTF-8" };
  let value: unknown;
  const text = decodeUtf8(line);
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { reason: "invalid-json", detail: `malformed JSON: ${malformation(text, e as Error)}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { reason: "invalid-record", detail: `expected a JSON object, got ${value === null ? "null" : Array.isArray(value) ? "array" : typeof value}` };
  }
  // A `\uD800`-style escape can leave half a surrogate pair in a string: no Unicode text, and each writer
  // would store it differently (JSON keeps the escape, Parquet and Arrow a U+FFFD). Only a line holding such
  // an escape is searched.
  if (line.includes(SURROGATE_HIGH) || line.includes(SURROGATE_UPPER)) {
    const where = loneSurrogate(value, "");
    if (where !== undefined) return { reason: "invalid-record", detail: `\`${where}\` holds half of a UTF-16 surrogate pair (a lone \\uD800–\\uDFFF escape): not Unicode text` };
  }
  const result = schema.safeParse(value);
  if (!result.success) return { reason: "invalid-record", detail: describeZodError(result.error, value) };
  return { record: result.data as MergedRecord };
}

/** Turns a `LineTooLongError` into an `InputError` at `file` and the line `lineOf()` says was being read. */
export async function* placeLongLine<T>(items: AsyncIterable<T>, file: string, lineOf: () => number): AsyncGenerator<T> {
  try {
    yield* items;
  } catch (e) {
    if (e instanceof LineTooLongError) throw new InputError(file, lineOf(), "invalid-record", e.message, { cause: e });
    throw e;
  }
}

/**
 * Streams the records of JSONL inputs (plain, gzip, OpenPGP; sniffed by content) in file then line order.
 * Blank lines are passed over; a UTF-8 BOM at the start of a file is dropped. Bad lines throw
 * `InputError(file, line, reason)` or, with `onInvalid: "skip"`, go to `onRejected`. Errors of the container
 * (truncated gzip, failed decryption, missing file) always throw. Memory: one chunk at a time.
 */
export async function* readRecords(files: readonly string[], options: ReadRecordsOptions = {}): AsyncGenerator<LocatedRecord> {
  const schema = options.schema ?? MergedRecordSchema;
  const skip = options.onInvalid === "skip";
  const maxText = options.maxRejectedText ?? 64 * 1024;
  for (const file of files) {
    const { kind, chunks } = await openInput(file, options);
    if (kind === "parquet") throw new InputError(file, undefined, "invalid-record", "this is a Parquet file; give it as --lmsys");
    let line = 0;
    for await (const lines of placeLongLine(splitLines(chunks, options.maxLineBytes), file, () => line + 1)) {
      options.signal?.throwIfAborted();
      for (let text of lines) {
        line++;
        if (line === 1 && text.subarray(0, 3).equals(BOM)) text = text.subarray(3);
        if (isBlank(text)) continue;
        const parsed = parseLine(text, schema);
        if ("record" in parsed) {
          yield { record: parsed.record, file, line };
          continue;
        }
        if (!skip) throw new InputError(file, line, parsed.reason, parsed.detail);
        await options.onRejected?.({ file, line, reason: parsed.reason, detail: parsed.detail, text: text.subarray(0, maxText).toString("utf8") });
      }
    }
  }
}
