import type { RecordSourceOptions, RejectedTarget } from "@lmsynth/pipeline";
import type { Variant } from "@lmsynth/schema";
import type { CliIo } from "./io.js";
import type { ParsedValue } from "./option-table.js";

type Values = Record<string, ParsedValue | undefined>;

/** Every file a converting command reads: no output may be, or contain, one of them. */
export function inputPathsOf(positionals: readonly string[], o: Values): string[] {
  const lists = [o.synth, o.instructions, o.lmsys].flatMap((v) => (Array.isArray(v) ? v : []));
  const single = [o["passphrase-file"], o.config].filter((v): v is string => typeof v === "string");
  return [...positionals, ...lists, ...single];
}

/**
 * The input flags (`INPUT_OPTIONS`) as the pipeline's source options. Skipped lines go to `--rejected`, else
 * to `defaultRejected`; with neither, they are only counted.
 */
export function sourceOptionsOf(positionals: readonly string[], o: Values, io: CliIo, defaultRejected: RejectedTarget): RecordSourceOptions {
  const list = (v: ParsedValue | undefined): string[] => (Array.isArray(v) ? v : []);
  const rejected = (o.rejected as string | undefined) ?? defaultRejected;
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
    ...(o.variant ? { variant: o.variant as Variant } : {}),
    ...(typeof o["passphrase-file"] === "string" ? { passphraseFile: o["passphrase-file"] } : {}),
    env: io.env,
    stdin: io.stdin,
    ...(io.signal ? { signal: io.signal } : {}),
    onInvalid: o["on-invalid"] === "skip" ? "skip" : "fail",
    ...(rejected !== undefined ? { rejected } : {}),
    ...(typeof o["max-line-bytes"] === "number" ? { maxLineBytes: o["max-line-bytes"] } : {}),
  };
}
