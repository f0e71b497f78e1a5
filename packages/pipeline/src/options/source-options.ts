import type { RecordSourceOptions, RejectedTarget } from "../record-source.js";
import { EXCLUDE_IDS_OPTION } from "../run-summary.js";
import { readIdList, type IdList } from "@lmsynth/reader";
import type { CommandContext } from "../commands/command.js";
import type { DELETION_OPTIONS, INPUT_OPTIONS } from "./common-options.js";
import type { OptionValues, ParsedValue } from "./option-spec.js";

/** The input flags, and `--passphrase-file`/`--config` where a command has them. */
type Values = OptionValues<typeof INPUT_OPTIONS & typeof DELETION_OPTIONS> & { config?: string };

/** Every file a converting command reads: no output may be, or contain, one of them. */
export function inputPathsOf(positionals: readonly string[], o: Values): string[] {
  const lists = [o.synth, o.instructions, o.lmsys, o[EXCLUDE_IDS_OPTION]].flatMap((v) => (Array.isArray(v) ? v : []));
  const single = [o["passphrase-file"], o.config].filter((v): v is string => typeof v === "string");
  return [...positionals, ...lists, ...single];
}

/**
 * The input flags (`INPUT_OPTIONS`) as the pipeline's source options. Skipped lines go to `--rejected`, else
 * to `defaultRejected`; with neither, they are only counted.
 */
export function sourceOptionsOf(positionals: readonly string[], o: Values, io: CommandContext, defaultRejected: RejectedTarget, exclusion?: IdList): RecordSourceOptions {
  const list = (v: ParsedValue | undefined): string[] => (Array.isArray(v) ? v : []);
  const rejected = o.rejected ?? defaultRejected;
  return {
    files: positionals,
    synth: list(o.synth),
    instructions: list(o.instructions),
    lmsys: list(o.lmsys),
    keepUnmatched: o["keep-unmatched"] === true,
    lmsysFilter: {
      languages: o.languages === "all" ? "all" : String(o.languages ?? "Japanese,English").split(",").map((l) => l.trim()),
      dropFlagged: o["drop-flagged"] !== false,
    },
    ...(o.variant ? { variant: o.variant } : {}),
    ...(typeof o["passphrase-file"] === "string" ? { passphraseFile: o["passphrase-file"] } : {}),
    env: io.env,
    ...(io.stdin ? { stdin: io.stdin } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    onInvalid: o["on-invalid"] === "skip" ? "skip" : "fail",
    ...(rejected !== undefined ? { rejected } : {}),
    ...(typeof o["max-line-bytes"] === "number" ? { maxLineBytes: o["max-line-bytes"] } : {}),
    ...(exclusion ? { excludeIds: exclusion.ids } : {}),
  };
}

/** The deletion lists of `--exclude-ids`, read before any input is opened (their warnings are the
 * command's to say then); undefined without the option. */
export async function exclusionOf(o: Values): Promise<IdList | undefined> {
  const paths = o[EXCLUDE_IDS_OPTION];
  if (!Array.isArray(paths) || paths.length === 0) return undefined;
  return readIdList(paths);
}
