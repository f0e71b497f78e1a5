import { describe, expect, it } from "vitest";
import { datasetLicenses, renderDatasetCard, sizeCategory, type DatasetCardInput } from "../src/index.js";

const input: DatasetCardInput = {
  tool: "lmsynth",
  version: "0.1.0",
  command: "lmsynth build a.jsonl.gz -o out --preset swallow-v0.5",
  variant: "gemma-3",
  languages: ["ja"],
  configs: [
    {
      name: "sft",
      isDefault: true,
      splits: [{ split: "train", paths: ["sft/train-00000-of-00002.parquet", "sft/train-00001-of-00002.parquet"], rows: 1510, bytes: 0 }],
      reader: "TRL SFTTrainer",
    },
    { name: "dpo", isDefault: false, splits: [{ split: "train", paths: ["dpo/train-00000-of-00001.parquet"], rows: 1200, bytes: 0 }], reader: "TRL DPOTrainer" },
  ],
  files: [
    { path: "dpo/train-00000-of-00001.parquet", rows: 1200, bytes: 34567, sha256: "a".repeat(64) },
    { path: "sft/train-00000-of-00002.parquet", rows: 1500, bytes: 100, sha256: "b".repeat(64) },
    { path: "sft/train-00001-of-00002.parquet", rows: 10, bytes: 10, sha256: "c".repeat(64) },
  ],
  counts: {
    records: 2000,
    rows: { sft: { train: 1510 }, dpo: { train: 1200 } },
    funnel: { sft: { pii: 3, "no-candidates": 7 }, dpo: { margin: 9 } },
  },
  // "yes" would read as a boolean in YAML 1.1, so it must come out quoted
  tags: ["japanese", "yes"],
};

describe("renderDatasetCard", () => {
  it("renders the whole card: front matter, counts, funnel in pipeline order, licences, files, command", () => {
    expect(renderDatasetCard(input)).toBe(CARD);
  });

  it("declares the absent train files of a folder without rows, so that load_dataset fails instead of loading manifest.json", () => {
    const card = renderDatasetCard({
      ...input,
      configs: [],
      files: [],
      absent: [
        { config: "sft", glob: "sft/train-*.parquet" },
        { config: "dpo", glob: "dpo/train-*.parquet" },
      ],
    });
    expect(card).toContain(
      "configs:\n- config_name: sft\n  default: true\n  data_files:\n  - split: train\n    path: \"sft/train-*.parquet\"\n" +
        "- config_name: dpo\n  data_files:\n  - split: train\n    path: \"dpo/train-*.parquet\"\n---\n",
    );
    expect(card).toContain("**This folder holds no rows**: every record was skipped or deleted (see the funnel), or it is a `--shard` part that received none.");
  });

  it("fences a command that itself holds backticks with a longer fence", () => {
    const card = renderDatasetCard({ ...input, command: "lmsynth build --system '```'" });
    expect(card).toContain("\n````sh\nlmsynth build --system '```'\n````\n");
  });

  it("says Built with Llama for the Llama variant", () => {
    expect(renderDatasetCard({ ...input, variant: "llama-3.1" })).toContain(
      "Built with lmsynth 0.1.0 from LMSYS-Chat-1M-Synth (llama-3.1 variant). Built with Llama.\n",
    );
  });
});

describe("datasetLicenses", () => {
  it.each([
    ["llama-3.1", ["LMSYS-Chat-1M Dataset License Agreement", "Llama 3.1 Community License"]],
    ["gemma-2", ["LMSYS-Chat-1M Dataset License Agreement", "Gemma Terms of Use"]],
    ["gemma-3", ["LMSYS-Chat-1M Dataset License Agreement", "Gemma Terms of Use"]],
    [undefined, ["LMSYS-Chat-1M Dataset License Agreement"]],
  ] as const)("%s → %j", (variant, names) => {
    expect(datasetLicenses(variant).map((l) => l.name)).toEqual(names);
  });
});

