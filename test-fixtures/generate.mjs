#!/usr/bin/env node
// Writes the JSONL fixtures of test-fixtures/ deterministically (seeded PRNG, gzip without mtime), so
// `node test-fixtures/generate.mjs && git diff --exit-code test-fixtures` proves they are current.
// Every edge case is one record whose extra field `_case` names it (unknown fields must pass through).
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = dirname(fileURLToPath(import.meta.url));

/** 32 lowercase hex chars, like the real conversation ids, derived from a readable case name. */
export const idOf = (name) => createHash("md5").update(name).digest("hex");

// Numbers written as text where the form matters (8 vs 8.0): JSON.stringify cannot write "8.0".
const num = (text) => `\u0000${text}\u0000`;
const toLine = (obj) => JSON.stringify(obj).replace(/"\\u0000([^"\\]*)\\u0000"/g, "$1");

/** A small seeded PRNG (mulberry32): the fixtures, the bench data and the fuzz test draw from it. */
export function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ann = (score, extra = {}) => ({
  preference_score: score,
  judgement: `[[${typeof score === "string" ? score.replaceAll("\u0000", "") : score}]] 評価の理由。`,
  repetition_flag: false,
  response_token_length: 120,
  ...extra,
});
const asst = (content, extra = {}) => ({ role: "assistant", content, ...extra });
const MOD = { categories: { harassment: false, hate: false, sexual: false, violence: false }, category_scores: { harassment: 0.001, hate: 0.0002, sexual: 0.003, violence: 0.0001 }, flagged: false };

/** A Llama-3.1-style merged record; `over` replaces fields, `null` in `over` deletes one. */
export function llama(name, scores, over = {}) {
  const ja = `質問（${name}）：東京のおすすめの観光地を教えてください。`;
  const r = {
    conversation_id: idOf(name),
    model: "vicuna-13b",
    conversation: [
      { role: "user", content: `Question (${name}): what should I see in Tokyo?` },
      { role: "assistant", content: "Senso-ji and the Skytree." },
    ],
    turn: 1,
    language: "English",
    openai_moderation: [MOD, MOD],
    redacted: false,
    translated_conversation: [{ role: "user", content: ja }],
    duplicate_user_instruction_ja: null,
    empty_user_instruction_ja: false,
    is_template_instruction: null,
    synthesized_assistant_responses: scores.map((_, i) => asst(`回答${i}（${name}）：浅草寺がおすすめです。`)),
    synthesized_response_scoring_annotations: scores.map((s) => ann(s)),
    synthesized_assistant_responses_en: [asst(`English answer (${name}): visit Senso-ji.`)],
    synthesized_response_scoring_annotations_en: [ann(8)],
    _case: name,
  };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete r[k];
    else r[k] = v;
  }
  return r;
}

