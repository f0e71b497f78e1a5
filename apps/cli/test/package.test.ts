// The installable package (issue 28): `npm run package`'s tarball installed into an empty prefix outside the
// checkout works as `lmsynth`, builds the sample into the same shards as the repository's build, and gives the
// Node API to another project (the README's example). Needs the npm registry for the registry dependencies,
// as every install does.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO, fixture, runMain } from "./run-cli.js";

const tmp = mkdtempSync(join(tmpdir(), "lmsynth-package-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every data shard of a folder, by relative path, with its sha256. */
function shards(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const config of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const file of readdirSync(join(dir, config.name))) out[`${config.name}/${file}`] = createHash("sha256").update(readFileSync(join(dir, config.name, file))).digest("hex");
  }
  return out;
}

const npm = (args: string[], cwd: string): string => execFileSync("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("npm run package", () => {
  it("gives a tarball that installs into an empty prefix and builds the sample as the repository does, and the Node API", async () => {
    const tarball = execFileSync(process.execPath, [join(REPO, "scripts/package.mjs")], { encoding: "utf8" }).trim();
    expect(tarball).toBe(join(REPO, "dist-pack/lmsynth-0.1.0.tgz"));
    const listing = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n");
    expect(listing).toEqual(expect.arrayContaining(["package/package.json", "package/bin/lmsynth.mjs", "package/dist/index.d.ts", "package/node_modules/@lmsynth/pipeline/dist/convert-record.js"]));
    const published = JSON.parse(execFileSync("tar", ["xzOf", tarball, "package/package.json"], { encoding: "utf8" })) as Record<string, unknown>;
    expect(published).toMatchObject({ name: "lmsynth", version: "0.1.0", license: "Apache-2.0", engines: { node: ">=20.15" }, bin: { lmsynth: "bin/lmsynth.mjs" }, types: "./dist/index.d.ts" });

    // A global install into an empty prefix, used from a folder outside the checkout.
    const prefix = join(tmp, "prefix");
    const work = join(tmp, "work");
    mkdirSync(prefix);
    mkdirSync(work);
    npm(["install", "-g", "--prefix", prefix, tarball], work);
    const lmsynth = join(prefix, "bin/lmsynth");
    expect(execFileSync(lmsynth, ["--version"], { encoding: "utf8" })).toBe("0.1.0\n");
    cpSync(fixture("sample/llama3.1-sample.jsonl.gz"), join(work, "sample.jsonl.gz"));
    const run = spawnSync(lmsynth, ["build", "sample.jsonl.gz", "--lang", "both", "--kto", "-o", "ds", "--silent"], { cwd: work, encoding: "utf8" });
    expect([run.status, run.stderr]).toEqual([0, ""]);
    const here = join(tmp, "repo-ds");
    expect((await runMain(["build", fixture("sample/llama3.1-sample.jsonl.gz"), "--lang", "both", "--kto", "-o", here, "--silent"])).code).toBe(0);
    expect(shards(join(work, "ds"))).toEqual(shards(here));

    // The Node API in another project: the README's example, as written.
    const project = join(tmp, "project");
    mkdirSync(join(project, "test-fixtures/sample"), { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-lmsynth", private: true, type: "module" }));
    npm(["install", tarball], project);
    cpSync(fixture("sample/llama3.1-sample.jsonl.gz"), join(project, "test-fixtures/sample/llama3.1-sample.jsonl.gz"));
    const example = /## Install[\s\S]*?```js\n([\s\S]*?)```/.exec(readFileSync(join(REPO, "README.md"), "utf8"))![1]!;
    writeFileSync(join(project, "example.mjs"), example);
    const api = spawnSync(process.execPath, ["example.mjs"], { cwd: project, encoding: "utf8" });
    expect([api.status, api.stderr]).toEqual([0, ""]);
    expect(api.stdout).toContain("'sft/train-00000-of-00001.parquet'");
    expect(readdirSync(join(project, "out/api")).sort()).toEqual(["README.md", "dpo", "manifest.json", "report.html", "sft"]);
  }, 600_000);
});
