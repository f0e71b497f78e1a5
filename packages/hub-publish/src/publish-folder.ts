import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { CommitOperation } from "@huggingface/hub";
import { InputError, OptionError, redactSecrets } from "@lmsynth/schema";
import { UNLISTED_FILES, parseManifest, verifyManifest, type DatasetManifest } from "@lmsynth/hub-folder";
import { PublishError } from "./errors.js";
import { updateRepoSettings, validateCardYaml, type HubCall } from "./hub-settings.js";

/** Options of {@link publishFolderIter}. */
export interface PublishOptions {
  /** Dataset repo, `owner/name`. Required. */
  repo: string;
  /** Hub token (`hf_…`); required unless `dryRun`. Never printed, never part of an error message. */
  token?: string;
  /** Hub endpoint (`--hub-url`). Default `https://huggingface.co`. */
  hubUrl?: string;
  /**
   * Make the repo public, gated (see `gated`): a new repo is created private, gated, filled, and made public
   * last, so that it is never public without its gate, and an interrupted publish leaves it private. Default
   * false: private, since every row holds text under the LMSYS-Chat-1M Dataset License Agreement (an
   * existing repo keeps its visibility).
   */
  public?: boolean;
  /**
   * The gate set before any data is committed: `auto` (access granted on accepting the terms) or `manual`
   * (the owner approves each request); `false` sets none. Default `auto`. With `public` a gate that cannot be
   * set stops the publish; a private repo whose gate the Hub refuses is published ungated, and the result
   * says so.
   */
  gated?: "auto" | "manual" | false;
  /** Verify the folder and list what would be sent; no network. Default false. */
  dryRun?: boolean;
  /** Commit title. Default `Upload dataset built with lmsynth`. */
  commitTitle?: string;
  /** Send every file and delete the remote's others even when the remote does not match its own
   * `manifest.json` (changed by hand, or not a folder lmsynth published). Default false: refuse. */
  force?: boolean;
  /** Checked between steps and passed to the uploads. */
  signal?: AbortSignal;
}

/** Progress of a publish: its phases, what it learnt, per-file hashing/upload progress from 0 to 1 (hub's
 * events), and each commit as it lands. */
export type PublishEvent =
  | { event: "phase"; phase: "verifying" | "validating" | "creating-repo" | "gating" | "comparing" | "preuploading" | "uploadingLargeFiles" | "committing" }
  | { event: "note"; message: string }
  | { event: "gate"; gated: "auto" | "manual" | false; reason?: string }
  | { event: "fileProgress"; path: string; progress: number; state: "hashing" | "uploading" | "error" }
  | { event: "commit"; index: number; count: number; files: number; deleted: number; url: string };

/** What a publish sent (or would send, with `dryRun`). */
export interface PublishResult {
  repo: string;
  dryRun: boolean;
  /** True when the repo did not exist and was created. */
  created: boolean;
  /** Files sent (or to send) in upload order: `README.md`, `manifest.json`, then the manifest's files.
   * Paths relative. Against a remote published before, only the files whose sha256 differs from its
   * manifest's. */
  files: { path: string; bytes: number }[];
  /** Remote files the commit deletes (listed in the remote's manifest, not in the folder's). */
  deleted: string[];
  /** Files of the folder the remote holds already with the same sha256 (an interrupted publish's). */
  skipped: string[];
  /** The commits, in order (at most {@link MAX_FILES_PER_COMMIT} files each); none for a dry run or a
   * remote that holds the folder. */
  commits: Array<{ oid: string; url: string }>;
  /** The last commit; absent when there was none. */
  commit?: { oid: string; url: string };
  /** The gate the repo has now (`false`: none); absent for a dry run. */
  gated?: "auto" | "manual" | false;
  /** Whether the repo is public once the publish is done; absent for a dry run. */
  public?: boolean;
}

/** The Hub recommends 50–100 files per commit, and times a commit request out after 60 s. */
export const MAX_FILES_PER_COMMIT = 100;

