import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RowTypeError, openArrowSink } from "../src/index.js";
import { arrowSchema } from "../src/arrow-sink.js";
import { arrowRows } from "./read-back.js";
import { dpoLayout, sftLayout } from "@lmsynth/schema";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmsynth-arrow-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rows = Array.from({ length: 60 }, (_, i) => ({
  conversation_id: `c${i}`,
  messages: [
    { role: "user", content: i % 4 ? `こんにちは ${i} 😀\n` : "" },
    { role: "assistant", content: ` reply ${i} `.repeat(i % 5) },
  ],
  lang: i % 3 ? "ja" : null,
  response_index: i % 2 ? i : null,
  score: i % 5 ? i / 4 : null,
}));

async function write<Row extends object>(path: string, input: Row[], options: Parameters<typeof openArrowSink>[1]) {
  const sink = await openArrowSink<Row>(path, options);
  for (const row of input) await sink.write(row);
  return sink.close();
}

describe("openArrowSink", () => {
  it("writes an IPC stream that apache-arrow reads back exactly, with explicit non-dictionary types", async () => {
    const path = join(dir, "sft.arrow");
    const file = await write(path, rows, { columns: sftLayout().columns });
    expect(file).toMatchObject({ path, rows: 60, bytes: (await readFile(path)).byteLength });
    expect(await arrowRows(path)).toEqual(rows);
    const table = tableFromIPC(await readFile(path));
    expect(table.schema.fields.map((f) => `${f.name}: ${f.type} ${f.nullable ? "null" : "not null"}`)).toEqual([
      "conversation_id: Utf8 not null",
      "messages: List<Struct<{role:Utf8, content:Utf8}>> not null",
      "lang: Utf8 null",
      "response_index: Int32 null",
      "score: Float64 null",
    ]);
    expect(table.schema.fields.map((f) => f.type.toString())).toEqual(
      arrowSchema(sftLayout().columns).fields.map((f) => f.type.toString()),
    );
  });

  it("writes DPO rows", async () => {
    const dpo = [
      {
        conversation_id: "d",
        prompt: [{ role: "user", content: "p" }],
        chosen: [{ role: "assistant", content: "c" }],
        rejected: [{ role: "assistant", content: "" }],
        score_chosen: 8,
        score_rejected: 2.5,
        prompt_id: "ab",
        lang: "en",
      },
    ];
    const path = join(dir, "dpo.arrow");
    await write(path, dpo, { columns: dpoLayout().columns });
    expect(await arrowRows(path)).toEqual(dpo);
  });

  it("cuts record batches at maxBatchBytes and is deterministic", async () => {
    const a = await write(join(dir, "a.arrow"), rows, { columns: sftLayout().columns, maxBatchBytes: 500 });
    const b = await write(join(dir, "b.arrow"), rows, { columns: sftLayout().columns, maxBatchBytes: 500 });
    expect(a.sha256).toBe(b.sha256);
    const table = tableFromIPC(await readFile(join(dir, "a.arrow")));
    expect(table.batches.length).toBeGreaterThan(5);
    expect(table.batches.reduce((n, batch) => n + batch.numRows, 0)).toBe(60);
    expect(await arrowRows(join(dir, "a.arrow"))).toEqual(rows);
  });

  it("writes a valid stream with the schema and no batches when closed without rows", async () => {
    const path = join(dir, "empty.arrow");
    await write(path, [], { columns: sftLayout().columns });
    const table = tableFromIPC(await readFile(path));
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => f.name)).toEqual(sftLayout().columns.map((c) => c.name));
  });

  it("rejects a bad row and abort leaves nothing", async () => {
    const sink = await openArrowSink(join(dir, "bad.arrow"), { columns: sftLayout().columns });
    await expect(sink.write({ conversation_id: null, messages: [] })).rejects.toThrow(RowTypeError);
    await sink.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});
