import { createHash } from "node:crypto";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError, OptionError } from "@lmsynth/schema";
import { ManifestMismatchError, openDatasetFolder } from "@lmsynth/hub-folder";
import { publishFolder, publishFolderIter, resolveHubToken, type PublishEvent } from "../src/index.js";
import { duckdbRows } from "../../sinks/test/read-back.js";
// @ts-expect-error: a plain .mjs test helper shared with the CLI tests, without type declarations
import { startFakeHub } from "../../../test-fixtures/fake-hub.mjs";
import { SFT_DPO } from "../../hub-folder/test/folder-configs.js";

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
    const landed = { oid: "c0ffee", url: `${hubUrl}/datasets/alice/synth/commit/c0ffee` };
    // The data files first, the card and the manifest last.
    const sent = [...[...files].slice(2), ...[...files].slice(0, 2)];
    expect(step.value).toEqual({
      repo: "alice/synth",
      dryRun: false,
      deleted: [],
      skipped: [],
      created: true,
      files: sent.map(([path, bytes]) => ({ path, bytes: bytes.byteLength })),
      commits: [landed],
      commit: landed,
      gated: "auto",
      public: false,
    });
    expect(received.created).toMatchObject({ name: "synth", organization: "alice", type: "dataset", visibility: "private" });
    // A new private repo is gated too, so that making it public later keeps the gate; the card was validated
    // before anything was created.
    expect(received.settings).toEqual([{ gated: "auto" }]);
    expect(received.validated).toBe(files.get("README.md")!.toString("utf8"));
    expect(received.requests.slice(0, 5)).toEqual([
      "POST /api/validate-yaml",
      "GET /api/datasets/alice/synth",
      "POST /api/repos/create",
      "PUT /api/datasets/alice/synth/settings",
      "POST /api/datasets/alice/synth/preupload/main",
    ]);
    // The token goes to the Hub API only, never to the storage URLs the LFS batch hands out.
    expect(received.authorizations).toEqual({ api: new Set([`Bearer ${TOKEN}`]), storage: new Set([undefined]) });
    expect(events.filter((e) => e.event === "phase").map((e) => (e as { phase: string }).phase)).toEqual([
      "verifying",
      "validating",
      "creating-repo",
      "gating",
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
    expect(received.requests[1]).toBe("GET /api/datasets/alice/synth");
    expect(received.requests.at(-1)).toBe("POST /api/datasets/alice/synth/commit/main");
  });

  it("lists the files and sends nothing on a dry run, without a token", async () => {
    const { hubUrl, received } = await start(false);
    const result = await publishFolder(dir, { repo: "alice/synth", hubUrl, dryRun: true });
    expect(result).toEqual({
      repo: "alice/synth",
      dryRun: true,
      deleted: [],
      skipped: [],
      commits: [],
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

describe("publishFolder: gating, the card's YAML, commits of at most 100 files (issue 27)", () => {
  /** A folder of `n` shards per format (two formats), so that a publish needs several commits. */
  async function manyShards(n: number): Promise<string> {
    const many = join(parent, "many");
    const folder = await openDatasetFolder(many, { configs: SFT_DPO, formats: ["parquet", "jsonl"], maxShardBytes: 1024 });
    for (let i = 0; i < n; i++) await folder.write("sft", { conversation_id: `m${i}`, messages: [{ role: "user", content: `q${i} ${"x".repeat(900)}` }, { role: "assistant", content: `a${i}` }] });
    await folder.close({ tool: "lmsynth", version: "0.1.0", command: "lmsynth build x -o many", options: {}, inputs: [], records: n, funnel: {} });
    return many;
  }
  const drain = async (iterator: AsyncGenerator<PublishEvent, unknown>): Promise<PublishEvent[]> => {
    const events: PublishEvent[] = [];
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) events.push(step.value);
    return events;
  };

  it("public: creates the repo private, gates it before any data, fills it in commits of at most 100, makes it public last", async () => {
    const { hubUrl, received } = await start(false);
    const many = await manyShards(120);
    const events = await drain(publishFolderIter(many, { repo: "alice/synth", token: TOKEN, hubUrl, public: true, gated: "manual" }));
    const gate = received.requests.indexOf("PUT /api/datasets/alice/synth/settings");
    expect(gate).toBeLessThan(received.requests.indexOf("POST /api/datasets/alice/synth/preupload/main"));
    expect(received.settings).toEqual([{ gated: "manual" }, { private: false }]);
    expect(received.created).toMatchObject({ visibility: "private" });
    // 120 shards in two formats, then the card and the manifest: 100, 100, then 40 and the 2.
    const sizes = received.commits.map((c: Array<{ key: string }>) => c.filter((l) => l.key !== "header").length);
    expect(sizes).toEqual([100, 100, 42]);
    expect(received.commits.at(-1)!.slice(-2).map((l: { value: { path: string } }) => l.value.path)).toEqual(["README.md", "manifest.json"]);
    expect(events.filter((e) => e.event === "commit").map((e) => `${(e as { index: number }).index}/${(e as { count: number }).count}`)).toEqual(["1/3", "2/3", "3/3"]);
    expect(events.find((e) => e.event === "gate")).toEqual({ event: "gate", gated: "manual" });
  });

  it("public, and the token cannot set the gate: refused before anything is uploaded", async () => {
    const hubNow = await startFakeHub("alice/synth", false);
    hub = hubNow;
    hubNow.refuseSettings = "gated";
    const error = await publishFolder(dir, { repo: "alice/synth", token: TOKEN, hubUrl: hubNow.hubUrl, public: true }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'alice/synth: the Hub refused the settings {"gated":"auto"}: HTTP 403: You are not allowed to change gated: nothing uploaded; a public repo is published gated (--no-gate publishes it ungated)',
    );
    expect(hubNow.received.commits).toEqual([]);
    expect(hubNow.received.requests.filter((r: string) => r.includes("preupload") || r.includes("commit"))).toEqual([]);
  });

  it("private, and the Hub refuses the gate: published, and the result says it is ungated", async () => {
    const hubNow = await startFakeHub("alice/synth", false);
    hub = hubNow;
    hubNow.refuseSettings = "gated";
    const events = await drain(publishFolderIter(dir, { repo: "alice/synth", token: TOKEN, hubUrl: hubNow.hubUrl }));
    expect(events.find((e) => e.event === "gate")).toEqual({ event: "gate", gated: false, reason: 'alice/synth: the Hub refused the settings {"gated":"auto"}: HTTP 403: You are not allowed to change gated' });
    expect(hubNow.received.commits).toHaveLength(1);
  });

  it("a card whose YAML the Hub refuses: nothing created, nothing sent; warnings are passed on; no endpoint is noted and skipped", async () => {
    const hubNow = await startFakeHub("alice/synth", false);
    hub = hubNow;
    hubNow.yamlErrors = ['"configs[0].data_files" must be an array'];
    await expect(publishFolder(dir, { repo: "alice/synth", token: TOKEN, hubUrl: hubNow.hubUrl })).rejects.toThrow('README.md: the Hub refuses its YAML: "configs[0].data_files" must be an array: nothing sent');
    expect(hubNow.received.requests).toEqual(["POST /api/validate-yaml"]);
    hubNow.yamlErrors = [];
    hubNow.yamlWarnings = ["size_categories is not one of the Hub's"];
    const warned = await drain(publishFolderIter(dir, { repo: "alice/synth", token: TOKEN, hubUrl: hubNow.hubUrl }));
    expect(warned.filter((e) => e.event === "note")).toEqual([{ event: "note", message: "README.md: size_categories is not one of the Hub's" }]);
    hubNow.validateYaml = false;
    const skipped = await drain(publishFolderIter(dir, { repo: "alice/synth", token: TOKEN, hubUrl: hubNow.hubUrl, force: true }));
    expect(skipped.filter((e) => e.event === "note")).toEqual([{ event: "note", message: `${hubNow.hubUrl} offers no card validation (POST /api/validate-yaml: 404): skipped` }]);
  });

  it("--no-gate: public and ungated, only when asked", async () => {
    const { hubUrl, received } = await start(false);
    const result = await publishFolder(dir, { repo: "alice/synth", token: TOKEN, hubUrl, public: true, gated: false });
    expect(received.settings).toEqual([{ private: false }]);
    expect([result.gated, result.public]).toEqual([false, true]);
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
