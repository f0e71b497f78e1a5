#!/usr/bin/env node
// `npm run package`: dist-pack/lmsynth-<version>.tgz, what `npm publish` would publish. The CLI's dist/ and
// bin/, with the workspace packages (`@lmsynth/*`, on no registry) bundled in as node_modules of their own
// (bundleDependencies), and every registry dependency of theirs a dependency of the package: so
// `npm install -g lmsynth-<version>.tgz` works on a machine with only Node, and the worker threads find
// their modules beside them as in the repository (nothing is re-bundled into one file). Run after a build.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const cli = readJson(join(root, "apps/cli/package.json"));
const workspace = readdirSync(join(root, "packages")).map((name) => ({ dir: join(root, "packages", name), json: readJson(join(root, "packages", name, "package.json")) }));
const out = join(root, "dist-pack");
const stage = join(out, "lmsynth");
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

/** Registry dependencies of every part, one range each: two parts asking different ranges is a mistake here. */
const dependencies = {};
for (const json of [cli, ...workspace.map((w) => w.json)]) {
  for (const [name, range] of Object.entries(json.dependencies ?? {})) {
    if (name.startsWith("@lmsynth/")) continue;
    if (dependencies[name] !== undefined && dependencies[name] !== range) throw new Error(`${name}: ${json.name} asks ${range}, another part ${dependencies[name]}`);
    dependencies[name] = range;
  }
}
for (const part of [join(root, "apps/cli"), ...workspace.map((w) => w.dir)]) {
  if (!existsSync(join(part, "dist"))) throw new Error(`${part}/dist is missing: run npm run build first`);
}

cpSync(join(root, "apps/cli/dist"), join(stage, "dist"), { recursive: true });
cpSync(join(root, "apps/cli/bin"), join(stage, "bin"), { recursive: true });
cpSync(join(root, "README.md"), join(stage, "README.md"));
for (const { dir, json } of workspace) {
  const to = join(stage, "node_modules", json.name);
  cpSync(join(dir, "dist"), join(to, "dist"), { recursive: true });
  // Without its dependencies: npm would look for them inside the bundle (a bundled package's dependencies are
  // bundled too, to npm), and they are all the package's own, found one level up.
  const { scripts: _scripts, devDependencies: _dev, dependencies: _deps, ...published } = json;
  writeFileSync(join(to, "package.json"), `${JSON.stringify(published, null, 2)}\n`);
}
const bundled = workspace.map((w) => w.json.name).sort();
const manifest = {
  name: cli.name,
  version: cli.version,
  description: "Training data from LMSYS-Chat-1M-Synth: SFT, DPO and KTO rows, chat templates, Parquet for the Hub",
  license: cli.license,
  type: "module",
  engines: readJson(join(root, "package.json")).engines,
  bin: cli.bin,
  exports: cli.exports,
  types: "./dist/index.d.ts",
  files: ["dist", "bin"],
  dependencies: { ...Object.fromEntries(Object.entries(dependencies).sort()), ...Object.fromEntries(bundled.map((name) => [name, cli.version])) },
  bundleDependencies: bundled,
};
writeFileSync(join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
const tarball = execFileSync("npm", ["pack", "--pack-destination", out, "--silent"], { cwd: stage, encoding: "utf8" }).trim().split("\n").at(-1);
console.log(join(out, tarball));
