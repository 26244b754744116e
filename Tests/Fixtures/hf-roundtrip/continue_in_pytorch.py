#!/usr/bin/env python3
"""Continue training a checkpoint of the course in PyTorch, on one process or many (GPUs, or
CPU processes), and save it where the course reads it back.

    # one process
    python continue_in_pytorch.py --model data/shakespeare-char --text data/tinyshakespeare.txt \
        --steps 1000 --out runs/pytorch
    # 8 GPUs of one machine (DistributedDataParallel: each process its own batches, the
    # gradients averaged; launch with `accelerate launch` instead if you prefer)
    torchrun --nproc_per_node 8 continue_in_pytorch.py --model data/shakespeare-char \
        --text data/tinyshakespeare.txt --steps 1000 --batch-size 64 --out runs/pytorch
    # then, back in the course
    swift run Chapter13_AutoregressiveLoopAndKVCache generate runs/pytorch --prompt "ROMEO:"
    swift run Chapter14_PreTrainingLoop --init-from runs/pytorch --dataset tinyshakespeare

A checkpoint of the course is a Hugging Face GPT-2 directory, so `GPT2LMHeadModel` loads it
as it is. Its tokenizer.json is the course's own, though (`{"type": "char", "characters": […]}`
for a character model): this script encodes the text with it, and copies it next to what it
saves, since transformers neither reads nor writes it. Rank 0 saves with `save_pretrained`.

Needs torch and transformers. Tests/Fixtures/hf-roundtrip/make_roundtrip.py runs it with two
CPU processes (`torchrun --nproc_per_node 2`, the gloo backend) to make the course's test fixture.
"""
import argparse
import json
import os
import shutil
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from transformers import GPT2LMHeadModel

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--model", required=True, help="a checkpoint directory of the course (or any GPT-2 directory)")
parser.add_argument("--text", required=True, help="a UTF-8 text file to train on")
parser.add_argument("--out", required=True, help="where to save the result")
parser.add_argument("--steps", type=int, default=100)
parser.add_argument("--batch-size", type=int, default=16, help="windows per process and step")
parser.add_argument("--context", type=int, default=0, help="window length (default: the model's n_positions)")
parser.add_argument("--lr", type=float, default=3e-4)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()

# --- processes: torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; without it, one process
distributed = "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1
rank = int(os.environ.get("RANK", 0))
if torch.cuda.is_available():
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    torch.cuda.set_device(device)
else:
    device = torch.device("cpu")
if distributed:
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
world = dist.get_world_size() if distributed else 1

# --- the course's tokenizer
model_dir = Path(args.model)
tokenizer = json.loads((model_dir / "tokenizer.json").read_text())
if tokenizer.get("type") != "char":
    raise SystemExit(f"{model_dir}/tokenizer.json: type {tokenizer.get('type')!r}; this example encodes character "
                     "models only (for gpt2, encode with tiktoken's 'gpt2' encoding instead)")
index = {c: i for i, c in enumerate(tokenizer["characters"])}
text = Path(args.text).read_text(encoding="utf-8")
unknown = sorted(set(text) - set(index))
if unknown:
    raise SystemExit(f"{args.text}: characters the model does not know: {unknown[:10]}")
data = torch.tensor([index[c] for c in text], dtype=torch.long)

# --- the model, as transformers reads the course's directory
model = GPT2LMHeadModel.from_pretrained(model_dir, dtype=torch.float32).to(device)
context = args.context or model.config.n_positions
model.train()
trained = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) if distributed else model
optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)
generator = torch.Generator().manual_seed(args.seed * 1000 + rank)   # each process its own windows

for step in range(1, args.steps + 1):
    starts = torch.randint(0, len(data) - context - 1, (args.batch_size,), generator=generator)
    x = torch.stack([data[s:s + context] for s in starts]).to(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        loss = trained(input_ids=x, labels=x).loss            # transformers shifts the labels by one
    optimizer.zero_grad(set_to_none=True)
    loss.backward()                                           # DDP averages the gradients over processes
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if rank == 0 and (step == 1 or step % 10 == 0 or step == args.steps):
        print(f"step {step}/{args.steps}: loss {loss.item():.4f} ({world} process{'es' if world > 1 else ''})", flush=True)

# --- save where the course reads it: config.json + model.safetensors, and the tokenizer
if rank == 0:
    out = Path(args.out)
    model.save_pretrained(out)          # the unwrapped model, float32 weights (the course also reads bf16/f16)
    shutil.copyfile(model_dir / "tokenizer.json", out / "tokenizer.json")
    print(f"saved to {out}")
if distributed:
    dist.barrier()
    dist.destroy_process_group()
