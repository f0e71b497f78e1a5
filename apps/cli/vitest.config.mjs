// Every CLI test runs real lmsynth processes (builds, signals, the README's commands) on a 2-core machine:
// the default 5 s per test is a race with the machine's load, not a check.
import { defineConfig } from "vitest/config";

export default defineConfig({ test: { testTimeout: 30_000, hookTimeout: 60_000 } });
