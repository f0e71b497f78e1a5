import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "@lmsynth/schema";
import { emptyJoinCounts, joinSources } from "../src/join-sources.js";

const FIXTURES = join(import.meta.dirname, "../../../test-fixtures");
const SPLIT = join(FIXTURES, "split/llama3.1");
const sources = { synth: [join(SPLIT, "synth.jsonl")], instructions: [join(SPLIT, "instructions.jsonl.gz")], lmsys: [join(SPLIT, "lmsys.jsonl")] };

function readJsonl(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function collect(options: Parameters<typeof joinSources>[0]) {
  const out: Array<{ record: Record<string, unknown>; line: number }> = [];
  for await (const r of joinSources(options)) out.push({ record: r.record, line: r.line });
  return out;
}

describe("joinSources", () => {
  it("rebuilds the merged records, keys in merged order, in synth order", async () => {
    const merged = readJsonl(join(FIXTURES, "llama3.1/edge-cases.jsonl"));
    const counts = emptyJoinCounts();
    const got = await collect({ ...sources, counts });
    const synthOnly = got.find((r) => r.record._case === "synth-only")!;
    const rest = got.filter((r) => r !== synthOnly);
    expect(rest.map((r) => JSON.stringify(r.record))).toEqual(merged.map((r) => JSON.stringify(r)));
    // The synth-only record keeps its own fields and its place (4th line of the synth file).
    expect(got.indexOf(synthOnly)).toBe(3);
    expect(synthOnly.line).toBe(4);
    expect(Object.keys(synthOnly.record)).not.toContain("conversation");
    expect(counts).toEqual({
      synth: 23,
      lmsys: 24,
      instructions: 23,
      synthWithoutLmsys: 1,
      synthWithoutInstruction: 1,
      lmsysUnmatched: 2,
      instructionsUnmatched: 1,
    });
  });

  it("appends unmatched LMSYS records in LMSYS order with keepUnmatched", async () => {
    const got = await collect({ ...sources, keepUnmatched: true });
    expect(got.slice(-2).map((r) => r.record._case ?? r.record.conversation)).toEqual([
      [{ role: "user", content: "Question (lmsys-only-1): what should I see in Tokyo?" }, { role: "assistant", content: "Senso-ji and the Skytree." }],
      [{ role: "user", content: "Question (lmsys-only-2): what should I see in Tokyo?" }, { role: "assistant", content: "Senso-ji and the Skytree." }],
    ]);
    expect(got).toHaveLength(25);
  });

  it("lets the later source win on a clashing key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lmsynth-join-"));
    writeFileSync(join(dir, "l.jsonl"), JSON.stringify({ conversation_id: "a", model: "from-lmsys", redacted: false }) + "\n");
    writeFileSync(join(dir, "i.jsonl"), JSON.stringify({ conversation_id: "a", model: "from-instructions", translated_conversation: [{ role: "user", content: "質問" }] }) + "\n");
    writeFileSync(join(dir, "s.jsonl"), JSON.stringify({ conversation_id: "a", redacted: true }) + "\n");
    const got = await collect({ synth: [join(dir, "s.jsonl")], instructions: [join(dir, "i.jsonl")], lmsys: [join(dir, "l.jsonl")] });
    expect(got.map((r) => r.record)).toEqual([
      { conversation_id: "a", model: "from-instructions", redacted: true, translated_conversation: [{ role: "user", content: "質問" }] },
    ]);
  });

  it.each([
    ["lmsys", "l.jsonl", "conversation_id a appears twice in the LMSYS input"],
    ["instructions", "i.jsonl", "conversation_id a appears twice in the instructions"],
  ] as const)("refuses a repeated id in %s, naming file and line, and removes its spool", async (side, name, detail) => {
    const dir = mkdtempSync(join(tmpdir(), "lmsynth-join-"));
    const spoolDir = mkdtempSync(join(tmpdir(), "lmsynth-spool-"));
    const line = JSON.stringify({ conversation_id: "a" });
    writeFileSync(join(dir, name), `${line}\n${JSON.stringify({ conversation_id: "b" })}\n${line}\n`);
    writeFileSync(join(dir, "s.jsonl"), `${line}\n`);
    const e = await collect({ synth: [join(dir, "s.jsonl")], [side]: [join(dir, name)], spoolDir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toBe(`${join(dir, name)}:3: ${detail}`);
    expect((e as InputError).reason).toBe("duplicate-id");
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it("refuses an LMSYS record nested too deeply to spool as JSON, naming file and line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lmsynth-join-"));
    const spoolDir = mkdtempSync(join(tmpdir(), "lmsynth-spool-"));
    writeFileSync(join(dir, "l.jsonl"), `{"conversation_id":"a"}\n{"conversation_id":"b","deep":${"[".repeat(10_000)}${"]".repeat(10_000)}}\n`);
    writeFileSync(join(dir, "s.jsonl"), `{"conversation_id":"a"}\n`);
    const e = await collect({ synth: [join(dir, "s.jsonl")], lmsys: [join(dir, "l.jsonl")], spoolDir }).then(() => undefined, (e: unknown) => e);
    expect([(e as InputError).reason, (e as InputError).message]).toEqual(["invalid-record", `${join(dir, "l.jsonl")}:2: record is nested too deeply to be written back as JSON`]);
    expect(readdirSync(spoolDir)).toEqual([]);
    for (const d of [dir, spoolDir]) rmSync(d, { recursive: true });
  });

  it.each([
    ["JSONL", [join(SPLIT, "lmsys.jsonl")]],
    ["Parquet", [join(SPLIT, "lmsys.parquet")]],
  ])("stops with an aborted signal's reason while spooling %s LMSYS records, and removes the spool", async (_, lmsys) => {
    const spoolDir = mkdtempSync(join(tmpdir(), "lmsynth-spool-"));
    const controller = new AbortController();
    controller.abort(new Error("interrupted by SIGTERM"));
    const counts = emptyJoinCounts();
    const e = await collect({ synth: sources.synth, lmsys, spoolDir, counts, signal: controller.signal }).then(() => undefined, (e: unknown) => e);
    expect(e).toBe(controller.signal.reason);
    // Stopped at once, not after spooling everything.
    expect(counts.lmsys).toBe(0);
    expect(readdirSync(spoolDir)).toEqual([]);
    rmSync(spoolDir, { recursive: true });
  });
});

