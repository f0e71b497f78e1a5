#!/usr/bin/env node
// Where `lmsynth build` spends its time: runs it once under `node --cpu-prof` and summarizes the V8 CPU
// profiles, one per thread (Node 20 gives worker threads the main thread's execArgv, so every worker writes
// its own profile: CPU.<date>.<time>.<pid>.<threadId>.<n>.cpuprofile, threadId 0 being the main thread).
//
//   node bench/profile.mjs [--records 45000 | --input file] [--join-parquet] [--threads N] [--top 15] [-- extra build flags]
//
// --join-parquet profiles the build from the three sources with LMSYS as Parquet shards (run.mjs writes them).
//
// For each thread: wall time, busy time (samples not idle in the event loop), garbage collection, the functions with the most
// self time, and self time summed by owner (an @lmsynth package, a dependency, a Node subsystem, or a native
// builtin such as JSON.parse). Writes bench/out/profile.md (and keeps the .cpuprofile files in
// bench/out/profile/, which Chrome DevTools or speedscope open). The profiler itself costs ~5–10 % of speed.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { defaultDataPath, passphrasePath, sourcePaths } from "./generate.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, "..");
const OUT = join(BENCH, "out");
const CLI = join(ROOT, "apps/cli/dist/bin.js");

/** Who owns a profiled function, from its script URL (or its name, for V8's own entries and builtins). */
function ownerOf({ functionName, url }) {
  if (url === "") {
    if (functionName === "(idle)" || functionName === "(garbage collector)" || functionName === "(program)" || functionName === "(root)") return functionName;
    return `native ${functionName || "(anonymous)"}`;
  }
  let m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (m) return m[1];
  m = /\/packages\/([^/]+)\//.exec(url);
  if (m) return `@lmsynth/${m[1]}`;
  if (/\/apps\/cli\//.test(url)) return "@lmsynth/cli";
  m = /^node:(?:internal\/)?([^/]+)/.exec(url);
  if (m) return `node ${m[1]}`;
  return url;
}

const where = ({ url, lineNumber }) => {
  if (url === "") return "";
  const short = url.replace(/^file:\/\/\/.*?\/(node_modules|packages|apps)\//, "$1/");
  return `${short}:${lineNumber + 1}`;
};

/** Self time per node id and per owner, in seconds, from one .cpuprofile (time deltas of the samples). */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    // timeDeltas[i] is the time since the previous sample: charge it to this one (the usual approximation).
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1e6);
  }
  // The same function appears under many call paths: merge by name + location.
  const functions = new Map();
  const owners = new Map();
  for (const [id, seconds] of self) {
    const frame = byId.get(id).callFrame;
    const key = `${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber}`;
    const f = functions.get(key) ?? { name: frame.functionName || "(anonymous)", where: where(frame), owner: ownerOf(frame), seconds: 0 };
    f.seconds += seconds;
    functions.set(key, f);
    owners.set(f.owner, (owners.get(f.owner) ?? 0) + seconds);
  }
  const wall = (profile.endTime - profile.startTime) / 1e6;
  const idle = owners.get("(idle)") ?? 0;
  return { wall, idle, busy: wall - idle, gc: owners.get("(garbage collector)") ?? 0, functions: [...functions.values()], owners };
}

const fmt = (x, d = 2) => x.toFixed(d);

