#!/usr/bin/env node
// Writes a Llama-3.1-sized synthetic MERGED file (gzip JSONL) for bench/run.mjs: LMSYS fields + Japanese
// instruction + synth fields, in the field order of test-fixtures/generate.mjs `llama()`.
// Seeded and deterministic: same --records and --seed give the same bytes (Node's gzip header has mtime 0).
// Streams: one ~1 MiB batch of lines at a time, awaiting gzip backpressure, so memory stays flat.
//
//   node bench/generate.mjs [--records 450000] [--seed 1] [--shape llama|small]
//                           [--out bench/data/llama3.1-merged-[small-]<N>.jsonl.gz] [--sources | --sources-only] [--quiet]
//
// Sizes are tuned on gzip itself: the synth fields alone come to ~3.2 KB gzip per record, as in the real file
// (1.43 GB for 453,889 records); with the LMSYS fields a record is ~4.3 KB gzip, ~21 KB raw (450,000 records:
// 1.94 GB gzip, 9.6 GB raw, ~4 min to write on 2 cores). Per record: a 1–4 turn English conversation with one
// 11-category moderation object per message (float32-like scores), a Japanese instruction, 6 Japanese
// responses of 100–1,800 characters (log-uniform; prose, lists, headings, code) sharing topic words and
// sentences as real answers to one question do, judgements of a few hundred characters, 1 English response.
// Mix: 5% redacted (NAME_1 placeholders), 3% template, 5% duplicates (no responses), 0.05% empty instruction,
// 3% scores of -1, 2% repetition-flagged, 1% with 5 responses, 0.1% empty responses.
// A file of N records is the first N lines of any larger one with the same seed.
//
// --sources also writes, from the same records and in the same order, the three files the dataset is
// published as (input-format.md §1, §4; fields split as test-fixtures/generate.mjs `split()` does): the
// LMSYS export (conversation_id, model, conversation, turn, language, openai_moderation, redacted), the
// Japanese instructions (conversation_id, translated_conversation) encrypted with the gpg CLI (symmetric
// AES256, passphrase in bench/data/passphrase.txt) and the synth file (everything else). --sources-only
// writes only those (same records as the merged file of the same --records/--seed, which it leaves alone).
//
//   node bench/generate.mjs --records 450000 --sources-only   # ~4 min on 2 cores; 3 files next to the merged one
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { createGzip } from "node:zlib";
import { mulberry32, split } from "../test-fixtures/generate.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));

/** The sidecar of a generated file: `{ records, seed, shape, compressedBytes, uncompressedBytes }`, so run.mjs need not count. */
export const metaPath = (out) => `${out}.meta.json`;

/**
 * The record shapes: character ranges (log-uniform) of each text, and the share of multi-turn conversations.
 * `llama` is the published Llama-3.1 file's (~21 KB raw per record); `small` keeps every field and rule but
 * shortens the texts to ~6 KB raw per record, where per-record costs outweigh per-byte ones.
 */
export const SHAPES = {
  llama: { user: [30, 900], ja: [20, 400], followUp: [20, 400], reply: [100, 2000], response: [100, 1800], repeats: 60, judgement: [100, 500], en: [200, 2000], multiTurn: 0.25 },
  small: { user: [20, 300], ja: [10, 100], followUp: [20, 200], reply: [20, 250], response: [10, 120], repeats: 5, judgement: [20, 60], en: [40, 250], multiTurn: 0 },
};

/** Where `generate` writes by default for `records` of `shape`. */
export const defaultDataPath = (records, shape = "llama") =>
  join(BENCH, "data", `llama3.1-merged-${shape === "llama" ? "" : `${shape}-`}${records}.jsonl.gz`);

