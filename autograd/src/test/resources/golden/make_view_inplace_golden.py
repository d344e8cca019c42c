"""Records view-inplace-golden.json: PyTorch 1.13's view + in-place autograd (issue 10, items 5 and 6).

Run with PyTorch 1.13 (`/usr/bin/python3 make_view_inplace_golden.py` beside this file); the Java
side (ViewInplaceTest) replays every case without Python. Same layout as pytorch-golden.json:
inputs from numpy RandomState(20240610) quantized to multiples of 1/64, float64, values row-major.
"""
import json
import os

import numpy as np
import torch

rng = np.random.RandomState(20240610)


def rand(*shape):
    return np.round(rng.uniform(-2, 2, size=shape) * 64) / 64


def tensor_json(t):
    t = t.detach()
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "values": t.reshape(-1).tolist()}


# name -> (inputs: name -> (shape, requires_grad), code, output names)
CASES = [
    ("inplace_on_base_of_live_view", {"x": ((3,), True), "g": ((2,), False)},
     "b = x * 1\nv = b[0:2]\nb.mul_(x)\nv.backward(g)", ["v", "b"]),
    ("copy_into_slice_of_plain_buffer", {"x": ((2,), True)},
     "buf = torch.zeros(3, dtype=torch.float64)\nbuf[0:2].copy_(x)\ny = (buf * buf).sum() + x.sum()\ny.backward()", ["buf", "y"]),
    ("inplace_mul_on_rows_of_nonleaf", {"x": ((4, 3), True), "w": ((2, 3), True), "g": ((4, 3), False)},
     "b = x * 2\nb[1:3].mul_(w)\nb.backward(g)", ["b"]),
    ("inplace_on_transposed_view_of_view", {"x": ((2, 3), True), "y": ((2,), True), "g": ((2, 3), False)},
     "b = x.sin()\nv = b.t()\nv[1].add_(y, alpha=2)\nr = b * b\nr.backward(g)", ["r"]),
    ("inplace_ops_on_views_then_saved", {"x": ((6,), True), "y": ((2,), True)},
     "b = x.sin()\nb[0:2].div_(y)\nb[2:4].clamp_(-1, 1)\nb[4:6].zero_()\nr = (b * b).sum()\nr.backward()", ["b", "r"]),
    ("stale_views_rebuilt_over_base", {"x": ((4,), True), "g": ((3, 2), False)},
     "b = x * 1\nv = b[0:3]\nw = v.view(3, 1).expand(3, 2)\nb.mul_(x)\nw.backward(g)", ["w"]),
    ("view_of_leaf_after_nograd_update", {"x": ((3,), True), "g": ((2,), False)},
     "v = x[0:2]\nwith torch.no_grad():\n    x.mul_(2)\nv.backward(g)", ["v"]),
    ("retain_grad_then_inplace", {"x": ((2,), True)},
     "y = x * 3\ny.retain_grad()\ny.mul_(2)\ny.sum().backward()\nyg = y.grad", ["y", "yg"]),
    ("retain_grad_then_two_inplaces", {"x": ((2,), True)},
     "y = x * 1\ny.retain_grad()\ny.add_(1)\ny.mul_(3)\n(y * y).sum().backward()\nyg = y.grad", ["y", "yg"]),
    ("retain_grad_view_then_base_inplace", {"x": ((3,), True)},
     "b = x * 1\nv = b[0:2]\nv.retain_grad()\nb.mul_(2)\n(v * v).sum().backward()\nvg = v.grad", ["vg"]),
    ("two_inplaces_on_one_view_then_base", {"x": ((5,), True), "y": ((2,), True)},
     "b = x * 1\nv = b[1:3]\nv.mul_(y)\nv.add_(y)\nb.mul_(x)\nr = (b * v.sum()).sum()\nr.backward()", ["b", "r"]),
    ("row_and_column_of_a_matrix_inplace", {"x": ((3, 4), True), "y": ((4,), True), "z": ((3,), True)},
     "b = x * 1\nb[1].copy_(y)\nb[:, 2].mul_(z)\nr = (b * b).sum()\nr.backward()", ["b", "r"]),
]


def run(name, inputs, code, outputs):
    env = {"torch": torch}
    case_inputs = {}
    for key, (shape, requires_grad) in inputs.items():
        t = torch.tensor(rand(*shape), dtype=torch.float64, requires_grad=requires_grad)
        env[key] = t
        case_inputs[key] = dict(tensor_json(t), requires_grad=requires_grad)
    exec(code, env)
    out = {k: tensor_json(env[k]) for k in outputs}
    grads = {k: (None if env[k].grad is None else tensor_json(env[k].grad)) for k, (_, rg) in inputs.items() if rg}
    return {"name": name, "dtype": "float64", "code": code, "inputs": case_inputs, "outputs": out, "grads": grads}


def main():
    doc = {
        "meta": {
            "torch_version": torch.__version__,
            "generator": "make_view_inplace_golden.py (beside this file)",
            "layout": "as pytorch-golden.json: tensors are {shape, dtype, values}, values row-major; grads[name] is name.grad after the code ran (null if None)",
            "inputs": "numpy RandomState(20240610), uniform(-2, 2) quantized to multiples of 1/64, float64",
        },
        "cases": [run(*c) for c in CASES],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "view-inplace-golden.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
