import { createHash } from "node:crypto";
import { InputError, printable } from "@lmsynth/schema";
import { openInput } from "./open-input.js";
import { LineTooLongError, splitLines } from "./split-lines.js";

/** One file of a deletion list, as the manifest records it: never its contents. */
export interface IdListFile {
  path: string;
  /** Lowercase hex sha256 of the file's bytes as stored (compressed, if it is). */
  sha256: string;
  /** Distinct ids it lists. */
  ids: number;
}

/** The `conversation_id`s of one or more deletion lists. */
export interface IdList {
  ids: ReadonlySet<string>;
  files: IdListFile[];
  /** One per file with ids that do not look like a `conversation_id` (32 lowercase hex characters, as every
   * LMSYS-Chat-1M id is): an uppercase, quoted or otherwise mangled id matches nothing. */
  warnings: string[];
}

/** The shape of every LMSYS-Chat-1M `conversation_id`. */
const ID_SHAPE = /^[0-9a-f]{32}$/;

const LONGEST_LINE = 1 << 20;

/**
 * Reads deletion lists (`--exclude-ids`): one `conversation_id` per line (bare, or a JSON string as `jq`
 * prints it without `-r`), or JSON lines with a string `conversation_id` (other fields ignored); gzip
 * accepted; blank lines skipped. Streamed, so only the ids are held. A file is hashed as read. Ids of another
 * shape than LMSYS's are kept but warned about.
 * @throws InputError naming file and line: an id with white space inside, a JSON line without a string
 * `conversation_id`, a line over 1 MiB, a Parquet or OpenPGP file, a file that lists no id.
 */
export async function readIdList(paths: readonly string[]): Promise<IdList> {
  const ids = new Set<string>();
  const files: IdListFile[] = [];
  const warnings: string[] = [];
  for (const path of paths) {
    const hash = createHash("sha256");
    const own = new Set<string>();
    const { kind, chunks } = await openInput(path, { onRawChunk: (_, chunk) => hash.update(chunk) });
    if (kind !== "text") throw new InputError(path, undefined, "invalid-json", `a list of conversation ids is text (one per line, or JSON lines), not ${kind}`);
    let line = 0;
    let odd: { line: number; id: string; count: number } | undefined;
    try {
      for await (const lines of splitLines(chunks, LONGEST_LINE)) {
        for (const raw of lines) {
          line++;
          const text = raw.toString("utf8").trim();
          if (text === "") continue;
          const id = idOf(text, path, line);
          own.add(id);
          if (!ID_SHAPE.test(id)) odd = odd ? { ...odd, count: odd.count + 1 } : { line, id, count: 1 };
        }
      }
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      throw new InputError(path, line + 1, "invalid-record", "line longer than 1 MiB: a deletion list holds one conversation id per line", { cause: error });
    }
    if (own.size === 0) throw new InputError(path, undefined, "invalid-record", "lists no conversation id: an empty deletion list is likely the wrong file");
    if (odd) {
      warnings.push(
        `${path}: ${odd.count} listed id${odd.count === 1 ? " does" : "s do"} not look like a conversation_id (32 lowercase hex characters) and may match nothing, ` +
          `e.g. line ${odd.line}: "${printable(odd.id, 80)}"`,
      );
    }
    for (const id of own) ids.add(id);
    files.push({ path, sha256: hash.digest("hex"), ids: own.size });
  }
  return { ids, files, warnings };
}

function idOf(text: string, path: string, line: number): string {
  if (text.startsWith('"')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new InputError(path, line, "invalid-json", "a quoted id is not a valid JSON string");
    }
    if (typeof value !== "string" || value === "" || /\s/.test(value)) throw new InputError(path, line, "invalid-record", "a quoted conversation id is one non-empty string without white space");
    return value;
  }
  if (!text.startsWith("{")) {
    if (/\s/.test(text)) throw new InputError(path, line, "invalid-record", "a conversation id has no white space: give one id per line");
    return text;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError(path, line, "invalid-json", "not valid JSON");
  }
  const id = (value as { conversation_id?: unknown }).conversation_id;
  if (typeof id !== "string" || id === "") throw new InputError(path, line, "invalid-record", "no string conversation_id");
  return id;
}
