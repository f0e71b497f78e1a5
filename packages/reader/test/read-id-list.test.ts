import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "@lmsynth/schema";
import { readIdList } from "../src/index.js";

async function file(name: string, data: string | Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lmsynth-ids-"));
  const path = join(dir, name);
  await writeFile(path, data);
  return path;
}

describe("readIdList", () => {
  it("reads ids one per line and JSON lines, gzip or not, and hashes each file as stored", async () => {
    const plain = await file("ids.txt", "abc\r\n\n  def  \nabc\n");
    const packed = gzipSync(Buffer.from('{"conversation_id":"ghi","reason":"request"}\n{"conversation_id":"def"}\n'));
    const json = await file("ids.jsonl.gz", packed);
    const list = await readIdList([plain, json]);
    expect([...list.ids]).toEqual(["abc", "def", "ghi"]);
    expect(list.files).toEqual([
      { path: plain, sha256: createHash("sha256").update("abc\r\n\n  def  \nabc\n").digest("hex"), ids: 2 },
      { path: json, sha256: createHash("sha256").update(packed).digest("hex"), ids: 2 },
    ]);
  });

  it.each([
    ["an id with white space inside", "abc\nd ef\n", ":2: a conversation id has no white space: give one id per line"],
    ["a JSON line without a string conversation_id", 'abc\n{"id":"x"}\n', ":2: no string conversation_id"],
    ["a broken JSON line", "{nope\n", ":1: not valid JSON"],
    ["an empty list", "\n\n", ": lists no conversation id: an empty deletion list is likely the wrong file"],
  ])("refuses %s, naming file and line", async (_name, text, message) => {
    const path = await file("ids.txt", text);
    const error = await readIdList([path]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`${path}${message}`);
  });
});
