import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "./run-cli.js";

/** Every workspace package: packages/* and apps/cli (style.md "Config"). */
const PACKAGES = [
  ...readdirSync(join(REPO, "packages"))
    .map((name) => join(REPO, "packages", name))
    .filter((dir) => existsSync(join(dir, "package.json"))),
  join(REPO, "apps/cli"),
].map((dir) => relative(REPO, dir));

interface PackageJson {
  name: string;
  type?: string;
  exports?: Record<string, Record<string, string>>;
  files?: string[];
  sideEffects?: boolean;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

const readPackage = (dir: string): PackageJson => JSON.parse(readFileSync(join(REPO, dir, "package.json"), "utf8")) as PackageJson;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|mts|js|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** The packages src/ imports, by package name: `import … from`, `export … from`, `import "x"`, `import("x")`. */
function importedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(join(REPO, dir, "src"))) {
    const text = readFileSync(file, "utf8");
    // A module specifier has no space or comma, so string literals such as `"from", "value"` are not imports.
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"'\s,]+)["']/g)) {
      const spec = m[1]!;
      if (spec.startsWith(".") || spec.startsWith("node:") || builtinModules.includes(spec)) continue;
      const parts = spec.split("/");
      names.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
    }
  }
  return names;
}

// Allowances: each a finding to fix in its package. Anything not listed fails the test.
/** Dependencies declared ahead of the code that will import them. */
const MAY_BE_STRAY: Record<string, string[]> = {};
/** Imports whose package is not in dependencies. */
const MAY_BE_UNLISTED: Record<string, string[]> = {};

describe("workspace package.json files", () => {
  it("finds every package", () => {
    expect(PACKAGES).toEqual(expect.arrayContaining(["packages/schema", "packages/reader", "packages/sft", "packages/hub-folder", "packages/hub-publish", "apps/cli"]));
  });

  it.each(PACKAGES)("%s: ESM, exports types first, files, sideEffects, scripts", (dir) => {
    const pkg = readPackage(dir);
    expect(pkg.type).toBe("module");
    expect(Object.keys(pkg.exports ?? {})).toEqual(["."]);
    expect(Object.entries(pkg.exports!["."]!)).toEqual([
      ["types", "./dist/index.d.ts"],
      ["default", "./dist/index.js"],
    ]);
    // The CLI also ships its committed bin shim (linked by `npm ci` before dist/ exists).
    expect(pkg.files).toEqual(dir === "apps/cli" ? ["dist", "bin"] : ["dist"]);
    if (dir.startsWith("packages/")) {
      expect(pkg.name).toBe(`@lmsynth/${dir.slice("packages/".length)}`);
      expect(pkg.sideEffects).toBe(false);
    }
    expect(pkg.scripts?.build).toBe("tsc -p tsconfig.json");
    expect(pkg.scripts?.test).toBe("vitest run");
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      if (name.startsWith("@lmsynth/")) expect(`${name}@${range}`).toBe(`${name}@*`);
    }
  });

  it.each(PACKAGES)("%s: every dependency is imported in src, every imported package is a dependency", (dir) => {
    const imported = importedPackages(dir);
    const listed = Object.keys(readPackage(dir).dependencies ?? {});
    const stray = listed.filter((name) => !imported.has(name));
    const unlisted = [...imported].filter((name) => !listed.includes(name));
    expect({
      stray: stray.filter((name) => !MAY_BE_STRAY[dir]?.includes(name)),
      unlisted: unlisted.filter((name) => !MAY_BE_UNLISTED[dir]?.includes(name)),
    }).toEqual({ stray: [], unlisted: [] });
  });
});

describe("architecture (issue 12)", () => {
  /** Relative imports of one package's src, as a graph of files (type-only and dynamic imports included). */
  function importGraph(src: string): Map<string, string[]> {
    const files = sourceFiles(src).filter((f) => f.endsWith(".ts"));
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gms), ...text.matchAll(/\bimport\(\s*"(\.[^"]+)"\s*\)/g)];
      const targets = specifiers.map((m) => join(file, "..", m[1]!.replace(/\.js$/, ".ts")));
      graph.set(file, targets.filter((t) => files.includes(t)));
    }
    return graph;
  }

  /** The first import cycle found, as a list of files relative to the package, or undefined. */
  function firstCycle(graph: Map<string, string[]>, root: string): string[] | undefined {
    const done = new Set<string>();
    const path: string[] = [];
    const visit = (file: string): string[] | undefined => {
      const at = path.indexOf(file);
      if (at !== -1) return [...path.slice(at), file].map((f) => relative(root, f));
      if (done.has(file)) return undefined;
      path.push(file);
      for (const next of graph.get(file) ?? []) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
      path.pop();
      done.add(file);
      return undefined;
    };
    for (const file of graph.keys()) {
      const cycle = visit(file);
      if (cycle) return cycle;
    }
    return undefined;
  }

  it.each(PACKAGES)("%s: no import cycle in src", (dir) => {
    const src = join(REPO, dir, "src");
    expect(firstCycle(importGraph(src), src)).toBeUndefined();
  });

  it("finds a cycle closed through a dynamic import", () => {
    const src = mkdtempSync(join(tmpdir(), "lmsynth-cycle-"));
    try {
      writeFileSync(join(src, "a.ts"), 'import type { B } from "./b.js";\nexport type A = B;\n');
      writeFileSync(join(src, "b.ts"), 'export type B = string;\nexport const load = () => import("./a.js");\n');
      writeFileSync(join(src, "c.ts"), 'export const c = "import(\\"./a.js\\")";\n');
      expect(firstCycle(importGraph(src), src)).toEqual(["a.ts", "b.ts", "a.ts"]);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });

  it("the CLI is a shell over the pipeline: the one workspace package it imports is @lmsynth/pipeline", () => {
    expect([...importedPackages("apps/cli")].filter((name) => name.startsWith("@lmsynth/")).sort()).toEqual(["@lmsynth/pipeline"]);
  });

  it.each(PACKAGES)("%s: every source file is under 450 lines", (dir) => {
    const long = sourceFiles(join(REPO, dir, "src"))
      .map((file) => [relative(REPO, file), readFileSync(file, "utf8").split("\n").length - 1] as const)
      .filter(([, lines]) => lines >= 450);
    expect(long).toEqual([]);
  });

  it.each(PACKAGES.filter((dir) => dir.startsWith("packages/")))("%s: refers to nothing under apps/", (dir) => {
    const offending = sourceFiles(join(REPO, dir, "src")).filter((file) => /["'`][^"'`]*\bapps\//.test(readFileSync(file, "utf8")));
    expect(offending.map((f) => relative(REPO, f))).toEqual([]);
  });
});
