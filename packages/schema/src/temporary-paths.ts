import { rmSync } from "node:fs";

/**
 * Every temporary file or folder lmsynth has open, so that a second Ctrl-C, which cannot wait for the
 * asynchronous clean-up of the first, still removes them before the process exits. With
 * `interrupted-outputs.ts`, the only I/O in this package: process-wide state every writing package shares.
 */
const paths = new Set<string>();

/** Registers `path` as temporary until the returned function is called (after a rename or removal). */
export function trackTemporaryPath(path: string): () => void {
  paths.add(path);
  return () => void paths.delete(path);
}

/** Removes every registered temporary path at once; errors are ignored (the process is leaving). */
export function removeTemporaryPathsSync(): void {
  for (const path of paths) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // best effort: a path that cannot be removed is named in the README's table of temporary names
    }
  }
  paths.clear();
}
