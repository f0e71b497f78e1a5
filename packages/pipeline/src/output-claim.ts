import { open, readFile, realpath, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { OptionError, isAlive, recoverInterruptedOutput, trackTemporaryPath } from "@lmsynth/schema";

/** An output path as the command line named it (`-o`, `--rejected`); `-` and undefined are ignored. */
export interface NamedPath {
  flag: string;
  path: string | undefined;
}

/** A lock younger than this without a pid in it is being written by its owner, not abandoned. */
const FRESH_LOCK_MS = 5_000;

/** The real path of `path`, or of its parent folder joined with its name when it does not exist yet. */
async function realOf(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = await realpath(dirname(absolute)).catch(() => dirname(absolute));
    return join(parent, basename(absolute));
  }
}

/**
 * Takes `.<name>.lock` beside `output` (created exclusively, holding this pid). A lock whose process is
 * gone is taken over; a live one is a OptionError naming its pid. Returns the release function.
 */
async function lockOutput(output: string): Promise<() => Promise<void>> {
  const absolute = resolve(output);
  const lock = join(dirname(absolute), `.${basename(absolute)}.lock`);
  for (;;) {
    try {
      const handle = await open(lock, "wx");
      const untrack = trackTemporaryPath(lock);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return async () => {
        await rm(lock, { force: true });
        untrack();
      };
    } catch (e) {
      // A folder where no lock can be made (missing, read-only, a file) cannot take the output either:
      // the command's own write reports that, naming the output rather than its lock.
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") return async () => {};
    }
    const text = await readFile(lock, "utf8").catch(() => undefined);
    const pid = Number.parseInt(text ?? "", 10);
    const held = Number.isInteger(pid) && pid > 0 ? isAlive(pid) : Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? 0) < FRESH_LOCK_MS;
    if (held) {
      throw new OptionError(`${output} is being written by another lmsynth run (pid ${Number.isInteger(pid) ? pid : "unknown"}; lock ${lock})`);
    }
    // Stale: its process is gone. Remove it and race for it again, exclusively.
    await rm(lock, { force: true });
  }
}

/**
 * Claims the outputs of a run before anything is opened for writing (behaviour.md §9): an output that is,
 * or contains, one of `inputs` (compared by real path) is an OptionError, and each output gets a lock so
 * that a second run on the same path fails at once; then what a killed run left beside it is restored or
 * removed (`recoverInterruptedOutput`), each step a note. Devices and FIFOs (`/dev/null`) are neither
 * compared nor locked. Returns the function that releases the locks; call it when the run ends, however it ends.
 */
export async function claimOutputs(outputs: readonly NamedPath[], inputs: ReadonlyArray<string | undefined>): Promise<{ release: () => Promise<void>; notes: string[] }> {
  const files = outputs.filter((o): o is { flag: string; path: string } => o.path !== undefined && o.path !== "-");
  const claimed: Array<{ flag: string; path: string; real: string }> = [];
  for (const o of files) {
    const existing = await stat(o.path).catch(() => undefined);
    if (existing && !existing.isFile() && !existing.isDirectory()) continue;
    claimed.push({ ...o, real: await realOf(o.path) });
  }
  for (const input of inputs) {
    if (input === undefined || input === "-") continue;
    const real = await realpath(input).catch(() => undefined);
    if (real === undefined) continue; // a missing input is reported by the reader
    for (const o of claimed) {
      if (real === o.real) throw new OptionError(`${o.flag} ${o.path} is the input ${input}: writing it would destroy the input`);
      if (real.startsWith(o.real + sep)) throw new OptionError(`${o.flag} ${o.path} contains the input ${input}: writing it would destroy the input`);
    }
  }
  const releases: Array<() => Promise<void>> = [];
  const release = async (): Promise<void> => {
    await Promise.all(releases.map((r) => r()));
  };
  const notes: string[] = [];
  try {
    for (const o of claimed) {
      releases.push(await lockOutput(o.path));
      // Under the lock no other lmsynth run is writing it: what is left beside it was left by a killed one.
      notes.push(...(await recoverInterruptedOutput(resolve(o.path))));
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { release, notes };
}

/** Runs `body` (a generator of events, or a promise) with `outputs` claimed against `inputs` (see
 * {@link claimOutputs}), its notes first; the locks go when it ends. */
export async function* withClaimedOutputs<E, R>(
  outputs: readonly NamedPath[],
  inputs: ReadonlyArray<string | undefined>,
  body: () => AsyncGenerator<E, R> | Promise<R>,
): AsyncGenerator<E | { event: "note"; message: string }, R> {
  const { release, notes } = await claimOutputs(outputs, inputs);
  try {
    for (const message of notes) yield { event: "note", message };
    const run = body();
    return run instanceof Promise ? await run : yield* run;
  } finally {
    await release();
  }
}
