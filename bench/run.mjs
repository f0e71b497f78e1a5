#!/usr/bin/env node
// Times lmsynth against `zcat`, a DuckDB one-statement SFT and a plain-Python SFT, side by side in one run on
// the same input (behaviour.md §10), checks the outputs against each other (Python and lmsynth SFT
// byte-identical, DuckDB's rows the same set, every build's shards byte-identical) and states the §10 budgets.
//
//   npm run bench                                   # build, then the full 450,000-record run
//   node bench/run.mjs --records 45000              # a quicker run (generates the data if missing)
//   node bench/run.mjs --input file.jsonl.gz        # any merged file (no join row)
//   node bench/run.mjs --only zcat,lmsynth-build    # some rows; `rss-flat` names the flatness check
//   node bench/run.mjs --wait-load 1                # first wait (≤ 20 min) for a 1-minute load below 1
//   node bench/run.mjs --before /tmp/before         # each lmsynth row also run with an earlier checkout's build
//
// Each row is a child process measured with GNU `/usr/bin/time -f "%e %M %U %S"` (peak RSS and CPU time of
// the child), or, where that is missing, by polling /proc/<pid>/status VmHWM. Wall time is taken around the
// child here, and /proc/stat around it gives the CPU other processes used meanwhile. Results go to stdout,
// bench/out/results.md and bench/out/results.json. To bench another command, add a row to BASE_ROWS (and a pair to
// SAME_OUTPUT or SAME_SHARDS if its output must equal another row's).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createGunzip } from "node:zlib";
import { defaultDataPath, generate, metaPath, passphrasePath, sourcePaths } from "./generate.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, "..");
const OUT = join(BENCH, "out");
const CLI = join(ROOT, "apps/cli/dist/bin.js");

/**
 * The timed rows, run in this order on the same input. `argv(ctx)` is the command line (ctx.input: the merged
 * input; ctx.sources: the three published sources made from the same records, their passphrase file, and
 * `lmsysParquet`, the LMSYS side as Parquet shards; ctx.smallInput: the small-record merged input of as many
 * records; ctx.cli: the lmsynth CLI to run; ctx.out(name): a path
 * under bench/out/); stdout goes to /dev/null. `output` names the file or folder the row
 * writes under bench/out/ (deleted before the run; compared by the checks). `reads` says what the row reads,
 * which is what its MB/s and records/s are counted on: "merged" (default), "merged-small" (the small-record
 * input, compared with `zcat-small`), "sources" (the three files together),
 * "sources-parquet" (the synth and instruction files and the LMSYS Parquet shards) or "sft-output"
 * (lmsynth-sft's output, so lmsynth-render must run after lmsynth-sft).
 */
/** `lmsynth <command>` over the three sources, LMSYS given as `lmsys` (the JSONL export or the Parquet shards). */
const joinArgv = (c, command, lmsys) => [
  process.execPath, c.cli, command, "--synth", c.sources.synth, "--instructions", c.sources.instructions, "--lmsys", ...lmsys,
  "--passphrase-file", c.sources.passphrase,
];

