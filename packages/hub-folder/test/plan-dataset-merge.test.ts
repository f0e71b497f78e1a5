import { describe, expect, it } from "vitest";
import { OptionError } from "@lmsynth/schema";
import { planDatasetMerge, type DatasetManifest } from "../src/index.js";

const hash = (c: string): string => c.repeat(64);
const file = (path: string, rows: number, sha: string) => ({ path, rows, bytes: rows * 10 + 1, sha256: hash(sha) });

/** A part's manifest: shard `i` of 2, sft and dpo, train and test, parquet and jsonl. */
function part(i: number, over: Partial<DatasetManifest> = {}): DatasetManifest {
  return {
    tool: "lmsynth",
    version: "0.1.0",
    command: `lmsynth build in.jsonl --shard ${i}/2 -o parts/${i}`,
    options: { format: "parquet,jsonl", seed: "7", shard: `${i}/2`, "test-size": 0.5 },
    inputs: [{ path: "in.jsonl", bytes: 99, sha256: hash("f") }],
    files: [
      // part 0: two sft/train shards; part 1: one. dpo/test is empty in both.
      ...(i === 0
        ? [file("sft/train-00000-of-00002.parquet", 3, "a"), file("sft/train-00000-of-00002.jsonl", 3, "b"), file("sft/train-00001-of-00002.parquet", 2, "c"), file("sft/train-00001-of-00002.jsonl", 2, "d")]
        : [file("sft/train-00000-of-00001.parquet", 4, "e"), file("sft/train-00000-of-00001.jsonl", 4, "1")]),
      file("sft/test-00000-of-00001.parquet", i, i === 0 ? "2" : "3"),
      file("sft/test-00000-of-00001.jsonl", i, i === 0 ? "4" : "5"),
      file("dpo/train-00000-of-00001.parquet", 1 + i, i === 0 ? "6" : "7"),
      file("dpo/train-00000-of-00001.jsonl", 1 + i, i === 0 ? "8" : "9"),
      file("dpo/test-00000-of-00001.parquet", 0, "0"),
      file("dpo/test-00000-of-00001.jsonl", 0, "a"),
      file("rejected.jsonl", 2, "r"),
      file("report.html", 0, i === 0 ? "h" : "i"),
    ].sort((x, y) => (x.path < y.path ? -1 : 1)),
    counts: {
      records: 10 + i,
      rows: { dpo: { test: 0, train: 1 + i }, sft: { test: i, train: i === 0 ? 5 : 4 } },
      funnel: { dpo: { margin: 2, ...(i === 1 ? { pii: 1 } : {}) }, sft: { pii: i } },
    },
    card: { configs: ["sft", "dpo"], formats: ["jsonl", "parquet"], splits: ["train", "test"], variant: "llama-3.1", languages: i === 0 ? ["ja"] : ["en"] },
    stats: { dataset: { records: 10 + i, hist: { "0-99": i, "100-199": 1 } }, funnel: { sft: { ja: { pii: i } } } },
    ...over,
  };
}

