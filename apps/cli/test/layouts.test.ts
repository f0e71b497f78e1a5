import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { loadTokenCounter } from "@lmsynth/templates";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatasetManifest } from "@lmsynth/hub-folder";
// @ts-expect-error: a plain .mjs test helper shared with the bench, without type declarations
import { syntheticTokenizer } from "../../../test-fixtures/tokenizer.mjs";
import { fixture, runMain, spawnCli, squeezeTable, tempDir } from "./run-cli.js";

const EDGE = fixture("llama3.1/edge-cases.jsonl");
const SFT_FORMATS = ["messages", "conversation", "prompt-completion", "sharegpt"];
const DPO_FORMATS = ["trl", "implicit", "ultrafeedback", "sharegpt"];
const config = (kind: string, format: string, first: string) => (format === first ? kind : `${kind}-${format}`);

let tmp: ReturnType<typeof tempDir>;
let folder: string;
let connection: Promise<DuckDBConnection> | undefined;
beforeAll(async () => {
  tmp = tempDir();
  folder = join(tmp.dir, "ds");
  const run = await runMain(["build", EDGE, "-o", folder, "--lang", "both", "--sft-format", SFT_FORMATS.join(","), "--dpo-format", DPO_FORMATS.join(","), "--kto", "--format", "parquet,jsonl,arrow"]);
  expect(run.code).toBe(0);
});
afterAll(async () => {
  (await connection)?.closeSync();
  tmp.remove();
});

type Row = Record<string, unknown>;
const jsonLines = (text: string): Row[] => text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Row);
const manifest = (): DatasetManifest => JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")) as DatasetManifest;

/** The rows of a JSONL command to stdout. */
async function commandRows(args: string[]): Promise<Row[]> {
  const run = await runMain([...args, "-o", "-"]);
  expect(run.code, run.stderr).toBe(0);
  return jsonLines(run.stdout);
}