const BASE_ROWS = [
  {
    name: "zcat",
    what: "`zcat <input> > /dev/null`: gzip decompression alone, the floor every tool pays",
    argv: (c) => ["zcat", c.input],
  },
  {
    name: "python-sft",
    what: "`python3 bench/sft_select.py <input> -o …`: the same SFT selection in plain Python (stdlib `gzip` + `json`), to JSONL.gz",
    argv: (c) => [PYTHON, join(BENCH, "sft_select.py"), c.input, "-o", c.out("python-sft.jsonl.gz")],
    output: "python-sft.jsonl.gz",
  },
  {
    name: "duckdb-sft",
    what: "`node bench/duckdb_sft.mjs <input> -o ….parquet`: one DuckDB statement, `read_json` → best-response SFT → Parquet ZSTD, DuckDB on all cores",
    argv: (c) => [process.execPath, join(BENCH, "duckdb_sft.mjs"), c.input, "-o", c.out("duckdb-sft.parquet")],
    output: "duckdb-sft.parquet",
  },
  {
    name: "lmsynth-sft",
    what: "`lmsynth sft <input> -o bench/out/sft.jsonl.gz --quiet`: default options (`--select best --lang ja`)",
    argv: (c) => [process.execPath, c.cli, "sft", c.input, "-o", c.out("sft.jsonl.gz"), "--quiet"],
    output: "sft.jsonl.gz",
  },
  {
    name: "lmsynth-sft-jsonl",
    what: "`lmsynth sft <input> -o bench/out/sft.jsonl --quiet`: the same, to plain JSONL (issue 29: `.gz` within 1.2× of this)",
    argv: (c) => [process.execPath, c.cli, "sft", c.input, "-o", c.out("sft.jsonl"), "--quiet"],
    output: "sft.jsonl",
  },
  {
    name: "lmsynth-dpo",
    what: "`lmsynth dpo <input> -o bench/out/dpo.jsonl.gz --quiet`: default options (`--pairs best-worst --min-margin 1 --lang ja`)",
    argv: (c) => [process.execPath, c.cli, "dpo", c.input, "-o", c.out("dpo.jsonl.gz"), "--quiet"],
    output: "dpo.jsonl.gz",
  },
  {
    name: "lmsynth-build",
    what: "`lmsynth build <input> -o bench/out/build --overwrite --quiet`: defaults, SFT + DPO in one pass, Parquet ZSTD, card, manifest, report",
    argv: (c) => [process.execPath, c.cli, "build", c.input, "-o", c.out("build"), "--overwrite", "--quiet"],
    output: "build",
  },
  {
    name: "lmsynth-build-1thread",
    what: "the same with `--threads 1`: parsing and conversion on the main thread, no workers (the before of the worker-thread change)",
    argv: (c) => [process.execPath, c.cli, "build", c.input, "-o", c.out("build-1thread"), "--overwrite", "--quiet", "--threads", "1"],
    output: "build-1thread",
  },
  {
    name: "lmsynth-build-join",
    what: "`lmsynth build --synth … --instructions ….gpg --lmsys … --passphrase-file …`: the same build from the three published sources, joined on the fly",
    reads: "sources",
    argv: (c) => [...joinArgv(c, "build", [c.sources.lmsys]), "-o", c.out("build-join"), "--overwrite", "--quiet"],
    output: "build-join",
  },
  {
    name: "lmsynth-build-join-parquet",
    what: "the same join with LMSYS as the real thing: 6 Parquet shards of 1,000,000 rows (at 450,000 records), SNAPPY, 1,000-row groups, the export filter applied",
    reads: "sources-parquet",
    argv: (c) => [...joinArgv(c, "build", c.sources.lmsysParquet), "-o", c.out("build-join-parquet"), "--overwrite", "--quiet"],
    output: "build-join-parquet",
  },
  {
    name: "lmsynth-build-shard",
    what: "`lmsynth build <input> --shard 1/4`: one part of four, as one machine of four runs it",
    argv: (c) => [process.execPath, c.cli, "build", c.input, "--shard", "1/4", "-o", c.out("build-shard"), "--overwrite", "--quiet"],
    output: "build-shard",
  },
  {
    name: "lmsynth-merge",
    what: "`lmsynth merge --synth … --instructions … --lmsys … -o bench/out/merged.jsonl.gz`: the three sources to one merged file",
    reads: "sources",
    argv: (c) => [...joinArgv(c, "merge", [c.sources.lmsys]), "-o", c.out("merged.jsonl.gz"), "--quiet"],
    output: "merged.jsonl.gz",
  },
  {
    name: "zcat-merge-output",
    what: "`zcat bench/out/merged.jsonl.gz > /dev/null`: the floor for lmsynth-merge, on its own output",
    reads: "merge-output",
    argv: (c) => ["zcat", c.out("merged.jsonl.gz")],
  },
  {
    name: "lmsynth-render",
    what: "`lmsynth render bench/out/sft.jsonl.gz --template llama-3.1 -o bench/out/render.jsonl.gz --quiet`: built-in template over lmsynth-sft's output",
    reads: "sft-output",
    argv: (c) => [process.execPath, c.cli, "render", c.out("sft.jsonl.gz"), "--template", "llama-3.1", "-o", c.out("render.jsonl.gz"), "--quiet"],
    output: "render.jsonl.gz",
  },
  {
    name: "lmsynth-render-jinja",
    what: "the same with Meta's own template file (`../shared/reference/templates/meta-llama__Llama-3.1-8B-Instruct.jinja`, its `bos_token` given, rendered by @huggingface/jinja), as a model's tokenizer_config.json is rendered",
    reads: "sft-output",
    argv: (c) => [process.execPath, c.cli, "render", c.out("sft.jsonl.gz"), "--template", LLAMA_JINJA, "--template-arg", "bos_token=<|begin_of_text|>", "-o", c.out("render-jinja.jsonl.gz"), "--quiet"],
    output: "render-jinja.jsonl.gz",
  },
];

/** The official Llama 3.1 template, from the shared reference data beside the repository. */
const LLAMA_JINJA = fileURLToPath(new URL("../../shared/reference/templates/meta-llama__Llama-3.1-8B-Instruct.jinja", import.meta.url));

/** `name` (a row's, or an output's) with `-small` after its stem: `build` → `build-small`, `sft.jsonl.gz` → `sft-small.jsonl.gz`. */
const smallName = (name) => name.replace(/^([^.]+)/, "$1-small");

/**
 * These rows also run on the small-record input (`generate.mjs --shape small`: the same fields and rules,
 * ~6 KB raw per record), as `<name>-small`, compared with `zcat-small`.
 */
const ON_SMALL = ["zcat", "python-sft", "lmsynth-sft", "lmsynth-sft-jsonl", "lmsynth-build"];

const ROWS = [
  ...BASE_ROWS,
  ...BASE_ROWS.filter((row) => ON_SMALL.includes(row.name)).map((row) => ({
    ...row,
    name: smallName(row.name),
    what: `\`${row.name}\` on the small-record input`,
    reads: "merged-small",
    argv: (c) => row.argv({ ...c, input: c.smallInput, out: (n) => c.out(smallName(n)) }),
    ...(row.output ? { output: smallName(row.output) } : {}),
  })),
];

/** Rows whose outputs must be byte-identical after decompression; a difference fails the run. */
const SAME_OUTPUT = [
  ["python-sft", "lmsynth-sft"],
  ["python-sft-small", "lmsynth-sft-small"],
  ["python-sft", "lmsynth-sft-jsonl"],
  ["python-sft-small", "lmsynth-sft-jsonl-small"],
  ["lmsynth-render", "lmsynth-render-jinja"],
];

/** Rows whose output folders must hold byte-identical shards (manifest paths, rows and sha256 of every .parquet). */
const SAME_SHARDS = [["lmsynth-build", "lmsynth-build-1thread"], ["lmsynth-build", "lmsynth-build-join"], ["lmsynth-build", "lmsynth-build-join-parquet"]];