function llamaCases() {
  const basic = llama("basic", [6, 8, 7, 5, 8, 3]);
  const withRep = (name, scores, flagged) => {
    const r = llama(name, scores);
    r.synthesized_response_scoring_annotations = scores.map((s, i) => ann(s, { repetition_flag: flagged.includes(i) }));
    return r;
  };
  const unicode = llama("unicode", [5, 9, 4]);
  unicode.translated_conversation = [{ role: "user", content: "\u3000全角スペースで始まる質問😀と𠮷野家\r\n二行目  " }];
  unicode.synthesized_assistant_responses = [
    asst("普通の回答。"),
    asst("  先頭と末尾に空白\u3000\r\nCRLFの行😀𠮷\n  "),
    asst("三番目"),
  ];
  const extra = llama("extra-fields", [4, 6]);
  extra.synthesized_assistant_responses = [asst("考えた回答A", { thoughts: "まず…" }), asst("考えた回答B", { thoughts: "次に…" })];
  extra.synthesized_response_scoring_annotations = [ann(4, { judge_model: "x" }), ann(6, { judge_model: "x" })];
  extra.gpt_oss_subset = true;
  const whitespace = llama("whitespace-response", [9, 7, 5]);
  whitespace.synthesized_assistant_responses[0] = asst(" \n\u3000\t");
  const firstBlank = llama("first-blank", [6, 8]);
  firstBlank.synthesized_assistant_responses[0] = asst("   ");
  return [
    basic,
    llama("tie-worst", [9, 2, 5, 2, 7, 2]),
    llama("score-forms", [num("8.0"), num("8"), num("-1"), num("7.5"), num("-1.0"), num("6")]),
    llama("all-minus-one", [-1, -1, -1, -1, -1, -1]),
    withRep("repetition-best", [9, 7, 8, 6, 5, 4], [0]),
    withRep("all-repetition", [9, 7], [0, 1]),
    llama("responses-absent", [], { synthesized_assistant_responses: undefined, synthesized_response_scoring_annotations: undefined }),
    llama("responses-null", [], { synthesized_assistant_responses: null, synthesized_response_scoring_annotations: null }),
    llama("responses-empty", []),
    llama("duplicate", [], { duplicate_user_instruction_ja: basic.conversation_id, translated_conversation: basic.translated_conversation }),
    llama("empty", [], { empty_user_instruction_ja: true, translated_conversation: [{ role: "user", content: "" }] }),
    llama("template", [5, 6], { is_template_instruction: "company introduction" }),
    llama("redacted", [7, 4], { redacted: true, conversation: [{ role: "user", content: "Hi, I am NAME_1." }, { role: "assistant", content: "Hello NAME_1." }] }),
    llama("annotations-wrong-length", [8, 6, 7], { synthesized_response_scoring_annotations: [ann(8), ann(6)] }),
    whitespace,
    unicode,
    extra,
    llama("en-missing", [6, 7], { synthesized_assistant_responses_en: undefined, synthesized_response_scoring_annotations_en: undefined }),
    firstBlank,
    llama("low-scores", [3, 4, 2]),
    llama("single-usable", [-1, 6, -1]),
    llama("all-equal", [7, 7, 7, 7, 7, 7]),
  ];
}

function gemma2Cases() {
  const base = (name, scores, multiturn) => {
    const r = llama(name, scores);
    r.model = "koala-13b";
    r.synthesized_multiturn_conversation = multiturn;
    return r;
  };
  const ja = (name) => `質問（${name}）：東京のおすすめの観光地を教えてください。`;
  return [
    base("mt-nested-two-turns", [6, 9, 7], [[
      { role: "user", content: ja("mt-nested-two-turns") },
      { role: "assistant", content: "浅草寺です。" },
      { role: "user", content: "行き方は？" },
      { role: "assistant", content: "銀座線で浅草駅へ。\r\n徒歩5分。" },
    ]]),
    base("mt-flat-single", [5, 4], [
      { role: "user", content: ja("mt-flat-single") },
      { role: "assistant", content: "スカイツリーです。" },
    ]),
    base("mt-starts-with-assistant", [8, 3], [[
      { role: "assistant", content: "明治神宮です。" },
      { role: "user", content: "混んでいますか？" },
      { role: "assistant", content: "朝は空いています。" },
    ]]),
    base("mt-absent", [7, 6], undefined),
    base("mt-null", [7, 6], null),
    base("mt-template", [7, 6], [{ role: "user", content: ja("mt-template") }, { role: "assistant", content: "会社紹介です。" }]),
  ].map((r, i) => (i === 5 ? { ...r, is_template_instruction: "company introduction" } : r));
}

function gemma3Cases() {
  const g3 = (name, scores, over = {}) => {
    const r = llama(name, scores, over);
    delete r.synthesized_assistant_responses_en;
    delete r.synthesized_response_scoring_annotations_en;
    r.model = "gpt-4";
    return r;
  };
  return [
    g3("ten-responses", [5, 6, 9, 7, 9, 3, 8, 2, 4, 3]),
    g3("ten-with-gaps", [5, -1, 6, -1, 4, 6, 2, 2, 1, 6]),
    g3("g3-duplicate", [], { duplicate_user_instruction_ja: idOf("ten-responses") }),
  ];
}

