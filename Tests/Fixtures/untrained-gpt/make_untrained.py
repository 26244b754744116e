#!/usr/bin/env python3
"""PyTorch's view of chapter 2's tiny untrained GPT (and the figures chapter 2 prints about it).

Builds the book's GPTModel (Raschka, ch. 4: token and position embeddings, pre-norm blocks with
separate W_query/W_key/W_value, tanh GELU, final LayerNorm, untied output head) written out here
in plain PyTorch, with chapter 2's default configuration: vocabulary 50,257, context 16, width
16, 2 heads, 1 block, QKV bias, no dropout, `torch.manual_seed(123)`. Modules are created in the
book's order, so PyTorch draws the same random numbers as the course's GPTModel. Then it runs
chapter 2's default sentence, "Every effort moves you" (GPT-2 ids 6109 3626 6100 345):

    python3 Tests/Fixtures/untrained-gpt/make_untrained.py

Writes Tests/Fixtures/untrained-gpt/untrained.json.
"""
import json
import math
import pathlib

import torch
from torch import nn

V, CONTEXT, D, HEADS = 50257, 16, 16, 2
IDS = [6109, 3626, 6100, 345]


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.W_query = nn.Linear(D, D, bias=True)
        self.W_key = nn.Linear(D, D, bias=True)
        self.W_value = nn.Linear(D, D, bias=True)
        self.out_proj = nn.Linear(D, D)

    def forward(self, x):
        b, t, _ = x.shape
        hd = D // HEADS
        q, k, v = (w(x).view(b, t, HEADS, hd).transpose(1, 2) for w in (self.W_query, self.W_key, self.W_value))
        scores = q @ k.transpose(2, 3)
        scores = scores.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf"))
        weights = torch.softmax(scores / hd ** 0.5, dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, t, D))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.att = Attention()
        self.ff = nn.Sequential(nn.Linear(D, 4 * D), nn.GELU(approximate="tanh"), nn.Linear(4 * D, D))
        self.norm1, self.norm2 = nn.LayerNorm(D), nn.LayerNorm(D)

    def forward(self, x):
        x = x + self.att(self.norm1(x))
        return x + self.ff(self.norm2(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(V, D)
        self.pos_emb = nn.Embedding(CONTEXT, D)
        self.block = Block()
        self.final_norm = nn.LayerNorm(D)
        self.out_head = nn.Linear(D, V, bias=False)

    def forward(self, ids):
        x = self.tok_emb(ids) + self.pos_emb(torch.arange(ids.shape[1]))
        return self.out_head(self.final_norm(self.block(x)))


torch.manual_seed(123)
model = GPT().eval()
with torch.no_grad():
    logits = model(torch.tensor([IDS]))[0].double()                      # (T, V)
last = logits[-1]
probabilities = torch.softmax(last, dim=-1)
sentence_loss = nn.functional.cross_entropy(logits[:-1], torch.tensor(IDS[1:])).item()
out = {
    "ids": IDS,
    "top_id": int(probabilities.argmax()), "top_probability": probabilities.max().item(),
    "bottom_id": int(probabilities.argmin()), "bottom_probability": probabilities.min().item(),
    "logit_mean": last.mean().item(), "logit_std": last.std(unbiased=False).item(),
    "sentence_loss": sentence_loss,
    "mean_loss_over_vocabulary": (-torch.log_softmax(last, dim=-1)).mean().item(),
    "ln_vocabulary": math.log(V),
}
pathlib.Path(__file__).with_name("untrained.json").write_text(json.dumps(out, indent=1) + "\n")
print(json.dumps(out, indent=1))
