import { createHash } from "node:crypto";

/**
 * A uniform number in [0, 1) from `seed` and `key`: the first 53 bits of sha256(`${seed}\0${key}`). It
 * depends on nothing but its arguments, so every process, thread and output agrees — the basis of the
 * train/test split and of `--shard i/N`.
 */
export function hashFraction(key: string, seed: number | string): number {
  const digest = createHash("sha256").update(`${seed}\0${key}`, "utf8").digest();
  // 53 bits: the most a double holds exactly, so the result is uniform and never reaches 1.
  return Number(digest.readBigUInt64BE(0) >> 11n) / 2 ** 53;
}
