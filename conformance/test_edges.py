"""Folders at the edges of deletion and scale-out (issue 24) load in the real `datasets` client: a deletion
that empties a middle shard, a folder merged from `--shard` parts one of which received no rows, and a folder
with no rows at all, which must fail to load rather than load its manifest as data."""
import gzip
import json
from pathlib import Path

import datasets
import pytest
from huggingface_hub import DatasetCard

from conftest import SAMPLE, lmsynth, manifest_of


def assert_loads_config_by_config(folder: Path) -> None:
    card = DatasetCard.load(folder / "README.md")
    manifest = manifest_of(folder)
    declared = [c["config_name"] for c in card.data.configs]
    assert declared
    for config in declared:
        loaded = datasets.load_dataset(str(folder), config)
        assert {s: d.num_rows for s, d in loaded.items()} == {s: n for s, n in manifest["counts"]["rows"][config].items() if n > 0}
    # The default config too, as `load_dataset(folder)` picks it.
    assert datasets.load_dataset(str(folder))["train"].num_rows == manifest["counts"]["rows"][declared[0]]["train"]


def ids_of(path: Path) -> list[str]:
    return [json.loads(line)["conversation_id"] for line in path.read_text("utf8").splitlines() if line]


def test_a_deletion_that_empties_a_middle_shard_leaves_a_folder_that_loads(tmp_path):
    folder = tmp_path / "ds"
    lmsynth("build", str(SAMPLE), "--lang", "both", "--kto", "--format", "parquet,jsonl", "--test-size", "0.2", "--max-shard-bytes", "12000", "-o", str(folder), "-q")
    shards = sorted((folder / "sft").glob("train-*.jsonl"))
    assert len(shards) >= 3
    listed = tmp_path / "ids.txt"
    listed.write_text("\n".join(sorted(set(ids_of(shards[1])))) + "\n")
    lmsynth("delete-ids", str(folder), "--ids", str(listed), "--silent")
    after = sorted((folder / "sft").glob("train-*.jsonl"))
    assert len(after) < len(shards)
    assert all(ids_of(p) for p in after), "a shard without rows is left"
    assert_loads_config_by_config(folder)


def test_a_folder_merged_from_parts_one_of_them_empty_loads_and_the_empty_part_does_not(tmp_path):
    # Two records over four parts: at least two parts receive none.
    with gzip.open(SAMPLE, "rt", encoding="utf8") as f:
        lines = [next(f) for _ in range(2)]
    small = tmp_path / "two.jsonl"
    small.write_text("".join(lines))
    parts = []
    for i in range(4):
        part = tmp_path / f"part-{i}"
        lmsynth("build", str(small), "--shard", f"{i}/4", "-o", str(part), "-q")
        parts.append(part)
    empty = [p for p in parts if not any(manifest_of(p)["counts"]["rows"]["sft"].values())]
    assert empty
    with pytest.raises(datasets.exceptions.DataFilesNotFoundError):
        datasets.load_dataset(str(empty[0]))
    merged = tmp_path / "merged"
    lmsynth("merge-manifests", *map(str, parts), "-o", str(merged), "--silent")
    assert_loads_config_by_config(merged)


def test_a_folder_whose_every_conversation_was_deleted_does_not_load_its_manifest_as_data(tmp_path):
    folder = tmp_path / "ds"
    lmsynth("build", str(SAMPLE), "-o", str(folder), "-q")
    listed = tmp_path / "all.txt"
    listed.write_text("\n".join(sorted(set(ids_of_parquet(folder)))) + "\n")
    lmsynth("delete-ids", str(folder), "--ids", str(listed), "--silent")
    assert not list(folder.glob("*/*.parquet"))
    with pytest.raises(datasets.exceptions.DataFilesNotFoundError):
        datasets.load_dataset(str(folder))


def ids_of_parquet(folder: Path) -> list[str]:
    import pyarrow.parquet as pq

    return [i for path in sorted(folder.glob("*/*.parquet")) for i in pq.read_table(path, columns=["conversation_id"]).column(0).to_pylist()]


def test_multiturn_sharegpt_rows_are_all_kept_by_llamafactorys_checks(tmp_path):
    from conftest import FIXTURES
    from test_llamafactory import sharegpt_problems

    records = [json.loads(line) for line in (FIXTURES / "gemma2/edge-cases.jsonl").read_text("utf8").splitlines() if line]
    base = next(r for r in records if isinstance(r.get("synthesized_multiturn_conversation"), list) and r["synthesized_multiturn_conversation"])
    shapes = {
        "good": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}, {"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"}],
        "ends-with-user": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q2"}],
        "repeats": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}, {"role": "assistant", "content": "a2"}, {"role": "user", "content": "q3"}],
        "system-inside": [{"role": "user", "content": "q"}, {"role": "system", "content": "s"}, {"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"}],
        "tool": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}, {"role": "tool", "content": "t"}, {"role": "assistant", "content": "a2"}],
    }
    source = tmp_path / "gemma2.jsonl"
    with source.open("w", encoding="utf8") as f:
        for i, turns in enumerate(shapes.values()):
            f.write(json.dumps({**base, "conversation_id": f"{i:032x}", "synthesized_multiturn_conversation": turns}, ensure_ascii=False) + "\n")
    folder = tmp_path / "ds"
    lmsynth("build", str(source), "--multiturn", "--sft-format", "sharegpt", "--no-dpo", "-o", str(folder), "-q")
    manifest = manifest_of(folder)
    assert manifest["counts"]["rows"]["sft-sharegpt"]["train"] == 1
    assert manifest["counts"]["funnel"]["sft-sharegpt"]["turn-order"] == 4
    info = json.loads((folder / "dataset_info.json").read_text("utf8"))
    entry = info["sft-sharegpt"]
    rows = datasets.load_dataset("parquet", data_files=str(folder / entry["file_name"]), split="train")
    assert [p for row in rows for p in sharegpt_problems(row, entry)] == []
