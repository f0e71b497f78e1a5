import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "@lmsynth/schema";
// The workers load dist/map-worker.js: test the built package, as users run it.
import { emptyJoinCounts, joinSources, mapJoinedSources, type JoinCounts, type JoinSourcesOptions, type RejectedLine } from "../dist/index.js";
import { lineIdOf } from "../src/line-id.js";

const FIXTURES = join(import.meta.dirname, "../../../test-fixtures");
const SPLIT = join(FIXTURES, "split/llama3.1");
const sources = { synth: [join(SPLIT, "synth.jsonl")], instructions: [join(SPLIT, "instructions.jsonl.gz")], lmsys: [join(SPLIT, "lmsys.jsonl")] };
const mapper = new URL("./fixtures/json-mapper.mjs", import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), "lmsynth-map-joined-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Got = { records: Array<{ file: string; line: number; json: string }>; counts: JoinCounts; rejected: Array<[number, string]> };

/** What joinSources gives, mapped here: the expectation every thread count must meet. */
async function viaJoin(options: JoinSourcesOptions): Promise<Got> {
  const counts = emptyJoinCounts();
  const rejected: Array<[number, string]> = [];
  const records = [];
  for await (const r of joinSources({ ...options, counts, onRejected: (x: RejectedLine) => void rejected.push([x.line, x.reason]) })) {
    records.push({ file: r.file, line: r.line, json: JSON.stringify(r.record) });
  }
  return { records, counts, rejected };
}

async function viaWorkers(options: JoinSourcesOptions, threads: number): Promise<Got> {
  const counts = emptyJoinCounts();
  const rejected: Array<[number, string]> = [];
  const records = [];
  const mapped = mapJoinedSources<object, string>({ ...options, counts, mapper, init: {}, threads, blockBytes: 2048, onRejected: (x) => void rejected.push([x.line, x.reason]) });
  for await (const r of mapped) records.push({ file: r.file, line: r.line, json: r.out });
  return { records, counts, rejected };
}

