import { SFT_OPTIONS, sftInitOf } from "../options/conversion-options.js";
import { templateSpecOf } from "../options/template-options.js";
import { jsonlCommand, jsonlTable } from "./run-jsonl.js";

/** `lmsynth sft`: SFT conversations as JSONL (README: "Selection rules"). */
export const sftCommand = jsonlCommand(
  "sft",
  {
    about: "SFT conversations (best-of-n and more) as JSONL",
    table: jsonlTable(SFT_OPTIONS, "add lang, response_index and score"),
    usage: "lmsynth sft <input…> -o <out.jsonl|out.jsonl.gz|->",
    summary: "Turns records into SFT conversations (README: \"Selection rules\").",
  },
  (o) => sftInitOf(o, templateSpecOf(o)),
);
