import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BIN, fixture, REPO, tempDir } from "./run-cli.js";

// Issue 11: every way lmsynth could exit 0 with a silently different dataset, print a secret, show
// unverified plaintext, share an output, destroy an input or run without bounds — each through the real
// process.

const SAMPLE = {
  synth: fixture("sample/llama3.1-lmsys-chat-1m-synth-ja+en.jsonl.gz"),
  instructions: fixture("sample/lmsys-chat-1m-first-turn-user-instructions-ja.jsonl.gz.gpg"),
  lmsys: fixture("sample/lmsys-chat-1m.jsonl.gz"),
  passphrase: fixture("sample/passphrase.txt"),
};
const LLAMA = fixture("llama3.1/edge-cases.jsonl");

const { llama } = (await import(pathToFileURL(fixture("generate.mjs")).href)) as {
  llama: (name: string, scores: number[]) => Record<string, unknown>;
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `lmsynth` from the repository root; `LMSYNTH_PASSPHRASE` and `HF_TOKEN` unset. */
function cli(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, LMSYNTH_PASSPHRASE: "", HF_TOKEN: "", ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");
const lines = (path: string): string[] => gunzipSync(readFileSync(path)).toString("utf8").split("\n").filter(Boolean);
const idOf = (line: string): string => (JSON.parse(line) as { conversation_id: string }).conversation_id;

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

/** The sources of the sample with `--lmsys` replaced by `lmsys`. */
const joined = (lmsys: string): string[] => ["--synth", SAMPLE.synth, "--instructions", SAMPLE.instructions, "--lmsys", lmsys, "--passphrase-file", SAMPLE.passphrase];

describe("1. a filter that cannot be applied, a source that contributes nothing", () => {
  it("--exclude-pii never emits a record whose `redacted` is unknown: pii-unknown, counted, warned", () => {
    // Two thirds of the LMSYS export: the last 100 conversations have no LMSYS record, so no `redacted`.
    const all = lines(SAMPLE.lmsys);
    const partial = join(tmp.dir, "lmsys-part.jsonl.gz");
    writeFileSync(partial, gzipSync(`${all.slice(0, 200).join("\n")}\n`));
    const known = new Set(all.slice(0, 200).map(idOf));
    const out = join(tmp.dir, "sft.jsonl");
    const r = cli(["sft", "--preset", "swallow-v0.1", ...joined(partial), "-o", out, "--json"]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { funnel: { sft: Record<string, Record<string, number>> }; warnings: string[] };
    // Independently: Japanese rows of synth records without LMSYS whose instruction is neither empty nor a
    // duplicate reach the PII filter and cannot pass it (English ones have no instruction without LMSYS).
    const expected = lines(SAMPLE.synth)
      .map((l) => JSON.parse(l) as { conversation_id: string; duplicate_user_instruction_ja: string | null; empty_user_instruction_ja: boolean })
      .filter((s) => !known.has(s.conversation_id) && s.duplicate_user_instruction_ja === null && s.empty_user_instruction_ja !== true).length;
    expect(expected).toBeGreaterThan(0);
    expect(summary.funnel.sft.ja!["pii-unknown"]).toBe(expected);
    expect(summary.funnel.sft.en!["pii-unknown"]).toBeUndefined();
    expect(summary.warnings).toEqual([
      "100 of 300 synth records (33.3%) have no LMSYS record: are all --lmsys files given?",
      `--exclude-pii: ${expected} skipped as pii-unknown: without their LMSYS record it is unknown whether they hold personal data`,
    ]);
    // On stderr too, on lines of their own, even with --json.
    expect(r.stderr).toBe(summary.warnings.map((w) => `warning: ${w}\n`).join(""));
    const written = readFileSync(out, "utf8").split("\n").filter(Boolean).map(idOf);
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((id) => !known.has(id))).toEqual([]);
  });

  it("the summary table ends with the warning lines", () => {
    const partial = join(tmp.dir, "lmsys-part.jsonl.gz");
    writeFileSync(partial, gzipSync(`${lines(SAMPLE.lmsys).slice(0, 296).join("\n")}\n`));
    const r = cli(["sft", ...joined(partial), "-o", join(tmp.dir, "sft.jsonl")]);
    expect(r.code).toBe(0);
    expect(r.stderr.split("\n").slice(-3)).toEqual([
      `wrote                                   ${join(tmp.dir, "sft.jsonl")}`,
      "warning: 4 of 300 synth records (1.3%) have no LMSYS record: are all --lmsys files given?",
      "",
    ]);
  });

  it.each([
    ["an empty --lmsys file", "lmsys.jsonl", "", "contributes no record (an empty file, or every row filtered out)"],
    ["an empty gzip --lmsys file", "lmsys.jsonl.gz", gzipSync(""), "contributes no record (an empty file, or every row filtered out)"],
    ["an --lmsys file matching no synth id", "lmsys.jsonl", `${JSON.stringify({ conversation_id: "x", redacted: false })}\n`, "--lmsys: none of its 1 conversation_ids matches a synth record"],
  ])("%s is an error naming it, and nothing is written", (_, name, content, message) => {
    const lmsys = join(tmp.dir, name);
    writeFileSync(lmsys, content);
    const r = cli(["build", "--preset", "swallow-v0.1", ...joined(lmsys), "-o", join(tmp.dir, "ds"), "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${lmsys}: ${message}\n`]);
    expect(tmp.list()).toEqual([name]);
  });

  it("one empty file among several --lmsys files is named", () => {
    const empty = join(tmp.dir, "part-2.jsonl");
    writeFileSync(empty, "");
    const r = cli(["sft", "--synth", SAMPLE.synth, "--lmsys", SAMPLE.lmsys, "--lmsys", empty, "-o", join(tmp.dir, "sft.jsonl"), "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${empty}: contributes no record (an empty file, or every row filtered out)\n`]);
  });

  it("--lmsys takes every file up to the next flag, as a shell glob gives them (and matching none is an error)", () => {
    const shards = ["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"].map((f) => fixture(`lmsys-parquet/${f}`));
    const r = cli(["merge", "--synth", fixture("split/llama3.1/synth.jsonl"), "--lmsys", ...shards, "-o", join(tmp.dir, "m.jsonl"), "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${shards.join(", ")}: --lmsys: none of its 7 conversation_ids matches a synth record\n`]);
  });

  it("a 0-byte .gpg is not an OpenPGP message", () => {
    const gpg = join(tmp.dir, "instructions.jsonl.gz.gpg");
    writeFileSync(gpg, "");
    const r = cli(["build", "--synth", SAMPLE.synth, "--instructions", gpg, "--lmsys", SAMPLE.lmsys, "--passphrase-file", SAMPLE.passphrase, "-o", join(tmp.dir, "ds"), "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${gpg}: not an OpenPGP message (the file is empty), though its name says so\n`]);
    expect(tmp.list()).toEqual(["instructions.jsonl.gz.gpg"]);
  });
});

describe("2. no secret on stderr", () => {
  it("a token file with a second line is a usage error that does not echo it", () => {
    const token = join(tmp.dir, "t");
    writeFileSync(token, "hf_Xsecret\nx\n");
    const r = cli(["publish", fixture("llama3.1"), "--repo", "a/b", "--hub-url", "http://127.0.0.1:9", "--token-file", token]);
    expect([r.code, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toBe(
      "Error: the Hub token holds white space or more than one line (it is not shown): a token is one line starting with hf_\nRun 'lmsynth publish --help' for usage.\n",
    );
  });

  it("a refused connection is one line naming its cause, never the token", async () => {
    const ds = join(tmp.dir, "ds");
    expect(cli(["build", LLAMA, "-o", ds, "--silent"]).code).toBe(0);
    // A port that was just free: nothing listens there.
    const { createServer } = await import("node:net");
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const r = cli(["publish", ds, "--repo", "a/b", "--hub-url", `http://127.0.0.1:${port}`, "--silent"], { HF_TOKEN: "hf_Xsecret" });
    expect([r.code, r.stdout, r.stderr]).toEqual([2, "", `Error: cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`]);
  });

  it("the Hub echoing the Authorization header back is redacted", async () => {
    const ds = join(tmp.dir, "ds");
    expect(cli(["build", LLAMA, "-o", ds, "--silent"]).code).toBe(0);
    // A server that answers every request with an error quoting the request's headers.
    const { createServer } = await import("node:http");
    const server = createServer((req, res) => {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: `bad request, headers: authorization: ${req.headers.authorization}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, [BIN, "publish", ds, "--repo", "a/b", "--hub-url", `http://127.0.0.1:${port}`, "--silent"], {
        cwd: REPO,
        env: { ...process.env, HF_TOKEN: "hf_Xsecret" },
      });
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(code).toBe(2);
      expect(stderr).not.toContain("Xsecret");
      expect(stderr).toMatch(/^Error: http:\/\/127\.0\.0\.1:\d+: .*authorization: Bearer \[redacted\].*\n$/);
      expect(stderr.split("\n")).toHaveLength(2);
    } finally {
      server.close();
    }
  });
});

describe("3. no unverified plaintext reaches an output", () => {
  it("a .gpg modified near its end gives stdout nothing, then the integrity error", () => {
    // About 6 MB of synth records, so that a streaming decryption would have written megabytes.
    const plain = join(tmp.dir, "synth.jsonl");
    const records = Array.from({ length: 3000 }, (_, i) => JSON.stringify(llama(`unverified-${i}`, [6, 8, 7, 5, 8, 3])));
    writeFileSync(plain, `${records.join("\n")}\n`);
    const gpg = join(tmp.dir, "synth.jsonl.gpg");
    mkdirSync(join(tmp.dir, "gnupg"), { mode: 0o700 });
    const made = spawnSync("gpg", ["--batch", "--yes", "--quiet", "--pinentry-mode", "loopback", "--passphrase-file", fixture("gpg/passphrase.txt"), "--symmetric", "--compress-algo", "none", "-o", gpg, plain], {
      env: { ...process.env, GNUPGHOME: join(tmp.dir, "gnupg") },
    });
    expect(made.status).toBe(0);
    const bytes = readFileSync(gpg);
    bytes[bytes.length - 40]! ^= 0x01;
    writeFileSync(gpg, bytes);
    for (const args of [
      ["merge", "--synth", gpg, "-o", "-"],
      ["sft", gpg, "-o", "-"],
    ]) {
      const r = cli([...args, "--passphrase-file", fixture("gpg/passphrase.txt"), "--silent"]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(new RegExp(`^Error: ${gpg.replaceAll(".", "\\.")}: integrity check failed: the file was modified`));
    }
  });

  it("decrypt to a device verifies the whole file before the first byte", () => {
    const bytes = readFileSync(fixture("gpg/flipped.gpg"));
    const r = cli(["decrypt", fixture("gpg/flipped.gpg"), "-o", "/dev/stdout", "--passphrase-file", fixture("gpg/passphrase.txt"), "--silent"]);
    expect(bytes.length).toBeGreaterThan(0);
    expect([r.code, r.stdout]).toEqual([2, ""]);
    expect(r.stderr).toMatch(/integrity check failed/);
  });
});

describe("4. one writer per output", () => {
  it("a live lock fails at once with exit 1, naming its pid; the folder is untouched", () => {
    const ds = join(tmp.dir, "ds");
    const sleeper = spawn("sleep", ["30"]);
    try {
      writeFileSync(join(tmp.dir, ".ds.lock"), `${sleeper.pid}\n`);
      const r = cli(["build", LLAMA, "-o", ds, "--resume", "--silent"]);
      expect([r.code, r.stderr]).toEqual([
        1,
        `Error: ${ds} is being written by another lmsynth run (pid ${sleeper.pid}; lock ${join(tmp.dir, ".ds.lock")})\nRun 'lmsynth build --help' for usage.\n`,
      ]);
      expect(tmp.list()).toEqual([".ds.lock"]);
    } finally {
      sleeper.kill();
    }
  });

  it("a stale lock (its process is gone) is taken over and removed at the end", () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(join(tmp.dir, ".sft.jsonl.lock"), `${dead.stdout}\n`);
    const r = cli(["sft", LLAMA, "-o", join(tmp.dir, "sft.jsonl"), "--silent"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(tmp.list()).toEqual(["sft.jsonl"]);
  });

  it("two builds started on the same folder: the second fails at once, the first completes", async () => {
    const input = join(tmp.dir, "in.jsonl");
    writeFileSync(input, `${Array.from({ length: 20_000 }, (_, i) => JSON.stringify(llama(`writers-${i}`, [6, 8, 7, 5, 8, 3]))).join("\n")}\n`);
    const ds = join(tmp.dir, "ds");
    const first = spawn(process.execPath, [BIN, "build", input, "-o", ds, "--resume", "--silent"], { cwd: REPO });
    const firstDone = new Promise<number | null>((resolve) => first.on("close", resolve));
    const lock = join(tmp.dir, ".ds.lock");
    const end = Date.now() + 20_000;
    while (!existsSync(lock) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    const second = cli(["build", input, "-o", ds, "--resume", "--silent"]);
    expect([second.code, second.stderr.split("\n")[0]]).toEqual([1, `Error: ${ds} is being written by another lmsynth run (pid ${first.pid}; lock ${lock})`]);
    expect(await firstDone).toBe(0);
    expect(readdirSync(tmp.dir).sort()).toEqual(["ds", "in.jsonl"]);
    const manifest = JSON.parse(readFileSync(join(ds, "manifest.json"), "utf8")) as { files: Array<{ path: string; sha256: string }> };
    for (const f of manifest.files) expect(sha256(join(ds, f.path))).toBe(f.sha256);
  }, 60_000);
});

describe("5. an output never replaces an input", () => {
  const copyOf = (name: string, from: string): string => {
    const path = join(tmp.dir, name);
    writeFileSync(path, readFileSync(from));
    return path;
  };

  it.each([
    ["sft -o the input", (a: string) => ["sft", a, "-o", a], "-o {a} is the input {a}"],
    ["dpo --rejected the input", (a: string) => ["dpo", a, "-o", join(tmp.dir, "dpo.jsonl"), "--rejected", a], "--rejected {a} is the input {a}"],
    ["merge --synth s -o s", (a: string) => ["merge", "--synth", a, "-o", a], "-o {a} is the input {a}"],
  ])("%s", (_, argv, message) => {
    const a = copyOf("a.jsonl", LLAMA);
    const before = sha256(a);
    const r = cli([...argv(a), "--silent"]);
    expect([r.code, r.stderr.split("\n")[0]]).toEqual([1, `Error: ${message.replaceAll("{a}", a)}: writing it would destroy the input`]);
    expect(sha256(a)).toBe(before);
    expect(tmp.list()).toEqual(["a.jsonl"]);
  });

  it("decrypt x.gpg -o x.gpg, and through a symlink", () => {
    const x = copyOf("x.gpg", fixture("gpg/file-default.gpg"));
    symlinkSync(x, join(tmp.dir, "link.gpg"));
    const before = sha256(x);
    for (const out of [x, join(tmp.dir, "link.gpg")]) {
      const r = cli(["decrypt", x, "-o", out, "--passphrase-file", fixture("gpg/passphrase.txt"), "--silent"]);
      expect([r.code, r.stderr.split("\n")[0]]).toEqual([1, `Error: -o ${out} is the input ${x}: writing it would destroy the input`]);
    }
    expect(sha256(x)).toBe(before);
  });

  it("build -o a folder holding the input, --overwrite or not", () => {
    const data = join(tmp.dir, "data");
    mkdirSync(data);
    const input = join(data, "in.jsonl");
    writeFileSync(input, readFileSync(LLAMA));
    const r = cli(["build", input, "-o", data, "--overwrite", "--silent"]);
    expect([r.code, r.stderr.split("\n")[0]]).toEqual([1, `Error: -o ${data} contains the input ${input}: writing it would destroy the input`]);
    expect(readdirSync(data)).toEqual(["in.jsonl"]);
  });
});

describe("7. bounded resources", () => {
  it("--threads above 4 per core is refused", () => {
    const r = cli(["sft", LLAMA, "-o", "-", "--threads", "1000"]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(/^Error: --threads takes at most \d+ \(4 per core on this machine\), got 1000$/);
  });

  it.each([
    ["inspect (one thread)", ["inspect", "/dev/zero"]],
    ["sft (worker threads)", ["sft", "/dev/zero", "-o", "-", "--threads", "2"]],
  ])("%s on /dev/zero stops at the line cap, naming file and line", (_, argv) => {
    const r = cli([...argv, "--max-line-bytes", String(4 << 20), "--silent"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, "", "Error: /dev/zero:1: line longer than 4194304 bytes (raise the cap with --max-line-bytes)\n"]);
  });

  it("the cap names the line it stopped at", () => {
    const input = join(tmp.dir, "long.jsonl");
    writeFileSync(input, `${readFileSync(LLAMA, "utf8").split("\n")[0]}\n{"conversation_id":"${"x".repeat(3 << 20)}"}\n`);
    const r = cli(["sft", input, "-o", "-", "--max-line-bytes", String(2 << 20), "--threads", "1", "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${input}:2: line longer than 2097152 bytes (raise the cap with --max-line-bytes)\n`]);
  });
});

describe("8. publish reads no file outside the folder", () => {
  it.each([
    ["a ../ path", "../outside.txt"],
    ["an absolute path", "/etc/hostname"],
    ["a symlink out of the folder", "link.txt"],
  ])("%s in manifest.json is refused before anything is sent", (_, path) => {
    const ds = join(tmp.dir, "ds");
    expect(cli(["build", LLAMA, "-o", ds, "--silent"]).code).toBe(0);
    const outside = join(tmp.dir, "outside.txt");
    writeFileSync(outside, "not yours\n");
    symlinkSync(outside, join(ds, "link.txt"));
    const manifestPath = join(ds, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { files: Array<Record<string, unknown>> };
    manifest.files.push({ path, rows: 0, bytes: 10, sha256: sha256(outside) });
    writeFileSync(manifestPath, JSON.stringify(manifest));
    if (path !== "link.txt") rmSync(join(ds, "link.txt"));
    const r = cli(["publish", ds, "--repo", "a/b", "--dry-run", "--silent"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, "", `Error: ${ds}: files do not match manifest.json: ${path}: outside\n`]);
  });
});

describe("9. option values are parsed with their sign and checked against their range", () => {
  it.each([
    ["dpo", "--min-margin", "-5", "--min-margin takes a number ≥ 0 and ≤ 10, got -5"],
    ["sft", "--threads", "-3", "--threads takes a whole number ≥ 1, got -3"],
    ["sft", "--min-score", "11", "--min-score takes a number ≥ 0 and ≤ 10, got 11"],
    ["sft", "--k", "1.5", "--k takes a whole number ≥ 1, got 1.5"],
    ["build", "--max-shard-bytes", "0", "--max-shard-bytes takes a whole number ≥ 1024, got 0"],
    ["build", "--test-size", "1", "--test-size takes a number ≥ 0 and < 1, got 1"],
  ])("%s %s %s", (command, flag, value, message) => {
    const out = command === "build" ? join(tmp.dir, "ds") : join(tmp.dir, "out.jsonl");
    const r = cli([command, LLAMA, "-o", out, flag, value]);
    expect([r.code, r.stderr]).toEqual([1, `Error: ${message}\nRun 'lmsynth ${command} --help' for usage.\n`]);
    expect(tmp.list()).toEqual([]);
  });

  it("a value in range is taken, after a space or after =", () => {
    const r = cli(["dpo", LLAMA, "-o", join(tmp.dir, "dpo.jsonl"), "--min-chosen-score=0", "--min-margin", "0", "--silent"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
  });
});

describe("10. values the data contract forbids", () => {
  const withScore = (score: number): string => {
    const record = JSON.parse(readFileSync(LLAMA, "utf8").split("\n")[0]!) as { synthesized_response_scoring_annotations: Array<{ preference_score: number }> };
    record.synthesized_response_scoring_annotations[1]!.preference_score = score;
    const path = join(tmp.dir, "scores.jsonl");
    writeFileSync(path, `${readFileSync(LLAMA, "utf8").split("\n")[1]}\n${JSON.stringify(record)}\n`);
    return path;
  };

  it("a score of 1000 is an invalid record at file:line", () => {
    const input = withScore(1000);
    const r = cli(["dpo", input, "-o", join(tmp.dir, "dpo.jsonl"), "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${input}:2: \`synthesized_response_scoring_annotations[1].preference_score\`: expected a score in [0, 10] or -1, got 1000\n`]);
    expect(tmp.list()).toEqual(["scores.jsonl"]);
  });

  it("with --on-invalid skip it is set aside and counted", () => {
    const input = withScore(-2);
    const out = join(tmp.dir, "dpo.jsonl");
    const r = cli(["dpo", input, "-o", out, "--on-invalid", "skip", "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { rejected: number }).rejected).toBe(1);
    const rejected = JSON.parse(readFileSync(`${out}.rejected.jsonl`, "utf8")) as Record<string, unknown>;
    expect([rejected.line, rejected.reason, rejected.detail]).toEqual([2, "invalid-record", "`synthesized_response_scoring_annotations[1].preference_score`: expected a score in [0, 10] or -1, got -2"]);
  });

  it("a conversation_id repeated in a synth input is duplicate-id, naming both lines", () => {
    const synth = join(tmp.dir, "synth.jsonl");
    const first = readFileSync(fixture("split/llama3.1/synth.jsonl"), "utf8").split("\n").filter(Boolean);
    writeFileSync(synth, `${[...first, first[1]].join("\n")}\n`);
    const r = cli(["merge", "--synth", synth, "-o", join(tmp.dir, "merged.jsonl"), "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${synth}:${first.length + 1}: conversation_id ${idOf(first[1]!)} appears twice: first at line 2\n`]);
    expect(tmp.list()).toEqual(["synth.jsonl"]);
  });
});

describe("11. every I/O error names its path", () => {
  const canMount = process.getuid?.() === 0 && spawnSync("mount", ["--version"]).status === 0;
  /** Builds the sample with `flags` into a tmpfs of `size`, and checks the error and that nothing is left. */
  const diskFull = (size: string, flags: string[], failing: string) => {
    const mnt = join(tmp.dir, `small-${size}`);
    mkdirSync(mnt);
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", mnt]).status).toBe(0);
    try {
      const ds = join(mnt, "ds");
      const r = cli(["build", fixture("sample/llama3.1-sample.jsonl.gz"), ...flags, "-o", ds, "--silent"]);
      expect([r.code, r.stderr]).toEqual([2, `Error: ${ds}/${failing}: cannot write: ENOSPC: no space left on device, write\n`]);
      expect(readdirSync(mnt)).toEqual([]);
    } finally {
      spawnSync("umount", [mnt]);
    }
  };

  // A 16 KiB tmpfs takes the folder's first files but not report.html (about 60 KB), a whole-file write.
  it.skipIf(!canMount && process.env.CI !== "true")("disk full while a build writes its report", () => diskFull("16k", [], "report.html"));

  // 64 KiB: room for report.html (written first, about 42 KB), not for the shards (about 190 KB each).
  it.skipIf(!canMount && process.env.CI !== "true")("disk full while a build writes a shard: the error names the shard in the output folder, not its temporary sibling", () =>
    diskFull("64k", ["--format", "jsonl", "--lang", "both"], "sft/train-00000.jsonl"),
  );
});

// Issue 24's "weak" cases: right outcome, now with a message that says what is wrong.
describe("12. messages that name what is wrong", () => {
  const first = (): string => readFileSync(LLAMA, "utf8").split("\n")[0]!;
  const withLine = (name: string, line: string): string => {
    const path = join(tmp.dir, name);
    writeFileSync(path, `${first()}\n${line}\n`);
    return path;
  };

  it.each([
    ["a byte order mark mid-file", `\ufeff${readFileSync(LLAMA, "utf8").split("\n")[1]}`, "malformed JSON: a byte order mark (U+FEFF) at character 1, before the record (only a file's first line may start with one)"],
    ["a form-feed-only line", "\f", "malformed JSON: a form feed (U+000C) at character 1, before the record"],
    ["a no-break-space-only line", "\u00a0", "malformed JSON: a no-break space (U+00A0) at character 1, before the record"],
  ])("%s: exit 2 naming the character and where it is", (_, line, detail) => {
    const input = withLine("odd.jsonl", line);
    const r = cli(["sft", input, "-o", join(tmp.dir, "out.jsonl"), "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${input}:2: ${detail}\n`]);
  });

  it("half a surrogate pair is refused in every format alike, or set aside and counted", () => {
    const record = JSON.parse(first()) as { synthesized_assistant_responses: Array<{ content: string }> };
    const text = JSON.stringify(record).replace(JSON.stringify(record.synthesized_assistant_responses[0]!.content), '"X\\ud800Y"');
    const input = withLine("surrogate.jsonl", text.replace(/"conversation_id":"[^"]+"/, '"conversation_id":"ffffffffffffffffffffffffffffffff"'));
    const detail = "`synthesized_assistant_responses[0].content` holds half of a UTF-16 surrogate pair (a lone \\uD800–\\uDFFF escape): not Unicode text";
    for (const args of [["sft", input, "-o", join(tmp.dir, "out.jsonl")], ["build", input, "-o", join(tmp.dir, "ds")]]) {
      const r = cli([...args, "--silent"]);
      expect([r.code, r.stderr]).toEqual([2, `Error: ${input}:2: ${detail}\n`]);
    }
    const r = cli(["build", input, "-o", join(tmp.dir, "ds"), "--format", "parquet,jsonl", "--on-invalid", "skip", "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { rejected: number }).rejected).toBe(1);
  });

  it("an empty conversation_id is an invalid record, as a missing one is", () => {
    const input = withLine("empty-id.jsonl", first().replace(/"conversation_id":"[^"]+"/, '"conversation_id":""'));
    const r = cli(["sft", input, "-o", join(tmp.dir, "out.jsonl"), "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${input}:2: \`conversation_id\`: is empty: every record names its conversation\n`]);
  });

  it.each([
    [["--seed", ""], "--seed takes a value, got an empty string"],
    [["--shard", "-1/2"], '--shard takes i/N with 0 ≤ i < N, or auto, got "-1/2"'],
    [["--sft-format", "messages", "--sft-format", "sharegpt"], '--sft-format is given twice ("messages", then "sharegpt"): give it once; where it takes a list, separate the values with commas'],
    [["--kto-desirable", "2", "--kto-undesirable", "1"], "--kto-desirable, --kto-undesirable shape KTO rows: give --kto too"],
  ])("build %j: a usage error, nothing written", (flags, message) => {
    const r = cli(["build", LLAMA, "-o", join(tmp.dir, "ds"), ...flags]);
    expect([r.code, r.stderr]).toEqual([1, `Error: ${message}\nRun 'lmsynth build --help' for usage.\n`]);
    expect(tmp.list()).toEqual([]);
  });

  it("join spools and ciphertext copies that a killed run left go when the next join starts; a live run's stay", () => {
    const spools = join(tmp.dir, "tmp");
    mkdirSync(spools);
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const live = `lmsynth-join-${process.pid}-live01`;
    for (const name of [`lmsynth-join-${dead}-abc123`, `lmsynth-ciphertext-${dead}-def456`, live]) mkdirSync(join(spools, name));
    const r = cli(["sft", ...joined(SAMPLE.lmsys), "-o", join(tmp.dir, "out.jsonl"), "--silent"], { TMPDIR: spools });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(readdirSync(spools)).toEqual([live]);
  });

  it("a signed, not encrypted, OpenPGP file is named for what it is", () => {
    const home = join(tmp.dir, "gnupg");
    mkdirSync(home, { mode: 0o700 });
    const gpg = (args: string[], input?: string) => spawnSync("gpg", ["--homedir", home, "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", ...args], { input, encoding: "utf8" });
    expect(gpg(["--quick-gen-key", "lmsynth test <test@example.invalid>", "ed25519", "sign", "never"]).status).toBe(0);
    const plain = join(tmp.dir, "instructions.jsonl");
    writeFileSync(plain, `${first()}\n`);
    const cases = [
      ["clearsigned.jsonl.gpg", ["--clearsign", "-o"], "a clearsigned OpenPGP text, signed but not encrypted (gpg --verify checks it; its text is readable as it is)"],
      ["signed.jsonl.gpg", ["--sign", "-o"], "a signed or only compressed OpenPGP message, not an encrypted one (gpg --decrypt unwraps it; lmsynth decrypts passphrase-encrypted files)"],
      ["detached.jsonl.gpg", ["--armor", "--detach-sign", "-o"], "a detached OpenPGP signature, not an encrypted message (gpg --verify checks the file it signs)"],
    ] as const;
    for (const [name, args, message] of cases) {
      const signed = join(tmp.dir, name);
      expect(gpg([...args, signed, plain]).status).toBe(0);
      const r = cli(["merge", "--instructions", signed, "--synth", LLAMA, "-o", join(tmp.dir, "merged.jsonl"), "--passphrase-file", SAMPLE.passphrase, "--silent"]);
      expect([r.code, r.stderr]).toEqual([2, `Error: ${signed}: ${message}\n`]);
    }
  });
});
