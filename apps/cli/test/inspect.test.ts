import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixture, runMain, spawnCli, tempDir } from "./run-cli.js";

const B = (n: number): string => "█".repeat(n);
const zeros = (from: number, to: number): Record<string, number> =>
  Object.fromEntries(Array.from({ length: to - from + 1 }, (_, i) => [String(from + i), 0]));

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

describe("lmsynth inspect", () => {
  it("prints the llama3.1 edge cases' counts and histograms as text", async () => {
    const file = fixture("llama3.1/edge-cases.jsonl");
    const r = await runMain(["inspect", file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const noMargins = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((m) => `  margin ${String(m).padStart(2)}         0  keep@${String(m).padStart(2)}        0  `);
    expect(r.stdout.split("\n")).toEqual([
      `files            ${file}`,
      "variant          llama-3.1",
      "records          22",
      "invalid lines    0",
      "duplicate / empty / template / redacted   1 / 1 / 1 / 1",
      "",
      // 63 responses of 17 records; -1: six of all-minus-one, two of score-forms, two of single-usable;
      // not scored besides: the 3 of annotations-wrong-length and the 2 blank ones.
      "[ja] records with responses 17, responses 63, scored 48, score -1 10, repetition-flagged 3, selectable records 14",
      "  score  0          0  ",
      "  score  1          0  ",
      "  score  2          4  " + B(11),
      "  score  3          2  " + B(6),
      "  score  4          5  " + B(14),
      "  score  5          6  " + B(17),
      "  score  6          7  " + B(20),
      "  score  7         14  " + B(40), // six of all-equal, and 7.5 of score-forms
      "  score  8          6  " + B(17),
      "  score  9          4  " + B(11),
      "  score 10          0  ",
      "  DPO best-worst margin (chosen − rejected), and the pairs --min-margin M keeps:",
      "  margin  1         2  keep@ 1       11  " + B(20),
      "  margin  2         4  keep@ 2        9  " + B(40),
      "  margin  3         1  keep@ 3        5  " + B(10),
      "  margin  4         1  keep@ 4        4  " + B(10),
      "  margin  5         2  keep@ 5        3  " + B(20),
      "  margin  6         0  keep@ 6        1  ",
      "  margin  7         1  keep@ 7        1  " + B(10),
      "  margin  8         0  keep@ 8        0  ",
      "  margin  9         0  keep@ 9        0  ",
      "  margin 10         0  keep@10        0  ",
      "",
      "[en] records with responses 21, responses 21, scored 21, score -1 0, repetition-flagged 0, selectable records 21",
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((s) => `  score  ${s}          0  `),
      "  score  8         21  " + B(40),
      "  score  9          0  ",
      "  score 10          0  ",
      "  DPO best-worst margin (chosen − rejected), and the pairs --min-margin M keeps:",
      ...noMargins,
      "",
      // The extra-fields case: fields no schema names are listed, never read.
      "unknown fields (passed through, never read):",
      "  _case  22",
      "  gpt_oss_subset  1",
      "  synthesized_assistant_responses[].thoughts  2",
      "",
      "warnings: annotation length mismatch 1, responses on duplicate/empty 0, score out of range 0",
      "",
    ]);
  });

  it("--json on gemma2: multi-turn shapes counted, a leading assistant turn implies the instruction", async () => {
    const file = fixture("gemma2/edge-cases.jsonl");
    const r = await runMain(["inspect", file, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      files: [file],
      variant: "gemma-2",
      records: 6,
      invalid_lines: 0,
      invalid_examples: [],
      // nested-two-turns, flat-single, starts-with-assistant, template; absent and null are not counted.
      flags: { duplicate_instruction: 0, empty_instruction: 0, template_instruction: 1, redacted: 0, multiturn: 4, multiturn_two_turns: 2 },
      langs: {
        ja: {
          records_with_responses: 6,
          responses: 13,
          responses_without_text: 0,
          responses_with_reasoning: 0,
          scored: 13,
          score_minus_one: 0,
          repetition_flagged: 0,
          selectable_records: 6,
          score_histogram: { ...zeros(0, 10), "3": 1, "4": 1, "5": 1, "6": 4, "7": 4, "8": 1, "9": 1 },
          // 9−6, 5−4, 8−3, 7−6 three times.
          margin_histogram: { ...zeros(0, 10), "1": 4, "3": 1, "5": 1 },
          pairs_at_min_margin: { ...zeros(1, 10), "1": 6, "2": 2, "3": 2, "4": 1, "5": 1 },
        },
        en: {
          records_with_responses: 6,
          responses: 6,
          responses_without_text: 0,
          responses_with_reasoning: 0,
          scored: 6,
          score_minus_one: 0,
          repetition_flagged: 0,
          selectable_records: 6,
          score_histogram: { ...zeros(0, 10), "8": 6 },
          margin_histogram: zeros(0, 10),
          pairs_at_min_margin: zeros(1, 10),
        },
      },
      warnings: { annotation_length_mismatch: 0, responses_on_duplicate_or_empty: 0, score_out_of_range: 0 },
      // The fixtures name their case in a field no schema knows.
      unknown_fields: { _case: 6 },
      notes: [],
    });
  });

  it("says that a synth file alone needs --instructions for Japanese margins, instead of showing zeros", async () => {
    const r = await runMain(["inspect", fixture("sample/llama3.1-lmsys-chat-1m-synth-ja+en.jsonl.gz"), "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { notes: string[] }).notes).toEqual([
      "272 records with Japanese responses have no Japanese instruction: Japanese margins and selectable counts need --instructions (the .gpg file) with --synth",
    ]);
  });

  it("gemma2 as text: the multi-turn line", async () => {
    const r = await runMain(["inspect", fixture("gemma2/edge-cases.jsonl")]);
    expect(r.stdout.split("\n").slice(1, 6)).toEqual([
      "variant          gemma-2",
      "records          6",
      "invalid lines    0",
      "duplicate / empty / template / redacted   0 / 0 / 1 / 0",
      "multi-turn conversations   4 (2 with a second user turn)",
    ]);
  });

  it("gemma3: variant, ten responses per record, no English", async () => {
    const r = await runMain(["inspect", fixture("gemma3/edge-cases.jsonl"), "--json"]);
    const report = JSON.parse(r.stdout) as { variant: string; records: number; flags: Record<string, number>; langs: Record<string, { responses: number; scored: number; score_minus_one: number }> };
    expect(r.code).toBe(0);
    expect(report.variant).toBe("gemma-3");
    expect(report.records).toBe(3);
    expect(report.flags.duplicate_instruction).toBe(1);
    expect(Object.keys(report.langs)).toEqual(["ja"]);
    expect(report.langs.ja).toMatchObject({ responses: 20, scored: 18, score_minus_one: 2 });
  });

  it("lists bad lines as file:line examples, counts the good ones, exits 2 (spawned)", () => {
    const r = spawnCli(["inspect", "test-fixtures/bad/malformed-json.jsonl", "test-fixtures/bad/wrong-type.jsonl"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 4)).toEqual([
      "files            test-fixtures/bad/malformed-json.jsonl, test-fixtures/bad/wrong-type.jsonl",
      "variant          llama-3.1",
      "records          4",
      "invalid lines    2",
    ]);
    expect(lines[4]).toMatch(/^ {2}test-fixtures\/bad\/malformed-json\.jsonl:3: malformed JSON: .+$/);
    expect(lines[5]).toBe("  test-fixtures/bad/wrong-type.jsonl:2: `synthesized_response_scoring_annotations[1].preference_score`: expected number, got string");
  });

  it("--json on bad files: every kind of bad line, in order", async () => {
    const files = ["bad/invalid-utf8.jsonl", "bad/not-object.jsonl", "bad/missing-id.jsonl", "bad/wrong-type.jsonl"].map(fixture);
    const r = await runMain(["inspect", ...files, "--json"]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as { records: number; invalid_lines: number; invalid_examples: string[] };
    expect(report.records).toBe(2);
    expect(report.invalid_lines).toBe(4);
    expect(report.invalid_examples).toEqual([
      `${files[0]}:2: line is not valid UTF-8`,
      `${files[1]}:1: expected a JSON object, got array`,
      `${files[2]}:1: \`conversation_id\`: expected string, got nothing`,
      `${files[3]}:2: \`synthesized_response_scoring_annotations[1].preference_score\`: expected number, got string`,
    ]);
    expect(tmp.list()).toEqual([]);
  });

  it("--rejected writes the bad lines to a file", async () => {
    const file = fixture("bad/not-object.jsonl");
    const rejected = join(tmp.dir, "rejected.jsonl");
    const r = await runMain(["inspect", file, "--rejected", rejected, "--json"]);
    expect(r.code).toBe(2);
    expect(readFileSync(rejected, "utf8")).toBe(
      `{"file":${JSON.stringify(file)},"line":1,"reason":"invalid-record","detail":"expected a JSON object, got array","text":"[1, 2, 3]"}\n`,
    );
  });

  it("--on-invalid fail stops at the first bad line", async () => {
    const file = fixture("bad/wrong-type.jsonl");
    const r = await runMain(["inspect", file, "--on-invalid", "fail"]);
    expect(r).toMatchObject({ code: 2, stdout: "" });
    expect(r.stderr).toBe(`Error: ${file}:2: \`synthesized_response_scoring_annotations[1].preference_score\`: expected number, got string\n`);
  });

  it.each<[string, string]>([
    ["bad/truncated.jsonl.gz", "Error: test-fixtures/bad/truncated.jsonl.gz: truncated gzip data (unexpected end of file)\n"],
    ["nope.jsonl", "Error: test-fixtures/nope.jsonl: no such file\n"],
  ])("%s → exit 2 with a message naming the file (spawned)", (name, stderr) => {
    expect(spawnCli(["inspect", `test-fixtures/${name}`])).toEqual({ code: 2, stdout: "", stderr });
  });

  it("--help lists every option of its table", async () => {
    const TABLE = (await import("../dist/index.js")).COMMANDS.inspect.table;
    expect(Object.keys(TABLE)).toEqual(expect.arrayContaining(["variant", "passphrase-file", "on-invalid", "rejected", "help", "quiet", "json"]));
    const r = await runMain(["inspect", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith("Usage: lmsynth inspect <file…> [--json]\n")).toBe(true);
    const flags = [...r.stdout.matchAll(/^ {2}(?:-\w, | {4})--(?:\[no-\])?([\w-]+)/gm)].map((m) => m[1]);
    expect(flags).toEqual(Object.keys(TABLE));
    expect(r.stdout).toContain("(default: skip)");
  });

  it("an unknown flag is a usage error", async () => {
    const r = await runMain(["inspect", fixture("gemma3/edge-cases.jsonl"), "--bogus"]);
    expect(r).toMatchObject({ code: 1, stdout: "", stderr: "Error: Unknown option '--bogus'\nRun 'lmsynth inspect --help' for usage.\n" });
  });
});

describe("a response without text (content null, as a reasoning model may give)", () => {
  it("is counted by inspect, never chosen by sft or dpo, and no line is invalid", async () => {
    const input = join(tmp.dir, "no-answer.jsonl");
    const record = {
      conversation_id: "no-answer",
      translated_conversation: [{ role: "user", content: "質問" }],
      synthesized_assistant_responses: [
        { role: "assistant", content: null, reasoning_content: "考え中" },
        { role: "assistant", content: "答え" },
        { role: "assistant", content: "別の答え" },
      ],
      synthesized_response_scoring_annotations: [{ preference_score: 10 }, { preference_score: 8 }, { preference_score: 2 }],
    };
    writeFileSync(input, `${JSON.stringify(record)}\n`);
    const inspect = await runMain(["inspect", input, "--json"]);
    expect(inspect.code).toBe(0);
    const report = JSON.parse(inspect.stdout) as { invalid_lines: number; langs: { ja: { responses: number; responses_without_text: number; scored: number } } };
    expect(report.invalid_lines).toBe(0);
    expect(report.langs.ja).toMatchObject({ responses: 3, responses_without_text: 1, scored: 2 });

    const sft = await runMain(["sft", input, "-o", "-"]);
    expect(sft.code).toBe(0);
    // A response carries a trace key, so this is a GPT-OSS record: every message gets the trace field.
    expect(JSON.parse(sft.stdout)).toEqual({
      conversation_id: "no-answer",
      messages: [
        { role: "user", content: "質問", reasoning_content: "" },
        { role: "assistant", content: "答え", reasoning_content: "" },
      ],
    });
    const dpo = await runMain(["dpo", input, "-o", "-"]);
    expect(dpo.code).toBe(0);
    expect(JSON.parse(dpo.stdout)).toMatchObject({ chosen: [{ role: "assistant", content: "答え", reasoning_content: "" }], rejected: [{ role: "assistant", content: "別の答え", reasoning_content: "" }] });
  });
});
