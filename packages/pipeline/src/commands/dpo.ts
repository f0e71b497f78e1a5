import { DPO_OPTIONS, dpoOptionsOf, lengthOf, reasoningOf } from "../options/conversion-options.js";
import { templateSpecOf } from "../options/template-options.js";
import { outputOf } from "../layouts.js";
import { jsonlCommand, jsonlTable } from "./run-jsonl.js";

/** `lmsynth dpo`: DPO preference pairs as JSONL (README: "DPO pairs"). */
export const dpoCommand = jsonlCommand(
  "dpo",
  {
    about: "DPO preference pairs from the judge scores as JSONL",
    table: jsonlTable(DPO_OPTIONS, "add lang, chosen_index and rejected_index"),
    usage: "lmsynth dpo <input…> -o <out.jsonl|out.jsonl.gz|->",
    summary: "Turns judge scores into DPO preference pairs (README: \"DPO pairs\").",
  },
  (o) => ({ outputs: [{ ...outputOf("dpo", o["dpo-format"]), name: "dpo" }], ...reasoningOf(o), ...lengthOf(o, templateSpecOf(o), false), dpo: { options: dpoOptionsOf(o) } }),
);
