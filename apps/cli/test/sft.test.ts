import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixture, runMain, spawnCli, squeezeTable, tempDir } from "./run-cli.js";

const LLAMA = fixture("llama3.1/edge-cases.jsonl");
const GEMMA2 = fixture("gemma2/edge-cases.jsonl");
const GEMMA3 = fixture("gemma3/edge-cases.jsonl");

const idOf = (name: string): string => createHash("md5").update(name).digest("hex");
const jaQ = (name: string): string => `質問（${name}）：東京のおすすめの観光地を教えてください。`;
const jaA = (name: string, i: number): string => `回答${i}（${name}）：浅草寺がおすすめです。`;
/** One output line, spelled out as the file holds it (the contents need no JSON escapes). */
const line = (name: string, assistant: string, meta = ""): string =>
  `{"conversation_id":"${idOf(name)}","messages":[{"role":"user","content":"${jaQ(name)}"},{"role":"assistant","content":"${assistant}"}]${meta}}`;

// The unicode case's row, byte for byte: U+3000, emoji, an astral kanji, CRLF and edge spaces, not escaped.
const UNICODE_LINE =
  '{"conversation_id":"8ab3b19e134f01fbaf94b8e15f3df090","messages":[{"role":"user","content":"\u3000全角スペースで始まる質問😀と𠮷野家\\r\\n二行目  "},{"role":"assistant","content":"  先頭と末尾に空白\u3000\\r\\nCRLFの行😀𠮷\\n  "}]}';

/** `sft` of the llama3.1 edge cases with default options (ja, best): 14 rows. */
const LLAMA_BEST =
  [
    line("basic", jaA("basic", 1)),
    line("tie-worst", jaA("tie-worst", 0)),
    line("score-forms", jaA("score-forms", 0)),
    line("repetition-best", jaA("repetition-best", 2)),
    line("template", jaA("template", 1)),
    line("redacted", jaA("redacted", 0)),
    line("whitespace-response", jaA("whitespace-response", 1)),
    UNICODE_LINE,
    line("extra-fields", "考えた回答B"),
    line("en-missing", jaA("en-missing", 1)),
    line("first-blank", jaA("first-blank", 1)),
    line("low-scores", jaA("low-scores", 1)),
    line("single-usable", jaA("single-usable", 1)),
    line("all-equal", jaA("all-equal", 0)),
  ].join("\n") + "\n";

/** `sft` of the gemma3 edge cases with default options. */
const G3_BEST =
  '{"conversation_id":"4598971fe1a8ea6484539ac631510707","messages":[{"role":"user","content":"質問（ten-responses）：東京のおすすめの観光地を教えてください。"},{"role":"assistant","content":"回答2（ten-responses）：浅草寺がおすすめです。"}]}\n' +
  '{"conversation_id":"d83658e88a9a59b36a2e17e0df907a58","messages":[{"role":"user","content":"質問（ten-with-gaps）：東京のおすすめの観光地を教えてください。"},{"role":"assistant","content":"回答2（ten-with-gaps）：浅草寺がおすすめです。"}]}\n';

const LLAMA_BEST_FUNNEL = { "no-valid-score": 2, repetition: 1, "no-candidates": 3, "duplicate-instruction": 1, "empty-instruction": 1 };

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

