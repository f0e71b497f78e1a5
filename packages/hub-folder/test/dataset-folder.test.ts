import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DpoRow, SftRow } from "@lmsynth/schema";
import { OptionError } from "@lmsynth/schema";
import { openDatasetFolder, ResumeMismatchError, splitOf, type DatasetFolderOptions, type DatasetSummary } from "../src/index.js";
import { measureRow } from "@lmsynth/sinks";
import { arrowRows, duckdbMetadata, duckdbRows, listedInCard } from "../../sinks/test/read-back.js";
import { SFT, SFT_DPO } from "./folder-configs.js";
import { dpoLayout, sftLayout } from "@lmsynth/schema";

let parent: string;
beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), "lmsynth-folder-"));
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

/** Deterministic pseudo-random text of varying length, so shards and row groups cut at varied rows. */
function text(i: number, salt: string): string {
  const n = Number.parseInt(createHash("sha256").update(`${salt}${i}`).digest("hex").slice(0, 4), 16) % 400;
  return `${salt} ${i} ` + "語x ".repeat(n);
}

const ids = Array.from({ length: 150 }, (_, i) => createHash("md5").update(String(i)).digest("hex"));

const sftRows: SftRow[] = ids.flatMap((id, i) =>
  [0, 1].map((k) => ({
    conversation_id: id,
    messages: [
      { role: "user", content: text(i, "q") },
      { role: "assistant", content: text(i * 2 + k, "a") },
    ],
    lang: k === 0 ? ("ja" as const) : ("en" as const),
    ...(i % 10 === 0 ? {} : { response_index: k, score: 5 + (i % 5) }),
  })),
);

const dpoRows: DpoRow[] = ids
  .filter((_, i) => i % 3 !== 0)
  .map((id, i) => ({
    conversation_id: id,
    prompt_id: createHash("sha256").update(text(i, "q")).digest("hex"),
    prompt: [{ role: "user", content: text(i, "q") }],
    chosen: [{ role: "assistant", content: text(i, "c") }],
    rejected: [{ role: "assistant", content: text(i, "r") }],
    score_chosen: 9,
    score_rejected: 3.5,
    lang: "ja" as const,
    chosen_index: 0,
    rejected_index: 4,
  }));

/** The first SFT row as read back: exactly the SFT columns, absent meta as null. */
const firstSft = { ...sftRows[0]!, response_index: null, score: null };

const summary: DatasetSummary = {
  tool: "lmsynth",
  version: "0.1.0",
  command: "lmsynth build merged.jsonl.gz -o out --test-size 0.25 --seed 7 --format parquet,jsonl,arrow",
  options: { testSize: 0.25, seed: 7, format: ["parquet", "jsonl", "arrow"], compression: "zstd" },
  inputs: [{ path: "merged.jsonl.gz", bytes: 1234, sha256: "ab".repeat(32) }],
  records: 150,
  funnel: { sft: { "no-candidates": 2, pii: 5 }, dpo: { margin: 40, "too-few-candidates": 10 } },
  variant: "llama-3.1",
};

const options: DatasetFolderOptions = {
  configs: SFT_DPO,
  formats: ["parquet", "jsonl", "arrow"],
  testSize: 0.25,
  seed: 7,
  maxShardBytes: 40_000,
  maxRowGroupBytes: 8_000,
};

