import { describe, expect, it } from "vitest";
import { OptionError } from "@lmsynth/schema";
// The built code, as every test of this package loads it: one module per source (a src import beside it
// would load each file twice, and count its branches twice in coverage).
import { shardOfEnvironment } from "../dist/index.js";

describe("shardOfEnvironment (--shard auto)", () => {
  it.each([
    ["Slurm, an array 1-3", { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "3" }, 2, 3, "slurm", ["SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_COUNT=3"]],
    ["Slurm, an array 0-2", { SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_COUNT: "3" }, 0, 3, "slurm", ["SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_COUNT=3"]],
    ["a Kubernetes Indexed Job", { JOB_COMPLETION_INDEX: "4", LMSYNTH_SHARD_COUNT: "5" }, 4, 5, "kubernetes", ["JOB_COMPLETION_INDEX=4", "LMSYNTH_SHARD_COUNT=5"]],
    ["AWS Batch", { AWS_BATCH_JOB_ARRAY_INDEX: "1", AWS_BATCH_JOB_ARRAY_SIZE: "2" }, 1, 2, "aws-batch", ["AWS_BATCH_JOB_ARRAY_INDEX=1", "AWS_BATCH_JOB_ARRAY_SIZE=2"]],
    ["Cloud Run", { CLOUD_RUN_TASK_INDEX: "0", CLOUD_RUN_TASK_COUNT: "4" }, 0, 4, "cloud-run", ["CLOUD_RUN_TASK_INDEX=0", "CLOUD_RUN_TASK_COUNT=4"]],
    ["GitLab parallel (1-based)", { CI_NODE_INDEX: "1", CI_NODE_TOTAL: "2" }, 0, 2, "gitlab", ["CI_NODE_INDEX=1", "CI_NODE_TOTAL=2"]],
    ["lmsynth's own", { LMSYNTH_SHARD_INDEX: "2", LMSYNTH_SHARD_COUNT: "3" }, 2, 3, "lmsynth", ["LMSYNTH_SHARD_INDEX=2", "LMSYNTH_SHARD_COUNT=3"]],
  ])("%s", (_, env, index, count, engine, variables) => {
    expect(shardOfEnvironment(env)).toEqual({ index, count, engine, variables });
  });

  it("takes two engines that agree (a Kubernetes Job given LMSYNTH_SHARD_INDEX too)", () => {
    expect(shardOfEnvironment({ JOB_COMPLETION_INDEX: "1", LMSYNTH_SHARD_COUNT: "2", LMSYNTH_SHARD_INDEX: "1" })).toMatchObject({ index: 1, count: 2, engine: "kubernetes" });
  });

  it.each([
    [{}, "--shard auto: no scale-out engine found in the environment (looked for SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, CLOUD_RUN_TASK_INDEX, CI_NODE_INDEX, LMSYNTH_SHARD_INDEX): give --shard i/N"],
    [{ JOB_COMPLETION_INDEX: "3" }, "--shard auto: kubernetes sets JOB_COMPLETION_INDEX=3, LMSYNTH_SHARD_COUNT=, and LMSYNTH_SHARD_COUNT is not a whole number"],
    [{ SLURM_ARRAY_TASK_ID: "7", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "3" }, "--shard auto: slurm sets SLURM_ARRAY_TASK_ID=7, SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_COUNT=3: part 6 is not one of 3"],
    [{ CI_NODE_INDEX: "0", CI_NODE_TOTAL: "2" }, "--shard auto: gitlab sets CI_NODE_INDEX=0, CI_NODE_TOTAL=2: part -1 is not one of 2"],
    [
      { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_COUNT: "2", LMSYNTH_SHARD_INDEX: "0", LMSYNTH_SHARD_COUNT: "2" },
      "--shard auto: slurm (SLURM_ARRAY_TASK_ID=1, SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_COUNT=2) and lmsynth (LMSYNTH_SHARD_INDEX=0, LMSYNTH_SHARD_COUNT=2) name different parts",
    ],
  ])("refuses %j, naming what it read", (env, message) => {
    expect(() => shardOfEnvironment(env)).toThrow(new OptionError(message));
  });
});
