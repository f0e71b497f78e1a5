import { UsageError } from "@lmsynth/schema";
import { GENERAL_OPTIONS, INPUT_OPTIONS } from "../common-options.js";
import type { CliIo } from "../io.js";
import type { OptionTable } from "../option-table.js";
import { runJsonlCommand } from "../run-jsonl.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "file", description: "merged output .jsonl.gz, .jsonl, or - for stdout" },
  ...INPUT_OPTIONS,
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth merge --lmsys <f…> --instructions <f> --synth <f> -o <out.jsonl.gz>";
export const SUMMARY =
  "The dataset's two-step merge in one streaming pass (input-format.md §4): LMSYS fields, then the Japanese instruction, then the synth fields, in synth order.";

export function run(argv: string[], io: CliIo): Promise<number> {
  return runJsonlCommand(
    {
      name: "merge",
      table: TABLE,
      converter(o) {
        if (!o.synth) throw new UsageError("merge needs --synth (and --instructions and/or --lmsys)");
        return (record) => ({ rows: [record], skips: [] });
      },
    },
    argv,
    io,
  );
}
