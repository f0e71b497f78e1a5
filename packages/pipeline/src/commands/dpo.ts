import { DPO_OPTIONS, dpoOptionsOf, lengthOf, reasoningOf } from "../conversion-options.js";
import { templateSpecOf } from "../template-options.js";
import { outputOf } from "@lmsynth/pipeline";
import type { CliIo } from "../io.js";
import { jsonlTable, runJsonlCommand } from "../run-jsonl.js";

export const TABLE = jsonlTable(DPO_OPTIONS, "add lang, chosen_index and rejected_index");

export const USAGE = "lmsynth dpo <input…> -o <out.jsonl|out.jsonl.gz|->";
export const SUMMARY = "Turns judge scores into DPO preference pairs (README: \"DPO pairs\").";

export function run(argv: string[], io: CliIo): Promise<number> {
  return runJsonlCommand(
    {
      name: "dpo",
      table: TABLE,
      init: (o) => ({ outputs: [{ ...outputOf("dpo", o["dpo-format"]), name: "dpo" }], ...reasoningOf(o), ...lengthOf(o, templateSpecOf(o), false), dpo: { options: dpoOptionsOf(o) } }),
    },
    argv,
    io,
  );
}
