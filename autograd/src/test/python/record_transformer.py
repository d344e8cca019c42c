"""Records a pre-norm TransformerBlock (dev.panagrad.nn.TransformerBlock) in PyTorch 1.13, float64:
weights, input, output, and the gradients of sum(out * g) for every parameter and the input.
Writes autograd/src/test/resources/golden/transformer-block.json (deterministic). Run:
    /usr/bin/python3 autograd/src/test/python/record_transformer.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

B, T, E, H = 2, 5, 8, 2
D = E // H
torch.manual_seed(14)
dt = torch.float64


def p(*shape, scale=0.3):
    return (torch.randn(*shape, dtype=dt) * scale).requires_grad_(True)


params = {
    "ln1.weight": (1 + p(E, scale=0.1)).detach().requires_grad_(True), "ln1.bias": p(E, scale=0.1),
    "attn.qkv.weight": p(3 * E, E), "attn.qkv.bias": p(3 * E, scale=0.1),
    "attn.proj.weight": p(E, E), "attn.proj.bias": p(E, scale=0.1),
    "ln2.weight": (1 + p(E, scale=0.1)).detach().requires_grad_(True), "ln2.bias": p(E, scale=0.1),
    "fc.weight": p(4 * E, E), "fc.bias": p(4 * E, scale=0.1),
    "out.weight": p(E, 4 * E), "out.bias": p(E, scale=0.1),
}
x = torch.randn(B, T, E, dtype=dt).requires_grad_(True)
g = torch.randn(B, T, E, dtype=dt)


def block(x):
    h = F.layer_norm(x, [E], params["ln1.weight"], params["ln1.bias"], 1e-5)
    qkv = F.linear(h, params["attn.qkv.weight"], params["attn.qkv.bias"]).view(B, T, 3, H, D).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    s = (q @ k.transpose(-2, -1)) / math.sqrt(D)
    s = s.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
    a = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, E)
    x1 = x + F.linear(a, params["attn.proj.weight"], params["attn.proj.bias"])
    n = F.layer_norm(x1, [E], params["ln2.weight"], params["ln2.bias"], 1e-5)
    return x1 + F.linear(F.gelu(F.linear(n, params["fc.weight"], params["fc.bias"])), params["out.weight"], params["out.bias"])


y = block(x)
(y * g).sum().backward()


def flat(t):
    return {"shape": list(t.shape), "values": [float(v) for v in t.detach().reshape(-1)]}


out = {"meta": {"torch_version": torch.__version__, "generator": "autograd/src/test/python/record_transformer.py",
                "model": "TransformerBlock(width %d, heads %d, causal), float64, input [%d, %d, %d]; loss sum(y * g)" % (E, H, B, T, E)},
       "params": {k: flat(v) for k, v in params.items()}, "x": flat(x), "g": flat(g), "y": flat(y),
       "grads": {k: flat(v.grad) for k, v in params.items()}, "x_grad": flat(x.grad)}
path = os.path.join(os.path.dirname(__file__), "..", "resources", "golden", "transformer-block.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
