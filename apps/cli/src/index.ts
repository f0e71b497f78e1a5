/**
 * @file The `lmsynth` command line as a library: `main(argv, io)` runs a command in-process and resolves
 * to its exit code.
 */
export { main, exitCodeOf, VERSION } from "./main.js";
export { processIo } from "./io.js";

export type { CliIo } from "./io.js";
export type { CommandModule } from "./main.js";
