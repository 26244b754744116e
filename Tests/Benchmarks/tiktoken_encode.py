#!/usr/bin/env python3
"""The reference side of `gpt2-encode`: tiktoken encoding data/tinyshakespeare.txt with GPT-2's
tokenizer built from the course's own data/gpt2 files (no download), one thread, best of 5
runs with a fresh encoding each (so no warm cache), in MB/s (10^6 bytes of UTF-8 a second).

    python3 Tests/Benchmarks/tiktoken_encode.py
"""
import pathlib
import time

import tiktoken
from tiktoken.load import data_gym_to_mergeable_bpe_ranks
from tiktoken_ext.openai_public import r50k_pat_str

data = pathlib.Path(__file__).resolve().parents[2] / "data"
ranks = data_gym_to_mergeable_bpe_ranks(str(data / "gpt2" / "vocab.bpe"), str(data / "gpt2" / "encoder.json"))
text = (data / "tinyshakespeare.txt").read_text(encoding="utf-8")
best = float("inf")
for _ in range(5):
    encoding = tiktoken.Encoding(name="gpt2-from-data", pat_str=r50k_pat_str, mergeable_ranks=ranks,
                                 special_tokens={"<|endoftext|>": 50256}, explicit_n_vocab=50257)
    start = time.perf_counter()
    count = len(encoding.encode(text))
    best = min(best, time.perf_counter() - start)
assert count == 338_025, count
print(f'{{"name": "tiktoken-gpt2-encode", "value": {len(text.encode()) / best / 1e6:.2f}, "unit": "MB/s"}}')