const MOD_KEYS = [
  "harassment", "harassment/threatening", "hate", "hate/threatening", "self-harm", "self-harm/instructions",
  "self-harm/intent", "sexual", "sexual/minors", "violence", "violence/graphic",
];
const MODELS = [
  "vicuna-13b", "koala-13b", "alpaca-13b", "chatglm-6b", "llama-13b", "oasst-pythia-12b", "dolly-v2-12b",
  "fastchat-t5-3b", "stablelm-tuned-alpha-7b", "mpt-7b-chat", "RWKV-4-Raven-14B", "claude-1", "gpt-3.5-turbo",
  "gpt-4", "palm-2", "vicuna-33b", "llama-2-13b-chat", "wizardlm-13b", "guanaco-33b", "claude-instant-1",
];
const TEMPLATES = ["company introduction", "product description", "chemical industry article", "self introduction", "story continuation"];
const PARTICLES = ["は", "が", "を", "に", "で", "と", "の", "も", "へ", "から", "まで", "より", "や", "について", "による", "として", "のような"];
const ENDINGS = [
  "です。", "ます。", "しました。", "できます。", "されています。", "があります。", "でしょう。", "してください。", "ません。",
  "と思います。", "することが重要です。", "が考えられます。", "になります。", "を示しています。", "が必要です。", "と言えます。",
];
const CONNECTORS = ["また、", "さらに、", "しかし、", "例えば、", "つまり、", "そのため、", "一方で、", "まず、", "次に、", "最後に、", "なお、", "特に、"];
const VERBS = ["する", "なる", "ある", "いる", "使う", "考える", "行う", "持つ", "示す", "作る", "選ぶ", "確認する", "理解する", "説明する"];
const EN_COMMON = (
  "the of and to a in is you that it for with as on this be are your can or an by not have from will if " +
  "which more also use one all can some these they their there what when how about other into would should " +
  "make like time such example data code function important different information help need provide may " +
  "please here following each first using used based system model user value process however because"
).split(" ");

/** Builds the seeded vocabulary; Zipf-skewed like real text, so gzip finds a realistic amount of repetition. */
function vocabulary(rand) {
  const int = (n) => Math.floor(rand() * n);
  const kanji = Array.from({ length: 1500 }, () => String.fromCharCode(0x4e00 + int(0x9fa0 - 0x4e00)));
  const kata = Array.from({ length: 86 }, (_, i) => String.fromCharCode(0x30a1 + i));
  const hira = Array.from({ length: 83 }, (_, i) => String.fromCharCode(0x3041 + i));
  const k = () => kanji[Math.floor(kanji.length * rand() ** 2.5)];
  const nouns = [];
  for (let i = 0; i < 5000; i++) {
    const r = rand();
    if (r < 0.7) nouns.push(k() + k() + (rand() < 0.2 ? k() : ""));
    else if (r < 0.88) nouns.push(Array.from({ length: 3 + int(4) }, () => kata[Math.floor(kata.length * rand() ** 1.5)]).join("") + (rand() < 0.3 ? "ー" : ""));
    else nouns.push(k() + hira[int(hira.length)] + hira[int(hira.length)]);
  }
  const syllables = Array.from({ length: 300 }, () => {
    const c = "tnsrhldcmfpgwybvk";
    const v = "aeiouaeioy";
    return c[int(c.length)] + v[int(v.length)] + (rand() < 0.5 ? c[int(c.length)] : "");
  });
  const enWords = [...EN_COMMON];
  for (let i = 0; i < 4000; i++) {
    let w = "";
    const len = 1 + int(3);
    for (let j = 0; j < len; j++) w += syllables[Math.floor(syllables.length * rand() ** 2)];
    enWords.push(w);
  }
  return { nouns, enWords };
}

