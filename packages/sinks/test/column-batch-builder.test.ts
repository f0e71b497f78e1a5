import { describe, expect, it } from "vitest";
import { ColumnBatchBuilder, RowTypeError, measureRow } from "../src/index.js";
import { dpoLayout, sftLayout } from "@lmsynth/schema";

const row = (id: string, content: string, extra: Record<string, unknown> = {}) => ({
  conversation_id: id,
  messages: [
    { role: "user", content: "q" },
    { role: "assistant", content },
  ],
  ...extra,
});

describe("measureRow", () => {
  it.each([
    // id "a" (1+4) + messages ("user"+"q"+8 = 13, "assistant"+"" +8 = 17) = 35; meta all null = 0
    ["nulls", row("a", ""), 35],
    // "あ" is 3 UTF-8 bytes
    ["utf-8 bytes, not chars", row("a", "あ"), 38],
    // lang "ja" 2+4, response_index 4, score 8
    ["meta", row("a", "", { lang: "ja", response_index: 2, score: 9.5 }), 35 + 6 + 4 + 8],
  ])("%s", (_name, value, bytes) => {
    expect(measureRow(sftLayout().columns, value, 0)).toBe(bytes);
  });

  it.each([
    ["conversation_id", { ...row("a", ""), conversation_id: 7 }, "row 3: `conversation_id`: expected string, got number"],
    ["missing messages", { conversation_id: "a" }, "row 3: `messages`: expected messages, got nothing"],
    ["messages not a list", { ...row("a", ""), messages: "hi" }, "row 3: `messages`: expected list of messages, got string"],
    ["content", { ...row("a", ""), messages: [{ role: "user", content: null }] }, "row 3: `messages`: expected string content, got null"],
    ["int32", row("a", "", { response_index: 1.5 }), "row 3: `response_index`: expected int32, got number"],
    ["double", row("a", "", { score: "9" }), "row 3: `score`: expected double, got string"],
  ])("rejects a wrong %s with RowTypeError", (_name, value, message) => {
    expect(() => measureRow(sftLayout().columns, value as never, 3)).toThrow(RowTypeError);
    expect(() => measureRow(sftLayout().columns, value as never, 3)).toThrow(message);
  });

  it("measures DPO rows over prompt, chosen, rejected, scores and prompt_id", () => {
    const dpo = {
      conversation_id: "c",
      prompt: [{ role: "user", content: "ab" }],
      chosen: [{ role: "assistant", content: "x" }],
      rejected: [{ role: "assistant", content: "" }],
      score_chosen: 9,
      score_rejected: 2,
      prompt_id: "p",
      lang: "en",
    };
    // 5 + (4+2+8) + (9+1+8) + (9+0+8) + 8 + 8 + 5 + 6
    expect(measureRow(dpoLayout().columns, dpo, 0)).toBe(5 + 14 + 18 + 17 + 8 + 8 + 5 + 6);
  });
});

describe("ColumnBatchBuilder", () => {
  it("transposes rows into columns, nulls for absent values", () => {
    const builder = new ColumnBatchBuilder(sftLayout().columns);
    expect(builder.append(row("a", "x", { lang: "ja" }))).toBeUndefined();
    expect(builder.append(row("b", "y", { score: 1 }))).toBeUndefined();
    expect(builder.rows).toBe(2);
    expect(builder.flush()).toEqual({
      rows: 2,
      bytes: 36 + 6 + 36 + 8,
      columns: [
        ["a", "b"],
        [row("a", "x").messages, row("b", "y").messages],
        ["ja", null],
        [null, null],
        [null, 1],
      ],
    });
    expect(builder.flush()).toBeUndefined();
    expect(builder.rows).toBe(0);
  });

  it("cuts before a row that would pass the high-water mark, never leaving a batch above it", () => {
    // each row measures 35 + content length
    const builder = new ColumnBatchBuilder(sftLayout().columns, { highWaterMark: 100 });
    const sizes = [10, 10, 30, 0, 200, 5];
    const batches = [];
    for (const [i, n] of sizes.entries()) {
      const batch = builder.append(row("abcdef"[i]!, "x".repeat(n)));
      if (batch) batches.push(batch);
    }
    batches.push(builder.flush()!);
    expect(batches.map((b) => [b.rows, b.bytes, b.columns[0]])).toEqual([
      [2, 90, ["a", "b"]],
      // exactly at the mark is allowed
      [2, 100, ["c", "d"]],
      // a row larger than the mark forms a batch alone
      [1, 235, ["e"]],
      [1, 40, ["f"]],
    ]);
  });

  it("does not add a row that fails its check", () => {
    const builder = new ColumnBatchBuilder(sftLayout().columns);
    builder.append(row("a", ""));
    expect(() => builder.append({ conversation_id: "b" })).toThrow("row 1: `messages`");
    expect(builder.append(row("c", ""))).toBeUndefined();
    expect(builder.flush()?.columns[0]).toEqual(["a", "c"]);
  });
});

describe("ColumnBatchBuilder.withhold", () => {
  // Each row of `row(id, "x")` measures 36 bytes; a mark of 100 holds two of them.
  const spec = sftLayout({ meta: false }).columns;
  const rowsOf = (batch: { columns: unknown[][] } | undefined) => batch?.columns[0];

  it("cuts where the withheld rows would have been, so deleting rows later gives the same batches", () => {
    const withheld = new ColumnBatchBuilder(spec, { highWaterMark: 100 });
    const batches: unknown[] = [];
    batches.push(rowsOf(withheld.append(row("a", "x"))));
    batches.push(rowsOf(withheld.withhold(36)));
    batches.push(rowsOf(withheld.append(row("c", "x"))));
    batches.push(rowsOf(withheld.append(row("d", "x"))));
    batches.push(rowsOf(withheld.flush()));
    // a + (b) fill the first batch; c and d the second.
    expect(batches).toEqual([undefined, undefined, ["a"], undefined, ["c", "d"]]);
  });

  it("gives no batch for a stretch of withheld rows only", () => {
    const builder = new ColumnBatchBuilder(spec, { highWaterMark: 100 });
    expect(builder.withhold(36)).toBeUndefined();
    expect(builder.withhold(36)).toBeUndefined();
    expect(builder.withhold(36)).toBeUndefined();
    expect(rowsOf(builder.append(row("d", "x")))).toBeUndefined();
    expect(rowsOf(builder.flush())).toEqual(["d"]);
    expect(builder.flush()).toBeUndefined();
  });
});
