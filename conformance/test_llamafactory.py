"""LLaMA-Factory reads a build's sharegpt configs through the `dataset_info.json` the build writes: every entry
names a real file (relative to the folder, its `dataset_dir`) whose columns are the ones the entry maps, and
every row passes the checks of LLaMA-Factory's sharegpt converter (data/README.md; `SharegptDatasetConverter`):
an optional leading system turn, then user turns at odd and assistant turns at even positions; SFT rows end
with the assistant, ranking rows end with the user and carry one assistant turn each as `chosen` and
`rejected`."""
import json

import datasets

from conftest import manifest_of


def sharegpt_problems(row: dict, entry: dict) -> list[str]:
    columns, tags = entry["columns"], entry["tags"]
    role, content = tags["role_tag"], tags["content_tag"]
    turns = list(row[columns["messages"]])
    if turns and turns[0][role] == tags["system_tag"]:
        turns = turns[1:]
    problems = []
    for i, turn in enumerate(turns):
        want = tags["user_tag"] if i % 2 == 0 else tags["assistant_tag"]
        if turn[role] != want or not isinstance(turn[content], str):
            problems.append(f"turn {i}: {turn[role]!r}, expected {want!r}")
    if entry.get("ranking"):
        if len(turns) % 2 == 0:
            problems.append("a ranking prompt must end with the user")
        for key in ("chosen", "rejected"):
            answer = row[columns[key]]
            if not isinstance(answer, dict) or answer[role] != tags["assistant_tag"] or not isinstance(answer[content], str):
                problems.append(f"{key}: {answer!r}")
    elif len(turns) % 2 != 0:
        problems.append("an SFT conversation must end with the assistant")
    return problems


def test_dataset_info_names_every_sharegpt_file_and_its_columns(builds):
    for name in ("layouts", "gpt-oss"):
        folder = builds[name]
        info = json.loads((folder / "dataset_info.json").read_text("utf8"))
        manifest = manifest_of(folder)
        # One entry per split of each sharegpt config (one shard each here), named after the config.
        expected = {"sft-sharegpt", "dpo-sharegpt"} | ({"sft-sharegpt_test", "dpo-sharegpt_test"} if name == "layouts" else set())
        assert set(info) == expected
        listed = {f["path"] for f in manifest["files"]}
        assert "dataset_info.json" in listed
        for key, entry in info.items():
            assert entry["formatting"] == "sharegpt"
            assert entry["file_name"] in listed and entry["file_name"].endswith(".parquet")
            rows = datasets.load_dataset("parquet", data_files=str(folder / entry["file_name"]), split="train")
            assert set(entry["columns"].values()) <= set(rows.column_names)
            split = "test" if key.endswith("_test") else "train"
            assert rows.num_rows == manifest["counts"]["rows"][key.split("_")[0]][split] > 0
            bad = [(i, p) for i, row in enumerate(rows) for p in sharegpt_problems(row, entry)]
            assert bad == []
