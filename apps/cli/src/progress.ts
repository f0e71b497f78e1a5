import type { CliIo } from "./io.js";

/** Live progress on stderr: only on a TTY and without `--quiet` (behaviour.md §8). */
export interface Progress {
  /** Call per record; redraws at most every 250 ms. */
  tick(records: number): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { tick() {}, stop() {} };

function fmtRate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}

/** Records/s, MB/s and an ETA from the input bytes read so far against `totalBytes`. */
export function startProgress(io: CliIo, quiet: boolean, read: { bytesRead: number }, totalBytes: number | undefined): Progress {
  if (quiet || !io.stderr.isTTY) return NO_PROGRESS;
  const start = performance.now();
  let next = start + 250;
  let drawn = false;
  return {
    tick(records) {
      const now = performance.now();
      if (now < next) return;
      next = now + 250;
      const s = (now - start) / 1000;
      const mbs = read.bytesRead / 1e6 / s;
      let eta = "";
      if (totalBytes && read.bytesRead > 0) {
        const left = ((totalBytes - read.bytesRead) / read.bytesRead) * s;
        eta = `  ${((100 * read.bytesRead) / totalBytes).toFixed(0)}%  ETA ${Math.max(0, left).toFixed(0)}s`;
      }
      io.stderr.write(`\r${fmtRate(records)} records  ${fmtRate(records / s)}/s  ${mbs.toFixed(1)} MB/s${eta}   `);
      drawn = true;
    },
    stop() {
      if (drawn) io.stderr.write("\r\x1b[K");
    },
  };
}