/**
 * GPT-OSS records as public consumers' code shows them (input-format.md §7; no card or record seen): each
 * response carries `reasoning_content` beside `content`, which may be null; Japanese and English, single turn.
 */
function gptOssCases() {
  const oss = (name, ja, en, over = {}) => {
    const r = llama(name, ja.map(([, s]) => s), over);
    r.model = "gpt-4";
    r.synthesized_assistant_responses = ja.map(([content, , reasoning], i) => asst(content === undefined ? `回答${i}（${name}）：浅草寺がおすすめです。` : content, reasoning === undefined ? {} : { reasoning_content: reasoning }));
    r.synthesized_assistant_responses_en = en.map(([content, , reasoning]) => asst(content, reasoning === undefined ? {} : { reasoning_content: reasoning }));
    r.synthesized_response_scoring_annotations_en = en.map(([, s]) => ann(s));
    return r;
  };
  const think = (name, i) => `考察${i}（${name}）：観光地を比較する。`;
  return [
    oss("oss-basic", [[undefined, 6, think("oss-basic", 0)], [undefined, 9, think("oss-basic", 1)], [undefined, 4, think("oss-basic", 2)]], [["Visit Senso-ji.", 8, "Compare the sights."], ["Stay home.", 3, "Short answer."]]),
    oss("oss-null-content", [[null, 10, "答えを出せなかった。"], [undefined, 7, think("oss-null-content", 1)], [undefined, 5, think("oss-null-content", 2)]], [["Senso-ji.", 7, ""]]),
    oss("oss-all-null", [[null, 8, "…"], [null, 6, "…"]], [[null, -1, "no answer"]]),
    oss("oss-no-trace", [[undefined, 8], [undefined, 5, think("oss-no-trace", 1)]], [["Skytree.", 6]]),
  ];
}

/**
 * GPT-OSS records whose traces are stored as each producer stores them (issue 26): under `reasoning_content`,
 * `reasoning` (vLLM since its rename, Ollama), `thinking` (Harmony), under two keys with the same text (the
 * Swallow team's generator), and missing, null or empty; scores chosen so that every kind is chosen in SFT and
 * appears as chosen or rejected in DPO.
 */
function gptOssTraceKeyCases() {
  const oss = (name, responses, en = []) => {
    const r = llama(name, responses.map(([s]) => s));
    r.model = "gpt-4";
    r.synthesized_assistant_responses = responses.map(([, trace], i) => asst(`回答${i}（${name}）：浅草寺がおすすめです。`, trace));
    r.synthesized_assistant_responses_en = en.map(([s, trace], i) => asst(`Answer ${i} (${name}): visit Senso-ji.`, trace));
    r.synthesized_response_scoring_annotations_en = en.map(([s]) => ann(s));
    return r;
  };
  const think = (name, i) => `考察${i}（${name}）：観光地を比較する。`;
  return [
    oss("trace-reasoning-content", [[9, { reasoning_content: think("rc", 0) }], [3, { reasoning_content: think("rc", 1) }]], [[8, { reasoning_content: "Compare the sights." }], [2, { reasoning_content: "Short." }]]),
    oss("trace-reasoning", [[9, { reasoning: think("reasoning", 0) }], [2, { reasoning: think("reasoning", 1) }]]),
    oss("trace-thinking", [[8, { thinking: think("thinking", 0) }], [1, { thinking: think("thinking", 1) }]]),
    oss("trace-both-keys", [[9, { reasoning_content: think("both", 0), thinking: think("both", 0) }], [4, {}]]),
    oss("trace-missing", [[9, {}], [2, { reasoning_content: think("missing", 1) }]]),
    oss("trace-null", [[9, { reasoning_content: null }], [1, { reasoning_content: think("null", 1) }]], [[7, { reasoning_content: null }], [1, {}]]),
    oss("trace-empty", [[9, { reasoning_content: "" }], [2, { thinking: "" }]]),
  ];
}

