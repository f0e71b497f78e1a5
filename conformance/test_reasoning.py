"""GPT-OSS rows with reasoning traces present, missing, null and empty, under every producer's key, go
through TRL's own reasoning templates as its package ships them (`trl/chat_templates/`): every row of every
config renders (no `None` reaches a template: TRL v1 no longer strips it), SFTTrainer trains two steps with
`assistant_only_loss=True`, DPOTrainer and KTOTrainer two steps, and LLaMA-Factory's sharegpt rows carry the
trace inline as `<think>…</think>`."""
import math
from importlib.resources import files

import datasets
import pytest
from huggingface_hub import DatasetCard
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast
from trl import DPOConfig, DPOTrainer, KTOConfig, KTOTrainer, SFTConfig, SFTTrainer

from clients import tiny_llama
from conftest import FIXTURES, lmsynth
from test_train import COMMON, losses

TEMPLATES = ["gptoss", "gptoss_training", "qwen3", "qwen3_training"]
MESSAGE_KEYS = ("messages", "prompt", "completion", "chosen", "rejected")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Both fixtures of the GPT-OSS subset (traces under every key; missing, null, empty ones), every layout."""
    root = tmp_path_factory.mktemp("reasoning")
    merged = root / "gpt-oss.jsonl"
    merged.write_bytes((FIXTURES / "gpt-oss/trace-keys.jsonl").read_bytes() + (FIXTURES / "gpt-oss/edge-cases.jsonl").read_bytes())
    out = root / "ds"
    lmsynth(
        "build", str(merged), "-o", str(out), "-q", "--lang", "both", "--reasoning-key", "both",
        "--sft-format", "messages,prompt-completion,sharegpt", "--dpo-format", "trl,implicit,sharegpt", "--kto",
    )
    return out


def tokenizer_with(template: str, rows: list[dict]) -> PreTrainedTokenizerFast:
    texts = [m["content"] + m.get("thinking", "") for row in rows for key in MESSAGE_KEYS for m in (row.get(key) or [])]
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=600, special_tokens=["<s>", "</s>", "<pad>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    tokenizer.chat_template = (files("trl") / "chat_templates" / f"{template}.jinja").read_text("utf8")
    return tokenizer


def conversations(row: dict) -> list[list[dict]]:
    """What a TRL trainer renders of a row: the whole conversation of each answer."""
    if "messages" in row:
        return [row["messages"]]
    if "completion" in row:
        return [row["prompt"] + row["completion"]]
    return [row.get("prompt", []) + row["chosen"], row.get("prompt", []) + row["rejected"]]


def test_no_message_of_any_config_holds_a_null_trace(folder):
    for config in [c["config_name"] for c in DatasetCard.load(folder / "README.md").data.configs if "sharegpt" not in c["config_name"]]:
        for row in datasets.load_dataset(str(folder), config, split="train"):
            for key in MESSAGE_KEYS:
                for message in row.get(key) or []:
                    assert isinstance(message["thinking"], str) and isinstance(message["reasoning_content"], str), (config, message)
                    assert message["thinking"] == message["reasoning_content"]


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_row_of_every_config_renders_with_trls_reasoning_templates(folder, template):
    configs = [c["config_name"] for c in DatasetCard.load(folder / "README.md").data.configs if "sharegpt" not in c["config_name"]]
    assert {"sft", "sft-prompt-completion", "dpo", "dpo-implicit", "kto"} <= set(configs)
    rendered = 0
    for config in configs:
        rows = list(datasets.load_dataset(str(folder), config, split="train"))
        tokenizer = tokenizer_with(template, rows)
        for row in rows:
            for conversation in conversations(row):
                text = tokenizer.apply_chat_template(conversation, tokenize=False)
                # The training templates render the last answer's trace (gpt-oss in its analysis channel).
                trace = conversation[-1]["thinking"]
                if template.endswith("_training") and trace:
                    assert trace in text, (config, row["conversation_id"])
                rendered += 1
    assert rendered > 50


def test_llamafactory_rows_carry_the_trace_inline(folder):
    rows = datasets.load_dataset("parquet", data_files=str(next((folder / "sft-sharegpt").glob("train-*.parquet"))), split="train")
    assert set(rows.features["conversations"].feature) == {"from", "value"}
    answers = [turn["value"] for row in rows for turn in row["conversations"] if turn["from"] == "gpt"]
    assert any(a.startswith("<think>考察0（rc）：観光地を比較する。</think>回答0（trace-reasoning-content）") for a in answers)
    # A response without a trace (missing, null or empty) has no tag at all.
    assert any(a.startswith("回答0（trace-missing）") for a in answers)
    assert not any("<think></think>" in a for a in answers)


@pytest.mark.parametrize(("config", "template"), [("sft", "gptoss_training"), ("sft", "qwen3_training"), ("dpo", "gptoss"), ("kto", "gptoss")])
def test_trl_trains_two_steps_with_the_reasoning_template(tmp_path, folder, config, template):
    train = datasets.load_dataset(str(folder), config, split="train")
    tokenizer = tokenizer_with(template, list(train))
    path = tmp_path / "model"
    tiny_llama(tokenizer).save_pretrained(path)
    tokenizer.save_pretrained(path)
    trainer_class, config_class, extra = {
        "sft": (SFTTrainer, SFTConfig, {"assistant_only_loss": True}),
        "dpo": (DPOTrainer, DPOConfig, {}),
        "kto": (KTOTrainer, KTOConfig, {}),
    }[config]
    trainer = trainer_class(
        model=str(path),
        args=config_class(output_dir=str(tmp_path / "out"), max_length=512, **extra, **COMMON),
        train_dataset=train,
        processing_class=tokenizer,
    )
    trainer.train()
    assert len(losses(trainer)) == 2 and all(math.isfinite(x) for x in losses(trainer))
