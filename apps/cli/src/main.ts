import { readFileSync } from "node:fs";
import { InterruptedError, OptionError, redactSecrets } from "@lmsynth/schema";
import { formatHelp, type OptionTable } from "./option-table.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./usage-error.js";

/** A subcommand module: its option table (for `--help`) and its runner, which returns the exit code. */
export interface CommandModule {
  TABLE: OptionTable;
  USAGE: string;
  SUMMARY: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

// Loaded lazily, so `--help` and a usage error stay instant.
const COMMANDS: Record<string, { about: string; load: () => Promise<CommandModule> }> = {
  build: { about: "the main job: SFT + DPO (+ KTO) shards in every layout, dataset card and manifest for the Hub, in one pass", load: () => import("./commands/build.js") },
  sft: { about: "SFT conversations (best-of-n and more) as JSONL", load: () => import("./commands/sft.js") },
  dpo: { about: "DPO preference pairs from the judge scores as JSONL", load: () => import("./commands/dpo.js") },
  kto: { about: "KTO examples (desirable or not) from the judge scores as JSONL", load: () => import("./commands/kto.js") },
  render: { about: "chat-template text (Llama 3.1, Gemma 2/3, ChatML, any tokenizer_config.json)", load: () => import("./commands/render.js") },
  merge: { about: "merge the LMSYS export, Japanese instructions and synth file into one file", load: () => import("./commands/merge.js") },
  decrypt: { about: "decrypt an OpenPGP (.gpg) file, integrity-checked, atomic", load: () => import("./commands/decrypt.js") },
  inspect: { about: "detect the variant, count and validate records, print a summary", load: () => import("./commands/inspect.js") },
  report: { about: "the visual report of a build alone: funnel, scores, margins, lengths as one HTML file", load: () => import("./commands/report.js") },
  publish: { about: "upload a built folder to a Hugging Face Hub dataset repo", load: () => import("./commands/publish.js") },
  "delete-ids": {
    about: "remove conversations from a built folder in place (deletion requests), as a fresh build would",
    load: () => import("./commands/delete-ids.js"),
  },
  "merge-manifests": {
    about: "combine the folders of build --shard i/N runs into one Hub folder (counts, report, card, manifest)",
    load: () => import("./commands/merge-manifests.js"),
  },
};

export const VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

function topHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const list = Object.entries(COMMANDS).map(([c, { about }]) => `  ${c.padEnd(w)}  ${about}`);
  return `lmsynth ${VERSION}: LMSYS-Chat-1M-Synth to SFT/DPO training data\n\nUsage: lmsynth <command> [options]\n\nCommands:\n${list.join("\n")}\n\nRun 'lmsynth <command> --help' for its options.\n`;
}

/**
 * Exit codes in one place (behaviour.md §1, §9): 0 success, 1 usage error, 2 data or I/O error, 128 +
 * signal when interrupted.
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof InterruptedError) return error.exitCode;
  // A library's OptionError is a flag the user gave, as the CLI's own UsageError is.
  return error instanceof UsageError || error instanceof OptionError ? 1 : 2;
}

function isEpipe(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
}

/**
 * Runs `lmsynth` with `argv` (without node and script) against `io`; resolves to the exit code. Never
 * throws: errors are printed as `Error: …` on stderr (usage errors with a pointer to `--help`).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(topHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-V") {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr.write(`Error: unknown command '${name}'\n\n${topHelp()}`);
    return 1;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(formatHelp(command.USAGE, command.SUMMARY, command.TABLE));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isEpipe(e)) return 0;
    const code = exitCodeOf(e);
    // A stack trace only for what can only be a bug in lmsynth; every error about input, output or flags
    // carries its own message.
    const bug = !(e instanceof Error) || e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError;
    const message = bug ? String((e as Error)?.stack ?? e) : e.message;
    // No message may carry a Hub token or an Authorization header, a bug's stack trace included.
    io.stderr.write(`Error: ${redactSecrets(message)}\n`);
    if (code === 1) io.stderr.write(`Run 'lmsynth ${name} --help' for usage.\n`);
    return code;
  }
}