async function duckdbRows(path: string): Promise<Row[]> {
  connection ??= DuckDBInstance.create(":memory:").then((db) => db.connect());
  return (await (await connection).runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRowObjectsJson();
}

/** A row as the folder's columns hold it: every column, absent as null. */
const projected = (columns: string[], row: Row): Row => Object.fromEntries(columns.map((c) => [c, row[c] ?? null]));

describe("build: every layout as its own config", () => {
  it("writes one config per layout, and LLaMA-Factory's dataset_info.json for the sharegpt ones", () => {
    expect(readdirSync(folder).sort()).toEqual([
      "README.md",
      "dataset_info.json",
      "dpo",
      "dpo-implicit",
      "dpo-sharegpt",
      "dpo-ultrafeedback",
      "kto",
      "manifest.json",
      "report.html",
      "sft",
      "sft-conversation",
      "sft-prompt-completion",
      "sft-sharegpt",
    ]);
    const tags = { role_tag: "from", content_tag: "value", user_tag: "human", assistant_tag: "gpt", system_tag: "system" };
    expect(JSON.parse(readFileSync(join(folder, "dataset_info.json"), "utf8"))).toEqual({
      "sft-sharegpt": { file_name: "sft-sharegpt/train-00000-of-00001.parquet", formatting: "sharegpt", columns: { messages: "conversations" }, tags },
      "dpo-sharegpt": { file_name: "dpo-sharegpt/train-00000-of-00001.parquet", formatting: "sharegpt", ranking: true, columns: { messages: "conversations", chosen: "chosen", rejected: "rejected" }, tags },
    });
    const card = readFileSync(join(folder, "README.md"), "utf8");
    expect(card).toContain('sft_sharegpt = load_dataset("<this repo or folder>", "sft-sharegpt")  # LLaMA-Factory, axolotl (sharegpt)\n');
    expect(card).toContain('kto = load_dataset("<this repo or folder>", "kto")  # TRL KTOTrainer\n');
    expect(manifest().files.map((f) => f.path)).toContain("dataset_info.json");
  });

  it.each([
    ...SFT_FORMATS.map((f) => [config("sft", f, "messages"), ["sft", "--sft-format", f]] as const),
    ...DPO_FORMATS.map((f) => [config("dpo", f, "trl"), ["dpo", "--dpo-format", f]] as const),
    ["kto", ["kto"]] as const,
  ])("%s: the rows of the JSONL command, in JSONL, Parquet (DuckDB) and Arrow", async (name, command) => {
    const expected = await commandRows([...command, EDGE, "--lang", "both", "--with-meta"]);
    expect(expected.length).toBeGreaterThan(5);
    const columns = manifest().card!.columns![name]!.map((c) => c.name);
    const base = join(folder, name, "train-00000-of-00001");
    expect(jsonLines(readFileSync(`${base}.jsonl`, "utf8"))).toEqual(expected);
    const rows = expected.map((row) => projected(columns, row));
    expect(await duckdbRows(`${base}.parquet`)).toEqual(rows);
    expect(JSON.parse(JSON.stringify(tableFromIPC(readFileSync(`${base}.arrow`)).toArray()))).toEqual(rows);
  });
});

describe("lmsynth kto", () => {
  it("labels the best response desirable and the worst undesirable, and counts those in between", async () => {
    const run = await runMain(["kto", EDGE, "-o", "-", "--with-meta"]);
    expect(run.code).toBe(0);
    const rows = jsonLines(run.stdout);
    // basic: scores 6 8 7 5 8 3 → the first 8 (index 1) desirable, the 3 (index 5) undesirable.
    const q = "質問（basic）：東京のおすすめの観光地を教えてください。";
    const promptId = createHash("sha256").update(q).digest("hex");
    const id = createHash("md5").update("basic").digest("hex");
    expect(rows.filter((r) => r.conversation_id === id)).toEqual([
      { conversation_id: id, prompt: [{ role: "user", content: q }], completion: [{ role: "assistant", content: "回答1（basic）：浅草寺がおすすめです。" }], label: true, score: 8, prompt_id: promptId, lang: "ja", response_index: 1 },
      { conversation_id: id, prompt: [{ role: "user", content: q }], completion: [{ role: "assistant", content: "回答5（basic）：浅草寺がおすすめです。" }], label: false, score: 3, prompt_id: promptId, lang: "ja", response_index: 5 },
    ]);
    // tie-worst: 9 desirable, 2 undesirable; all-equal (7s): one candidate in between; low-scores: 4 and 2 both undesirable.
    const labels = (name: string) => rows.filter((r) => r.conversation_id === createHash("md5").update(name).digest("hex")).map((r) => [r.response_index, r.label]);
    expect(labels("tie-worst")).toEqual([[0, true], [5, false]]);
    expect(labels("all-equal")).toEqual([]);
    expect(labels("low-scores")).toEqual([[1, false], [2, false]]);
    // Counted by hand from the case table: 16 rows; no row from all-repetition, en-missing, single-usable and
    // all-equal; 12 responses between 5 and 8 (score-forms 1, all-repetition 2, template 1, redacted 1,
    // whitespace-response 1, extra-fields 1, en-missing 2, single-usable 1, all-equal 2).
    const table = squeezeTable(run.stderr);
    expect(table).toContain("\nkto rows written 16\n");
    expect(table).toContain("\nkto skipped (ja) neutral-score 4\n");
    expect(table).toContain("\nkto responses between the thresholds 12\n");
  });

  it("--kto-per-record all takes every usable response; thresholds move the labels", async () => {
    const all = await commandRows(["kto", EDGE, "--kto-per-record", "all", "--kto-desirable", "9", "--kto-undesirable", "2", "--with-meta"]);
    const basic = createHash("md5").update("basic").digest("hex");
    // basic: no score reaches 9 or falls to 2: every response in between.
    expect(all.filter((r) => r.conversation_id === basic)).toEqual([]);
    const tie = createHash("md5").update("tie-worst").digest("hex");
    // tie-worst: 9 2 5 2 7 2 → the 9, then the three 2s (lower index first).
    expect(all.filter((r) => r.conversation_id === tie).map((r) => [r.response_index, r.label])).toEqual([[0, true], [1, false], [3, false], [5, false]]);
  });
});

describe("lmsynth render reads every layout", () => {
  it("gives the same text for a conversation, whatever its SFT layout, and the same pair texts for every DPO layout", async () => {
    const texts = async (file: string): Promise<Row[]> => {
      const run = await runMain(["render", file, "--template", "chatml", "-o", "-"]);
      expect(run.code, run.stderr).toBe(0);
      return jsonLines(run.stdout);
    };
    const sft = join(folder, "sft/train-00000-of-00001.jsonl");
    const reference = await texts(sft);
    expect(reference[0]!.text).toBe(
      "<|im_start|>user\n質問（basic）：東京のおすすめの観光地を教えてください。<|im_end|>\n<|im_start|>assistant\n回答1（basic）：浅草寺がおすすめです。<|im_end|>\n",
    );
    for (const f of SFT_FORMATS.slice(1)) expect(await texts(join(folder, `sft-${f}/train-00000-of-00001.jsonl`)), f).toEqual(reference);
    const pairs = await texts(join(folder, "dpo/train-00000-of-00001.jsonl"));
    expect(Object.keys(pairs[0]!)).toEqual(["conversation_id", "prompt", "chosen", "rejected"]);
    for (const f of DPO_FORMATS.slice(1)) expect(await texts(join(folder, `dpo-${f}/train-00000-of-00001.jsonl`)), f).toEqual(pairs);
    // A KTO row renders as its prompt followed by its completion.
    const kto = await texts(join(folder, "kto/train-00000-of-00001.jsonl"));
    expect(kto[0]).toEqual(reference[0]);
  });

  it("renders in worker threads, in input order: the same bytes with 1 and 2 threads over several blocks", async () => {
    // Blocks of 2 MiB go to the workers: 4,000 rows of about 1.3 kB make three.
    const rows = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ conversation_id: `c${i}`, messages: [{ role: "user", content: `質問 ${i} ${"x".repeat(1200)}` }, { role: "assistant", content: `回答 ${i}` }] }));
    const input = join(tmp.dir, "many.jsonl");
    writeFileSync(input, rows.join("\n") + "\n");
    const outputs = [];
    for (const threads of ["1", "2"]) {
      const out = join(tmp.dir, `many-${threads}.jsonl`);
      const run = await runMain(["render", input, "--template", "chatml", "--threads", threads, "-o", out, "--silent"]);
      expect(run.code, run.stderr).toBe(0);
      outputs.push(readFileSync(out, "utf8"));
    }
    expect(outputs[1]).toBe(outputs[0]);
    const lines = jsonLines(outputs[0]!);
    expect(lines.map((r) => r.conversation_id)).toEqual(rows.map((_, i) => `c${i}`));
    expect(lines[3999]!.text).toBe(`<|im_start|>user\n質問 3999 ${"x".repeat(1200)}<|im_end|>\n<|im_start|>assistant\n回答 3999<|im_end|>\n`);
  });

  it("refuses a row of no layout, naming file and line (exit 2)", () => {
    const bad = join(tmp.dir, "bad.jsonl");
    writeFileSync(bad, '{"conversation_id":"a","messages":[{"role":"user","content":"q"}]}\n{"conversation_id":"b","turns":[]}\n');
    const run = spawnCli(["render", bad, "--template", "chatml", "-o", join(tmp.dir, "out.jsonl")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^Error: ${bad.replaceAll("/", "\\/")}:2: `));
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith("out"))).toEqual([]);
  });
});

describe("layout and KTO flags: usage errors from the real CLI", () => {
  it.each([
    [["build", EDGE, "-o", "x", "--sft-format", "messages,bogus"], 'Error: --sft-format takes messages, conversation, prompt-completion, sharegpt; got "bogus"'],
    [["build", EDGE, "-o", "x", "--dpo-format", ","], "Error: --dpo-format is empty"],
    [["build", EDGE, "-o", "x", "--no-sft", "--no-dpo"], "Error: --no-sft and --no-dpo without --kto leave no output"],
    [["kto", EDGE, "-o", "-", "--kto-desirable", "5", "--kto-undesirable", "5"], "Error: --kto-undesirable (5) must be below --kto-desirable (5)"],
    [["sft", EDGE, "-o", "-", "--sft-format", "sharegpt", "--messages-key", "conversation"], "Error: --messages-key names the list of --sft-format messages only"],
    [["dpo", EDGE, "-o", "-", "--dpo-format", "kto"], 'Error: --dpo-format must be one of trl, implicit, ultrafeedback, sharegpt; got "kto"'],
    [["sft", EDGE, "-o", "-", "--tokenizer", "tokenizer.json"], "Error: --tokenizer counts the tokens of the chat-template text: give --template too"],
    [["dpo", EDGE, "-o", "-", "--max-tokens", "100"], "Error: --max-tokens counts DPO and KTO rows with --tokenizer (and --template): give them"],
    [["build", EDGE, "-o", "x", "--no-sft", "--max-tokens", "100"], "Error: --max-tokens counts DPO and KTO rows with --tokenizer (and --template): give them"],
    [["kto", EDGE, "-o", "-", "--template", "chatml"], "Error: --template gives SFT rows a text column, and counts tokens with --tokenizer; DPO and KTO text comes from lmsynth render"],
  ])("%j", (args, message) => {
    const run = spawnCli(args);
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n")[0]).toBe(message);
    expect(run.stdout).toBe("");
  });
});

describe("--tokenizer: a tokenizer that cannot be read is bad input (exit 2), named, and nothing is written", () => {
  const noVocabulary = JSON.stringify({ ...syntheticTokenizer(256), model: { ...syntheticTokenizer(256).model, vocab: {}, merges: [] } });
  it.each([
    ["missing.json", undefined, "cannot read the tokenizer: ENOENT: no such file or directory"],
    ["broken.json", "{", "not JSON: "],
    ["empty.json", "{}", "not a tokenizer.json: "],
    ["gzipped.json", gzipSync(JSON.stringify(syntheticTokenizer(300))), "gzip-compressed: decompress it first (gunzip)\n"],
    ["binary.json", Buffer.from([0xff, 0xfe, 0x00, 0x7b]), "not a JSON object: it starts with byte 0xff at offset 0, not {\n"],
    ["no-vocabulary.json", noVocabulary, "not a usable tokenizer.json: it encodes text to no token (an empty vocabulary?)\n"],
    ["/dev/zero", undefined, "not a JSON object: it starts with byte 0x00 at offset 0, not {\n"],
  ])("%s", (name, text, detail) => {
    const path = name.startsWith("/") ? name : join(tmp.dir, name);
    if (text !== undefined) writeFileSync(path, text);
    const out = join(tmp.dir, `${name.replace(/\//g, "_")}.out.jsonl`);
    const run = spawnCli(["sft", EDGE, "-o", out, "--template", "chatml", "--tokenizer", path]);
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith(`Error: ${path}: ${detail}`)).toBe(true);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith(`${name.replace(/\//g, "_")}.out`))).toEqual([]);
  });
});

