import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs test helper shared with the shards tests, without type declarations
import { startFakeHub } from "../../../test-fixtures/fake-hub.mjs";
import { BIN, fixture, runMain } from "./run-cli.js";

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

  it("a new repo is private and gated; --public prints the licences, then the gate it set, then a line per commit, and makes it public last", async () => {
    for (const [flags, settings] of [[[], [{ gated: "auto" }]], [["--public"], [{ gated: "auto" }, { private: false }]]] as const) {
      // A Hub of its own per run, so that each publish creates its repo.
      const own = await startFakeHub("me/synth", false);
      try {
        const run = await runMain(["publish", dir, "--repo", "me/synth", "--hub-url", own.hubUrl, "--token-file", tokenFile, ...flags]);
        expect(run.code).toBe(0);
        expect(own.received.created).toMatchObject({ visibility: "private" });
        expect(own.received.settings).toEqual(settings);
        const url = `${own.hubUrl}/datasets/me/synth/commit/c0ffee`;
        const licences =
          "publishing publicly: the data carries these licences, and the rows hold LMSYS-Chat-1M text in the clear:\n" +
          "  LMSYS-Chat-1M Dataset License Agreement (https://huggingface.co/datasets/lmsys/lmsys-chat-1m): user instructions (original and Japanese translations)\n" +
          "  Llama 3.1 Community License (https://www.llama.com/llama3_1/license/): assistant responses and scores generated with Llama 3.1\n";
        // The licences, then the gate, then one line per commit (the phase lines aside).
        const lines = run.stderr.replace(flags.length ? licences : "", "").split("\n").filter((l) => !l.endsWith("…"));
        expect(run.stderr.startsWith(flags.length ? licences : "verifying…")).toBe(true);
        const sent = lines.filter((l) => l.startsWith("uploaded ")).length;
        expect(lines.slice(0, 2)).toEqual(["gated: auto (access is granted once a user accepts the LMSYS-Chat-1M terms)", `commit 1/1: ${sent} files ${url}`]);
        expect(lines.at(-2)).toBe(`me/synth is ${flags.length ? "public" : "private"}, gated (auto)`);
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

describe("lmsynth publish against a remote manifest that asks for too much (issue 24)", () => {
  let hub: Awaited<ReturnType<typeof startFakeHub>>;
  const folder = join(parent, "edges");
  const args = () => ["publish", folder, "--repo", "me/edges", "--hub-url", hub.hubUrl, "--token-file", tokenFile, "--silent"];
  type RemoteFile = { bytes: Buffer; lfs: boolean; treeSize?: number };
  const remote = (): Map<string, RemoteFile> => hub.files as Map<string, RemoteFile>;
  beforeAll(async () => {
    hub = await startFakeHub("me/edges", false);
    expect((await runMain(["build", fixture("llama3.1/edge-cases.jsonl"), "-o", folder, "--silent"])).code).toBe(0);
    expect((await runMain(args())).code).toBe(0);
  });
  afterAll(() => hub.close());

  it("never deletes README.md, manifest.json or .gitattributes, whatever the remote manifest lists", async () => {
    remote().set(".gitattributes", { bytes: Buffer.from("*.parquet filter=lfs diff=lfs merge=lfs -text\n"), lfs: false });
    const manifest = JSON.parse(remote().get("manifest.json")!.bytes.toString("utf8")) as { files: Array<{ path: string; bytes: number; sha256: string; rows: number }> };
    for (const path of ["README.md", ".gitattributes"]) manifest.files.push({ path, bytes: remote().get(path)!.bytes.length, sha256: "0".repeat(64), rows: 0 });
    remote().set("manifest.json", { bytes: Buffer.from(JSON.stringify(manifest)), lfs: false });
    const run = await runMain(args());
    expect(run.code).toBe(0);
    expect((hub.received.commit as Array<{ key: string }>).filter((l) => l.key === "deletedFile")).toEqual([]);
    expect([...remote().keys()]).toEqual(expect.arrayContaining(["README.md", ".gitattributes", "manifest.json"]));
  });

  it("refuses a remote manifest.json whose tree entry is larger than a manifest can be, before reading it", async () => {
    const requests = hub.received.requests.length;
    remote().get("manifest.json")!.treeSize = 2 ** 30;
    const run = await runMain(args());
    remote().get("manifest.json")!.treeSize = undefined;
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("Error: me/edges: the remote manifest.json is 1073741824 bytes, more than a manifest of lmsynth's can be (67108864): nothing sent\n");
    expect(hub.received.requests.slice(requests).some((r: string) => r.includes("resolve"))).toBe(false);
  });

  it("stops reading a remote manifest.json that is longer than its tree entry says", async () => {
    const file = remote().get("manifest.json")!;
    const bytes = file.bytes;
    remote().set("manifest.json", { bytes: Buffer.concat([bytes, Buffer.alloc(4 << 20, 0x20)]), lfs: false, treeSize: bytes.length });
    const run = await runMain(args());
    remote().set("manifest.json", { bytes, lfs: false });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`Error: me/edges: the remote manifest.json is longer than the ${bytes.length} bytes its tree entry says: nothing sent\n`);
  });
});

describe("lmsynth publish: the card's YAML and --no-gate (issue 27)", () => {
  // A folder of its own: the tests above edit theirs.
  const dir = join(parent, "yaml-and-gate");
  beforeAll(async () => {
    expect((await runMain(["build", fixture("llama3.1/edge-cases.jsonl"), "-o", dir, "--silent"])).code).toBe(0);
  });
  it("a card the Hub refuses: exit 2, each error printed, nothing created or sent", async () => {
    const hub = await startFakeHub("me/yaml", false);
    try {
      hub.yamlErrors = ['"configs[0].data_files" must be an array', '"license" is not allowed'];
      const run = await runMain(["publish", dir, "--repo", "me/yaml", "--hub-url", hub.hubUrl, "--token-file", tokenFile, "--quiet"]);
      expect([run.code, run.stderr]).toEqual([2, 'Error: README.md: the Hub refuses its YAML: "configs[0].data_files" must be an array; "license" is not allowed: nothing sent\n']);
      expect(hub.received.requests).toEqual(["POST /api/validate-yaml"]);
    } finally {
      await hub.close();
    }
  });

  it("--public --no-gate: public and ungated, only when asked, after the licences", async () => {
    const hub = await startFakeHub("me/open", false);
    try {
      const run = await runMain(["publish", dir, "--repo", "me/open", "--hub-url", hub.hubUrl, "--token-file", tokenFile, "--public", "--no-gate", "--quiet"]);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^publishing publicly: [\s\S]*\nnot gated \(asked \(--no-gate\)\)\n[\s\S]*\nme\/open is public, not gated\n$/);
      expect(hub.received.settings).toEqual([{ private: false }]);
      expect(hub.state).toMatchObject({ private: false, gated: false });
    } finally {
      await hub.close();
    }
  });
});

describe("lmsynth publish, killed between two commits, then run again (issue 27)", () => {
  it("the re-run sends only what the remote lacks, says what it skipped, and the remote ends equal to the folder", async () => {
    const many = join(parent, "many");
    const build = await runMain(["build", fixture("sample/llama3.1-sample.jsonl.gz"), "--lang", "both", "--kto", "--format", "parquet,jsonl", "--max-shard-bytes", "4000", "-o", many, "--silent"]);
    expect(build.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(many, "manifest.json"), "utf8")) as { files: Array<{ path: string; sha256: string }> };
    expect(manifest.files.length).toBeGreaterThan(200);
    const hub = await startFakeHub("me/many", false);
    try {
      // The second commit gets no answer: the process is killed while it waits, as a lost connection or a
      // Ctrl-C would leave it.
      hub.holdCommit = 2;
      const held = new Promise<void>((resolve) => (hub.onHold = resolve));
      const child = spawn(process.execPath, [BIN, "publish", many, "--repo", "me/many", "--hub-url", hub.hubUrl, "--token-file", tokenFile, "--public", "--silent"], { stdio: "ignore" });
      await held;
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      expect(hub.received.commits).toHaveLength(1);
      const first = new Set((hub.received.commits[0] as Array<{ key: string; value: { path: string } }>).slice(1).map((l) => l.value.path));
      expect(first.size).toBe(100);
      // Gated before any data; still private, and no card yet: the repo does not look complete.
      expect(hub.received.settings).toEqual([{ gated: "auto" }]);
      expect([...(hub.files as Map<string, unknown>).keys()].some((p) => p === "README.md" || p === "manifest.json")).toBe(false);

      hub.holdCommit = undefined;
      const again = await runMain(["publish", many, "--repo", "me/many", "--hub-url", hub.hubUrl, "--token-file", tokenFile, "--public", "--json"]);
      expect(again.code).toBe(0);
      const result = JSON.parse(again.stdout) as { skipped: string[]; files: Array<{ path: string }>; commits: unknown[] };
      expect(new Set(result.skipped)).toEqual(first);
      expect(result.files.map((f) => f.path).filter((p) => first.has(p))).toEqual([]);
      // The rest of the data, then the card and the manifest with the last of it.
      expect(result.commits.length).toBe(Math.ceil((manifest.files.length - 100 + 2) / 100));
      const remote = Object.fromEntries([...(hub.files as Map<string, { bytes: Buffer }>)].map(([path, f]) => [path, createHash("sha256").update(f.bytes).digest("hex")]));
      const local = Object.fromEntries(["README.md", "manifest.json", ...manifest.files.map((f) => f.path)].map((p) => [p, createHash("sha256").update(readFileSync(join(many, p))).digest("hex")]));
      expect(remote).toEqual(local);
      expect(hub.received.settings).toEqual([{ gated: "auto" }, { gated: "auto" }, { private: false }]);
    } finally {
      await hub.close();
    }
  }, 60_000);
});
