#!/usr/bin/env python3
"""An independent run of chapter 12's beam-search comparison (section 12.5).

Tokenizes data/the-verdict.txt with GPT-2's tokenizer (Hugging Face `tokenizers`, from the
course's data/gpt2 files), counts bigrams, and scores each next token t after a token a by
log(count(a, t) + 0.01) over the distinct tokens of the text — chapter 12's bigram model.
Then, for each prompt, 5 tokens of greedy decoding and of beam search with 2, 3, 5 and 10
beams (ties broken as the course does: a larger logit first, then the smaller token id; among
sequences a larger total log-probability first, then the lexicographically smaller ids):

    python3 Tests/Fixtures/beam-search/make_beam_search.py

Writes beam_search.json beside this script: each method's text and total log-probability.
"""
import json
import math
import pathlib
from collections import Counter, defaultdict

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

root = pathlib.Path(__file__).resolve().parents[3]
gpt2 = root / "data" / "gpt2"
tokenizer = Tokenizer(models.BPE.from_file(str(gpt2 / "encoder.json"), str(gpt2 / "vocab.bpe")))
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tokenizer.decoder = decoders.ByteLevel()

ids = tokenizer.encode((root / "data" / "the-verdict.txt").read_text()).ids
bigrams = defaultdict(Counter)
for a, b in zip(ids, ids[1:]):
    bigrams[a][b] += 1
seen = sorted(set(ids))


def log_probabilities(previous):
    logits = [math.log(bigrams[previous][t] + 0.01) for t in seen]
    top = max(logits)
    lse = top + math.log(sum(math.exp(l - top) for l in logits))
    return logits, [l - lse for l in logits]


def greedy(prompt, steps=5):
    sequence, total = list(prompt), 0.0
    for _ in range(steps):
        logits, logp = log_probabilities(sequence[-1])
        best = max(range(len(seen)), key=lambda i: (logits[i], -i))
        sequence.append(seen[best])
        total += logp[best]
    return sequence, total


def beam_search(prompt, beams, steps=5):
    candidates = [(list(prompt), 0.0)]
    for _ in range(steps):
        expanded = []
        for sequence, total in candidates:
            logits, logp = log_probabilities(sequence[-1])
            order = sorted(range(len(seen)), key=lambda i: (-logits[i], i))[:beams]
            expanded += [(sequence + [seen[i]], total + logp[i]) for i in order]
        candidates = sorted(expanded, key=lambda c: (-c[1], [seen.index(t) for t in c[0]]))[:beams]
    return candidates[0]


result = {}
for prompt_text in ["I had", "I saw"]:
    prompt = tokenizer.encode(prompt_text).ids
    sequence, total = greedy(prompt)
    rows = {"greedy": {"text": tokenizer.decode(sequence), "log_probability": total}}
    for beams in [2, 3, 5, 10]:
        sequence, total = beam_search(prompt, beams)
        rows[f"{beams} beams"] = {"text": tokenizer.decode(sequence), "log_probability": total}
    result[prompt_text] = rows
    for name, row in rows.items():
        print(f"{prompt_text!r:8} {name:9} {row['log_probability']:9.4f}  {row['text']!r}")
pathlib.Path(__file__).with_name("beam_search.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
