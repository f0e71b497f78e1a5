#!/usr/bin/env python3
"""Plain-Python baseline of `lmsynth sft --select best --lang ja` (default options), for bench/run.mjs.

Standard library only: what a user would write in an afternoon. Reads a merged gzip (or plain) JSONL file
and writes gzip JSONL rows {"conversation_id", "messages": [user, assistant]} in input order, with the rules
of behaviour.md §2-3:

- skip a record when empty_user_instruction_ja is true, when translated_conversation[0].content is absent
  or blank, when duplicate_user_instruction_ja is set, or when it has no responses;
- candidates pair synthesized_assistant_responses with synthesized_response_scoring_annotations by index,
  only when both lists have the same length (otherwise no candidate has a score);
- usable: content not blank after trimming, score a finite number other than -1;
  choosable: usable and repetition_flag not true;
- best: the highest score, ties to the lowest index.

"Blank" uses JavaScript's String.prototype.trim whitespace set, not str.strip()'s, so both tools agree on
every input. Output JSON is compact and unescaped (separators=(",", ":"), ensure_ascii=False), which gives
the same bytes as JSON.stringify for well-formed text; bench/run.mjs asserts it.

usage: python3 bench/sft_select.py INPUT.jsonl[.gz] -o OUTPUT.jsonl.gz
"""

import argparse
import gzip
import json
import math
import sys

# ECMAScript WhiteSpace + LineTerminator: what String.prototype.trim removes.
JS_WHITESPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def is_blank(text):
    return text.strip(JS_WHITESPACE) == ""


def score_of(annotation):
    if not isinstance(annotation, dict):
        return None
    s = annotation.get("preference_score")
    # bool is an int in Python; JSON true is not a score.
    if isinstance(s, bool) or not isinstance(s, (int, float)):
        return None
    return s


def best_response(record):
    """The content of the best choosable Japanese response, or None when the record gives no row."""
    if record.get("empty_user_instruction_ja") is True:
        return None
    responses = record.get("synthesized_assistant_responses") or []
    annotations = record.get("synthesized_response_scoring_annotations")
    if not responses or annotations is None or len(annotations) != len(responses):
        return None
    best = None
    best_score = None
    for response, annotation in zip(responses, annotations):
        content = response.get("content")
        score = score_of(annotation)
        if score is None or not math.isfinite(score) or score == -1:
            continue
        if annotation.get("repetition_flag") is True or is_blank(content):
            continue
        if best_score is None or score > best_score:
            best, best_score = content, score
    return best


def instruction_of(record):
    turns = record.get("translated_conversation")
    if not turns:
        return None
    content = turns[0].get("content")
    return None if content is None or is_blank(content) else content


def open_input(path):
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)

    records = rows = 0
    batch = []
    with open_input(args.input) as src, open(args.output, "wb") as raw:
        # mtime=0 and no file name in the header: same rows, same bytes.
        with gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=raw, mtime=0) as out:
            for line in src:
                if not line.strip():
                    continue
                record = json.loads(line)
                records += 1
                user = instruction_of(record)
                if user is None or record.get("duplicate_user_instruction_ja") is not None:
                    continue
                assistant = best_response(record)
                if assistant is None:
                    continue
                row = {
                    "conversation_id": record["conversation_id"],
                    "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}],
                }
                batch.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
                rows += 1
                if len(batch) >= 1000:
                    out.write(("\n".join(batch) + "\n").encode("utf-8"))
                    batch = []
            if batch:
                out.write(("\n".join(batch) + "\n").encode("utf-8"))
    print(f"{records} records, {rows} rows", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
