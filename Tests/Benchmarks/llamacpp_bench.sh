#!/usr/bin/env bash
# The llama.cpp side of the decoding comparison: GPT-2 124M with random weights (the shape of
# the course's generate-gpt2-124m-* benchmarks), converted to GGUF in f32, f16, bf16 and q8_0,
# timed by llama-bench on 2 threads: decode (-n 64, after no prompt) and prompt processing
# (-p 16, -p 512).
#
#     Tests/Benchmarks/llamacpp_bench.sh LLAMA_CPP_DIR [WORK_DIR]
#
# LLAMA_CPP_DIR is a llama.cpp source tree with llama-bench built in build/bin, e.g. from the
# llama-cpp-python source package on PyPI (vendor/llama.cpp):
#
#     pip download --no-deps --no-binary :all: llama-cpp-python   # or fetch the .tar.gz by hand
#     tar xzf llama_cpp_python-*.tar.gz && cd llama_cpp_python-*/vendor/llama.cpp
#     pip install cmake ninja numpy
#     cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF
#     cmake --build build --target llama-bench
#
# Needs python3 with torch and transformers (for the random model) and numpy; the converter
# comes from LLAMA_CPP_DIR (convert_hf_to_gguf.py with its gguf-py). The tokenizer is GPT-2's,
# built from the course's own data/gpt2 files, so nothing is downloaded.
set -euo pipefail
llama=${1:?usage: llamacpp_bench.sh LLAMA_CPP_DIR [WORK_DIR]}
work=${2:-/tmp/llamacpp-gpt2}
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"

if [ ! -f "$work/hf/model.safetensors" ]; then
    python3 - "$root" "$work/hf" <<'EOF'
import json, sys, pathlib
import torch
from transformers import GPT2Config, GPT2LMHeadModel
from tokenizers import Tokenizer, models, pre_tokenizers, decoders
from transformers import PreTrainedTokenizerFast

root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
torch.manual_seed(0)
model = GPT2LMHeadModel(GPT2Config())          # 124M: 12 layers, 12 heads, width 768, context 1,024
model.save_pretrained(out)
config = json.loads((out / "config.json").read_text())
config.setdefault("n_ctx", config["n_positions"])   # transformers 5 no longer writes it; the converter reads it
(out / "config.json").write_text(json.dumps(config, indent=2))
vocab = json.loads((root / "data/gpt2/encoder.json").read_text())
merges = [tuple(l.split()) for l in (root / "data/gpt2/vocab.bpe").read_text().splitlines()[1:] if l]
tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
assert tok.get_vocab_size() == 50257, tok.get_vocab_size()
PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>").save_pretrained(out)
EOF
fi

for type in f32 f16 bf16 q8_0; do
    if [ ! -f "$work/gpt2-$type.gguf" ]; then
        PYTHONPATH="$llama/gguf-py" python3 "$llama/convert_hf_to_gguf.py" "$work/hf" \
            --outtype "$type" --outfile "$work/gpt2-$type.gguf" > "$work/convert-$type.log" 2>&1
    fi
done

models=$(printf -- "-m %s " "$work"/gpt2-{f32,f16,bf16,q8_0}.gguf)
# decode: 64 tokens after an empty prompt; prompt processing: 16 and 512 tokens
# shellcheck disable=SC2086
"$llama/build/bin/llama-bench" $models -t 2 -p 0 -n 64 -r 5 -o md
# shellcheck disable=SC2086
"$llama/build/bin/llama-bench" $models -t 2 -p 16,512 -n 0 -r 5 -o md
