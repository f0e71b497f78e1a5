"""Writes the LMSYS side of the bench as the real thing: LMSYS-Chat-1M's Parquet shards.

    python bench/lmsys_parquet.py <lmsys-chat-1m-N.jsonl.gz> -o <dir> [--rows R] [--shards 6] [--seed 1]

Input: the bench's LMSYS export of N records (bench/generate.mjs --sources), one per synth record. Output:
`<dir>/train-0000i-of-0000S.parquet`, written by pyarrow as the Hub's shards are (SNAPPY, 1,000-row row
groups, the columns and nested types of lmsys/lmsys-chat-1m), holding R rows (default N × 1,000,000 /
450,000, the real ratio): the N records plus R - N others, of which half are in another language, a tenth
flagged by the moderation and the rest English conversations no synth record asks for. The export filter
of `lmsynth build --lmsys` (Japanese and English, flagged dropped) keeps the N records and the unmatched
ones, so the join indexes 67% of the rows and uses 45%. The N records are written unflagged (the bench's
export flags a few; the real synth records all passed the filter), so each finds its row.

`meta.json` beside them says what they hold (rows, bytes on disk, uncompressed page bytes); it is written
last, so a folder without it is unfinished. Rows are mixed in windows of 10,000 (seeded), so the join reads the shards out of synth order, as it does
the real ones. Deterministic: the same input, rows and seed give the same rows (pyarrow's bytes may differ
across pyarrow versions). Memory: one window at a time.
"""

import argparse
import gzip
import hashlib
import json
import os
import random

import pyarrow as pa
import pyarrow.parquet as pq

MOD_KEYS = [
    "harassment", "harassment/threatening", "hate", "hate/threatening", "self-harm", "self-harm/instructions",
    "self-harm/intent", "sexual", "sexual/minors", "violence", "violence/graphic",
]
OTHER_LANGUAGES = ["Portuguese", "Chinese", "Spanish", "Russian", "German", "French", "Korean", "Italian"]

MESSAGE = pa.struct([("content", pa.string()), ("role", pa.string())])
MODERATION = pa.struct([
    ("categories", pa.struct([(k, pa.bool_()) for k in MOD_KEYS])),
    ("category_scores", pa.struct([(k, pa.float64()) for k in MOD_KEYS])),
    ("flagged", pa.bool_()),
])
SCHEMA = pa.schema([
    ("conversation_id", pa.string()),
    ("model", pa.string()),
    ("conversation", pa.list_(MESSAGE)),
    ("turn", pa.int64()),
    ("language", pa.string()),
    ("openai_moderation", pa.list_(MODERATION)),
    ("redacted", pa.bool_()),
])
WINDOW = 10_000
ROW_GROUP = 1_000


def other_row(template, index, seed, kind):
    """A row no synth record asks for, shaped like `template`: another language, flagged, or unmatched."""
    row = dict(template)
    row["conversation_id"] = hashlib.md5(f"extra {seed} {index}".encode()).hexdigest()
    if kind == "language":
        row["language"] = OTHER_LANGUAGES[index % len(OTHER_LANGUAGES)]
    elif kind == "flagged":
        moderation = [dict(m) for m in row["openai_moderation"]]
        moderation[-1] = {**moderation[-1], "flagged": True, "categories": {**moderation[-1]["categories"], "harassment": True}}
        row["openai_moderation"] = moderation
    return row


def rows_of(path, matched, extras, seed):
    """The input's records with the others spread evenly among them, mixed in seeded windows of WINDOW rows."""
    rand = random.Random(seed)
    window, made, seen = [], 0, 0
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            # The export filter kept every conversation the synth records come from: none is flagged here.
            record["openai_moderation"] = [{**m, "flagged": False} for m in record["openai_moderation"] or []]
            window.append(record)
            seen += 1
            while made < extras * seen // matched:
                r = made % 10
                window.append(other_row(record, made, seed, "language" if r < 5 else "flagged" if r == 5 else "unmatched"))
                made += 1
            if len(window) >= WINDOW:
                rand.shuffle(window)
                yield from window
                window = []
    rand.shuffle(window)
    yield from window


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--rows", type=int)
    ap.add_argument("--shards", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    matched = sum(1 for line in gzip.open(args.input, "rb") if line.strip())
    total = args.rows if args.rows is not None else round(matched * 1_000_000 / 450_000)
    if total < matched:
        raise SystemExit(f"--rows {total} is fewer than the {matched} records of {args.input}")
    per_shard = -(-total // args.shards)
    os.makedirs(args.out, exist_ok=True)
    rows = rows_of(args.input, matched, total - matched, args.seed)
    names = [os.path.join(args.out, f"train-{i:05d}-of-{args.shards:05d}.parquet") for i in range(args.shards)]
    for i, name in enumerate(names):
        with pq.ParquetWriter(name + ".tmp", SCHEMA, compression="snappy") as writer:
            left = min(per_shard, total - i * per_shard)
            while left > 0:
                group = [next(rows) for _ in range(min(ROW_GROUP, left))]
                writer.write_table(pa.Table.from_pylist(group, schema=SCHEMA), row_group_size=ROW_GROUP)
                left -= len(group)
        os.replace(name + ".tmp", name)
    metas = [pq.ParquetFile(name).metadata for name in names]
    meta = {
        "rows": total, "matched": matched, "shards": args.shards, "seed": args.seed,
        "compressedBytes": sum(os.path.getsize(name) for name in names),
        "uncompressedBytes": sum(m.row_group(g).total_byte_size for m in metas for g in range(m.num_row_groups)),
    }
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f)
        f.write("\n")


if __name__ == "__main__":
    main()
