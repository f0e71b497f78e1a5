import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, REPO, fixture, runMain, tempDir } from "./run-cli.js";

// `lmsynth build --resume` after a real interruption: a child process is killed once its journal lists two
// completed shards, then the build is run again in-process.
const tmp = tempDir();
afterAll(() => tmp.remove());
const input = join(tmp.dir, "input.jsonl");
const out = join(tmp.dir, "out");
const partial = join(tmp.dir, ".out.partial");
// Every run has the same command line, so that card, manifest and report can be compared byte for byte.
const ARGV = ["build", input, "--preset", "swallow-v0.1", "--format", "jsonl,parquet", "--test-size", "0.2", "--max-shard-bytes", "30000", "-o", out, "--resume", "--json"];

/** Every file of a folder (relative path, dot files included) with the sha256 of its bytes. */
function filesOf(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) files[join(e.parentPath, e.name).slice(dir.length + 1)] = createHash("sha256").update(readFileSync(join(e.parentPath, e.name))).digest("hex");
  }
  return files;
}

const journalShards = (): number => {
  try {
    return (JSON.parse(readFileSync(join(partial, "resume.json"), "utf8")) as { shards: unknown[] }).shards.length;
  } catch {
    return 0;
  }
};

/** Starts the build in a child process and sends `signal` once its journal lists at least 2 shards. */
async function interruptedBuild(signal: "SIGKILL" | "SIGINT"): Promise<{ code: number | null; signal: string | null; stderr: string; shards: number }> {
  const child = spawn(process.execPath, [BIN, ...ARGV], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<[number | null, string | null]>((resolve) => child.on("exit", (code, sig) => resolve([code, sig])));
  let exited = false;
  void exit.then(() => (exited = true));
  let shards = 0;
  while (!exited && (shards = journalShards()) < 2) await sleep(5);
  if (exited) throw new Error(`the build ended before it could be interrupted: ${stderr}`);
  child.kill(signal);
  const [code, sig] = await exit;
  return { code, signal: sig, stderr, shards };
}

let reference: Record<string, string>;
beforeAll(async () => {
  // The sample ten times over (ids made unique): a build of a few seconds, cut into many small shards.
  const lines = gunzipSync(readFileSync(fixture("sample/llama3.1-sample.jsonl.gz"))).toString("utf8").split("\n").filter(Boolean);
  const copies = Array.from({ length: 10 }, (_, k) =>
    lines.map((line) => {
      const record = JSON.parse(line) as { conversation_id: string };
      return JSON.stringify({ ...record, conversation_id: `${record.conversation_id}-${k}` });
    }),
  );
  writeFileSync(input, copies.flat().join("\n") + "\n");
  // Uninterrupted, with --resume (a run that finds no partial folder is a plain build).
  const run = await runMain(ARGV);
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ records: 3000, reusedShards: 0 });
  renameSync(out, join(tmp.dir, "reference"));
  reference = filesOf(join(tmp.dir, "reference"));
}, 60_000);

describe("lmsynth build --resume", () => {
  it.each([
    ["SIGKILL", { code: null, signal: "SIGKILL" }],
    ["SIGINT", { code: 130, signal: null }],
  ] as const)("after %s, reuses the completed shards and ends byte-identical to an uninterrupted build", async (signal, exit) => {
    const killed = await interruptedBuild(signal);
    expect({ code: killed.code, signal: killed.signal }).toEqual(exit);
    if (signal === "SIGINT") expect(killed.stderr).toBe("Error: interrupted by SIGINT\n");
    expect(existsSync(out)).toBe(false);
    const journaled = journalShards();
    expect(journaled).toBeGreaterThanOrEqual(killed.shards);

    const run = await runMain(ARGV);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { reusedShards: number; records: number };
    expect(summary.records).toBe(3000);
    expect(summary.reusedShards).toBe(journaled);
    expect(summary.reusedShards).toBeGreaterThanOrEqual(2);
    // One line per series with reused shards, and their sum is the count reported.
    const lines = run.stderr.split("\n").filter(Boolean);
    for (const line of lines) expect(line).toMatch(/^resume: reusing \d+ completed shards? of (sft|dpo)\/(train|test)$/);
    expect(lines.reduce((sum, line) => sum + Number(/reusing (\d+)/.exec(line)![1]), 0)).toBe(journaled);

    expect(filesOf(out)).toEqual(reference);
    expect(readdirSync(tmp.dir).sort()).toEqual(["input.jsonl", "out", "reference"]);
    rmSync(out, { recursive: true });
  }, 60_000);

  it("starts over when the options differ, and says so", async () => {
    await interruptedBuild("SIGKILL");
    const argv = ARGV.map((a) => (a === "0.2" ? "0.25" : a));
    const run = await runMain(argv);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("resume: the interrupted run had other options or inputs (resume.json fingerprint differs); starting over\n");
    expect(JSON.parse(run.stdout)).toMatchObject({ reusedShards: 0 });
    expect(readdirSync(tmp.dir).sort()).toEqual(["input.jsonl", "out", "reference"]);
    rmSync(out, { recursive: true });
  }, 60_000);

  it("refuses stdin as input (exit 1)", async () => {
    const r = await runMain(["build", "-", "-o", join(tmp.dir, "stdin"), "--resume"], "");
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 1,
      stderr: "Error: --resume needs input files: stdin cannot be read again\nRun 'lmsynth build --help' for usage.\n",
    });
  });
});
