#!/usr/bin/env node
// Committed, unlike dist/: `npm ci` links `lmsynth` into node_modules/.bin before anything is built, so
// `npx lmsynth` works in the repository as soon as `npm run build` (or `npm start`) has run.
try {
  await import("../dist/bin.js");
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("dist/bin.js")) throw error;
  process.stderr.write("lmsynth is not built yet: run `npm run build` (or `npm start`) in the repository first\n");
  process.exitCode = 1;
}
