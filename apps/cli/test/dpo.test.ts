import { describe, expect, it } from "vitest";
import { fixture, runMain } from "./run-cli.js";

const SAMPLE = fixture("sample/llama3.1-sample.jsonl.gz");

/** The rows of a `dpo` run to stdout. */
async function pairs(...flags: string[]): Promise<Array<{ conversation_id: string; lang: string; chosen_index: number; rejected_index: number }>> {
  const run = await runMain(["dpo", SAMPLE, "--lang", "both", "--with-meta", "-o", "-", ...flags]);
  expect(run.code).toBe(0);
  return run.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as never);
}

describe("lmsynth dpo --pairs best-random", () => {
  it("pairs the best response with one that best-vs-rest keeps, the same for the same seed whatever the threads", async () => {
    const random = await pairs("--pairs", "best-random", "--seed", "3", "--threads", "1");
    expect(await pairs("--pairs", "best-random", "--seed", "3", "--threads", "2")).toEqual(random);
    const rest = await pairs("--pairs", "best-vs-rest");
    const key = (r: { conversation_id: string; lang: string; chosen_index: number; rejected_index: number }) => `${r.conversation_id}/${r.lang}/${r.chosen_index}/${r.rejected_index}`;
    const allowed = new Set(rest.map(key));
    expect(random.length).toBeGreaterThan(100);
    expect(random.filter((r) => !allowed.has(key(r)))).toEqual([]);
    // One pair per conversation and language that best-vs-rest pairs at all.
    expect(new Set(random.map((r) => `${r.conversation_id}/${r.lang}`))).toEqual(new Set(rest.map((r) => `${r.conversation_id}/${r.lang}`)));
    // Another seed, another draw (where there is a choice).
    expect((await pairs("--pairs", "best-random", "--seed", "4")).map(key)).not.toEqual(random.map(key));
  });
});
