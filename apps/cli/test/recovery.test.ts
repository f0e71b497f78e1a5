import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { fixture, runMain } from "./run-cli.js";

// The recovery path of issue 6: decrypt, merge, and convert straight from the three published sources.
const dir = mkdtempSync(join(tmpdir(), "lmsynth-recovery-"));
const out = (name: string) => join(dir, name);
const SPLIT = "split/llama3.1";
const sources = (lmsys: string) => ["--synth", fixture(`${SPLIT}/synth.jsonl`), "--instructions", fixture(`${SPLIT}/instructions.jsonl.gz`), "--lmsys", fixture(lmsys)];
const SYNTH_ONLY = "31df02a2cde6576c4570b7a6a0154dd6"; // md5("synth-only"), the one synth record found nowhere else

function lines(path: string): string[] {
  const bytes = readFileSync(path);
  return (bytes[0] === 0x1f ? gunzipSync(bytes) : bytes).toString("utf8").trimEnd().split("\n");
}

describe("merge", () => {
  it("rebuilds the original merged records in synth order and counts what did not match", async () => {
    const run = await runMain(["merge", ...sources(`${SPLIT}/lmsys.jsonl`), "-o", out("merged.jsonl.gz"), "--json"]);
    expect(run.code).toBe(0);
    const original = lines(fixture("llama3.1/edge-cases.jsonl")).map((l) => JSON.stringify(JSON.parse(l)));
    const merged = lines(out("merged.jsonl.gz"));
    expect(merged.filter((l) => !l.includes('"_case":"synth-only"'))).toEqual(original);
    expect(merged.findIndex((l) => l.includes('"_case":"synth-only"'))).toBe(3);
    expect(JSON.parse(run.stdout).join).toEqual({
      synth: 23,
      lmsys: 24,
      instructions: 23,
      synthWithoutLmsys: 1,
      synthWithoutInstruction: 1,
      lmsysUnmatched: 2,
      instructionsUnmatched: 1,
    });
  });
});

describe("sft(merge(sources)) = sft(sources)", () => {
  it.each([
    ["the JSONL export", `${SPLIT}/lmsys.jsonl`],
    ["Parquet written by DuckDB", `${SPLIT}/lmsys.parquet`],
  ])("from %s", async (_, lmsys) => {
    const tag = lmsys.endsWith("parquet") ? "pq" : "js";
    expect((await runMain(["merge", ...sources(lmsys), "-o", out(`m-${tag}.jsonl.gz`), "--silent"])).code).toBe(0);
    const args = ["--lang", "both", "--with-meta", "--silent"];
    expect((await runMain(["sft", out(`m-${tag}.jsonl.gz`), ...args, "-o", out(`from-merged-${tag}.jsonl`)])).code).toBe(0);
    expect((await runMain(["sft", ...sources(lmsys), ...args, "-o", out(`from-sources-${tag}.jsonl`)])).code).toBe(0);
    const fromSources = readFileSync(out(`from-sources-${tag}.jsonl`), "utf8");
    expect(fromSources).toBe(readFileSync(out(`from-merged-${tag}.jsonl`), "utf8"));
    // And both equal the rows of the published merged file: the synth-only record has no user turn in
    // either language (no instruction, no LMSYS conversation), so it adds none.
    expect((await runMain(["sft", fixture("llama3.1/edge-cases.jsonl"), ...args, "-o", out(`orig-${tag}.jsonl`)])).code).toBe(0);
    expect(fromSources).toBe(readFileSync(out(`orig-${tag}.jsonl`), "utf8"));
    expect(fromSources).not.toContain(SYNTH_ONLY);
  });
});

describe("build from the sources", () => {
  it("lists every input in the manifest in command-line order, Parquet shards included, with its sha256", async () => {
    const run = await runMain(["build", ...sources(`${SPLIT}/lmsys.parquet`), "-o", out("built-from-parquet"), "--silent"]);
    expect(run.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out("built-from-parquet"), "manifest.json"), "utf8")) as { inputs: Array<{ path: string; bytes: number; sha256: string }> };
    const expected = [`${SPLIT}/synth.jsonl`, `${SPLIT}/instructions.jsonl.gz`, `${SPLIT}/lmsys.parquet`].map((f) => {
      const bytes = readFileSync(fixture(f));
      return { path: fixture(f), bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
    });
    expect(manifest.inputs).toEqual(expected);
  });
});

describe("the encrypted sample", () => {
  const sample = [
    "--synth", fixture("sample/llama3.1-lmsys-chat-1m-synth-ja+en.jsonl.gz"),
    "--instructions", fixture("sample/lmsys-chat-1m-first-turn-user-instructions-ja.jsonl.gz.gpg"),
    "--lmsys", fixture("sample/lmsys-chat-1m.jsonl.gz"),
  ];

  it("joins with the .gpg instructions decrypted in-stream, as the merged sample, whatever the threads", async () => {
    const args = ["--preset", "swallow-v0.1", "--with-meta", "--silent"];
    expect((await runMain(["sft", fixture("sample/llama3.1-sample.jsonl.gz"), ...args, "-o", out("sample-merged.jsonl")])).code).toBe(0);
    // Joined records are converted on the worker threads, in batches, and come back in synth order.
    for (const threads of ["1", "3"]) {
      const run = await runMain(["sft", ...sample, "--passphrase-file", fixture("sample/passphrase.txt"), ...args, "--threads", threads, "-o", out("sample-sources.jsonl")]);
      expect(run.code).toBe(0);
      expect(readFileSync(out("sample-sources.jsonl"), "utf8"), threads).toBe(readFileSync(out("sample-merged.jsonl"), "utf8"));
    }
  });

  it("decrypts to exactly what gpg decrypts", async () => {
    const gpg = fixture("sample/lmsys-chat-1m-first-turn-user-instructions-ja.jsonl.gz.gpg");
    const home = mkdtempSync(join(tmpdir(), "lmsynth-gnupg-"));
    const expected = execFileSync("gpg", ["--homedir", home, "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase-file", fixture("sample/passphrase.txt"), "--decrypt", gpg]);
    expect((await runMain(["decrypt", gpg, "--passphrase-file", fixture("sample/passphrase.txt"), "-o", out("instr.jsonl.gz"), "--silent"])).code).toBe(0);
    expect(readFileSync(out("instr.jsonl.gz")).equals(expected)).toBe(true);
  });

  it("reports a wrong passphrase as such, with exit 2 and no output", async () => {
    const run = await runMain(["sft", ...sample, "-o", out("wrong.jsonl")], undefined, { LMSYNTH_PASSPHRASE: "not it" });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`Error: ${fixture("sample/lmsys-chat-1m-first-turn-user-instructions-ja.jsonl.gz.gpg")}: wrong passphrase\n`);
  });
});
