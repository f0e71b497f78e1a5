import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { fileURLToPath } from "node:url";
// The built CLI, as the spawned runs use it: commands hand a converter module to reader worker threads by
// URL, and a worker can only load the compiled .js next to it, not src/*.ts. Build before testing.
import { main } from "../dist/main.js";

/** The repository root: spawned runs start there, so fixture paths read as `test-fixtures/…`. */
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const BIN = join(REPO, "apps/cli/dist/bin.js");

/** Absolute path of a file under test-fixtures/. */
export const fixture = (path: string): string => join(REPO, "test-fixtures", path);

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for exact comparisons. */
  stdoutBytes: Buffer;
}

/** Runs `main(argv, io)` in-process, stdout/stderr captured by PassThrough streams; `stdin` is fed as one chunk. */
export async function runMain(argv: string[], stdin?: Buffer | string, env: Record<string, string> = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = buffer(stdout);
  const err = buffer(stderr);
  const code = await main(argv, {
    stdout,
    stderr,
    stdin: Readable.from(stdin === undefined ? [] : [Buffer.from(stdin)]),
    env,
  });
  stdout.end();
  stderr.end();
  const stdoutBytes = await out;
  return { code, stdout: stdoutBytes.toString("utf8"), stderr: (await err).toString("utf8"), stdoutBytes };
}

/** Runs the built `lmsynth` binary from the repository root. */
export function spawnCli(args: string[], input?: Buffer): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, input, encoding: "utf8", env: { ...process.env, LMSYNTH_PASSPHRASE: "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary folder, and a function listing what it holds (dot files included). */
export function tempDir(): { dir: string; list: () => string[]; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "lmsynth-cli-test-"));
  return { dir, list: () => readdirSync(dir).sort(), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The summary table of stderr with runs of spaces squeezed and the timing replaced by `S`. */
export function squeezeTable(text: string): string {
  return text.replace(/ {2,}/g, " ").replace(/^seconds [\d.]+$/m, "seconds S");
}
