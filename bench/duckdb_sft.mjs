#!/usr/bin/env node
// The DuckDB baseline of `lmsynth sft` with default options (`--select best --lang ja`), for bench/run.mjs:
// ONE SQL statement, `COPY (SELECT … FROM read_json(…) WHERE …) TO 'out.parquet' (FORMAT parquet,
// COMPRESSION zstd)`, run through @duckdb/node-api with as many DuckDB threads as the machine has cores.
// It writes rows {conversation_id, messages: [user, assistant]} (messages as list<struct<role, content>>),
// by the rules of behaviour.md §2–3, the same as bench/sft_select.py:
//
// - skip a record when empty_user_instruction_ja is true, when translated_conversation[0].content is absent
//   or blank, when duplicate_user_instruction_ja is set, or when it has no responses;
// - candidates pair synthesized_assistant_responses with synthesized_response_scoring_annotations by index,
//   only when both lists have the same length (otherwise no candidate has a score);
// - usable: content not blank after trimming, score a number other than -1; choosable: usable and
//   repetition_flag not true;
// - best: the highest score, ties to the lowest index (list_reduce keeps the earlier one unless the later
//   one is strictly higher).
//
// "Blank" trims JavaScript's String.prototype.trim whitespace set, as lmsynth does. read_json gets explicit
// `columns` for the fields used, so it neither samples the file to guess a schema nor builds the others.
//
//   node bench/duckdb_sft.mjs INPUT.jsonl[.gz] -o OUTPUT.parquet [--threads N]
//
// Prints "<rows> rows" on stderr (DuckDB's COPY count).
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";

// ECMAScript WhiteSpace + LineTerminator: what String.prototype.trim removes.
const JS_WHITESPACE =
  "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";

/** A SQL string literal (single quotes doubled). */
const literal = (text) => `'${text.replaceAll("'", "''")}'`;

/** The one statement: best-response SFT rows of `input` copied to a ZSTD Parquet file at `output`. */
export function sftCopyStatement(input, output) {
  const ws = literal(JS_WHITESPACE);
  const columns = `{
      conversation_id: 'VARCHAR',
      translated_conversation: 'STRUCT(role VARCHAR, content VARCHAR)[]',
      duplicate_user_instruction_ja: 'VARCHAR',
      empty_user_instruction_ja: 'BOOLEAN',
      synthesized_assistant_responses: 'STRUCT(role VARCHAR, content VARCHAR)[]',
      synthesized_response_scoring_annotations: 'STRUCT(preference_score DOUBLE, repetition_flag BOOLEAN)[]'
    }`;
  return `
COPY (
  SELECT conversation_id,
         [{'role': 'user', 'content': instruction}, {'role': 'assistant', 'content': best.content}] AS messages
  FROM (
    SELECT conversation_id,
           translated_conversation[1].content AS instruction,
           list_reduce(
             list_filter(
               list_transform(synthesized_assistant_responses, lambda r, i: {
                 'content': r.content,
                 'score': synthesized_response_scoring_annotations[i].preference_score,
                 'repetition': synthesized_response_scoring_annotations[i].repetition_flag
               }),
               lambda c: c.score IS NOT NULL AND c.score <> -1 AND c.repetition IS NOT TRUE
                         AND c.content IS NOT NULL AND trim(c.content, ${ws}) <> ''),
             lambda a, b: CASE WHEN b.score > a.score THEN b ELSE a END,
             {'content': NULL::VARCHAR, 'score': '-infinity'::DOUBLE, 'repetition': NULL::BOOLEAN}
           ) AS best
    FROM read_json(${literal(input)}, format = 'newline_delimited', columns = ${columns})
    WHERE empty_user_instruction_ja IS NOT TRUE
      AND duplicate_user_instruction_ja IS NULL
      AND trim(translated_conversation[1].content, ${ws}) <> ''
      AND len(synthesized_assistant_responses) > 0
      AND len(synthesized_assistant_responses) = len(synthesized_response_scoring_annotations)
  )
  WHERE best.content IS NOT NULL
) TO ${literal(output)} (FORMAT parquet, COMPRESSION zstd)`;
}

async function main() {
  const { values, positionals } = parseArgs({
    options: { output: { type: "string", short: "o" }, threads: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1 || !values.output) throw new Error("usage: node bench/duckdb_sft.mjs INPUT.jsonl[.gz] -o OUTPUT.parquet [--threads N]");
  const threads = values.threads ?? String(availableParallelism());
  const db = await DuckDBInstance.create(":memory:", { threads });
  const connection = await db.connect();
  const result = await connection.runAndReadAll(sftCopyStatement(resolve(positionals[0]), resolve(values.output)));
  const rows = result.getRows()[0]?.[0];
  process.stderr.write(`${rows} rows\n`);
  connection.closeSync();
}

if (process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname) await main();
