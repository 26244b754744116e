#!/usr/bin/env python3
"""Counted baselines for the shipped model's data, computed independently of the course.

Splits data/tinyshakespeare.txt as chapter 14 does (the first 90% of its characters for
training), encodes it with data/shakespeare-char's character list, counts tokens and
neighbouring pairs in the training part, and with add-one smoothing scores every target of
chapter 14's validation windows (128 characters, stride 128: 871 windows):

    unigram  P(b)     = (count(b) + 1) / (training tokens + 65)
    bigram   P(b | a) = (count(a, b) + 1) / (pairs starting with a + 65)

    python3 Tests/Fixtures/shakespeare-char/make_baselines.py

Writes baselines.json beside this script: the mean −log p of each, and ln 65.
"""
import collections
import json
import math
import pathlib

root = pathlib.Path(__file__).resolve().parents[3]
characters = json.loads((root / "data" / "shakespeare-char" / "tokenizer.json").read_text())["characters"]
index = {c: i for i, c in enumerate(characters)}
text = (root / "data" / "tinyshakespeare.txt").read_text()
cut = int(0.9 * len(text))
train = [index[c] for c in text[:cut]]
validation = [index[c] for c in text[cut:]]
V, CONTEXT = len(characters), 128

tokens = collections.Counter(train)
pairs = collections.Counter(zip(train, train[1:]))
contexts = collections.Counter(train[:-1])
count = (len(validation) - CONTEXT - 1) // CONTEXT + 1
targets = [(validation[s + k], validation[s + k + 1]) for s in range(0, count * CONTEXT, CONTEXT) for k in range(CONTEXT)]
unigram = sum(-math.log((tokens[b] + 1) / (len(train) + V)) for _, b in targets) / len(targets)
bigram = sum(-math.log((pairs[(a, b)] + 1) / (contexts[a] + V)) for a, b in targets) / len(targets)
out = {"windows": count, "targets": len(targets), "unigram": unigram, "bigram": bigram, "uniform": math.log(V)}
pathlib.Path(__file__).with_name("baselines.json").write_text(json.dumps(out, indent=1) + "\n")
print(out)