describe("--tokenizer: one copy per tokenizer thread, counting for every worker", () => {
  const SAMPLE = fixture("sample/llama3.1-sample.jsonl.gz");
  it("counts the same tokens whatever --threads and --tokenizer-threads, as a tokenizer loaded in the thread itself", async () => {
    const path = join(tmp.dir, "bpe-2000.json");
    writeFileSync(path, JSON.stringify(syntheticTokenizer(2000)));
    const count = await loadTokenCounter(path);
    const runs = [["--threads", "1"], ["--threads", "2"], ["--threads", "2", "--tokenizer-threads", "2"]].map(async (threads, i) => {
      const out = join(tmp.dir, `counted-${i}.jsonl`);
      const run = await runMain(["sft", SAMPLE, "--lang", "both", "--template", "chatml", "--tokenizer", path, "--with-meta", "-o", out, "--silent", ...threads]);
      expect(run.code).toBe(0);
      return readFileSync(out, "utf8");
    });
    const [one, two, twoByTwo] = await Promise.all(runs);
    expect(two).toBe(one);
    expect(twoByTwo).toBe(one);
    const rows = one!.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { num_tokens: number; messages: Array<{ role: string; content: string }> });
    expect(rows.length).toBeGreaterThan(100);
    const text = (r: (typeof rows)[number]) => r.messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join("");
    expect(rows.map((r) => r.num_tokens)).toEqual(rows.map((r) => count(text(r))));
  });

  it("more tokenizer threads than worker threads: a usage error", () => {
    const run = spawnCli(["sft", SAMPLE, "-o", "-", "--template", "chatml", "--tokenizer", "x.json", "--threads", "2", "--tokenizer-threads", "3"]);
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n")[0]).toBe("Error: --tokenizer-threads 3 is more than --threads 2: a copy would count for no worker");
  });
});

