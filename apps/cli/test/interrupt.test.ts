import { spawn, spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BIN, fixture, REPO, runMain, tempDir } from "./run-cli.js";

// behaviour.md §9: on any failure or Ctrl-C no output is left looking complete, and temporary files go.
// These runs kill real `lmsynth` processes in the middle of their work.

const { llama, split } = (await import(pathToFileURL(fixture("generate.mjs")).href)) as {
  llama: (name: string, scores: number[]) => Record<string, unknown>;
  split: (record: Record<string, unknown>) => { lmsys: object; synth: object };
};

/** Enough records for `build` to run ~2–3 s on a 2-core machine, so the signal lands mid-run. */
const RECORDS = 30_000;
const PASSPHRASE = fixture("gpg/passphrase.txt");

let inputs: string;
let tmp: ReturnType<typeof tempDir>;
/** TMPDIR of the child: where the join spools LMSYS records. */
let spool: string;

beforeAll(() => {
  inputs = mkdtempSync(join(tmpdir(), "lmsynth-interrupt-"));
  const merged: string[] = [];
  const lmsys: string[] = [];
  const synth: string[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const record = llama(`interrupt-${i}`, [6, 8, 7, 5, 8, 3]);
    const parts = split(record);
    merged.push(JSON.stringify(record));
    lmsys.push(JSON.stringify(parts.lmsys));
    synth.push(JSON.stringify(parts.synth));
  }
  writeFileSync(join(inputs, "merged.jsonl"), `${merged.join("\n")}\n`);
  writeFileSync(join(inputs, "lmsys.jsonl"), `${lmsys.join("\n")}\n`);
  writeFileSync(join(inputs, "synth.jsonl"), `${synth.join("\n")}\n`);
}, 60_000);
afterAll(() => rmSync(inputs, { recursive: true, force: true }));
beforeEach(() => {
  tmp = tempDir();
  spool = join(tmp.dir, "spool");
  mkdirSync(spool);
});
afterEach(() => tmp.remove());

/** The output folder's entries besides the spool folder. */
const outputs = (): string[] => tmp.list().filter((f) => f !== "spool");

async function until(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** False when the run had ended before the signal was sent: the test then proves nothing. */
  runningAtSignal: boolean;
}

/**
 * Spawns `lmsynth args` from the repository root, waits until `ready()` (polled every 10 ms), sends
 * `signal`, then waits for the exit; `afterSignal` runs in between (e.g. to end a FIFO's input).
 */
async function interrupt(args: string[], signal: NodeJS.Signals, ready: () => boolean, afterSignal?: (child: { stderr: string }) => Promise<void>): Promise<Interrupted> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, TMPDIR: spool, LMSYNTH_PASSPHRASE: "" } });
  const seen = { stderr: "" };
  child.stderr.on("data", (b: Buffer) => (seen.stderr += b.toString("utf8")));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, sig) => resolve({ code, signal: sig })));
  try {
    await until(`${args[0]} to be mid-run`, () => ready() || child.exitCode !== null);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  const runningAtSignal = child.exitCode === null;
  child.kill(signal);
  await afterSignal?.(seen);
  const end = await exited;
  return { ...end, stderr: seen.stderr, runningAtSignal };
}

/** Entries of `dir` whose name starts with `prefix`. */
const entries = (dir: string, prefix: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(prefix)) : []);

const tempOf = (name: string): string[] => entries(tmp.dir, `.${name}.`);

/** 128 + the signal's number: how a scheduler tells an interruption from bad data. */
const EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

