#!/usr/bin/env node
// Side-by-side Parquet writer benchmark for lmsynth's shards package (issue 5): the same generated SFT rows
// written by hyparquet-writer (through @lmsynth/hub-folder' ParquetSink), parquet-wasm (arrow-rs in WASM, fed
// Arrow IPC record batches built with apache-arrow) and parquetjs-lite (the design baseline).
//
//   npm run build && node bench/parquet-writers.mjs [--rows 100000] [--seed 1] [--repeat 3] [--only name,name] [--keep]
//
// The two candidates that are not dependencies are installed, exact-pinned, into bench/out/writers/ (gitignored
// with bench/out/) on first run, so the workspace's package.json and lock file are never touched.
// Each writer runs in its own child process, so peak RSS (maxRSS) is the writer's alone; rows are generated
// lazily in the child, and a "generate only" child measures that cost, which the net MB/s subtracts.
// Every file is then read back by DuckDB: column types, row count, byte sums of every string, and the first
// and last 300 rows compared exactly with the generator. Statistics and page index come from the footer.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { mulberry32 } from "../test-fixtures/generate.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const WRITERS = join(BENCH, "out", "writers");
const OUT = join(BENCH, "out", "parquet-writers");
const PINS = { "parquetjs-lite": "0.8.7", "parquet-wasm": "0.8.0" };
const MAX_ROW_GROUP_BYTES = 100_000_000;

// ---------- rows: deterministic, realistic sizes (Japanese + English, 150–2,200 character answers) ----------

const JA = ["データ", "処理", "モデル", "学習", "日本語", "説明", "方法", "結果", "重要", "問題", "は", "が", "を", "に", "で", "です。", "ます。", "、"];
const EN = ["the", "model", "data", "answer", "question", "because", "example", "result", "function", "value", "and", "of", "to", "in", "a", "is", ".", ","];

function text(random, words, minChars, maxChars) {
  // Log-uniform length, like real responses: many short, a long tail.
  const target = Math.round(Math.exp(Math.log(minChars) + random() * (Math.log(maxChars) - Math.log(minChars))));
  let out = "";
  while (out.length < target) {
    out += words[Math.floor(random() * words.length)];
    if (words === EN) out += " ";
    if (random() < 0.02) out += "\n\n";
    if (random() < 0.003) out += "```python\nprint('こんにちは 😀')\n```\n";
  }
  return out;
}

/** Lazily yields `rows` SFT rows with meta; same seed → same rows. */
function* generateRows(rows, seed) {
  const random = mulberry32(seed);
  for (let i = 0; i < rows; i++) {
    const ja = random() < 0.7;
    const words = ja ? JA : EN;
    const noMeta = random() < 0.05;
    yield {
      conversation_id: (Math.floor(random() * 2 ** 32).toString(16) + i.toString(16)).padStart(32, "0"),
      messages: [
        { role: "user", content: text(random, words, 20, 600) },
        { role: "assistant", content: text(random, words, 150, 2200) },
      ],
      lang: ja ? "ja" : "en",
      response_index: noMeta ? null : Math.floor(random() * 6),
      score: noMeta ? null : Math.floor(random() * 10) + 1,
    };
  }
}

// ---------- writers (run in a child process each) ----------

const shardsUrl = pathToFileURL(join(ROOT, "packages", "shards", "dist", "index.js")).href;
const writersRequire = createRequire(join(WRITERS, "package.json"));