/**
 * The rows rerun on a tenth of the records for the RSS-flatness check (memory must not grow with input; the
 * join holds the instructions and an offset per LMSYS record by design, so it shows what that costs).
 */
const FLAT_ROWS = ["lmsynth-sft", "lmsynth-build", "lmsynth-build-join"];

/** behaviour.md §10, checked on every run that has the rows. */
const BUDGET = { buildVsZcat: 1.5, mergedRss: 1e9, joinRss: 2e9 };

const MB = 1e6;

/** The real interpreter behind `python3` (a pyenv shim would add a shell to every timed run). */
const PYTHON = spawnSync("python3", ["-c", "import sys; print(sys.executable)"]).stdout?.toString().trim() || "python3";

/** Kernel clock ticks per second, the unit of /proc/stat. */
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;

const isLmsynth = (row) => row.name.startsWith("lmsynth-");

/**
 * With `--before DIR`: each lmsynth row gets a twin `<name>@before`, run just before it with DIR's CLI (a
 * checkout of an earlier commit, built), its outputs under `before-<name>`; the twins' outputs must be
 * byte-identical to the rows'. Without it, the rows as they are.
 */
function withBefore(rows, beforeCli) {
  if (!beforeCli) return rows;
  return rows.flatMap((row) => {
    if (!isLmsynth(row)) return [row];
    const twin = {
      ...row,
      name: `${row.name}@before`,
      argv: (c) => row.argv({ ...c, cli: beforeCli, out: (n) => c.out(`before-${n}`) }),
      ...(row.output ? { output: `before-${row.output}` } : {}),
    };
    return [twin, row];
  });
}

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: "string" },
      input: { type: "string" },
      only: { type: "string" },
      "flat-records": { type: "string" },
      repeat: { type: "string", default: "1" },
      "wait-load": { type: "string" },
      "wait-max": { type: "string", default: "1200" },
      before: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  const count = (name, text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a whole number ≥ 1, got ${text}`);
    return n;
  };
  const known = [...ROWS.map((r) => r.name), ...ROWS.filter(isLmsynth).map((r) => `${r.name}@before`), "rss-flat"];
  const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of only ?? []) if (!known.includes(name)) throw new Error(`--only: unknown row ${name} (known: ${known.join(", ")})`);
  const waitLoad = values["wait-load"] === undefined ? undefined : Number(values["wait-load"]);
  if (waitLoad !== undefined && !(waitLoad > 0)) throw new Error(`--wait-load: expected a positive number, got ${values["wait-load"]}`);
  return {
    help: values.help === true,
    records: values.records === undefined ? undefined : count("records", values.records),
    input: values.input === undefined ? undefined : resolve(values.input),
    only: only ?? known,
    flatRecords: values["flat-records"] === undefined ? undefined : count("flat-records", values["flat-records"]),
    repeat: count("repeat", values.repeat),
    waitLoad,
    waitMax: count("wait-max", values["wait-max"]),
    before: values.before === undefined ? undefined : resolve(values.before),
  };
}

const HAS_GNU_TIME = (() => {
  if (!existsSync("/usr/bin/time")) return false;
  const probe = join(OUT, `.time-probe-${process.pid}`);
  mkdirSync(OUT, { recursive: true });
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", "-o", probe, "true"]);
  const ok = r.status === 0 && /^\d+\.\d+ \d+ \d+\.\d+ \d+\.\d+$/.test(readFileSync(probe, "utf8").trim().split("\n").pop() ?? "");
  rmSync(probe, { force: true });
  return ok;
})();

/** Seconds of CPU the whole machine has spent busy (user, nice, system, irq, softirq) since boot. */
function machineBusySeconds() {
  const [user, nice, system, , , irq, softirq] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq) / CLK_TCK;
}

/**
 * Runs argv to completion; resolves with wall seconds, peak RSS in bytes, CPU seconds (user + system, all
 * threads), the average number of cores other processes kept busy meanwhile (the noise of a shared machine),
 * exit status and stderr.
 */
async function measure(argv) {
  if (HAS_GNU_TIME) {
    const report = join(OUT, `.time-report-${process.pid}`);
    const busy = machineBusySeconds();
    const started = performance.now();
    const r = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", "-o", report, ...argv], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      maxBuffer: 64 * MB,
    });
    const seconds = (performance.now() - started) / 1000;
    const busySeconds = machineBusySeconds() - busy;
    // The last line is ours; a failing child makes time add a "Command exited…" line before it.
    const last = readFileSync(report, "utf8").trim().split("\n").pop() ?? "";
    rmSync(report, { force: true });
    const [, kb, user, sys] = last.split(" ").map(Number);
    const cpu = user + sys;
    return { seconds, peakRss: kb * 1024, cpu, others: Math.max(0, (busySeconds - cpu) / seconds), status: r.status, stderr: r.stderr.toString() };
  }
  // Fallback: VmHWM is the kernel's own high-water mark, so polling only has to catch the process alive.
  const started = performance.now();
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  let hwm = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
    } catch {
      // exited between two polls
    }
  }, 10);
  const status = await new Promise((res) => child.on("close", (code) => res(code)));
  clearInterval(poll);
  return { seconds: (performance.now() - started) / 1000, peakRss: hwm, status, stderr };
}

/**
 * Records (lines) and uncompressed bytes of a gzip or plain JSONL file: from the sidecar of a generated file,
 * else counted by streaming (an `--input` file, lmsynth-sft's output).
 */
async function describeInput(file) {
  if (existsSync(metaPath(file))) {
    const meta = JSON.parse(readFileSync(metaPath(file), "utf8"));
    return { records: meta.records, rawBytes: meta.uncompressedBytes, bytes: statSync(file).size };
  }
  const head = Buffer.alloc(2);
  const fd = openSync(file, "r");
  readSync(fd, head, 0, 2, 0);
  closeSync(fd);
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = head[0] === 0x1f && head[1] === 0x8b ? source.pipe(createGunzip({ chunkSize: 1 << 20 })) : source;
  let lines = 0;
  let rawBytes = 0;
  let last = 10;
  for await (const chunk of stream) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    rawBytes += chunk.length;
    if (chunk.length > 0) last = chunk[chunk.length - 1];
  }
  return { records: last === 10 ? lines : lines + 1, rawBytes, bytes: statSync(file).size };
}

/**
 * What the join rows read: "sources" (the three files together: bytes and raw bytes summed, records of the
 * synth file, the output order) and "sources-parquet" (the same with the LMSYS Parquet shards; their raw
 * bytes are Parquet's uncompressed page sizes).
 */
function describeSources(sources) {
  const [synth, instructions, lmsys] = ["synth", "instructions", "lmsys"].map((side) => JSON.parse(readFileSync(metaPath(sources[side]), "utf8")));
  const parquet = JSON.parse(readFileSync(join(dirname(sources.lmsysParquet[0]), "meta.json"), "utf8"));
  const sum = (metas, key) => metas.reduce((a, m) => a + m[key], 0);
  return {
    sources: { records: synth.records, rawBytes: sum([synth, instructions, lmsys], "uncompressedBytes"), bytes: sum([synth, instructions, lmsys], "compressedBytes") },
    "sources-parquet": {
      records: synth.records,
      rawBytes: sum([synth, instructions], "uncompressedBytes") + parquet.uncompressedBytes,
      bytes: sum([synth, instructions], "compressedBytes") + parquet.compressedBytes,
    },
  };
}

/** The bytes of a file, decompressed when it is gzip (by its name). */
const decompressed = (file, options = {}) => (file.endsWith(".gz") ? createReadStream(file, options).pipe(createGunzip({ chunkSize: 1 << 20 })) : createReadStream(file, options));

/** sha256 and line count of a file's (gzip: decompressed) bytes, streamed. */
async function digestGunzipped(file) {
  const hash = createHash("sha256");
  let lines = 0;
  for await (const chunk of decompressed(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { sha256: hash.digest("hex"), lines };
}

/** 1-based number and texts of the first line where two gzip files differ (for the failure message). */
async function firstDifference(a, b) {
  const open = (f) => createInterface({ input: decompressed(f), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const [ia, ib] = [open(a), open(b)];
  for (let line = 1; ; line++) {
    const [x, y] = await Promise.all([ia.next(), ib.next()]);
    if (x.done && y.done) return undefined;
    if (x.value !== y.value) return { line, a: x.value?.slice(0, 200), b: y.value?.slice(0, 200) };
  }
}

/** The Parquet shards a build folder's manifest lists: path, rows, sha256; and the rows per config. */
function shardsOf(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const shards = manifest.files.filter((f) => f.path.endsWith(".parquet")).map(({ path, rows, sha256 }) => ({ path, rows, sha256 }));
  const rows = {};
  for (const s of shards) rows[s.path.split("/")[0]] = (rows[s.path.split("/")[0]] ?? 0) + s.rows;
  return { shards, rows };
}

/**
 * Compares DuckDB's Parquet rows with lmsynth sft's JSONL rows as multisets of (conversation_id, messages),
 * in DuckDB: the row counts and the rows found on one side only (EXCEPT ALL both ways).
 */
async function compareRowSets(parquet, jsonl) {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  const lit = (t) => `'${t.replaceAll("'", "''")}'`;
  const a = `SELECT conversation_id, messages FROM read_parquet(${lit(parquet)})`;
  const b = `SELECT conversation_id, messages FROM read_json(${lit(jsonl)}, format = 'newline_delimited', columns = {conversation_id: 'VARCHAR', messages: 'STRUCT(role VARCHAR, content VARCHAR)[]'})`;
  const r = await c.runAndReadAll(
    `SELECT (SELECT count(*) FROM (${a})) AS a, (SELECT count(*) FROM (${b})) AS b, ` +
      `(SELECT count(*) FROM ((${a}) EXCEPT ALL (${b}))) AS a_only, (SELECT count(*) FROM ((${b}) EXCEPT ALL (${a}))) AS b_only`,
  );
  const [row] = r.getRowObjectsJson();
  c.closeSync();
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

async function ensureData(records, shape = "llama") {
  const file = defaultDataPath(records, shape);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${relative(ROOT, file)} (${records} records)…\n`);
    const started = performance.now();
    const r = await generate({ records, shape, out: file });
    const s = (performance.now() - started) / 1000;
    process.stderr.write(`generated ${(r.files[0].compressedBytes / MB).toFixed(0)} MB in ${s.toFixed(0)} s\n`);
  }
  return file;
}

/** The three sources made from the same records as `defaultDataPath(records)`, generated if missing. */
async function ensureSources(records) {
  const paths = sourcePaths(records);
  if (!Object.values(paths).every((p) => existsSync(p) && existsSync(metaPath(p)))) {
    process.stderr.write(`generating the three sources of ${records} records…\n`);
    const started = performance.now();
    await generate({ records, merged: false, sources: true });
    process.stderr.write(`generated in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  return { ...paths, passphrase: passphrasePath(), lmsysParquet: ensureLmsysParquet(records, paths.lmsys) };
}

/** A Python with pyarrow: the conformance suite's virtualenv (`npm test` makes it), else python3. */
function pyarrowPython() {
  const venv = join(ROOT, ".venv-conformance/bin/python");
  for (const python of [venv, PYTHON]) {
    if (existsSync(python) || python === PYTHON) {
      if (spawnSync(python, ["-c", "import pyarrow"]).status === 0) return python;
    }
  }
  throw new Error("the LMSYS Parquet shards are written with pyarrow: run `npm test` once (it makes .venv-conformance), or pip install pyarrow");
}

/** The LMSYS export of `records` as 6 Parquet shards (bench/lmsys_parquet.py), written if missing: their paths. */
function ensureLmsysParquet(records, lmsysJsonl) {
  const dir = join(BENCH, "data", `lmsys-parquet-${records}`);
  if (!existsSync(join(dir, "meta.json"))) {
    process.stderr.write(`writing the LMSYS Parquet shards of ${records} records…\n`);
    const r = spawnSync(pyarrowPython(), [join(BENCH, "lmsys_parquet.py"), lmsysJsonl, "-o", dir], { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) throw new Error(`bench/lmsys_parquet.py failed (exit ${r.status})`);
  }
  return readdirSync(dir).filter((f) => f.endsWith(".parquet")).sort().map((f) => join(dir, f));
}

/** Reads the whole file once, untimed, so that every row starts with it in the page cache. */
async function warm(file) {
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) void chunk;
}

/** Waits until the 1-minute load average is below `limit`, rechecking every 30 s, at most `maxSeconds`. */
async function waitForQuiet(limit, maxSeconds) {
  const started = performance.now();
  for (;;) {
    const load = loadavg()[0];
    const waited = (performance.now() - started) / 1000;
    if (load < limit) return { quiet: true, waited };
    if (waited >= maxSeconds) {
      process.stderr.write(`load ${load.toFixed(2)} still ≥ ${limit} after ${waited.toFixed(0)} s; starting anyway\n`);
      return { quiet: false, waited };
    }
    process.stderr.write(`load ${load.toFixed(2)} ≥ ${limit}; waiting (${waited.toFixed(0)} s so far)…\n`);
    await new Promise((res) => setTimeout(res, 30_000));
  }
}

/** The newest modification time (ms) of any file under the dist/ folders the CLI runs from. */
function distStamp() {
  let newest = 0;
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, "apps/cli/dist"));
  for (const pkg of readdirSync(join(ROOT, "packages"))) walk(join(ROOT, "packages", pkg, "dist"));
  return newest;
}

