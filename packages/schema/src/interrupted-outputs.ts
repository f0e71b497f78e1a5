import { readdirSync, rmSync } from "node:fs";
import { readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** True while process `pid` exists (EPERM: it does, as another user's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid in a temporary name made by a process that is gone; undefined for a live (or this) process. */
function deadPid(text: string | undefined): number | undefined {
  const pid = Number(text);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid) ? pid : undefined;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Finishes what a killed lmsynth left beside the output `path` (`kill -9` runs no clean-up). Outputs are
 * swapped in by two renames: the old one aside to `.NAME.old-PID-N`, then the new one from
 * `.NAME.tmp-PID-…` to `NAME`. A `.NAME.old-*` of a process that is gone is therefore either the only copy
 * (no `NAME`: the swap stopped between its renames, so it is put back) or a superseded one that may still
 * hold deleted rows (`NAME` is there: it is removed). Temporary siblings of gone processes are removed.
 * Names of live processes are left alone, so a run in progress is never touched.
 * @returns One line per thing done, for the user (`restored …`, `removed …`).
 */
export async function recoverInterruptedOutput(path: string): Promise<string[]> {
  const parent = dirname(path);
  const pattern = new RegExp(`^\\.${escape(basename(path))}\\.(old|tmp)-(\\d+)-`);
  const entries = await readdir(parent).catch(() => [] as string[]);
  const done: string[] = [];
  // The oldest aside copy first: with two, the first swap's old output is the one to put back.
  for (const name of entries.sort()) {
    const m = pattern.exec(name);
    if (!m || deadPid(m[2]) === undefined) continue;
    const full = join(parent, name);
    if (m[1] === "old" && !(await stat(path).catch(() => undefined))) {
      await rename(full, path);
      done.push(`restored ${path} from ${full}, left by an interrupted swap (process ${m[2]})`);
      continue;
    }
    await rm(full, { recursive: true, force: true });
    done.push(`removed ${full}, left by an interrupted run (process ${m[2]})`);
  }
  return done;
}

/** Directories swept already in this process. */
const swept = new Set<string>();

/**
 * Removes `lmsynth-<kind>-PID-…` folders of gone processes from `dir` (a spool folder, by default the
 * system's temporary one), once per process and folder: join spools and ciphertext copies that a killed run
 * left. Synchronous, as spools are opened synchronously.
 */
export function sweepAbandonedSpools(dir: string): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^lmsynth-(?:join|ciphertext)-(\d+)-/.exec(name);
    if (m && deadPid(m[1]) !== undefined) rmSync(join(dir, name), { recursive: true, force: true });
  }
}
