import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs test helper shared with the shards tests, without type declarations
import { startFakeHub } from "../../../test-fixtures/fake-hub.mjs";
import { fixture, runMain } from "./run-cli.js";

const TOKEN = "hf_cli_test_token_456";
const parent = mkdtempSync(join(tmpdir(), "lmsynth-publish-cli-"));
const dir = join(parent, "built");
const tokenFile = join(parent, "token");

beforeAll(async () => {
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const run = await runMain(["build", fixture("llama3.1/edge-cases.jsonl"), "-o", dir, "--test-size", "0.3", "--silent"]);
  expect(run.code).toBe(0);
});

describe("lmsynth publish", () => {
  let hub: Awaited<ReturnType<typeof startFakeHub>>;
  beforeAll(async () => {
    hub = await startFakeHub("me/synth", false);
  });
  afterAll(() => hub.close());

  it("lists the folder with --dry-run and sends nothing", async () => {
    const run = await runMain(["publish", dir, "--repo", "me/synth", "--dry-run", "--json"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { files: Array<{ path: string; bytes: number }> };
    expect(result.files).toEqual([
      { path: "README.md", bytes: readFileSync(join(dir, "README.md")).length },
      { path: "manifest.json", bytes: readFileSync(join(dir, "manifest.json")).length },
      ...manifest.files.map((f) => ({ path: f.path, bytes: f.bytes })),
    ]);
    expect(hub.received.requests).toEqual([]);
  });

  it("creates a new repo private unless --public, which first names the licences the data carries", async () => {
    for (const [flags, visibility] of [[[], "private"], [["--public"], "public"]] as const) {
      // A Hub of its own per run, so that each publish creates its repo.
      const own = await startFakeHub("me/synth", false);
      try {
        const run = await runMain(["publish", dir, "--repo", "me/synth", "--hub-url", own.hubUrl, "--token-file", tokenFile, ...flags, "--silent"]);
        expect(run.code).toBe(0);
        expect(own.received.created).toMatchObject({ visibility });
        expect(run.stderr).toBe(
          visibility === "private"
            ? ""
            : "publishing publicly: the data carries these licences, and the rows hold LMSYS-Chat-1M text in the clear:\n" +
                "  LMSYS-Chat-1M Dataset License Agreement (https://huggingface.co/datasets/lmsys/lmsys-chat-1m): user instructions (original and Japanese translations)\n" +
                "  Llama 3.1 Community License (https://www.llama.com/llama3_1/license/): assistant responses and scores generated with Llama 3.1\n",
        );
      } finally {
        await own.close();
      }
    }
  });

  it("creates the repo and commits every file byte for byte, the token only in headers", async () => {
    const run = await runMain(["publish", dir, "--repo", "me/synth", "--hub-url", hub.hubUrl, "--token-file", tokenFile, "--private", "--silent"]);
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    expect(hub.received.created).toMatchObject({ name: "synth", organization: "me", type: "dataset", visibility: "private" });
    const commit = hub.received.commit as Array<{ key: string; value: Record<string, string> }>;
    const inline = commit.filter((l) => l.key === "file").map((l) => l.value.path);
    expect(inline).toEqual(["README.md", "manifest.json"]);
    const lfs = commit.filter((l) => l.key === "lfsFile").map((l) => l.value.path);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { files: Array<{ path: string; sha256: string }> };
    expect(lfs).toEqual(manifest.files.map((f) => f.path));
    for (const f of manifest.files) expect(hub.received.lfs.get(f.sha256)).toEqual(readFileSync(join(dir, f.path)));
    expect([...hub.received.authorizations.api]).toEqual([`Bearer ${TOKEN}`]);
  });

  it("refuses a folder whose files do not match the manifest (exit 2), before any request", async () => {
    const requests = hub.received.requests.length;
    appendFileSync(join(dir, "report.html"), "\n<!-- edited -->");
    const run = await runMain(["publish", dir, "--repo", "me/synth", "--hub-url", hub.hubUrl, "--token-file", tokenFile]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^verifying…\nError: .*built: files do not match manifest\.json: report\.html: size \(manifest \d+, found \d+\)\n$/);
    expect(hub.received.requests.length).toBe(requests);
  });

  it("needs --repo and one folder (exit 1)", async () => {
    expect((await runMain(["publish", dir])).code).toBe(1);
    expect((await runMain(["publish", "--repo", "me/x"])).code).toBe(1);
  });
});
