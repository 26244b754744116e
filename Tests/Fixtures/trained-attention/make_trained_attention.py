#!/usr/bin/env python3
"""Hugging Face's attention weights of the shipped model on chapter 6's line of Shakespeare.

Loads data/shakespeare-char with `transformers.GPT2LMHeadModel.from_pretrained` (eager
attention, so the weights are returned), encodes the line with the model's own character list
and saves every layer's attention weights, (layers, heads, T, T), and what each head does, by
the same definitions as chapter 6 (averaged over the query positions 1 … T−1):

- self: the weight a character puts on itself;
- previous: on the character just before it;
- word start: on the first character of its word (a word starts at position 0 or after a space
  or newline; a space belongs to the word before it), over the positions at least two
  characters into a word, where the start is neither the character itself nor the previous one;
- first: on the first character of the line;
- distance: the mean distance back, Σⱼ weight(j) · (i − j).

    python3 Tests/Fixtures/trained-attention/make_trained_attention.py

Writes attention.safetensors beside this script (attentions, input_ids; the measures as
metadata, JSON).
"""
import json
import pathlib

import torch
from safetensors.torch import save_file
from transformers import GPT2LMHeadModel

LINE = "O Romeo, Romeo! wherefore art thou Romeo?"
root = pathlib.Path(__file__).resolve().parents[3]
model_dir = root / "data" / "shakespeare-char"
characters = json.loads((model_dir / "tokenizer.json").read_text())["characters"]
ids = torch.tensor([[characters.index(c) for c in LINE]])

model = GPT2LMHeadModel.from_pretrained(model_dir, attn_implementation="eager").eval()
with torch.no_grad():
    attentions = torch.stack(model(ids, output_attentions=True).attentions)[:, 0]    # (layers, heads, T, T)


def word_start(i):
    j = i
    while j > 0 and LINE[j - 1] not in " \n":
        j -= 1
    return j


T = len(LINE)
measures = []
for layer in range(attentions.shape[0]):
    for head in range(attentions.shape[1]):
        a = attentions[layer, head].double()
        queries = range(1, T)
        deep = [i for i in queries if word_start(i) < i - 1]
        measures.append({
            "layer": layer, "head": head,
            "self": sum(a[i, i].item() for i in queries) / len(queries),
            "previous": sum(a[i, i - 1].item() for i in queries) / len(queries),
            "word_start": sum(a[i, word_start(i)].item() for i in deep) / len(deep),
            "first": sum(a[i, 0].item() for i in queries) / len(queries),
            "distance": sum(sum(a[i, j].item() * (i - j) for j in range(i + 1)) for i in queries) / len(queries),
        })
save_file({"attentions": attentions.contiguous(), "input_ids": ids},
          str(pathlib.Path(__file__).with_name("attention.safetensors")),
          metadata={"line": LINE, "measures": json.dumps(measures)})
for m in measures:
    print(" ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in m.items()))
