import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { recoverInterruptedOutput } from "@lmsynth/schema";
import { datasetLicenses, publishFolderIter, resolveHubToken, type DatasetManifest } from "@lmsynth/shards";

import { GENERAL_OPTIONS } from "../common-options.js";
import type { CliIo } from "../io.js";
import { parseOptions, type OptionTable } from "../option-table.js";
import { noProgress } from "../summary.js";
import { UsageError } from "../usage-error.js";

export const TABLE = {
  repo: { type: "string", arg: "owner/name", description: "Hub dataset repository (created when missing)" },
  "token-file": { type: "string", arg: "file", description: "file holding the Hub token (or env HF_TOKEN); never printed" },
  "hub-url": { type: "string", arg: "url", description: "Hub endpoint (default: env HF_ENDPOINT, else https://huggingface.co)" },
  private: { type: "boolean", description: "create the repository private (the default)" },
  public: { type: "boolean", description: "create the repository public; prints the licences the data carries first" },
  "dry-run": { type: "boolean", description: "verify the folder and list what would be sent; no network" },
  force: { type: "boolean", description: "replace a remote that does not match its own manifest.json (changed by hand, or not published by lmsynth)" },
  message: { type: "string", arg: "text", description: "commit title" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth publish <dir> --repo owner/name";
export const SUMMARY =
  "Uploads a folder written by `lmsynth build` to a Hub dataset repo in one commit, after checking every file against manifest.json; to a repo published before, only the files that changed (README: \"Publish\").";

/** The licences of a built folder's data, from its manifest, as lines for stderr. */
async function licenceNotice(dir: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8").catch(() => "{}")) as Partial<DatasetManifest>;
  const card = manifest.card;
  const licences = datasetLicenses(card?.variants ?? card?.variant);
  return [
    "publishing publicly: the data carries these licences, and the rows hold LMSYS-Chat-1M text in the clear:",
    ...licences.map((l) => `  ${l.name} (${l.url}): ${l.covers}`),
    "",
  ].join("\n");
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values: o, positionals } = parseOptions(TABLE, argv);
  if (positionals.length !== 1) throw new UsageError("publish takes one folder (the -o of lmsynth build)");
  if (typeof o.repo !== "string") throw new UsageError("missing --repo owner/name");
  if (o.public === true && o.private === true) throw new UsageError("--public and --private together: choose one");
  // A folder whose swap a killed delete-ids or build --overwrite left half done: finish it before reading.
  for (const line of await recoverInterruptedOutput(resolve(positionals[0]!))) io.stderr.write(`note: ${line}\n`);
  // Public is a choice to make knowing what the rows carry: say it before anything is sent.
  if (o.public === true && o["dry-run"] !== true) io.stderr.write(await licenceNotice(positionals[0]!));
  const token = await resolveHubToken({ ...(o["token-file"] ? { tokenFile: o["token-file"] } : {}), env: io.env });
  const quiet = noProgress(o);
  const tty = io.stderr.isTTY === true && !quiet;
  const events = publishFolderIter(positionals[0]!, {
    repo: o.repo,
    hubUrl: (o["hub-url"]) ?? (io.env.HF_ENDPOINT || "https://huggingface.co"),
    ...(token ? { token } : {}),
    ...(o.public === true ? { public: true } : {}),
    ...(o["dry-run"] ? { dryRun: true } : {}),
    ...(o.force === true ? { force: true } : {}),
    ...(typeof o.message === "string" ? { commitTitle: o.message } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  });
  let step = await events.next();
  while (!step.done) {
    const e = step.value;
    if (!quiet && e.event === "phase") io.stderr.write(`${e.phase}…\n`);
    else if (tty && e.event === "fileProgress") io.stderr.write(`\r${e.state} ${e.path} ${(e.progress * 100).toFixed(0)}%\x1b[K`);
    step = await events.next();
  }
  const result = step.value;
  if (tty) io.stderr.write("\r\x1b[K");
  if (o.json) io.stdout.write(JSON.stringify(result, null, 2) + "\n");
  else if (o.silent !== true) {
    const verb = result.dryRun ? "would upload" : "uploaded";
    for (const f of result.files) io.stderr.write(`${verb} ${f.path} (${f.bytes} bytes)\n`);
    for (const path of result.deleted) io.stderr.write(`deleted ${path}\n`);
    io.stderr.write(
      result.commit
        ? `committed ${result.commit.url}\n`
        : result.dryRun
          ? `dry run: ${result.files.length} files to ${result.repo}, nothing sent\n`
          : `${result.repo} already holds this folder: nothing sent\n`,
    );
  }
  return 0;
}
