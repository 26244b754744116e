"""Reference values for fine-tuning, from plain PyTorch (no transformers).

The model is the book's GPTModel (Raschka, "Build a Large Language Model (From Scratch)",
chapter 4: separate W_query / W_key / W_value layers, pre-norm blocks, tanh GELU), written
here from its description and loaded with the weights of Tests/Fixtures/gpt2-tiny (GPT-2's
fused c_attn split into the three layers, as the book's load_weights_into_gpt does), with
the output head tied to the token embedding as in GPT-2.

Three cases, written to expected.safetensors beside this script:

instruct.*    the book's collate function (chapter 7) on three sequences padded with id 999
              (gpt2-tiny has no end-of-text token; 999 stands in for it), the masked
              cross-entropy (ignore_index -100) and the gradient of every parameter.
classifier.*  a 2-class head drawn by nn.Linear after torch.manual_seed(123) (chapter 6),
              everything frozen but the last block, the final norm and the head; logits of
              the last real token of three padded sequences, the loss, and the gradients of
              the trainable parameters (the frozen ones get none: checked here).
lora.*        the same classifier with every parameter frozen and every Linear wrapped in a
              LoRA layer (appendix E; rank 4, alpha 8) drawn right after the head from the
              same generator (lora.init.* are the A matrices as drawn); B is then set to
              seeded random values so that A gets a gradient; logits, loss, and the gradients
              of A and B.

Names are the course's (GPT-2's): h.N.attn.c_attn.weight is W_query, W_key and W_value
stacked (out, in); h.N.attn.c_attn.lora.A.0/1/2 are the LoRA A matrices of W_query, W_key
and W_value.

Run: python3 Tests/Fixtures/finetune/make_finetune.py   (torch 2.x, safetensors)
"""

import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = os.path.join(HERE, "..", "gpt2-tiny")
PAD = 999
D, HEADS, LAYERS, VOCAB, CONTEXT = 32, 4, 2, 1000, 64


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.W_query = nn.Linear(D, D)
        self.W_key = nn.Linear(D, D)
        self.W_value = nn.Linear(D, D)
        self.out_proj = nn.Linear(D, D)

    def forward(self, x):
        b, t, _ = x.shape
        hd = D // HEADS

        def heads(y):
            return y.view(b, t, HEADS, hd).transpose(1, 2)

        q, k, v = heads(self.W_query(x)), heads(self.W_key(x)), heads(self.W_value(x))
        scores = q @ k.transpose(2, 3) / math.sqrt(hd)
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        weights = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, t, D))


class FeedForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(D, 4 * D), nn.GELU(approximate="tanh"), nn.Linear(4 * D, D))

    def forward(self, x):
        return self.layers(x)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.att = Attention()
        self.ff = FeedForward()
        self.norm1 = nn.LayerNorm(D, eps=1e-5)
        self.norm2 = nn.LayerNorm(D, eps=1e-5)

    def forward(self, x):
        x = x + self.att(self.norm1(x))
        return x + self.ff(self.norm2(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(VOCAB, D)
        self.pos_emb = nn.Embedding(CONTEXT, D)
        self.trf_blocks = nn.Sequential(*[Block() for _ in range(LAYERS)])
        self.final_norm = nn.LayerNorm(D, eps=1e-5)
        self.out_head = nn.Linear(D, VOCAB, bias=False)
        self.out_head.weight = self.tok_emb.weight  # tied, as GPT-2

    def forward(self, ids):
        x = self.tok_emb(ids) + self.pos_emb(torch.arange(ids.shape[1]))
        return self.out_head(self.final_norm(self.trf_blocks(x)))


def load_tiny():
    hf = load_file(os.path.join(TINY, "model.safetensors"))
    hf = {k.removeprefix("transformer."): v for k, v in hf.items()}
    model = GPT()
    with torch.no_grad():
        model.tok_emb.weight.copy_(hf["wte.weight"])
        model.pos_emb.weight.copy_(hf["wpe.weight"])
        for i, block in enumerate(model.trf_blocks):
            p = f"h.{i}."
            qw, kw, vw = hf[p + "attn.c_attn.weight"].split(D, dim=1)  # Conv1D: (in, 3d)
            qb, kb, vb = hf[p + "attn.c_attn.bias"].split(D)
            for layer, w, b in [(block.att.W_query, qw, qb), (block.att.W_key, kw, kb), (block.att.W_value, vw, vb)]:
                layer.weight.copy_(w.T)
                layer.bias.copy_(b)
            block.att.out_proj.weight.copy_(hf[p + "attn.c_proj.weight"].T)
            block.att.out_proj.bias.copy_(hf[p + "attn.c_proj.bias"])
            block.ff.layers[0].weight.copy_(hf[p + "mlp.c_fc.weight"].T)
            block.ff.layers[0].bias.copy_(hf[p + "mlp.c_fc.bias"])
            block.ff.layers[2].weight.copy_(hf[p + "mlp.c_proj.weight"].T)
            block.ff.layers[2].bias.copy_(hf[p + "mlp.c_proj.bias"])
            block.norm1.weight.copy_(hf[p + "ln_1.weight"])
            block.norm1.bias.copy_(hf[p + "ln_1.bias"])
            block.norm2.weight.copy_(hf[p + "ln_2.weight"])
            block.norm2.bias.copy_(hf[p + "ln_2.bias"])
        model.final_norm.weight.copy_(hf["ln_f.weight"])
        model.final_norm.bias.copy_(hf["ln_f.bias"])
    return model


def course_names(model):
    """The course's name for each (torch name, tensor getter): fused q/k/v stacked on axis 0."""
    out = {"wte.weight": lambda g: g(model.tok_emb.weight), "wpe.weight": lambda g: g(model.pos_emb.weight),
           "ln_f.weight": lambda g: g(model.final_norm.weight), "ln_f.bias": lambda g: g(model.final_norm.bias)}
    for i, block in enumerate(model.trf_blocks):
        att, p = block.att, f"h.{i}."
        out[p + "attn.c_attn.weight"] = lambda g, a=att: torch.cat([g(a.W_query.weight), g(a.W_key.weight), g(a.W_value.weight)])
        out[p + "attn.c_attn.bias"] = lambda g, a=att: torch.cat([g(a.W_query.bias), g(a.W_key.bias), g(a.W_value.bias)])
        for name, layer in [("attn.c_proj", att.out_proj), ("mlp.c_fc", block.ff.layers[0]), ("mlp.c_proj", block.ff.layers[2])]:
            out[p + name + ".weight"] = lambda g, l=layer: g(l.weight)
            out[p + name + ".bias"] = lambda g, l=layer: g(l.bias)
        for name, norm in [("ln_1", block.norm1), ("ln_2", block.norm2)]:
            out[p + name + ".weight"] = lambda g, n=norm: g(n.weight)
            out[p + name + ".bias"] = lambda g, n=norm: g(n.bias)
    return out


def grad_of(t):
    return t.grad


# --- the book's collate function (chapter 7), written from its description -----------------

def collate(batch, pad_token_id=PAD, ignore_index=-100, allowed_max_length=None):
    longest = max(len(item) + 1 for item in batch)
    inputs, targets = [], []
    for item in batch:
        padded = item + [pad_token_id] * (longest - len(item))
        x, y = torch.tensor(padded[:-1]), torch.tensor(padded[1:])
        pads = torch.nonzero(y == pad_token_id).flatten()
        if pads.numel() > 1:
            y[pads[1:]] = ignore_index
        if allowed_max_length is not None:
            x, y = x[:allowed_max_length], y[:allowed_max_length]
        inputs.append(x)
        targets.append(y)
    return torch.stack(inputs), torch.stack(targets)


out, integers = {}, {}
sequences = [[5, 17, 300, 42, 7, 99], [8, 150], [23, 44, 901, 2]]
integers["sequences.flat"] = torch.tensor([i for s in sequences for i in s])
integers["sequences.lengths"] = torch.tensor([len(s) for s in sequences])

# --- instruct -------------------------------------------------------------------------------
model = load_tiny()
inputs, targets = collate(sequences)
logits = model(inputs)
loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
loss.backward()
integers["instruct.inputs"], integers["instruct.targets"] = inputs, targets
out["instruct.logits"], out["instruct.loss"] = logits.detach(), loss.detach().reshape(1)
for name, get in course_names(model).items():
    out["instruct.grad." + name] = get(grad_of)
print("instruct loss", loss.item())


# --- classifier -----------------------------------------------------------------------------
def classifier_model():
    m = load_tiny()
    torch.manual_seed(123)
    m.out_head = nn.Linear(D, 2)  # the book's new head
    return m


labels = torch.tensor([0, 1, 1])
lengths = torch.tensor([len(s) for s in sequences])
padded = torch.tensor([s + [PAD] * (max(lengths) - len(s)) for s in sequences])


def last_real_logits(m):
    return m(padded)[torch.arange(len(sequences)), lengths - 1, :]


model = classifier_model()
out["classifier.head.weight"] = model.out_head.weight.detach().clone()
out["classifier.head.bias"] = model.out_head.bias.detach().clone()
for p in model.parameters():
    p.requires_grad = False
for p in list(model.trf_blocks[-1].parameters()) + list(model.final_norm.parameters()) + list(model.out_head.parameters()):
    p.requires_grad = True
logits = last_real_logits(model)
loss = F.cross_entropy(logits, labels)
loss.backward()
out["classifier.logits"], out["classifier.loss"] = logits.detach(), loss.detach().reshape(1)
trainable = {"out_head.weight": model.out_head.weight, "out_head.bias": model.out_head.bias}
for name, get in course_names(model).items():
    if name.startswith(f"h.{LAYERS - 1}.") or name.startswith("ln_f."):
        out["classifier.grad." + name] = get(grad_of)
out["classifier.grad.out_head.weight"] = model.out_head.weight.grad
out["classifier.grad.out_head.bias"] = model.out_head.bias.grad
assert model.tok_emb.weight.grad is None and model.trf_blocks[0].att.W_query.weight.grad is None, "frozen layers got gradients"
print("classifier loss", loss.item())


# --- LoRA (appendix E), written from its description ----------------------------------------
class LoRALayer(nn.Module):
    def __init__(self, in_dim, out_dim, rank, alpha):
        super().__init__()
        self.A = nn.Parameter(torch.empty(in_dim, rank))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.B = nn.Parameter(torch.zeros(rank, out_dim))
        self.scale = alpha / rank

    def forward(self, x):
        return self.scale * (x @ self.A @ self.B)


class LinearWithLoRA(nn.Module):
    def __init__(self, linear, rank, alpha):
        super().__init__()
        self.linear = linear
        self.lora = LoRALayer(linear.in_features, linear.out_features, rank, alpha)

    def forward(self, x):
        return self.linear(x) + self.lora(x)


def replace_linear(module, rank, alpha):
    for name, child in module.named_children():
        if isinstance(child, nn.Linear):
            setattr(module, name, LinearWithLoRA(child, rank, alpha))
        else:
            replace_linear(child, rank, alpha)


model = classifier_model()  # head drawn after manual_seed(123) ...
for p in model.parameters():
    p.requires_grad = False
replace_linear(model, rank=4, alpha=8)  # ... then every A from the same generator


def lora_names(m):
    names = {}
    for i, block in enumerate(m.trf_blocks):
        p = f"h.{i}."
        for part, layer in enumerate([block.att.W_query, block.att.W_key, block.att.W_value]):
            names[p + f"attn.c_attn.lora.A.{part}"] = layer.lora.A
            names[p + f"attn.c_attn.lora.B.{part}"] = layer.lora.B
        for name, layer in [("attn.c_proj", block.att.out_proj), ("mlp.c_fc", block.ff.layers[0]), ("mlp.c_proj", block.ff.layers[2])]:
            names[p + name + ".lora.A"] = layer.lora.A
            names[p + name + ".lora.B"] = layer.lora.B
    names["out_head.lora.A"] = m.out_head.lora.A
    names["out_head.lora.B"] = m.out_head.lora.B
    return names


named = lora_names(model)
for name, t in named.items():
    if name.split(".lora.")[1].startswith("A"):
        out["lora.init." + name] = t.detach().clone()
torch.manual_seed(5)
with torch.no_grad():
    for name, t in named.items():
        if name.split(".lora.")[1].startswith("B"):
            t.copy_(0.1 * torch.randn(t.shape))
for name, t in named.items():
    out["lora.value." + name] = t.detach().clone()
logits = last_real_logits(model)
loss = F.cross_entropy(logits, labels)
loss.backward()
out["lora.logits"], out["lora.loss"] = logits.detach(), loss.detach().reshape(1)
for name, t in named.items():
    out["lora.grad." + name] = t.grad
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
assert trainable == sum(t.numel() for t in named.values())
assert all(p.grad is None for n, p in model.named_parameters() if ".lora." not in n), "frozen weights got gradients"
out["lora.trainable"] = torch.tensor([float(trainable)])
print("lora loss", loss.item(), "trainable", trainable)

tensors = {k: v.detach().contiguous().float() for k, v in out.items()}
tensors.update({k: v.contiguous().to(torch.int64) for k, v in integers.items()})
save_file(tensors, os.path.join(HERE, "expected.safetensors"), metadata={"torch": torch.__version__, "pad_id": str(PAD)})
print("wrote", len(tensors), "tensors")
