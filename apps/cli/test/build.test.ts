import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { splitOf, type DatasetManifest } from "@lmsynth/hub-folder";
import { dpoLayout, sftLayout } from "@lmsynth/schema";
import { fixture, runMain, tempDir } from "./run-cli.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

let connection: Promise<DuckDBConnection> | undefined;
afterAll(async () => (await connection)?.closeSync());

/** Every row of a Parquet file as DuckDB reads it, in file order. */
async function parquetRows(path: string): Promise<Record<string, unknown>[]> {
  connection ??= DuckDBInstance.create(":memory:").then((db) => db.connect());
  const reader = await (await connection).runAndReadAll(`SELECT * FROM read_parquet('${path.replaceAll("'", "''")}')`);
  return reader.getRowObjectsJson();
}

const jsonLines = (text: string): Record<string, unknown>[] => text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const manifestOf = (dir: string): DatasetManifest => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as DatasetManifest;

/** The data files of a built folder for one config and split and extension, in shard order. */
const shardsOf = (dir: string, config: string, split: string, ext: string): string[] =>
  manifestOf(dir)
    .files.map((f) => f.path)
    .filter((p) => p.startsWith(`${config}/${split}-`) && p.endsWith(`.${ext}`));

/** The rows of a config and split: its JSONL shards concatenated. */
const jsonlRows = (dir: string, config: string, split = "train"): Record<string, unknown>[] =>
  shardsOf(dir, config, split, "jsonl").flatMap((p) => jsonLines(readFileSync(join(dir, p), "utf8")));

/** A row as a build folder holds it: exactly the config's columns, absent values null. */
const project = (columns: { name: string }[], row: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(columns.map(({ name }) => [name, row[name] ?? null]));

/** Every file of a folder (relative path, dot files included) with the sha256 of its bytes. */
function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length + 1)] = createHash("sha256").update(readFileSync(join(e.parentPath, e.name))).digest("hex");
  }
  return out;
}

const SFT_META = sftLayout({ meta: true }).columns;
const DPO_META = [...dpoLayout({ meta: true }).columns, { name: "chosen_index" }, { name: "rejected_index" }];

