import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixture, runMain, spawnCli, tempDir } from "./run-cli.js";

/** One case of test-fixtures/bad/cases.json (its `about` says what each field means). */
interface BadCase {
  name: string;
  kind: string;
  files: string[];
  args: string[];
  exit: number;
  stderr?: string;
  stderrMatch?: string;
  stdoutMatch?: string;
  rows?: number | Record<string, number>;
  outputs?: string[];
  make?: "50mb-record" | "50mb-garbage";
  spawn?: boolean;
}

const BAD = fixture("bad");
const { cases: CASES } = JSON.parse(readFileSync(join(BAD, "cases.json"), "utf8")) as { cases: BadCase[] };

/** Inputs too big to commit, made in `{in}` before the cases that read them (issue 8: never committed). */
const MAKE: Record<NonNullable<BadCase["make"]>, { file: string; bytes: () => string }> = {
  "50mb-record": {
    file: "50mb-record.jsonl",
    bytes: () => {
      const record = JSON.parse(readFileSync(fixture("llama3.1/edge-cases.jsonl"), "utf8").split("\n")[0]!) as {
        synthesized_assistant_responses: Array<{ content: string }>;
      };
      // The best response of the `basic` case (score 8): 17 Mi characters of 3 UTF-8 bytes, 51 MiB.
      record.synthesized_assistant_responses[1]!.content = "あ".repeat(17 << 20);
      return `${JSON.stringify(record)}\n`;
    },
  },
  "50mb-garbage": { file: "50mb-garbage.jsonl", bytes: () => `{"conversation_id": "${"x".repeat(50 << 20)}` },
};

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

let spool: string;
let made: string;
let out: ReturnType<typeof tempDir>;
const savedTmp = process.env.TMPDIR;

beforeAll(() => {
  // The join spools LMSYS records into TMPDIR (in-process and in spawned runs): a folder of our own shows
  // whether any spool is left behind.
  spool = mkdtempSync(join(tmpdir(), "lmsynth-bad-input-"));
  process.env.TMPDIR = spool;
  made = mkdtempSync(join(spool, "in-"));
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(spool, { recursive: true, force: true });
});
beforeEach(() => {
  out = tempDir();
});
afterEach(() => out.remove());

/** `text` with its placeholders replaced by paths (escaped for a regular expression with `escape`). */
function fill(text: string, escape = false): string {
  const paths: Record<string, string> = { bad: BAD, fixtures: fixture("").replace(/\/$/, ""), out: out.dir, in: made };
  return text.replace(/\{(bad|fixtures|out|in)\}/g, (_, name: string) => (escape ? escapeRegExp(paths[name]!) : paths[name]!));
}

/** Rows written by an accepted case (see `rows` in cases.json). */
function rowsOf(c: BadCase, r: { stdout: string }): number | Record<string, number> {
  const command = c.args[0];
  if (command === "inspect") return (JSON.parse(r.stdout) as { records: number }).records;
  if (command === "build") {
    const manifest = JSON.parse(readFileSync(join(out.dir, "ds/manifest.json"), "utf8")) as { counts: { rows: Record<string, { train: number }> } };
    return Object.fromEntries(Object.entries(manifest.counts.rows).map(([config, splits]) => [config, splits.train]));
  }
  const text = readFileSync(join(out.dir, "out.jsonl"), "utf8");
  return text === "" ? 0 : text.split("\n").length - 1;
}

describe("the bad-input corpus (test-fixtures/bad/cases.json)", () => {
  it("has at least 30 cases across every input kind, and a case for every file of test-fixtures/bad", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.kind))).toEqual(
      new Set(["malformed-json", "missing-id", "invalid-utf8", "deep-nesting", "wrong-type", "duplicate-id", "empty", "bom", "crlf", "gzip", "openpgp", "parquet", "path", "size"]),
    );
    const used = new Set(CASES.flatMap((c) => c.files));
    const corpus = readdirSync(BAD).filter((f) => f !== "cases.json").map((f) => `bad/${f}`);
    expect(corpus.filter((f) => !used.has(f))).toEqual([]);
    for (const f of used) expect(existsSync(fixture(f)), f).toBe(true);
    expect(new Set(CASES.map((c) => c.args[0]))).toEqual(new Set(["sft", "dpo", "build", "merge", "decrypt", "inspect"]));
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    if (c.make) writeFileSync(join(made, MAKE[c.make].file), MAKE[c.make].bytes());
    const argv = [...c.args.map((a) => fill(a)), "--silent"];
    const r = c.spawn ? spawnCli(argv) : await runMain(argv);
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: c.exit,
      stderr: c.stderr !== undefined ? fill(c.stderr) : c.stderrMatch !== undefined ? expect.stringMatching(new RegExp(fill(c.stderrMatch, true))) : "",
    });
    if (c.stdoutMatch !== undefined) expect(r.stdout).toMatch(new RegExp(fill(c.stdoutMatch, true)));
    if (c.exit === 0) {
      expect(out.list()).toEqual(c.outputs ?? []);
      expect(rowsOf(c, r)).toEqual(c.rows);
    } else {
      // Nothing that looks like an output, and no temporary file (.name.tmp-…) or folder.
      expect(out.list()).toEqual([]);
    }
    expect(readdirSync(out.dir, { recursive: true }).filter((p) => /(^|\/)\..*tmp/.test(String(p)))).toEqual([]);
    expect(readdirSync(spool).filter((f) => f.startsWith("lmsynth-join-"))).toEqual([]);
    if (c.make) rmSync(join(made, MAKE[c.make].file));
  }, 60_000);

  it("runs from the repository root like a user would (relative paths in the messages)", () => {
    const r = spawnCli(["sft", "test-fixtures/bad/trailing-garbage.jsonl.gz", "-o", join(out.dir, "out.jsonl")]);
    expect([r.code, r.stderr]).toEqual([2, "Error: test-fixtures/bad/trailing-garbage.jsonl.gz: trailing garbage after gzip member at byte 2609\n"]);
    expect(out.list()).toEqual([]);
  });
});
