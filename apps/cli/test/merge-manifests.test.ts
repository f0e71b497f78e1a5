import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyManifest, type DatasetManifest } from "@lmsynth/hub-folder";
import { fixture, runMain, tempDir } from "./run-cli.js";

// One unsharded build of the sample and three `--shard i/3` builds with otherwise the same options, shared
// by the tests below (each build takes a second).
const tmp = tempDir();
afterAll(() => tmp.remove());
const SAMPLE = fixture("sample/llama3.1-sample.jsonl.gz");
const OPTIONS = ["--preset", "swallow-v0.1", "--format", "jsonl,parquet", "--test-size", "0.3", "--seed", "7", "--max-shard-bytes", "40000", "--silent"];
const whole = join(tmp.dir, "whole");
const part = (i: number): string => join(tmp.dir, `part${i}`);
const merged = join(tmp.dir, "merged");

const manifestOf = (dir: string): DatasetManifest => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as DatasetManifest;
const SERIES = ["sft/train", "sft/test", "dpo/train", "dpo/test"];

/** The rows of a series (`sft/train`): its JSONL shards concatenated, each row as its JSON text. */
function rowsOf(dir: string, series: string): string[] {
  return manifestOf(dir)
    .files.map((f) => f.path)
    .filter((p) => p.startsWith(`${series}-`) && p.endsWith(".jsonl"))
    .flatMap((p) => readFileSync(join(dir, p), "utf8").split("\n").filter(Boolean));
}

/** The report's command cell, as renderReportHtml writes it. */
const COMMAND_CELL = /<th scope="row">command<\/th><td><code>([^<]*)<\/code><\/td>/;

let mergeRun: Awaited<ReturnType<typeof runMain>>;
beforeAll(async () => {
  expect((await runMain(["build", SAMPLE, ...OPTIONS, "-o", whole])).code).toBe(0);
  for (const i of [0, 1, 2]) expect((await runMain(["build", SAMPLE, ...OPTIONS, "--shard", `${i}/3`, "-o", part(i)])).code).toBe(0);
  // Parts in any order: the merge orders them by shard index.
  mergeRun = await runMain(["merge-manifests", part(2), part(0), part(1), "-o", merged, "--json"]);
}, 60_000);

