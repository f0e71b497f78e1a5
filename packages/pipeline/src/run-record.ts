import type { ParsedValue } from "./options/option-spec.js";

/** Shell-quotes an argument, so the recorded command line can be pasted back into a shell. */
function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Arguments as one shell-quoted string. */
export function quoteArgs(args: readonly string[]): string {
  return args.map(quote).join(" ");
}

/** The exact command line of a run, as the card, the manifest and the report record it. */
export function commandLine(command: string, argv: readonly string[]): string {
  return quoteArgs(["lmsynth", command, ...argv]);
}

// Not recorded: they change how a run goes or where it writes, never what it writes.
const UNRECORDED = new Set(["help", "quiet", "silent", "json", "output", "overwrite", "resume", "config", "passphrase-file", "rejected", "threads", "tokenizer-threads", "max-line-bytes"]);

/** The resolved options that decide the output, as the manifest and the report record them. */
export function recordedOptions(o: Record<string, ParsedValue | undefined>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && !UNRECORDED.has(k)));
}
