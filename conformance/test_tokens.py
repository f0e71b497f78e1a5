"""`--tokenizer tokenizer.json` counts the tokens of each row's chat-template text as the Python `tokenizers`
library does, for a byte-level BPE and a SentencePiece-style Unigram (NFKC, Metaspace) trained here on the
sample, and `--max-tokens` keeps exactly the rows within the limit."""
import json
import statistics

import pytest
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from clients import read_jsonl
from conftest import SAMPLE, lmsynth

SPECIAL = ["<|im_start|>", "<|im_end|>"]


def byte_level_bpe(texts: list[str]) -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=700, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return tok


def sentencepiece_unigram(texts: list[str]) -> Tokenizer:
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(texts, trainers.UnigramTrainer(vocab_size=300, special_tokens=[*SPECIAL, "<unk>"], unk_token="<unk>"))
    return tok


@pytest.mark.parametrize("kind", ["byte-level-bpe", "sentencepiece-unigram"])
def test_num_tokens_equal_python_tokenizers_and_max_tokens_keeps_rows_within(tmp_path, kind):
    plain = tmp_path / "plain.jsonl"
    lmsynth("sft", str(SAMPLE), "-o", str(plain), "--lang", "both", "--select", "all", "--template", "chatml", "-q")
    texts = [row["text"] for row in read_jsonl(plain)]
    tokenizer = (byte_level_bpe if kind == "byte-level-bpe" else sentencepiece_unigram)(texts[::3])
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))

    counted = tmp_path / "counted.jsonl"
    lmsynth("sft", str(SAMPLE), "-o", str(counted), "--lang", "both", "--select", "all", "--template", "chatml", "--tokenizer", str(path), "--with-meta", "-q")
    rows = read_jsonl(counted)
    assert len(rows) == len(texts) > 1000
    assert [r["num_tokens"] for r in rows] == [len(tokenizer.encode(r["text"], add_special_tokens=False).ids) for r in rows]

    limit = int(statistics.median(r["num_tokens"] for r in rows))
    kept = tmp_path / "kept.jsonl"
    run = lmsynth("sft", str(SAMPLE), "-o", str(kept), "--lang", "both", "--select", "all", "--template", "chatml", "--tokenizer", str(path), "--with-meta", "--max-tokens", str(limit), "--json")
    assert read_jsonl(kept) == [r for r in rows if r["num_tokens"] <= limit]
    # A record and language counts as `length` when none of its rows is left.
    key = lambda r: (r["conversation_id"], r["lang"])  # noqa: E731
    gone = {key(r) for r in rows} - {key(r) for r in rows if r["num_tokens"] <= limit}
    funnel = json.loads(run.stdout)["funnel"]["sft"]
    assert sum(f.get("length", 0) for f in funnel.values()) == len(gone) > 0


def test_max_tokens_keeps_the_dpo_pairs_and_kto_examples_within_the_limit(tmp_path):
    plain = tmp_path / "plain.jsonl"
    lmsynth("sft", str(SAMPLE), "-o", str(plain), "--lang", "both", "--select", "all", "--template", "chatml", "-q")
    tokenizer = byte_level_bpe([row["text"] for row in read_jsonl(plain)][::3])
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    count = lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)  # noqa: E731
    length = ["--template", "chatml", "--tokenizer", str(path)]

    # DPO: every pair, rendered by lmsynth render (prompt + answer = the conversation's template text).
    pairs, texts = tmp_path / "pairs.jsonl", tmp_path / "pairs-text.jsonl"
    lmsynth("dpo", str(SAMPLE), "-o", str(pairs), "--pairs", "all", "-q")
    lmsynth("render", str(pairs), "--template", "chatml", "-o", str(texts), "-q")
    longest = [max(count(t["prompt"] + t["chosen"]), count(t["prompt"] + t["rejected"])) for t in read_jsonl(texts)]
    limit = int(statistics.median(longest))
    kept = tmp_path / "kept.jsonl"
    lmsynth("dpo", str(SAMPLE), "-o", str(kept), "--pairs", "all", "--max-tokens", str(limit), *length, "-q")
    assert read_jsonl(kept) == [p for p, n in zip(read_jsonl(pairs), longest) if n <= limit]

    # KTO: prompt + completion as one conversation.
    examples, texts = tmp_path / "kto.jsonl", tmp_path / "kto-text.jsonl"
    lmsynth("kto", str(SAMPLE), "-o", str(examples), "--kto-per-record", "all", "-q")
    lmsynth("render", str(examples), "--template", "chatml", "-o", str(texts), "-q")
    tokens = [count(t["text"]) for t in read_jsonl(texts)]
    limit = int(statistics.median(tokens))
    lmsynth("kto", str(SAMPLE), "-o", str(kept), "--kto-per-record", "all", "--max-tokens", str(limit), *length, "-q")
    assert read_jsonl(kept) == [e for e, n in zip(read_jsonl(examples), tokens) if n <= limit]
