import { InputError } from "@lmsynth/schema";
import { IdTable, grown } from "./id-table.js";

/**
 * The `conversation_id`s of one input seen so far, with where each was first seen: a repeat is a
 * `duplicate-id` error naming both lines (behaviour.md §9), since a repeated id would silently duplicate
 * its rows. Memory: the id's characters and about 40 bytes per record, in typed arrays that
 * the garbage collector does not trace (`IdTable`).
 */
export class UniqueIds {
  private readonly files: string[] = [];
  private readonly ids = new IdTable();
  /** Per entry of `ids`: file index × 2^32 + line. */
  private where = new Float64Array(1 << 10);

  /** @throws InputError (`duplicate-id`) at the second line, naming the first. */
  add(id: string, file: string, line: number): void {
    // Records come file by file: the last file is almost always the one.
    let index = this.files.length - 1;
    if (this.files[index] !== file) index = this.files.push(file) - 1;
    const e = this.ids.add(id);
    if (e >= 0) {
      if (e === this.where.length) this.where = grown(this.where, e + 1);
      this.where[e] = index * 2 ** 32 + line;
      return;
    }
    const first = this.where[this.ids.find(id)]!;
    const firstFile = this.files[Math.floor(first / 2 ** 32)]!;
    const where = firstFile === file ? `line ${first % 2 ** 32}` : `${firstFile}:${first % 2 ** 32}`;
    throw new InputError(file, line, "duplicate-id", `conversation_id ${id} appears twice: first at ${where}`);
  }
}
