"""A tiny tokenizer and model for the real clients: a byte-level BPE trained on the rows at test time, with
the special tokens and the official chat template of a model family, and a randomly initialised Llama."""
import json
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from conftest import OFFICIAL


def texts_of(rows: list[dict]) -> list[str]:
    out = []
    for row in rows:
        for key in ("messages", "prompt", "completion", "chosen", "rejected"):
            for message in row.get(key) or []:
                out.append(message["content"])
    return out


def tokenizer_for(family: str, rows: list[dict], templates: Path) -> PreTrainedTokenizerFast:
    template_file, bos, eos, specials = OFFICIAL[family]
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=[bos, eos, "<pad>", *specials], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(texts_of(rows), trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=bos, eos_token=eos, pad_token="<pad>")
    tokenizer.chat_template = (templates / template_file).read_text("utf8")
    return tokenizer


def tiny_llama(tokenizer: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf8").splitlines() if line.strip()]