/**
 * Publishes a built folder to a Hub dataset repo (behaviour.md §7), hub's `commitIter` style: yields
 * {@link PublishEvent}s and returns a {@link PublishResult}; {@link publishFolder} drains it. First checks
 * `manifest.json` against the folder (sizes and sha256 of every file, nothing unlisted besides `README.md`
 * and `manifest.json`); then, unless `dryRun`, creates the repo (private unless `public`) when missing and
 * uploads every file in one commit with `@huggingface/hub` (LFS for what the Hub's preupload marks so; Xet
 * when the server offers it). A repo that exists must match its own `manifest.json` (every listed file there
 * with its size, and its sha256 for LFS files; nothing unlisted), unless `force`: then one commit sends only
 * the files whose sha256 changed, with `README.md` and `manifest.json`, and deletes the files the folder no
 * longer lists (after `deleteIds`, the rewritten shards). Nothing changed: no commit.
 * @throws ManifestMismatchError when the folder does not match its manifest (nothing is sent).
 * @throws OptionError when the repo name is not `owner/name` or the token is missing or malformed.
 * @throws PublishError when the network or the Hub fails a request (one line, the token redacted), or the
 * remote does not match its manifest and `force` is off (nothing is sent).
 */
export async function* publishFolderIter(
  dir: string,
  options: PublishOptions,
): AsyncGenerator<PublishEvent, PublishResult> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(options.repo)) {
    throw new OptionError(`repo must be owner/name, got ${JSON.stringify(options.repo)}`);
  }
  yield { event: "phase", phase: "verifying" };
  const manifest = await verifyManifest(dir);
  const files: { path: string; bytes: number }[] = [];
  for (const path of UNLISTED_FILES) {
    const bytes = await readFile(join(dir, path)).then(
      (data) => data.byteLength,
      () => undefined,
    );
    if (bytes !== undefined) files.push({ path, bytes });
  }
  for (const file of manifest.files) files.push({ path: file.path, bytes: file.bytes });
  if (options.dryRun) return { repo: options.repo, dryRun: true, created: false, files, deleted: [], skipped: [], commits: [] };

  const accessToken = options.token;
  if (!accessToken) throw new OptionError("publish needs a Hub token: set HF_TOKEN or pass --token-file");
  checkTokenShape(accessToken);
  try {
    return yield* sendFolder(dir, manifest, files, options, accessToken);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw publishErrorOf(error, options.hubUrl ?? "https://huggingface.co", accessToken);
  }
}

/**
 * The network half of {@link publishFolderIter}: the card's YAML validated, the repo created (private) when
 * missing, its gate set, the files the remote lacks committed in commits of at most
 * {@link MAX_FILES_PER_COMMIT} (data first; `manifest.json` and `README.md` last, with the deletions, so that a
 * repo whose card is there is complete), then made public when asked.
 */