describe("SIGINT and SIGTERM remove temporary files and leave no output", () => {
  it.each(["SIGINT", "SIGTERM"] as const)("build, %s while shards are being written", async (signal) => {
    // The JSONL shard's own temporary file growing: rows are flowing (a finished shard is renamed to
    // train-00000.jsonl only when the folder closes).
    const growing = (): boolean =>
      tempOf("ds").some((t) => entries(join(tmp.dir, t, "sft"), ".train-00000.jsonl.tmp-").some((f) => statSync(join(tmp.dir, t, "sft", f)).size > 0));
    const r = await interrupt(["build", join(inputs, "merged.jsonl"), "-o", join(tmp.dir, "ds"), "--format", "parquet,jsonl", "--silent"], signal, growing);
    expect(r).toEqual({ code: EXIT[signal], signal: null, stderr: `Error: interrupted by ${signal}\n`, runningAtSignal: true });
    expect(outputs()).toEqual([]);
  });

  it("build, SIGHUP (a closed terminal) while shards are being written: exit 129, nothing left", async () => {
    const growing = (): boolean => tempOf("ds").some((t) => entries(join(tmp.dir, t, "sft"), ".train-00000.jsonl.tmp-").some((f) => statSync(join(tmp.dir, t, "sft", f)).size > 0));
    const r = await interrupt(["build", join(inputs, "merged.jsonl"), "-o", join(tmp.dir, "ds"), "--format", "parquet,jsonl", "--silent"], "SIGHUP", growing);
    expect(r).toEqual({ code: 129, signal: null, stderr: "Error: interrupted by SIGHUP\n", runningAtSignal: true });
    expect(outputs()).toEqual([]);
  });

  it("build, two Ctrl-C in a row: the second leaves at once, and still removes every temporary file and the lock", async () => {
    const growing = (): boolean => tempOf("ds").some((t) => entries(join(tmp.dir, t, "sft"), ".train-00000.jsonl.tmp-").some((f) => statSync(join(tmp.dir, t, "sft", f)).size > 0));
    const args = ["build", join(inputs, "merged.jsonl"), "-o", join(tmp.dir, "ds"), "--format", "parquet,jsonl", "--silent"];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, TMPDIR: spool } });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await until("build to be mid-run", growing);
    expect(tmp.list()).toContain(".ds.lock");
    child.kill("SIGINT");
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    // The first signal may or may not have had time to print its message before the second one ended the run.
    expect(["", "Error: interrupted by SIGINT\n"]).toContain(stderr);
    expect(outputs()).toEqual([]);
  });

  it.each([
    ["SIGINT", "while the LMSYS records are spooled", () => entries(spool, "lmsynth-join-").length > 0],
    ["SIGTERM", "while merged records are written", () => tempOf("merged.jsonl.gz").some((t) => statSync(join(tmp.dir, t)).size > 0)],
  ] as const)("merge, %s %s", async (signal, _, ready) => {
    const args = ["merge", "--synth", join(inputs, "synth.jsonl"), "--lmsys", join(inputs, "lmsys.jsonl"), "-o", join(tmp.dir, "merged.jsonl.gz"), "--silent"];
    const r = await interrupt(args, signal, ready);
    expect(r).toEqual({ code: EXIT[signal], signal: null, stderr: `Error: interrupted by ${signal}\n`, runningAtSignal: true });
    expect(outputs()).toEqual([]);
    expect(readdirSync(spool)).toEqual([]);
  });

  it("sft, SIGINT while rows are written", async () => {
    const r = await interrupt(["sft", join(inputs, "merged.jsonl"), "-o", join(tmp.dir, "sft.jsonl"), "--silent"], "SIGINT", () =>
      tempOf("sft.jsonl").some((t) => statSync(join(tmp.dir, t)).size > 0),
    );
    expect(r).toEqual({ code: 130, signal: null, stderr: "Error: interrupted by SIGINT\n", runningAtSignal: true });
    expect(outputs()).toEqual([]);
  });

  // decrypt reads a FIFO holding the first 600 bytes of a 1,016-byte .gpg file: the run is mid-file for as
  // long as the test wants. A read blocked on a FIFO cannot be cancelled, so the process exits only once
  // the FIFO's input ends; the test checks the cleanup before it ends the input.
  it.each(["SIGINT", "SIGTERM"] as const)("decrypt, %s in the middle of the encrypted data", async (signal) => {
    const fifo = join(tmp.dir, "input.gpg");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    // Opened read-write, so the open does not wait for the reader (Linux FIFO semantics).
    const fd = openSync(fifo, "r+");
    try {
      writeSync(fd, readFileSync(fixture("gpg/file-default.gpg")).subarray(0, 600));
      const r = await interrupt(
        ["decrypt", fifo, "-o", join(tmp.dir, "plain.jsonl.gz"), "--passphrase-file", PASSPHRASE, "--silent"],
        signal,
        () => tempOf("plain.jsonl.gz").length > 0,
        async (seen) => {
          await until("the interrupted message", () => seen.stderr.includes("interrupted"));
          expect(outputs()).toEqual(["input.gpg"]);
          closeSync(fd);
        },
      );
      expect(r).toEqual({ code: EXIT[signal], signal: null, stderr: `Error: interrupted by ${signal}\n`, runningAtSignal: true });
      expect(outputs()).toEqual(["input.gpg"]);
    } finally {
      try {
        closeSync(fd);
      } catch {
        // closed above
      }
    }
  });
});

