#!/usr/bin/env python3
"""Hugging Face's view of the course's shipped model, data/shakespeare-char.

Loads the directory chapter 14 wrote with `transformers.GPT2LMHeadModel.from_pretrained` (the
course writes GPT-2's layout) and saves the logits for one prompt, so the tests can check that
the course's own loader computes the same numbers as the library everyone uses:

    python3 Tests/Fixtures/shakespeare-char/make_reference.py

Writes Tests/Fixtures/shakespeare-char/reference.safetensors (input_ids, logits). Run it again
whenever data/shakespeare-char is retrained.
"""
import json
import pathlib

import torch
from safetensors.torch import save_file
from transformers import GPT2LMHeadModel

root = pathlib.Path(__file__).resolve().parents[3]
model_dir = root / "data" / "shakespeare-char"
characters = json.loads((model_dir / "tokenizer.json").read_text())["characters"]
prompt = "ROMEO:\nI will tell thee, gentle Juliet"
ids = torch.tensor([[characters.index(c) for c in prompt]])

model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
with torch.no_grad():
    logits = model(ids).logits
save_file({"input_ids": ids, "logits": logits.contiguous()},
          str(pathlib.Path(__file__).with_name("reference.safetensors")),
          metadata={"prompt": prompt, "transformers_model": "GPT2LMHeadModel"})
print(f"{prompt!r}: {ids.shape[1]} ids, logits {tuple(logits.shape)}")
