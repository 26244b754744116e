"""A Hugging Face GPT-2 directory of the real sizes with random weights, for timing.

GPT-2's trained weights cannot be downloaded on the course's test machine, so the README's
fine-tuning times for GPT-2 124M and 355M were measured on directories made by this script:
the same config.json fields and tensor shapes as `gpt2` / `gpt2-medium` on the Hugging Face
hub (Conv1D weights stored (in, out), a `transformer.` prefix, head tied to the embedding),
weights drawn N(0, 0.02²), biases 0, LayerNorm weights 1. The speed of a step does not depend
on the values; what the model learns does, so only times come from these.

Run: python3 Tests/Fixtures/finetune/make_random_gpt2.py 124M /tmp/gpt2-124m-random
     python3 Tests/Fixtures/finetune/make_random_gpt2.py 355M /tmp/gpt2-355m-random
(torch and safetensors; nothing is written into the repository.)
"""

import json
import os
import sys

import torch
from safetensors.torch import save_file

SIZES = {"124M": (768, 12, 12), "355M": (1024, 24, 16)}
size, out = sys.argv[1], sys.argv[2]
d, layers, heads = SIZES[size]
vocab, context = 50257, 1024
torch.manual_seed(0)


def normal(*shape):
    return torch.randn(*shape) * 0.02


tensors = {"transformer.wte.weight": normal(vocab, d), "transformer.wpe.weight": normal(context, d),
           "transformer.ln_f.weight": torch.ones(d), "transformer.ln_f.bias": torch.zeros(d)}
for i in range(layers):
    p = f"transformer.h.{i}."
    tensors.update({
        p + "ln_1.weight": torch.ones(d), p + "ln_1.bias": torch.zeros(d),
        p + "attn.c_attn.weight": normal(d, 3 * d), p + "attn.c_attn.bias": torch.zeros(3 * d),
        p + "attn.c_proj.weight": normal(d, d), p + "attn.c_proj.bias": torch.zeros(d),
        p + "ln_2.weight": torch.ones(d), p + "ln_2.bias": torch.zeros(d),
        p + "mlp.c_fc.weight": normal(d, 4 * d), p + "mlp.c_fc.bias": torch.zeros(4 * d),
        p + "mlp.c_proj.weight": normal(4 * d, d), p + "mlp.c_proj.bias": torch.zeros(d),
    })
config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "activation_function": "gelu_new",
          "vocab_size": vocab, "n_positions": context, "n_ctx": context, "n_embd": d, "n_layer": layers, "n_head": heads,
          "layer_norm_epsilon": 1e-5, "tie_word_embeddings": True, "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1,
          "bos_token_id": 50256, "eos_token_id": 50256}
os.makedirs(out, exist_ok=True)
save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
print(f"wrote {out}: GPT-2 {size} shapes, {sum(t.numel() for t in tensors.values()):,} numbers, random weights")
