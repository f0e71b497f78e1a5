"""Builds lmsynth outputs from the repository's fixtures with the real CLI, once per session, for the tests
that load them in the real clients (datasets, TRL, transformers, huggingface_hub)."""
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CLI = REPO / "apps/cli/dist/bin.js"
FIXTURES = REPO / "test-fixtures"
TEMPLATES = REPO.parent / "shared/reference/templates"
SAMPLE = FIXTURES / "sample/llama3.1-sample.jsonl.gz"

# Every format/split/language combination a user would ask for: name → build flags.
BUILDS = {
    "parquet-ja": ["--lang", "ja"],
    "parquet-both-test": ["--lang", "both", "--test-size", "0.2", "--seed", "1"],
    "all-formats-test": ["--preset", "swallow-v0.1", "--format", "parquet,jsonl,arrow", "--test-size", "0.2"],
    "jsonl-only": ["--lang", "both", "--format", "jsonl"],
    "arrow-only-test": ["--format", "arrow", "--test-size", "0.3"],
    "en-only": ["--lang", "en"],
    "template-text": ["--template", "llama-3.1", "--lang", "both"],
    # Every layout as its own config (README "Layouts"), with KTO, in both languages.
    "layouts": ["--lang", "both", "--sft-format", "messages,conversation,prompt-completion,sharegpt", "--dpo-format", "trl,implicit,ultrafeedback,sharegpt", "--kto", "--format", "parquet,jsonl", "--test-size", "0.2"],
    # The GPT-OSS fixture, reasoning traces kept (a nullable message field).
    "gpt-oss": ["--lang", "both", "--sft-format", "messages,prompt-completion,sharegpt", "--dpo-format", "trl,implicit,sharegpt", "--kto", "--kto-per-record", "all"],
}

# The input of a build when it is not the sample.
INPUTS = {"gpt-oss": FIXTURES / "gpt-oss/edge-cases.jsonl"}

# The official templates (../shared/reference/templates) and the lmsynth built-in of each.
OFFICIAL = {
    "llama-3.1": ("meta-llama__Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>", ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]),
    "gemma-2": ("google__gemma-2-27b-it.jinja", "<bos>", "<eos>", ["<start_of_turn>", "<end_of_turn>"]),
    "gemma-3": ("google__gemma-3-27b-it.jinja", "<bos>", "<eos>", ["<start_of_turn>", "<end_of_turn>"]),
}


def lmsynth(*args: str) -> subprocess.CompletedProcess:
    """Runs the built CLI from the repository root; fails the test with its stderr on a non-zero exit."""
    run = subprocess.run(["node", str(CLI), *args], cwd=REPO, capture_output=True, text=True, env={**os.environ, "LMSYNTH_PASSPHRASE": ""})
    if run.returncode != 0:
        pytest.fail(f"lmsynth {' '.join(args)} exited {run.returncode}: {run.stderr}")
    return run


@pytest.fixture(scope="session")
def templates() -> Path:
    if not TEMPLATES.is_dir():
        # Outside CI a missing ../shared only skips; CI must have it (the tests fail there instead).
        if os.environ.get("CI") == "true":
            pytest.fail(f"{TEMPLATES} is missing: CI runs with ../shared beside the repository")
        pytest.skip(f"{TEMPLATES} is missing")
    return TEMPLATES


@pytest.fixture(scope="session")
def builds(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("builds")
    out = {}
    for name, flags in BUILDS.items():
        lmsynth("build", str(INPUTS.get(name, SAMPLE)), "-o", str(root / name), "-q", *flags)
        out[name] = root / name
    return out


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text("utf8"))