async function* sendFolder(
  dir: string,
  manifest: DatasetManifest,
  all: PublishResult["files"],
  options: PublishOptions,
  accessToken: string,
): AsyncGenerator<PublishEvent, PublishResult> {
  const repo = { type: "dataset" as const, name: options.repo };
  const call = { hubUrl: options.hubUrl ?? "https://huggingface.co", accessToken };
  const hub = { hubUrl: options.hubUrl, accessToken };
  options.signal?.throwIfAborted();
  yield { event: "phase", phase: "validating" };
  const verdict = await validateCardYaml(call, await readFile(join(dir, "README.md"), "utf8"));
  if (!verdict) yield { event: "note", message: `${call.hubUrl} offers no card validation (POST /api/validate-yaml: 404): skipped` };
  else {
    for (const warning of verdict.warnings) yield { event: "note", message: `README.md: ${warning}` };
    if (verdict.errors.length > 0) throw new PublishError(`README.md: the Hub refuses its YAML: ${verdict.errors.join("; ")}: nothing sent`);
  }

  // Loaded here, not with the package: every command loads the pipeline, and only publish talks to the Hub.
  const { commitIter, createRepo, repoExists } = await import("@huggingface/hub");
  let created = false;
  let remote: RemoteState | undefined;
  if (!(await repoExists({ repo, ...hub }))) {
    yield { event: "phase", phase: "creating-repo" };
    // Private until the end, whatever `public` says: never public without its gate, or half filled.
    await createRepo({ repo, ...hub, visibility: "private" });
    created = true;
  } else {
    yield { event: "phase", phase: "comparing" };
    remote = await remoteState(options.repo, call.hubUrl, accessToken);
  }
  const gated = yield* setGate(call, options);

  // What the remote holds already (an interrupted publish's files) is not sent again.
  const local = new Map(manifest.files.map((f) => [f.path, f]));
  const there = (path: string): boolean => {
    const sha256 = remote?.files.get(path)?.sha256;
    return sha256 !== undefined && sha256 === local.get(path)?.sha256;
  };
  let deleted: string[] = [];
  if (remote) {
    // Files of this folder that an interrupted publish left are not changes by hand.
    const problems = mismatches(remote, new Set([...remote.files.keys()].filter(there)));
    if (problems.length > 0 && !options.force) {
      throw new PublishError(
        `${options.repo}: the remote does not match ${remote.manifest ? "its own manifest.json" : "a folder lmsynth published (it has no manifest.json)"} ` +
          `(${problems.slice(0, 5).join(", ")}${problems.length > 5 ? ", …" : ""}): nothing sent; --force replaces it with this folder`,
      );
    }
    const listed = options.force || !remote.manifest ? [...remote.files.keys()] : remote.manifest.files.map((f) => f.path);
    deleted = listed.filter((p) => !local.has(p) && !KEPT_REMOTE.has(p));
  }
  const skipped = manifest.files.filter((f) => there(f.path)).map((f) => f.path);
  const data = all.filter((f) => local.has(f.path) && !there(f.path));
  const unchanged = remote?.manifestText === (await readFile(join(dir, "manifest.json"), "utf8"));
  const last = data.length === 0 && deleted.length === 0 && unchanged ? [] : all.filter((f) => !local.has(f.path));
  const commits: PublishResult["commits"] = [];
  const batches = commitBatches(data, last, deleted);
  for (const [index, batch] of batches.entries()) {
    options.signal?.throwIfAborted();
    const operations: CommitOperation[] = [
      ...batch.files.map(({ path }): CommitOperation => ({ operation: "addOrUpdate", path, content: pathToFileURL(join(dir, ...path.split("/"))) })),
      ...batch.deleted.map((path): CommitOperation => ({ operation: "delete", path })),
    ];
    const title = options.commitTitle ?? "Upload dataset built with lmsynth";
    const output = yield* commitIter({ repo, ...hub, title: batches.length > 1 ? `${title} (${index + 1}/${batches.length})` : title, operations, abortSignal: options.signal });
    if (output) commits.push({ oid: output.commit.oid, url: output.commit.url });
    yield { event: "commit", index: index + 1, count: batches.length, files: batch.files.length, deleted: batch.deleted.length, url: output?.commit.url ?? "" };
  }
  if (options.public) await updateRepoSettings(call, options.repo, { private: false });
  return {
    repo: options.repo,
    dryRun: false,
    created,
    files: [...data, ...last],
    deleted,
    skipped,
    commits,
    ...(commits.length > 0 ? { commit: commits.at(-1)! } : {}),
    gated,
    public: options.public === true,
  };
}

/** The data files, then the deletions, in commits of at most {@link MAX_FILES_PER_COMMIT}; `last` (the card and
 * the manifest) in the final one, or one of its own when that is full. */