/** One record generator bound to a PRNG; `record(i)` returns merged record `i` as an object (fields in file order). */
function recordWriter(seed, size = SHAPES.llama) {
  const rand = mulberry32(seed);
  const { nouns, enWords } = vocabulary(rand);
  const int = (n) => Math.floor(rand() * n);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const zipf = (a) => a[Math.floor(a.length * rand() ** 2.5)];
  // Log-uniform length in [lo, hi): mixes short answers with long ones.
  const logUniform = (lo, hi) => Math.floor(lo * (hi / lo) ** rand());
  const float32ish = (x) => Number(x.toPrecision(8));
  // Per record: topic words and sentences that its six answers and judgements share, as real answers to one
  // question do; without them gzip compresses far worse than on the real file.
  let topic = [];
  let shared = [];
  let sharedEn = [];
  const noun = () => (rand() < 0.35 ? pick(topic) : zipf(nouns));

  function jaSentence() {
    let s = rand() < 0.25 ? pick(CONNECTORS) : "";
    const parts = 2 + int(4);
    for (let i = 0; i < parts; i++) s += noun() + pick(PARTICLES);
    if (rand() < 0.5) s += pick(VERBS) + "ことで、" + noun() + pick(PARTICLES);
    return s + noun() + pick(ENDINGS);
  }
  const sentence = () => (rand() < 0.85 ? pick(shared) : jaSentence());
  // Japanese text of about `chars` characters with the structure of chat answers.
  function jaText(chars) {
    const blocks = [];
    let length = 0;
    let heading = true; // no heading first, none twice in a row
    while (length < chars) {
      const r = rand();
      let block;
      if (r < 0.1 && !heading) {
        block = `### ${noun()}${pick(["について", "の特徴", "の方法", "のポイント"])}`;
      } else if (r < 0.25) {
        block = "";
        for (let i = 1, n = 2 + int(4); i <= n; i++) block += `${i > 1 ? "\n" : ""}${i}. **${noun()}**：${sentence()}`;
      } else if (r < 0.27) {
        block = "```python";
        for (let i = 0, n = 2 + int(6); i < n; i++) block += `\n${"    ".repeat(int(3))}${zipf(enWords)}_${zipf(enWords)} = ${zipf(enWords)}(${int(100)})`;
        block += "\n```";
      } else {
        block = "";
        for (let i = 0, n = 1 + int(4); i < n; i++) block += sentence();
      }
      heading = block.startsWith("#");
      blocks.push(block);
      length += block.length + 2;
    }
    return blocks.join("\n\n");
  }
  function enText(chars) {
    let s = "";
    while (s.length < chars) {
      const n = 6 + int(18);
      if (rand() < 0.4) s += pick(sharedEn);
      else {
        const w = zipf(enWords);
        s += w[0].toUpperCase() + w.slice(1);
        for (let i = 1; i < n; i++) s += " " + zipf(enWords);
        s += ".";
      }
      s += rand() < 0.1 ? "\n\n" : " ";
    }
    return s.trimEnd();
  }
  function moderation() {
    const categories = {};
    const category_scores = {};
    for (const k of MOD_KEYS) categories[k] = false;
    for (const k of MOD_KEYS) category_scores[k] = float32ish(rand() ** 6 * 0.05);
    const flagged = rand() < 0.01;
    if (flagged) categories[pick(MOD_KEYS)] = true;
    return { categories, category_scores, flagged };
  }
  function annotation(score, content, en) {
    let body = "";
    const chars = logUniform(...size.judgement);
    while (body.length < chars) body += (en && body ? " " : "") + (rand() < 0.75 ? pick(en ? JUDGE_EN : JUDGE_JA) : en ? enSentence() : jaSentence());
    return {
      preference_score: score,
      judgement: `${body}\n\n${en ? "Rating" : "評価"}：[[${score}]]`,
      repetition_flag: false,
      response_token_length: Math.round(content.length * (en ? 0.27 : 0.85)),
    };
  }
  const score = () => {
    if (rand() < 0.03) return -1;
    const r = rand();
    return r < 0.1 ? int(5) : r < 0.3 ? 5 + int(2) : 7 + int(3 + (rand() < 0.3 ? 1 : 0));
  };
  const enSentence = () => {
    const w = zipf(enWords);
    let s = w[0].toUpperCase() + w.slice(1);
    for (let i = 1, n = 6 + int(18); i < n; i++) s += " " + zipf(enWords);
    return s + ".";
  };
  topic = Array.from({ length: 12 }, () => zipf(nouns));
  const JUDGE_JA = Array.from({ length: 80 }, jaSentence);
  const JUDGE_EN = Array.from({ length: 80 }, enSentence);
  const recent = []; // ring of earlier instructions, the sources of duplicates
  const idOf = (i) => createHash("md5").update(`lmsynth-bench-${seed}-${i}`).digest("hex");

  return function record(i) {
    topic = Array.from({ length: 12 }, () => zipf(nouns));
    shared = Array.from({ length: 16 }, jaSentence);
    sharedEn = Array.from({ length: 10 }, enSentence);
    const id = idOf(i);
    const redacted = rand() < 0.05;
    const template = rand() < 0.03 ? pick(TEMPLATES) : null;
    const empty = rand() < 0.0005;
    const dup = !empty && recent.length >= 100 && rand() < 0.05 ? recent[int(recent.length)] : undefined;
    let userEn = dup ? dup.en : enText(logUniform(...size.user)) + "?";
    if (redacted && !dup) userEn = `My name is NAME_1 and I live in NAME_2. ${userEn}`;
    const ja = empty ? "" : dup ? dup.ja : (redacted ? "私はNAME_1です。" : "") + jaText(logUniform(...size.ja));
    if (!dup && !empty) {
      if (recent.length < 5000) recent.push({ id, ja, en: userEn });
      else recent[int(5000)] = { id, ja, en: userEn };
    }
    const turns = rand() < 1 - size.multiTurn ? 1 : 2 + int(rand() < 0.6 ? 1 : 4);
    const conversation = [];
    for (let t = 0; t < turns; t++) {
      conversation.push({ role: "user", content: t === 0 ? userEn : enText(logUniform(...size.followUp)) });
      conversation.push({ role: "assistant", content: enText(logUniform(...size.reply)) });
    }
    const responses = [];
    const annotations = [];
    if (!dup && !empty) {
      const n = rand() < 0.01 ? 5 : 6;
      for (let j = 0; j < n; j++) {
        const repetitive = rand() < 0.02;
        let content;
        if (rand() < 0.001) content = "";
        else if (repetitive) content = jaSentence().repeat(20 + int(size.repeats));
        else content = jaText(logUniform(...size.response));
        const s = score();
        const a = annotation(s, content, false);
        if (repetitive) a.repetition_flag = true;
        responses.push({ role: "assistant", content });
        annotations.push(a);
      }
    }
    const hasEn = rand() > 0.0003;
    const enContent = enText(logUniform(...size.en));
    const r = {
      conversation_id: id,
      model: pick(MODELS),
      conversation,
      turn: turns,
      language: rand() < 0.03 ? "Japanese" : "English",
      openai_moderation: conversation.map(moderation),
      redacted,
      translated_conversation: [{ role: "user", content: ja }],
      duplicate_user_instruction_ja: dup ? dup.id : null,
      empty_user_instruction_ja: empty,
      is_template_instruction: template,
      synthesized_assistant_responses: responses,
      synthesized_response_scoring_annotations: annotations,
      synthesized_assistant_responses_en: hasEn ? [{ role: "assistant", content: enContent }] : [],
      synthesized_response_scoring_annotations_en: hasEn ? [annotation(score(), enContent, true)] : [],
    };
    return r;
  };
}


