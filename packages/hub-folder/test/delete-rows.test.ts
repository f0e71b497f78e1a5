import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deleteFolderRows, openDatasetFolder, splitOf, type DatasetFolderOptions, type DatasetManifest, type DatasetSummary, ManifestMismatchError } from "../src/index.js";
import { arrowRows, duckdbRows } from "../../sinks/test/read-back.js";
import { SFT_DPO } from "./folder-configs.js";

let parent: string;
beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), "lmsynth-delete-"));
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

const hex = (s: string) => createHash("sha256").update(s).digest("hex");
/** Text of varying length, so that shards and row groups cut at varied rows. */
const text = (i: number, salt: string) => `${salt} ${i} ` + "語x ".repeat(Number.parseInt(hex(`${salt}${i}`).slice(0, 4), 16) % 300);
const ids = Array.from({ length: 120 }, (_, i) => hex(String(i)).slice(0, 32));

const sftRows = ids.flatMap((id, i) =>
  (["ja", "en"] as const).map((lang, k) => ({
    conversation_id: id,
    messages: [
      { role: "user", content: text(i, `q${lang}`) },
      { role: "assistant", content: text(i * 2 + k, "a") },
    ],
    lang,
    response_index: k,
    score: 5 + (i % 5),
  })),
);
const dpoRows = ids
  .filter((_, i) => i % 3 !== 0)
  .map((id, i) => ({
    conversation_id: id,
    prompt_id: hex(text(i, "q")),
    prompt: [{ role: "user", content: text(i, "q") }],
    chosen: [{ role: "assistant", content: text(i, "c") }],
    rejected: [{ role: "assistant", content: text(i, "r") }],
    score_chosen: 9,
    score_rejected: 3.5,
    lang: "ja",
  }));

const options: DatasetFolderOptions = {
  configs: SFT_DPO,
  formats: ["parquet", "jsonl", "arrow"],
  testSize: 0.25,
  seed: 7,
  maxShardBytes: 40_000,
  maxRowGroupBytes: 9_000,
};

const summary = (deleted: Record<string, number> = {}): DatasetSummary => ({
  tool: "lmsynth",
  version: "0.1.0",
  command: "lmsynth build merged.jsonl.gz -o out",
  options: {},
  inputs: [{ path: "merged.jsonl.gz", bytes: 1234, sha256: "ab".repeat(32) }],
  records: 120,
  funnel: {
    sft: { ...(deleted.sft ? { deleted: deleted.sft } : {}), pii: 5 },
    dpo: { ...(deleted.dpo ? { deleted: deleted.dpo } : {}), margin: 40 },
  },
  variant: "llama-3.1",
});

/** Builds a folder at `dir`; rows of `withheld` conversations are withheld, as `--exclude-ids` does. */
async function build(dir: string, withheld: ReadonlySet<string> = new Set(), formats = options.formats): Promise<DatasetManifest> {
  const folder = await openDatasetFolder(dir, { ...options, ...(formats ? { formats } : {}) });
  const deleted: Record<string, number> = {};
  for (const [config, rows] of [["sft", sftRows], ["dpo", dpoRows]] as const) {
    for (const row of rows) {
      if (!withheld.has(row.conversation_id)) await folder.write(config, row);
      else {
        await folder.withhold(config, row);
        deleted[config] = (deleted[config] ?? 0) + 1;
      }
    }
  }
  await folder.writeText("report.html", "<p>report</p>\n");
  return (await folder.close(summary(deleted))).manifest;
}

/** Every file of a folder by relative path, with its bytes. */
async function contents(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = join(entry.parentPath, entry.name);
      out.set(full.slice(dir.length + 1), await readFile(full));
    }
  }
  return out;
}

/** Every file of a folder by relative path, with its sha256. */
async function digests(dir: string): Promise<Record<string, string>> {
  return Object.fromEntries([...(await contents(dir))].map(([path, bytes]) => [path, createHash("sha256").update(bytes).digest("hex")]).sort());
}

/** The manifest as `deleteIds` amends it: nothing but what the caller records. */
const keep = (m: DatasetManifest) => m;