async function main() {
  const { values, positionals } = parseArgs({
    options: {
      records: { type: "string", default: "45000" },
      input: { type: "string" },
      threads: { type: "string" },
      "join-parquet": { type: "boolean" },
      top: { type: "string", default: "15" },
    },
    allowPositionals: true,
    strict: true,
  });
  const records = Number(values.records);
  const input = values.input ? resolve(values.input) : defaultDataPath(records);
  // --join-parquet: the build from the published shapes (synth, .gpg instructions, LMSYS Parquet shards).
  const parquetDir = join(BENCH, "data", `lmsys-parquet-${records}`);
  const sources = sourcePaths(records);
  const inputArgs = values["join-parquet"]
    ? ["--synth", sources.synth, "--instructions", sources.instructions, "--passphrase-file", passphrasePath(), "--lmsys",
       ...readdirSync(parquetDir).filter((f) => f.endsWith(".parquet")).sort().map((f) => join(parquetDir, f))]
    : [input];
  const dir = join(OUT, "profile");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const argv = [
    "--cpu-prof", "--cpu-prof-dir", dir, CLI, "build", ...inputArgs, "-o", join(OUT, "profile-build"), "--overwrite", "--quiet",
    ...(values.threads ? ["--threads", values.threads] : []), ...positionals,
  ];
  process.stderr.write(`node ${argv.map((a) => (a.startsWith("/") ? relative(ROOT, a) : a)).join(" ")}\n`);
  // GNU time adds the CPU of every thread, including libuv's pool (async gunzip) that no profile samples.
  const report = join(OUT, `.profile-time-${process.pid}`);
  const timed = spawnSync("/usr/bin/time", ["-f", "%U %S", "-o", report, "true"]).status === 0;
  const started = performance.now();
  const r = timed
    ? spawnSync("/usr/bin/time", ["-f", "%U %S", "-o", report, process.execPath, ...argv], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] })
    : spawnSync(process.execPath, argv, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`build exited ${r.status}`);
  const cpu = timed ? readFileSync(report, "utf8").trim().split("\n").pop().split(" ").map(Number).reduce((a, b) => a + b, 0) : undefined;
  rmSync(report, { force: true });
  const top = Number(values.top);

  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  const threadOf = (f) => Number(f.split(".")[4]);
  files.sort((a, b) => threadOf(a) - threadOf(b));
  const lines = [
    `\`lmsynth build ${relative(ROOT, input)}\` under \`node --cpu-prof\`${values.threads ? ` (--threads ${values.threads})` : ""}: ${fmt(seconds, 1)} s wall, ` +
      `${files.length} threads profiled. Self time in seconds; "busy" = sampled time the thread was not idle in its event loop (running, or runnable but waiting for a core: on a loaded machine it exceeds CPU time).`,
    "",
  ];
  const total = new Map();
  const threads = [];
  for (const file of files) {
    const s = summarize(JSON.parse(readFileSync(join(dir, file), "utf8")));
    const thread = threadOf(file);
    threads.push({ thread, ...s });
    const label = thread === 0 ? "main thread" : `worker ${thread}`;
    lines.push(`**${label}**: wall ${fmt(s.wall, 1)} s, busy ${fmt(s.busy, 1)} s (${fmt((100 * s.busy) / s.wall, 0)} %), of which GC ${fmt(s.gc, 1)} s`, "");
    lines.push("| self (s) | % of busy | function | owner | where |", "|---:|---:|---|---|---|");
    const busyFunctions = s.functions.filter((f) => f.owner !== "(idle)").sort((a, b) => b.seconds - a.seconds);
    for (const f of busyFunctions.slice(0, top)) {
      lines.push(`| ${fmt(f.seconds)} | ${fmt((100 * f.seconds) / s.busy, 1)} | \`${f.name}\` | ${f.owner} | ${f.where} |`);
    }
    lines.push("");
    lines.push("| owner | self (s) | % of busy |", "|---|---:|---:|");
    const owners = [...s.owners].filter(([o]) => o !== "(idle)").sort((a, b) => b[1] - a[1]);
    for (const [o, sec] of owners.slice(0, top)) lines.push(`| ${o} | ${fmt(sec)} | ${fmt((100 * sec) / s.busy, 1)} |`);
    lines.push("");
    for (const [o, sec] of owners) total.set(o, (total.get(o) ?? 0) + sec);
  }
  const busy = threads.reduce((a, t) => a + t.busy, 0);
  lines.push(
    `**All threads**: busy ${fmt(busy, 1)} s in ${fmt(seconds, 1)} s wall (${fmt(busy / seconds, 2)} cores on average)` +
      (cpu === undefined ? "" : `; the process used ${fmt(cpu, 1)} s of CPU (user + system, every thread including libuv's pool, which runs the async gunzip and no profile samples)`),
    "",
  );
  lines.push("| owner | self (s) | % of busy |", "|---|---:|---:|");
  for (const [o, sec] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`| ${o} | ${fmt(sec)} | ${fmt((100 * sec) / busy, 1)} |`);
  const text = lines.join("\n") + "\n";
  process.stdout.write(text);
  writeFileSync(join(OUT, "profile.md"), text);
  writeFileSync(join(OUT, "profile.json"), JSON.stringify({ seconds, cpu, threads: threads.map((t) => ({ ...t, owners: Object.fromEntries(t.owners), functions: t.functions.sort((a, b) => b.seconds - a.seconds).slice(0, 60) })) }, null, 2) + "\n");
}

await main();
