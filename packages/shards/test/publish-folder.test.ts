import { createHash } from "node:crypto";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError, OptionError } from "@lmsynth/schema";
import {
  ManifestMismatchError,
  openDatasetFolder,
  publishFolder,
  publishFolderIter,
  resolveHubToken,
  type PublishEvent,
} from "../src/index.js";
import { duckdbRows } from "../../sinks/test/read-back.js";
// @ts-expect-error: a plain .mjs test helper shared with the CLI tests, without type declarations
import { startFakeHub } from "../../../test-fixtures/fake-hub.mjs";
import { SFT_DPO } from "./folder-configs.js";

const TOKEN = "hf_test_secret_token_123";

type Received = Awaited<ReturnType<typeof startFakeHub>>["received"];

let parent: string;
let dir: string;
let hub: Awaited<ReturnType<typeof startFakeHub>> | undefined;

async function start(existing = false): Promise<{ hubUrl: string; received: Received }> {
  hub = await startFakeHub("alice/synth", existing);
  return hub;
}

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), "lmsynth-publish-"));
  dir = join(parent, "out");
  // SFT rows only: the dpo config has no rows, so it has no files either.
  const folder = await openDatasetFolder(dir, { configs: SFT_DPO, formats: ["parquet", "jsonl"], testSize: 0.5 });
  for (let i = 0; i < 40; i++) {
    await folder.write("sft", { conversation_id: `c${i}`, messages: [{ role: "user", content: `q${i}` }, { role: "assistant", content: "a".repeat(i) }] });
  }
  await folder.close({ tool: "lmsynth", version: "0.1.0", command: "lmsynth build x -o out", options: {}, inputs: [], records: 40, funnel: {} });
  // The folder under test is itself right: each Parquet shard reads back as its JSONL twin.
  for (const split of ["train", "test"]) {
    for (const config of ["sft"]) {
      const path = join(dir, config, `${split}-00000-of-00001`);
      const jsonl = (await readFile(`${path}.jsonl`, "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l));
      expect(await duckdbRows(`${path}.parquet`)).toEqual(jsonl);
    }
  }
});
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await rm(parent, { recursive: true, force: true });
});

async function folderFiles(): Promise<Map<string, Buffer>> {
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { files: { path: string }[] };
  const files = new Map<string, Buffer>();
  for (const path of ["README.md", "manifest.json", ...manifest.files.map((f) => f.path)]) {
    files.set(path, await readFile(join(dir, path)));
  }
  return files;
}

