import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { recoverInterruptedOutput } from "@lmsynth/schema";
import { datasetLicenses, parseManifest, publishFolderIter, resolveHubToken } from "@lmsynth/shards";

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
  public: { type: "boolean", description: "make the repository public, gated; prints the licences the data carries first" },
  gated: { type: "string", choices: ["auto", "manual"] as const, default: "auto", description: "access requests granted on accepting the terms (auto) or approved by the owner (manual)" },
  gate: { type: "boolean", description: "--no-gate: set no gate (with --public: public and ungated, only when asked)" },
  "dry-run": { type: "boolean", description: "verify the folder and list what would be sent; no network" },
  force: { type: "boolean", description: "replace a remote that does not match its own manifest.json (changed by hand, or not published by lmsynth)" },
  message: { type: "string", arg: "text", description: "commit title" },
  ...GENERAL_OPTIONS,
} satisfies OptionTable;

export const USAGE = "lmsynth publish <dir> --repo owner/name";

/** What each gate means for the people who ask for the data. */
const GATES: Record<string, string> = {
  auto: "gated: auto (access is granted once a user accepts the LMSYS-Chat-1M terms)",
  manual: "gated: manual (you approve each access request)",
  false: "not gated",
};
export const SUMMARY =
  "Uploads a folder written by `lmsynth build` to a Hub dataset repo, after checking every file against manifest.json and the card's YAML with the Hub: gated before any data, in commits of at most 100 files, the card last; to a repo published before (or half published), only what it lacks (README: \"Publish\").";

/** The licences of a built folder's data, from its manifest, as lines for stderr. */
async function licenceNotice(dir: string): Promise<string> {
  // Before the folder is verified: a manifest that is missing or not valid names no licence here, and the
  // verification then stops the publish.
  const card = await readFile(join(dir, "manifest.json"), "utf8").then(parseManifest).then((m) => m.card, () => undefined);
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
    gated: o.gate === false ? false : (o.gated ?? "auto"),
    ...(o["dry-run"] ? { dryRun: true } : {}),
    ...(o.force === true ? { force: true } : {}),
    ...(typeof o.message === "string" ? { commitTitle: o.message } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  });
  let step = await events.next();
  while (!step.done) {
    const e = step.value;
    if (!quiet && e.event === "phase") io.stderr.write(`${e.phase}…\n`);
    else if (e.event === "note" && o.silent !== true) io.stderr.write(`note: ${e.message}\n`);
    else if (e.event === "gate" && o.silent !== true) io.stderr.write(`${GATES[String(e.gated)]}${e.reason ? ` (${e.reason})` : ""}\n`);
    else if (e.event === "commit" && !quiet) io.stderr.write(`${tty ? "\r\x1b[K" : ""}commit ${e.index}/${e.count}: ${e.files} files${e.deleted ? `, ${e.deleted} deleted` : ""} ${e.url}\n`);
    else if (tty && e.event === "fileProgress") io.stderr.write(`\r${e.state} ${e.path} ${(e.progress * 100).toFixed(0)}%\x1b[K`);
    step = await events.next();
  }
  const result = step.value;
  if (tty) io.stderr.write("\r\x1b[K");
  if (o.json) io.stdout.write(JSON.stringify(result, null, 2) + "\n");
  else if (o.silent !== true) {
    const verb = result.dryRun ? "would upload" : "uploaded";
    for (const f of result.files) io.stderr.write(`${verb} ${f.path} (${f.bytes} bytes)\n`);
    if (result.skipped.length > 0) io.stderr.write(`skipped ${result.skipped.length} files the remote holds already (an interrupted publish's): ${result.skipped.join(", ")}\n`);
    for (const path of result.deleted) io.stderr.write(`deleted ${path}\n`);
    io.stderr.write(
      result.commit
        ? `committed ${result.commits.length === 1 ? result.commit.url : `${result.commits.length} commits, the last ${result.commit.url}`}\n`
        : result.dryRun
          ? `dry run: ${result.files.length} files to ${result.repo}, nothing sent\n`
          : `${result.repo} already holds this folder: nothing sent\n`,
    );
    if (!result.dryRun) io.stderr.write(`${result.repo} is ${result.public ? "public" : "private"}, ${result.gated ? `gated (${result.gated})` : "not gated"}\n`);
  }
  return 0;
}
