import { createHash } from "node:crypto";
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OptionError, type DpoRow, type SftRow } from "@lmsynth/schema";
import { ManifestMismatchError, mergeDatasetFolders, openDatasetFolder, verifyManifest, type DatasetFolderOptions, type DatasetSummary } from "../src/index.js";
import { duckdbRows, listedInCard } from "../../sinks/test/read-back.js";
import { SFT_DPO } from "./folder-configs.js";

let parent: string;
beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), "lmsynth-merge-"));
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

const md5 = (s: string): string => createHash("md5").update(s).digest("hex");
const ids = Array.from({ length: 120 }, (_, i) => md5(String(i)));
/** The part of 3 an id belongs to, standing for `--shard`'s hash. */
const partOf = (id: string): number => Number.parseInt(id.slice(0, 2), 16) % 3;

const sftRows: SftRow[] = ids.flatMap((id, i) =>
  (["ja", "en"] as const).map((lang) => ({
    conversation_id: id,
    messages: [
      { role: "user", content: `q${i} ` + "x".repeat((i * 37) % 500) },
      { role: "assistant", content: `a${i} ${lang}` },
    ],
    lang,
    response_index: 0,
    score: 7,
  })),
);
const dpoRows: DpoRow[] = ids
  .filter((_, i) => i % 3 !== 0)
  .map((id, i) => ({
    conversation_id: id,
    prompt_id: md5(`p${i}`).repeat(2),
    prompt: [{ role: "user", content: `q${i}` }],
    chosen: [{ role: "assistant", content: `c${i}` }],
    rejected: [{ role: "assistant", content: `r${i}` }],
    score_chosen: 9,
    score_rejected: 2,
    lang: "ja" as const,
  }));

const options: DatasetFolderOptions = { configs: SFT_DPO, formats: ["parquet", "jsonl"], testSize: 0.3, seed: 7, maxShardBytes: 6_000 };

/** Builds the rows of part `k` of 3 (all rows when undefined) with the summary such a build records. */
async function build(dir: string, k: number | undefined) {
  const keep = (id: string) => k === undefined || partOf(id) === k;
  const folder = await openDatasetFolder(dir, options);
  const rejected = await folder.openJsonl("rejected.jsonl");
  await rejected.write({ file: "in.jsonl", line: 7 });
  for (const row of sftRows) if (keep(row.conversation_id)) await folder.write("sft", row);
  for (const row of dpoRows) if (keep(row.conversation_id)) await folder.write("dpo", row);
  const records = ids.filter(keep).length;
  await folder.writeText("report.html", `records ${records}`);
  const summary: DatasetSummary = {
    tool: "lmsynth",
    version: "0.1.0",
    command: `lmsynth build in.jsonl${k === undefined ? "" : ` --shard ${k}/3`} -o ${dir}`,
    options: { seed: 7, ...(k === undefined ? {} : { shard: `${k}/3` }) },
    inputs: [{ path: "in.jsonl", bytes: 1, sha256: "ab".repeat(32) }],
    records,
    funnel: { sft: { pii: k ?? 3 }, dpo: k === undefined ? { margin: 6, pii: 3 } : { margin: 2, pii: k } },
    variant: "llama-3.1",
    languages: ["ja", "en"],
    stats: { records, byLang: { ja: records, en: 2 * records } },
  };
  return folder.close(summary);
}

