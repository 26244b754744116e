#!/usr/bin/env python3
"""The Hugging Face side of `swift run -c release Benchmarks generate-smollm2-135m-shape` and
`generate-qwen2.5-0.5b-shape`, for the README's "Run a real model".

    python3 Tests/Benchmarks/torch_published_shapes.py smollm2-135m float32
    python3 Tests/Benchmarks/torch_published_shapes.py qwen2.5-0.5b bfloat16

Builds the model from the published config's numbers (SmolLM2-135M: LlamaForCausalLM;
Qwen2.5-0.5B: Qwen2ForCausalLM) with random weights, in the given dtype, and times greedy
`generate()` with the KV cache: 64 new tokens after a 16-token prompt, after a warm-up, on
2 threads. Prints one JSON line per figure, and the peak resident memory of the process
(one model per process). Not used by the tests: only to measure the reference side.
"""
import json
import resource
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

torch.set_num_threads(2)

SHAPES = {
    "smollm2-135m": (LlamaConfig, LlamaForCausalLM, dict(
        vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
        num_key_value_heads=3, rope_theta=100000.0, rms_norm_eps=1e-5, tie_word_embeddings=True,
        max_position_embeddings=8192)),
    "qwen2.5-0.5b": (Qwen2Config, Qwen2ForCausalLM, dict(
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
        num_key_value_heads=2, rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
        max_position_embeddings=32768)),
}


def report(name, value, unit):
    print(json.dumps({"name": name, "value": round(value, 2), "unit": unit}), flush=True)


def main():
    name, dtype = sys.argv[1], getattr(torch, sys.argv[2])
    config_class, model_class, numbers = SHAPES[name]
    torch.manual_seed(0)
    model = model_class(config_class(**numbers)).to(dtype).eval()
    prompt = torch.randint(0, numbers["vocab_size"], (1, 16))
    with torch.no_grad():
        model.generate(prompt, max_new_tokens=8, min_new_tokens=8, do_sample=False)            # warm-up
        start = time.perf_counter()
        out = model.generate(prompt, max_new_tokens=64, min_new_tokens=64, do_sample=False)
        seconds = time.perf_counter() - start
    assert out.shape[1] == 16 + 64
    label = f"generate-{name}-shape-{sys.argv[2]}"
    report(label, 64 / seconds, "tokens/s")
    report(label + "-peak-memory", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")


if __name__ == "__main__":
    main()
