import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs test helper shared with the shards tests, without type declarations
import { startFakeHub } from "../../../test-fixtures/fake-hub.mjs";
import { fixture, REPO } from "./run-cli.js";

// Every `lmsynth …` command of the README's shell blocks, run as written by bash, with `lmsynth` from
// node_modules/.bin on the PATH (as the README says), in a folder that holds files of the names the README
// uses (made from the fixtures). Each README section runs in a fresh copy of that folder, its commands in order.
// The only rewrites are the README's own placeholders: `…` in `LMSYNTH_PASSPHRASE=…` and `HF_TOKEN=hf_…`.

interface Command {
  /** The README section (`##`/`###` heading) the block is in: its blocks run in one folder, in order. */
  section: string;
  line: string;
}

/** The `lmsynth` command lines of the README's `sh`/`bash` blocks, continuation lines joined. */
function readmeCommands(): Command[] {
  const text = readFileSync(join(REPO, "README.md"), "utf8");
  const out: Command[] = [];
  for (const m of text.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)) {
    const headings = [...text.slice(0, m.index).matchAll(/^#{2,3} (.+)$/gm)];
    const section = headings.at(-1)?.[1] ?? "(top)";
    for (const raw of m[1]!.replace(/\\\n\s*/g, " ").split("\n")) {
      const line = raw.trim();
      // `VAR=value lmsynth …` counts too; comments, other tools and `…` (an elided repetition) do not.
      if (/^(\w+=\S+\s+)*lmsynth\s/.test(line) || /^…\s+--shard/.test(line)) out.push({ section, line });
    }
  }
  return out;
}

const PASSPHRASE = readFileSync(fixture("sample/passphrase.txt"), "utf8").split("\n")[0]!;

/** Files the README names, made from the fixtures. */
async function makeWorkspace(dir: string): Promise<void> {
  const link = (name: string, target: string) => {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    symlinkSync(target, join(dir, name));
  };
  const gz = (name: string, source: string) => writeFileSync(join(dir, name), gzipSync(readFileSync(source)));
  link("test-fixtures", join(REPO, "test-fixtures"));
  for (const name of ["llama3.1-lmsys-chat-1m-synth-ja+en.jsonl.gz", "synth.jsonl.gz"]) link(name, fixture("sample/llama3.1-lmsys-chat-1m-synth-ja+en.jsonl.gz"));
  for (const name of ["lmsys-chat-1m-first-turn-user-instructions-ja.jsonl.gz.gpg", "instr-ja.jsonl.gz.gpg"]) {
    link(name, fixture("sample/lmsys-chat-1m-first-turn-user-instructions-ja.jsonl.gz.gpg"));
  }
  link("lmsys-chat-1m.jsonl.gz", fixture("sample/lmsys-chat-1m.jsonl.gz"));
  link("key.txt", fixture("sample/passphrase.txt"));
  for (const name of ["merged.jsonl.gz", "data/merged.jsonl.gz", "llama3.1-lmsys-chat-1m-synth.jsonl.gz"]) link(name, fixture("sample/llama3.1-sample.jsonl.gz"));
  gz("gemma3-lmsys-chat-1m-synth.jsonl.gz", fixture("gemma3/edge-cases.jsonl"));
  gz("gemma2-merged.jsonl.gz", fixture("gemma2/edge-cases.jsonl"));
  gz("gpt-oss-lmsys-chat-1m-synth-ja+en.jsonl.gz", fixture("gpt-oss/edge-cases.jsonl"));
  mkdirSync(join(dir, "path/to"), { recursive: true });
  writeFileSync(
    join(dir, "path/to/tokenizer_config.json"),
    JSON.stringify({
      bos_token: "<s>",
      eos_token: "</s>",
      chat_template: "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}{{ eos_token }}\n{% endfor %}",
    }),
  );
  // The original LMSYS-Chat-1M layout: six Parquet shards, written by DuckDB from the sample's export.
  mkdirSync(join(dir, "data"), { recursive: true });
  const db = await (await DuckDBInstance.create(":memory:")).connect();
  try {
    const source = fixture("sample/lmsys-chat-1m.jsonl.gz").replaceAll("'", "''");
    await db.run(`CREATE TABLE lmsys AS SELECT *, row_number() OVER () - 1 AS n FROM read_json('${source}', format = 'newline_delimited')`);
    for (let k = 0; k < 6; k++) {
      const out = join(dir, `data/train-0000${k}-of-00006-4f6ffbfd3b4e3f0c.parquet`).replaceAll("'", "''");
      await db.run(`COPY (SELECT * EXCLUDE (n) FROM lmsys WHERE n % 6 = ${k} ORDER BY n) TO '${out}' (FORMAT parquet)`);
    }
  } finally {
    db.closeSync();
  }
  // A deletion request naming a conversation of merged.jsonl.gz, and one the data does not hold.
  const first = (JSON.parse(gunzipSync(readFileSync(fixture("sample/llama3.1-sample.jsonl.gz"))).toString("utf8").split("\n")[0]!) as { conversation_id: string }).conversation_id;
  writeFileSync(join(dir, "deletion-requests.txt"), `${first}\nnot-in-the-data\n`);
  // A built folder for the publish examples.
  const built = spawnSync(process.execPath, [join(REPO, "apps/cli/dist/bin.js"), "build", "merged.jsonl.gz", "-o", "out/ds", "--silent"], { cwd: dir, encoding: "utf8" });
  if (built.status !== 0) throw new Error(built.stderr);
}

let template: string;
beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), "lmsynth-readme-"));
  await makeWorkspace(template);
}, 60_000);
afterAll(() => rmSync(template, { recursive: true, force: true }));

