#!/usr/bin/env python3
"""The course's trained model after a trip through PyTorch, as a learner takes it there to
train on many GPUs and brings it back:

    python make_roundtrip.py      # writes shakespeare-char/ and shakespeare-char-pytorch/ here

shakespeare-char/: transformers loads data/shakespeare-char (a checkpoint chapter 14 wrote) as
a GPT2LMHeadModel and saves it again with save_pretrained, unchanged.

shakespeare-char-pytorch/: the same model trained further by continue_in_pytorch.py (beside
this script) in two processes (`torchrun --nproc_per_node 2`, DistributedDataParallel over
gloo on the CPU), 20 steps on tiny Shakespeare; its expected.safetensors holds input_ids and
the logits transformers computes from the saved directory.

tokenizer.json is the course's own (a character list), which transformers neither reads nor
writes: it is copied over, as the README tells learners to. Made with transformers 5.25.0 and
torch 2.13.0 (CPU). The course must read the result back with the original's weights, bit
for bit (Tests/LLMKitTests/RoundTripTests.swift).
"""
import shutil
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import GPT2LMHeadModel

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2] / "data" / "shakespeare-char"
OUT = HERE / "shakespeare-char"
shutil.rmtree(OUT, ignore_errors=True)

model = GPT2LMHeadModel.from_pretrained(SOURCE, dtype=torch.float32)
ids = torch.tensor([[0, 18, 47, 56, 57, 58, 1, 15, 47, 58, 47, 64, 43, 52, 10]])
with torch.no_grad():
    before = model(ids).logits
model.save_pretrained(OUT)
shutil.copyfile(SOURCE / "tokenizer.json", OUT / "tokenizer.json")

again = GPT2LMHeadModel.from_pretrained(OUT, dtype=torch.float32)
with torch.no_grad():
    assert torch.equal(again(ids).logits, before), "transformers does not read back what it saved"
print(sorted(p.name for p in OUT.iterdir()))

TRAINED = HERE / "shakespeare-char-pytorch"
shutil.rmtree(TRAINED, ignore_errors=True)
subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
                "--master_port", "29517", str(HERE / "continue_in_pytorch.py"), "--model", str(OUT),
                "--text", str(HERE.parents[2] / "data" / "tinyshakespeare.txt"), "--steps", "20", "--batch-size", "4",
                "--lr", "1e-4", "--out", str(TRAINED)], check=True)
trained = GPT2LMHeadModel.from_pretrained(TRAINED, dtype=torch.float32).eval()
with torch.no_grad():
    logits = trained(ids).logits
    assert not torch.equal(logits, before), "training changed nothing"
save_file({"input_ids": ids, "logits": logits.contiguous()}, str(TRAINED / "expected.safetensors"))
print(sorted(p.name for p in TRAINED.iterdir()))
