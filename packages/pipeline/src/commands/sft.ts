import { SFT_OPTIONS, sftInitOf } from "../conversion-options.js";
import type { CliIo } from "../io.js";
import { jsonlTable, runJsonlCommand } from "../run-jsonl.js";
import { templateSpecOf } from "../template-options.js";

export const TABLE = jsonlTable(SFT_OPTIONS, "add lang, response_index and score");

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
