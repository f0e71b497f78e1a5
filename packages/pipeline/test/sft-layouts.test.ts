import { describe, it, expect } from "vitest";
import type { SftFormat, SftRow } from "@lmsynth/schema";
// The built code, as every test of this package loads it: one module per source (a src import beside it
// would load each file twice, and count its branches twice in coverage).
import { LAYOUTS } from "../dist/index.js";
import { UNICODE_BEST, ja, jaQ, plain } from "../../candidates/test/fixture-records.js";

/** An SFT row as its layout in the table writes it. */
function formatSftRow(row: SftRow, format: SftFormat = "messages"): Record<string, unknown> {
  return LAYOUTS.sft[format].write(row, { withMeta: true });
}

describe("formatSftRow", () => {
  const row = ja("basic", 1, 8);
  it("keeps the key order conversation_id, messages, lang, response_index, score", () => {
    expect(Object.keys(formatSftRow(row))).toEqual(["conversation_id", "messages", "lang", "response_index", "score"]);
  });

  it.each<[SftRow, SftFormat | undefined, string]>([
    [
      row,
      "conversation",
      '{"conversation_id":"f17aaabc20bfe045075927934fed52d2","conversation":[{"role":"user","content":"質問（basic）：東京のおすすめの観光地を教えてください。"},{"role":"assistant","content":"回答1（basic）：浅草寺がおすすめです。"}],"lang":"ja","response_index":1,"score":8}',
    ],
    [
      plain("basic", jaQ("basic"), "回答1（basic）：浅草寺がおすすめです。"),
      "conversation",
      '{"conversation_id":"f17aaabc20bfe045075927934fed52d2","conversation":[{"role":"user","content":"質問（basic）：東京のおすすめの観光地を教えてください。"},{"role":"assistant","content":"回答1（basic）：浅草寺がおすすめです。"}]}',
    ],
    [
      plain("basic", jaQ("basic"), "回答1（basic）：浅草寺がおすすめです。"),
      undefined,
      '{"conversation_id":"f17aaabc20bfe045075927934fed52d2","messages":[{"role":"user","content":"質問（basic）：東京のおすすめの観光地を教えてください。"},{"role":"assistant","content":"回答1（basic）：浅草寺がおすすめです。"}]}',
    ],
    [
      // Keys given in another order come out in the fixed order; null meta is written as null.
      { score: null, response_index: null, lang: "ja", messages: [{ role: "user", content: "q" }], conversation_id: "id" },
      "conversation",
      '{"conversation_id":"id","conversation":[{"role":"user","content":"q"}],"lang":"ja","response_index":null,"score":null}',
    ],
    [
      UNICODE_BEST,
      "messages",
      '{"conversation_id":"8ab3b19e134f01fbaf94b8e15f3df090","messages":[{"role":"user","content":"　全角スペースで始まる質問😀と𠮷野家\\r\\n二行目  "},{"role":"assistant","content":"  先頭と末尾に空白　\\r\\nCRLFの行😀𠮷\\n  "}],"lang":"ja","response_index":1,"score":9}',
    ],
    [
      // TRL prompt-completion: every message before the last is the prompt, the system message included.
      { conversation_id: "id", messages: [{ role: "system", content: "s" }, { role: "user", content: "q" }, { role: "assistant", content: "a" }], lang: "en", response_index: 2, score: 7.5 },
      "prompt-completion",
      '{"conversation_id":"id","prompt":[{"role":"system","content":"s"},{"role":"user","content":"q"}],"completion":[{"role":"assistant","content":"a"}],"lang":"en","response_index":2,"score":7.5}',
    ],
    [
      // LLaMA-Factory's default sharegpt tags: system, human, gpt.
      { conversation_id: "id", messages: [{ role: "system", content: "s" }, { role: "user", content: "q" }, { role: "assistant", content: "a" }] },
      "sharegpt",
      '{"conversation_id":"id","conversations":[{"from":"system","value":"s"},{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}',
    ],
  ])("%#: JSON.stringify of the formatted row", (input, format, expected) => {
    expect(JSON.stringify(formatSftRow(input, format))).toBe(expected);
  });
});
