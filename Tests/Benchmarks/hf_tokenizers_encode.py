#!/usr/bin/env python3
"""The reference side of `hf-gpt2-encode`: the Hugging Face `tokenizers` library encoding
data/tinyshakespeare.txt with GPT-2's tokenizer.json (Tests/Fixtures/hf/tokenizer-json/gpt2), on one
thread, best of 5 runs with a freshly loaded tokenizer each (so no warm cache), in MB/s (10^6 bytes of
UTF-8 a second). Loading is not timed.

    pip install tokenizers
    python3 Tests/Benchmarks/hf_tokenizers_encode.py
"""
import os
import pathlib
import time

os.environ["RAYON_NUM_THREADS"] = "1"            # before the library starts its thread pool
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from tokenizers import Tokenizer  # noqa: E402

root = pathlib.Path(__file__).resolve().parents[2]
file = root / "Tests" / "Fixtures" / "hf" / "tokenizer-json" / "gpt2" / "tokenizer.json"
text = (root / "data" / "tinyshakespeare.txt").read_text(encoding="utf-8")
best = float("inf")
for _ in range(5):
    tokenizer = Tokenizer.from_file(str(file))
    start = time.perf_counter()
    count = len(tokenizer.encode(text).ids)
    best = min(best, time.perf_counter() - start)
assert count == 338_025, count
print(f'{{"name": "hf-tokenizers-gpt2-encode", "value": {len(text.encode()) / best / 1e6:.2f}, "unit": "MB/s"}}')
