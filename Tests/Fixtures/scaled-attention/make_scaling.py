#!/usr/bin/env python3
"""PyTorch's run of chapter 4's "why divide by √d_k" table (section 4.7).

After torch.manual_seed(123), for d = 2, 8, 32, 128, 512 in turn: 20,000 random query/key
pairs (torch.randn), the variance of their dot products and of the dot products / √d; then
1,000 random queries against 8 random keys each, the softmax of their scores with and without
the scaling: its mean largest weight and its mean sensitivity Σ pᵢ(1 − pᵢ). The draws are
made in the chapter's order, so the course's generator gives the same numbers.

    python3 Tests/Fixtures/scaled-attention/make_scaling.py

Writes scaling.json beside this script, one row per d.
"""
import json
import pathlib

import torch

torch.manual_seed(123)
rows = []
for d in [2, 8, 32, 128, 512]:
    qs, ks = torch.randn(20_000, d), torch.randn(20_000, d)
    dots = (qs * ks).sum(dim=1)
    scaled = dots / d ** 0.5
    query8, keys8 = torch.randn(1000, 1, d), torch.randn(1000, 8, d)
    raw = (query8 @ keys8.transpose(1, 2)).reshape(1000, 8)

    def peak(s):
        p = s.softmax(dim=-1)
        return p.max(dim=-1).values.mean().item(), (p * (1 - p)).sum(dim=-1).mean().item()

    (unscaled_max, unscaled_sensitivity), (scaled_max, scaled_sensitivity) = peak(raw), peak(raw / d ** 0.5)
    rows.append({"d": d, "variance": dots.var(unbiased=False).item(), "scaled_variance": scaled.var(unbiased=False).item(),
                 "max_weight": unscaled_max, "sensitivity": unscaled_sensitivity,
                 "scaled_max_weight": scaled_max, "scaled_sensitivity": scaled_sensitivity})
    print(rows[-1])
pathlib.Path(__file__).with_name("scaling.json").write_text(json.dumps(rows, indent=1) + "\n")
