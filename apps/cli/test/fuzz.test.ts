import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pathToFileURL } from "node:url";
import { fixture, runMain, spawnCli } from "./run-cli.js";

// Seeded fuzzing of the inputs (issue 8): the fixtures corrupted at random — truncated, bit-flipped, lines
// shuffled, JSON keys deleted, types changed, junk inserted — as plain JSONL, gzip and OpenPGP, through
// sft, dpo, build and inspect. Whatever the damage, lmsynth must answer 0 or 2, never crash with a stack
// trace, name the damaged input, and on 2 leave no output. 150 cases take ~15 s (in-process, one thread
// mostly; a few spawned). Another run: LMSYNTH_FUZZ_SEED=… LMSYNTH_FUZZ_CASES=… npx vitest run test/fuzz.test.ts

const SEED = Number(process.env.LMSYNTH_FUZZ_SEED ?? 20_260_824);
const CASES = Number(process.env.LMSYNTH_FUZZ_CASES ?? 150);

type Rand = () => number;

// The one seeded PRNG of the repository (fixtures, bench data, fuzz cases).
const { mulberry32 } = (await import(pathToFileURL(fixture("generate.mjs")).href)) as { mulberry32: (seed: number) => Rand };

const int = (rand: Rand, n: number): number => Math.floor(rand() * n);
const pick = <T>(rand: Rand, list: readonly T[]): T => list[int(rand, list.length)]!;

// --- mutations -------------------------------------------------------------------------------------

type Path = Array<string | number>;

/** Every path into `value` (the root excluded), depth first. */
function pathsOf(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (value !== null && typeof value === "object") {
    for (const [k, child] of Object.entries(value)) {
      const p = [...path, Array.isArray(value) ? Number(k) : k];
      out.push(p);
      pathsOf(child, p, out);
    }
  }
  return out;
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> {
  let v = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) v = v[k] as Record<string | number, unknown>;
  return v;
}

const ODD_VALUES: readonly unknown[] = [0, -1, 11, 1e308, 7.5, "", "8", "x", null, true, false, [], {}, [{}], { role: 1 }, [[]], "\u0000", "😀".repeat(3)];

/** A JSON mutation of one line: delete a key, change a value's type. Lines that are not JSON stay. */
function mutateJson(rand: Rand, line: string, kind: "delete-key" | "change-type"): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return line;
  }
  const paths = pathsOf(value);
  if (paths.length === 0) return line;
  const path = pick(rand, paths);
  const parent = parentOf(value, path);
  const key = path.at(-1)!;
  if (kind === "delete-key") {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else {
    const old = JSON.stringify(parent[key]);
    let next = pick(rand, ODD_VALUES);
    while (JSON.stringify(next) === old) next = pick(rand, ODD_VALUES);
    parent[key] = structuredClone(next);
  }
  return JSON.stringify(value);
}

const JUNK: readonly Buffer[] = [",", "}", "{", '{"a":', '"', "\\", "]", "\n", "\r\n", "\u0000", "null", "1e999", "[[[[", "\ufeff", "😀"]
  .map((s) => Buffer.from(s))
  .concat([Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]), Buffer.from([0xe3, 0x81]), Buffer.from([0x1f, 0x8b, 8, 0])]);

type TextMutation = "truncate" | "bit-flip" | "shuffle" | "delete-key" | "change-type" | "insert-junk" | "drop-line" | "repeat-line";
type ByteMutation = "truncate" | "bit-flip" | "insert-junk" | "append-garbage" | "append-zeros";
const TEXT_MUTATIONS: readonly TextMutation[] = ["truncate", "bit-flip", "shuffle", "delete-key", "change-type", "insert-junk", "drop-line", "repeat-line"];
const BYTE_MUTATIONS: readonly ByteMutation[] = ["truncate", "bit-flip", "insert-junk", "append-garbage", "append-zeros"];

