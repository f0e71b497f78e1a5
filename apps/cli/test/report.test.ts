import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixture, runMain, tempDir } from "./run-cli.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

const SAMPLE = fixture("sample/llama3.1-sample.jsonl.gz");

/** The charts of a report page: every `<svg data-chart>` element, whole. */
const chartsOf = (html: string): string[] => html.match(/<svg data-chart=[\s\S]*?<\/svg>/g) ?? [];

/** The summary fields a report shares with build. */
function counted(json: string): unknown {
  const { variant, records, rejected, rows, funnel, droppedPairs } = JSON.parse(json) as Record<string, unknown>;
  return { variant, records, rejected, rows, funnel, droppedPairs };
}

describe("lmsynth report", () => {
  it("writes one self-contained page whose numbers are the summary's, and nothing else", async () => {
    const out = join(tmp.dir, "report.html");
    const r = await runMain(["report", "--preset", "swallow-v0.1", SAMPLE, "-o", out, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ command: "report", variant: "llama-3.1", records: 300, rows: { sft: 498, dpo: 238 }, outputs: [out] });
    expect(tmp.list()).toEqual(["report.html"]);
    const html = readFileSync(out, "utf8");
    expect(html).toContain(
      "<div><dt>records read</dt><dd>300</dd></div><div><dt>sft rows written</dt><dd>498</dd></div><div><dt>dpo rows written</dt><dd>238</dd></div>",
    );
    expect(chartsOf(html)).toHaveLength(12);
    expect(html).not.toMatch(/https?:|<script/);
  });

  it("counts the same funnel as build, and build's report.html has the same charts, linked from the card", async () => {
    const dir = join(tmp.dir, "built");
    const b = await runMain(["build", "--preset", "swallow-v0.1", SAMPLE, "-o", dir, "--json"]);
    const r = await runMain(["report", "--preset", "swallow-v0.1", SAMPLE, "-o", join(tmp.dir, "r.html"), "--json"]);
    expect([b.code, r.code]).toEqual([0, 0]);
    expect(counted(r.stdout)).toEqual(counted(b.stdout));
    const built = readFileSync(join(dir, "report.html"), "utf8");
    expect(chartsOf(built)).toEqual(chartsOf(readFileSync(join(tmp.dir, "r.html"), "utf8")));
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { files: Array<{ path: string; rows: number; bytes: number }> };
    expect(manifest.files.find((f) => f.path === "report.html")).toMatchObject({ rows: 0, bytes: Buffer.byteLength(built) });
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain("[report.html](report.html)");
  });

  it("gives the same page with any number of threads", async () => {
    const pages = [];
    for (const threads of ["1", "2"]) {
      const out = join(tmp.dir, `t${threads}.html`);
      expect((await runMain(["report", "--lang", "both", fixture("llama3.1/edge-cases.jsonl"), "--threads", threads, "-o", out, "--silent"])).code).toBe(0);
      pages.push(chartsOf(readFileSync(out, "utf8")));
    }
    expect(pages[1]).toEqual(pages[0]);
  });

  it("writes to stdout with -o -", async () => {
    const r = await runMain(["report", fixture("llama3.1/edge-cases.jsonl"), "-o", "-", "--silent"]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith("<!doctype html>\n")).toBe(true);
    expect(r.stdout.endsWith("</html>\n")).toBe(true);
  });

  it.each([
    [["report", SAMPLE], 1, "Error: missing -o <report.html> (or - for stdout)\nRun 'lmsynth report --help' for usage.\n"],
    [["report", SAMPLE, "-o", "-", "--json"], 1, "Error: --json prints on stdout: give -o a file\nRun 'lmsynth report --help' for usage.\n"],
    [["report", SAMPLE, "-o", "x.html", "--no-sft", "--no-dpo"], 1, "Error: --no-sft and --no-dpo without --kto leave no output\nRun 'lmsynth report --help' for usage.\n"],
  ])("%j: usage error", async (argv, code, stderr) => {
    const r = await runMain(argv);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr });
  });

  it("names the path it cannot write, exit 2, and leaves no temporary file", async () => {
    const out = join(tmp.dir, "missing", "report.html");
    const r = await runMain(["report", SAMPLE, "-o", out, "--silent"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^Error: ${out.replaceAll(".", "\\.")}: cannot write: ENOENT`));
    expect(tmp.list()).toEqual([]);
  });
});