describe("planDatasetMerge", () => {
  it("renames shards to global indices in shard order, sums counts and stats, takes equal extras once", () => {
    const plan = planDatasetMerge([part(1), part(0)], { command: "lmsynth merge-manifests parts/1 parts/0 -o merged", generated: ["report.html"] });
    expect(plan.order).toEqual([1, 0]);
    expect(plan.copies.map((c) => [c.part, c.from, c.file.path, c.file.sha256[0]])).toEqual([
      // dpo/test has rows in no part: no file, as a single build writes none.
      [1, "dpo/train-00000-of-00001.jsonl", "dpo/train-00000-of-00002.jsonl", "8"],
      [1, "dpo/train-00000-of-00001.parquet", "dpo/train-00000-of-00002.parquet", "6"],
      [0, "dpo/train-00000-of-00001.jsonl", "dpo/train-00001-of-00002.jsonl", "9"],
      [0, "dpo/train-00000-of-00001.parquet", "dpo/train-00001-of-00002.parquet", "7"],
      [1, "rejected.jsonl", "rejected.jsonl", "r"],
      // part 0's empty sft/test shard is dropped: part 1's is the only one.
      [0, "sft/test-00000-of-00001.jsonl", "sft/test-00000-of-00001.jsonl", "5"],
      [0, "sft/test-00000-of-00001.parquet", "sft/test-00000-of-00001.parquet", "3"],
      [1, "sft/train-00000-of-00002.jsonl", "sft/train-00000-of-00003.jsonl", "b"],
      [1, "sft/train-00000-of-00002.parquet", "sft/train-00000-of-00003.parquet", "a"],
      [1, "sft/train-00001-of-00002.jsonl", "sft/train-00001-of-00003.jsonl", "d"],
      [1, "sft/train-00001-of-00002.parquet", "sft/train-00001-of-00003.parquet", "c"],
      [0, "sft/train-00000-of-00001.jsonl", "sft/train-00002-of-00003.jsonl", "1"],
      [0, "sft/train-00000-of-00001.parquet", "sft/train-00002-of-00003.parquet", "e"],
    ]);
    expect(plan.manifest).toEqual({
      tool: "lmsynth",
      version: "0.1.0",
      command: "lmsynth build in.jsonl --shard 0/2 -o parts/0\nlmsynth build in.jsonl --shard 1/2 -o parts/1\nlmsynth merge-manifests parts/1 parts/0 -o merged",
      options: { format: "parquet,jsonl", seed: "7", "test-size": 0.5 },
      inputs: [{ path: "in.jsonl", bytes: 99, sha256: hash("f") }],
      files: plan.copies.map((c) => c.file),
      counts: {
        records: 21,
        rows: { sft: { train: 9, test: 1 }, dpo: { train: 3, test: 0 } },
        funnel: { sft: { pii: 1 }, dpo: { margin: 4, pii: 1 } },
      },
      card: { configs: ["sft", "dpo"], formats: ["jsonl", "parquet"], splits: ["train", "test"], variant: "llama-3.1", languages: ["ja", "en"] },
      stats: { dataset: { records: 21, hist: { "0-99": 1, "100-199": 2 } }, funnel: { sft: { ja: { pii: 1 } } } },
    });
    // Histogram buckets keep their order (not sorted: "100-199" < "0-99" would be wrong the other way).
    expect(Object.keys((plan.manifest.stats!.dataset as { hist: object }).hist)).toEqual(["0-99", "100-199"]);
  });

  it("takes a part that received no record, whose card cannot know the variant", () => {
    const empty = part(1, { counts: { records: 0, rows: { sft: { train: 0, test: 0 }, dpo: { train: 0, test: 0 } }, funnel: {} } });
    empty.files = empty.files.filter((f) => !f.path.includes("/"));
    empty.card = { ...empty.card!, languages: [] };
    delete empty.card.variant;
    const plan = planDatasetMerge([part(0), empty], { command: "lmsynth merge-manifests", generated: ["report.html"] });
    expect(plan.manifest.card.variant).toBe("llama-3.1");
    expect(plan.manifest.files.filter((f) => f.path.startsWith("sft/train-")).map((f) => f.path)).toEqual([
      "sft/train-00000-of-00002.jsonl",
      "sft/train-00000-of-00002.parquet",
      "sft/train-00001-of-00002.jsonl",
      "sft/train-00001-of-00002.parquet",
    ]);
    // A part with records and another variant is still refused.
    const other = part(1, { card: { ...part(1).card!, variant: "gemma-2" } });
    expect(() => planDatasetMerge([part(0), other], { command: "x", generated: ["report.html"] })).toThrow("part 2 has other configs, formats, splits or variant than part 1");
  });

  it("takes a single unsharded folder as the whole", () => {
    const { shard: _, ...options } = part(0).options;
    const plan = planDatasetMerge([part(0, { options })], { command: "m" });
    expect(plan.manifest.files.map((f) => f.path)).toContain("report.html");
    expect(plan.manifest.counts.records).toBe(10);
  });

  it.each([
    ["a missing part", () => [part(0)], "shard 1/2 is missing: merge needs every part 0…1"],
    ["several missing parts, all named", () => [part(1, { options: { ...part(1).options, shard: "1/4" } })], "shards 0, 2, 3 of 4 are missing: merge needs every part 0…3"],
    ["a part given twice", () => [part(0), part(0)], "shard 0/2 is given twice (part 1, part 2)"],
    ["a shard index out of range", () => [part(0, { options: { ...part(0).options, shard: "2/2" } })], "part 1: --shard 2/2 is not a part of 2"],
    ["another shard count", () => [part(0), part(1, { options: { ...part(1).options, shard: "1/3" } })], "part 2 is shard 1/3, part 1 is of 2: parts of different --shard counts"],
    ["another option", () => [part(0), part(1, { options: { ...part(1).options, seed: "8" } })], 'part 2 was built with option seed = "8", part 1 with "7"'],
    ["other inputs", () => [part(0), part(1, { inputs: [{ path: "in.jsonl", bytes: 99, sha256: hash("e") }] })], "part 2 was built from other inputs than part 1"],
    ["another version", () => [part(0), part(1, { version: "0.2.0" })], "part 2 has version 0.2.0, part 1 0.1.0"],
    ["another variant", () => [part(0), part(1, { card: { ...part(1).card!, variant: "gemma-2" } })], "part 2 has other configs, formats, splits or variant than part 1"],
    ["no card settings", () => [part(0), part(1, { card: undefined })], "part 2: its manifest has no card settings (built by an older lmsynth): rebuild it"],
    ["stats in one part only", () => [part(0), part(1, { stats: undefined })], "part 2 and part 1: only one of them kept stats"],
    ["stats of another shape", () => [part(0), part(1, { stats: { dataset: { records: { n: 1 } } } })], "parts' stats differ in shape at dataset.records"],
    [
      "a file that differs",
      () => [part(0), part(1, { files: part(1).files.map((f) => (f.path === "rejected.jsonl" ? { ...f, sha256: hash("s") } : f)) })],
      "rejected.jsonl differs between parts (or is missing in some); it cannot be merged",
    ],
    ["a file of another part not generated here", () => [part(0), part(1)], "report.html differs between parts (or is missing in some); it cannot be merged", []],
    ["a bad shard option", () => [part(0, { options: { shard: "first" } })], 'part 1: options.shard is not i/N: "first"'],
  ] as Array<[string, () => DatasetManifest[], string, string[]?]>)("refuses %s", (_, parts, message, generated = ["report.html"]) => {
    expect(() => planDatasetMerge(parts(), { command: "m", generated })).toThrow(new OptionError(message));
  });
});
