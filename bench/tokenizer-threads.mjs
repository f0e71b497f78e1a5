#!/usr/bin/env node
// `--tokenizer` at several thread counts: wall time, CPU and peak RSS of `lmsynth build`, for one or more
// builds of lmsynth side by side (before/after a change), in round-robin order so that load drifts hit each
// alike. The tokenizer is a synthetic byte-level BPE with a real model's vocabulary (test-fixtures/tokenizer.mjs:
// 150,000 tokens), written once to bench/data/; the input is the small-record shape of generate.mjs.
//
//   node bench/tokenizer-threads.mjs [--records 20000] [--threads 1,2,4] [--repeat 2] [--cli apps/cli/dist/bin.js …]
//
// A --cli may carry extra flags after `::`, e.g. `--cli "apps/cli/dist/bin.js::--tokenizer-threads 2"`.
//
// Prints one Markdown row per build and thread count: median wall, CPU seconds, peak RSS. Outputs are compared
// byte for byte across builds and thread counts (their data shards must be the same files).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { syntheticTokenizer } from "../test-fixtures/tokenizer.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH, "..");
const { values } = parseArgs({
  options: {
    records: { type: "string", default: "20000" },
    threads: { type: "string", default: "1,2,4" },
    repeat: { type: "string", default: "2" },
    cli: { type: "string", multiple: true, default: [join(REPO, "apps/cli/dist/bin.js")] },
  },
});
const data = join(BENCH, "data");
mkdirSync(data, { recursive: true });

const tokenizer = join(data, "tokenizer-150k.json");
if (!existsSync(tokenizer)) writeFileSync(tokenizer, JSON.stringify(syntheticTokenizer(150_000)));
const records = Number(values.records);
const input = join(data, `llama3.1-merged-small-${records}.jsonl.gz`);
if (!existsSync(input)) {
  const run = spawnSync(process.execPath, [join(BENCH, "generate.mjs"), "--records", String(records), "--shape", "small", "--out", input, "--quiet"], { stdio: "inherit" });
  if (run.status !== 0) process.exit(1);
}

/** Data shards of a folder, by relative path, with their sha256. */
function shards(dir) {
  const out = {};
  for (const config of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const f of readdirSync(join(dir, config.name))) out[`${config.name}/${f}`] = createHash("sha256").update(readFileSync(join(dir, config.name, f))).digest("hex");
  }
  return JSON.stringify(out);
}

const threads = values.threads.split(",").map(Number);
const results = new Map();
let reference;
for (let round = 0; round < Number(values.repeat); round++) {
  for (const cli of values.cli) {
    for (const t of threads) {
      const out = join(data, "tokenizer-out");
      rmSync(out, { recursive: true, force: true });
      const load = loadavg()[0];
      const [bin, extra = ""] = cli.split("::");
      const run = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", process.execPath, bin, "build", input, "--template", "chatml", "--tokenizer", tokenizer, "--max-tokens", "100000", "--threads", String(t), "-o", out, "--silent", ...extra.split(" ").filter(Boolean)], { encoding: "utf8" });
      // A combination the CLI refuses (more tokenizer threads than threads) is left out of the table.
      if (run.status === 1 && extra) continue;
      if (run.status !== 0) throw new Error(`${cli} --threads ${t}: ${run.stderr}`);
      const [wall, user, sys, kb] = run.stderr.trim().split("\n").at(-1).split(" ").map(Number);
      const key = `${cli} --threads ${t}`;
      results.set(key, [...(results.get(key) ?? []), { wall, cpu: user + sys, rss: kb / 1024, load }]);
      const s = shards(out);
      if ((reference ??= s) !== s) throw new Error(`${key}: shards differ from the first run's`);
    }
  }
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| build | threads | wall (median) | CPU-s | peak RSS | load (1 min) |\n|---|---:|---:|---:|---:|---:|`);
for (const [key, runs] of results) {
  const [cli, t] = key.split(" --threads ");
  console.log(`| ${cli} | ${t} | ${median(runs.map((r) => r.wall)).toFixed(2)} s | ${median(runs.map((r) => r.cpu)).toFixed(1)} | ${median(runs.map((r) => r.rss)).toFixed(0)} MB | ${runs.map((r) => r.load.toFixed(2)).join(", ")} |`);
}
console.log("shards byte-identical across every build and thread count");
