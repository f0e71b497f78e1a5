import { describe, expect, it } from "vitest";
import { inOrder } from "../src/in-order.js";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function collect<R>(results: AsyncIterable<R>): Promise<{ got: R[]; error?: unknown }> {
  const got: R[] = [];
  try {
    for await (const r of results) got.push(r);
  } catch (error) {
    return { got, error };
  }
  return { got };
}

describe("inOrder", () => {
  it("yields in the items' order when later work ends first, with at most `depth` started ahead", async () => {
    let running = 0;
    let most = 0;
    const start = async (n: number) => {
      most = Math.max(most, ++running);
      await delay((5 - n) * 3);
      running--;
      return n * 10;
    };
    // `running` counts work not yet done; what is done but not yet yielded is bounded by the same depth.
    expect(await collect(inOrder([0, 1, 2, 3, 4], start, 3))).toEqual({ got: [0, 10, 20, 30, 40] });
    expect(most).toBe(3);
  });

  it("delivers what was started before the source failed, then throws the source's error", async () => {
    async function* items() {
      yield 1;
      yield 2;
      throw new Error("source broke");
    }
    const { got, error } = await collect(inOrder(items(), async (n) => n, 4));
    expect(got).toEqual([1, 2]);
    expect((error as Error).message).toBe("source broke");
  });

  it("throws a rejected result in its place: nothing after it is yielded", async () => {
    const start = async (n: number) => {
      if (n === 2) throw new Error("work 2 failed");
      return n;
    };
    const { got, error } = await collect(inOrder([1, 2, 3, 4], start, 4));
    expect(got).toEqual([1]);
    expect((error as Error).message).toBe("work 2 failed");
  });

  it("closes the source when the caller stops early", async () => {
    let closed = false;
    async function* items() {
      try {
        for (let n = 0; ; n++) yield n;
      } finally {
        closed = true;
      }
    }
    const got: number[] = [];
    for await (const r of inOrder(items(), async (n) => n, 2)) {
      got.push(r);
      if (r === 3) break;
    }
    expect(got).toEqual([0, 1, 2, 3]);
    expect(closed).toBe(true);
  });
});
