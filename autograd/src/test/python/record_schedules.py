"""Records PyTorch 1.13's learning-rate sequences for the schedulers of dev.panagrad.optim: for each case,
the lr of every parameter group after construction and after each step (get_last_lr()).
Writes autograd/src/test/resources/golden/lr-schedules.json (deterministic). Run:
    /usr/bin/python3 autograd/src/test/python/record_schedules.py
"""
import json
import os

import torch
from torch.optim import SGD
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, OneCycleLR, SequentialLR, StepLR


def groups(lrs):
    return [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]


CASES = {
    "step_lr": ([0.1, 0.01], lambda o: StepLR(o, step_size=3, gamma=0.5), 10),
    "cosine_annealing_lr": ([0.1], lambda o: CosineAnnealingLR(o, T_max=5, eta_min=0.01), 13),
    "linear_lr_warmup": ([0.2, 0.02], lambda o: LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 8),
    "warmup_then_cosine": ([3e-3], lambda o: SequentialLR(o, [LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=3),
                                                              CosineAnnealingLR(o, T_max=7, eta_min=1e-4)], milestones=[3]), 12),
    "one_cycle_cos": ([0.5], lambda o: OneCycleLR(o, max_lr=0.1, total_steps=10, cycle_momentum=False), 9),
    "one_cycle_linear_three_phase": ([0.5], lambda o: OneCycleLR(o, max_lr=0.2, total_steps=12, pct_start=0.25, anneal_strategy="linear",
                                                                  div_factor=10, final_div_factor=100, three_phase=True, cycle_momentum=False), 11),
}

out = {"meta": {"torch_version": torch.__version__, "generator": "autograd/src/test/python/record_schedules.py",
                "layout": "per case: the groups' initial lrs, then lrs[k] = get_last_lr() after construction (k = 0) and after k steps"}, "cases": {}}
for name, (lrs, make, steps) in CASES.items():
    opt = SGD(groups(lrs), lr=lrs[0])
    sched = make(opt)
    seq = [list(sched.get_last_lr())]
    for _ in range(steps):
        opt.step()
        sched.step()
        seq.append(list(sched.get_last_lr()))
    out["cases"][name] = {"initial": lrs, "lrs": seq}
# parameter groups: AdamW over two groups (own lr, decay only on the matrix), 3 steps with fixed gradients
w = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
b = torch.tensor([0.1, -0.2], requires_grad=True)
opt = torch.optim.AdamW([{"params": [w], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0, "lr": 0.05}], lr=0.01)
for k in range(3):
    w.grad = torch.tensor([[0.3, -0.2], [0.1, 0.4]]) * (k + 1)
    b.grad = torch.tensor([-0.5, 0.25]) * (k + 1)
    opt.step()
out["adamw_groups"] = {"w": [float(v) for v in w.detach().reshape(-1)], "b": [float(v) for v in b.detach().reshape(-1)]}
path = os.path.join(os.path.dirname(__file__), "..", "resources", "golden", "lr-schedules.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