/**
 * Paths of the three published sources made from the same records as the merged file of `records`, named as
 * the published files are, with the record count added: the LMSYS export, the passphrase-encrypted Japanese
 * instructions and the synth file. `dir` defaults to bench/data/.
 */
export function sourcePaths(records, dir = join(BENCH, "data")) {
  return {
    lmsys: join(dir, `lmsys-chat-1m-${records}.jsonl.gz`),
    instructions: join(dir, `lmsys-chat-1m-first-turn-user-instructions-ja-${records}.jsonl.gz.gpg`),
    synth: join(dir, `llama3.1-lmsys-chat-1m-synth-ja+en-${records}.jsonl.gz`),
  };
}

/** The passphrase file of the encrypted instructions in `dir` (one line; written on first use). */
export const passphrasePath = (dir = join(BENCH, "data")) => join(dir, "passphrase.txt");

const PASSPHRASE = "lmsynth bench passphrase 1";

/**
 * One gzip JSONL file being written (level 6, 1 MiB chunks, mtime 0) under a temporary name: lines are
 * batched to ~1 MiB and written with gzip backpressure awaited, so memory stays flat.
 */
class GzipLines {
  constructor(path) {
    this.tmp = `${path}.tmp-${process.pid}`;
    this.gzip = createGzip({ level: 6, chunkSize: 1 << 20 });
    this.file = createWriteStream(this.tmp);
    this.done = once(this.file, "close");
    this.compressed = 0;
    this.raw = 0;
    this.batch = [];
    this.chars = 0;
    this.gzip.on("data", (c) => (this.compressed += c.length));
    this.gzip.pipe(this.file);
  }

