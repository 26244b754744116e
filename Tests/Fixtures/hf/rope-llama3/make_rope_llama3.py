#!/usr/bin/env python3
"""RoPE inverse frequencies of transformers' "llama3" rope_scaling, for the shapes of real
Llama 3.1 / 3.2 configs (the tiny llama3 fixture has no frequency in the blended band):

    python make_rope_llama3.py      # writes rope-llama3.json beside this script

Each case: the config fields, and `inv_freq` as float32 bit patterns (exact) and as numbers.
Made with transformers 5.25.0 and torch 2.13.0 (CPU).
"""
import json
from pathlib import Path

import numpy as np
import transformers
from transformers import LlamaConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

CASES = [
    # Llama 3.2 1B: head_dim 64, θ 500000, factor 32, context 8192
    dict(hidden_size=2048, num_attention_heads=32, rope_theta=500000.0, factor=32.0, low=1.0, high=4.0, original=8192),
    # Llama 3.1 8B: head_dim 128, factor 8
    dict(hidden_size=4096, num_attention_heads=32, rope_theta=500000.0, factor=8.0, low=1.0, high=4.0, original=8192),
    # an unusual one: a small context and other factors, so that many frequencies are blended
    dict(hidden_size=256, num_attention_heads=4, rope_theta=10000.0, factor=4.0, low=2.0, high=16.0, original=256),
]

out = []
for case in CASES:
    config = LlamaConfig(hidden_size=case["hidden_size"], num_attention_heads=case["num_attention_heads"],
                         max_position_embeddings=16 * case["original"],
                         rope_parameters={"rope_type": "llama3", "rope_theta": case["rope_theta"], "factor": case["factor"],
                                          "low_freq_factor": case["low"], "high_freq_factor": case["high"],
                                          "original_max_position_embeddings": case["original"]})
    inv_freq, attention_factor = ROPE_INIT_FUNCTIONS["llama3"](config, "cpu")
    assert attention_factor == 1.0
    values = inv_freq.numpy().astype(np.float32)
    out.append({**case, "head_dim": case["hidden_size"] // case["num_attention_heads"],
                "inv_freq_bits": [int(b) for b in values.view(np.uint32)], "inv_freq": [float(v) for v in values]})
made_by = f"transformers {transformers.__version__}, modeling_rope_utils.ROPE_INIT_FUNCTIONS['llama3']"
Path(__file__).with_name("rope-llama3.json").write_text(json.dumps({"made_by": made_by, "cases": out}, indent=1) + "\n")
print(len(out), "cases")
