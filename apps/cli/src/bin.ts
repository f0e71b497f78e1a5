#!/usr/bin/env node
import { main } from "./main.js";
import { processIo } from "./io.js";

const controller = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    // First signal: abort, so temporary outputs are removed. A second one: leave at once.
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error(`interrupted by ${sig}`));
  });
}
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  // `lmsynth … | head` closing the pipe is a normal stop.
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
});
process.exitCode = await main(process.argv.slice(2), { ...processIo(), signal: controller.signal });