function commitBatches(data: PublishResult["files"], last: PublishResult["files"], deleted: string[]): Array<{ files: PublishResult["files"]; deleted: string[] }> {
  const operations = [...data.map((file) => ({ file })), ...deleted.map((path) => ({ path }))];
  const batches: Array<{ files: PublishResult["files"]; deleted: string[] }> = [];
  for (let i = 0; i < operations.length; i += MAX_FILES_PER_COMMIT) {
    const chunk = operations.slice(i, i + MAX_FILES_PER_COMMIT);
    batches.push({ files: chunk.flatMap((o) => ("file" in o ? [o.file] : [])), deleted: chunk.flatMap((o) => ("path" in o ? [o.path] : [])) });
  }
  const tail = batches.at(-1);
  if (tail && tail.files.length + tail.deleted.length + last.length <= MAX_FILES_PER_COMMIT) tail.files.push(...last);
  else if (last.length > 0) batches.push({ files: [...last], deleted: [] });
  return batches;
}

/** Sets the gate of `options` (before any data): refused with `public`, said and skipped without. */
async function* setGate(call: HubCall, options: PublishOptions): AsyncGenerator<PublishEvent, "auto" | "manual" | false> {
  const gated = options.gated ?? "auto";
  if (gated === false) {
    yield { event: "gate", gated: false, reason: "asked (--no-gate)" };
    return false;
  }
  yield { event: "phase", phase: "gating" };
  try {
    await updateRepoSettings(call, options.repo, { gated });
  } catch (error) {
    if (options.public) throw new PublishError(`${(error as Error).message}: nothing uploaded; a public repo is published gated (--no-gate publishes it ungated)`, { cause: error });
    yield { event: "gate", gated: false, reason: (error as Error).message };
    return false;
  }
  yield { event: "gate", gated };
  return gated;
}

/** Remote files that are not the folder's: the Hub's own. */
const IGNORED_REMOTE = new Set([".gitattributes"]);
/** Never deleted, whatever a remote manifest lists: the card, the manifest, the Hub's LFS rules. */
const KEPT_REMOTE = new Set<string>([...UNLISTED_FILES, ...IGNORED_REMOTE]);
/** A manifest lists files, not rows: even a million shards stay far below this. */
const MAX_REMOTE_MANIFEST_BYTES = 64 * 1024 * 1024;

/** The remote's files (size, and sha256 for LFS files) and its `manifest.json`, if it has one. */
interface RemoteState {
  files: Map<string, { size: number; sha256?: string }>;
  manifest: DatasetManifest | undefined;
  manifestText: string | undefined;
}

async function remoteState(repo: string, hubUrl: string, accessToken: string): Promise<RemoteState> {
  const files = new Map<string, { size: number; sha256?: string }>();
  const { listFiles } = await import("@huggingface/hub");
  for await (const entry of listFiles({ repo: { type: "dataset", name: repo }, recursive: true, hubUrl, accessToken })) {
    if (entry.type === "file") files.set(entry.path, { size: entry.size, ...(entry.lfs ? { sha256: entry.lfs.oid } : {}) });
  }
  const listed = files.get("manifest.json");
  if (!listed) return { files, manifest: undefined, manifestText: undefined };
  // The tree says how large it is: read no more than that (a server may send more), and nothing absurd.
  if (listed.size > MAX_REMOTE_MANIFEST_BYTES) {
    throw new PublishError(`${repo}: the remote manifest.json is ${listed.size} bytes, more than a manifest of lmsynth's can be (${MAX_REMOTE_MANIFEST_BYTES}): nothing sent`);
  }
  const response = await fetch(`${hubUrl}/datasets/${repo}/resolve/main/manifest.json`, { headers: { Authorization: `Bearer ${accessToken}` } });
  if (!response.ok) throw new Error(`cannot read the remote manifest.json: HTTP ${response.status}`);
  const manifestText = await readCapped(response, listed.size, repo);
  let manifest: DatasetManifest | undefined;
  try {
    manifest = parseManifest(manifestText);
  } catch {
    manifest = undefined;
  }
  return { files, manifest, manifestText };
}