describe("lmsynth build --shard i/N + merge-manifests", () => {
  it("gives disjoint parts whose union is the unsharded build's rows, per config and split", () => {
    expect(mergeRun.code).toBe(0);
    for (const series of SERIES) {
      const parts = [0, 1, 2].map((i) => rowsOf(part(i), series));
      const ids = parts.map((rows) => new Set(rows.map((r) => (JSON.parse(r) as { conversation_id: string }).conversation_id)));
      for (const [a, b] of [[0, 1], [0, 2], [1, 2]] as const) expect([...ids[a]!].filter((id) => ids[b]!.has(id)), series).toEqual([]);
      expect(parts.every((rows) => rows.length > 0), series).toBe(true);
      const all = rowsOf(whole, series);
      expect(parts.flat().sort(), series).toEqual([...all].sort());
      // Merged: the parts' rows in shard order, and (as a set) the whole's.
      expect(rowsOf(merged, series), series).toEqual(parts.flat());
    }
  });

  it("sums counts and funnel to the unsharded build's, keeps its options, and verifies", async () => {
    const m = manifestOf(merged);
    const w = manifestOf(whole);
    expect(m.counts).toEqual(w.counts);
    expect(m.options).toEqual(w.options);
    expect(m.inputs).toEqual(w.inputs);
    expect(m.card).toEqual(w.card);
    expect(m.stats).toEqual(w.stats);
    expect(await verifyManifest(merged)).toEqual(m);
    expect(JSON.parse(mergeRun.stdout)).toMatchObject({
      command: "merge-manifests",
      variant: "llama-3.1",
      records: 300,
      rows: { sft: 498, dpo: 238 },
      funnel: (w.stats as { funnel: unknown }).funnel,
      outputs: m.files.map((f) => f.path),
    });
    expect(m.command).toBe(
      [0, 1, 2].map((i) => `lmsynth build ${SAMPLE} ${OPTIONS.join(" ")} --shard ${i}/3 -o ${part(i)}`).join("\n") +
        `\nlmsynth merge-manifests ${part(2)} ${part(0)} ${part(1)} -o ${merged} --json`,
    );
  });

  it("renames data files to global indices and lists exactly them in the card", () => {
    const m = manifestOf(merged);
    const data = m.files.map((f) => f.path).filter((p) => /^(sft|dpo)\//.test(p));
    for (const series of SERIES) {
      for (const ext of ["parquet", "jsonl"]) {
        const files = data.filter((p) => p.startsWith(`${series}-`) && p.endsWith(`.${ext}`));
        const n = [0, 1, 2].reduce((sum, i) => sum + manifestOf(part(i)).files.filter((f) => f.path.startsWith(`${series}-`) && f.path.endsWith(`.${ext}`)).length, 0);
        expect(files).toEqual(Array.from({ length: n }, (_, j) => `${series}-${String(j).padStart(5, "0")}-of-${String(n).padStart(5, "0")}.${ext}`));
      }
    }
    // The card declares the Parquet files (one builder per repository); the JSONL twins are described.
    const yaml = readFileSync(join(merged, "README.md"), "utf8").split("---\n")[1]!.split("dataset_info:")[0]!;
    const listed = [...yaml.matchAll(/^ {4}- (.+)$/gm)].map((x) => x[1]!);
    expect(listed.sort()).toEqual(data.filter((p) => p.endsWith(".parquet")));
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("re-renders report.html: the unsharded build's page but for the command line", () => {
    const mergedHtml = readFileSync(join(merged, "report.html"), "utf8");
    const wholeHtml = readFileSync(join(whole, "report.html"), "utf8");
    const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
    expect(COMMAND_CELL.exec(mergedHtml)?.[1]).toBe(esc(manifestOf(merged).command));
    expect(COMMAND_CELL.exec(wholeHtml)?.[1]).toBe(esc(manifestOf(whole).command));
    const withoutCommand = (html: string) => html.replace(COMMAND_CELL, "COMMAND");
    expect(withoutCommand(mergedHtml)).toBe(withoutCommand(wholeHtml));
  });

  it.each([
    ["a missing part", () => [part(0), part(2), "-o", join(tmp.dir, "refused")], "Error: shard 1/3 is missing: merge needs every part 0…2"],
    ["a folder that is no part", () => [part(0), part(1), whole, "-o", join(tmp.dir, "refused")], "Error: part 3 is shard 0/1, part 1 is of 3: parts of different --shard counts"],
    ["no -o", () => [part(0)], "Error: missing -o <dir>"],
    ["no part", () => ["-o", join(tmp.dir, "refused")], "Error: no part folder given: lmsynth merge-manifests <part-dir…> -o <dir>"],
  ])("refuses %s (exit 1)", async (_, argv, message) => {
    const r = await runMain(["merge-manifests", ...argv()]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: `${message}\nRun 'lmsynth merge-manifests --help' for usage.\n` });
    expect(tmp.list()).not.toContain("refused");
  });

  it("refuses parts built with other options, and an existing folder unless --overwrite (exit 1)", async () => {
    const other = join(tmp.dir, "other1");
    expect((await runMain(["build", SAMPLE, ...OPTIONS, "--lang", "ja", "--shard", "1/3", "-o", other])).code).toBe(0);
    const r = await runMain(["merge-manifests", part(0), other, part(2), "-o", join(tmp.dir, "refused")]);
    expect(r.stderr).toBe(`Error: part 2 was built with option lang = "ja", part 1 with "both"\nRun 'lmsynth merge-manifests --help' for usage.\n`);
    expect(r.code).toBe(1);
    const again = await runMain(["merge-manifests", part(0), part(1), part(2), "-o", merged, "--silent"]);
    expect({ code: again.code, stderr: again.stderr }).toEqual({
      code: 1,
      stderr: `Error: output folder already exists: ${merged}\nRun 'lmsynth merge-manifests --help' for usage.\n`,
    });
    expect((await runMain(["merge-manifests", part(0), part(1), part(2), "-o", merged, "--silent", "--overwrite"])).code).toBe(0);
    expect(tmp.list().filter((name) => name.startsWith("."))).toEqual([]);
  });
});

describe("lmsynth build --shard auto (issue 28)", () => {
  const slurm = (id: number, min: number) => ({ SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: String(min), SLURM_ARRAY_TASK_COUNT: "3" });
  it.each([
    ["a Slurm array 1-3", (i: number) => slurm(i + 1, 1)],
    ["a Slurm array 0-2", (i: number) => slurm(i, 0)],
    ["a Kubernetes Indexed Job", (i: number) => ({ JOB_COMPLETION_INDEX: String(i), LMSYNTH_SHARD_COUNT: "3" })],
    ["GitLab parallel: 3", (i: number) => ({ CI_NODE_INDEX: String(i + 1), CI_NODE_TOTAL: "3" })],
  ])("%s: the parts equal the --shard i/3 parts, record their engine, and merge into the same folder", async (name, env) => {
    const parts = [0, 1, 2].map((i) => join(tmp.dir, `auto-${name.replace(/\W+/g, "-")}-${i}`));
    for (const [i, dir] of parts.entries()) {
      const run = await runMain(["build", SAMPLE, ...OPTIONS, "--shard", "auto", "-o", dir], undefined, env(i));
      expect(run.code, run.stderr).toBe(0);
      const m = manifestOf(dir);
      expect(m.options.shard).toBe(`${i}/3`);
      expect(m.options["shard-engine"]).toMatch(/^(slurm|kubernetes|gitlab): /);
      for (const series of SERIES) expect(rowsOf(dir, series), series).toEqual(rowsOf(part(i), series));
    }
    const out = join(tmp.dir, `auto-merged-${name.replace(/\W+/g, "-")}`);
    expect((await runMain(["merge-manifests", ...parts, "-o", out, "--silent"])).code).toBe(0);
    for (const series of SERIES) expect(rowsOf(out, series), series).toEqual(rowsOf(merged, series));
    expect(manifestOf(out).options).toEqual(manifestOf(whole).options);
  });

  it("with no engine around it is an error, not a whole build", async () => {
    const run = await runMain(["build", SAMPLE, ...OPTIONS, "--shard", "auto", "-o", join(tmp.dir, "auto-none")], undefined, {});
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n")[0]).toBe(
      "Error: --shard auto: no scale-out engine found in the environment (looked for SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, CLOUD_RUN_TASK_INDEX, CI_NODE_INDEX, LMSYNTH_SHARD_INDEX): give --shard i/N",
    );
  });
});