const WRITERS_BY_NAME = {
  async "generate only"({ rows, seed }) {
    let n = 0;
    for (const row of generateRows(rows, seed)) n += row.messages.length;
    return n;
  },

  async "hyparquet-writer zstd"({ rows, seed, out }) {
    const { openParquetSink, sftColumns } = await import(shardsUrl);
    const sink = await openParquetSink(out, { columns: sftColumns(), compression: "zstd", maxRowGroupBytes: MAX_ROW_GROUP_BYTES });
    for (const row of generateRows(rows, seed)) await sink.write(row);
    await sink.close();
  },

  async "hyparquet-writer zstd level 1"({ rows, seed, out }) {
    const { openParquetSink, sftColumns } = await import(shardsUrl);
    const sink = await openParquetSink(out, { columns: sftColumns(), compression: "zstd", zstdLevel: 1, maxRowGroupBytes: MAX_ROW_GROUP_BYTES });
    for (const row of generateRows(rows, seed)) await sink.write(row);
    await sink.close();
  },

  async "hyparquet-writer snappy"({ rows, seed, out }) {
    const { openParquetSink, sftColumns } = await import(shardsUrl);
    const sink = await openParquetSink(out, { columns: sftColumns(), compression: "snappy", maxRowGroupBytes: MAX_ROW_GROUP_BYTES });
    for (const row of generateRows(rows, seed)) await sink.write(row);
    await sink.close();
  },

  async "parquet-wasm zstd"(args) {
    await parquetWasm(args, "ZSTD");
  },

  async "parquet-wasm snappy"(args) {
    await parquetWasm(args, "SNAPPY");
  },

  async "parquetjs-lite snappy"({ rows, seed, out }) {
    const parquet = writersRequire("parquetjs-lite");
    // parquetjs-lite has no LIST annotation: a repeated group is the best it can do (legacy two-level list).
    const schema = new parquet.ParquetSchema({
      conversation_id: { type: "UTF8", compression: "SNAPPY" },
      messages: {
        repeated: true,
        fields: { role: { type: "UTF8", compression: "SNAPPY" }, content: { type: "UTF8", compression: "SNAPPY" } },
      },
      lang: { type: "UTF8", optional: true, compression: "SNAPPY" },
      response_index: { type: "INT32", optional: true, compression: "SNAPPY" },
      score: { type: "DOUBLE", optional: true, compression: "SNAPPY" },
    });
    const writer = await parquet.ParquetWriter.openFile(schema, out);
    // Row-count groups only; ~45k rows ≈ 100 MB for these rows.
    writer.setRowGroupSize(45_000);
    for (const row of generateRows(rows, seed)) {
      const { lang, response_index, score } = row;
      await writer.appendRow({
        conversation_id: row.conversation_id,
        messages: row.messages,
        ...(lang === null ? {} : { lang }),
        ...(response_index === null ? {} : { response_index }),
        ...(score === null ? {} : { score }),
      });
    }
    await writer.close();
  },
};

/** parquet-wasm streaming writer: apache-arrow batches of ≤ 100 MB → IPC → wasm RecordBatch → Parquet stream. */
async function parquetWasm({ rows, seed, out }, codec) {
  const wasm = writersRequire("parquet-wasm/node");
  const { ColumnBatchBuilder, arrowSchema, sftColumns } = await import(shardsUrl);
  // The ESM build, like the shards package: mixing it with the CommonJS build breaks instanceof checks.
  const arrow = await import("apache-arrow");
  const { open } = await import("node:fs/promises");
  const columns = sftColumns();
  const schema = arrowSchema(columns);
  const toWasmBatch = (batch) => {
    const children = schema.fields.map((field, c) => {
      const builder = arrow.makeBuilder({ type: field.type, nullValues: [null, undefined] });
      for (const value of batch.columns[c]) builder.append(value);
      return builder.finish().flush();
    });
    const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: batch.rows, nullCount: 0, children });
    const ipc = arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(schema, data)]), "stream");
    return wasm.Table.fromIPCStream(ipc).recordBatch(0);
  };
  const source = generateRows(rows, seed);
  const builder = new ColumnBatchBuilder(columns, { highWaterMark: MAX_ROW_GROUP_BYTES });
  let done = false;
  const batches = new ReadableStream({
    pull(controller) {
      if (done) return;
      for (;;) {
        const next = source.next();
        if (next.done) {
          const last = builder.flush();
          if (last) controller.enqueue(toWasmBatch(last));
          done = true;
          controller.close();
          return;
        }
        const batch = builder.append(next.value);
        if (batch) {
          controller.enqueue(toWasmBatch(batch));
          return;
        }
      }
    },
  }, { highWaterMark: 0 });
  const properties = new wasm.WriterPropertiesBuilder()
    .setCompression(wasm.Compression[codec])
    // arrow-rs cuts row groups by row count only; ~45k rows ≈ 100 MB here.
    .setMaxRowGroupSize(45_000)
    .build();
  const bytes = await wasm.transformParquetStream(batches, properties);
  const handle = await open(out, "w");
  // for await, not pipeTo: wasm-streams' reader fails a dyn cast inside pipeTo on Node 20.
  for await (const chunk of bytes) await handle.write(chunk);
  await handle.close();
}

