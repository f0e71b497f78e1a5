import { appendFile, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ManifestMismatchError,
  describeInputFile,
  openDatasetFolder,
  verifyManifest,
  type DatasetManifest,
  type ManifestProblem,
} from "../src/index.js";
import { InputError } from "@lmsynth/schema";
import { duckdbRows } from "../../sinks/test/read-back.js";
import { SFT_DPO } from "./folder-configs.js";

let parent: string;
let dir: string;
let built: DatasetManifest;

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), "lmsynth-manifest-"));
  dir = join(parent, "out");
  const folder = await openDatasetFolder(dir, { configs: SFT_DPO, formats: ["parquet", "jsonl"] });
  await folder.write("sft", { conversation_id: "a", messages: [{ role: "user", content: "hi" }] });
  await folder.write("dpo", {
    conversation_id: "a",
    prompt_id: "p",
    prompt: [{ role: "user", content: "hi" }],
    chosen: [{ role: "assistant", content: "good" }],
    rejected: [{ role: "assistant", content: "bad" }],
    score_chosen: 9,
    score_rejected: 1,
  });
  built = (
    await folder.close({ tool: "lmsynth", version: "0.1.0", command: "lmsynth build", options: {}, inputs: [], records: 1, funnel: {} })
  ).manifest;
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

async function problems(): Promise<ManifestProblem[]> {
  const error = await verifyManifest(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ManifestMismatchError);
  return (error as ManifestMismatchError).problems;
}

describe("verifyManifest", () => {
  it("builds a folder whose Parquet files read back as written", async () => {
    expect(await duckdbRows(join(dir, "sft/train-00000-of-00001.parquet"))).toEqual([
      { conversation_id: "a", messages: [{ role: "user", content: "hi" }], lang: null, response_index: null, score: null },
    ]);
    expect(await duckdbRows(join(dir, "dpo/train-00000-of-00001.parquet"))).toEqual([
      {
        conversation_id: "a",
        prompt: [{ role: "user", content: "hi" }],
        chosen: [{ role: "assistant", content: "good" }],
        rejected: [{ role: "assistant", content: "bad" }],
        score_chosen: 9,
        score_rejected: 1,
        prompt_id: "p",
        lang: null,
      },
    ]);
  });

  it("returns the manifest of an untouched folder, ignoring hidden entries", async () => {
    await writeFile(join(dir, ".gitattributes"), "*.parquet filter=lfs\n");
    expect(await verifyManifest(dir)).toEqual(built);
  });

  it("reports a changed size, a changed hash, a missing and an unlisted file", async () => {
    const sft = "sft/train-00000-of-00001.jsonl";
    const dpo = "dpo/train-00000-of-00001.jsonl";
    const sftBytes = built.files.find((f) => f.path === sft)!.bytes;
    await appendFile(join(dir, sft), "x");
    const dpoText = '{"conversation_id":"b"' + "x".repeat(built.files.find((f) => f.path === dpo)!.bytes - 23) + "\n";
    await writeFile(join(dir, dpo), dpoText);
    await unlink(join(dir, "sft/train-00000-of-00001.parquet"));
    await writeFile(join(dir, "notes.txt"), "mine");
    const dpoHash = built.files.find((f) => f.path === dpo)!.sha256;
    expect(await problems()).toEqual([
      { path: "dpo/train-00000-of-00001.jsonl", problem: "sha256", expected: dpoHash, actual: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { path: "sft/train-00000-of-00001.jsonl", problem: "size", expected: String(sftBytes), actual: String(sftBytes + 1) },
      { path: "sft/train-00000-of-00001.parquet", problem: "missing" },
      { path: "notes.txt", problem: "unlisted" },
    ]);
    await expect(verifyManifest(dir)).rejects.toThrow(
      `${dir}: files do not match manifest.json: dpo/train-00000-of-00001.jsonl: sha256 (manifest ${dpoHash}, found `,
    );
  });

  it.each([
    ["missing", undefined],
    ["unparsable", "{"],
  ])("reports a %s manifest.json", async (problem, text) => {
    if (text === undefined) await unlink(join(dir, "manifest.json"));
    else await writeFile(join(dir, "manifest.json"), text);
    expect(await problems()).toEqual([{ path: "manifest.json", problem }]);
  });
});

describe("describeInputFile", () => {
  it("gives the path as given, the length and the sha256", async () => {
    const path = join(parent, "in.txt");
    await writeFile(path, "abc");
    expect(await describeInputFile(path)).toEqual({
      path,
      bytes: 3,
      sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    });
  });

  it("throws InputError io for a missing file", async () => {
    const path = join(parent, "nope");
    await expect(describeInputFile(path)).rejects.toThrow(InputError);
    await expect(describeInputFile(path)).rejects.toMatchObject({ file: path, reason: "io" });
  });
});
