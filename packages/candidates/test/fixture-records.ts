import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Lang, MergedRecord, SftRow } from "@lmsynth/schema";

/**
 * The edge-case records of test-fixtures/<variant>/edge-cases.jsonl, by their `_case` name, and the texts
 * test-fixtures/generate.mjs builds them from, so expected rows are written here by hand, not computed
 * by the code under test. Lines are parsed with JSON.parse: the reader has its own tests.
 */

export type FixtureVariant = "llama3.1" | "gemma2" | "gemma3";

export function loadCases(variant: FixtureVariant): Map<string, MergedRecord> {
  const url = new URL(`../../../test-fixtures/${variant}/edge-cases.jsonl`, import.meta.url);
  const cases = new Map<string, MergedRecord>();
  for (const line of readFileSync(url, "utf8").split("\n")) {
    if (line === "") continue;
    const record = JSON.parse(line) as MergedRecord & { _case: string };
    cases.set(record._case, record);
  }
  return cases;
}

/** `conversation_id` of a fixture case: md5 of its name (generate.mjs `idOf`). */
export const idOf = (name: string): string => createHash("md5").update(name).digest("hex");

/** Japanese instruction, i-th Japanese response, English instruction and response of case `name`. */
export const jaQ = (name: string): string => `質問（${name}）：東京のおすすめの観光地を教えてください。`;
export const jaA = (name: string, i: number): string => `回答${i}（${name}）：浅草寺がおすすめです。`;
export const enQ = (name: string): string => `Question (${name}): what should I see in Tokyo?`;
export const enA = (name: string): string => `English answer (${name}): visit Senso-ji.`;

/** A whole row without meta. */
export function plain(name: string, user: string, assistant: string): SftRow {
  return {
    conversation_id: idOf(name),
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: assistant },
    ],
  };
}

/** A whole row with meta (`withMeta: true`). */
export function meta(name: string, lang: Lang, user: string, assistant: string, index: number, score: number | null): SftRow {
  return { ...plain(name, user, assistant), lang, response_index: index, score };
}

/** The row of Japanese response `i` (score `score`) of case `name`, with meta. */
export const ja = (name: string, i: number, score: number | null): SftRow => meta(name, "ja", jaQ(name), jaA(name, i), i, score);

/** The English row of case `name` (one response, score 8 in every fixture), with meta. */
export const en = (name: string): SftRow => meta(name, "en", enQ(name), enA(name), 0, 8);

/** The `unicode` case: full-width space, CRLF, astral characters, surrounding white space; and its best SFT row. */
export const UNICODE_Q = "\u3000全角スペースで始まる質問😀と𠮷野家\r\n二行目  ";
export const UNICODE_A1 = "  先頭と末尾に空白\u3000\r\nCRLFの行😀𠮷\n  ";
export const UNICODE_BEST: SftRow = {
  conversation_id: idOf("unicode"),
  messages: [
    { role: "user", content: "\u3000全角スペースで始まる質問😀と𠮷野家\r\n二行目  " },
    { role: "assistant", content: "  先頭と末尾に空白\u3000\r\nCRLFの行😀𠮷\n  " },
  ],
  lang: "ja",
  response_index: 1,
  score: 9,
};
