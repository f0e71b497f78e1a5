// `npm run coverage`: every package's tests in one vitest run, with V8 coverage of the sources (the built
// code that the CLI's tests and worker-less paths run is mapped back to src/ through its source maps).
// Code run in child processes and worker threads is not measured.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    coverage: {
      provider: "v8",
      allowExternal: true,
      include: ["packages/*/src/**/*.ts", "apps/*/src/**/*.ts", "packages/*/dist/**/*.js", "apps/*/dist/**/*.js"],
      reporter: ["text-summary", "json-summary"],
      reportsDirectory: "coverage",
    },
  },
});
