#!/usr/bin/env python3
"""The shipped model's loss over the *whole* validation split, computed by Hugging Face.

Loads data/shakespeare-char with `transformers.GPT2LMHeadModel.from_pretrained`, splits
data/tinyshakespeare.txt as chapter 14 does (the first 90% of its characters for training,
the rest for validation), encodes both with the model's own character list (tokenizer.json),
cuts the validation ids into chapter 14's validation windows (128 ids, stride 128: 871 of them,
each with its 128 next-character targets) and computes each window's mean cross-entropy.
The training text is cut the same way, without overlap (7,842 windows: every training
character predicted once).

    python3 Tests/Fixtures/shakespeare-char/make_full_split_loss.py

Writes full_split_loss.json beside this script: every validation window's loss, their mean
(the whole split), the mean of the first 640 windows (what chapter 14's training log measured:
its first 40 batches of 16) and of the other 231, and the training text's mean.
"""
import json
import pathlib

import torch
from transformers import GPT2LMHeadModel

torch.set_num_threads(1)
root = pathlib.Path(__file__).resolve().parents[3]
model_dir = root / "data" / "shakespeare-char"
characters = json.loads((model_dir / "tokenizer.json").read_text())["characters"]
index = {c: i for i, c in enumerate(characters)}
text = (root / "data" / "tinyshakespeare.txt").read_text()
cut = int(0.9 * len(text))
CONTEXT = 128


def window_losses(ids):
    """Each window's mean loss: windows of CONTEXT ids at every multiple of CONTEXT."""
    ids = torch.tensor(ids)
    count = (len(ids) - CONTEXT - 1) // CONTEXT + 1
    starts = torch.arange(count) * CONTEXT
    inputs = torch.stack([ids[s:s + CONTEXT] for s in starts])
    targets = torch.stack([ids[s + 1:s + CONTEXT + 1] for s in starts])
    losses = []
    with torch.no_grad():
        for batch in range(0, count, 64):
            logits = model(inputs[batch:batch + 64]).logits.double()
            per_token = torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets[batch:batch + 64], reduction="none")
            losses += per_token.mean(dim=1).tolist()
    return losses


model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
validation = window_losses([index[c] for c in text[cut:]])
train = window_losses([index[c] for c in text[:cut]])
out = {
    "windows": len(validation),
    "validation_loss": sum(validation) / len(validation),
    "first_640_windows": sum(validation[:640]) / 640,
    "last_windows": sum(validation[640:]) / len(validation[640:]),
    "train_windows": len(train),
    "train_loss": sum(train) / len(train),
    "validation_window_losses": validation,
}
pathlib.Path(__file__).with_name("full_split_loss.json").write_text(json.dumps(out) + "\n")
print({k: v for k, v in out.items() if k != "validation_window_losses"})
