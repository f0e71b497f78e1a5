#!/usr/bin/env node
import { InterruptedError, removeTemporaryPathsSync } from "@lmsynth/pipeline";
import { main } from "./main.js";
import { processIo } from "./io.js";

const controller = new AbortController();
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    // First signal: abort, so the run removes its temporary outputs and exits 128 + signal. A second one:
    // remove them synchronously and leave at once.
    const reason = new InterruptedError(sig);
    if (controller.signal.aborted) {
      removeTemporaryPathsSync();
      process.exit(reason.exitCode);
    }
    controller.abort(reason);
  });
}
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  // `lmsynth … | head` closing the pipe is a normal stop.
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
});
process.exitCode = await main(process.argv.slice(2), { ...processIo(), signal: controller.signal });
