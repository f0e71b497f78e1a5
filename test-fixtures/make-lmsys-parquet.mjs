#!/usr/bin/env node
// Writes test-fixtures/lmsys-parquet/train-0000N-of-00002.parquet: two small shards with the column types
// of the original lmsys/lmsys-chat-1m Parquet files (input-format.md §2), written by DuckDB so that the
// reader (hyparquet) is tested against an independent writer. Several row groups per shard (3 rows each),
// SNAPPY like the Hub's pyarrow files. Rows cover the export filter: Japanese, English, other languages,
// a conversation flagged by moderation (in the assistant turn only), a redacted one, a multi-turn one.
// Deterministic: run `node test-fixtures/make-lmsys-parquet.mjs` from anywhere.
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "lmsys-parquet");
const idOf = (name) => createHash("md5").update(name).digest("hex");

const CATEGORIES = [
  "harassment",
  "harassment/threatening",
  "hate",
  "hate/threatening",
  "self-harm",
  "self-harm/instructions",
  "self-harm/intent",
  "sexual",
  "sexual/minors",
  "violence",
  "violence/graphic",
];

/** One moderation result; `flagged` names the categories that are true. */
function moderation(seed, flagged = []) {
  const categories = Object.fromEntries(CATEGORIES.map((c) => [c, flagged.includes(c)]));
  // Scores with many digits, as the real ones have (doubles must survive exactly).
  const category_scores = Object.fromEntries(
    CATEGORIES.map((c, i) => [c, flagged.includes(c) ? 0.9731204509735107 : Number(((seed * 7 + i * 13) % 97) * 1.0173e-6)]),
  );
  return { categories, category_scores, flagged: flagged.length > 0 };
}

function row(name, { model = "vicuna-13b", language, turns, redacted = false, flag }) {
  const conversation = turns.flatMap(([user, assistant]) => [
    { content: user, role: "user" },
    { content: assistant, role: "assistant" },
  ]);
  return {
    conversation_id: idOf(`lmsys-parquet-${name}`),
    model,
    conversation,
    turn: turns.length,
    language,
    openai_moderation: conversation.map((_, i) => moderation(name.length + i, flag && i === flag.at ? flag.categories : [])),
    redacted,
  };
}

const shards = [
  [
    row("ja-tokyo", { language: "Japanese", turns: [["東京のおすすめの観光地は？", "浅草寺と東京スカイツリーです。"]] }),
    row("en-python", { model: "gpt-3.5-turbo", language: "English", turns: [["Write a Python hello world.", "print(\"Hello, world!\")\n"]] }),
    row("pt-receita", { model: "koala-13b", language: "Portuguese", turns: [["Qual é a receita de pão de queijo?", "Polvilho, queijo, ovos e leite."]] }),
    row("en-flagged", {
      language: "English",
      turns: [["Tell me a story about a fight.", "A violent story…"]],
      flag: { at: 1, categories: ["violence", "violence/graphic"] },
    }),
    row("ja-redacted", {
      model: "claude-1",
      language: "Japanese",
      redacted: true,
      turns: [["NAME_1さんへのメールを書いてください。", "NAME_1様\n\nいつもお世話になっております。"]],
    }),
    row("en-multiturn", {
      model: "llama-13b",
      language: "English",
      turns: [
        ["What is 2+2?", "4."],
        ["And times 3?", "12."],
      ],
    }),
    row("zh-greeting", { model: "chatglm-6b", language: "Chinese", turns: [["你好", "你好！有什么可以帮你的吗？"]] }),
  ],
  [
    row("ja-flagged-user", {
      language: "Japanese",
      turns: [["攻撃的な質問", "お答えできません。"]],
      flag: { at: 0, categories: ["harassment"] },
    }),
    row("en-unicode", { model: "vicuna-7b", language: "English", turns: [["Emoji 😀, tab\tand \"quotes\"", "Got it: 😀"]] }),
    row("ja-empty-answer", { model: "dolly-v2-12b", language: "Japanese", turns: [["空の回答", ""]] }),
    row("de-wetter", { model: "fastchat-t5-3b", language: "German", turns: [["Wie ist das Wetter?", "Sonnig."]] }),
    row("en-last", { model: "alpaca-13b", language: "English", turns: [["Say bye.", "Bye!"]] }),
  ],
];

const bools = CATEGORIES.map((c) => `"${c}" BOOLEAN`).join(", ");
const doubles = CATEGORIES.map((c) => `"${c}" DOUBLE`).join(", ");
// Column order and types of the published shards.
const COLUMNS = `{
  conversation_id: 'VARCHAR',
  model: 'VARCHAR',
  conversation: 'STRUCT(content VARCHAR, role VARCHAR)[]',
  turn: 'BIGINT',
  language: 'VARCHAR',
  openai_moderation: 'STRUCT(categories STRUCT(${bools}), category_scores STRUCT(${doubles}), flagged BOOLEAN)[]',
  redacted: 'BOOLEAN'
}`;

const ROWS_PER_GROUP = 3;
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const instance = await DuckDBInstance.create(":memory:");
const connection = await instance.connect();
for (const [i, rows] of shards.entries()) {
  // DuckDB cuts a row group only between the data chunks it receives, so each group of 3 rows comes
  // from its own file, in a UNION ALL that keeps their order.
  const groups = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_GROUP) {
    const jsonl = join(OUT, `shard-${i}-${groups.length}.jsonl`);
    writeFileSync(jsonl, rows.slice(start, start + ROWS_PER_GROUP).map((r) => JSON.stringify(r)).join("\n") + "\n");
    groups.push(jsonl);
  }
  const select = groups
    .map((jsonl) => `SELECT * FROM read_json('${jsonl}', format = 'newline_delimited', columns = ${COLUMNS})`)
    .join(" UNION ALL ");
  const target = join(OUT, `train-0000${i}-of-0000${shards.length}.parquet`);
  await connection.run("SET preserve_insertion_order = true");
  await connection.run(`COPY (${select}) TO '${target}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${ROWS_PER_GROUP})`);
  for (const jsonl of groups) rmSync(jsonl);
}
// The LMSYS side of the split edge cases (generate.mjs) as Parquet, so that joining with Parquet LMSYS
// input can be compared with the JSONL export row for row. Column types are DuckDB's own inference.
const split = join(dirname(OUT), "split/llama3.1");
await connection.run(
  `COPY (SELECT * FROM read_json('${join(split, "lmsys.jsonl")}', format = 'newline_delimited')) TO '${join(split, "lmsys.parquet")}' (FORMAT parquet, COMPRESSION snappy)`,
);
connection.closeSync();
instance.closeSync();
console.log(`wrote ${shards.length} shards to ${OUT} and split/llama3.1/lmsys.parquet`);
