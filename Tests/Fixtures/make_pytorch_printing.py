# Makes Tests/Fixtures/pytorch-printing.json: for each case the shape, the values (non-finite
# ones as the strings "inf", "-inf", "nan", which JSON cannot hold) and repr(tensor) as PyTorch
# prints it with its default print options. Run: python3 make_pytorch_printing.py
import json, math, sys
import torch
cases = {}
def encode(v): return v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
def add(name, t): cases[name] = (list(t.shape), [encode(v) for v in t.detach().reshape(-1).tolist()], repr(t))
add("book", torch.tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64], [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]]))
add("negatives", torch.tensor([[-0.0739, 0.0713], [-1.5, 22.25]]))
add("integers", torch.tensor([1., 2., 3.]))
add("integers_neg", torch.tensor([[-10., 2.], [300., 0.]]))
add("int_sci", torch.tensor([1., 1e9]))
add("sci_small", torch.tensor([1e-5, 1.0]))
add("sci_ratio", torch.tensor([0.5, 2000.5]))
add("inf_nan", torch.tensor([1.5, float('inf'), float('-inf'), float('nan')]))
add("inf_int", torch.tensor([1., float('-inf')]))
add("scalar", torch.tensor(3.5))
add("scalar_int", torch.tensor(3.))
add("scalar_zero", torch.tensor(0.))
add("zeros", torch.zeros(2, 3))
add("three_d", torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 7)
add("four_d", torch.arange(16, dtype=torch.float32).reshape(2, 2, 2, 2) - 5)
add("long_vector", torch.arange(30, dtype=torch.float32) / 3)
add("summarized_vector", torch.arange(2000, dtype=torch.float32) / 7)
add("summarized_matrix", torch.arange(1600, dtype=torch.float32).reshape(40, 40) / 11 - 50)
add("summarized_3d", torch.arange(2 * 30 * 20, dtype=torch.float32).reshape(2, 30, 20) / 13)
add("wide_rows", torch.arange(60, dtype=torch.float32).reshape(3, 20) * 1.5 - 20.25)
add("empty", torch.tensor([]))
add("empty_2d", torch.zeros(0, 3))
add("requires_grad", torch.tensor([[1.5, -2.25]], requires_grad=True))
x = torch.tensor([[0.3161, 0.4568, 0.5118], [-0.1683, -0.3379, -0.0918]], requires_grad=True)
add("grad_fn_softmax", torch.softmax(x, dim=-1))
add("grad_fn_long", torch.softmax(torch.arange(36.0).reshape(6, 6) / 10, -1).requires_grad_())
add("negzero", torch.tensor([-0.0, 1.25]))
add("mixed_width", torch.tensor([123.456, -0.5, 7.0]))
cases["_made_by"] = "torch " + torch.__version__
json.dump(cases, open(sys.argv[1] if len(sys.argv) > 1 else "pytorch-printing.json", "w"), indent=0, sort_keys=True)
