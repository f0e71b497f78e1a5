import { InputError } from "@lmsynth/schema";

/**
 * The `conversation_id`s of one input seen so far, with where each was first seen: a repeat is a
 * `duplicate-id` error naming both lines (behaviour.md §9), since a repeated id would silently duplicate
 * its rows. Memory: one map entry per record (about 100 bytes).
 */
export class UniqueIds {
  private readonly files: string[] = [];
  /** id → file index × 2^32 + line. */
  private readonly seen = new Map<string, number>();

  /** @throws InputError (`duplicate-id`) at the second line, naming the first. */
  add(id: string, file: string, line: number): void {
    // Records come file by file: the last file is almost always the one.
    let index = this.files.length - 1;
    if (this.files[index] !== file) index = this.files.push(file) - 1;
    const first = this.seen.get(id);
    if (first === undefined) {
      this.seen.set(id, index * 2 ** 32 + line);
      return;
    }
    const firstFile = this.files[Math.floor(first / 2 ** 32)]!;
    const where = firstFile === file ? `line ${first % 2 ** 32}` : `${firstFile}:${first % 2 ** 32}`;
    throw new InputError(file, line, "duplicate-id", `conversation_id ${id} appears twice: first at ${where}`);
  }
}
