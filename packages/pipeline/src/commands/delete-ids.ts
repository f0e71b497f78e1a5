import { OptionError } from "@lmsynth/schema";
import { deleteIds, type DeleteIdsResult } from "../delete-ids.js";
import { GENERAL_OPTIONS, resolveOptions } from "../options/common-options.js";
import type { OptionTable } from "../options/option-spec.js";
import { withClaimedOutputs } from "../output-claim.js";
import { quoteArgs } from "../run-record.js";
import type { Command } from "./command.js";

const TABLE = {
  ids: { type: "string", multiple: true, files: true, arg: "file…", description: "conversation_ids to delete (one per line, or JSON lines; gzip accepted)" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

/** What `lmsynth delete-ids` did: the deletion's result, and its warnings. */
export interface DeleteIdsCommandResult extends DeleteIdsResult {
  folder: string;
}

/** `lmsynth delete-ids`: conversations removed from a built folder in place, as a fresh build would. */
export const deleteIdsCommand: Command<typeof TABLE, DeleteIdsCommandResult> = {
  about: "remove conversations from a built folder in place (deletion requests), as a fresh build would",
  usage: "lmsynth delete-ids <dir> --ids <file…>",
  summary:
    "Removes conversations from a built folder in place and atomically (a deletion request under the LMSYS-Chat-1M licence): " +
  "only the shards holding them are rewritten, in every format; counts, card, report and manifest follow. The result equals a " +
  "fresh build with --exclude-ids of the same list, byte for byte. Then `lmsynth publish` sends exactly the changed files.",
  table: TABLE,
  async *run(options, context) {
    const o = await resolveOptions(TABLE, options, context.env);
    const dir = options.inputs?.length === 1 ? options.inputs[0]! : undefined;
    if (dir === undefined) throw new OptionError("delete-ids takes one folder (the -o of lmsynth build)");
    const lists = o.ids;
    if (!lists?.length) throw new OptionError("missing --ids <file>: the conversation_ids to delete");
    return yield* withClaimedOutputs([{ flag: "<dir>", path: dir }], lists, async (): Promise<DeleteIdsCommandResult> => {
      const result = await deleteIds(dir, {
        lists,
        // Recorded as the flag a fresh build would take, so the manifest's command reproduces the folder.
        argument: (list) => quoteArgs(["--exclude-ids", list.path]),
        ...(context.signal ? { signal: context.signal } : {}),
      });
      const listed = result.lists.reduce((n, l) => n + l.ids, 0);
      const warnings = [...result.warnings];
      if (result.found < listed) warnings.push(`${listed - result.found} listed ids match no row of ${dir} (not in this data, or deleted before)`);
      return { folder: dir, ...result, warnings };
    });
  },
};