const fmt = (x, digits = 1) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function machine() {
  const py = spawnSync(PYTHON, ["--version"]).stdout?.toString().trim() ?? "python3 ?";
  const zcat = spawnSync("zcat", ["--version"]).stdout?.toString().split("\n")[0] ?? "zcat ?";
  let duckdb = "?";
  try {
    duckdb = JSON.parse(readFileSync(join(ROOT, "node_modules/@duckdb/node-api/package.json"), "utf8")).version;
  } catch {
    // not installed: the duckdb-sft row fails and says so
  }
  return `${cpus().length} × ${cpus()[0]?.model ?? "?"} (nproc ${spawnSync("nproc").stdout?.toString().trim()}), ` +
    `${fmt(totalmem() / 2 ** 30, 0)} GiB RAM; Node ${process.version}, ${py}, ${zcat}, @duckdb/node-api ${duckdb}`;
}

async function main() {
  const opts = parseCli(process.argv.slice(2));
  if (opts.help) {
    console.log("usage: node bench/run.mjs [--records N | --input file] [--only name,…] [--flat-records M] [--repeat R] [--wait-load L [--wait-max S]]");
    console.log("  --records N       generated input of N records (default 450000; generated if missing, with its three sources)");
    console.log("  --input file      a merged JSONL(.gz) file instead (lmsynth-build-join is then skipped)");
    console.log("  --only a,b        only these rows");
    console.log("  --flat-records M  records of the small run of the RSS-flatness check (default a tenth)");
    console.log("  --repeat R        run the rows R times, round-robin, and keep each row's fastest run (default 1)");
    console.log("  --wait-load L     first wait until the 1-minute load average is below L (rechecked every 30 s)");
    console.log("  --wait-max S      …for at most S seconds, then start anyway (default 1200)");
    console.log("  --before DIR      also run each lmsynth row with DIR's build (a checkout of an earlier commit) just before it, as <row>@before");
    console.log(`rows: ${ROWS.map((r) => r.name).join(", ")}, rss-flat`);
    return 0;
  }
  mkdirSync(OUT, { recursive: true });
  const rows = withBefore(ROWS, opts.before && join(opts.before, "apps/cli/dist/bin.js"));
  // A row asked for brings its @before twin.
  const wanted = (row) => opts.only.includes(row.name) || opts.only.includes(row.name.replace(/@before$/, ""));
  // Each @before twin's output must equal its row's: a file after decompression, a folder shard by shard.
  const twins = rows.filter((r) => r.name.endsWith("@before") && r.output).map((r) => [r.name.replace(/@before$/, ""), r.name, /\.(gz|jsonl)$/.test(r.output)]);
  const sameOutput = [...SAME_OUTPUT, ...twins.filter((t) => t[2]).map((t) => t.slice(0, 2))];
  const sameShards = [...SAME_SHARDS, ...twins.filter((t) => !t[2]).map((t) => t.slice(0, 2))];
  const generated = opts.input === undefined;
  const records0 = opts.records ?? 450_000;
  const input = opts.input ?? (await ensureData(records0));
  const merged = await describeInput(input);
  const { records } = merged;
  const wantsSources = rows.some((r) => r.reads?.startsWith("sources") && wanted(r)) || opts.only.includes("rss-flat");
  const sources = generated && wantsSources ? await ensureSources(records0) : undefined;
  const smallInput = generated && rows.some((r) => r.reads === "merged-small" && wanted(r)) ? await ensureData(records0, "small") : undefined;
  const ctx = { input, sources, smallInput, cli: CLI, out: (name) => join(OUT, name) };
  let failed = false;
  const notes = [];

  const wait = opts.waitLoad === undefined ? undefined : await waitForQuiet(opts.waitLoad, opts.waitMax);
  const loadStart = loadavg();
  // Another engineer rebuilding dist/ mid-run would time two versions in one table: note when it happens.
  const distAtStart = distStamp();
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).stdout?.toString().trim() || "?";
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no", "--", "apps", "packages"], { cwd: ROOT }).stdout?.toString().trim();
  await warm(input);
  if (smallInput) await warm(smallInput);
  if (sources) for (const side of ["synth", "instructions", "lmsys"]) await warm(sources[side]);
  const results = new Map();
  const startedAt = new Date();
  // Round-robin repeats, so a burst of load on a shared machine hits every row alike; the fastest run is kept.
  for (let round = 1; round <= opts.repeat; round++) {
    for (const row of rows) {
      if (!wanted(row) || results.get(row.name)?.status > 0) continue;
      if ((row.reads?.startsWith("sources") && !sources) || (row.reads === "merged-small" && !smallInput)) {
        if (round === 1) notes.push(`- \`${row.name}\` skipped: it needs generated inputs (run with \`--records\`, not \`--input\`).`);
        continue;
      }
      if (row.output) rmSync(ctx.out(row.output), { recursive: true, force: true });
      process.stderr.write(`${row.name}${opts.repeat > 1 ? ` (${round}/${opts.repeat})` : ""}… `);
      const m = await measure(row.argv(ctx));
      process.stderr.write(m.status === 0 ? `${fmt(m.seconds, 1)} s, ${fmt(m.peakRss / MB, 0)} MB\n` : `exit ${m.status}\n${m.stderr}\n`);
      if (m.status !== 0) failed = true;
      const best = results.get(row.name);
      if (!best || m.status !== 0 || m.seconds < best.seconds) results.set(row.name, { ...m, peakRss: Math.max(m.peakRss, best?.peakRss ?? 0) });
    }
  }
  const loadEnd = loadavg();
  const distAtEnd = distStamp();
  if (distAtEnd !== distAtStart) {
    notes.push(`- **dist/ was rebuilt during the run** (newest file ${new Date(distAtStart).toISOString().slice(11, 19)} → ${new Date(distAtEnd).toISOString().slice(11, 19)} UTC): rows may have timed different builds.`);
  }
  const ok = (name) => results.get(name)?.status === 0;

  // What each row read, for its MB/s and records/s.
  const reads = { merged };
  if (smallInput) reads["merged-small"] = await describeInput(smallInput);
  if (sources) Object.assign(reads, describeSources(sources));
  if (ok("lmsynth-merge")) reads["merge-output"] = await describeInput(ctx.out("merged.jsonl.gz"));
  if (ok("lmsynth-render") || ok("lmsynth-render-jinja")) reads["sft-output"] = await describeInput(ctx.out("sft.jsonl.gz"));

  const checks = [];
  const digests = new Map();
  const digest = async (name) => {
    const file = ctx.out(rows.find((r) => r.name === name).output);
    if (!digests.has(file)) digests.set(file, await digestGunzipped(file));
    return digests.get(file);
  };
  for (const [a, b] of sameOutput) {
    if (!ok(a) || !ok(b)) continue;
    const [ra, rb] = [rows.find((r) => r.name === a), rows.find((r) => r.name === b)];
    const [da, db] = [await digest(a), await digest(b)];
    if (da.sha256 === db.sha256) {
      checks.push(`- \`${a}\` and \`${b}\` outputs are byte-identical after decompression: ${da.lines.toLocaleString("en-US")} rows, sha256 \`${da.sha256.slice(0, 16)}…\``);
    } else {
      failed = true;
      const d = await firstDifference(ctx.out(ra.output), ctx.out(rb.output));
      checks.push(`- **MISMATCH** \`${a}\` (${da.lines} rows) vs \`${b}\` (${db.lines} rows), first at line ${d?.line}:\n  - ${a}: \`${d?.a}\`\n  - ${b}: \`${d?.b}\``);
    }
  }
  if (ok("lmsynth-merge") && generated) {
    // The merge of the three sources must give back the merged file they were split from.
    const [m, input] = [await digest("lmsynth-merge"), await digestGunzipped(ctx.input)];
    const same = m.sha256 === input.sha256;
    if (!same) failed = true;
    checks.push(same
      ? `- \`lmsynth-merge\` wrote the merged input back byte for byte (after decompression): ${m.lines.toLocaleString("en-US")} records`
      : `- **MISMATCH** \`lmsynth-merge\` output (${m.lines} lines) differs from the merged input (${input.lines} lines)`);
  }
  if (ok("duckdb-sft") && ok("lmsynth-sft")) {
    process.stderr.write("comparing duckdb-sft with lmsynth-sft… ");
    const c = await compareRowSets(ctx.out("duckdb-sft.parquet"), ctx.out("sft.jsonl.gz"));
    process.stderr.write("done\n");
    const same = c.a === c.b && c.a_only === 0 && c.b_only === 0;
    if (!same) failed = true;
    checks.push(
      `- ${same ? "" : "**MISMATCH** "}\`duckdb-sft\` rows: ${c.a.toLocaleString("en-US")}; \`lmsynth-sft\` rows: ${c.b.toLocaleString("en-US")}; ` +
        `rows (conversation_id, messages) in one only: ${c.a_only} and ${c.b_only}${same ? ": the same rows" : ""}`,
    );
  }
  for (const [a, b] of sameShards) {
    if (!ok(a) || !ok(b)) continue;
    const [sa, sb] = [shardsOf(ctx.out(rows.find((r) => r.name === a).output)), shardsOf(ctx.out(rows.find((r) => r.name === b).output))];
    const same = JSON.stringify(sa.shards) === JSON.stringify(sb.shards);
    if (!same) failed = true;
    const counts = Object.entries(sa.rows).map(([k, v]) => `${k} ${v.toLocaleString("en-US")} rows`).join(", ");
    checks.push(same
      ? `- \`${a}\` and \`${b}\` wrote byte-identical shards: ${sa.shards.length} Parquet files (${counts}), same sha256`
      : `- **MISMATCH** \`${a}\` and \`${b}\` shards differ: ${JSON.stringify(sa.shards)} vs ${JSON.stringify(sb.shards)}`);
  }
  // A build's row counts per config must equal the lines of the single-config rows on the same input.
  for (const [build, configs] of [["lmsynth-build", [["sft", "lmsynth-sft"], ["dpo", "lmsynth-dpo"]]], ["lmsynth-build-small", [["sft", "lmsynth-sft-small"]]]]) {
    if (!ok(build)) continue;
    const { rows: counts } = shardsOf(ctx.out(rows.find((r) => r.name === build).output));
    for (const [config, row] of configs) {
      if (!ok(row)) continue;
      const lines = (await digest(row)).lines;
      const same = lines === counts[config];
      if (!same) failed = true;
      checks.push(`- ${same ? "" : "**MISMATCH** "}\`${build}\` ${config} rows: ${(counts[config] ?? 0).toLocaleString("en-US")}; \`${row}\` rows: ${lines.toLocaleString("en-US")}`);
    }
  }

  const flat = [];
  const flatRows = opts.only.includes("rss-flat") ? FLAT_ROWS.filter((name) => rows.find((r) => r.name === name).reads !== "sources" || sources) : [];
  if (flatRows.length > 0) {
    const small = opts.flatRecords ?? Math.max(1, Math.round(records / 10));
    const smallInput = await ensureData(small);
    const smallSources = sources ? await ensureSources(small) : undefined;
    await warm(smallInput);
    if (smallSources) for (const side of ["synth", "instructions", "lmsys"]) await warm(smallSources[side]);
    for (const name of flatRows) {
      const row = rows.find((r) => r.name === name);
      process.stderr.write(`rss-flat: ${row.name} on ${small} records… `);
      const ms = await measure(row.argv({ input: smallInput, sources: smallSources, out: (n) => join(OUT, `flat-${n}`) }));
      process.stderr.write(`${fmt(ms.seconds, 1)} s\n`);
      let mb = results.get(row.name);
      if (!mb) {
        process.stderr.write(`rss-flat: ${row.name} on ${records} records… `);
        mb = await measure(row.argv(ctx));
        process.stderr.write(`${fmt(mb.seconds, 1)} s\n`);
      }
      if (ms.status !== 0 || mb.status !== 0) failed = true;
      const bytesOf = (input, srcs) => (row.reads?.startsWith("sources") ? describeSources(srcs)[row.reads].bytes : statSync(input).size);
      flat.push({ row: name, records: small, bytes: bytesOf(smallInput, smallSources), m: ms }, { row: name, records, bytes: bytesOf(input, sources), m: mb });
    }
  }

  const zcat = results.get("zcat");
  const lines = [];
  lines.push(
    `Input: \`${relative(ROOT, input)}\`, ${records.toLocaleString("en-US")} records, ${fmt(merged.bytes / MB, 0)} MB gzip ` +
      `(${fmt(merged.rawBytes / MB, 0)} MB uncompressed).` +
      (reads.sources ? ` The same records as three sources (\`lmsynth-build-join\`): ${fmt(reads.sources.bytes / MB, 0)} MB on disk (${fmt(reads.sources.rawBytes / MB, 0)} MB uncompressed).` : ""),
  );
  const la = (l) => l.map((x) => fmt(x, 2)).join(" / ");
  lines.push(
    `Machine: ${machine()}. Load average (1/5/15 min) ${la(loadStart)} at the start, ${la(loadEnd)} at the end` +
      (wait ? ` (waited ${fmt(wait.waited, 0)} s for a 1-minute load below ${opts.waitLoad}${wait.quiet ? "" : ", **not reached**"})` : "") +
      `${opts.repeat > 1 ? `; best of ${opts.repeat} runs` : ""}.`,
  );
  lines.push(
    `Date: ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC, lmsynth at commit ${commit}${dirty ? " plus uncommitted changes" : ""} ` +
      `(as built in dist/, newest file ${new Date(distAtStart).toISOString().slice(0, 16).replace("T", " ")} UTC). ` +
      "MB = 10^6 bytes; MB/s = on-disk input bytes per second; raw MB/s = uncompressed input bytes per second; CPU = user + system seconds, all threads; " +
      "others = cores kept busy by other processes during the row (noise).",
  );
  if (results.size > 0) {
    lines.push("");
    lines.push("| row | reads | wall (s) | MB/s | raw MB/s | records/s | CPU (s) | peak RSS (MB) | time vs zcat | others (cores) |");
    lines.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  }
  for (const row of rows) {
    const m = results.get(row.name);
    if (!m) continue;
    const what = row.reads ?? "merged";
    if (m.status !== 0) {
      lines.push(`| ${row.name} | ${what} | failed (exit ${m.status}) | | | | | | | |`);
      continue;
    }
    const r = reads[what];
    // A ratio is fair against the zcat of the same records (the merged file also for its sources), not of another file.
    const floor = what === "merged-small" ? results.get("zcat-small") : what === "sft-output" ? undefined : zcat;
    const vs = floor?.status === 0 ? `${fmt(m.seconds / floor.seconds, 2)}×` : "";
    const cpu = m.cpu === undefined ? "" : fmt(m.cpu, 1);
    const others = m.others === undefined ? "" : fmt(m.others, 2);
    lines.push(
      `| ${row.name} | ${what} | ${fmt(m.seconds, 1)} | ${fmt(r.bytes / MB / m.seconds, 0)} | ${fmt(r.rawBytes / MB / m.seconds, 0)} | ` +
        `${Math.round(r.records / m.seconds).toLocaleString("en-US")} | ${cpu} | ${fmt(m.peakRss / MB, 0)} | ${vs} | ${others} |`,
    );
  }
  if (notes.length > 0) lines.push("", ...notes);
  if (checks.length > 0) lines.push("", "Checks:", "", ...checks);

  const verdicts = [];
  const build = results.get("lmsynth-build");
  if (build?.status === 0) {
    const mark = (met) => (met ? "met" : "**missed**");
    if (zcat?.status === 0) {
      const x = build.seconds / zcat.seconds;
      verdicts.push(`- build within ${BUDGET.buildVsZcat}× zcat: ${fmt(x, 2)}× (${fmt(build.seconds, 1)} s vs ${fmt(zcat.seconds, 1)} s): ${mark(x <= BUDGET.buildVsZcat)}`);
    }
    for (const other of ["duckdb-sft", "python-sft"]) {
      const o = results.get(other);
      if (o?.status !== 0) continue;
      verdicts.push(`- build faster than ${other}: ${fmt(build.seconds, 1)} s vs ${fmt(o.seconds, 1)} s (${fmt(build.seconds / o.seconds, 2)}× its time): ${mark(build.seconds < o.seconds)}`);
    }
    verdicts.push(`- build peak RSS under ${fmt(BUDGET.mergedRss / MB, 0)} MB on a merged input: ${fmt(build.peakRss / MB, 0)} MB: ${mark(build.peakRss < BUDGET.mergedRss)}`);
  }
  const [buildSmall, pythonSmall] = [results.get("lmsynth-build-small"), results.get("python-sft-small")];
  if (buildSmall?.status === 0 && pythonSmall?.status === 0) {
    verdicts.push(
      `- build faster than python-sft on small records: ${fmt(buildSmall.seconds, 1)} s vs ${fmt(pythonSmall.seconds, 1)} s ` +
        `(${fmt(buildSmall.seconds / pythonSmall.seconds, 2)}× its time): ${buildSmall.seconds < pythonSmall.seconds ? "met" : "**missed**"}`,
    );
  }
  const joined = results.get("lmsynth-build-join");
  if (joined?.status === 0) {
    verdicts.push(`- build peak RSS under ${fmt(BUDGET.joinRss / MB, 0)} MB joining the three sources: ${fmt(joined.peakRss / MB, 0)} MB (${fmt(joined.seconds, 1)} s): ${joined.peakRss < BUDGET.joinRss ? "met" : "**missed**"}`);
  }
  if (verdicts.length > 0) lines.push("", "Budgets (behaviour.md §10):", "", ...verdicts);

  if (flat.length > 0) {
    lines.push("", `RSS flatness (${flatRows.map((r) => `\`${r}\``).join(", ")} on 1× and 10× the records):`, "");
    lines.push("| row | records | input (MB on disk) | wall (s) | peak RSS (MB) |", "|---|---:|---:|---:|---:|");
    for (const f of flat) {
      lines.push(`| ${f.row} | ${f.records.toLocaleString("en-US")} | ${fmt(f.bytes / MB, 0)} | ${fmt(f.m.seconds, 1)} | ${f.m.status === 0 ? fmt(f.m.peakRss / MB, 0) : `failed (exit ${f.m.status})`} |`);
    }
  }
  const text = lines.join("\n") + "\n";
  process.stdout.write(text);
  writeFileSync(join(OUT, "results.md"), text);
  writeFileSync(
    join(OUT, "results.json"),
    JSON.stringify({ input, records, reads, loadStart, loadEnd, startedAt, results: Object.fromEntries([...results].map(([k, v]) => [k, { ...v, stderr: undefined }])), flat }, null, 2) + "\n",
  );
  return failed ? 1 : 0;
}

process.exitCode = await main();
