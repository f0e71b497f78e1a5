import { OptionError } from "@lmsynth/schema";
import { SHARD_OPTIONS } from "@lmsynth/hub-folder";

/** The recorded option naming the engine and variables that gave a `--shard auto` part (one of the shards
 * package's `SHARD_OPTIONS`, which merging does not compare: each part's differ). */
export const SHARD_ENGINE_OPTION = SHARD_OPTIONS[1];

/** A part of a scale-out run as an engine's environment gives it (`--shard auto`). */
export interface EnvironmentShard {
  /** 0-based part index, and the number of parts. */
  index: number;
  count: number;
  /** Which engine gave it (`slurm`, `kubernetes`, `aws-batch`, `cloud-run`, `gitlab`, `lmsynth`). */
  engine: string;
  /** The variables read, `NAME=value`, as the manifest records them. */
  variables: string[];
}

/** Each engine's variables: its index, its count (if it sets one), and how its numbering maps to 0-based. */
const ENGINES: ReadonlyArray<{ engine: string; index: string; count: string; base: (env: Env) => number; min?: string }> = [
  // Slurm arrays may start anywhere (`--array=1-3` or `0-2`): the part is the task ID less the array's lowest.
  { engine: "slurm", index: "SLURM_ARRAY_TASK_ID", count: "SLURM_ARRAY_TASK_COUNT", min: "SLURM_ARRAY_TASK_MIN", base: (env) => Number(env.SLURM_ARRAY_TASK_MIN) },
  // Indexed Jobs set no count: the Job's `completions` is passed as LMSYNTH_SHARD_COUNT.
  { engine: "kubernetes", index: "JOB_COMPLETION_INDEX", count: "LMSYNTH_SHARD_COUNT", base: () => 0 },
  { engine: "aws-batch", index: "AWS_BATCH_JOB_ARRAY_INDEX", count: "AWS_BATCH_JOB_ARRAY_SIZE", base: () => 0 },
  { engine: "cloud-run", index: "CLOUD_RUN_TASK_INDEX", count: "CLOUD_RUN_TASK_COUNT", base: () => 0 },
  // GitLab's `parallel:` counts from 1.
  { engine: "gitlab", index: "CI_NODE_INDEX", count: "CI_NODE_TOTAL", base: () => 1 },
  { engine: "lmsynth", index: "LMSYNTH_SHARD_INDEX", count: "LMSYNTH_SHARD_COUNT", base: () => 0 },
];

type Env = Readonly<Record<string, string | undefined>>;

const WHOLE = /^\d+$/;

/**
 * The part `--shard auto` runs: read from the array or index variables of the engine running it (Slurm,
 * Kubernetes Indexed Jobs with LMSYNTH_SHARD_COUNT, AWS Batch, Cloud Run, GitLab `parallel:`, or
 * LMSYNTH_SHARD_INDEX / LMSYNTH_SHARD_COUNT), each engine's numbering mapped to 0-based.
 * @throws OptionError naming what it read: no engine's variables, a variable that is not a whole number, an
 * index outside the count, or two engines that disagree.
 */
export function shardOfEnvironment(env: Env): EnvironmentShard {
  const found: EnvironmentShard[] = [];
  for (const { engine, index, count, min, base } of ENGINES) {
    if (env[index] === undefined) continue;
    const names = [index, ...(min ? [min] : []), count];
    const variables = names.map((name) => `${name}=${env[name] ?? ""}`);
    const bad = names.filter((name) => !WHOLE.test(env[name] ?? ""));
    if (bad.length > 0) throw new OptionError(`--shard auto: ${engine} sets ${variables.join(", ")}, and ${bad.join(", ")} ${bad.length === 1 ? "is" : "are"} not a whole number`);
    const i = Number(env[index]) - base(env);
    const n = Number(env[count]);
    if (!(i >= 0 && i < n)) throw new OptionError(`--shard auto: ${engine} sets ${variables.join(", ")}: part ${i} is not one of ${n}`);
    found.push({ index: i, count: n, engine, variables });
  }
  if (found.length === 0) {
    throw new OptionError(`--shard auto: no scale-out engine found in the environment (looked for ${ENGINES.map((e) => e.index).join(", ")}): give --shard i/N`);
  }
  const [first, ...others] = found;
  const other = others.find((s) => s.index !== first!.index || s.count !== first!.count);
  if (other) {
    throw new OptionError(`--shard auto: ${first!.engine} (${first!.variables.join(", ")}) and ${other.engine} (${other.variables.join(", ")}) name different parts`);
  }
  return first!;
}
