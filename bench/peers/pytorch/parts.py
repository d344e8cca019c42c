"""PyTorch side of `./panagrad bench parts BATCH`: one MLP training step (784-1024-1024-10, ReLU,
cross-entropy, SGD momentum 0.9) timed by part: zero_grad, forward (with the loss), backward, step.
Medians of 100 steps after 20. Prints one JSON object, with the OpenBLAS core it ran on.

usage: OPENBLAS_NUM_THREADS=2 [OPENBLAS_CORETYPE=...] /usr/bin/python3 parts.py BATCH
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn

from peer import openblas

torch.set_num_threads(1)
torch.manual_seed(0)
b = int(sys.argv[1])
model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(b, 784)
y = torch.randint(0, 10, (b,))
T = {k: [] for k in ("zero", "forward", "backward", "step")}
for i in range(120):
    t0 = time.perf_counter()
    opt.zero_grad()
    t1 = time.perf_counter()
    loss = nn.functional.cross_entropy(model(x), y)
    t2 = time.perf_counter()
    loss.backward()
    t3 = time.perf_counter()
    opt.step()
    t4 = time.perf_counter()
    if i >= 20:
        for k, v in zip(T, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            T[k].append(v)
out = {k: statistics.median(v) * 1e3 for k, v in T.items()}
lib = openblas()
out["blas_core"] = lib.openblas_get_corename().decode() if lib is not None else "unknown"
print(json.dumps(out))