async function errorOf(run: Promise<unknown>): Promise<InputError> {
  const e = await run.then(() => undefined, (e: unknown) => e);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

function file(name: string, content: string | Buffer): string {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}

// 1,500 synth records over many 2 KiB blocks: every third has an LMSYS record, every fifth an instruction;
// some name their id after other keys or with an escape, some lines are blank or end in CRLF.
const N = 1500;
const synthLine = (i: number): string => {
  const own = { synthesized_assistant_responses: [{ role: "assistant", content: `答え${i} ${"語".repeat(i % 40)}` }], redacted: i % 7 === 0 };
  if (i % 11 === 0) return JSON.stringify({ ...own, conversation_id: `c${i}` });
  if (i % 13 === 0) return `{ "conversation_id" : "\\u0063${i}", ${JSON.stringify(own).slice(1)}`;
  return JSON.stringify({ conversation_id: `c${i}`, ...own });
};
const synthBody = "\ufeff" + Array.from({ length: N }, (_, i) => (i % 97 === 3 ? "\n" : "") + synthLine(i) + (i % 17 === 0 ? "\r" : "")).join("\n") + "\n";
const lmsysBody = Array.from({ length: N + 10 }, (_, i) => i)
  .filter((i) => i % 3 === 0)
  .reverse()
  .map((i) => JSON.stringify({ conversation_id: `c${i}`, model: "m", conversation: [{ role: "user", content: `q${i}` }], redacted: i % 2 === 0 }))
  .join("\n");
const instructionBody = Array.from({ length: N }, (_, i) => i)
  .filter((i) => i % 5 === 0)
  .map((i) => JSON.stringify({ conversation_id: `c${i}`, translated_conversation: [{ role: "user", content: `質問${i}` }] }))
  .join("\n");
const many = { synth: [file("synth.jsonl.gz", gzipSync(synthBody))], lmsys: [file("lmsys.jsonl", lmsysBody)], instructions: [file("i.jsonl", instructionBody)] };

describe("mapJoinedSources", () => {
  it.each([1, 2, 3])("maps the fixture join exactly as joinSources gives it, unmatched kept, with %i thread(s)", async (threads) => {
    const options = { ...sources, keepUnmatched: true };
    const expected = await viaJoin(options);
    expect(expected.records).toHaveLength(25);
    expect(await viaWorkers(options, threads)).toEqual(expected);
  });

  it.each([1, 2, 3])("gives the same records, lines, counts and order over many blocks with %i thread(s)", async (threads) => {
    const expected = await viaJoin(many);
    expect(expected.records).toHaveLength(N);
    expect(expected.counts).toEqual({ ...emptyJoinCounts(), synth: N, lmsys: 504, instructions: 300, synthWithoutLmsys: 1000, synthWithoutInstruction: 1200, lmsysUnmatched: 4 });
    expect(await viaWorkers(many, threads)).toEqual(expected);
  });

  it.each([
    ["JSONL", [join(SPLIT, "lmsys.jsonl")]],
    ["Parquet", [join(SPLIT, "lmsys.parquet")]],
  ])("with lmsysPart converted, keeps of %s LMSYS records only what a conversion reads", async (_, lmsys) => {
    const got = await viaWorkers({ ...sources, lmsys, lmsysPart: "converted" }, 2);
    const full = await viaJoin({ ...sources, lmsys });
    expect(got.records).toHaveLength(full.records.length);
    // Every conversation there has a user and an assistant message: the assistant's is left out.
    expect(full.records.filter((r) => (JSON.parse(r.json) as { conversation?: unknown[] }).conversation?.length === 2)).toHaveLength(22);
    for (const [i, r] of full.records.entries()) {
      const { model: _m, turn: _t, language: _l, openai_moderation: _o, ...kept } = JSON.parse(r.json) as Record<string, unknown>;
      if (Array.isArray(kept["conversation"])) kept["conversation"] = kept["conversation"].slice(0, 1);
      expect(JSON.parse(got.records[i]!.json)).toEqual(kept);
    }
  });

  it.each([
    ["fail", 2],
    ["skip", 3],
  ] as const)("sets bad synth lines aside (or fails at the first) as joinSources does, with onInvalid %s", async (onInvalid, threads) => {
    const lines = synthBody.split("\n");
    lines[700] = "{not json";
    lines[1200] = '{"conversation_id": 5}';
    const bad = { ...many, synth: [file(`bad-${onInvalid}.jsonl`, lines.join("\n"))], onInvalid };
    if (onInvalid === "fail") {
      const [a, b] = [await errorOf(viaJoin(bad)), await errorOf(viaWorkers(bad, threads))];
      expect(b.message).toBe(a.message);
      expect(b.message).toMatch(/bad-fail\.jsonl:701: malformed JSON/);
      return;
    }
    const expected = await viaJoin(bad);
    expect(expected.rejected).toEqual([[701, "invalid-json"], [1201, "invalid-record"]]);
    expect(await viaWorkers(bad, threads)).toEqual(expected);
  });

  it("refuses a repeated synth id at its second line, after every record before it", async () => {
    const lines = synthBody.split("\n");
    lines[900] = lines[400]!;
    const repeated = { ...many, synth: [file("repeated.jsonl", lines.join("\n"))] };
    const records: number[] = [];
    const e = await errorOf((async () => {
      for await (const r of mapJoinedSources<object, string>({ ...repeated, mapper, init: {}, threads: 2, blockBytes: 2048 })) records.push(r.line);
    })());
    // Read by JSON.parse, not by the id reader under test.
    const id = (JSON.parse(lines[400]!) as { conversation_id: string }).conversation_id;
    expect(id).toMatch(/^c\d+$/);
    expect(e.message).toBe(`${repeated.synth[0]}:901: conversation_id ${id} appears twice: first at line 401`);
    expect(records.at(-1)).toBe(900);
  });

  it("refuses a record that names two different ids", async () => {
    const twice = { synth: [file("twice.jsonl", '{"conversation_id":"c3","x":1,"conversation_id":"c4"}\n')], lmsys: many.lmsys };
    const e = await errorOf(viaWorkers(twice, 1));
    expect(e.message).toBe(`${twice.synth[0]}:1: \`conversation_id\` is given twice in the record, with different values`);
  });

  it("names an empty synth file, and removes the spool", async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), "lmsynth-spool-"));
    const empty = { synth: [file("empty.jsonl", "\n\n")], lmsys: many.lmsys, spoolDir };
    const e = await errorOf(viaWorkers(empty, 2));
    expect([e.reason, e.message]).toEqual(["empty-source", `${empty.synth[0]}: contributes no record (an empty file, or every row filtered out)`]);
    expect(readdirSync(spoolDir)).toEqual([]);
    rmSync(spoolDir, { recursive: true });
  });
});

describe("lineIdOf", () => {
  it.each([
    ['{"conversation_id":"abc","x":1}', "abc"],
    ['  { "conversation_id" : "abc" }', "abc"],
    ['{"x":{"conversation_id":"inner"},"conversation_id":"outer"}', "outer"],
    ['{"conversation_id":"a\\"b"}', 'a"b'],
    ['{"conversation_id":"\\u65e5"}', "日"],
    ['{"conversation_id":"日本"}', "日本"],
    ['{"conversation_id":5}', undefined],
    // The id is read before the line is parsed: the worker refuses this line as malformed JSON.
    ['{"conversation_id":"abc"', "abc"],
    ['{"conversation_id":"ab', undefined],
    ["[1]", undefined],
  ])("%s → %s", (line, id) => {
    expect(lineIdOf(Buffer.from(line))).toBe(id);
  });
});
