import { mergeDatasetFolders } from "@lmsynth/hub-folder";
import { OptionError } from "@lmsynth/schema";
import { renderManifestReport } from "../build.js";
import { GENERAL_OPTIONS, resolveOptions } from "../options/common-options.js";
import type { OptionTable } from "../options/option-spec.js";
import { withClaimedOutputs } from "../output-claim.js";
import { commandLine } from "../run-record.js";
import { summaryOfManifest, type RunSummary } from "../run-summary.js";
import type { Command, CommandEvent } from "./command.js";
import { argvOf } from "./run-jsonl.js";

const TABLE = {
  output: { type: "string", short: "o", arg: "dir", description: "merged output folder (must not exist, unless --overwrite)" },
  overwrite: { type: "boolean", description: "replace an existing output folder" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

/** `lmsynth merge-manifests`: the folders of `build --shard i/N` runs as one Hub folder. */
export const mergeManifestsCommand: Command<typeof TABLE, { summary: RunSummary }> = {
  about: "combine the folders of build --shard i/N runs into one Hub folder (counts, report, card, manifest)",
  usage: "lmsynth merge-manifests <part-dir…> -o <dir>",
  summary:
    "Combines the folders of `lmsynth build --shard i/N` (N runs, otherwise the same options and inputs) into one Hub folder: " +
  "shards renamed to global indices in shard order, counts and funnel summed, report.html, card and manifest rendered again " +
  "(README: \"Scale-out\"). Every part is verified against its manifest first; the parts are left as they are.",
  table: TABLE,
  async *run(options, context) {
    const o = await resolveOptions(TABLE, options, context.env);
    const parts = options.inputs ?? [];
    const dir = o.output;
    if (!dir) throw new OptionError("missing -o <dir>");
    if (parts.length === 0) throw new OptionError("no part folder given: lmsynth merge-manifests <part-dir…> -o <dir>");
    const started = performance.now();
    return yield* withClaimedOutputs([{ flag: "-o", path: dir }], parts, async function* (): AsyncGenerator<CommandEvent, { summary: RunSummary }> {
      // Hashing every part's files takes a while on real data.
      yield { event: "phase", phase: "verifying the parts against their manifests" };
      const { manifest } = await mergeDatasetFolders(parts, dir, {
        command: commandLine("merge-manifests", argvOf(options, context)),
        texts: { "report.html": renderManifestReport },
        overwrite: o.overwrite === true,
        ...(context.signal ? { signal: context.signal } : {}),
      });
      const summary = summaryOfManifest("merge-manifests", manifest);
      summary.seconds = (performance.now() - started) / 1000;
      return { summary };
    });
  },
};