describe("publishFolder", () => {
  it("creates a missing repo and commits every file, byte for byte", async () => {
    const { hubUrl, received } = await start(false);
    const events: PublishEvent[] = [];
    // No visibility given: a new repository is private.
    const iterator = publishFolderIter(dir, { repo: "alice/synth", token: TOKEN, hubUrl });
    let step = await iterator.next();
    while (!step.done) {
      events.push(step.value);
      step = await iterator.next();
    }
    const files = await folderFiles();
    expect(step.value).toEqual({
      repo: "alice/synth",
      dryRun: false,
      deleted: [],
      created: true,
      files: [...files].map(([path, bytes]) => ({ path, bytes: bytes.byteLength })),
      commit: { oid: "c0ffee", url: `${hubUrl}/datasets/alice/synth/commit/c0ffee` },
    });
    expect(received.created).toMatchObject({ name: "synth", organization: "alice", type: "dataset", visibility: "private" });
    // The token goes to the Hub API only, never to the storage URLs the LFS batch hands out.
    expect(received.authorizations).toEqual({ api: new Set([`Bearer ${TOKEN}`]), storage: new Set([undefined]) });
    expect(events.filter((e) => e.event === "phase").map((e) => (e as { phase: string }).phase)).toEqual([
      "verifying",
      "creating-repo",
      "preuploading",
      "uploadingLargeFiles",
      "committing",
    ]);

    // Every file arrived: LFS ones as PUT bodies named in the commit by oid, the others inline.
    const commit = received.commit!;
    expect(commit[0]).toEqual({ key: "header", value: { summary: "Upload dataset built with lmsynth" } });
    const arrived = new Map<string, Buffer>();
    for (const { key, value } of commit.slice(1)) {
      if (key === "lfsFile") arrived.set(value.path as string, received.lfs.get(value.oid as string));
      else if (key === "file") arrived.set(value.path as string, Buffer.from(value.content as string, "base64"));
    }
    expect([...arrived.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [path, bytes] of files) expect(arrived.get(path)?.equals(bytes), path).toBe(true);
    // Empty shards of equal bytes share one LFS object.
    const lfsFiles = [...files].filter(([path]) => path !== "README.md" && path !== "manifest.json");
    expect(new Set(received.lfs.keys())).toEqual(new Set(lfsFiles.map(([, bytes]) => createHash("sha256").update(bytes).digest("hex"))));
  });

  it("commits to an existing repo without creating it", async () => {
    const { hubUrl, received } = await start(true);
    const result = await publishFolder(dir, { repo: "alice/synth", token: TOKEN, hubUrl });
    expect(result.created).toBe(false);
    expect(received.created).toBeUndefined();
    expect(received.requests[0]).toBe("GET /api/datasets/alice/synth");
    expect(received.requests.at(-1)).toBe("POST /api/datasets/alice/synth/commit/main");
  });

  it("lists the files and sends nothing on a dry run, without a token", async () => {
    const { hubUrl, received } = await start(false);
    const result = await publishFolder(dir, { repo: "alice/synth", hubUrl, dryRun: true });
    expect(result).toEqual({
      repo: "alice/synth",
      dryRun: true,
      deleted: [],
      created: false,
      files: [...(await folderFiles())].map(([path, bytes]) => ({ path, bytes: bytes.byteLength })),
    });
    expect(received.requests).toEqual([]);
  });

  it("refuses a folder whose files do not match the manifest, before any request", async () => {
    const { hubUrl, received } = await start(false);
    await appendFile(join(dir, "sft/train-00000-of-00001.jsonl"), "{}\n");
    await expect(publishFolder(dir, { repo: "alice/synth", token: TOKEN, hubUrl })).rejects.toThrow(ManifestMismatchError);
    await expect(publishFolder(dir, { repo: "alice/synth", token: TOKEN, hubUrl, dryRun: true })).rejects.toThrow(
      `${dir}: files do not match manifest.json: sft/train-00000-of-00001.jsonl: size`,
    );
    expect(received.requests).toEqual([]);
  });

  it.each([
    [{ repo: "synth", token: TOKEN }, 'repo must be owner/name, got "synth"'],
    [{ repo: "alice/synth" }, "publish needs a Hub token: set HF_TOKEN or pass --token-file"],
    [{ repo: "alice/synth", token: "not-a-hub-token-secret" }, "the Hub token must start with hf_ (it is not shown)"],
    [{ repo: "alice/synth", token: "hf_secret\nsecond line" }, "the Hub token holds white space or more than one line (it is not shown): a token is one line starting with hf_"],
  ])("refuses %j with a OptionError that never shows the token", async (options, message) => {
    const { hubUrl, received } = await start(false);
    const error = await publishFolder(dir, { ...options, hubUrl }).catch((e: unknown) => e);
    expect(error).toEqual(new OptionError(message));
    expect(String((error as Error).message)).not.toContain("secret");
    expect(received.requests).toEqual([]);
  });
});

describe("resolveHubToken", () => {
  it.each([
    ["file wins, one trailing newline stripped", "hf_file\n", { HF_TOKEN: "hf_env" }, "hf_file"],
    ["file with CRLF", "hf_file\r\n", {}, "hf_file"],
    ["HF_TOKEN without a file", undefined, { HF_TOKEN: "hf_env" }, "hf_env"],
    ["nothing", undefined, { HF_TOKEN: "" }, undefined],
  ])("%s", async (_name, fileText, env, token) => {
    let tokenFile: string | undefined;
    if (fileText !== undefined) {
      tokenFile = join(parent, "token");
      await writeFile(tokenFile, fileText);
    }
    expect(await resolveHubToken({ tokenFile, env })).toBe(token);
  });

  it.each([
    ["a second line in the file", "hf_secret\nmore\n", {}],
    ["two trailing newlines", "hf_secret\n\n", {}],
    ["white space in HF_TOKEN", undefined, { HF_TOKEN: "hf_secret x" }],
  ])("refuses %s with a OptionError that never shows the token", async (_name, fileText, env) => {
    let tokenFile: string | undefined;
    if (fileText !== undefined) {
      tokenFile = join(parent, "token");
      await writeFile(tokenFile, fileText);
    }
    const error = await resolveHubToken({ tokenFile, env }).catch((e: unknown) => e);
    expect(error).toEqual(new OptionError("the Hub token holds white space or more than one line (it is not shown): a token is one line starting with hf_"));
  });

  it("throws InputError io for an unreadable token file, without its content", async () => {
    const tokenFile = join(parent, "missing-token");
    await expect(resolveHubToken({ tokenFile })).rejects.toThrow(new InputError(tokenFile, undefined, "io", "cannot read token file (ENOENT)"));
  });
});
