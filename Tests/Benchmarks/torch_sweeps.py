#!/usr/bin/env python3
"""The PyTorch side of the Benchmarks' context sweeps, for the README's Performance section.

    python3 Tests/Benchmarks/torch_sweeps.py train      # train-char-context-N: tokens/s of a training step
    python3 Tests/Benchmarks/torch_sweeps.py generate   # generate-gpt2-124m-cache-at-N: cached decoding at depth N

The same shapes as `swift run -c release Benchmarks train-context` / `generate-context`:
the "char" model of ../shared/tools/torch_bench.py (vocabulary 65, width 128, 4 layers, 4 heads,
head tied to the embedding) with 2,048 tokens per step at every context length, and Hugging
Face's GPT-2 124M (random weights) timing 16 cached decoding steps after a prompt of N - 16
tokens has been prefilled. Plain
eager PyTorch on 2 threads. Not used by the tests: only to measure the reference side.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(2)


class Layer(nn.Module):
    """A pre-norm GPT block, as the course's TransformerBlock."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.c_attn, self.c_proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.c_fc, self.mlp_proj = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.c_attn(self.norm1(x)).chunk(3, dim=-1)
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        context = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
        x = x + self.c_proj(context)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.norm2(x)), approximate="tanh"))


class SmallGPT(nn.Module):
    def __init__(self, vocabulary, context, width=128, layers=4, heads=4):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocabulary, width), nn.Embedding(context, width)
        self.layers = nn.ModuleList(Layer(width, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(width)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for layer in self.layers:
            x = layer(x)
        return self.norm(x) @ self.wte.weight.T          # the head tied to the embedding


def timed(fn, seconds):
    fn()
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        runs += 1
    return (time.perf_counter() - start) / runs


def report(name, value, unit):
    print(json.dumps({"name": name, "value": round(value, 2), "unit": unit}), flush=True)


def train_sweep():
    torch.manual_seed(0)
    for context in (64, 128, 256, 512, 1024):
        batch = max(1, 2048 // context)
        model = SmallGPT(65, context)
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
        x = torch.randint(0, 65, (batch, context))
        y = torch.randint(0, 65, (batch, context))

        def step():
            loss = F.cross_entropy(model(x).reshape(-1, 65), y.reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        report(f"torch-train-char-context-{context}", batch * context / timed(step, 8.0), "tokens/s")


def generate_sweep():
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config()).eval()
    with torch.no_grad():
        for context in (64, 256, 512, 1024):
            prompt = torch.randint(0, 50257, (1, context - 16))
            out = model(prompt, use_cache=True)                      # prefill, not timed
            cache, token = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
            start = time.perf_counter()
            for _ in range(16):
                out = model(token, past_key_values=cache, use_cache=True)
                cache, token = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
            report(f"hf-generate-gpt2-124m-cache-at-{context}", 16 / (time.perf_counter() - start), "tokens/s")


if __name__ == "__main__":
    {"train": train_sweep, "generate": generate_sweep}[sys.argv[1]]()
