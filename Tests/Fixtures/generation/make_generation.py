# Makes Tests/Fixtures/generation/greedy.json: Hugging Face transformers' greedy generation
# (generate(do_sample=False), with and without the KV cache) on the gpt2-tiny and llama-tiny
# fixture models, for a few prompts. Run from the package root:
#     python3 Tests/Fixtures/generation/make_generation.py
import json, sys
import torch
from transformers import AutoModelForCausalLM

out = {"made_by": "transformers " + __import__("transformers").__version__ + ", torch " + torch.__version__, "cases": []}
prompts = [[1, 2, 3], [17, 250, 99, 4, 4, 4, 8], [5]]
for name in ["gpt2-tiny", "llama-tiny"]:
    model = AutoModelForCausalLM.from_pretrained(f"Tests/Fixtures/{name}").eval()
    for prompt in prompts:
        ids = torch.tensor([prompt])
        with torch.no_grad():
            cached = model.generate(ids, max_new_tokens=20, min_new_tokens=20, do_sample=False, use_cache=True,
                                    pad_token_id=0).tolist()[0][len(prompt):]
            uncached = model.generate(ids, max_new_tokens=20, min_new_tokens=20, do_sample=False, use_cache=False,
                                      pad_token_id=0).tolist()[0][len(prompt):]
        assert cached == uncached, (name, prompt)
        out["cases"].append({"model": name, "prompt": prompt, "generated": cached})
json.dump(out, open(sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/generation/greedy.json", "w"), indent=1)