describe("joinSources spools", () => {
  it("write the instructions encrypted: no decrypted text is on disk while the join runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lmsynth-join-"));
    const spoolDir = mkdtempSync(join(tmpdir(), "lmsynth-spool-"));
    const marker = "秘密の指示 SECRET-INSTRUCTION-7f3a";
    const ids = Array.from({ length: 2000 }, (_, i) => `id${i}`);
    writeFileSync(join(dir, "i.jsonl"), ids.map((id) => JSON.stringify({ conversation_id: id, translated_conversation: [{ role: "user", content: `${marker} ${id}` }] })).join("\n"));
    writeFileSync(join(dir, "l.jsonl"), ids.map((id) => JSON.stringify({ conversation_id: id, conversation: [{ role: "user", content: `LMSYS-${id}` }] })).join("\n"));
    writeFileSync(join(dir, "s.jsonl"), ids.map((id) => JSON.stringify({ conversation_id: id })).join("\n"));
    const records = joinSources({ synth: [join(dir, "s.jsonl")], instructions: [join(dir, "i.jsonl")], lmsys: [join(dir, "l.jsonl")], spoolDir });
    const first = await records.next();
    expect(first.value?.record).toEqual({
      conversation_id: "id0",
      conversation: [{ role: "user", content: "LMSYS-id0" }],
      translated_conversation: [{ role: "user", content: `${marker} id0` }],
    });
    const spooled = readdirSync(spoolDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const bytes = spooled.map((e) => readFileSync(join(e.parentPath, e.name)));
    // Both spools are there, the LMSYS one in clear, the instructions' one not.
    expect(bytes).toHaveLength(2);
    expect(bytes.some((b) => b.includes("LMSYS-id1999"))).toBe(true);
    for (const b of bytes) {
      expect(b.includes(Buffer.from("SECRET-INSTRUCTION"))).toBe(false);
      expect(b.includes(Buffer.from("translated_conversation"))).toBe(false);
    }
    let n = 1;
    for await (const r of records) expect(r.record.translated_conversation).toEqual([{ role: "user", content: `${marker} id${n++}` }]);
    expect(n).toBe(2000);
    expect(readdirSync(spoolDir)).toEqual([]);
    for (const d of [dir, spoolDir]) rmSync(d, { recursive: true });
  });
});