/** A realistic-looking merged Llama-3.1 sample for `npm start`. */
function sample(n, seed) {
  const rand = mulberry32(seed);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const topics = ["東京の観光", "Pythonのリスト内包表記", "健康的な朝食", "量子コンピュータ", "俳句の作り方", "日本の歴史", "SQLの結合", "猫の飼い方"];
  const out = [];
  for (let i = 0; i < n; i++) {
    const name = `sample-${i}`;
    const topic = pick(topics);
    const count = rand() < 0.05 ? 0 : 6 - (rand() < 0.1 ? 1 : 0);
    const scores = Array.from({ length: count }, () => (rand() < 0.04 ? -1 : Math.floor(rand() * 11)));
    const r = llama(name, scores);
    r.translated_conversation = [{ role: "user", content: `${topic}について詳しく説明してください。（${i}）` }];
    r.conversation[0].content = `Please explain ${i} in detail.`;
    r.synthesized_assistant_responses = scores.map((s, j) => asst(`${topic}について説明します。${"これは説明の文です。".repeat(1 + Math.floor(rand() * 8))}（候補${j}）`));
    r.synthesized_response_scoring_annotations = scores.map((s) => ann(s, { repetition_flag: rand() < 0.03 }));
    if (rand() < 0.05) r.redacted = true;
    if (rand() < 0.05) r.is_template_instruction = "company introduction";
    if (i > 10 && rand() < 0.03) {
      r.duplicate_user_instruction_ja = idOf("sample-1");
      r.synthesized_assistant_responses = [];
      r.synthesized_response_scoring_annotations = [];
    }
    delete r._case;
    out.push(r);
  }
  return out;
}

const jsonl = (records) => records.map(toLine).join("\n") + "\n";

const LMSYS_KEYS = ["conversation_id", "model", "conversation", "turn", "language", "openai_moderation", "redacted"];

/** The three published sources a merged record came from (input-format.md §1, §4). */
export function split(r) {
  const lmsys = {};
  const synth = { conversation_id: r.conversation_id };
  for (const [k, v] of Object.entries(r)) {
    if (LMSYS_KEYS.includes(k)) lmsys[k] = v;
    else if (k !== "translated_conversation") synth[k] = v;
  }
  const instruction = { conversation_id: r.conversation_id, translated_conversation: r.translated_conversation };
  return { lmsys, instruction, synth };
}

/**
 * Sources of the Llama-3.1 edge cases, with the unmatched kinds the join must count: two LMSYS records
 * and one instruction without synth data, one synth record found nowhere else. LMSYS comes in reverse
 * order, so that the output order can only come from the synth file.
 */
function splitSources(records) {
  const parts = records.map(split);
  const extra = llama("lmsys-only-1", [5]);
  const extra2 = llama("lmsys-only-2", [5]);
  const synthOnly = split(llama("synth-only", [6, 9])).synth;
  return {
    lmsys: [split(extra).lmsys, ...parts.map((p) => p.lmsys).reverse(), split(extra2).lmsys],
    instructions: [...parts.map((p) => p.instruction), { conversation_id: idOf("instruction-only"), translated_conversation: [{ role: "user", content: "孤立した指示" }] }],
    synth: [...parts.slice(0, 3).map((p) => p.synth), synthOnly, ...parts.slice(3).map((p) => p.synth)],
  };
}

const sampleRecords = () => sample(300, 20241);

/**
 * One wrong type in each field the converters read (and the nested ones they read), for the bad-input
 * corpus: `[file name part, mutation]`; the mutated record is line 2, after a good one.
 */