/** The body of `response` as UTF-8, refused once it grows past `size`, the length the tree gave. */
async function readCapped(response: Response, size: number, repo: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body ?? []) {
    length += chunk.byteLength;
    if (length > size) {
      await response.body?.cancel().catch(() => {});
      throw new PublishError(`${repo}: the remote manifest.json is longer than the ${size} bytes its tree entry says: nothing sent`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Where the remote's files differ from its manifest (or, without one, every file but the Hub's own): missing,
 * other size or sha256 (LFS), or unlisted. A file in `ours` (the folder's own, left by an interrupted
 * publish) is none of these.
 */
function mismatches(remote: RemoteState, ours: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const listed = new Set<string>([...UNLISTED_FILES, ...IGNORED_REMOTE, ...ours]);
  for (const f of remote.manifest?.files ?? []) {
    listed.add(f.path);
    const file = remote.files.get(f.path);
    if (!file) problems.push(`${f.path} missing`);
    else if (!ours.has(f.path) && (file.size !== f.bytes || (file.sha256 !== undefined && file.sha256 !== f.sha256))) problems.push(`${f.path} differs`);
  }
  for (const path of remote.files.keys()) if (!listed.has(path)) problems.push(`${path} unlisted`);
  return problems;
}

/**
 * Any failure of the network half as one line that never holds the token: an abort passes through, a
 * network failure names its cause (`ECONNREFUSED 127.0.0.1:9`), the Hub's own answer keeps its words.
 */
function publishErrorOf(error: unknown, hubUrl: string, token: string): unknown {
  if (error instanceof OptionError || error instanceof PublishError || (error instanceof Error && error.name === "AbortError")) return error;
  const messages: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    messages.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  const [first = "", ...causes] = messages;
  // fetch reports every network failure as "fetch failed"; what happened is in its cause.
  const message = first === "fetch failed" ? `cannot reach ${hubUrl}: ${causes.join(": ") || first}` : `${hubUrl}: ${first}`;
  return new PublishError(redactSecrets(message, token).replace(/\s*\n\s*/g, " ").trim(), { cause: error });
}

/**
 * A token is one line, `hf_` then letters and digits: anything else (white space, a second line) is a
 * usage error whose message never repeats the token.
 */
function checkTokenShape(token: string): void {
  if (/\s/.test(token)) throw new OptionError("the Hub token holds white space or more than one line (it is not shown): a token is one line starting with hf_");
  // Checked here so hub's TypeError (which is fine) never becomes the user's only clue.
  if (!token.startsWith("hf_")) throw new OptionError("the Hub token must start with hf_ (it is not shown)");
}

/** Drains {@link publishFolderIter} without progress. Same result and errors. */
export async function publishFolder(dir: string, options: PublishOptions): Promise<PublishResult> {
  const iterator = publishFolderIter(dir, options);
  for (;;) {
    const step = await iterator.next();
    if (step.done) return step.value;
  }
}

/** Options of {@link resolveHubToken}. */
export interface ResolveHubTokenOptions {
  /** File holding the token (`--token-file`); exactly one trailing newline is stripped. Wins over `env`. */
  tokenFile?: string;
  /** Environment to read `HF_TOKEN` from. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * The Hub token from `--token-file` or `HF_TOKEN` (behaviour.md §7), or undefined when neither is set.
 * Never on the command line, so it never lands in shell history or `ps`.
 * @throws InputError (`io`) when the token file cannot be read; the message never contains the token.
 */
export async function resolveHubToken(options: ResolveHubTokenOptions = {}): Promise<string | undefined> {
  if (options.tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(options.tokenFile, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      throw new InputError(options.tokenFile, undefined, "io", `cannot read token file (${code})`, { cause: error });
    }
    const token = text.replace(/\r?\n$/, "");
    checkTokenShape(token);
    return token;
  }
  const token = (options.env ?? process.env).HF_TOKEN;
  if (token === undefined || token === "") return undefined;
  checkTokenShape(token);
  return token;
}