/** Runs the built CLI as an unprivileged user when the tests run as root, so that permissions apply. */
function spawnUnprivileged(args: string[]): { code: number | null; stderr: string } {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath] : [process.execPath];
  const r = spawnSync(command[0]!, [...command.slice(1), BIN, ...args], { cwd: REPO, encoding: "utf8" });
  return { code: r.status, stderr: r.stderr };
}

const hasSetpriv = spawnSync("setpriv", ["--version"]).status === 0;
const canDropRoot = process.getuid?.() !== 0 || hasSetpriv;

describe("write errors exit 2, name the path and leave nothing behind", () => {
  const LLAMA = fixture("llama3.1/edge-cases.jsonl");

  it.skipIf(!existsSync("/dev/full")).each([
    ["sft", ["sft", LLAMA]],
    ["dpo", ["dpo", LLAMA]],
    ["merge", ["merge", "--synth", fixture("split/llama3.1/synth.jsonl"), "--lmsys", fixture("split/llama3.1/lmsys.jsonl")]],
  ])("%s -o /dev/full", async (_, args) => {
    const r = await runMain([...args, "-o", "/dev/full", "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, "Error: /dev/full: cannot write: ENOSPC: no space left on device, write\n"]);
    expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
  });

  // Through a symlink: were the device ever replaced by a renamed file, only the link would go.
  it.skipIf(!existsSync("/dev/full"))("decrypt -o a link to /dev/full writes in place and fails", async () => {
    const link = join(tmp.dir, "full");
    symlinkSync("/dev/full", link);
    const r = await runMain(["decrypt", fixture("gpg/file-default.gpg"), "-o", link, "--passphrase-file", PASSPHRASE, "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${link}: cannot write: ENOSPC: no space left on device, write\n`]);
    expect(statSync(link).isCharacterDevice()).toBe(true);
    expect(outputs()).toEqual(["full"]);
  });

  it.skipIf(!canDropRoot).each([
    ["build", ["build", LLAMA, "-o", "ds"], "ds", "mkdir '{ro}/.ds.tmp-"],
    ["sft", ["sft", LLAMA, "-o", "out.jsonl"], "out.jsonl", "open '{ro}/.out.jsonl.tmp-"],
  ])("%s into a read-only folder", (_, args, output, where) => {
    const ro = join(tmp.dir, "read-only");
    mkdirSync(ro);
    chmodSync(tmp.dir, 0o755);
    chmodSync(ro, 0o555);
    const r = spawnUnprivileged([...args.slice(0, -1), join(ro, args.at(-1)!), "--silent"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^Error: ${ro}/${output}: cannot write: EACCES: permission denied, ${where.replace("{ro}", ro).replaceAll(".", "\\.")}\\d+-\\d+'\\n$`));
    expect(readdirSync(ro)).toEqual([]);
  });

  it("build with -o below a regular file", async () => {
    const file = join(tmp.dir, "a-file");
    writeFileSync(file, "");
    const r = await runMain(["build", LLAMA, "-o", join(file, "ds"), "--silent"]);
    expect([r.code, r.stderr]).toEqual([2, `Error: ${file}/ds: cannot write: EEXIST: file already exists, mkdir '${file}'\n`]);
    expect(outputs()).toEqual(["a-file"]);
  });
});