const WRONG_TYPES = [
  ["conversation-id", (r) => (r.conversation_id = 12345)],
  ["conversation", (r) => (r.conversation = "hello")],
  ["conversation-content", (r) => (r.conversation[0].content = 42)],
  ["redacted", (r) => (r.redacted = "no")],
  ["translated-conversation", (r) => (r.translated_conversation = r.translated_conversation[0])],
  ["translated-content", (r) => (r.translated_conversation[0].content = null)],
  ["duplicate-instruction", (r) => (r.duplicate_user_instruction_ja = 1)],
  ["empty-instruction", (r) => (r.empty_user_instruction_ja = "false")],
  ["template-instruction", (r) => (r.is_template_instruction = true)],
  ["responses", (r) => (r.synthesized_assistant_responses = "回答")],
  ["response-role", (r) => (r.synthesized_assistant_responses[1].role = 1)],
  ["annotations", (r) => (r.synthesized_response_scoring_annotations = {})],
  ["repetition-flag", (r) => (r.synthesized_response_scoring_annotations[0].repetition_flag = "no")],
  ["responses-en", (r) => (r.synthesized_assistant_responses_en[0].role = 7)],
  ["annotations-en-score", (r) => (r.synthesized_response_scoring_annotations_en[0].preference_score = "8")],
  ["multiturn", (r) => (r.synthesized_multiturn_conversation = "text")],
];

const wrongType = (name, mutate) => {
  const r = llama(`wrong-type-${name}`, [6, 7]);
  mutate(r);
  return jsonl([llama("ok-1", [5]), r]);
};

/** The Llama-3.1 edge cases gzipped, then `tail` appended (trailing data after the gzip member). */
const gzipWithTail = (tail) => Buffer.concat([gzipSync(jsonl(llamaCases())), tail]);

/** Split sources with one id repeated at `at` (0-based) in one side, for the join's duplicate-id check. */
function duplicated(side, at, from) {
  const records = splitSources(llamaCases())[side];
  return jsonl([...records.slice(0, at), records[from], ...records.slice(at)]);
}

/**
 * The bad-input corpus (apps/cli/test/bad-input.test.ts reads test-fixtures/bad/cases.json): files a user
 * may really have, each with the outcome the CLI must give. Not written here: the 50 MB single line, made
 * by the test at run time.
 */
const BAD_FILES = {
  "bad/empty.jsonl": () => "",
  "bad/blank-lines.jsonl": () => "\n  \n\t\n\r\n",
  "bad/bom.jsonl": () => `\ufeff${jsonl(llamaCases())}`,
  "bad/crlf.jsonl": () => llamaCases().map(toLine).join("\r\n") + "\r\n",
  "bad/no-final-newline.jsonl": () => llamaCases().map(toLine).join("\n"),
  "bad/truncated-line.jsonl": () => {
    const lines = llamaCases().slice(0, 3).map(toLine);
    return `${lines[0]}\n${lines[1]}\n${lines[2].slice(0, 300)}`;
  },
  "bad/deep-nesting.jsonl": () => {
    const line = toLine(llama("deep-nesting", [6, 8]));
    return `${line.slice(0, -1)},"deep":${"[".repeat(10000)}${"]".repeat(10000)}}\n`;
  },
  "bad/empty.jsonl.gz": () => gzipSync(""),
  "bad/bom-crlf.jsonl.gz": () => gzipSync(`\ufeff${llamaCases().map(toLine).join("\r\n")}\r\n`),
  "bad/multi-member.jsonl.gz": () => Buffer.concat([gzipSync(jsonl(llamaCases().slice(0, 10))), gzipSync(jsonl(llamaCases().slice(10)))]),
  "bad/zero-padded.jsonl.gz": () => gzipWithTail(Buffer.alloc(1024)),
  "bad/trailing-garbage.jsonl.gz": () => gzipWithTail(Buffer.from("garbage after the member\n")),
  "bad/zeros-then-garbage.jsonl.gz": () => gzipWithTail(Buffer.concat([Buffer.alloc(512), Buffer.from("x")])),
  "bad/bad-crc.jsonl.gz": () => {
    const gz = Buffer.from(gzipSync(jsonl(llamaCases())));
    gz[gz.length - 8] ^= 0xff;
    return gz;
  },
  "bad/corrupt-deflate.jsonl.gz": () => {
    const gz = Buffer.from(gzipSync(jsonl(llamaCases())));
    gz.fill(0xff, 40, 48);
    return gz;
  },
  "bad/gzip-header-only.jsonl.gz": () => gzipSync(jsonl(llamaCases())).subarray(0, 10),
  "bad/not-parquet.parquet": () => Buffer.concat([Buffer.from("PAR1"), Buffer.from("this is not a Parquet file at all, only its magic bytes\n")]),
  "bad/duplicate-id-lmsys.jsonl": () => duplicated("lmsys", 5, 2),
  "bad/duplicate-id-instructions.jsonl": () => duplicated("instructions", 4, 0),
  "bad/lmsys-wrong-type.jsonl": () => {
    const [first, second, ...rest] = splitSources(llamaCases()).lmsys;
    return jsonl([first, { ...second, redacted: "no" }, ...rest]);
  },
  "bad/instructions-wrong-type.jsonl": () => {
    const records = splitSources(llamaCases()).instructions;
    records[2] = { ...records[2], translated_conversation: "質問" };
    return jsonl(records);
  },
  "bad/wrong-passphrase.txt": () => "not the passphrase\n",
  ...Object.fromEntries(WRONG_TYPES.map(([name, mutate]) => [`bad/wrong-type-${name}.jsonl`, () => wrongType(name, mutate)])),
};

