import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { splitFraction, splitOf } from "../src/index.js";

describe("splitFraction", () => {
  it.each<[string, number | string, number]>([
    // sha256("0\0a") begins 5f1aa0c8dad9dc73; its top 53 bits / 2^53
    ["a", 0, 0.3715000620239616],
    ["a", 1, 0.014302931499378002],
    ["33f01939a744455c869cb234afca47f1", 0, 0.9409683298085844],
    ["33f01939a744455c869cb234afca47f1", "42", 0.17161726753365025],
  ])("%s with seed %s is %d", (id, seed, fraction) => {
    expect(splitFraction(id, seed)).toBe(fraction);
  });

  it("is the top 53 bits of sha256(seed NUL id)", () => {
    const top = createHash("sha256").update("7\0xyz").digest("hex").slice(0, 14);
    // 14 hex digits = 56 bits; drop 3 to keep 53 (BigInt: 56 bits do not fit a double exactly)
    expect(splitFraction("xyz", 7)).toBe(Number(BigInt(`0x${top}`) >> 3n) / 2 ** 53);
  });
});

describe("splitOf", () => {
  it.each<[number, string, string]>([
    [0, "a", "train"],
    [1, "33f01939a744455c869cb234afca47f1", "test"],
    [0.38, "a", "test"],
    [0.37, "a", "train"],
  ])("testSize %d puts %s in %s (seed 0)", (testSize, id, split) => {
    expect(splitOf(id, testSize, 0)).toBe(split);
  });

  it("sends close to testSize of many ids to test, and a different seed gives a different partition", () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `conversation-${i}`);
    const test0 = ids.filter((id) => splitOf(id, 0.2, 0) === "test");
    const test1 = ids.filter((id) => splitOf(id, 0.2, 1) === "test");
    expect(test0.length / ids.length).toBeGreaterThan(0.19);
    expect(test0.length / ids.length).toBeLessThan(0.21);
    const overlap = test0.filter((id) => test1.includes(id)).length;
    // independent partitions share about 0.2 × 0.2 of the ids
    expect(overlap / ids.length).toBeGreaterThan(0.03);
    expect(overlap / ids.length).toBeLessThan(0.05);
  });
});