  async write(line) {
    this.batch.push(line);
    this.chars += line.length + 1;
    if (this.chars >= 1 << 20) await this.flush();
  }

  async flush() {
    if (this.batch.length === 0) return;
    const buf = Buffer.from(this.batch.join("\n") + "\n", "utf8");
    this.batch = [];
    this.chars = 0;
    this.raw += buf.length;
    if (!this.gzip.write(buf)) await once(this.gzip, "drain");
  }

  /** Resolves when the temporary file is complete. */
  async close() {
    await this.flush();
    this.gzip.end();
    await this.done;
  }

  abort() {
    this.gzip.destroy();
    this.file.destroy();
    rmSync(this.tmp, { force: true });
  }
}

/**
 * Encrypts `plain` to `out` with the gpg CLI as the dataset's publisher likely did: `gpg --symmetric
 * --cipher-algo AES256` on the .gz file (gpg sees the gzip magic and does not compress; S2K and CFB+MDC are
 * gpg's defaults). A throwaway GNUPGHOME keeps the user's keyring and agent out of it; its agent is stopped after.
 */
function gpgEncrypt(plain, out, passphraseFile, literalName) {
  const home = mkdtempSync(join(tmpdir(), "lmsynth-bench-gpg-"));
  try {
    const r = spawnSync("gpg", [
      "--batch", "--quiet", "--yes", "--no-symkey-cache", "--pinentry-mode", "loopback", "--passphrase-file", passphraseFile,
      "--symmetric", "--cipher-algo", "AES256", "--set-filename", literalName, "-o", out, plain,
    ], { env: { ...process.env, GNUPGHOME: home }, stdio: ["ignore", "ignore", "pipe"] });
    if (r.error) throw new Error(`gpg: ${r.error.message} (the gpg CLI is needed for --sources)`);
    if (r.status !== 0) throw new Error(`gpg exited ${r.status}: ${r.stderr.toString().trim()}`);
  } finally {
    spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: home }, stdio: "ignore" });
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Writes `records` synthetic records: the merged file `out` (unless `merged` is false) and, with `sources`,
 * the three published sources split from the same records by test-fixtures/generate.mjs `split()`, in the
 * same order (`sourcePaths(records, dirname(out))`; the instructions encrypted with `passphrasePath()`).
 * Every file is gzip level 6 with 1 MiB chunks, streamed, written under a temporary name and renamed into
 * place at the end, so a half-written file is never taken for a finished one; each gets a sidecar
 * `metaPath(file)` `{ records, seed, shape, compressedBytes, uncompressedBytes }` (compressedBytes: the bytes on
 * disk, so for the .gpg file the encrypted size). Resolves with `{ files: [{ path, compressedBytes,
 * uncompressedBytes }] }`, merged first when written. The .gz files are deterministic; the .gpg file is not
 * (gpg draws a fresh salt and session key), though what it decrypts to is.
 */