/** Not written by default: the plaintext of the encrypted sample (see make-gpg-fixtures.sh). */
export const SAMPLE_INSTRUCTIONS = () => gzipSync(jsonl(sampleRecords().map((r) => split(r).instruction)), { level: 9 });

export const FILES = {
  "llama3.1/edge-cases.jsonl": () => jsonl(llamaCases()),
  "gemma2/edge-cases.jsonl": () => jsonl(gemma2Cases()),
  "gemma3/edge-cases.jsonl": () => jsonl(gemma3Cases()),
  "gpt-oss/edge-cases.jsonl": () => jsonl(gptOssCases()),
  "gpt-oss/trace-keys.jsonl": () => jsonl(gptOssTraceKeyCases()),
  "sample/llama3.1-sample.jsonl.gz": () => gzipSync(jsonl(sampleRecords()), { level: 9 }),
  // The sample as published: three sources; make-gpg-fixtures.sh encrypts the instructions.
  "sample/lmsys-chat-1m.jsonl.gz": () => gzipSync(jsonl(sampleRecords().map((r) => split(r).lmsys)), { level: 9 }),
  "sample/llama3.1-lmsys-chat-1m-synth-ja+en.jsonl.gz": () => gzipSync(jsonl(sampleRecords().map((r) => split(r).synth)), { level: 9 }),
  "split/llama3.1/lmsys.jsonl": () => jsonl(splitSources(llamaCases()).lmsys),
  "split/llama3.1/instructions.jsonl.gz": () => gzipSync(jsonl(splitSources(llamaCases()).instructions)),
  "split/llama3.1/synth.jsonl": () => jsonl(splitSources(llamaCases()).synth),
  "bad/malformed-json.jsonl": () => jsonl(llamaCases().slice(0, 2)) + '{"conversation_id": "x", "turn": 1,,}\n' + jsonl(llamaCases().slice(2, 3)),
  "bad/wrong-type.jsonl": () => {
    const r = llama("wrong-type", [6, 7]);
    r.synthesized_response_scoring_annotations[1].preference_score = "high";
    return jsonl([llama("ok-1", [5]), r]);
  },
  "bad/not-object.jsonl": () => "[1, 2, 3]\n",
  "bad/missing-id.jsonl": () => jsonl([{ ...llama("missing-id", [5]), conversation_id: undefined }]),
  "bad/invalid-utf8.jsonl": () => Buffer.concat([Buffer.from(jsonl([llama("ok", [5])])), Buffer.from('{"conversation_id": "ab\xff"}\n', "latin1")]),
  "bad/truncated.jsonl.gz": () => {
    const full = gzipSync(jsonl(llamaCases()));
    return full.subarray(0, Math.floor(full.length / 2));
  },
  ...BAD_FILES,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--sample-instructions")) process.stdout.write(SAMPLE_INSTRUCTIONS());
  else {
    for (const [path, make] of Object.entries(FILES)) {
      const file = join(ROOT, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, make());
    }
    console.log(`wrote ${Object.keys(FILES).length} fixture files under test-fixtures/`);
  }
}
