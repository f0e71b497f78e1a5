// Deletion requests end to end (the LMSYS-Chat-1M licence's Right to Request Deletion): `--exclude-ids` on
// every converting command, `delete-ids` on a built folder, and `publish` of the result to a (fake) Hub.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs test helper shared with the shards tests, without type declarations
import { startFakeHub } from "../../../test-fixtures/fake-hub.mjs";
import { fixture, runMain, spawnCli } from "./run-cli.js";

const parent = mkdtempSync(join(tmpdir(), "lmsynth-deletion-"));
const out = join(parent, "out");
const idsFile = join(parent, "ids.txt");
const tokenFile = join(parent, "token");
const SAMPLE = [
  "--synth", fixture("sample/llama3.1-lmsys-chat-1m-synth-ja+en.jsonl.gz"),
  "--instructions", fixture("sample/lmsys-chat-1m-first-turn-user-instructions-ja.jsonl.gz.gpg"),
  "--lmsys", fixture("sample/lmsys-chat-1m.jsonl.gz"),
  "--passphrase-file", fixture("sample/passphrase.txt"),
];
// Small cuts, so the folder has several shards and row groups, in every format and both splits.
const BUILD = ["build", ...SAMPLE, "--lang", "both", "--format", "parquet,jsonl,arrow", "--max-shard-bytes", "40000", "--max-row-group-bytes", "6000", "--test-size", "0.2", "-o", out, "--silent"];

/** Every file of a folder by relative path, with its sha256. */
function digests(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files.map((e) => join(e.parentPath, e.name)).sort().map((path) => [path.slice(dir.length + 1), createHash("sha256").update(readFileSync(path)).digest("hex")]),
  );
}