/** The `--json` summary without its timing. */
function summaryOf(stdout: string): Record<string, unknown> {
  const { seconds, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
  expect(typeof seconds).toBe("number");
  return rest;
}

describe("lmsynth sft: output files", () => {
  it("writes .jsonl: UTF-8, one row per line, no ASCII escaping, nothing else in the folder", async () => {
    const out = join(tmp.dir, "sft.jsonl");
    const r = await runMain(["sft", LLAMA, "-o", out, "--silent"]);
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const bytes = readFileSync(out);
    expect(bytes.equals(Buffer.from(LLAMA_BEST, "utf8"))).toBe(true);
    expect(bytes.toString("utf8").split("\n")[7]).toBe(UNICODE_LINE);
    expect(bytes.includes("\\u")).toBe(false);
    expect(tmp.list()).toEqual(["sft.jsonl"]);
  });

  it("writes .jsonl.gz: gzip with mtime 0 whose content is the same bytes", async () => {
    const out = join(tmp.dir, "sft.jsonl.gz");
    expect((await runMain(["sft", LLAMA, "-o", out, "--silent"])).code).toBe(0);
    const gz = readFileSync(out);
    expect([...gz.subarray(0, 8)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    expect(gunzipSync(gz).equals(Buffer.from(LLAMA_BEST, "utf8"))).toBe(true);
    expect(tmp.list()).toEqual(["sft.jsonl.gz"]);
  });

  it("-o - writes the rows to stdout and the summary table to stderr", async () => {
    const r = await runMain(["sft", GEMMA3, "-o", "-"]);
    expect(r.code).toBe(0);
    expect(r.stdoutBytes.equals(Buffer.from(G3_BEST, "utf8"))).toBe(true);
    expect(squeezeTable(r.stderr)).toBe(
      "variant gemma-3\nrecords read 3\nsft rows written 2\nsft skipped (ja) duplicate-instruction 1\nseconds S\n",
    );
  });

  it("--json prints the exact summary, the funnel by language and reason", async () => {
    const out = join(tmp.dir, "sft.jsonl");
    const r = await runMain(["sft", LLAMA, "-o", out, "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(summaryOf(r.stdout)).toEqual({
      command: "sft",
      variant: "llama-3.1",
      records: 22,
      rejected: 0,
      rows: { sft: 14 },
      funnel: { sft: { ja: LLAMA_BEST_FUNNEL } },
      outputs: [out],
    });
  });

  it("--json with -o - is a usage error", async () => {
    const r = await runMain(["sft", GEMMA3, "-o", "-", "--json"]);
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toBe("Error: --json prints on stdout: give -o a file\nRun 'lmsynth sft --help' for usage.\n");
  });

  it("--messages-key conversation --with-meta --select top-k --k 2", async () => {
    const r = await runMain(["sft", GEMMA3, "-o", "-", "--silent", "--messages-key", "conversation", "--with-meta", "--select", "top-k", "--k", "2"]);
    expect(r.code).toBe(0);
    const conv = (name: string, i: number, score: number): string =>
      `{"conversation_id":"${idOf(name)}","conversation":[{"role":"user","content":"${jaQ(name)}"},{"role":"assistant","content":"${jaA(name, i)}"}],"lang":"ja","response_index":${i},"score":${score}}\n`;
    expect(r.stdout).toBe(conv("ten-responses", 2, 9) + conv("ten-responses", 4, 9) + conv("ten-with-gaps", 2, 6) + conv("ten-with-gaps", 5, 6));
  });

  it("--multiturn --system on gemma2", async () => {
    const r = await runMain(["sft", GEMMA2, "-o", "-", "--silent", "--multiturn", "--system", "S", "--exclude-template"]);
    expect(r.code).toBe(0);
    const sys = '{"role":"system","content":"S"},';
    expect(r.stdout).toBe(
      `{"conversation_id":"${idOf("mt-nested-two-turns")}","messages":[${sys}{"role":"user","content":"${jaQ("mt-nested-two-turns")}"},{"role":"assistant","content":"浅草寺です。"},{"role":"user","content":"行き方は？"},{"role":"assistant","content":"銀座線で浅草駅へ。\\r\\n徒歩5分。"}]}\n` +
        `{"conversation_id":"${idOf("mt-flat-single")}","messages":[${sys}{"role":"user","content":"${jaQ("mt-flat-single")}"},{"role":"assistant","content":"スカイツリーです。"}]}\n` +
        `{"conversation_id":"${idOf("mt-starts-with-assistant")}","messages":[${sys}{"role":"user","content":"${jaQ("mt-starts-with-assistant")}"},{"role":"assistant","content":"明治神宮です。"},{"role":"user","content":"混んでいますか？"},{"role":"assistant","content":"朝は空いています。"}]}\n`,
    );
  });
});

describe("lmsynth sft: inputs", () => {
  it("reads gzip data from stdin (-)", async () => {
    const r = await runMain(["sft", "-", "-o", "-", "--silent"], gzipSync(readFileSync(GEMMA3)));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(G3_BEST);
  });

  it("reads multi-member gzip (two members concatenated)", async () => {
    const lines = readFileSync(LLAMA, "utf8").split(/(?<=\n)/);
    const input = join(tmp.dir, "two-members.jsonl.gz");
    writeFileSync(input, Buffer.concat([gzipSync(lines.slice(0, 9).join("")), gzipSync(lines.slice(9).join(""))]));
    const out = join(tmp.dir, "out.jsonl");
    const r = await runMain(["sft", input, "-o", out, "--json"]);
    expect(r.code).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ records: 22, rows: { sft: 14 } });
    expect(readFileSync(out, "utf8")).toBe(LLAMA_BEST);
  });

  it("accepts a BOM at the start, CRLF line ends and blank lines", async () => {
    const lines = readFileSync(GEMMA3, "utf8").trimEnd().split("\n");
    const input = join(tmp.dir, "crlf.jsonl");
    writeFileSync(input, "\uFEFF" + lines[0] + "\r\n\r\n" + lines[1] + "\r\n   \r\n\n" + lines[2] + "\r\n\r\n");
    const r = await runMain(["sft", input, "-o", "-", "--silent"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(G3_BEST);
  });

  it("reads several inputs in the order given", async () => {
    const r = await runMain(["sft", GEMMA3, LLAMA, "-o", "-", "--silent"]);
    expect(r.stdout).toBe(G3_BEST + LLAMA_BEST);
  });

  it("refuses a conversation_id seen twice, naming both places (here: the same file given twice)", async () => {
    const r = await runMain(["sft", GEMMA3, GEMMA3, "-o", "-", "--silent"]);
    // The rows of the first copy were still buffered: a failed run's stdout gets nothing more.
    expect([r.code, r.stdout]).toEqual([2, ""]);
    expect(r.stderr).toBe(`Error: ${GEMMA3}:1: conversation_id 4598971fe1a8ea6484539ac631510707 appears twice: first at line 1\n`);
  });
});

describe("lmsynth sft: presets and --config", () => {
  const v01Funnel = {
    ja: { ...LLAMA_BEST_FUNNEL, template: 1, pii: 1 },
    en: { template: 1, pii: 1, "no-candidates": 1 },
  };

  it.each<[string, string[], string, Record<string, unknown>]>([
    ["swallow-v0.1: ja+en, best, PII and templates excluded", ["--preset", "swallow-v0.1"], LLAMA, { variant: "llama-3.1", records: 22, rows: { sft: 31 }, funnel: { sft: v01Funnel } }],
    [
      "swallow-v0.1 --no-exclude-pii: the flag overrides the preset",
      ["--preset", "swallow-v0.1", "--no-exclude-pii"],
      LLAMA,
      { variant: "llama-3.1", records: 22, rows: { sft: 33 }, funnel: { sft: { ja: { ...LLAMA_BEST_FUNNEL, template: 1 }, en: { template: 1, "no-candidates": 1 } } } },
    ],
    ["swallow-v0.1 --lang ja", ["--preset", "swallow-v0.1", "--lang", "ja"], LLAMA, { variant: "llama-3.1", records: 22, rows: { sft: 12 }, funnel: { sft: { ja: v01Funnel.ja } } }],
    ["swallow-v0.3: gemma2 multi-turn", ["--preset", "swallow-v0.3"], GEMMA2, { variant: "gemma-2", records: 6, rows: { sft: 3 }, funnel: { sft: { ja: { "no-candidates": 2, template: 1 } } } }],
    ["swallow-v0.5: gemma3 best of 10", ["--preset", "swallow-v0.5"], GEMMA3, { variant: "gemma-3", records: 3, rows: { sft: 2 }, funnel: { sft: { ja: { "duplicate-instruction": 1 } } } }],
  ])("%s", async (_, flags, input, expected) => {
    const out = join(tmp.dir, "out.jsonl");
    const r = await runMain(["sft", input, "-o", out, "--json", ...flags]);
    expect(r.code).toBe(0);
    expect(summaryOf(r.stdout)).toEqual({ command: "sft", rejected: 0, outputs: [out], ...expected });
    expect(readFileSync(out, "utf8").split("\n").length - 1).toBe((expected.rows as { sft: number }).sft);
  });

  it("swallow-v0.1 takes a single English response without a usable score as it is, and counts it as taken-unscored", async () => {
    // The basic case twice: its English response scored -1, then without English annotations.
    const basic = JSON.parse(readFileSync(LLAMA, "utf8").split("\n")[0]!) as Record<string, unknown> & { synthesized_response_scoring_annotations_en: Record<string, unknown>[] };
    const minusOne = { ...basic, synthesized_response_scoring_annotations_en: [{ ...basic.synthesized_response_scoring_annotations_en[0], preference_score: -1 }] };
    const unannotated = { ...basic, conversation_id: idOf("unannotated"), synthesized_response_scoring_annotations_en: undefined };
    const input = join(tmp.dir, "unscored.jsonl");
    writeFileSync(input, `${JSON.stringify(minusOne)}\n${JSON.stringify(unannotated)}\n`);
    const out = join(tmp.dir, "out.jsonl");
    const r = await runMain(["sft", input, "-o", out, "--json", "--preset", "swallow-v0.1", "--lang", "en", "--with-meta"]);
    expect(r.code).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ rows: { sft: 2 }, funnel: { sft: { en: { "taken-unscored": 2 } } } });
    const english = (id: string, score: number | null) =>
      `{"conversation_id":"${id}","messages":[{"role":"user","content":"Question (basic): what should I see in Tokyo?"},{"role":"assistant","content":"English answer (basic): visit Senso-ji."}],"lang":"en","response_index":0,"score":${score}}\n`;
    expect(readFileSync(out, "utf8")).toBe(english(idOf("basic"), -1) + english(idOf("unannotated"), null));
    // The summary table lists it as what it is, not under "skipped".
    const table = await runMain(["sft", input, "-o", join(tmp.dir, "table.jsonl"), "--preset", "swallow-v0.1", "--lang", "en"]);
    expect(table.stderr).toMatch(/^sft taken, not skipped \(en\) taken-unscored +2$/m);
    expect(table.stderr).not.toMatch(/^sft skipped/m);
    // Without the rule (no preset, or --no-single-en-as-is), both are skipped as before.
    const plain = await runMain(["sft", input, "-o", join(tmp.dir, "plain.jsonl"), "--json", "--preset", "swallow-v0.1", "--no-single-en-as-is", "--lang", "en"]);
    expect(summaryOf(plain.stdout)).toMatchObject({ rows: { sft: 0 }, funnel: { sft: { en: { "no-valid-score": 2 } } } });
  });

  it("--config: options from a JSON file, flags override them", async () => {
    const config = join(tmp.dir, "lmsynth.json");
    writeFileSync(config, JSON.stringify({ lang: "both", "with-meta": true, select: "top-k", k: 2, "exclude-pii": true }));
    const fromFile = await runMain(["sft", GEMMA3, "-o", join(tmp.dir, "a.jsonl"), "--json", "--config", config]);
    expect(fromFile.code).toBe(0);
    expect(summaryOf(fromFile.stdout)).toMatchObject({ rows: { sft: 4 }, funnel: { sft: { ja: { "duplicate-instruction": 1 }, en: { "no-candidates": 3 } } } });
    expect(readFileSync(join(tmp.dir, "a.jsonl"), "utf8").split("\n")[1]).toBe(
      `{"conversation_id":"${idOf("ten-responses")}","messages":[{"role":"user","content":"${jaQ("ten-responses")}"},{"role":"assistant","content":"${jaA("ten-responses", 4)}"}],"lang":"ja","response_index":4,"score":9}`,
    );
    const overridden = await runMain(["sft", GEMMA3, "-o", join(tmp.dir, "b.jsonl"), "--json", "--config", config, "--lang", "ja", "--select", "best"]);
    expect(summaryOf(overridden.stdout)).toMatchObject({ rows: { sft: 2 }, funnel: { sft: { ja: { "duplicate-instruction": 1 } } } });
  });

  it("--config may say how to print: json on stdout, nothing on stderr; a flag overrides it", async () => {
    const config = join(tmp.dir, "print.json");
    writeFileSync(config, '{"json": true, "silent": true}');
    const r = await runMain(["sft", GEMMA3, "-o", join(tmp.dir, "printed.jsonl"), "--config", config]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(summaryOf(r.stdout)).toMatchObject({ command: "sft", rows: { sft: 2 } });
    const table = await runMain(["sft", GEMMA3, "-o", join(tmp.dir, "printed.jsonl"), "--config", config, "--no-json", "--no-silent"]);
    expect(table.stdout).toBe("");
    expect(squeezeTable(table.stderr)).toBe(`variant gemma-3\nrecords read 3\nsft rows written 2\nsft skipped (ja) duplicate-instruction 1\nseconds S\nwrote ${join(tmp.dir, "printed.jsonl")}\n`);
  });

  it("--config may name a preset", async () => {
    const config = join(tmp.dir, "lmsynth.json");
    writeFileSync(config, '{"preset": "swallow-v0.1"}');
    const r = await runMain(["sft", LLAMA, "-o", join(tmp.dir, "out.jsonl"), "--json", "--config", config]);
    expect(summaryOf(r.stdout)).toMatchObject({ rows: { sft: 31 }, funnel: { sft: v01Funnel } });
  });

  it.each<[string, string, string]>([
    ["unknown key", '{"lang": "en", "bogus": 1}', '"bogus": Unrecognized key: "bogus"'],
    ["wrong type", '{"exclude-pii": "yes"}', '"exclude-pii": Invalid input: expected boolean, received string'],
    ["bad choice", '{"lang": "fr"}', '"lang": Invalid option: expected one of "ja"|"en"|"both"'],
    ["number as text", '{"k": "2"}', '"k": Invalid input: expected number, received string'],
  ])("--config with %s → exit 1, nothing written", async (_, text, message) => {
    const config = join(tmp.dir, "bad.json");
    writeFileSync(config, text);
    const r = await runMain(["sft", LLAMA, "-o", join(tmp.dir, "out.jsonl"), "--config", config]);
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toBe(`Error: --config ${config}: ${message}\nRun 'lmsynth sft --help' for usage.\n`);
    expect(tmp.list()).toEqual(["bad.json"]);
  });

  it("--config naming a missing file → exit 1", async () => {
    const config = join(tmp.dir, "none.json");
    const r = await runMain(["sft", LLAMA, "-o", join(tmp.dir, "out.jsonl"), "--config", config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: --config ${config}: cannot read (ENOENT)\nRun 'lmsynth sft --help' for usage.\n`);
  });
});

describe("lmsynth sft: bad input (exit 2, no output file left)", () => {
  it.each<[string, string]>([
    ["bad/malformed-json.jsonl", ":3: malformed JSON: "],
    ["bad/wrong-type.jsonl", ":2: `synthesized_response_scoring_annotations[1].preference_score`: expected number, got string\n"],
    ["bad/invalid-utf8.jsonl", ":2: line is not valid UTF-8\n"],
    ["bad/not-object.jsonl", ":1: expected a JSON object, got array\n"],
    ["bad/missing-id.jsonl", ":1: `conversation_id`: expected string, got nothing\n"],
    ["bad/truncated.jsonl.gz", ": truncated gzip data (unexpected end of file)\n"],
    ["bad/no-such-file.jsonl", ": no such file\n"],
  ])("%s", async (name, message) => {
    const input = fixture(name);
    const r = await runMain(["sft", input, "-o", join(tmp.dir, "out.jsonl")]);
    expect(r).toMatchObject({ code: 2, stdout: "" });
    expect(r.stderr.startsWith(`Error: ${input}${message}`)).toBe(true);
    expect(r.stderr.split("\n")).toHaveLength(2);
    expect(tmp.list()).toEqual([]);
  });

  it("an unwritable output names the path", async () => {
    const out = join(tmp.dir, "missing-dir", "out.jsonl");
    const r = await runMain(["sft", GEMMA3, "-o", out]);
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith(`Error: ${out}: cannot write: `)).toBe(true);
  });
});

describe("lmsynth sft --on-invalid skip", () => {
  it("sets bad lines aside in <output>.rejected.jsonl and exits 0", async () => {
    const input = fixture("bad/malformed-json.jsonl");
    const out = join(tmp.dir, "out.jsonl");
    const r = await runMain(["sft", input, "-o", out, "--on-invalid", "skip", "--json"]);
    expect(r.code).toBe(0);
    expect(summaryOf(r.stdout)).toEqual({
      command: "sft",
      variant: "llama-3.1",
      records: 3,
      rejected: 1,
      rows: { sft: 3 },
      funnel: {},
      outputs: [out],
    });
    expect(readFileSync(out, "utf8")).toBe(LLAMA_BEST.split("\n").slice(0, 3).join("\n") + "\n");
    const bad = '{"conversation_id": "x", "turn": 1,,}';
    let detail = "";
    try {
      JSON.parse(bad);
    } catch (e) {
      detail = `malformed JSON: ${(e as Error).message}`;
    }
    expect(readFileSync(`${out}.rejected.jsonl`, "utf8")).toBe(
      `{"file":${JSON.stringify(input)},"line":3,"reason":"invalid-json","detail":${JSON.stringify(detail)},"text":"{\\"conversation_id\\": \\"x\\", \\"turn\\": 1,,}"}\n`,
    );
    expect(tmp.list()).toEqual(["out.jsonl", "out.jsonl.rejected.jsonl"]);
  });

  it("--rejected names the file; every kind of bad line is recorded with its reason", async () => {
    const files = ["bad/wrong-type.jsonl", "bad/invalid-utf8.jsonl", "bad/not-object.jsonl", "bad/missing-id.jsonl"].map(fixture);
    const rejected = join(tmp.dir, "bad-lines.jsonl");
    const out = join(tmp.dir, "out.jsonl");
    const r = await runMain(["sft", ...files, "-o", out, "--on-invalid", "skip", "--rejected", rejected, "--json"]);
    expect(r.code).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ records: 2, rejected: 4, rows: { sft: 2 } });
    expect(readFileSync(out, "utf8")).toBe(line("ok-1", jaA("ok-1", 0)) + "\n" + line("ok", jaA("ok", 0)) + "\n");
    const wrongTypeLine = readFileSync(files[0]!, "utf8").split("\n")[1]!;
    const missingIdLine = readFileSync(files[3]!, "utf8").split("\n")[0]!;
    const rows = readFileSync(rejected, "utf8").split("\n");
    expect(rows.pop()).toBe("");
    expect(rows.map((l) => JSON.parse(l) as unknown)).toEqual([
      { file: files[0], line: 2, reason: "invalid-record", detail: "`synthesized_response_scoring_annotations[1].preference_score`: expected number, got string", text: wrongTypeLine },
      { file: files[1], line: 2, reason: "invalid-utf8", detail: "line is not valid UTF-8", text: '{"conversation_id": "ab\uFFFD"}' },
      { file: files[2], line: 1, reason: "invalid-record", detail: "expected a JSON object, got array", text: "[1, 2, 3]" },
      { file: files[3], line: 1, reason: "invalid-record", detail: "`conversation_id`: expected string, got nothing", text: missingIdLine },
    ]);
    expect(rows.map((l) => Object.keys(JSON.parse(l) as object))).toEqual(Array(4).fill(["file", "line", "reason", "detail", "text"]));
    expect(tmp.list()).toEqual(["bad-lines.jsonl", "out.jsonl"]);
  });

  it("writes no rejected file when no line is bad", async () => {
    const r = await runMain(["sft", GEMMA3, "-o", join(tmp.dir, "out.jsonl"), "--on-invalid", "skip", "--silent"]);
    expect(r.code).toBe(0);
    expect(tmp.list()).toEqual(["out.jsonl"]);
  });

  it("a truncated gzip still fails: the container is broken, not a line", async () => {
    const r = await runMain(["sft", fixture("bad/truncated.jsonl.gz"), "-o", join(tmp.dir, "out.jsonl"), "--on-invalid", "skip"]);
    expect(r.code).toBe(2);
    expect(tmp.list()).toEqual([]);
  });
});

describe("lmsynth sft: usage errors (exit 1)", () => {
  it.each<[string, string[], string]>([
    ["unknown flag", ["--bogus"], "Error: Unknown option '--bogus'\n"],
    ["top-k without --k", ["--select", "top-k"], "Error: --select top-k needs --k <n>, a whole number ≥ 1\n"],
    ["top-k with --k 0", ["--select", "top-k", "--k", "0"], "Error: --k takes a whole number ≥ 1, got 0\n"],
    ["top-k without --k", ["--select", "top-k"], "Error: --select top-k needs --k <n>, a whole number ≥ 1\n"],
    ["--k not a number", ["--select", "top-k", "--k", "two"], 'Error: --k takes a number, got "two"\n'],
    ["bad --select", ["--select", "worst"], 'Error: --select must be one of best, all, first, top-k; got "worst"\n'],
    ["bad --lang", ["--lang", "fr"], 'Error: --lang must be one of ja, en, both; got "fr"\n'],
    ["bad --preset", ["--preset", "swallow-v9"], 'Error: --preset must be one of swallow-v0.1, swallow-v0.3, swallow-v0.5; got "swallow-v9"\n'],
  ])("%s", async (_, flags, message) => {
    const r = await runMain(["sft", GEMMA3, "-o", join(tmp.dir, "out.jsonl"), ...flags]);
    expect(r).toMatchObject({ code: 1, stdout: "", stderr: `${message}Run 'lmsynth sft --help' for usage.\n` });
    expect(tmp.list()).toEqual([]);
  });

  it("missing -o", async () => {
    const r = await runMain(["sft", GEMMA3]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: missing -o <output> (a .jsonl or .jsonl.gz file, or - for stdout)\nRun 'lmsynth sft --help' for usage.\n");
  });

  it("no input", async () => {
    const r = await runMain(["sft", "-o", "-"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: no input: .+\nRun 'lmsynth sft --help' for usage\.\n$/);
  });
});

describe("lmsynth sft --help, --version", () => {
  // The options behaviour.md names for sft, listed here by hand so that a dropped option fails.
  const OPTIONS = [
    "output", "variant", "passphrase-file", "on-invalid", "rejected", "preset", "config", "lang", "exclude-pii",
    "exclude-template", "keep-repetition", "system", "select", "k", "min-score", "multiturn", "messages-key",
    "with-meta", "max-chars", "max-tokens", "help", "quiet", "json",
  ];

  it("--help lists every option of the command table, with choices and defaults, and exits 0", async () => {
    const TABLE = (await import("../dist/index.js")).COMMANDS.sft.table;
    expect(Object.keys(TABLE)).toEqual(expect.arrayContaining(OPTIONS));
    const r = await runMain(["sft", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith("Usage: lmsynth sft <input…> -o <out.jsonl|out.jsonl.gz|->\n")).toBe(true);
    const flags = [...r.stdout.matchAll(/^ {2}(?:-\w, | {4})--(?:\[no-\])?([\w-]+)/gm)].map((m) => m[1]);
    expect(flags).toEqual(Object.keys(TABLE));
    for (const text of ["<best|all|first|top-k>", "(default: best)", "<ja|en|both>", "(default: ja)", "<swallow-v0.1|swallow-v0.3|swallow-v0.5>", "-o, --output <file>"]) {
      expect(r.stdout).toContain(text);
    }
  });

  it("--version prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    expect(await runMain(["--version"])).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("no command prints the command list and exits 1; an unknown one is a usage error", async () => {
    const none = await runMain([]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain("\n  inspect  ");
    expect(none.stdout).toContain("\n  sft      ");
    const unknown = await runMain(["frobnicate"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.startsWith("Error: unknown command 'frobnicate'\n")).toBe(true);
  });
});

describe("lmsynth sft: spawned binary", () => {
  it("malformed JSON at line 3 → exit 2, file:line on stderr, no output or temp file", () => {
    const out = join(tmp.dir, "out.jsonl");
    const r = spawnCli(["sft", "test-fixtures/bad/malformed-json.jsonl", "-o", out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Error: test-fixtures\/bad\/malformed-json\.jsonl:3: malformed JSON: .+\n$/);
    expect(tmp.list()).toEqual([]);
  });

  it("wrong type → exit 2 naming line 2 and the field path", () => {
    const r = spawnCli(["sft", "test-fixtures/bad/wrong-type.jsonl", "-o", join(tmp.dir, "out.jsonl")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("Error: test-fixtures/bad/wrong-type.jsonl:2: `synthesized_response_scoring_annotations[1].preference_score`: expected number, got string\n");
  });

  it("missing input → exit 2 naming the path", () => {
    const r = spawnCli(["sft", "test-fixtures/nope.jsonl", "-o", join(tmp.dir, "out.jsonl")]);
    expect(r).toEqual({ code: 2, stdout: "", stderr: "Error: test-fixtures/nope.jsonl: no such file\n" });
  });

  it("unknown flag → exit 1", () => {
    const r = spawnCli(["sft", "test-fixtures/gemma3/edge-cases.jsonl", "-o", "-", "--bogus"]);
    expect(r).toEqual({ code: 1, stdout: "", stderr: "Error: Unknown option '--bogus'\nRun 'lmsynth sft --help' for usage.\n" });
  });

  it("gzip on stdin, rows on stdout, exit 0; piped stderr shows no progress, only the table", () => {
    const r = spawnCli(["sft", "-", "-o", "-"], gzipSync(readFileSync(GEMMA3)));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(G3_BEST);
    expect(squeezeTable(r.stderr)).toBe("variant gemma-3\nrecords read 3\nsft rows written 2\nsft skipped (ja) duplicate-instruction 1\nseconds S\n");
  });

  it("--version", () => {
    expect(spawnCli(["--version"])).toEqual({ code: 0, stdout: "0.1.0\n", stderr: "" });
  });
});

describe("lmsynth sft: --quiet and --silent", () => {
  it("--quiet hides progress only: the summary stays; --silent prints nothing", async () => {
    const quiet = await runMain(["sft", GEMMA3, "-o", join(tmp.dir, "a.jsonl"), "-q"]);
    expect(quiet.code).toBe(0);
    expect(squeezeTable(quiet.stderr).split("\n").slice(0, 3)).toEqual(["variant gemma-3", "records read 3", "sft rows written 2"]);
    const silent = await runMain(["sft", GEMMA3, "-o", join(tmp.dir, "b.jsonl"), "--silent"]);
    expect([silent.code, silent.stderr, silent.stdout]).toEqual([0, "", ""]);
  });
});
