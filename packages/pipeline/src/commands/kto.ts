import { outputOf } from "@lmsynth/pipeline";
import { KTO_OPTIONS, ktoOptionsOf, lengthOf, reasoningOf } from "../conversion-options.js";
import { templateSpecOf } from "../template-options.js";
import type { CliIo } from "../io.js";
import { jsonlTable, runJsonlCommand } from "../run-jsonl.js";

export const TABLE = jsonlTable(KTO_OPTIONS, "add lang and response_index");

export const USAGE = "lmsynth kto <input…> -o <out.jsonl|out.jsonl.gz|->";
export const SUMMARY = "Turns judge scores into KTO examples: prompt, completion, desirable or not (README: \"KTO\").";

export function run(argv: string[], io: CliIo): Promise<number> {
  return runJsonlCommand({ name: "kto", table: TABLE, init: (o) => ({ outputs: [outputOf("kto")], ...reasoningOf(o), ...lengthOf(o, templateSpecOf(o), false), kto: { options: ktoOptionsOf(o) } }) }, argv, io);
}