async function build(dir: string, opts: DatasetFolderOptions = options) {
  const folder = await openDatasetFolder(dir, opts);
  for (const row of sftRows) await folder.write("sft", row);
  for (const row of dpoRows) await folder.write("dpo", row);
  return folder.close(summary);
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

const project = (columns: { name: string }[], row: object) =>
  Object.fromEntries(columns.map(({ name }) => [name, (row as Record<string, unknown>)[name] ?? null]));

describe("openDatasetFolder", () => {
  it("lays out sharded configs and splits in every format, each reading back as the rows written", async () => {
    const dir = join(parent, "out");
    const { manifest } = await build(dir);
    const files = await listTree(dir);
    expect(files).toContain("README.md");
    expect(files).toContain("manifest.json");
    const data = files.filter((f) => f !== "README.md" && f !== "manifest.json");
    expect(manifest.files.map((f) => f.path)).toEqual(data);
    expect(await readdir(parent)).toEqual(["out"]);

    for (const [config, rows, columns] of [
      ["sft", sftRows, sftLayout().columns],
      ["dpo", dpoRows, dpoLayout().columns],
    ] as const) {
      for (const split of ["train", "test"] as const) {
        const expected = rows.filter((r) => splitOf(r.conversation_id, 0.25, 7) === split).map((r) => project(columns, r));
        const parquet = data.filter((f) => f.startsWith(`${config}/${split}-`) && f.endsWith(".parquet"));
        const n = parquet.length;
        expect(parquet).toEqual(
          Array.from({ length: n }, (_, i) => `${config}/${split}-${String(i).padStart(5, "0")}-of-${String(n).padStart(5, "0")}.parquet`),
        );
        if (config === "sft" && split === "train") expect(n).toBeGreaterThan(3);
        const read = { parquet: [] as unknown[], jsonl: [] as unknown[], arrow: [] as unknown[] };
        for (const path of parquet) {
          const shardRows = await duckdbRows(join(dir, path));
          // shard limit: the measured bytes of a shard's rows stay within maxShardBytes
          const bytes = shardRows.reduce<number>((sum, row, i) => sum + measureRow(columns, row, i), 0);
          expect(bytes).toBeLessThanOrEqual(options.maxShardBytes!);
          // row-group limit: the measured bytes of each row group's rows stay within maxRowGroupBytes
          const groupRows = new Map<number, number>();
          for (const c of await duckdbMetadata(join(dir, path))) groupRows.set(c.row_group_id, Number(c.row_group_num_rows));
          let start = 0;
          for (const count of groupRows.values()) {
            const group = shardRows.slice(start, start + count);
            expect(group.reduce<number>((sum, row, i) => sum + measureRow(columns, row, i), 0)).toBeLessThanOrEqual(options.maxRowGroupBytes!);
            start += count;
          }
          expect(start).toBe(shardRows.length);
          read.parquet.push(...shardRows);
          const jsonl = await readFile(join(dir, path.replace(/parquet$/, "jsonl")), "utf8");
          read.jsonl.push(...jsonl.split("\n").filter(Boolean).map((line) => JSON.parse(line)));
          read.arrow.push(...(await arrowRows(join(dir, path.replace(/parquet$/, "arrow")))));
        }
        expect(read.parquet).toEqual(expected);
        expect(read.jsonl).toEqual(expected);
        expect(read.arrow).toEqual(expected);
        expect(manifest.counts.rows[config]![split]).toBe(expected.length);
      }
    }
  });

  it("keeps every conversation in one split across SFT and DPO", async () => {
    const dir = join(parent, "out");
    await build(dir, { ...options, formats: ["jsonl"] });
    const splitOfId = new Map<string, string>();
    for (const path of await listTree(dir)) {
      const match = /^(sft|dpo)\/(train|test)-/.exec(path);
      if (!match) continue;
      for (const line of (await readFile(join(dir, path), "utf8")).split("\n").filter(Boolean)) {
        const id = (JSON.parse(line) as { conversation_id: string }).conversation_id;
        expect(splitOfId.get(id) ?? match[2]).toBe(match[2]);
        splitOfId.set(id, match[2]!);
      }
    }
    expect(new Set(splitOfId.values())).toEqual(new Set(["train", "test"]));
  });

  it("writes a manifest whose files match the bytes on disk, and deterministic output", async () => {
    const a = await build(join(parent, "a"));
    const b = await build(join(parent, "b"));
    const treeA = await listTree(join(parent, "a"));
    expect(await listTree(join(parent, "b"))).toEqual(treeA);
    for (const path of treeA) {
      const [bytesA, bytesB] = [await readFile(join(parent, "a", path)), await readFile(join(parent, "b", path))];
      expect(bytesB.equals(bytesA), path).toBe(true);
    }
    // and the Parquet files read back as their JSONL twins
    for (const path of treeA.filter((p) => p.endsWith(".parquet"))) {
      const jsonl = await readFile(join(parent, "a", path.replace(/parquet$/, "jsonl")), "utf8");
      expect(await duckdbRows(join(parent, "a", path)), path).toEqual(jsonl.split("\n").filter(Boolean).map((l) => JSON.parse(l)));
    }
    for (const file of a.manifest.files) {
      const bytes = await readFile(join(parent, "a", file.path));
      expect(file.bytes).toBe(bytes.byteLength);
      expect(file.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    }
    expect(b.manifest).toEqual(a.manifest);
    const text = await readFile(join(parent, "a", "manifest.json"), "utf8");
    expect(JSON.parse(text)).toEqual(a.manifest);
    expect(text.slice(0, text.indexOf('"inputs"'))).toBe(
      '{\n  "tool": "lmsynth",\n  "version": "0.1.0",\n' +
        '  "command": "lmsynth build merged.jsonl.gz -o out --test-size 0.25 --seed 7 --format parquet,jsonl,arrow",\n' +
        '  "options": {\n    "compression": "zstd",\n    "format": [\n      "parquet",\n      "jsonl",\n      "arrow"\n    ],\n' +
        '    "seed": 7,\n    "testSize": 0.25\n  },\n  ',
    );
    expect(Object.keys(a.manifest)).toEqual(["tool", "version", "command", "options", "inputs", "files", "counts", "card", "shards"]);
    expect(a.manifest.card).toEqual({
      configs: ["sft", "dpo"],
      columns: { sft: sftLayout().columns, dpo: dpoLayout().columns },
      formats: ["parquet", "jsonl", "arrow"],
      splits: ["train", "test"],
      languages: ["ja", "en"],
      variant: "llama-3.1",
    });
    // The card settings in their declared order, columns after configs (what merge-manifests renders from).
    expect(Object.keys(JSON.parse(text).card)).toEqual(["configs", "columns", "formats", "splits", "variant", "languages"]);
    expect(text.endsWith('    "languages": [\n      "ja",\n      "en"\n    ]\n  },\n  "shards": {\n    "compression": "zstd",\n    "maxRowGroupBytes": 8000\n  }\n}\n')).toBe(true);
    expect(JSON.parse(text).options).toEqual({ compression: "zstd", format: ["parquet", "jsonl", "arrow"], seed: 7, testSize: 0.25 });
    expect(a.manifest.counts).toEqual({
      records: 150,
      rows: {
        sft: { train: a.manifest.counts.rows.sft!.train, test: 300 - a.manifest.counts.rows.sft!.train! },
        dpo: { train: a.manifest.counts.rows.dpo!.train, test: 100 - a.manifest.counts.rows.dpo!.train! },
      },
      funnel: summary.funnel,
      languages: { sft: { ja: 150, en: 150 }, dpo: { ja: 100 } },
    });
  });

  it("writes a card that declares the Parquet configs only, listing exactly their data files", async () => {
    const dir = join(parent, "out");
    const { manifest } = await build(dir);
    const card = await readFile(join(dir, "README.md"), "utf8");
    const yaml = card.split("---\n")[1]!;
    const listed = listedInCard(card);
    const present = (cfg: string, spl: string, ext: string) =>
      manifest.files.map((f) => f.path).filter((p) => p.startsWith(`${cfg}/${spl}-`) && p.endsWith(ext));
    // `datasets` infers one builder per repository: the JSONL and Arrow twins are described, not declared.
    expect([...listed.keys()]).toEqual(["sft/train", "sft/test", "dpo/train", "dpo/test"]);
    for (const [key, paths] of listed) {
      const [cfg, spl] = key.split("/") as [string, string];
      expect(paths).toEqual(present(cfg, spl, ".parquet"));
    }
    expect([...listed.values()].flat().sort()).toEqual(manifest.files.map((f) => f.path).filter((p) => p.endsWith(".parquet")));
    expect(card).toContain('sft = load_dataset("json", data_dir="<folder>", data_files={"train": "sft/train-*.jsonl", "test": "sft/test-*.jsonl"})');
    expect(card).toContain('dpo = load_dataset("arrow", data_dir="<folder>", data_files={"train": "dpo/train-*.arrow", "test": "dpo/test-*.arrow"})');
    expect(yaml).toContain("dataset_info:\n- config_name: sft\n  features:\n  - name: conversation_id\n    dtype: string\n  - name: messages\n    list:\n");
    expect(yaml).toContain("- config_name: sft\n  default: true\n  data_files:\n");
    expect(yaml).toContain("language:\n- ja\n- en\n");
    expect(card).toContain("```sh\nlmsynth build merged.jsonl.gz -o out --test-size 0.25 --seed 7 --format parquet,jsonl,arrow\n```");
  });

  it("writes no file for a config or split without rows, leaves it out of the card, and only train without testSize", async () => {
    const dir = join(parent, "out");
    const folder = await openDatasetFolder(dir, { configs: SFT_DPO });
    await folder.write("sft", sftRows[0]!);
    const { manifest } = await folder.close(summary);
    expect(manifest.files.map((f) => [f.path, f.rows])).toEqual([["sft/train-00000-of-00001.parquet", 1]]);
    expect(await duckdbRows(join(dir, "sft/train-00000-of-00001.parquet"))).toEqual([firstSft]);
    expect(manifest.counts.rows).toEqual({ sft: { train: 1 }, dpo: { train: 0 } });
    const card = await readFile(join(dir, "README.md"), "utf8");
    expect([...listedInCard(card).keys()]).toEqual(["sft/train"]);
    expect(card).toContain("Left out of the configs above because they have no rows: `dpo`.");
  });

  it("lists an extra JSONL file (rejected rows) in the manifest", async () => {
    const dir = join(parent, "out");
    const folder = await openDatasetFolder(dir, { configs: { sft: SFT } });
    const rejected = await folder.openJsonl<{ file: string; line: number }>("rejected.jsonl");
    await rejected.write({ file: "in.jsonl", line: 3 });
    await folder.write("sft", sftRows[0]!);
    const { manifest } = await folder.close(summary);
    expect(manifest.files.map((f) => [f.path, f.rows])).toEqual([
      ["rejected.jsonl", 1],
      ["sft/train-00000-of-00001.parquet", 1],
    ]);
    expect(await readFile(join(dir, "rejected.jsonl"), "utf8")).toBe('{"file":"in.jsonl","line":3}\n');
    expect(await duckdbRows(join(dir, "sft/train-00000-of-00001.parquet"))).toEqual([firstSft]);
    await expect(folder.write("sft", sftRows[0]!)).rejects.toThrow(OptionError);
  });

  it("refuses an existing folder unless overwrite, then replaces it whole", async () => {
    const dir = join(parent, "out");
    await mkdir(dir);
    await writeFile(join(dir, "stale.txt"), "old");
    await expect(openDatasetFolder(dir, { configs: SFT_DPO })).rejects.toThrow(new OptionError(`output folder already exists: ${dir}`));
    const folder = await openDatasetFolder(dir, { overwrite: true, configs: { sft: SFT } });
    await folder.write("sft", sftRows[0]!);
    expect(await readFile(join(dir, "stale.txt"), "utf8")).toBe("old");
    await folder.close(summary);
    expect(await listTree(dir)).toEqual(["README.md", "manifest.json", "sft/train-00000-of-00001.parquet"]);
    expect(await duckdbRows(join(dir, "sft/train-00000-of-00001.parquet"))).toEqual([firstSft]);
    expect(await readdir(parent)).toEqual(["out"]);
  });

  it("refuses at close a folder that appeared meanwhile, and leaves no temporary folder", async () => {
    const dir = join(parent, "out");
    const folder = await openDatasetFolder(dir, { configs: { sft: SFT } });
    await folder.write("sft", sftRows[0]!);
    await mkdir(dir);
    await expect(folder.close(summary)).rejects.toThrow(OptionError);
    expect(await readdir(parent)).toEqual(["out"]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("abort removes everything; an aborted signal aborts on the next write", async () => {
    const dir = join(parent, "out");
    const folder = await openDatasetFolder(dir, options);
    for (const row of sftRows.slice(0, 50)) await folder.write("sft", row);
    expect((await readdir(parent))[0]).toMatch(new RegExp(`^\\.out\\.tmp-${process.pid}-\\d+$`));
    await folder.abort();
    expect(await readdir(parent)).toEqual([]);

    const controller = new AbortController();
    const second = await openDatasetFolder(dir, { ...options, signal: controller.signal });
    await second.write("sft", sftRows[0]!);
    controller.abort(new Error("interrupted"));
    await expect(second.write("sft", sftRows[1]!)).rejects.toThrow("interrupted");
    expect(await readdir(parent)).toEqual([]);
  });

  it.each([
    [{ configs: SFT_DPO, testSize: 1.5 }, "test size must be in [0, 1], got 1.5"],
    [{ configs: SFT_DPO, formats: [] }, "no format to write: formats is empty"],
    [{ configs: {} }, "no config to write: configs is empty"],
  ] as const)("refuses options %j", async (opts, message) => {
    await expect(openDatasetFolder(join(parent, "out"), opts as DatasetFolderOptions)).rejects.toThrow(new OptionError(message));
  });
});

describe("openDatasetFolder with resume", () => {
  /** Every file of a folder with the sha256 of its bytes (comparing the bytes themselves is slow in vitest). */
  async function snapshot(dir: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const path of await listTree(dir)) out[path] = createHash("sha256").update(await readFile(join(dir, path))).digest("hex");
    return out;
  }

  const journalOf = async (dir: string) =>
    JSON.parse(await readFile(join(dir, ".out.partial", "resume.json"), "utf8")) as {
      inputs: { path: string; bytes: number }[];
      shards: { config: string; split: string; index: number; rows: number; files: { path: string }[] }[];
    };

  let input: string;
  beforeEach(async () => {
    input = join(parent, "input.jsonl");
    await writeFile(input, "stands for the input\n");
  });

  /** Opens `out` resumable with `key`, logging into `log`. */
  const openResumable = (log: string[], key: unknown = { options: "same" }) =>
    openDatasetFolder(join(parent, "out"), { ...options, resume: { key, inputs: [input], log: (m) => log.push(m) } });

  /** A run stopped after `n` SFT rows, plus what a SIGKILL would also leave: a sink's temporary file and
   * a shard renamed into place but not yet in the journal. */
  async function interrupted(n: number): Promise<void> {
    const folder = await openResumable([]);
    for (const row of sftRows.slice(0, n)) await folder.write("sft", row);
    await folder.abort();
    await writeFile(join(parent, ".out.partial", "sft", `.train-00099.parquet.tmp-${process.pid}-0`), "half");
    await writeFile(join(parent, ".out.partial", "dpo", "train-00000.jsonl"), "{}\n");
  }

  /** The rest of the job: every row again, then close. */
  async function rerun(folder: Awaited<ReturnType<typeof openResumable>>) {
    for (const row of sftRows) await folder.write("sft", row);
    for (const row of dpoRows) await folder.write("dpo", row);
    return folder.close(summary);
  }

  it("reuses the completed shards of an interrupted run, and ends byte-identical with no partial folder", async () => {
    const reference = await snapshot((await build(join(parent, "ref"))).dir);
    await interrupted(200);
    const journal = await journalOf(parent);
    expect(journal.inputs).toEqual([{ path: input, bytes: 21, mtimeMs: expect.any(Number) }]);
    const completed = (series: string) => journal.shards.filter((s) => `${s.config}/${s.split}` === series).length;
    expect(completed("sft/train")).toBeGreaterThanOrEqual(2);
    expect(journal.shards.map((s) => s.files.map((f) => f.path))[0]).toEqual(["sft/train-00000.parquet", "sft/train-00000.jsonl", "sft/train-00000.arrow"]);

    const log: string[] = [];
    const result = await rerun(await openResumable(log));
    expect(log).toEqual(
      ["sft/train", "sft/test"].filter((s) => completed(s) > 0).map((s) => `resume: reusing ${completed(s)} completed shard${completed(s) === 1 ? "" : "s"} of ${s}`),
    );
    expect(result.reusedShards).toBe(journal.shards.length);
    expect(await snapshot(result.dir)).toEqual(reference);
    expect((await readdir(parent)).sort()).toEqual(["input.jsonl", "out", "ref"]);
  });

  it("keeps the partial folder and its journal on abort, and starts with an empty journal", async () => {
    const folder = await openResumable([]);
    expect((await journalOf(parent)).shards).toEqual([]);
    for (const row of sftRows.slice(0, 100)) await folder.write("sft", row);
    await folder.abort();
    expect((await readdir(parent)).sort()).toEqual([".out.partial", "input.jsonl"]);
    expect((await journalOf(parent)).shards.length).toBeGreaterThanOrEqual(1);
    // No sink's temporary file is left: only completed shards and the journal.
    const left = await listTree(join(parent, ".out.partial"));
    expect(left.filter((p) => !/^sft\/(train|test)-\d{5}\.(parquet|jsonl|arrow)$/.test(p))).toEqual(["resume.json"]);
  });

  it("starts a series over when one of its files fails its sha256, and reuses the others", async () => {
    const reference = await snapshot((await build(join(parent, "ref"))).dir);
    await interrupted(300);
    const journal = await journalOf(parent);
    const path = join(parent, ".out.partial", "sft", "train-00001.jsonl");
    const bytes = await readFile(path);
    bytes[0] = bytes[0]! ^ 1;
    await writeFile(path, bytes);
    const log: string[] = [];
    const result = await rerun(await openResumable(log));
    const test = journal.shards.filter((s) => s.split === "test").length;
    expect(log).toEqual([
      "resume: sft/train shard sft/train-00001.jsonl fails its sha256 check; starting sft/train over",
      `resume: reusing ${test} completed shard${test === 1 ? "" : "s"} of sft/test`,
    ]);
    expect(result.reusedShards).toBe(test);
    expect(await snapshot(result.dir)).toEqual(reference);
  });

  it.each([
    ["other options", async () => ({ options: "other" })],
    ["an input touched", async () => {
      const { utimes } = await import("node:fs/promises");
      await utimes(input, new Date(2001, 1, 1), new Date(2001, 1, 1));
      return { options: "same" };
    }],
  ])("starts the whole folder over with %s", async (_, change) => {
    const reference = await snapshot((await build(join(parent, "ref"))).dir);
    await interrupted(200);
    const key = await change();
    const log: string[] = [];
    const result = await rerun(await openResumable(log, key));
    expect(log).toEqual(["resume: the interrupted run had other options or inputs (resume.json fingerprint differs); starting over"]);
    expect(result.reusedShards).toBe(0);
    expect(await snapshot(result.dir)).toEqual(reference);
  });

  it("refuses rows other than a reused shard's, discarding the journal so the next run starts over", async () => {
    await interrupted(200);
    const folder = await openResumable([]);
    const changed = sftRows.map((row, i) => (i === 3 ? { ...row, conversation_id: row.conversation_id.toUpperCase() } : row));
    const error = await (async () => {
      try {
        for (const row of changed) await folder.write("sft", row);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ResumeMismatchError);
    expect((error as Error).message).toBe(
      `${join(parent, ".out.partial")}: resume: sft/train shard 0 does not hold the rows this run produced (did an input or template change?); ` +
        "its journal was discarded: run again to start over",
    );
    await folder.abort();
    expect(await readdir(join(parent, ".out.partial"))).not.toContain("resume.json");
    const log: string[] = [];
    await rerun(await openResumable(log));
    expect(log).toEqual([`resume: ${join(parent, ".out.partial")} has no readable resume.json; starting over`]);
  });
});
