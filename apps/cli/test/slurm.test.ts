// The Slurm recipe of the README's "Scale-out" (deploy/slurm/) on a real one-node cluster: Debian's
// slurmctld, slurmd and munge, started here as root (deploy/slurm/cluster.sh), the array submitted as a user
// would with submit.sh, with arrays that start at 1 and at 0. Runs wherever Slurm is installed; with CI=true
// (where .ci/run installs it) it must.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatasetManifest } from "@lmsynth/hub-folder";
import { REPO, fixture, runMain } from "./run-cli.js";

const installed = spawnSync("slurmctld", ["-V"]).status === 0 && spawnSync("munged", ["--version"]).status === 0 && process.getuid?.() === 0;
const tmp = mkdtempSync(join(tmpdir(), "lmsynth-slurm-"));
const cluster = join(tmp, "cluster");
const env = { ...process.env, SLURM_CONF: join(cluster, "slurm.conf"), PATH: `${join(REPO, "node_modules/.bin")}:${process.env.PATH}` };
const SAMPLE = fixture("sample/llama3.1-sample.jsonl.gz");
const FLAGS = ["--lang", "both", "--format", "jsonl", "--test-size", "0.2", "--max-shard-bytes", "60000"];

const sh = (args: string[], cwd = tmp) => {
  const run = spawnSync(args[0]!, args.slice(1), { cwd, env, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  return run.stdout;
};
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as DatasetManifest;
/** Every row of a folder's JSONL shards of `series`, sorted: the parts' order is not the whole build's. */
const rowsOf = (dir: string, series: string) =>
  manifestOf(dir)
    .files.filter((f) => f.path.startsWith(`${series}-`))
    .flatMap((f) => readFileSync(join(dir, f.path), "utf8").split("\n").filter(Boolean))
    .sort();

/** Submits the recipe and waits until the queue is empty (both jobs done, or the merge cancelled). */
async function submit(array: string, out: string): Promise<void> {
  sh([join(REPO, "deploy/slurm/submit.sh"), array, out, SAMPLE, ...FLAGS]);
  for (let i = 0; i < 240 && sh(["squeue", "-h"]).trim() !== ""; i++) await new Promise((resolve) => setTimeout(resolve, 500));
  expect(sh(["squeue", "-h"]).trim()).toBe("");
}

describe.skipIf(!installed && process.env.CI !== "true")("deploy/slurm on a one-node Slurm cluster", () => {
  const whole = join(tmp, "whole");
  beforeAll(async () => {
    mkdirSync(cluster);
    sh([join(REPO, "deploy/slurm/cluster.sh"), "start", cluster]);
    expect((await runMain(["build", SAMPLE, ...FLAGS, "-o", whole, "--silent"])).code).toBe(0);
  }, 120_000);
  afterAll(() => {
    spawnSync(join(REPO, "deploy/slurm/cluster.sh"), ["stop", cluster], { env });
    rmSync(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it.each(["1-3", "0-2"])("an array %s of parts, then the merge: the rows, counts and options of one whole build", async (array) => {
    const out = join(tmp, `out-${array}`);
    await submit(array, out);
    const first = Number(array[0]);
    const parts = [0, 1, 2].map((i) => join(out, `part-${first + i}`));
    parts.forEach((part, i) => expect(manifestOf(part).options).toMatchObject({ shard: `${i}/3`, "shard-engine": expect.stringMatching(/^slurm: SLURM_ARRAY_TASK_ID=\d, SLURM_ARRAY_TASK_MIN=\d, SLURM_ARRAY_TASK_COUNT=3$/) }));
    const merged = join(out, "merged");
    for (const series of ["sft/train", "sft/test", "dpo/train", "dpo/test"]) expect(rowsOf(merged, series), series).toEqual(rowsOf(whole, series));
    expect(manifestOf(merged).counts).toEqual(manifestOf(whole).counts);
    expect(manifestOf(merged).options).toEqual(manifestOf(whole).options);

    // The same array again: --resume leaves every completed part as it is.
    const before = parts.map((p) => statSync(join(p, "manifest.json")).mtimeMs);
    await submit(array, out);
    expect(parts.map((p) => statSync(join(p, "manifest.json")).mtimeMs)).toEqual(before);
  }, 240_000);
});
