import { outputOf } from "@lmsynth/pipeline";
import { CONVERSION_OPTIONS, DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS } from "../common-options.js";
import { KTO_OPTIONS, ktoOptionsOf, lengthOf, reasoningOf } from "../conversion-options.js";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../template-options.js";
import type { CliIo } from "../io.js";
import type { OptionTable } from "../option-table.js";
import { runJsonlCommand } from "../run-jsonl.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "output .jsonl, .jsonl.gz, or - for stdout" },
  ...INPUT_OPTIONS,
  ...DELETION_OPTIONS,
  ...CONVERSION_OPTIONS,
  ...KTO_OPTIONS,
  "with-meta": { type: "boolean", description: "add lang and response_index" },
  ...TEMPLATE_OPTIONS,
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth kto <input…> -o <out.jsonl|out.jsonl.gz|->";
export const SUMMARY = "Turns judge scores into KTO examples: prompt, completion, desirable or not (README: \"KTO\").";

export function run(argv: string[], io: CliIo): Promise<number> {
  return runJsonlCommand({ name: "kto", table: TABLE, init: (o) => ({ outputs: [outputOf("kto")], ...reasoningOf(o), ...lengthOf(o, templateSpecOf(o), false), kto: { options: ktoOptionsOf(o) } }) }, argv, io);
}