const dataFiles = (paths: string[]) => paths.filter((p) => /^(sft|dpo)\//.test(p));


describe("mergeDatasetFolders", () => {
  it("merges --shard parts into the folder one build writes, but for the shard layout and the command", async () => {
    const whole = await build(join(parent, "whole"), undefined);
    const parts = [2, 0, 1].map((k) => join(parent, `part${k}`));
    for (const [i, k] of [2, 0, 1].entries()) await build(parts[i]!, k);
    const merged = await mergeDatasetFolders(parts, join(parent, "merged"), {
      command: "lmsynth merge-manifests part2 part0 part1 -o merged",
      texts: { "report.html": (m) => `records ${m.counts.records}` },
    });
    expect(merged.dir).toBe(join(parent, "merged"));
    expect(await verifyManifest(merged.dir)).toEqual(merged.manifest);
    for (const part of parts) await verifyManifest(part);
    expect((await readdir(parent)).sort()).toEqual(["merged", "part0", "part1", "part2", "whole"]);

    const { manifest } = merged;
    expect(manifest.counts).toEqual(whole.manifest.counts);
    expect(manifest.options).toEqual(whole.manifest.options);
    expect(manifest.card).toEqual(whole.manifest.card);
    expect(manifest.stats).toEqual(whole.manifest.stats);
    expect(manifest.command).toBe(
      [0, 1, 2].map((k) => `lmsynth build in.jsonl --shard ${k}/3 -o ${join(parent, `part${k}`)}`).join("\n") + "\nlmsynth merge-manifests part2 part0 part1 -o merged",
    );
    expect(await readFile(join(merged.dir, "report.html"), "utf8")).toBe(await readFile(join(whole.dir, "report.html"), "utf8"));
    expect(await readFile(join(merged.dir, "rejected.jsonl"), "utf8")).toBe('{"file":"in.jsonl","line":7}\n');

    // Rows: per config and split, the merged shards in order hold part 0's rows, then 1's, then 2's.
    const paths = dataFiles(manifest.files.map((f) => f.path));
    for (const series of ["sft/train", "sft/test", "dpo/train", "dpo/test"]) {
      const ofSeries = (list: string[], ext: string) => list.filter((p) => p.startsWith(`${series}-`) && p.endsWith(ext));
      const rowsOf = async (dir: string, list: string[]) => (await Promise.all(ofSeries(list, ".parquet").map((p) => duckdbRows(join(dir, p))))).flat();
      const mergedRows = await rowsOf(merged.dir, paths);
      const wholeRows = await rowsOf(whole.dir, dataFiles(whole.manifest.files.map((f) => f.path)));
      const byPart = [0, 1, 2].flatMap((k) => wholeRows.filter((r) => partOf(r.conversation_id as string) === k));
      expect(mergedRows, series).toEqual(byPart);
      const jsonl = (await Promise.all(ofSeries(paths, ".jsonl").map((p) => readFile(join(merged.dir, p), "utf8")))).join("");
      expect(jsonl.split("\n").filter(Boolean).map((l) => JSON.parse(l))).toEqual(byPart);
      const n = ofSeries(paths, ".parquet").length;
      expect(ofSeries(paths, ".parquet")).toEqual(Array.from({ length: n }, (_, j) => `${series}-${String(j).padStart(5, "0")}-of-${String(n).padStart(5, "0")}.parquet`));
    }
    expect(paths.filter((p) => p.startsWith("sft/train-")).length).toBeGreaterThan(6);

    // The card: every Parquet file listed exactly once, and the same text as the whole's up to its file lists.
    const card = await readFile(join(merged.dir, "README.md"), "utf8");
    expect([...listedInCard(card).values()].flat().sort()).toEqual(paths.filter((p) => p.endsWith(".parquet")));
    const wholeCard = await readFile(join(whole.dir, "README.md"), "utf8");
    const until = (text: string, marker: string) => text.slice(0, text.indexOf(marker));
    expect(until(card, "configs:")).toBe(until(wholeCard, "configs:"));
    const section = (text: string) => text.slice(text.indexOf("## Counts"), text.indexOf("## Files"));
    expect(section(card)).toBe(section(wholeCard));
  });

  it("refuses a part that does not match its manifest, and leaves nothing behind", async () => {
    const parts = [0, 1, 2].map((k) => join(parent, `part${k}`));
    for (const [k, dir] of parts.entries()) await build(dir, k);
    await appendFile(join(parts[1]!, "rejected.jsonl"), "x");
    await expect(mergeDatasetFolders(parts, join(parent, "merged"), { command: "m" })).rejects.toThrow(ManifestMismatchError);
    expect((await readdir(parent)).sort()).toEqual(["part0", "part1", "part2"]);
  });

  it("refuses an existing folder unless overwrite, and parts that do not belong together", async () => {
    const parts = [0, 1, 2].map((k) => join(parent, `part${k}`));
    for (const [k, dir] of parts.entries()) await build(dir, k);
    const texts = { "report.html": () => "r" };
    await mkdir(join(parent, "merged"));
    await expect(mergeDatasetFolders(parts, join(parent, "merged"), { command: "m", texts })).rejects.toThrow(
      new OptionError(`output folder already exists: ${join(parent, "merged")}`),
    );
    const { manifest } = await mergeDatasetFolders(parts, join(parent, "merged"), { command: "m", texts, overwrite: true });
    expect(manifest.counts.records).toBe(120);
    await expect(mergeDatasetFolders(parts.slice(1), join(parent, "other"), { command: "m", texts })).rejects.toThrow(
      new OptionError("shard 0/3 is missing: merge needs every part 0…2"),
    );
    expect((await readdir(parent)).sort()).toEqual(["merged", "part0", "part1", "part2"]);
  });
});