/** The conversation ids of every row of a folder's JSONL shards, in file order, by shard (path without extension). */
function shardIds(dir: string): Map<string, string[]> {
  const files = readdirSync(dir, { recursive: true }).map(String).filter((p) => p.endsWith(".jsonl") && p.includes("/")).sort();
  return new Map(files.map((p) => [p.replace(/\.jsonl$/, ""), readFileSync(join(dir, p), "utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { conversation_id: string }).conversation_id)]));
}
const rowIds = (dir: string): string[] => [...shardIds(dir).values()].flat();

let doomed: string[];
let full: Record<string, string>;
/** The shards (path without extension) that hold a row of a doomed conversation. */
let holders: string[];

beforeAll(async () => {
  writeFileSync(tokenFile, "hf_deletion_test_token\n");
  expect((await runMain(BUILD)).code).toBe(0);
  full = digests(out);
  const ids = [...new Set(rowIds(out))];
  // Three conversations spread over the folder, and one the dataset does not hold.
  doomed = [ids[2]!, ids[Math.floor(ids.length / 2)]!, ids[ids.length - 1]!];
  writeFileSync(idsFile, [...doomed, "0000-not-in-the-dataset"].join("\n") + "\n");
  holders = [...shardIds(out)].filter(([, ids]) => ids.some((id) => doomed.includes(id))).map(([shard]) => shard);
});

describe("lmsynth delete-ids", () => {
  let hub: Awaited<ReturnType<typeof startFakeHub>>;
  beforeAll(async () => {
    hub = await startFakeHub("me/synth", false);
  });
  afterAll(() => hub.close());

  it("publishes the whole folder first (a new, private repo)", async () => {
    const run = await runMain(["publish", out, "--repo", "me/synth", "--hub-url", hub.hubUrl, "--token-file", tokenFile, "--silent"]);
    expect(run.code).toBe(0);
    expect(hub.received.created).toMatchObject({ visibility: "private" });
    expect(hub.files.size).toBe(Object.keys(full).length);
  });

  it("removes the conversations in place, rewriting only the shards that held them, and says which files changed", async () => {
    const run = await runMain(["delete-ids", out, "--ids", idsFile, "--json"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { conversations: number; rows: Record<string, number>; changed: string[]; removed: string[]; lists: unknown[] };
    expect(result.conversations).toBe(3);
    expect(result.lists).toEqual([{ path: idsFile, sha256: createHash("sha256").update(readFileSync(idsFile)).digest("hex"), ids: 4 }]);
    const now = digests(out);
    const changed = Object.keys(now).filter((p) => now[p] !== full[p]);
    expect(result.changed).toEqual(changed);
    expect(result.removed).toEqual([]);
    // Exactly the shards that held a row of theirs, in all three formats; the others are the same files.
    const shards = (paths: string[]) => paths.filter((p) => /^(sft|dpo)\//.test(p));
    expect(shards(changed)).toEqual(holders.flatMap((h) => ["arrow", "jsonl", "parquet"].map((ext) => `${h}.${ext}`)).sort());
    expect(shards(changed).length).toBeLessThan(shards(Object.keys(full)).length);
    expect(changed).toEqual(expect.arrayContaining(["README.md", "manifest.json", "report.html"]));
    expect(rowIds(out).filter((id) => doomed.includes(id))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { counts: { funnel: Record<string, { deleted?: number }> }; options: Record<string, unknown> };
    expect(manifest.counts.funnel.sft!.deleted! + manifest.counts.funnel.dpo!.deleted!).toBe(result.rows.sft! + result.rows.dpo!);
    expect(manifest.options["exclude-ids"]).toEqual([createHash("sha256").update(readFileSync(idsFile)).digest("hex")]);
  });

  it("leaves no deleted id in any file, in any format", async () => {
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    for (const path of Object.keys(digests(out))) {
      const full = join(out, path);
      let ids: string[];
      if (path.endsWith(".parquet")) {
        ids = (await db.runAndReadAll(`SELECT conversation_id FROM read_parquet('${full}')`)).getRowObjectsJson().map((r) => String(r.conversation_id));
      } else if (path.endsWith(".arrow")) {
        ids = tableFromIPC(readFileSync(full)).getChild("conversation_id")!.toArray() as string[];
      } else {
        const bytes = readFileSync(full);
        ids = doomed.filter((id) => (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).includes(id));
      }
      expect(ids.filter((id) => doomed.includes(id)), path).toEqual([]);
    }
    db.closeSync();
  });

  it("changes nothing when run again with the same list", async () => {
    const before = digests(out);
    const run = await runMain(["delete-ids", out, "--ids", idsFile]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("nothing changed: every list was applied to this folder already\n");
    expect(digests(out)).toEqual(before);
  });

  it("then publish sends the replaced files only, in one commit, and the remote equals a fresh build with --exclude-ids", async () => {
    const deleted = digests(out);
    const commits = hub.received.commits.length;
    const run = await runMain(["publish", out, "--repo", "me/synth", "--hub-url", hub.hubUrl, "--token-file", tokenFile, "--json"]);
    expect(run.code).toBe(0);
    expect(hub.received.commits.length).toBe(commits + 1);
    const sent = (JSON.parse(run.stdout) as { files: { path: string }[] }).files.map((f) => f.path).sort();
    expect(sent).toEqual(Object.keys(deleted).filter((p) => deleted[p] !== full[p]).sort());

    // The fresh build goes to the same path, so that its recorded command is the same.
    renameSync(out, `${out}-deleted`);
    expect((await runMain([...BUILD, "--exclude-ids", idsFile])).code).toBe(0);
    const fresh = digests(out);
    expect(fresh).toEqual(deleted);
    const remote = Object.fromEntries(
      [...(hub.files as Map<string, { bytes: Buffer }>)].map(([path, f]) => [path, createHash("sha256").update(f.bytes).digest("hex")]).sort(),
    );
    expect(remote).toEqual(fresh);
    renameSync(out, `${out}-fresh`);
    renameSync(`${out}-deleted`, out);
  });

  it("refuses a remote that does not match its own manifest unless --force", async () => {
    (hub.files as Map<string, { bytes: Buffer; lfs: boolean }>).set("notes.txt", { bytes: Buffer.from("added by hand\n"), lfs: false });
    const args = ["publish", out, "--repo", "me/synth", "--hub-url", hub.hubUrl, "--token-file", tokenFile];
    const refused = await runMain(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("me/synth: the remote does not match its own manifest.json (notes.txt unlisted): nothing sent; --force replaces it with this folder");
    const forced = await runMain([...args, "--force", "--silent"]);
    expect(forced.code).toBe(0);
    expect([...(hub.files as Map<string, unknown>).keys()].sort()).toEqual(Object.keys(digests(out)).sort());
    expect(hub.received.commit.at(-1)).toEqual({ key: "deletedFile", value: { path: "notes.txt" } });
  });
});

describe("rejected lines of a listed conversation", () => {
  it("never reach rejected.jsonl, and delete-ids removes them from a folder built without the list", async () => {
    // A merged input whose fourth line is set aside (`turn` is not a number) though it names its conversation.
    const lines = gunzipSync(readFileSync(fixture("sample/llama3.1-sample.jsonl.gz"))).toString("utf8").split("\n").filter(Boolean).slice(0, 40);
    const bad = JSON.parse(lines[3]!) as { conversation_id: string; turn: unknown };
    bad.turn = "two";
    lines[3] = JSON.stringify(bad);
    const input = join(parent, "with-a-bad-line.jsonl");
    writeFileSync(input, lines.join("\n") + "\n");
    const list = join(parent, "bad-line-ids.txt");
    writeFileSync(list, `${bad.conversation_id}\n`);
    const folder = join(parent, "bad");
    const build = ["build", input, "--on-invalid", "skip", "-o", folder, "--silent"];
    expect((await runMain(build)).code).toBe(0);
    expect(readFileSync(join(folder, "rejected.jsonl"), "utf8")).toContain(bad.conversation_id);

    const run = await runMain(["delete-ids", folder, "--ids", list, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ conversations: 1, changed: ["README.md", "manifest.json", "report.html"], removed: ["rejected.jsonl"] });
    const deleted = digests(folder);
    renameSync(folder, `${folder}-deleted`);
    expect((await runMain([...build, "--exclude-ids", list])).code).toBe(0);
    expect(digests(folder)).toEqual(deleted);
    expect(Object.keys(deleted)).not.toContain("rejected.jsonl");
  });
});

describe("--exclude-ids", () => {
  it("keeps the listed conversations out of sft, dpo and merge, counted, and the list's contents out of the record", async () => {
    for (const command of ["sft", "dpo"]) {
      const file = join(parent, `${command}.jsonl`);
      const run = await runMain([command, ...SAMPLE, "--lang", "both", "--exclude-ids", idsFile, "-o", file, "--json"]);
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout) as { deleted: { records: number; rows: Record<string, number> } };
      expect(summary.deleted.records).toBe(3);
      expect(summary.deleted.rows[command]).toBeGreaterThan(0);
      const text = readFileSync(file, "utf8");
      for (const id of doomed) expect(text.includes(id)).toBe(false);
    }
    const merged = join(parent, "merged.jsonl");
    const run = await runMain(["merge", ...SAMPLE, "--exclude-ids", idsFile, "-o", merged, "--json"]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { deleted: unknown }).deleted).toEqual({ records: 3, rows: { merge: 3 } });
    for (const id of doomed) expect(readFileSync(merged, "utf8").includes(id)).toBe(false);
  });

  it("shows the withheld rows as the first bar of the report's funnel", async () => {
    const report = join(parent, "report.html");
    const run = await runMain(["report", ...SAMPLE, "--exclude-ids", idsFile, "-o", report, "--silent"]);
    expect(run.code).toBe(0);
    const svg = /<svg data-chart="funnel-sft".*?<\/svg>/s.exec(readFileSync(report, "utf8"))![0];
    expect(svg.indexOf("deleted (rows)")).toBeGreaterThan(0);
    expect(svg.indexOf("deleted (rows)")).toBeLessThan(svg.indexOf("rows written"));
  });
});

describe("deletion errors, from the real CLI", () => {
  it.each([
    ["a list with a malformed line", "abc\nd e\n", 2, ":2: a conversation id has no white space: give one id per line"],
    ["an empty list", "\n", 2, ": lists no conversation id: an empty deletion list is likely the wrong file"],
  ])("%s: exit 2 naming the file and line, the folder unchanged", (_name, text, code, message) => {
    const list = join(parent, `bad-${code}-${text.length}.txt`);
    writeFileSync(list, text);
    const before = digests(out);
    const run = spawnCli(["delete-ids", out, "--ids", list]);
    expect(run.code).toBe(code);
    expect(run.stderr).toContain(`${list}${message}`);
    expect(digests(out)).toEqual(before);
  });

  it("a folder that does not match its manifest: exit 2, nothing changed", () => {
    const folder = `${out}-fresh`;
    writeFileSync(join(folder, "report.html"), "edited\n");
    const run = spawnCli(["delete-ids", folder, "--ids", idsFile]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("report.html");
    expect(readFileSync(join(folder, "report.html"), "utf8")).toBe("edited\n");
  });

  it("inspect takes no deletion list: it describes the input files as they are (a usage error)", () => {
    const run = spawnCli(["inspect", fixture("sample/llama3.1-sample.jsonl.gz"), "--exclude-ids", idsFile]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("--exclude-ids");
  });

  it("no --ids: a usage error", () => {
    const run = spawnCli(["delete-ids", out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("missing --ids <file>: the conversation_ids to delete");
  });

  it("a build whose --exclude-ids list cannot be read: exit 2 before any output", () => {
    const target = join(parent, "never");
    const run = spawnCli([...BUILD.slice(0, -3), "-o", target, "--exclude-ids", join(parent, "missing.txt")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("missing.txt");
    expect(readdirSync(parent).some((name) => name.includes("never"))).toBe(false);
  });
});

describe("deletion at the edges (issue 24), from the real CLI", () => {
  /** A copy of the deleted folder `out` at a new path. */
  const copyOf = (name: string): string => {
    const to = join(parent, name);
    cpSync(out, to, { recursive: true });
    return to;
  };
  /** The pid of a process that has exited. */
  const deadPid = (): number => spawnSync(process.execPath, ["-e", ""]).pid;

  it("a swap killed between its renames: the next run puts the old folder back, then applies the list", () => {
    const folder = copyOf("killed-swap");
    const before = digests(folder);
    const aside = join(parent, `.killed-swap.old-${deadPid()}-0`);
    renameSync(folder, aside);
    const list = join(parent, "one-id.txt");
    writeFileSync(list, `${rowIds(aside)[0]}\n`);
    const run = spawnCli(["delete-ids", folder, "--ids", list]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`note: restored ${folder} from ${aside}, left by an interrupted swap`);
    expect(run.stderr).toContain("conversations found and deleted: 1 (of 1 listed)");
    expect(existsSync(aside)).toBe(false);
    expect(digests(folder)).not.toEqual(before);
  });

  it("a swap killed after its renames: the old folder, which still holds the deleted rows, goes on the next run", () => {
    const folder = copyOf("killed-after-swap");
    const aside = join(parent, `.killed-after-swap.old-${deadPid()}-0`);
    const temp = join(parent, `.killed-after-swap.tmp-${deadPid()}-delete-0`);
    cpSync(`${out}-fresh`, aside, { recursive: true });
    mkdirSync(temp);
    const run = spawnCli(["publish", folder, "--repo", "me/x", "--dry-run", "--json"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`note: removed ${aside}, left by an interrupted run`);
    expect(run.stderr).toContain(`note: removed ${temp}, left by an interrupted run`);
    expect(readdirSync(parent).filter((n) => n.startsWith(".killed-after-swap"))).toEqual([]);
  });

  it("a manifest whose card settings leave out a config: exit 2 naming the shard, nothing deleted", () => {
    const folder = copyOf("undeclared");
    const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")) as { card: { configs: string[] } };
    manifest.card.configs = ["sft"];
    writeFileSync(join(folder, "manifest.json"), JSON.stringify(manifest));
    const before = digests(folder);
    const list = join(parent, "dpo-ids.txt");
    writeFileSync(list, `${rowIds(folder)[0]}\n`);
    const run = spawnCli(["delete-ids", folder, "--ids", list]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/files do not match manifest.json: dpo\/test-00000-of-\d{5}\.arrow: a shard of a config, split or format that the manifest's card settings do not declare/);
    expect(digests(folder)).toEqual(before);
  });

  it("a list the manifest records as applied while its rows are there: they are deleted all the same, with a warning", () => {
    const folder = copyOf("recorded");
    const victim = rowIds(folder)[0]!;
    const list = join(parent, "recorded.txt");
    writeFileSync(list, `${victim}\n`);
    const path = join(folder, "manifest.json");
    const manifest = JSON.parse(readFileSync(path, "utf8")) as { options: Record<string, string[]> };
    manifest.options["exclude-ids"] = [...(manifest.options["exclude-ids"] ?? []), createHash("sha256").update(readFileSync(list)).digest("hex")];
    writeFileSync(path, JSON.stringify(manifest));
    const run = spawnCli(["delete-ids", folder, "--ids", list]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("warning: the manifest recorded this list as applied, but 1 of the listed conversations were still in the folder: deleted now");
    expect(rowIds(folder)).not.toContain(victim);
  });

  it("ids quoted as jq prints them are read; ids of another shape, and ids matching no row, are warned about", () => {
    const folder = copyOf("shapes");
    const [a, b] = [...new Set(rowIds(folder))];
    const list = join(parent, "shapes.txt");
    writeFileSync(list, `"${a}"\n${b!.toUpperCase()}\n${b}\u200b\n`);
    const run = spawnCli(["delete-ids", folder, "--ids", list]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("conversations found and deleted: 1 (of 3 listed)");
    expect(run.stderr).toContain(`warning: ${list}: 2 listed ids do not look like a conversation_id (32 lowercase hex characters) and may match nothing, e.g. line 2: "${b!.toUpperCase()}"`);
    expect(run.stderr).toContain(`warning: 2 listed ids match no row of ${folder} (not in this data, or deleted before)`);
    expect(rowIds(folder)).not.toContain(a);
  });

  it("a list with a line over 1 MiB: exit 2 at file:line, no flag suggested that delete-ids lacks", () => {
    const run = spawnCli(["delete-ids", out, "--ids", "/dev/zero"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("/dev/zero:1: line longer than 1 MiB: a deletion list holds one conversation id per line");
    expect(run.stderr).not.toContain("--max-line-bytes");
  });

  it("a deletion that empties a middle shard: the shard goes and its split is named again, as a fresh build names it", async () => {
    const folder = join(parent, "middle");
    const args = [...BUILD.slice(0, -3).map((a) => (a === "40000" ? "8000" : a)), "-o", folder, "--silent"];
    expect((await runMain(args)).code).toBe(0);
    const shards = [...shardIds(folder)].filter(([shard]) => shard.startsWith("sft/train-"));
    expect(shards.length).toBeGreaterThanOrEqual(3);
    const list = join(parent, "middle.txt");
    writeFileSync(list, [...new Set(shards[1]![1])].join("\n") + "\n");
    expect((await runMain(["delete-ids", folder, "--ids", list, "--silent"])).code).toBe(0);
    const after = [...shardIds(folder).keys()].filter((s) => s.startsWith("sft/train-"));
    expect(after.length).toBeLessThan(shards.length);
    const n = String(after.length).padStart(5, "0");
    expect(after).toEqual(after.map((_, j) => `sft/train-${String(j).padStart(5, "0")}-of-${n}`));
    for (const [, ids] of shardIds(folder)) expect(ids.length).toBeGreaterThan(0);
    const deleted = digests(folder);
    renameSync(folder, `${folder}-deleted`);
    expect((await runMain([...args, "--exclude-ids", list])).code).toBe(0);
    expect(digests(folder)).toEqual(deleted);
  });

  it("deleting every conversation leaves a folder with no rows, and the fresh build that should equal it does (exit 0)", async () => {
    const folder = join(parent, "everything");
    const args = ["build", fixture("sample/llama3.1-sample.jsonl.gz"), "-o", folder, "--silent"];
    expect((await runMain(args)).code).toBe(0);
    const list = join(parent, "everything.txt");
    const every = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")) as { counts: { records: number } };
    const ids = gunzipSync(readFileSync(fixture("sample/llama3.1-sample.jsonl.gz"))).toString("utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { conversation_id: string }).conversation_id);
    expect(ids.length).toBe(every.counts.records);
    writeFileSync(list, ids.join("\n") + "\n");
    expect((await runMain(["delete-ids", folder, "--ids", list, "--silent"])).code).toBe(0);
    expect(readdirSync(folder).sort()).toEqual(["README.md", "manifest.json", "report.html"]);
    expect(readFileSync(join(folder, "README.md"), "utf8")).toContain("**This folder holds no rows**");
    const deleted = digests(folder);
    renameSync(folder, `${folder}-deleted`);
    const fresh = spawnCli([...args, "--exclude-ids", list]);
    expect(fresh.code).toBe(0);
    expect(digests(folder)).toEqual(deleted);
  });
});
