// Built-in chat templates vs @huggingface/jinja interpreting the official template, per-row rendering.
//
//   npm run build && node bench/render-bench.mjs [conversations=20000] [seed=1]
//
// Renders the same generated conversations (1–8 turns, a third with a system message, Japanese and English
// text with padding, U+3000, \r\n and emoji; contents 20–3000 characters) with each built-in renderer and with
// @huggingface/jinja on the official template from ../shared/reference/templates (or the ChatML template),
// checks that both give the same text, and prints rows/s and output MB/s (UTF-8) for each: one thread, median of
// three passes after a warm-up; @huggingface/jinja over a tenth of the rows, as it is slower.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { builtinRenderer, createJinjaRenderer } from "../packages/templates/dist/index.js";
import { mulberry32 } from "../test-fixtures/generate.mjs";

const N = Number(process.argv[2] ?? 20000);
const SEED = Number(process.argv[3] ?? 1);
const REFERENCE = fileURLToPath(new URL("../../shared/reference/templates/", import.meta.url));


const SENTENCES = [
  "東京から大阪まで新幹線で何時間かかりますか。",
  "はい、承知しました。以下に手順を示します。",
  "What is the capital of Australia? ",
  "Sure! Here is a short Python function:\n\n```python\ndef add(a, b):\n    return a + b\n```\n",
  "1. 材料を用意する\n2. 玉ねぎを切る\n3. 炒める\n",
  "家族👨‍👩‍👧で🇯🇵旅行に行きます。",
  "Line one\r\nLine two\r\n",
  "全角スペース\u3000を含む文章です。",
];
const EDGES = ["", "", " ", "\n", "\u3000", "  "];

function conversations(count, seed) {
  const rand = mulberry32(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const text = (max) => {
    let s = pick(EDGES);
    const target = 20 + Math.floor(rand() * max);
    while (s.length < target) s += pick(SENTENCES);
    return s + pick(EDGES);
  };
  const out = [];
  for (let i = 0; i < count; i++) {
    const messages = [];
    if (rand() < 0.35) messages.push({ role: "system", content: text(100) });
    const turns = 2 * (1 + Math.floor(rand() * 4));
    for (let t = 0; t < turns; t++) {
      messages.push(t % 2 === 0 ? { role: "user", content: text(400) } : { role: "assistant", content: text(3000) });
    }
    out.push(messages);
  }
  return out;
}

/** Median of three timed passes over `convs`, after a warm-up pass over up to 2000 of them. */
function time(renderer, convs) {
  for (let i = 0; i < Math.min(2000, convs.length); i++) renderer.render(convs[i]);
  const runs = [];
  for (let pass = 0; pass < 3; pass++) {
    let bytes = 0;
    const start = process.hrtime.bigint();
    // Buffer.byteLength flattens V8's rope strings and counts UTF-8 bytes, as writing the row would.
    for (const c of convs) bytes += Buffer.byteLength(renderer.render(c));
    runs.push({ seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes });
  }
  return runs.sort((a, b) => a.seconds - b.seconds)[1];
}

const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const setups = [
  ["llama-3.1", {}, "meta-llama__Llama-3.1-8B-Instruct.jinja", { bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>" }],
  // Gemma 2's template rejects system messages: it gets the conversations without one.
  ["gemma-2", {}, "google__gemma-2-27b-it.jinja", { bos_token: "<bos>", eos_token: "<eos>" }],
  ["gemma-3", {}, "google__gemma-3-27b-it.jinja", { bos_token: "<bos>", eos_token: "<eos>" }],
  ["chatml", {}, null, {}],
];

const all = conversations(N, SEED);
const inputChars = all.reduce((n, c) => n + c.reduce((m, x) => m + x.content.length, 0), 0);
console.log(`node ${process.version}, ${N} conversations, ${(inputChars / N).toFixed(0)} content chars per row on average`);
console.log("| template | renderer | rows | rows/s | µs/row | output MB/s | speed-up |");
console.log("|---|---|---:|---:|---:|---:|---:|");
for (const [name, options, file, tokens] of setups) {
  const builtin = builtinRenderer(name, options);
  const convs = name === "gemma-2" ? all.filter((c) => c[0].role !== "system") : all;
  const path = file === null ? null : REFERENCE + file;
  if (path !== null && !existsSync(path)) {
    console.log(`| ${name} | (skipped: ${path} missing) | | | | | |`);
    continue;
  }
  const source = path === null ? CHATML : readFileSync(path, "utf8");
  const jinja = createJinjaRenderer({ source, template: file ?? "chatml.jinja", variables: tokens });
  const jinjaConvs = convs.slice(0, Math.max(1, Math.floor(N / 10)));
  for (const c of jinjaConvs) {
    if (builtin.render(c) !== jinja.render(c)) throw new Error(`${name}: built-in and @huggingface/jinja differ`);
  }
  const b = time(builtin, convs);
  const j = time(jinja, jinjaConvs);
  const row = (who, r, n) =>
    `| ${name} | ${who} | ${n} | ${Math.round(n / r.seconds).toLocaleString("en")} | ${((r.seconds / n) * 1e6).toFixed(1)} | ` +
    `${(r.bytes / r.seconds / 1e6).toFixed(0)} |`;
  const speedup = b.seconds / convs.length / (j.seconds / jinjaConvs.length);
  console.log(row("built-in", b, convs.length) + ` ${(1 / speedup).toFixed(0)}× |`);
  console.log(row("@huggingface/jinja", j, jinjaConvs.length) + " 1× |");
}
