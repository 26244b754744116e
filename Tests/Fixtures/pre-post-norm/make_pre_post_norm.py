#!/usr/bin/env python3
"""PyTorch's run of chapter 8's pre-norm vs post-norm experiments (section 8.4).

A stack of DEPTH blocks, f = Linear(d, 4d) → GELU (exact, erf) → Linear(4d, d), d = 16, each
with a LayerNorm, arranged pre-norm, x + f(LN(x)), or post-norm, LN(x + f(x)). Everything is
drawn from one generator seeded 123, in this order (the chapter draws in the same order):

1. at initialisation: the blocks (up, down; LayerNorm draws nothing), an input (4, d) and a
   fixed random direction (4, d); the loss mean(x_out · direction); the gradient norm
   ‖∂loss/∂x_i‖ reaching each block's input i, pre-norm then post-norm, same weights;
2. training, four runs (pre/post × without/with warm-up), each starting from
   `torch.manual_seed(123)`: the blocks, a head Linear(d, 1), then a teacher y = tanh(x W1/√d)
   W2/√32 with W1 = randn(d, 32), W2 = randn(32, 1), inputs X = randn(2048, d); each step a
   batch of 64 rows `randint(0, 2048, (64,))`, MSE loss, AdamW(lr, weight_decay 0); with
   warm-up the learning rate rises linearly over the first WARMUP steps: lr · (step + 1)/WARMUP.

    python3 Tests/Fixtures/pre-post-norm/make_pre_post_norm.py

Writes pre_post_norm.json beside this script: the gradient norms and every step's loss.
"""
import json
import math
import pathlib

import torch
from torch import nn

torch.set_num_threads(1)
D, SEED = 16, 123
GRADIENT_DEPTH = 24
DEPTH, STEPS, BATCH, ROWS, LR, WARMUP = 24, 200, 64, 2048, 1e-2, 50


def make_blocks(depth):
    blocks = []
    for _ in range(depth):
        up, down = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
        blocks.append((up, down, nn.LayerNorm(D)))
    return blocks


def run_stack(blocks, x, pre_norm, probes=None):
    for i, (up, down, norm) in enumerate(blocks):
        if probes is not None:
            x = x + probes[i]                   # a zero probe: its gradient is ∂loss/∂x_i
        f = (lambda h: down(nn.functional.gelu(up(h))))
        x = x + f(norm(x)) if pre_norm else norm(x + f(x))
    return x


def gradients_at_initialisation():
    torch.manual_seed(SEED)
    blocks = make_blocks(GRADIENT_DEPTH)
    x, direction = torch.randn(4, D), torch.randn(4, D)
    out = {}
    for pre_norm in (True, False):
        probes = [torch.zeros(4, D, requires_grad=True) for _ in blocks]
        (run_stack(blocks, x, pre_norm, probes) * direction).mean().backward()
        out["pre" if pre_norm else "post"] = [p.grad.norm().item() for p in probes]
    return out


def train(pre_norm, warmup):
    torch.manual_seed(SEED)
    blocks = make_blocks(DEPTH)
    head = nn.Linear(D, 1)
    w1, w2 = torch.randn(D, 32), torch.randn(32, 1)
    inputs = torch.randn(ROWS, D)
    targets = torch.tanh(inputs @ w1 / math.sqrt(D)) @ w2 / math.sqrt(32)
    parameters = [p for block in blocks for m in block for p in m.parameters()] + list(head.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=LR, weight_decay=0)
    losses = []
    for step in range(STEPS):
        for group in optimizer.param_groups:
            group["lr"] = LR * min(1.0, (step + 1) / WARMUP) if warmup else LR
        rows = torch.randint(0, ROWS, (BATCH,))
        loss = ((head(run_stack(blocks, inputs[rows], pre_norm)) - targets[rows]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, targets.var(unbiased=False).item()


result = {"gradient_depth": GRADIENT_DEPTH, "gradients": gradients_at_initialisation(),
          "depth": DEPTH, "steps": STEPS, "lr": LR, "warmup": WARMUP, "losses": {}}
for pre_norm in (True, False):
    for warmup in (False, True):
        name = ("pre" if pre_norm else "post") + ("-warmup" if warmup else "")
        result["losses"][name], result["target_variance"] = train(pre_norm, warmup)
        tail = result["losses"][name][-20:]
        print(f"{name:12s} first {result['losses'][name][0]:.4f}  mean of the last 20 {sum(tail) / 20:.4f}")
print("gradients pre ", " ".join(f"{g:.2e}" for g in result["gradients"]["pre"]))
print("gradients post", " ".join(f"{g:.2e}" for g in result["gradients"]["post"]))
print("target variance", result["target_variance"])
pathlib.Path(__file__).with_name("pre_post_norm.json").write_text(json.dumps(result) + "\n")
