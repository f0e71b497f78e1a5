import { describe, expect, it } from "vitest";
import { runMain } from "./run-cli.js";

const COMMANDS = ["build", "sft", "dpo", "kto", "render", "merge", "decrypt", "inspect", "report", "publish", "merge-manifests", "delete-ids"];

describe("--help", () => {
  it.each(COMMANDS)("%s --help cites only what ships with the repository", async (command) => {
    const r = await runMain([command, "--help"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.startsWith(`Usage: lmsynth ${command}`)).toBe(true);
    // The spec files live outside the repository: a user cannot open them.
    expect(r.stdout).not.toMatch(/\b(behaviou?r|input-format|architecture|style)\.md\b/);
  });
});
