import { describe, expect, it } from "vitest";
import { IdTable } from "../src/id-table.js";

describe("IdTable", () => {
  it("numbers ids in the order they were added and finds each, refusing a second add", () => {
    const table = new IdTable();
    expect(table.add("b")).toBe(0);
    expect(table.add("a")).toBe(1);
    expect(table.add("")).toBe(2);
    expect(table.add("a")).toBe(-1);
    expect(table.add("")).toBe(-1);
    expect(table.size).toBe(3);
    expect([table.find("b"), table.find("a"), table.find(""), table.find("c"), table.find("ab")]).toEqual([0, 1, 2, -1, -1]);
  });

  it("keeps ids beyond Latin-1 apart from their look-alikes, in the same numbering", () => {
    const table = new IdTable();
    expect(table.add("café")).toBe(0);
    expect(table.add("会話")).toBe(1);
    expect(table.add("caf\u00e9\u0301")).toBe(2);
    expect(table.add("会話")).toBe(-1);
    expect([table.find("café"), table.find("会話"), table.find("caf\u00e9\u0301"), table.find("会")]).toEqual([0, 1, 2, -1]);
  });

  it("finds every one of many ids across its growth, and none it was not given", () => {
    const table = new IdTable();
    const ids = Array.from({ length: 50_000 }, (_, i) => (((i + 1) * 2654435761) >>> 0).toString(16).padStart(32, "0"));
    // Ids that differ only in their last character, and a prefix of another, probe the comparison.
    ids.push("z".repeat(32), "z".repeat(31) + "y", "z".repeat(31));
    for (const [i, id] of ids.entries()) expect(table.add(id)).toBe(i);
    expect(table.size).toBe(ids.length);
    expect(ids.every((id, i) => table.find(id) === i)).toBe(true);
    expect(ids.every((id) => table.add(id) === -1)).toBe(true);
    expect(ids.some((id) => table.find(`${id}x`) !== -1 || table.find(`x${id}`) !== -1)).toBe(false);
  });
});
