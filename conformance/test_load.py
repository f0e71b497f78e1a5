"""Every config a card declares loads with `load_dataset(folder, name)`, split by split, with the rows the
manifest counts; the formats the card does not declare load with the snippet the card gives."""
import re

import datasets
import pytest
from huggingface_hub import DatasetCard, DatasetCardData

from conftest import BUILDS, manifest_of


@pytest.mark.parametrize("name", BUILDS)
def test_every_declared_config_loads_with_the_manifest_counts(builds, name):
    folder = builds[name]
    card = DatasetCard.load(folder / "README.md")
    manifest = manifest_of(folder)
    declared = [c["config_name"] for c in card.data.configs]
    assert declared, "the card declares no config"
    for config in declared:
        loaded = datasets.load_dataset(str(folder), config)
        expected = {split: n for split, n in manifest["counts"]["rows"][config].items() if n > 0}
        assert {split: ds.num_rows for split, ds in loaded.items()} == expected
    # Configs without rows are never declared.
    empty = [c for c, splits in manifest["counts"]["rows"].items() if not any(splits.values())]
    assert not set(empty) & set(declared)


@pytest.mark.parametrize("name", BUILDS)
def test_the_card_parses_and_its_yaml_is_consistent(builds, name):
    folder = builds[name]
    card = DatasetCard.load(folder / "README.md")
    data: DatasetCardData = card.data
    assert data.pretty_name == "LMSYS-Chat-1M-Synth: SFT and DPO"
    assert data.license == "other"
    # datasets' own readers of the card's YAML: the configs and dataset_info it would use.
    configs = datasets.utils.metadata.MetadataConfigs.from_dataset_card_data(data)
    infos = datasets.info.DatasetInfosDict.from_dataset_card_data(data)
    assert set(configs) == set(infos)
    manifest = manifest_of(folder)
    for config, info in infos.items():
        assert {s: info.splits[s].num_examples for s in info.splits} == {s: n for s, n in manifest["counts"]["rows"][config].items() if n > 0}
        # Every data file the card names exists and is listed in the manifest.
        listed = {f["path"] for f in manifest["files"]}
        for entry in configs[config]["data_files"]:
            paths = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
            assert set(paths) <= listed


@pytest.mark.parametrize("name", BUILDS)
def test_the_card_gates_access_on_the_lmsys_terms(builds, name):
    # The Hub reads these keys of the card's metadata to show the access form, as for lmsys/lmsys-chat-1m.
    data = DatasetCard.load(builds[name] / "README.md").data.to_dict()
    assert data["extra_gated_prompt"].startswith(
        "The rows hold text of LMSYS-Chat-1M, under the LMSYS-Chat-1M Dataset License Agreement (https://huggingface.co/datasets/lmsys/lmsys-chat-1m)"
    )
    assert data["extra_gated_fields"] == {
        "Name": "text",
        "Affiliation": "text",
        "I agree to the LMSYS-Chat-1M Dataset License Agreement": "checkbox",
        "I will delete conversations whose deletion is requested, from this data and what I build from it": "checkbox",
    }
    assert data["extra_gated_button_content"] == "I agree to the terms of the LMSYS-Chat-1M Dataset License Agreement"


def test_parquet_files_carry_the_datasets_features_and_the_tool(builds):
    import json

    import pyarrow.parquet as pq

    folder = builds["parquet-ja"]
    meta = pq.read_metadata(folder / "sft/train-00000-of-00001.parquet")
    assert re.fullmatch(r"lmsynth version \d+\.\d+\.\d+", meta.created_by)
    features = datasets.Features.from_dict(json.loads(meta.metadata[b"huggingface"])["info"]["features"])
    assert features == datasets.load_dataset(str(folder), "sft", split="train").features


def test_other_formats_load_with_the_cards_snippet(builds):
    folder = builds["all-formats-test"]
    text = (folder / "README.md").read_text("utf8")
    manifest = manifest_of(folder)
    snippets = re.findall(r'^(\w+) = load_dataset\("(json|arrow)", data_dir="<folder>", data_files=(\{.*\})\)$', text, re.M)
    assert {(c, b) for c, b, _ in snippets} == {("sft", "json"), ("dpo", "json"), ("sft", "arrow"), ("dpo", "arrow")}
    for config, builder, files in snippets:
        loaded = datasets.load_dataset(builder, data_dir=str(folder), data_files=eval(files))  # noqa: S307 - the card's own dict literal
        assert {s: d.num_rows for s, d in loaded.items()} == manifest["counts"]["rows"][config]


def test_an_english_only_build_declares_no_empty_config(builds):
    # Llama-3.1 English records hold one response each: no DPO pair, so no dpo config.
    folder = builds["en-only"]
    card = DatasetCard.load(folder / "README.md")
    assert [c["config_name"] for c in card.data.configs] == ["sft"]
    assert "Left out of the configs above because they have no rows: `dpo`." in card.text