export async function generate({ records = 450_000, seed = 1, shape = "llama", out = defaultDataPath(records, shape), merged = true, sources = false, progress = () => {} } = {}) {
  if (!merged && !sources) throw new Error("generate: nothing to write (merged and sources both false)");
  if (!SHAPES[shape]) throw new Error(`generate: unknown shape ${shape} (known: ${Object.keys(SHAPES).join(", ")})`);
  if (sources && shape !== "llama") throw new Error("generate: the three sources are written for the llama shape only");
  mkdirSync(dirname(out), { recursive: true });
  const paths = sourcePaths(records, dirname(out));
  const passphraseFile = passphrasePath(dirname(out));
  const sinks = {};
  if (merged) sinks.merged = { path: out, sink: new GzipLines(out) };
  if (sources) {
    sinks.lmsys = { path: paths.lmsys, sink: new GzipLines(paths.lmsys) };
    // The plaintext .gz goes to its own temporary name; gpg then writes the .gpg one.
    sinks.instructions = { path: paths.instructions, sink: new GzipLines(paths.instructions.replace(/\.gpg$/, "")) };
    sinks.synth = { path: paths.synth, sink: new GzipLines(paths.synth) };
  }
  const all = Object.values(sinks);
  const record = recordWriter(seed, SHAPES[shape]);
  let encryptedTmp;
  try {
    for (let i = 0; i < records; i++) {
      const r = record(i);
      if (sinks.merged) await sinks.merged.sink.write(JSON.stringify(r));
      if (sources) {
        const part = split(r);
        await sinks.lmsys.sink.write(JSON.stringify(part.lmsys));
        await sinks.instructions.sink.write(JSON.stringify(part.instruction));
        await sinks.synth.sink.write(JSON.stringify(part.synth));
      }
      if ((i + 1) % 1000 === 0 || i === records - 1) progress(i + 1, all.reduce((a, s) => a + s.sink.raw, 0), all.reduce((a, s) => a + s.sink.compressed, 0));
    }
    await Promise.all(all.map((s) => s.sink.close()));
    if (sources) {
      if (!existsSync(passphraseFile)) writeFileSync(passphraseFile, `${PASSPHRASE}\n`);
      encryptedTmp = `${paths.instructions}.tmp-${process.pid}`;
      gpgEncrypt(sinks.instructions.sink.tmp, encryptedTmp, passphraseFile, basename(paths.instructions, ".gpg"));
      rmSync(sinks.instructions.sink.tmp, { force: true });
      sinks.instructions.sink.tmp = encryptedTmp;
    }
    const files = [];
    for (const { path, sink } of all) {
      const meta = { records, seed, shape, compressedBytes: statSync(sink.tmp).size, uncompressedBytes: sink.raw };
      writeFileSync(metaPath(path), JSON.stringify(meta, null, 2) + "\n");
      renameSync(sink.tmp, path);
      files.push({ path, compressedBytes: meta.compressedBytes, uncompressedBytes: meta.uncompressedBytes });
    }
    return { files };
  } catch (e) {
    for (const { sink } of all) sink.abort();
    if (encryptedTmp) rmSync(encryptedTmp, { force: true });
    throw e;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      records: { type: "string", default: "450000" },
      seed: { type: "string", default: "1" },
      shape: { type: "string", default: "llama" },
      out: { type: "string" },
      sources: { type: "boolean", default: false },
      "sources-only": { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
    },
    strict: true,
  });
  const records = Number(values.records);
  if (!Number.isInteger(records) || records < 1) throw new Error(`--records: expected a whole number ≥ 1, got ${values.records}`);
  const out = values.out ? resolve(values.out) : defaultDataPath(records, values.shape);
  const started = performance.now();
  let next = 0;
  const result = await generate({
    records,
    seed: Number(values.seed),
    shape: values.shape,
    out,
    merged: !values["sources-only"],
    sources: values.sources || values["sources-only"],
    progress: (n, raw, gz) => {
      if (values.quiet || n < next) return;
      next = n + 25_000;
      const s = (performance.now() - started) / 1000;
      process.stderr.write(`${n} records, ${(raw / 1e6).toFixed(0)} MB raw, ${(gz / 1e6).toFixed(0)} MB gz, ${s.toFixed(0)} s\n`);
    },
  });
  const s = (performance.now() - started) / 1000;
  for (const f of result.files) {
    console.log(
      `wrote ${f.path}: ${records} records, ${(f.compressedBytes / 1e6).toFixed(1)} MB on disk ` +
        `(${(f.uncompressedBytes / 1e6).toFixed(1)} MB raw, ${(f.compressedBytes / records).toFixed(0)} B/record)`,
    );
  }
  console.log(`in ${s.toFixed(1)} s`);
}
