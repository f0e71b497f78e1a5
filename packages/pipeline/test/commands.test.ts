import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OptionError } from "@lmsynth/schema";
// The built code: worker threads load the compiled converter next to it, not src/*.ts.
import { COMMANDS, runCommand, runCommandIter, type CommandEvent } from "../dist/index.js";

const SAMPLE = fileURLToPath(new URL("../../../test-fixtures/sample/llama3.1-sample.jsonl.gz", import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lmsynth-commands-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("every command as a library call", () => {
  it("applies a preset as the command line does: the same rows as its options given one by one", async () => {
    const preset = await runCommand("sft", { inputs: [SAMPLE], preset: "swallow-v0.1", output: join(dir, "preset.jsonl"), threads: 1 });
    const spelled = await runCommand("sft", {
      inputs: [SAMPLE],
      lang: "both",
      select: "best",
      "exclude-pii": true,
      "exclude-template": true,
      "single-en-as-is": true,
      output: join(dir, "spelled.jsonl"),
      threads: 1,
    });
    expect(preset.summary.rows).toEqual(spelled.summary.rows);
    expect(readFileSync(join(dir, "preset.jsonl"))).toEqual(readFileSync(join(dir, "spelled.jsonl")));
  });

  it.each<[string, object, string]>([
    ["an unknown option", { inputs: [SAMPLE], output: "x.jsonl", langs: "ja" }, 'unknown option "langs": the options are the command\'s flags (lmsynth <command> --help), by name'],
    ["a value its spec refuses", { inputs: [SAMPLE], output: "x.jsonl", lang: "fr" }, '--lang must be one of ja, en, both; got "fr"'],
    ["a number out of range", { inputs: [SAMPLE], output: "x.jsonl", "min-score": 11 }, "--min-score takes a number ≥ 0 and ≤ 10, got 11"],
    ["a switch given a string", { inputs: [SAMPLE], output: "x.jsonl", "exclude-pii": "yes" }, '--exclude-pii is a switch (true or false), got "yes"'],
  ])("refuses %s before any file is opened, as the command line does", async (_name, options, message) => {
    await expect(runCommand("sft", options as never)).rejects.toThrow(new OptionError(message));
  });

  it("resolves --shard auto from the environment it is given, and records the part and the engine", async () => {
    const env = { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_COUNT: "3" };
    const { manifest } = await runCommand("build", { inputs: [SAMPLE], shard: "auto", output: join(dir, "part"), format: "jsonl", threads: 1, silent: true }, { env });
    expect(manifest.options).toMatchObject({ shard: "1/3", "shard-engine": "slurm: SLURM_ARRAY_TASK_ID=1, SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_COUNT=3" });
    // Recorded as the command line the call equals.
    expect(manifest.command).toBe(`lmsynth build ${SAMPLE} --shard auto --output ${join(dir, "part")} --format jsonl --threads 1 --silent`);
  });

  it("yields its events (a deletion list's warning, before any input is read) and returns the result; every command is in the table", async () => {
    const list = join(dir, "ids.txt");
    writeFileSync(list, "not-an-id\n");
    const events: CommandEvent[] = [];
    const run = runCommandIter("sft", { inputs: [SAMPLE], "exclude-ids": [list], output: join(dir, "sft.jsonl"), threads: 1 });
    let step = await run.next();
    for (; !step.done; step = await run.next()) events.push(step.value);
    expect(events).toEqual([
      { event: "warning", message: `${list}: 1 listed id does not look like a conversation_id (32 lowercase hex characters) and may match nothing, e.g. line 1: "not-an-id"` },
    ]);
    expect(step.value.summary.records).toBe(300);
    expect(Object.keys(COMMANDS)).toEqual(["build", "sft", "dpo", "kto", "render", "merge", "decrypt", "inspect", "report", "publish", "delete-ids", "merge-manifests"]);
  });
});
