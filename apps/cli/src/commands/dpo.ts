import { CONVERSION_OPTIONS, DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS } from "../common-options.js";
import { DPO_OPTIONS, dpoOptionsOf, lengthOf, reasoningOf } from "../conversion-options.js";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../template-options.js";
import { outputOf } from "@lmsynth/pipeline";
import type { CliIo } from "../io.js";
import type { OptionTable } from "../option-table.js";
import { runJsonlCommand } from "../run-jsonl.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "output .jsonl, .jsonl.gz, or - for stdout" },
  ...INPUT_OPTIONS,
  ...DELETION_OPTIONS,
  ...CONVERSION_OPTIONS,
  ...DPO_OPTIONS,
  "with-meta": { type: "boolean", description: "add lang, chosen_index and rejected_index" },
  ...TEMPLATE_OPTIONS,
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

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
