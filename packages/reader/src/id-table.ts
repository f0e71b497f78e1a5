/**
 * A set of ids numbered in the order they were added (entry 0, 1, …), held in typed arrays: a join indexes a
 * million or more `conversation_id`s for the whole run, and as a `Map` each would be a string, an entry and a
 * value object that every garbage collection of the reading thread traces (or copies, while young). Here an
 * id is a few bytes of one arena and a slot of one hash table, which the collector never looks into; values
 * live in the owner's own typed arrays, indexed by entry.
 *
 * Ids of Latin-1 characters only (LMSYS's are hexadecimal) are stored so; any other id goes to a `Map`, so
 * that every string is an id.
 */
export class IdTable {
  /** The ids' characters, back to back; entry `e`'s are `chars[starts[e] … starts[e] + lengths[e]]`. */
  private chars = new Uint8Array(1 << 16);
  private charsUsed = 0;
  private starts = new Float64Array(1 << 10);
  /** Length of entry `e`'s id, or -1 when it is in `wide`. */
  private lengths = new Int32Array(1 << 10);
  private hashes = new Int32Array(1 << 10);
  /** Open addressing, linear probing: entry + 1, 0 for an empty slot; at most half full. */
  private slots = new Int32Array(1 << 11);
  /** Ids with a character beyond Latin-1. */
  private readonly wide = new Map<string, number>();
  /** Entries added. */
  size = 0;

  /** The entry of `id`, or -1 when it was not added. */
  find(id: string): number {
    const hash = latin1Hash(id);
    if (hash === WIDE) return this.wide.get(id) ?? -1;
    return this.slots[this.slotOf(id, hash)]! - 1;
  }

  /** Adds `id` as entry `size` and returns that; -1 when it was added before (`find` gives its entry). */
  add(id: string): number {
    const hash = latin1Hash(id);
    if (hash === WIDE) {
      if (this.wide.has(id)) return -1;
      this.wide.set(id, this.size);
      return this.append(-1, 0);
    }
    const s = this.slotOf(id, hash);
    if (this.slots[s] !== 0) return -1;
    if (this.charsUsed + id.length > this.chars.length) this.chars = grown(this.chars, this.charsUsed + id.length);
    for (let i = 0; i < id.length; i++) this.chars[this.charsUsed + i] = id.charCodeAt(i);
    const e = this.append(id.length, hash);
    this.charsUsed += id.length;
    this.slots[s] = e + 1;
    if (2 * this.size > this.slots.length) this.rehash();
    return e;
  }

  /** The slot that holds the Latin-1 `id` (of `hash`), or the empty slot where it would go. */
  private slotOf(id: string, hash: number): number {
    const mask = this.slots.length - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s]! - 1;
      if (e < 0 || (this.hashes[e] === hash && this.equals(e, id))) return s;
    }
  }

  private append(length: number, hash: number): number {
    const e = this.size++;
    if (e === this.starts.length) {
      this.starts = grown(this.starts, e + 1);
      this.lengths = grown(this.lengths, e + 1);
      this.hashes = grown(this.hashes, e + 1);
    }
    this.starts[e] = this.charsUsed;
    this.lengths[e] = length;
    this.hashes[e] = hash;
    return e;
  }

  private equals(e: number, id: string): boolean {
    if (this.lengths[e] !== id.length) return false;
    const start = this.starts[e]!;
    for (let i = 0; i < id.length; i++) if (this.chars[start + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let e = 0; e < this.size; e++) {
      if (this.lengths[e]! < 0) continue;
      let s = this.hashes[e]! & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = e + 1;
    }
    this.slots = slots;
  }
}

/** Not a hash `latin1Hash` gives (it clears the sign bit): the id has a character beyond Latin-1. */
const WIDE = -1;

/** FNV-1a over the characters, non-negative; `WIDE` for an id that is not Latin-1. */
function latin1Hash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c > 0xff) return WIDE;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return (h ^ (h >>> 15)) & 0x7fffffff;
}

type Growable = Uint8Array | Int32Array | Float64Array;

/** A copy of `array` with room for at least `need` elements (at least twice its length). */
export function grown<T extends Growable>(array: T, need: number): T {
  const next = new (array.constructor as new (length: number) => T)(Math.max(need, 2 * array.length));
  next.set(array);
  return next;
}
