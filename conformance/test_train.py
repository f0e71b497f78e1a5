"""TRL's trainers read each config as it is and train a tiny random Llama for two steps with a finite loss:
SFTTrainer on `sft` (conversational `messages`) and `sft-prompt-completion`, DPOTrainer on `dpo` (explicit
prompt) and `dpo-implicit`, KTOTrainer on `kto`; GPT-OSS rows with their reasoning traces too."""
import math

import datasets
import pytest
from trl import DPOConfig, DPOTrainer, KTOConfig, KTOTrainer, SFTConfig, SFTTrainer

from clients import tiny_llama, tokenizer_for

COMMON = dict(max_steps=2, per_device_train_batch_size=2, learning_rate=1e-3, report_to=[], logging_steps=1, save_strategy="no", use_cpu=True, seed=0)


def saved_model(tmp_path, tokenizer) -> str:
    """The tiny model saved as a user's checkpoint would be: trainers load it (and DPO its reference) by path."""
    path = tmp_path / "model"
    tiny_llama(tokenizer).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def losses(trainer) -> list[float]:
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


TRAINERS = {"sft": (SFTTrainer, SFTConfig), "dpo": (DPOTrainer, DPOConfig), "kto": (KTOTrainer, KTOConfig)}

# (build, config): every layout a TRL trainer reads, from the builds of conftest.BUILDS.
CASES = [
    ("parquet-both-test", "sft"),
    ("parquet-both-test", "dpo"),
    ("all-formats-test", "sft"),
    ("all-formats-test", "dpo"),
    ("layouts", "sft-prompt-completion"),
    ("layouts", "dpo-implicit"),
    ("layouts", "kto"),
    ("gpt-oss", "sft"),
    ("gpt-oss", "dpo"),
    ("gpt-oss", "kto"),
]


@pytest.mark.parametrize(("build", "config"), CASES)
def test_the_trl_trainer_of_each_config_trains_on_it(tmp_path, builds, templates, build, config):
    trainer_class, config_class = TRAINERS[config.split("-")[0]]
    train = datasets.load_dataset(str(builds[build]), config, split="train")
    tokenizer = tokenizer_for("llama-3.1", list(train), templates)
    trainer = trainer_class(
        model=saved_model(tmp_path, tokenizer),
        args=config_class(output_dir=str(tmp_path / "out"), max_length=256, **COMMON),
        train_dataset=train,
        processing_class=tokenizer,
    )
    trainer.train()
    assert len(losses(trainer)) == 2 and all(math.isfinite(x) for x in losses(trainer))
