import { hashFraction } from "@lmsynth/schema";

/** A dataset split name (no `-`: the Hub's file pattern `{split}-{i}-of-{n}` splits on it). */
export type SplitName = "train" | "test";

/**
 * The uniform number in [0, 1) that decides a conversation's split: the first 53 bits of
 * sha256(`${seed}\0${conversationId}`). Depends on nothing but its arguments, so every process, shard and
 * output (SFT, DPO) agrees.
 */
export function splitFraction(conversationId: string, seed: number | string): number {
  return hashFraction(conversationId, seed);
}

/**
 * The split of a conversation (behaviour.md §6 `--test-size F --seed S`): `test` when
 * {@link splitFraction} < `testSize`, else `train`. `testSize` 0 puts everything in `train`, 1 in `test`.
 * Stable under any input order or sharding; SFT and DPO rows of one conversation always agree.
 */
export function splitOf(conversationId: string, testSize: number, seed: number | string): SplitName {
  if (testSize <= 0) return "train";
  return splitFraction(conversationId, seed) < testSize ? "test" : "train";
}