// ---------- read-back checks (main process) ----------

async function readBack(path, rows, seed) {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const q = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
  const file = `read_parquet('${path}')`;
  const types = Object.fromEntries((await q(`DESCRIBE SELECT * FROM ${file}`)).map((r) => [r.column_name, r.column_type]));
  const [agg] = await q(`SELECT count(*) AS n,
      sum(strlen(conversation_id)) AS ids,
      sum(list_sum(list_transform(messages, m -> strlen(m.content) + strlen(m.role)))) AS contents,
      count(lang) AS langs, count(score) AS scores FROM ${file}`);
  let expected = { n: 0, ids: 0, contents: 0, langs: 0, scores: 0 };
  const head = [];
  const tail = [];
  for (const row of generateRows(rows, seed)) {
    expected.n++;
    expected.ids += Buffer.byteLength(row.conversation_id);
    for (const m of row.messages) expected.contents += Buffer.byteLength(m.content) + Buffer.byteLength(m.role);
    if (row.lang !== null) expected.langs++;
    if (row.score !== null) expected.scores++;
    if (head.length < 300) head.push(row);
    tail.push(row);
    if (tail.length > 300) tail.shift();
  }
  const sameAgg = Object.keys(expected).every((k) => Number(agg[k]) === expected[k]);
  const gotHead = await q(`SELECT * FROM ${file} LIMIT 300`);
  const gotTail = await q(`SELECT * FROM ${file} OFFSET ${rows - 300}`);
  const sameRows = JSON.stringify(gotHead) === JSON.stringify(head) && JSON.stringify(gotTail) === JSON.stringify(tail);
  const meta = await q(`SELECT count(DISTINCT row_group_id) AS groups, max(row_group_num_rows) AS max_rows,
      bool_and(stats_min_value IS NOT NULL OR stats_null_count = row_group_num_rows) AS stats,
      string_agg(DISTINCT compression, ',') AS codecs FROM parquet_metadata('${path}')`);
  const groupBytes = await q(`SELECT max(s) AS max FROM (SELECT sum(total_uncompressed_size) AS s FROM parquet_metadata('${path}') GROUP BY row_group_id)`);
  const { parquetMetadataAsync, asyncBufferFromFile } = await import("hyparquet");
  const footer = await parquetMetadataAsync(await asyncBufferFromFile(path));
  const pageIndex = footer.row_groups.some((g) => g.columns.some((c) => c.column_index_offset !== undefined));
  return {
    messagesType: types.messages,
    exact: sameAgg && sameRows,
    groups: Number(meta[0].groups),
    maxGroupMB: Number(groupBytes[0].max) / 1e6,
    stats: meta[0].stats === true,
    pageIndex,
    codecs: meta[0].codecs,
  };
}

// ---------- driver ----------

