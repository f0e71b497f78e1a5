import { describe, expect, it } from "vitest";
import { parseManifest } from "../src/index.js";

const SHA = "a".repeat(64);
const valid = {
  tool: "lmsynth",
  version: "0.1.0",
  command: "lmsynth build x -o y",
  options: { lang: "ja" },
  inputs: [{ path: "x.jsonl", bytes: 10, sha256: SHA }],
  files: [{ path: "sft/train-00000-of-00001.parquet", rows: 3, bytes: 100, sha256: SHA }],
  counts: { records: 4, rows: { sft: { train: 3 } }, funnel: { sft: { margin: 1 } } },
  card: { configs: ["sft"], formats: ["parquet"], splits: ["train"], languages: ["ja"] },
  future: "a newer lmsynth's field",
};

describe("parseManifest", () => {
  it("takes a manifest, keeping fields it does not know", () => {
    expect(parseManifest(JSON.stringify(valid))).toEqual(valid);
  });

  it.each<[string, unknown, string]>([
    ["a file without its hash", { ...valid, files: [{ path: "a", rows: 1, bytes: 1 }] }, "files.0.sha256: Invalid input: expected string, received undefined"],
    ["a hash in capitals", { ...valid, files: [{ path: "a", rows: 1, bytes: 1, sha256: SHA.toUpperCase() }] }, "files.0.sha256: expected 64 lowercase hex digits (sha256)"],
    ["a negative count", { ...valid, counts: { ...valid.counts, records: -1 } }, "counts.records: Too small: expected number to be >=0"],
    ["a format lmsynth does not write", { ...valid, card: { ...valid.card, formats: ["csv"] } }, 'card.formats.0: Invalid option: expected one of "parquet"|"jsonl"|"arrow"'],
    ["no files list", { ...valid, files: undefined }, "files: Invalid input: expected array, received undefined"],
    ["an array", [], "the manifest: Invalid input: expected object, received array"],
  ])("refuses %s, naming the field", (_name, manifest, message) => {
    expect(() => parseManifest(JSON.stringify(manifest))).toThrow(new Error(message));
  });
});
