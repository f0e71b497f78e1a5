import { deleteIds } from "@lmsynth/pipeline";

import { GENERAL_OPTIONS } from "../common-options.js";
import type { CliIo } from "../io.js";
import { withClaimedOutputs } from "../output-claim.js";
import { parseOptions, type OptionTable } from "../option-table.js";
import { quoteArgs } from "../run-record.js";
import { UsageError } from "../usage-error.js";

export const TABLE = {
  ids: { type: "string", multiple: true, files: true, arg: "file…", description: "conversation_ids to delete (one per line, or JSON lines; gzip accepted)" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth delete-ids <dir> --ids <file…>";
export const SUMMARY =
  "Removes conversations from a built folder in place and atomically (a deletion request under the LMSYS-Chat-1M licence): " +
  "only the shards holding them are rewritten, in every format; counts, card, report and manifest follow. The result equals a " +
  "fresh build with --exclude-ids of the same list, byte for byte. Then `lmsynth publish` sends exactly the changed files.";

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values: o, positionals } = parseOptions(TABLE, argv);
  if (positionals.length !== 1) throw new UsageError("delete-ids takes one folder (the -o of lmsynth build)");
  const lists = o.ids;
  if (!lists?.length) throw new UsageError("missing --ids <file>: the conversation_ids to delete");
  const dir = positionals[0]!;
  return withClaimedOutputs([{ flag: "<dir>", path: dir }], lists, async () => {
    const result = await deleteIds(dir, {
      lists,
      // Recorded as the flag a fresh build would take, so the manifest's command reproduces the folder.
      argument: (list) => quoteArgs(["--exclude-ids", list.path]),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    const summary = {
      folder: dir,
      lists: result.lists,
      conversations: result.found,
      rows: result.rows,
      changed: result.changed,
      removed: result.removed,
    };
    const listed = result.lists.reduce((n, l) => n + l.ids, 0);
    const warnings = [...result.warnings];
    if (result.found < listed) warnings.push(`${listed - result.found} listed ids match no row of ${dir} (not in this data, or deleted before)`);
    if (o.json) io.stdout.write(`${JSON.stringify({ ...summary, warnings }, null, 2)}\n`);
    if (o.silent === true) return 0;
    if (o.json) for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
    else {
      const lines = [
        `conversations found and deleted: ${result.found} (of ${listed} listed)`,
        ...Object.entries(result.rows).map(([config, n]) => `${config} rows deleted: ${n}`),
        ...(result.changed.length === 0 ? ["nothing changed: every list was applied to this folder already"] : []),
        ...result.changed.map((p) => `changed ${p}`),
        ...result.removed.map((p) => `removed ${p}`),
        ...warnings.map((w) => `warning: ${w}`),
      ];
      io.stderr.write(`${lines.join("\n")}\n`);
    }
    return 0;
  });
}
