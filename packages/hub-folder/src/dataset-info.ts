import { datasetCardInput } from "./dataset-card.js";
import type { DatasetManifest } from "./dataset-manifest.js";

/** The file LLaMA-Factory reads to find datasets in a folder (its `dataset_dir`). */
export const DATASET_INFO = "dataset_info.json";

/**
 * LLaMA-Factory's `dataset_info.json` for the configs of `manifest.card` that have attributes: one entry per
 * config, split and shard of the card's primary format, named `<config>` (train) or `<config>_<split>`, and
 * `_<i>` after it when the split has several shards (LLaMA-Factory reads a folder only when it holds one
 * split in one format, so each entry names one file; list several with `dataset: a,b`). Undefined when no
 * config has attributes. Keys in a fixed order, so the same folder gives the same bytes.
 */
export function renderDatasetInfo(manifest: DatasetManifest): string | undefined {
  const card = manifest.card;
  const attributes = card?.llamaFactory;
  if (!card || !attributes || Object.keys(attributes).length === 0) return undefined;
  const entries: Record<string, unknown> = {};
  for (const config of datasetCardInput(manifest, card).configs) {
    const attrs = attributes[config.name];
    if (!attrs) continue;
    for (const { split, paths } of config.splits) {
      const name = split === "train" ? config.name : `${config.name}_${split}`;
      paths.forEach((path, i) => {
        entries[paths.length > 1 ? `${name}_${String(i).padStart(5, "0")}` : name] = { file_name: path, ...attrs };
      });
    }
  }
  return `${JSON.stringify(entries, null, 2)}\n`;
}