describe("deleteFolderRows", () => {
  it("equals a build that withheld the rows, byte for byte, rewriting only the shards that held them", async () => {
    const doomed = new Set([ids[3]!, ids[4]!, ids[100]!, "not-in-the-folder"]);
    const before = await build(join(parent, "a"));
    const result = await deleteFolderRows(join(parent, "a"), doomed, { amend: keep });
    await build(join(parent, "b"), doomed);
    const [a, b] = [await contents(join(parent, "a")), await contents(join(parent, "b"))];
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [path, bytes] of a) expect(bytes.equals(b.get(path)!), path).toBe(true);

    // ids 3 and 4 (2 SFT rows each, one DPO row for 4) and 100 (2 SFT rows, one DPO row).
    expect(result.rows).toEqual({ sft: 6, dpo: 2 });
    expect(result.found).toBe(3);
    const changedShards = result.changed.filter((p) => p.includes("/"));
    const shardsOf = (m: DatasetManifest) => new Set(m.files.filter((f) => f.path.includes("/")).map((f) => f.path.replace(/\.\w+$/, "")));
    // Fewer shards rewritten than there are; all formats of a rewritten shard change together.
    expect(new Set(changedShards.map((p) => p.replace(/\.\w+$/, ""))).size).toBeLessThan(shardsOf(before).size);
    expect(changedShards.length % 3).toBe(0);
    expect(result.changed).toContain("manifest.json");
    expect(result.removed).toEqual([]);

    // The ids are in no file, whichever reader looks.
    for (const [path, bytes] of a) {
      if (path.endsWith(".jsonl") || path.endsWith(".json") || path.endsWith(".md")) for (const id of doomed) expect(bytes.includes(id), path).toBe(false);
      if (path.endsWith(".parquet")) expect((await duckdbRows(join(parent, "a", path))).filter((r) => doomed.has(r.conversation_id as string))).toEqual([]);
      if (path.endsWith(".arrow")) expect((await arrowRows(join(parent, "a", path))).filter((r) => doomed.has(r.conversation_id as string))).toEqual([]);
    }
    const manifest = JSON.parse(await readFile(join(parent, "a", "manifest.json"), "utf8")) as DatasetManifest;
    expect(manifest.counts.funnel).toEqual({ sft: { deleted: 6, pii: 5 }, dpo: { deleted: 2, margin: 40 } });
    expect(manifest.counts.languages).toEqual({ sft: { ja: 117, en: 117 }, dpo: { ja: 78 } });
  });

  it.each([[["parquet"]], [["arrow"]], [["arrow", "parquet"]]] as const)("reads the rows back from %j as exactly as from JSONL", async (formats) => {
    const doomed = new Set([ids[7]!, ids[8]!, ids[50]!]);
    await build(join(parent, "a"), new Set(), [...formats]);
    await deleteFolderRows(join(parent, "a"), doomed, { amend: keep });
    await build(join(parent, "b"), doomed, [...formats]);
    expect(await digests(join(parent, "a"))).toEqual(await digests(join(parent, "b")));
  });

  it("removes the files of a split left without rows, as a fresh build writes none", async () => {
    const testIds = new Set(ids.filter((id) => splitOf(id, 0.25, 7) === "test"));
    await build(join(parent, "a"));
    const result = await deleteFolderRows(join(parent, "a"), testIds, { amend: keep });
    await build(join(parent, "b"), testIds);
    expect(result.removed.length).toBeGreaterThan(0);
    expect(result.removed.every((p) => /^(sft|dpo)\/test-/.test(p))).toBe(true);
    expect(await digests(join(parent, "a"))).toEqual(await digests(join(parent, "b")));
  });

  it("changes nothing when the caller says the list was applied, and leaves no temporary folder", async () => {
    await build(join(parent, "a"));
    const files = await digests(join(parent, "a"));
    const result = await deleteFolderRows(join(parent, "a"), new Set([ids[3]!]), { amend: () => undefined });
    expect(result).toMatchObject({ changed: [], removed: [], rows: {}, found: 0 });
    expect(await digests(join(parent, "a"))).toEqual(files);
    expect(await readdir(parent)).toEqual(["a"]);
  });

  it("refuses a folder that does not match its manifest, and changes nothing", async () => {
    await build(join(parent, "a"));
    await writeFile(join(parent, "a", "report.html"), "edited\n");
    const error = await deleteFolderRows(join(parent, "a"), new Set([ids[3]!]), { amend: keep }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestMismatchError);
    expect(await readFile(join(parent, "a", "report.html"), "utf8")).toBe("edited\n");
  });

  it("drops a middle shard left without rows and names the rest of its split again, as a fresh build does", async () => {
    const before = await build(join(parent, "a"));
    const trainShards = before.files.filter((f) => /^sft\/train-\d{5}-of-\d{5}\.parquet$/.test(f.path)).map((f) => f.path);
    expect(trainShards.length).toBeGreaterThanOrEqual(3);
    // Every conversation with a row in the second train shard.
    const middle = await duckdbRows(join(parent, "a", trainShards[1]!));
    const doomed = new Set(middle.map((r) => r.conversation_id as string));
    const result = await deleteFolderRows(join(parent, "a"), doomed, { amend: keep });
    await build(join(parent, "b"), doomed);
    expect(await digests(join(parent, "a"))).toEqual(await digests(join(parent, "b")));

    const after = JSON.parse(await readFile(join(parent, "a", "manifest.json"), "utf8")) as DatasetManifest;
    const n = String(trainShards.length - 1).padStart(5, "0");
    const afterShards = after.files.filter((f) => /^sft\/train-.*\.parquet$/.test(f.path));
    expect(afterShards.map((f) => f.path)).toEqual(Array.from({ length: trainShards.length - 1 }, (_, j) => `sft/train-${String(j).padStart(5, "0")}-of-${n}.parquet`));
    expect(afterShards.every((f) => f.rows > 0)).toBe(true);
    // Every name of the split changed with its count; the old names are what a Hub commit deletes.
    expect(result.removed).toEqual(expect.arrayContaining(trainShards));
  });

  it("refuses a manifest whose card settings leave out a config that has shards, and changes nothing", async () => {
    await build(join(parent, "a"));
    const path = join(parent, "a", "manifest.json");
    const manifest = JSON.parse(await readFile(path, "utf8")) as DatasetManifest;
    await writeFile(path, JSON.stringify({ ...manifest, card: { ...manifest.card, configs: ["sft"] } }));
    const files = await digests(join(parent, "a"));
    const error = await deleteFolderRows(join(parent, "a"), new Set([ids[4]!]), { amend: keep }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestMismatchError);
    expect((error as ManifestMismatchError).problems.map((p) => p.problem)).toEqual(expect.arrayContaining(["undeclared"]));
    expect((error as Error).message).toBe(
      `${join(parent, "a")}: files do not match manifest.json: dpo/test-00000-of-00002.arrow: a shard of a config, split or format that the manifest's card settings do not declare and 17 more`,
    );
    expect(await digests(join(parent, "a"))).toEqual(files);
  });
});
