
import { mergeDatasetFolders } from "@lmsynth/shards";
import { GENERAL_OPTIONS } from "../common-options.js";
import type { CliIo } from "../io.js";
import { withClaimedOutputs } from "../output-claim.js";
import { parseOptions, type OptionTable } from "../option-table.js";
import { commandLine } from "../run-record.js";
import { renderManifestReport, summaryOfManifest } from "@lmsynth/pipeline";
import { noProgress, printSummary } from "../summary.js";
import { UsageError } from "../usage-error.js";

export const TABLE = {
  output: { type: "string", short: "o", arg: "dir", description: "merged output folder (must not exist, unless --overwrite)" },
  overwrite: { type: "boolean", description: "replace an existing output folder" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth merge-manifests <part-dir…> -o <dir>";
export const SUMMARY =
  "Combines the folders of `lmsynth build --shard i/N` (N runs, otherwise the same options and inputs) into one Hub folder: " +
  "shards renamed to global indices in shard order, counts and funnel summed, report.html, card and manifest rendered again " +
  "(README: \"Scale-out\"). Every part is verified against its manifest first; the parts are left as they are.";

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseOptions(TABLE, argv);
  const o = args.values;
  const dir = o.output;
  if (!dir) throw new UsageError("missing -o <dir>");
  if (args.positionals.length === 0) throw new UsageError("no part folder given: lmsynth merge-manifests <part-dir…> -o <dir>");
  const started = performance.now();
  // Hashing every part's files takes a while on real data: say so, where a person is watching.
  if (io.stderr.isTTY && !noProgress(o)) io.stderr.write("verifying the parts against their manifests…\n");
  return withClaimedOutputs([{ flag: "-o", path: dir }], args.positionals, async () => {
    const { manifest } = await mergeDatasetFolders(args.positionals, dir, {
      command: commandLine("merge-manifests", argv),
      texts: { "report.html": renderManifestReport },
      overwrite: o.overwrite === true,
      ...(io.signal ? { signal: io.signal } : {}),
    });
    const summary = summaryOfManifest("merge-manifests", manifest);
    summary.seconds = (performance.now() - started) / 1000;
    printSummary(io, summary, { json: o.json === true, silent: o.silent === true });
    return 0;
  });
}
