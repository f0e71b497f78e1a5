"""`lmsynth render` equals transformers' `apply_chat_template(messages, tokenize=False)` for every row and
every official template: transformers' own renderer is the reference."""
import pytest

from clients import read_jsonl, tokenizer_for
from conftest import FIXTURES, OFFICIAL, lmsynth


@pytest.mark.parametrize("family", OFFICIAL)
def test_render_equals_apply_chat_template(tmp_path, templates, family):
    sft = tmp_path / "sft.jsonl"
    # Every response of both languages of the sample: Japanese and English text, every length.
    lmsynth("sft", str(FIXTURES / "sample/llama3.1-sample.jsonl.gz"), "-o", str(sft), "--lang", "both", "--select", "all", "-q")
    rendered = tmp_path / "render.jsonl"
    lmsynth("render", str(sft), "--template", family, "-o", str(rendered), "-q")
    rows = read_jsonl(sft)
    texts = [r["text"] for r in read_jsonl(rendered)]
    assert len(rows) == len(texts) > 100
    tokenizer = tokenizer_for(family, rows, templates)
    for row, text in zip(rows, texts):
        assert tokenizer.apply_chat_template(row["messages"], tokenize=False) == text


def test_render_with_a_system_message_where_the_template_takes_one(tmp_path, templates):
    sft = tmp_path / "sft.jsonl"
    lmsynth("sft", str(FIXTURES / "gemma3/edge-cases.jsonl"), "-o", str(sft), "--system", "あなたは誠実なアシスタントです。", "-q")
    rows = read_jsonl(sft)
    for family in ("llama-3.1", "gemma-3"):
        rendered = tmp_path / f"{family}.jsonl"
        lmsynth("render", str(sft), "--template", family, "-o", str(rendered), "-q")
        tokenizer = tokenizer_for(family, rows, templates)
        for row, out in zip(rows, read_jsonl(rendered)):
            assert tokenizer.apply_chat_template(row["messages"], tokenize=False) == out["text"]
