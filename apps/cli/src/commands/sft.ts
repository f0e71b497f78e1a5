import { CONVERSION_OPTIONS, DELETION_OPTIONS, GENERAL_OPTIONS, INPUT_OPTIONS } from "../common-options.js";
import { SFT_OPTIONS, sftInitOf } from "../conversion-options.js";
import type { CliIo } from "../io.js";
import type { OptionTable } from "../option-table.js";
import { runJsonlCommand } from "../run-jsonl.js";
import { TEMPLATE_OPTIONS, templateSpecOf } from "../template-options.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "output .jsonl, .jsonl.gz, or - for stdout" },
  ...INPUT_OPTIONS,
  ...DELETION_OPTIONS,
  ...CONVERSION_OPTIONS,
  ...SFT_OPTIONS,
  "with-meta": { type: "boolean", description: "add lang, response_index and score" },
  ...TEMPLATE_OPTIONS,
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth sft <input…> -o <out.jsonl|out.jsonl.gz|->";
export const SUMMARY = "Turns records into SFT conversations (README: \"Selection rules\").";

export function run(argv: string[], io: CliIo): Promise<number> {
  return runJsonlCommand(
    {
      name: "sft",
      table: TABLE,
      init: (o) => sftInitOf(o, templateSpecOf(o)),
    },
    argv,
    io,
  );
}
