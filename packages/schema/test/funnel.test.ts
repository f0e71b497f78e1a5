import { describe, expect, it } from "vitest";
import { FUNNEL_NOTES, SKIP_REASONS, orderedFunnel } from "../src/index.js";

describe("the funnel table", () => {
  it("tells skips from notes", () => {
    expect(FUNNEL_NOTES).toEqual(["taken-unscored"]);
    expect(SKIP_REASONS[0]).toBe("deleted");
    expect(SKIP_REASONS.at(-1)).toBe("neutral-score");
    expect(SKIP_REASONS).toHaveLength(16);
  });

  it("orders counts in pipeline order, notes after skips, unknown counters last by name, absent ones dropped", () => {
    const funnel = { "taken-unscored": 1, margin: 2, zeta: 3, alpha: 4, deleted: 5, pii: undefined };
    expect(orderedFunnel(funnel)).toEqual([
      { reason: "deleted", count: 5, kind: "skip" },
      { reason: "margin", count: 2, kind: "skip" },
      { reason: "taken-unscored", count: 1, kind: "note" },
      { reason: "alpha", count: 4, kind: "skip" },
      { reason: "zeta", count: 3, kind: "skip" },
    ]);
  });
});