function mutateBytes(rand: Rand, bytes: Buffer, kind: ByteMutation): Buffer {
  if (bytes.length === 0) return bytes;
  const at = int(rand, bytes.length);
  switch (kind) {
    case "truncate":
      return bytes.subarray(0, at);
    case "bit-flip": {
      const out = Buffer.from(bytes);
      for (let i = 1 + int(rand, 4); i > 0; i--) out[int(rand, out.length)]! ^= 1 << int(rand, 8);
      return out;
    }
    case "insert-junk":
      return Buffer.concat([bytes.subarray(0, at), pick(rand, JUNK), bytes.subarray(at)]);
    case "append-garbage":
      return Buffer.concat([bytes, Buffer.from(Array.from({ length: 1 + int(rand, 64) }, () => int(rand, 256)))]);
    case "append-zeros":
      return Buffer.concat([bytes, Buffer.alloc(1 + int(rand, 1024))]);
  }
}

function mutateText(rand: Rand, text: Buffer, kind: TextMutation): Buffer {
  if (kind === "truncate" || kind === "bit-flip") return mutateBytes(rand, text, kind);
  const lines = text.toString("utf8").split("\n");
  // The last element after the final newline is "": keep it last.
  const body = lines.slice(0, -1);
  if (body.length === 0) return text;
  const i = int(rand, body.length);
  switch (kind) {
    case "shuffle":
      for (let j = body.length - 1; j > 0; j--) {
        const k = int(rand, j + 1);
        [body[j], body[k]] = [body[k]!, body[j]!];
      }
      break;
    case "delete-key":
    case "change-type":
      body[i] = mutateJson(rand, body[i]!, kind);
      break;
    case "insert-junk": {
      const line = Buffer.from(body[i]!);
      return Buffer.concat([Buffer.from(body.slice(0, i).map((l) => `${l}\n`).join("")), mutateBytes(rand, line, "insert-junk"), Buffer.from(`\n${body.slice(i + 1).map((l) => `${l}\n`).join("")}`)]);
    }
    case "drop-line":
      body.splice(i, 1);
      break;
    case "repeat-line":
      body.splice(i, 0, body[i]!);
      break;
  }
  return Buffer.from(body.map((l) => `${l}\n`).join(""));
}

// --- cases -----------------------------------------------------------------------------------------

type Container = "jsonl" | "gzip" | "gpg";
type Command = "sft" | "dpo" | "build" | "inspect";

interface FuzzCase {
  index: number;
  container: Container;
  base: string;
  command: Command;
  /** Mutated as JSONL text (gzip: inflated first, deflated after) or as the file's bytes. */
  asText: boolean;
  mutations: string[];
  args: (input: string, out: string) => string[];
  spawn: boolean;
}

const JSONL_BASES = ["llama3.1/edge-cases.jsonl", "gemma2/edge-cases.jsonl", "gemma3/edge-cases.jsonl", "split/llama3.1/synth.jsonl"];
const GZIP_BASES = ["sample/llama3.1-sample.jsonl.gz", "split/llama3.1/instructions.jsonl.gz"];
// Each encrypts test-fixtures/gpg/instructions-ja.jsonl.gz: CFB+MDC, ZIP-compressed, OCB (RFC 9580), armored.
const GPG_BASES = ["gpg/file-default.gpg", "gpg/stdin-zip.gpg", "gpg/ocb-seipdv2.gpg", "gpg/armored.asc"];
const PASSPHRASE = ["--passphrase-file", fixture("gpg/passphrase.txt")];