/** The README's placeholders, filled in: the sample's passphrase and a token for the local fake Hub. */
function filled(line: string): string {
  return line.replace(/LMSYNTH_PASSPHRASE=…/g, `LMSYNTH_PASSPHRASE=${PASSPHRASE}`).replace(/HF_TOKEN=hf_…/g, "HF_TOKEN=hf_readmetest");
}

async function run(line: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const repo = /--repo (\S+)/.exec(line)?.[1];
  // A publish goes to a local stand-in for the Hub (HF_ENDPOINT), never to the network.
  const hub = repo && !line.includes("--dry-run") ? await startFakeHub(repo, false) : undefined;
  try {
    // Asynchronous: the fake Hub answers from this process, which a synchronous spawn would block.
    const child = spawn("bash", ["-c", `set -euo pipefail\n${filled(line)}`], {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        PATH: `${join(REPO, "node_modules/.bin")}:${process.env.PATH}`,
        LMSYNTH_PASSPHRASE: "",
        HF_TOKEN: "hf_readmetest",
        ...(hub ? { HF_ENDPOINT: hub.hubUrl } : {}),
        ...env,
      },
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    return { code, stderr };
  } finally {
    await hub?.close();
  }
}

const commands = readmeCommands();

describe("every command of the README runs as written", () => {
  it("finds the README's commands", () => {
    expect(commands.length).toBeGreaterThan(25);
  });

  const sections = [...new Set(commands.map((c) => c.section))];
  it.each(sections)("section %s", async (section) => {
    const dir = mkdtempSync(join(tmpdir(), "lmsynth-readme-section-"));
    try {
      spawnSync("cp", ["-a", `${template}/.`, dir]);
      let previous = "";
      for (const { line } of commands.filter((c) => c.section === section)) {
        if (line.startsWith("…")) {
          // `… --shard 7/8 -o parts/7` stands for the same command for every part after the first.
          for (let k = 1; k <= 7; k++) {
            const r = await run(previous.replace("--shard 0/8", `--shard ${k}/8`).replace("parts/0", `parts/${k}`), dir, {});
            expect(r, `${previous} (part ${k})`).toEqual({ code: 0, stderr: expect.any(String) });
          }
          continue;
        }
        previous = line;
        // A Slurm array runs the script once per task: run it for each of the 8 parts.
        const tasks = line.includes("$SLURM_ARRAY_TASK_ID") ? [0, 1, 2, 3, 4, 5, 6, 7] : [undefined];
        for (const task of tasks) {
          const env: Record<string, string> = task === undefined ? {} : { SLURM_ARRAY_TASK_ID: String(task), SLURM_CPUS_PER_TASK: "2" };
          const r = await run(line, dir, env);
          expect({ line, code: r.code, stderr: r.code === 0 ? "" : r.stderr }).toEqual({ line, code: 0, stderr: "" });
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
