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


# A chat template that reads reasoning traces under either key (as Qwen3's reads `reasoning_content` and
# gpt-oss's harmony template `thinking`), so that the field lmsynth keeps is the one the template sees.
REASONING_TEMPLATE = (
    "{% for m in messages %}<|{{ m.role }}|>"
    "{% if m.reasoning_content %}<think>{{ m.reasoning_content }}</think>{% endif %}"
    "{% if m.thinking %}<thinking>{{ m.thinking }}</thinking>{% endif %}"
    "{{ m.content }}<|end|>\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def test_gpt_oss_traces_reach_the_template_under_the_chosen_key(tmp_path, templates):
    template = tmp_path / "chat_template.jinja"
    template.write_text(REASONING_TEMPLATE, "utf8")
    for key in ("reasoning_content", "thinking"):
        sft = tmp_path / f"{key}.jsonl"
        lmsynth("sft", str(FIXTURES / "gpt-oss/edge-cases.jsonl"), "-o", str(sft), "--lang", "both", "--select", "all", "--reasoning-key", key, "--template", str(template), "-q")
        rows = read_jsonl(sft)
        tokenizer = tokenizer_for("llama-3.1", rows, templates)
        tokenizer.chat_template = REASONING_TEMPLATE
        # 11 rows (7 ja, 4 en); 8 responses have a trace that is not empty (oss-no-trace has two without, one
        # English trace is ""), each rendered under the key asked for. Every message carries the key (user
        # turns and responses without a trace hold ""), so no template meets a null.
        assert len(rows) == 11
        tag = "<think>" if key == "reasoning_content" else "<thinking>"
        assert [sum(t in r["text"] for r in rows) for t in ("<think>", "<thinking>")] == ([8, 0] if tag == "<think>" else [0, 8])
        for row in rows:
            assert tokenizer.apply_chat_template(row["messages"], tokenize=False) == row["text"]
