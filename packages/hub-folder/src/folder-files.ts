import { copyFile, link, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { OptionError } from "@lmsynth/schema";

/** Hard-links `from` to `to` (data files are never rewritten in place, so sharing them is safe), copying
 * when the file system cannot link (another device, no link support). */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

let sequence = 0;

/**
 * Moves the finished folder `temp` to `dir` by rename. An existing `dir` is first renamed aside, then
 * removed once `temp` is in place (and put back if that rename fails), so `dir` is always either the old
 * folder or the new one.
 * @throws OptionError when `dir` exists and `overwrite` is off.
 */
export async function commitFolder(temp: string, dir: string, overwrite: boolean): Promise<void> {
  if (!(await stat(dir).catch(() => undefined))) {
    await rename(temp, dir);
    return;
  }
  if (!overwrite) throw new OptionError(`output folder already exists: ${dir}`);
  const old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}-${sequence++}`);
  await rename(dir, old);
  try {
    await rename(temp, dir);
  } catch (error) {
    await rename(old, dir).catch(() => {});
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}
