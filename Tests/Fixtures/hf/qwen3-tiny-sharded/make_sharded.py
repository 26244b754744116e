#!/usr/bin/env python3
"""qwen3-tiny as transformers saves a model larger than its shard size: several
model-0000k-of-0000n.safetensors and model.safetensors.index.json (its weight_map), and
qwen3-tiny's expected.safetensors beside them (the logits must not change):

    python make_sharded.py      # reads ../qwen3-tiny, writes into this directory

Made with transformers 5.25.0 and torch 2.13.0 (CPU). The course must read it as it reads
../qwen3-tiny: the same weights, the same logits.
"""
from pathlib import Path

import shutil

import torch
from transformers import AutoModelForCausalLM

HERE = Path(__file__).resolve().parent
for old in list(HERE.glob("*.safetensors")) + list(HERE.glob("*.json")):
    old.unlink()
model = AutoModelForCausalLM.from_pretrained(HERE.parent / "qwen3-tiny", dtype=torch.float32)
model.save_pretrained(HERE, max_shard_size="150KB")
shutil.copyfile(HERE.parent / "qwen3-tiny" / "expected.safetensors", HERE / "expected.safetensors")
print(sorted(p.name for p in HERE.iterdir()))
