import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { OptionError, recoverInterruptedOutput } from "@lmsynth/schema";
import { datasetLicenses, parseManifest } from "@lmsynth/hub-folder";
import { publishFolderIter, resolveHubToken, type PublishEvent, type PublishResult } from "@lmsynth/hub-publish";
import { GENERAL_OPTIONS, resolveOptions } from "../options/common-options.js";
import type { OptionTable } from "../options/option-spec.js";
import type { Command } from "./command.js";

const TABLE = {
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

/** The licences of a built folder's data, from its manifest, as lines for stderr. */
async function licenceNotice(dir: string): Promise<string> {
  // Before the folder is verified: a manifest that is missing or not valid names no licence here, and the
  // verification then stops the publish.
  const card = await readFile(join(dir, "manifest.json"), "utf8").then(parseManifest).then((m) => m.card, () => undefined);
  const licences = datasetLicenses(card?.variants ?? card?.variant);
  return [
    "publishing publicly: the data carries these licences, and the rows hold LMSYS-Chat-1M text in the clear:",
    ...licences.map((l) => `  ${l.name} (${l.url}): ${l.covers}`),
  ].join("\n");
}

/** What `lmsynth publish` says: the publish's events, and the licences the data carries before a public one. */
export type PublishCommandEvent = PublishEvent | { event: "licences"; message: string };

/** `lmsynth publish`: a built folder to a Hub dataset repository, verified, gated before any data. */
export const publishCommand: Command<typeof TABLE, PublishResult, PublishCommandEvent> = {
  about: "upload a built folder to a Hugging Face Hub dataset repo",
  usage: "lmsynth publish <dir> --repo owner/name",
  summary: "Uploads a folder written by `lmsynth build` to a Hub dataset repo, after checking every file against manifest.json and the card's YAML with the Hub: gated before any data, in commits of at most 100 files, the card last; to a repo published before (or half published), only what it lacks (README: \"Publish\").",
  table: TABLE,
  async *run(options, context) {
    const o = await resolveOptions(TABLE, options, context.env);
    const dir = options.inputs?.length === 1 ? options.inputs[0]! : undefined;
    if (dir === undefined) throw new OptionError("publish takes one folder (the -o of lmsynth build)");
    if (typeof o.repo !== "string") throw new OptionError("missing --repo owner/name");
    if (o.public === true && o.private === true) throw new OptionError("--public and --private together: choose one");
    // A folder whose swap a killed delete-ids or build --overwrite left half done: finish it before reading.
    for (const message of await recoverInterruptedOutput(resolve(dir))) yield { event: "note", message };
    // Public is a choice to make knowing what the rows carry: say it before anything is sent.
    if (o.public === true && o["dry-run"] !== true) yield { event: "licences", message: await licenceNotice(dir) };
    const token = await resolveHubToken({ ...(o["token-file"] ? { tokenFile: o["token-file"] } : {}), env: context.env });
    return yield* publishFolderIter(dir, {
      repo: o.repo,
      hubUrl: o["hub-url"] ?? (context.env.HF_ENDPOINT || "https://huggingface.co"),
      ...(token ? { token } : {}),
      ...(o.public === true ? { public: true } : {}),
      gated: o.gate === false ? false : (o.gated ?? "auto"),
      ...(o["dry-run"] ? { dryRun: true } : {}),
      ...(o.force === true ? { force: true } : {}),
      ...(typeof o.message === "string" ? { commitTitle: o.message } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
    });
  },
};
