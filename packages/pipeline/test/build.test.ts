import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
// The built code: worker threads load the compiled converter next to it, not src/*.ts.
import { buildFolder, buildFolderIter, outputOf, summaryOfManifest, type BuildEvent, type BuildOptions } from "../dist/index.js";

const FIXTURES = fileURLToPath(new URL("../../../test-fixtures/", import.meta.url));
const LLAMA = join(FIXTURES, "llama3.1/edge-cases.jsonl");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lmsynth-pipeline-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const options = (output: string, extra: Partial<BuildOptions> = {}): BuildOptions => ({
  output,
  source: { files: [LLAMA] },
  convert: {
    outputs: [outputOf("sft"), outputOf("dpo")],
    sft: { options: { select: "best", withMeta: true }, messagesKey: "messages" },
    dpo: { options: { pairs: "best-worst", minMargin: 1, withMeta: true } },
  },
  folder: { formats: ["jsonl"] },
  withMeta: true,
  languages: ["ja"],
  run: { tool: "test", version: "0", command: "buildFolder()", options: {} },
  threads: 1,
  ...extra,
});

describe("build", () => {
  it("writes the Hub folder of every configured output and returns the summary and manifest", async () => {
    const out = join(dir, "ds");
    const { summary, manifest, reusedShards } = await buildFolder(options(out));
    expect(readdirSync(out).sort()).toEqual(["README.md", "dpo", "manifest.json", "report.html", "sft"]);
    expect(reusedShards).toBe(0);
    expect(summary.rows).toEqual({ sft: manifest.counts.rows.sft!.train, dpo: manifest.counts.rows.dpo!.train });
    expect(manifest.counts.records).toBe(summary.records);
    expect(manifest.files.map((f) => f.path)).toEqual(["dpo/train-00000-of-00001.jsonl", "report.html", "sft/train-00000-of-00001.jsonl"]);
    const rows = readFileSync(join(out, "sft/train-00000-of-00001.jsonl"), "utf8").trim().split("\n");
    expect(rows).toHaveLength(summary.rows.sft!);
    // The folder's manifest alone gives back the summary's counts (what a merge or a resumed build prints).
    const { seconds: _s, join: _j, traces: _t, warnings: _w, ...counted } = summary;
    expect(summaryOfManifest("build", manifest)).toEqual({ ...counted, seconds: 0 });
  });

  it("gives the same bytes with one thread and with two", async () => {
    await buildFolder(options(join(dir, "one"), { threads: 1 }));
    await buildFolder(options(join(dir, "two"), { threads: 2 }));
    for (const file of ["sft/train-00000-of-00001.jsonl", "dpo/train-00000-of-00001.jsonl", "manifest.json", "README.md"]) {
      expect(readFileSync(join(dir, "two", file))).toEqual(readFileSync(join(dir, "one", file)));
    }
  });
});

describe("buildFolderIter", () => {
  it("yields the report and closing phases, then returns the result", async () => {
    const events: BuildEvent[] = [];
    const iterator = buildFolderIter(options(join(dir, "ds")));
    let step = await iterator.next();
    while (!step.done) {
      events.push(step.value);
      step = await iterator.next();
    }
    expect(events).toEqual([
      { event: "phase", phase: "report" },
      { event: "phase", phase: "closing" },
    ]);
    expect(step.value.summary.command).toBe("build");
  });

  it("leaves nothing behind when aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(buildFolder(options(join(dir, "ds"), { signal: controller.signal }))).rejects.toThrow("stop");
    expect(readdirSync(dir)).toEqual([]);
  });
});
