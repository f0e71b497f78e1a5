import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, runMain, spawnCli, tempDir } from "./run-cli.js";

const OSS = fixture("gpt-oss/edge-cases.jsonl");
const idOf = (name: string): string => createHash("md5").update(name).digest("hex");
const jaQ = (name: string): string => `質問（${name}）：東京のおすすめの観光地を教えてください。`;
const jaA = (name: string, i: number): string => `回答${i}（${name}）：浅草寺がおすすめです。`;
const think = (name: string, i: number): string => `考察${i}（${name}）：観光地を比較する。`;
type Row = Record<string, unknown>;
const jsonLines = (text: string): Row[] => text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Row);

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.remove());

async function rows(args: string[]): Promise<Row[]> {
  const run = await runMain([...args, "-o", "-"]);
  expect(run.code, run.stderr).toBe(0);
  return jsonLines(run.stdout);
}

describe("the GPT-OSS variant", () => {
  it("inspect detects it, counts traces and responses without text, and says what is assumed", async () => {
    const run = await runMain(["inspect", OSS, "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { variant: string; langs: Record<string, Row>; notes: string[]; unknown_fields: Row };
    expect(report.variant).toBe("gpt-oss");
    // ja: 3 + 3 + 2 + 2 responses, 3 null, all but one with a trace; en: 2 + 1 + 1 + 1, 1 null, all but one.
    expect(report.langs.ja).toMatchObject({ responses: 10, responses_without_text: 3, responses_with_reasoning: 9, scored: 7 });
    expect(report.langs.en).toMatchObject({ responses: 5, responses_without_text: 1, responses_with_reasoning: 4, scored: 4 });
    expect(report.notes[0]).toBe(
      "gpt-oss: the shape of this subset is inferred from consumers' code, no card or record has been seen: traces are read from reasoning_content (responses with one: ja 9 of 10, en 4 of 5); a response whose content is not a string is counted without text and never used; any other field is listed under unknown fields",
    );
    expect(report.unknown_fields).toEqual({ _case: 4 });
  });

  it("sft keeps each trace on its assistant message (--reasoning keep), never a null content, and no null trace on any message", async () => {
    const kept = await rows(["sft", OSS, "--lang", "both", "--with-meta"]);
    const user = (name: string) => ({ role: "user", content: jaQ(name), reasoning_content: "" });
    expect(kept.filter((r) => r.lang === "ja")).toEqual([
      { conversation_id: idOf("oss-basic"), messages: [user("oss-basic"), { role: "assistant", content: jaA("oss-basic", 1), reasoning_content: think("oss-basic", 1) }], lang: "ja", response_index: 1, score: 9 },
      // The 10 has no content: the 7 is the best usable response.
      { conversation_id: idOf("oss-null-content"), messages: [user("oss-null-content"), { role: "assistant", content: jaA("oss-null-content", 1), reasoning_content: think("oss-null-content", 1) }], lang: "ja", response_index: 1, score: 7 },
      // A response without a trace gets an empty one, so that no template meets a null (TRL v1 keeps None).
      { conversation_id: idOf("oss-no-trace"), messages: [user("oss-no-trace"), { role: "assistant", content: jaA("oss-no-trace", 0), reasoning_content: "" }], lang: "ja", response_index: 0, score: 8 },
    ]);
    expect(kept.filter((r) => r.lang === "en").map((r) => (r.messages as Row[])[1])).toEqual([
      { role: "assistant", content: "Visit Senso-ji.", reasoning_content: "Compare the sights." },
      { role: "assistant", content: "Senso-ji.", reasoning_content: "" },
      { role: "assistant", content: "Skytree.", reasoning_content: "" },
    ]);
    // --reasoning drop: the same rows without their traces; --reasoning-key thinking: under that key.
    const strip = (r: Row): Row => ({ ...r, messages: (r.messages as Row[]).map(({ role, content }) => ({ role, content })) });
    expect(await rows(["sft", OSS, "--lang", "both", "--with-meta", "--reasoning", "drop"])).toEqual(kept.map(strip));
    const thinking = await rows(["sft", OSS, "--lang", "both", "--with-meta", "--reasoning-key", "thinking"]);
    expect((thinking[0]!.messages as Row[])[1]).toEqual({ role: "assistant", content: jaA("oss-basic", 1), thinking: think("oss-basic", 1) });
  });

  it("counts a language whose responses all lack text as skipped, and writes nothing for it", async () => {
    const run = await runMain(["sft", OSS, "--lang", "both", "-o", join(tmp.dir, "sft.jsonl"), "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ variant: "gpt-oss", rows: { sft: 6 }, funnel: { sft: { ja: { "no-valid-score": 1 }, en: { "no-valid-score": 1 } } } });
  });

  it("dpo and kto carry the traces of chosen, rejected and completion", async () => {
    const [pair] = await rows(["dpo", OSS]);
    expect(pair).toMatchObject({
      conversation_id: idOf("oss-basic"),
      chosen: [{ role: "assistant", content: jaA("oss-basic", 1), reasoning_content: think("oss-basic", 1) }],
      rejected: [{ role: "assistant", content: jaA("oss-basic", 2), reasoning_content: think("oss-basic", 2) }],
    });
    const kto = await rows(["kto", OSS, "--kto-per-record", "all"]);
    expect(kto.map((r) => [r.conversation_id === idOf("oss-basic"), r.label, (r.completion as Row[])[0]!.reasoning_content ?? null])).toEqual([
      [true, true, think("oss-basic", 1)],
      [true, false, think("oss-basic", 2)],
      [false, false, think("oss-null-content", 2)],
      [false, true, ""],
      [false, false, think("oss-no-trace", 1)],
    ]);
  });

  it("build gives every message a trace field in Parquet (never null), sharegpt the trace inline, and the card names the Apache-2.0 licence", async () => {
    const out = join(tmp.dir, "ds");
    expect((await runMain(["build", OSS, "-o", out, "--lang", "both", "--sft-format", "messages,sharegpt", "--kto", "--silent"])).code).toBe(0);
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    const describe = async (path: string) =>
      Object.fromEntries(((await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${join(out, path)}')`)).getRowObjectsJson() as { column_name: string; column_type: string }[]).map((r) => [r.column_name, r.column_type]));
    expect((await describe("sft/train-00000-of-00001.parquet")).messages).toBe('STRUCT("role" VARCHAR, "content" VARCHAR, reasoning_content VARCHAR)[]');
    // LLaMA-Factory reads no trace field: the trace is inline in the value.
    expect((await describe("sft-sharegpt/train-00000-of-00001.parquet")).conversations).toBe('STRUCT("from" VARCHAR, "value" VARCHAR)[]');
    expect((await describe("kto/train-00000-of-00001.parquet")).completion).toBe('STRUCT("role" VARCHAR, "content" VARCHAR, reasoning_content VARCHAR)[]');
    const first = (await db.runAndReadAll(`SELECT messages FROM read_parquet('${join(out, "sft/train-00000-of-00001.parquet")}') LIMIT 1`)).getRowObjectsJson()[0];
    expect(first).toEqual({ messages: [{ role: "user", content: jaQ("oss-basic"), reasoning_content: "" }, { role: "assistant", content: jaA("oss-basic", 1), reasoning_content: think("oss-basic", 1) }] });
    const shared = (await db.runAndReadAll(`SELECT conversations FROM read_parquet('${join(out, "sft-sharegpt/train-00000-of-00001.parquet")}') LIMIT 1`)).getRowObjectsJson()[0];
    expect(shared).toEqual({ conversations: [{ from: "human", value: jaQ("oss-basic") }, { from: "gpt", value: `<think>${think("oss-basic", 1)}</think>${jaA("oss-basic", 1)}` }] });
    db.closeSync();
    const card = readFileSync(join(out, "README.md"), "utf8");
    expect(card).toContain("[Apache License 2.0](https://www.apache.org/licenses/LICENSE-2.0)");
    // --reasoning drop: no trace field at all.
    const dropped = join(tmp.dir, "dropped");
    expect((await runMain(["build", OSS, "-o", dropped, "--reasoning", "drop", "--silent"])).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dropped, "manifest.json"), "utf8")) as { card: { columns: { sft: Row[] } } };
    expect(manifest.card.columns.sft[1]).toEqual({ name: "messages", type: "messages", nullable: false });
  });

  it("render passes the trace to a template that reads it", async () => {
    const template = join(tmp.dir, "chat_template.jinja");
    writeFileSync(template, "{% for m in messages %}[{{ m.role }}]{% if m.reasoning_content %}<think>{{ m.reasoning_content }}</think>{% endif %}{{ m.content }}\n{% endfor %}");
    const sft = join(tmp.dir, "render-in.jsonl");
    expect((await runMain(["sft", OSS, "-o", sft, "--silent"])).code).toBe(0);
    const [first] = await rows(["render", sft, "--template", template]);
    expect(first).toEqual({ conversation_id: idOf("oss-basic"), text: `[user]${jaQ("oss-basic")}\n[assistant]<think>${think("oss-basic", 1)}</think>${jaA("oss-basic", 1)}\n` });
  });

  it("the variant is known before the first row from stdin and from an encrypted merged file: the same folder as from the file", async () => {
    const shards = (dir: string) => ["sft", "dpo"].map((config) => readFileSync(join(dir, config, "train-00000-of-00001.parquet")));
    const fromFile = join(tmp.dir, "from-file");
    expect((await runMain(["build", OSS, "-o", fromFile, "--silent"])).code).toBe(0);
    const fromStdin = join(tmp.dir, "from-stdin");
    expect(await runMain(["build", "-", "-o", fromStdin, "--silent"], readFileSync(OSS))).toMatchObject({ code: 0, stderr: "" });
    expect(shards(fromStdin)).toEqual(shards(fromFile));
    const gpg = join(tmp.dir, "oss.jsonl.gpg");
    mkdirSync(join(tmp.dir, "gnupg"), { mode: 0o700 });
    const made = spawnSync("gpg", ["--batch", "--yes", "--quiet", "--pinentry-mode", "loopback", "--passphrase-file", fixture("gpg/passphrase.txt"), "--symmetric", "-o", gpg, OSS], {
      env: { ...process.env, GNUPGHOME: join(tmp.dir, "gnupg") },
    });
    expect(made.status).toBe(0);
    const fromGpg = join(tmp.dir, "from-gpg");
    expect(await runMain(["build", gpg, "--passphrase-file", fixture("gpg/passphrase.txt"), "-o", fromGpg, "--silent"])).toMatchObject({ code: 0, stderr: "" });
    expect(shards(fromGpg)).toEqual(shards(fromFile));
  });

  it("traces the first record did not show fail the build instead of being dropped, unless told the variant", () => {
    // A GPT-OSS file whose first record has no trace key (an English-only record), then records with traces.
    const lines = readFileSync(OSS, "utf8").split("\n").filter(Boolean);
    const plain = JSON.parse(lines[0]!) as Record<string, unknown>;
    for (const key of Object.keys(plain)) if (key.startsWith("synthesized") || key.endsWith("_ja") || key.endsWith("_en")) delete plain[key];
    const input = join(tmp.dir, "late-traces.jsonl");
    writeFileSync(input, [JSON.stringify({ ...plain, conversation_id: "0".repeat(32) }), ...lines].join("\n") + "\n");
    const out = join(tmp.dir, "late");
    const run = spawnCli(["build", input, "-o", out]);
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe(
      `Error: ${input}: responses carry reasoning traces the build had no field for (the first record of its first file showed none): give --variant gpt-oss to keep them, or --reasoning drop`,
    );
    expect(spawnCli(["build", input, "-o", out, "--variant", "gpt-oss", "--silent"]).code).toBe(0);
  });
});

describe("reasoning traces under every producer's key (issue 26)", () => {
  const KEYS = fixture("gpt-oss/trace-keys.jsonl");
  const lines = readFileSync(KEYS, "utf8").split("\n").filter(Boolean);
  const tk = (name: string, i: number): string => `考察${i}（${name}）：観光地を比較する。`;

  it("reads reasoning_content, reasoning and thinking alike, one trace for the same text under two keys, and writes them under --reasoning-key both", async () => {
    const out = await rows(["sft", KEYS, "--reasoning-key", "both"]);
    const traces = out.map((r) => (r.messages as Row[])[1]);
    expect(traces.map((m) => [m!.reasoning_content, m!.thinking])).toEqual([
      [tk("rc", 0), tk("rc", 0)],
      [tk("reasoning", 0), tk("reasoning", 0)],
      [tk("thinking", 0), tk("thinking", 0)],
      [tk("both", 0), tk("both", 0)],
      ["", ""],
      ["", ""],
      ["", ""],
    ]);
    // The user turn carries both fields too, empty: no template meets a null.
    expect((out[0]!.messages as Row[])[0]).toMatchObject({ role: "user", reasoning_content: "", thinking: "" });
  });

  it("counts responses with and without a trace, per language, in the summary and the card", async () => {
    const run = await runMain(["sft", KEYS, "--lang", "both", "-o", join(tmp.dir, "keys.jsonl"), "--json"]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { traces: unknown }).traces).toEqual({ ja: { with: 11, without: 3 }, en: { with: 2, without: 2 } });
    const out = join(tmp.dir, "keys-ds");
    expect((await runMain(["build", KEYS, "--lang", "both", "-o", out, "--silent"])).code).toBe(0);
    expect(readFileSync(join(out, "README.md"), "utf8")).toContain("\nResponses with a reasoning trace: ja 11 of 14, en 2 of 4.\n");
  });

  it.each([
    ["two different traces", { reasoning_content: "one", thinking: "two" }, '`synthesized_assistant_responses[0].thinking`: is another trace than `reasoning_content` holds: one response has one trace, got "two"'],
    ["a number", { reasoning: 7 }, "`synthesized_assistant_responses[0].reasoning`: expected string, got number"],
    ["an object", { thinking: { text: "t" } }, "`synthesized_assistant_responses[0].thinking`: expected string, got object"],
  ])("a trace that is %s is invalid input at file:line, or set aside with --on-invalid skip", async (_, trace, detail) => {
    const record = JSON.parse(lines[0]!) as { synthesized_assistant_responses: Row[] };
    record.synthesized_assistant_responses[0] = { role: "assistant", content: "x", ...trace };
    const input = join(tmp.dir, "bad-trace.jsonl");
    writeFileSync(input, `${lines[1]}\n${JSON.stringify(record)}\n`);
    const run = spawnCli(["sft", input, "-o", join(tmp.dir, "bad.jsonl")]);
    expect([run.code, run.stderr]).toEqual([2, `Error: ${input}:2: ${detail}\n`]);
    const skip = await runMain(["sft", input, "-o", join(tmp.dir, "bad.jsonl"), "--on-invalid", "skip", "--json"]);
    expect((JSON.parse(skip.stdout) as { rejected: number }).rejected).toBe(1);
  });

  it("warns when the variant and the traces disagree, naming the flag that changes it", async () => {
    const llama = await runMain(["sft", KEYS, "--variant", "llama-3.1", "-o", join(tmp.dir, "as-llama.jsonl")]);
    expect(llama.code).toBe(0);
    expect(jsonLines(readFileSync(join(tmp.dir, "as-llama.jsonl"), "utf8")).every((r) => (r.messages as Row[]).every((m) => Object.keys(m).join() === "role,content"))).toBe(true);
    expect(llama.stderr).toContain(
      "warning: 13 responses carry a reasoning trace (ja 11 of 14, en 2 of 4), but the input is read as llama-3.1: the traces are not written and the card names that variant's licence; give --variant gpt-oss to keep them\n",
    );
    const oss = await runMain(["sft", fixture("llama3.1/edge-cases.jsonl"), "--variant", "gpt-oss", "-o", join(tmp.dir, "as-oss.jsonl")]);
    expect(oss.code).toBe(0);
    expect(oss.stderr).toContain("warning: the input is read as gpt-oss, but no response carries a reasoning trace (reasoning_content, reasoning or thinking): every row has an empty one; is --variant gpt-oss right? --reasoning drop writes no trace field\n");
  });

  it("--template decides the default key: thinking for a Harmony-style template; one that reads no trace field is a warning", async () => {
    const harmony = join(tmp.dir, "harmony.jinja");
    writeFileSync(harmony, "{% for m in messages %}{% if m.thinking %}<analysis>{{ m.thinking }}</analysis>{% endif %}{{ m.content }}{% endfor %}");
    const [first] = await rows(["sft", KEYS, "--template", harmony]);
    expect((first!.messages as Row[])[1]).toEqual({ role: "assistant", content: "回答0（trace-reasoning-content）：浅草寺がおすすめです。", thinking: tk("rc", 0) });
    expect(first!.text).toBe(`質問（trace-reasoning-content）：東京のおすすめの観光地を教えてください。<analysis>${tk("rc", 0)}</analysis>回答0（trace-reasoning-content）：浅草寺がおすすめです。`);
    const run = await runMain(["sft", KEYS, "--template", "chatml", "-o", join(tmp.dir, "chatml.jsonl")]);
    expect(run.stderr).toContain("warning: the rows keep their reasoning traces (ja 11 of 14, en 2 of 4), but the --template reads no trace field (thinking or reasoning_content): its text column has none; --reasoning drop leaves them out of the rows too\n");
  });
});