describe("lmsynth build", () => {
  it.each([
    ["swallow-v0.1", "llama3.1/edge-cases.jsonl", { sft: 31, dpo: 9 }],
    ["swallow-v0.1", "sample/llama3.1-sample.jsonl.gz", { sft: 498, dpo: 238 }],
    ["swallow-v0.3", "gemma2/edge-cases.jsonl", { sft: 3, dpo: 5 }],
    ["swallow-v0.5", "gemma3/edge-cases.jsonl", { sft: 2, dpo: 2 }],
  ])("--preset %s on %s: the rows of sft --with-meta and dpo --with-meta, in JSONL and Parquet", async (preset, input, rows) => {
    const dir = join(tmp.dir, "built");
    const b = await runMain(["build", "--preset", preset, fixture(input), "--format", "jsonl,parquet", "-o", dir, "--json"]);
    expect(b.code).toBe(0);
    expect(JSON.parse(b.stdout).rows).toEqual(rows);
    const run = async (command: string) => {
      const out = join(tmp.dir, `${command}.jsonl`);
      expect((await runMain([command, "--preset", preset, fixture(input), "--with-meta", "-o", out, "--silent"])).code).toBe(0);
      return jsonLines(readFileSync(out, "utf8"));
    };
    for (const [config, columns] of [
      ["sft", SFT_META],
      ["dpo", DPO_META],
    ] as const) {
      const separate = await run(config);
      expect(separate.length, config).toBe(rows[config]);
      // The separate run writes meta keys only when set; the folder has every column. Same keys, same values.
      for (const row of separate) expect(columns.map((c) => c.name)).toEqual(expect.arrayContaining(Object.keys(row)));
      const built = jsonlRows(dir, config);
      expect(built, config).toEqual(separate.map((row) => project(columns, row)));
      expect(built.every((row) => Object.keys(row).join() === columns.map((c) => c.name).join())).toBe(true);
      const parquet = shardsOf(dir, config, "train", "parquet");
      expect(parquet.map((p) => p.replace(/parquet$/, "jsonl"))).toEqual(shardsOf(dir, config, "train", "jsonl"));
      for (const path of parquet) {
        expect(await parquetRows(join(dir, path)), path).toEqual(jsonLines(readFileSync(join(dir, path.replace(/parquet$/, "jsonl")), "utf8")));
      }
    }
  });

  it("writes byte-identical folders for the same input and options, manifest and card included", async () => {
    const dir = join(tmp.dir, "out");
    const argv = ["build", "--preset", "swallow-v0.1", fixture("sample/llama3.1-sample.jsonl.gz"), "-o", dir, "--format", "parquet,jsonl,arrow"];
    const more = ["--test-size", "0.3", "--seed", "7", "--max-shard-bytes", "30000", "--max-row-group-bytes", "8000", "--silent"];
    expect((await runMain([...argv, ...more])).code).toBe(0);
    renameSync(dir, join(tmp.dir, "first"));
    expect((await runMain([...argv, ...more])).code).toBe(0);
    const first = filesOf(join(tmp.dir, "first"));
    expect(Object.keys(first).filter((p) => /^sft\/train-.*\.parquet$/.test(p)).length).toBeGreaterThan(2);
    expect(Object.keys(first).filter((p) => !/^(sft|dpo)\//.test(p)).sort()).toEqual(["README.md", "manifest.json", "report.html"]);
    expect(filesOf(dir)).toEqual(first);
  });

  it("writes the same bytes with 1 and 2 threads", async () => {
    // --threads would be in the recorded command line; given through the same config file, the whole folder
    // (card, manifest, report) can be compared byte for byte.
    const config = join(tmp.dir, "lmsynth.json");
    const dir = join(tmp.dir, "out");
    const argv = ["build", "--config", config, fixture("sample/llama3.1-sample.jsonl.gz"), "-o", dir, "--test-size", "0.2", "--max-shard-bytes", "30000", "--silent"];
    writeFileSync(config, JSON.stringify({ preset: "swallow-v0.1", threads: 1 }));
    expect((await runMain(argv)).code).toBe(0);
    renameSync(dir, join(tmp.dir, "one"));
    writeFileSync(config, JSON.stringify({ preset: "swallow-v0.1", threads: 2 }));
    expect((await runMain(argv)).code).toBe(0);
    const one = filesOf(join(tmp.dir, "one"));
    expect(Object.keys(one)).toContain("report.html");
    expect(Object.keys(one).filter((p) => p.startsWith("sft/train-")).length).toBeGreaterThan(2);
    expect(filesOf(dir)).toEqual(one);
  });

  it("--test-size 0.3 --seed 7 puts each conversation in one split, the same for SFT and DPO", async () => {
    const dir = join(tmp.dir, "out");
    const r = await runMain(["build", "--preset", "swallow-v0.1", fixture("sample/llama3.1-sample.jsonl.gz"), "-o", dir, "--format", "jsonl", "--test-size", "0.3", "--seed", "7", "--json"]);
    expect(r.code).toBe(0);
    const splitOfId = new Map<string, string>();
    const counts: Record<string, number> = {};
    for (const config of ["sft", "dpo"]) {
      for (const split of ["train", "test"]) {
        const rows = jsonlRows(dir, config, split);
        counts[`${config}/${split}`] = rows.length;
        for (const { conversation_id: id } of rows as Array<{ conversation_id: string }>) {
          expect(splitOfId.get(id) ?? split, id).toBe(split);
          splitOfId.set(id, split);
          expect(splitOf(id, 0.3, "7")).toBe(split);
        }
      }
    }
    expect(counts["sft/train"]! + counts["sft/test"]!).toBe(498);
    expect(counts["dpo/train"]! + counts["dpo/test"]!).toBe(238);
    expect(counts["sft/test"]! / 498).toBeGreaterThan(0.2);
    expect(counts["sft/test"]! / 498).toBeLessThan(0.4);
    expect(manifestOf(dir).counts.rows).toEqual({
      dpo: { test: counts["dpo/test"], train: counts["dpo/train"] },
      sft: { test: counts["sft/test"], train: counts["sft/train"] },
    });
  });

  it("refuses an existing output folder (exit 1) unless --overwrite", async () => {
    const dir = join(tmp.dir, "out");
    mkdirSync(dir);
    writeFileSync(join(dir, "stale.txt"), "old");
    const argv = ["build", fixture("llama3.1/edge-cases.jsonl"), "-o", dir, "--silent"];
    const refused = await runMain(argv);
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({
      code: 1,
      stderr: `Error: output folder already exists: ${dir}\nRun 'lmsynth build --help' for usage.\n`,
    });
    expect(readdirSync(dir)).toEqual(["stale.txt"]);
    expect(tmp.list()).toEqual(["out"]);
    expect((await runMain([...argv, "--overwrite"])).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["README.md", "dpo", "manifest.json", "report.html", "sft"]);
    expect(tmp.list()).toEqual(["out"]);
  });
});

describe("lmsynth build: configs and splits without rows (issue 13)", () => {
  it("leaves an empty config out of the folder and the card, says so, and counts train/test", async () => {
    const dir = join(tmp.dir, "out");
    // Llama-3.1 English records hold one response each: SFT rows, no DPO pair.
    const r = await runMain(["build", fixture("sample/llama3.1-sample.jsonl.gz"), "--lang", "en", "-o", dir, "--test-size", "0.2", "--json"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const summary = JSON.parse(r.stdout) as { rows: Record<string, number>; splits: Record<string, Record<string, number>>; leftOut: string[] };
    expect(summary.leftOut).toEqual(["dpo"]);
    expect(summary.splits.dpo).toEqual({ train: 0, test: 0 });
    expect(summary.splits.sft!.train! + summary.splits.sft!.test!).toBe(summary.rows.sft);
    expect(readdirSync(dir).sort()).toEqual(["README.md", "manifest.json", "report.html", "sft"]);
    const card = readFileSync(join(dir, "README.md"), "utf8");
    expect(card).not.toContain("config_name: dpo");
    expect(card).toContain("Left out of the configs above because they have no rows: `dpo`.");
  });

  it("fails, naming the input, when no row at all was written", async () => {
    const input = join(tmp.dir, "in.jsonl");
    // Records whose only responses are English, asked for Japanese: nothing to write.
    const en = readFileSync(fixture("llama3.1/edge-cases.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => {
      const record = JSON.parse(l) as Record<string, unknown>;
      delete record.synthesized_assistant_responses;
      return JSON.stringify(record);
    });
    writeFileSync(input, `${en.join("\n")}\n`);
    const r = await runMain(["build", input, "-o", join(tmp.dir, "ds"), "--silent"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^Error: ${input.replaceAll(".", "\\.")}: the build wrote no row: every record was skipped \\(no-candidates \\d+.*\\); nothing to publish\\n$`));
    expect(tmp.list()).toEqual(["in.jsonl"]);
  });
});

describe("lmsynth build: mixed inputs (issue 13)", () => {
  it("names every variant present and the licence of each, telling the variant of each input file", async () => {
    const dir = join(tmp.dir, "out");
    const r = await runMain(["build", fixture("sample/llama3.1-sample.jsonl.gz"), fixture("gemma2/edge-cases.jsonl"), "-o", dir, "--json"]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { variant: string | null; variants: string[] };
    expect([summary.variant, summary.variants]).toEqual([null, ["llama-3.1", "gemma-2"]]);
    const card = readFileSync(join(dir, "README.md"), "utf8");
    expect(card).toContain("from LMSYS-Chat-1M-Synth (llama-3.1, gemma-2 variants). Built with Llama.\n");
    expect(card.split("\n").filter((l) => l.startsWith("- [")).map((l) => l.slice(3, l.indexOf("]")))).toEqual([
      "LMSYS-Chat-1M Dataset License Agreement",
      "Llama 3.1 Community License",
      "Gemma Terms of Use",
    ]);
    expect(manifestOf(dir).card).toMatchObject({ variants: ["llama-3.1", "gemma-2"] });
    expect(manifestOf(dir).card!.variant).toBeUndefined();
  });
});