function ensureWriters() {
  const installed = Object.entries(PINS).every(([name, version]) => {
    // Read the file directly: parquet-wasm's exports map does not expose ./package.json.
    const path = join(WRITERS, "node_modules", name, "package.json");
    return existsSync(path) && JSON.parse(readFileSync(path, "utf8")).version === version;
  });
  if (installed) return;
  mkdirSync(WRITERS, { recursive: true });
  writeFileSync(join(WRITERS, "package.json"), `${JSON.stringify({ name: "lmsynth-bench-writers", private: true }, null, 2)}\n`);
  console.error(`installing ${Object.entries(PINS).map(([n, v]) => `${n}@${v}`).join(", ")} into ${WRITERS}`);
  // --no-workspaces: this folder sits inside the monorepo but must stay out of its lock file.
  execFileSync("npm", ["install", "--no-workspaces", "--no-package-lock", "--no-audit", "--no-fund", ...Object.entries(PINS).map(([n, v]) => `${n}@${v}`)], {
    cwd: WRITERS,
    stdio: ["ignore", "ignore", "inherit"],
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "100000" },
      seed: { type: "string", default: "1" },
      only: { type: "string" },
      keep: { type: "boolean", default: false },
      repeat: { type: "string", default: "3" },
      child: { type: "string" },
      out: { type: "string" },
    },
  });
  const rows = Number(values.rows);
  const seed = Number(values.seed);

  if (values.child) {
    // Load the writer's modules before the clock starts: the table compares writing, not import time.
    if (values.child !== "generate only") await import(shardsUrl);
    if (values.child.startsWith("parquet-wasm")) {
      writersRequire("parquet-wasm/node");
      await import("apache-arrow");
    }
    if (values.child.startsWith("parquetjs-lite")) writersRequire("parquetjs-lite");
    const started = performance.now();
    await WRITERS_BY_NAME[values.child]({ rows, seed, out: values.out });
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(JSON.stringify({ seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
    return;
  }

  if (!existsSync(fileURLToPath(shardsUrl))) throw new Error("build packages/shards first: npm run build");
  ensureWriters();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });

  // Measured uncompressed bytes, the shards package's own definition (row-group and shard sizing).
  const { measureRow, sftColumns } = await import(shardsUrl);
  let dataBytes = 0;
  let i = 0;
  for (const row of generateRows(rows, seed)) dataBytes += measureRow(sftColumns(), row, i++);

  const names = values.only ? ["generate only", ...values.only.split(",")] : Object.keys(WRITERS_BY_NAME);
  const repeat = Number(values.repeat);
  // Rounds interleave the writers and keep each one's fastest run: on a shared machine the minimum is the
  // run least disturbed by other work. Files are checked once, after the first round.
  const results = new Map();
  for (let round = 0; round < repeat; round++) {
    for (const name of names) {
      if (results.get(name)?.error) continue;
      const out = join(OUT, `${name.replaceAll(" ", "-")}.parquet`);
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", name, "--rows", String(rows), "--seed", String(seed), "--out", out], {
        encoding: "utf8",
        maxBuffer: 1 << 20,
      });
      if (child.status !== 0) {
        results.set(name, { name, error: (child.stderr || "").trim().split("\n").slice(-3).join(" ") });
        continue;
      }
      const run = JSON.parse(child.stdout);
      console.error(`round ${round + 1}: ${name}: ${run.seconds.toFixed(2)} s`);
      const previous = results.get(name);
      if (previous) {
        previous.seconds = Math.min(previous.seconds, run.seconds);
        previous.maxRssMB = Math.max(previous.maxRssMB, run.maxRssMB);
        continue;
      }
      const result = { name, ...run };
      if (name !== "generate only") {
        result.fileMB = statSync(out).size / 1e6;
        Object.assign(result, await readBack(out, rows, seed));
      }
      results.set(name, result);
    }
  }
  const loadAverage = (await import("node:os")).loadavg()[0];
  const generation = results.get("generate only")?.seconds ?? 0;

  const lines = [
    `${rows.toLocaleString("en-US")} SFT rows, ${(dataBytes / 1e6).toFixed(1)} MB measured uncompressed; Node ${process.version}, ` +
      `${(await import("node:os")).cpus().length} CPUs (load average ${loadAverage.toFixed(1)} at the end); best of ${repeat} interleaved runs; ` +
      "row groups ≤ 100 MB (parquet-wasm, parquetjs-lite: by row count).",
    "",
    "| writer | s | net MB/s | file MB | peak RSS MB | messages type (DuckDB) | exact read-back | row groups (max MB) | stats | page index |",
    "|---|---:|---:|---:|---:|---|---|---|---|---|",
  ];
  for (const r of results.values()) {
    if (r.error) {
      lines.push(`| ${r.name} | failed: ${r.error.replaceAll("|", "\\|")} | | | | | | | | |`);
      continue;
    }
    if (r.name === "generate only") {
      lines.push(`| generate only (baseline) | ${r.seconds.toFixed(2)} | | | ${r.maxRssMB.toFixed(0)} | | | | | |`);
      continue;
    }
    const net = dataBytes / 1e6 / Math.max(1e-9, r.seconds - generation);
    lines.push(
      `| ${r.name} | ${r.seconds.toFixed(2)} | ${net.toFixed(0)} | ${r.fileMB.toFixed(1)} | ${r.maxRssMB.toFixed(0)} | \`${r.messagesType}\` | ` +
        `${r.exact ? "yes" : "NO"} | ${r.groups} (${r.maxGroupMB.toFixed(0)}) | ${r.stats ? "yes" : "no"} | ${r.pageIndex ? "yes" : "no"} |`,
    );
  }
  console.log(lines.join("\n"));
  if (!values.keep) rmSync(OUT, { recursive: true, force: true });
}

await main();