describe("dataset_info.json through merge-manifests and delete-ids", () => {
  const SAMPLE = fixture("sample/llama3.1-sample.jsonl.gz");
  const OPTIONS = ["--sft-format", "messages,sharegpt", "--dpo-format", "sharegpt", "--kto", "--format", "parquet,jsonl", "--test-size", "0.3", "--seed", "7", "--max-shard-bytes", "40000", "--silent"];

  /** What dataset_info.json must name: each sharegpt config's Parquet shards, per split, from the manifest. */
  function expectedEntries(dir: string): Record<string, string> {
    const paths = (JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as DatasetManifest).files.map((f) => f.path);
    const out: Record<string, string> = {};
    for (const config of ["sft-sharegpt", "dpo-sharegpt"]) {
      for (const split of ["train", "test"]) {
        const shards = paths.filter((p) => p.startsWith(`${config}/${split}-`) && p.endsWith(".parquet"));
        const name = split === "train" ? config : `${config}_${split}`;
        shards.forEach((p, i) => (out[shards.length > 1 ? `${name}_${String(i).padStart(5, "0")}` : name] = p));
      }
    }
    return out;
  }
  const named = (dir: string): Record<string, string> =>
    Object.fromEntries(Object.entries(JSON.parse(readFileSync(join(dir, "dataset_info.json"), "utf8")) as Record<string, { file_name: string }>).map(([k, v]) => [k, v.file_name]));

  it("names the merged shards, several per split, and stays listed and verified after a deletion", async () => {
    const parts = [0, 1].map((i) => join(tmp.dir, `lf-part${i}`));
    for (const [i, part] of parts.entries()) expect((await runMain(["build", SAMPLE, ...OPTIONS, "--shard", `${i}/2`, "-o", part])).code).toBe(0);
    const merged = join(tmp.dir, "lf-merged");
    expect((await runMain(["merge-manifests", ...parts, "-o", merged, "--silent"])).code).toBe(0);
    const entries = expectedEntries(merged);
    expect(Object.keys(entries)).toContain("sft-sharegpt_00001");
    expect(named(merged)).toEqual(entries);
    const ids = join(tmp.dir, "lf-ids.txt");
    const shard = entries["sft-sharegpt_00000"]!.replace(/\.parquet$/, ".jsonl");
    const first = (JSON.parse(readFileSync(join(merged, shard), "utf8").split("\n")[0]!) as { conversation_id: string }).conversation_id;
    writeFileSync(ids, `${first}\n`);
    expect((await runMain(["delete-ids", merged, "--ids", ids, "--silent"])).code).toBe(0);
    expect(named(merged)).toEqual(expectedEntries(merged));
    // The manifest lists dataset_info.json with its bytes: publish would refuse a folder that did not verify.
    const listed = (JSON.parse(readFileSync(join(merged, "manifest.json"), "utf8")) as DatasetManifest).files.find((f) => f.path === "dataset_info.json")!;
    expect(listed.sha256).toBe(createHash("sha256").update(readFileSync(join(merged, "dataset_info.json"))).digest("hex"));
  });
});