/** The case plan: drawn from the seed before anything runs, so every case has a stable name. */
function planOf(index: number): FuzzCase {
  const rand = mulberry32(SEED + index);
  const container = pick(rand, ["jsonl", "jsonl", "gzip", "gzip", "gpg"] as const);
  const base = pick(rand, container === "jsonl" ? JSONL_BASES : container === "gzip" ? GZIP_BASES : GPG_BASES);
  const command = pick(rand, ["sft", "dpo", "build", "inspect"] as const);
  // gzip is mutated as text (then re-compressed) or as compressed bytes; OpenPGP only as bytes.
  const asText = container === "jsonl" || (container === "gzip" && rand() < 0.6);
  const mutations = Array.from({ length: 1 + int(rand, 3) }, () => (asText ? pick(rand, TEXT_MUTATIONS) : pick(rand, BYTE_MUTATIONS)));
  const skip = rand() < 0.3 ? ["--on-invalid", "skip"] : [];
  const threads = ["--threads", rand() < 0.15 ? "2" : "1"];
  const format = ["--format", pick(rand, ["parquet", "jsonl", "arrow", "parquet,jsonl"])];
  const keys = container === "gpg" ? PASSPHRASE : [];
  const args = (input: string, out: string): string[] => {
    if (command === "inspect") return ["inspect", input, ...skip, ...keys, "--json"];
    if (command === "build") {
      // OpenPGP inputs hold instructions: joined to the synth file, as a user would give them.
      const inputs = container === "gpg" ? ["--synth", fixture("split/llama3.1/synth.jsonl"), "--instructions", input] : [input];
      return ["build", ...inputs, "-o", join(out, "ds"), ...format, ...skip, ...threads, ...keys, "--silent"];
    }
    return [command, input, "-o", join(out, "out.jsonl"), ...skip, ...threads, ...keys, "--silent"];
  };
  return { index, container, base, command, asText, mutations, args, spawn: index % 30 === 7 };
}

/** The corrupted input bytes of a case, from a generator of its own seed. */
function inputOf(c: FuzzCase): Buffer {
  const rand = mulberry32((SEED + c.index) ^ 0x5eed);
  const original = readFileSync(fixture(c.base));
  if (c.container === "jsonl") return c.mutations.reduce<Buffer>((b, m) => mutateText(rand, b, m as TextMutation), original);
  if (c.asText) return gzipSync(c.mutations.reduce<Buffer>((b, m) => mutateText(rand, b, m as TextMutation), gunzipSync(original)));
  return c.mutations.reduce<Buffer>((b, m) => mutateBytes(rand, b, m as ByteMutation), original);
}

const PLANS = Array.from({ length: CASES }, (_, i) => planOf(i));

let work: string;
const savedTmp = process.env.TMPDIR;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "lmsynth-fuzz-"));
  // The join's spool goes here too, so a spool left behind is seen.
  process.env.TMPDIR = work;
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(work, { recursive: true, force: true });
});

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;

describe(`fuzzed inputs (seed ${SEED}, ${CASES} cases)`, () => {
  it.each(PLANS.map((c) => [`#${c.index} ${c.command} ${c.container} ${c.base.split("/").pop()} ${c.asText ? "text" : "bytes"}:${c.mutations.join("+")}${c.spawn ? " (spawned)" : ""}`, c] as const))(
    "%s",
    async (_, c) => {
      const dir = mkdtempSync(join(work, `case-${c.index}-`));
      const out = join(dir, "out");
      const name = basename(c.base);
      const input = join(dir, `input${name.slice(name.indexOf("."))}`);
      writeFileSync(input, inputOf(c));
      mkdirSync(out);
      const argv = c.args(input, out);
      const r = c.spawn ? spawnCli(argv) : await runMain(argv);
      const what = `${argv.join(" ")}\n${r.stderr}`;
      expect(r.stderr, what).not.toMatch(STACK);
      expect(r.stderr, what).not.toMatch(/\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/);
      expect([0, 2], what).toContain(r.code);
      const left = readdirSync(out, { recursive: true }).map(String);
      if (r.code === 2) {
        // A data error names the input it comes from; inspect in skip mode lists bad lines on stdout instead.
        if (r.stderr !== "" || c.command !== "inspect") expect(r.stderr, what).toMatch(new RegExp(`^Error: ${input.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(:\\d+)?: [^\\n]+\\n$`));
        else expect((JSON.parse(r.stdout) as { invalid_lines: number }).invalid_lines, what).toBeGreaterThan(0);
        expect(left, what).toEqual([]);
      } else {
        if (c.command !== "inspect") expect(r.stderr, what).toBe("");
        expect(left.filter((p) => /(^|\/)\..*tmp/.test(p)), what).toEqual([]);
        if (c.command !== "inspect") expect(left.length, what).toBeGreaterThan(0);
      }
      expect(readdirSync(work).filter((f) => f.startsWith("lmsynth-join-")), what).toEqual([]);
      rmSync(dir, { recursive: true, force: true });
    },
    30_000,
  );
});
