import { KTO_OPTIONS, ktoOptionsOf, lengthOf, reasoningOf } from "../options/conversion-options.js";
import { templateSpecOf } from "../options/template-options.js";
import { outputOf } from "../layouts.js";
import { jsonlCommand, jsonlTable } from "./run-jsonl.js";

/** `lmsynth kto`: KTO examples as JSONL (README: "KTO"). */
export const ktoCommand = jsonlCommand(
  "kto",
  {
    about: "KTO examples (desirable or not) from the judge scores as JSONL",
    table: jsonlTable(KTO_OPTIONS, "add lang and response_index"),
    usage: "lmsynth kto <input…> -o <out.jsonl|out.jsonl.gz|->",
    summary: "Turns judge scores into KTO examples: prompt, completion, desirable or not (README: \"KTO\").",
  },
  (o) => ({ outputs: [outputOf("kto")], ...reasoningOf(o), ...lengthOf(o, templateSpecOf(o), false), kto: { options: ktoOptionsOf(o) } }),
);