describe("sizeCategory", () => {
  it.each([
    [0, "n<1K"],
    [999, "n<1K"],
    [1000, "1K<n<10K"],
    [453_889, "100K<n<1M"],
    [2_722_314, "1M<n<10M"],
  ])("%d rows → %s", (rows, category) => {
    expect(sizeCategory(rows)).toBe(category);
  });
});

const CARD = `---
pretty_name: "LMSYS-Chat-1M-Synth: SFT and DPO"
license: other
license_name: mixed
license_link: https://huggingface.co/datasets/tokyotech-llm/lmsys-chat-1m-synth/blob/main/README.md#license-information
extra_gated_prompt: "The rows hold text of LMSYS-Chat-1M, under the LMSYS-Chat-1M Dataset License Agreement (https://huggingface.co/datasets/lmsys/lmsys-chat-1m): you agree to its terms, including the authors' Right to Request Deletion, before you access this data."
extra_gated_fields:
  Name: text
  Affiliation: text
  "I agree to the LMSYS-Chat-1M Dataset License Agreement": checkbox
  "I will delete conversations whose deletion is requested, from this data and what I build from it": checkbox
extra_gated_button_content: "I agree to the terms of the LMSYS-Chat-1M Dataset License Agreement"
language:
- ja
task_categories:
- text-generation
size_categories:
- 1K<n<10K
tags:
- synthetic
- sft
- dpo
- japanese
- "yes"
source_datasets:
- lmsys/lmsys-chat-1m
- tokyotech-llm/lmsys-chat-1m-synth
configs:
- config_name: sft
  default: true
  data_files:
  - split: train
    path:
    - sft/train-00000-of-00002.parquet
    - sft/train-00001-of-00002.parquet
- config_name: dpo
  data_files:
  - split: train
    path:
    - dpo/train-00000-of-00001.parquet
---

# LMSYS-Chat-1M-Synth: SFT and DPO

Built with lmsynth 0.1.0 from LMSYS-Chat-1M-Synth (gemma-3 variant).

## Counts

Records read: 2,000

| config | split | rows |
|---|---|---:|
| sft | train | 1,510 |
| dpo | train | 1,200 |

## How to use

\`\`\`python
from datasets import load_dataset

sft = load_dataset("<this repo or folder>", "sft")  # TRL SFTTrainer
dpo = load_dataset("<this repo or folder>", "dpo")  # TRL DPOTrainer
\`\`\`

## Funnel

Skips by reason, as counted during the build.

| config | reason | count |
|---|---|---:|
| sft | no-candidates | 7 |
| sft | pii | 3 |
| dpo | margin | 9 |

## License information

- [LMSYS-Chat-1M Dataset License Agreement](https://huggingface.co/datasets/lmsys/lmsys-chat-1m): user instructions (original and Japanese translations).
- [Gemma Terms of Use](https://ai.google.dev/gemma/terms): assistant responses generated with Gemma.

### Deletion requests

The LMSYS-Chat-1M Dataset License Agreement gives the authors of the conversations the right to request their deletion, in whole or in part; whoever holds a copy of this data must then delete it. To apply a request to a copy of this folder, list the \`conversation_id\`s one per line and run \`lmsynth delete-ids <folder> --ids <list>\`, then \`lmsynth publish <folder> --repo <repo>\`: only the shards that held them are rewritten and sent, and the folder equals a fresh build with \`--exclude-ids <list>\`. Remove the same conversations from everything built from it.

## Files

| path | rows | bytes | sha256 |
|---|---:|---:|---|
| dpo/train-00000-of-00001.parquet | 1,200 | 34,567 | \`aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\` |
| sft/train-00000-of-00002.parquet | 1,500 | 100 | \`bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\` |
| sft/train-00001-of-00002.parquet | 10 | 10 | \`cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\` |

## How it was built

lmsynth 0.1.0:

\`\`\`sh
lmsynth build a.jsonl.gz -o out --preset swallow-v0.5
\`\`\`
`;
