#!/usr/bin/python3
"""Records the PyTorch golden data the Java tests replay (see README.md beside this file).

    /usr/bin/python3 autograd/src/test/python/record_golden.py            # rewrite both files
    /usr/bin/python3 autograd/src/test/python/record_golden.py --check    # rewrite nothing: compare

Needs Debian's python3-torch (PyTorch 1.13.1, numpy). CI never runs this: the tests read the JSON
it wrote. Every input comes from a fixed seed or a formula, so running it again gives the same
files byte for byte (on the same torch build).

Writes, under autograd/src/test/resources/golden/:
  pytorch-golden-large.json  float32 cases at the sizes the training job runs (GoldenLargeTest)
  pytorch-fuzz.json          op programs (random, and the named cases of issue 10) (FuzzReplayTest)
It never writes pytorch-golden.json (the 80 original cases): --check re-runs each of their
recorded snippets and reports how far today's torch is from the recorded numbers.
"""
import argparse
import base64
import contextlib
import hashlib
import json
import math
import os
import random
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.normpath(os.path.join(HERE, "..", "resources", "golden"))
FUZZ_SEED = 20241127
FUZZ_PROGRAMS = 400

torch.set_num_threads(1)   # reductions and GEMM split differently with more threads
warnings.filterwarnings("ignore")


# ------------------------------------------------------------------------------------------ JSON

class Raw(str):
    """A JSON token written as it is (numbers: the shortest text that reads back as the same value)."""


def dumps(x, indent=0, width=160):
    """Compact JSON: objects one key per line at the top levels, value lists on one line."""
    pad = " " * indent
    if isinstance(x, Raw):
        return str(x)
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return number(x, "float64")
    if isinstance(x, str):
        return json.dumps(x, ensure_ascii=False)
    if isinstance(x, (list, tuple)):
        parts = [dumps(v, indent + 1) for v in x]
        flat = "[" + ", ".join(parts) + "]"
        if all(not isinstance(v, (dict, list)) for v in x) or len(flat) <= width:
            return flat
        return "[\n" + ",\n".join(pad + " " + p for p in parts) + "\n" + pad + "]"
    if isinstance(x, dict):
        parts = [json.dumps(k) + ": " + dumps(v, indent + 1) for k, v in x.items()]
        flat = "{" + ", ".join(parts) + "}"
        if len(flat) <= width:
            return flat
        return "{\n" + ",\n".join(pad + " " + p for p in parts) + "\n" + pad + "}"
    raise TypeError(type(x))


def number(v, dtype):
    """A value as JSON: finite floats as the shortest round-trip text of their dtype, others as strings."""
    if dtype == "bool":
        return Raw("1" if v else "0")
    if dtype == "int64":
        return Raw(str(int(v)))
    v = float(v)
    if math.isnan(v):
        return '"nan"'
    if math.isinf(v):
        return '"inf"' if v > 0 else '"-inf"'
    if dtype == "float32":
        return Raw(repr(np.float32(v)))
    return Raw(repr(v))


DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "bool": torch.bool, "bfloat16": torch.bfloat16}
NAMES = {v: k for k, v in DTYPES.items()}


def tensor_json(t, digits=None):
    """{shape, dtype, values}; float64 values rounded to `digits` significant digits when given."""
    t = t.detach()
    d = NAMES[t.dtype]
    flat = t.reshape(-1).tolist()
    if digits and d == "float64":
        flat = [float(f"{v:.{digits}g}") if math.isfinite(v) else v for v in flat]
    return {"shape": list(t.shape), "dtype": d, "values": [Raw(number(v, d)) for v in flat]}


def result_json(t):
    """A program's result as recorded: float64 to 12 significant digits (the replay's tolerance is 1e-9)."""
    return tensor_json(t, digits=12)


def tensor_of(spec):
    d = DTYPES[spec["dtype"]]
    vals = [parse(v, spec["dtype"]) for v in spec["values"]]
    t = torch.tensor(vals, dtype=d).reshape(spec["shape"]).clone()   # not a view: a leaf of its own
    if spec.get("requires_grad"):
        t.requires_grad_(True)
    return t


def parse(v, dtype):
    v = str(v).strip('"')
    if dtype == "int64":
        return int(v)
    if dtype == "bool":
        return v not in ("0", "false")
    return float(v)


def write(path, obj):
    text = dumps(obj) + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(path)} ({len(text) // 1024} KiB)")


# ------------------------------------------------------------------------------ the op programs
#
# A program: inputs (leaf tensors, stored), then steps, each {"op", "in": [names], "args": {...},
# "out": name or [names]}, run in order; "no_grad": true runs a step under torch.no_grad().
# Both this interpreter and the Java one (FuzzReplayTest / Programs.java) give each op the same
# meaning; the comment on each line says what the Java side calls.

def _index_spec(spec):
    out = []
    for part in spec.split(","):
        p = part.strip()
        if ":" in p:
            f = [int(s) if s.strip() else None for s in p.split(":")]
            out.append(slice(*f))
        else:
            out.append(int(p))
    return tuple(out)


def _opt(v):
    return None if v is None or (isinstance(v, float) and math.isinf(v)) else v


def _grad_of(x):
    return None if x.grad is None else x.grad.detach().clone()


OPS = {
    # element-wise, one input                                   Java
    "neg": lambda i, a: -i[0],                                  # neg()
    "exp": lambda i, a: torch.exp(i[0]),                        # exp()
    "log": lambda i, a: torch.log(i[0]),                        # log()
    "sqrt": lambda i, a: torch.sqrt(i[0]),                      # sqrt()
    "abs": lambda i, a: torch.abs(i[0]),                        # abs()
    "sin": lambda i, a: torch.sin(i[0]),                        # sin()
    "cos": lambda i, a: torch.cos(i[0]),                        # cos()
    "tanh": lambda i, a: torch.tanh(i[0]),                      # tanh()
    "sigmoid": lambda i, a: torch.sigmoid(i[0]),                # sigmoid()
    "relu": lambda i, a: torch.relu(i[0]),                      # relu()
    "silu": lambda i, a: F.silu(i[0]),                          # silu()
    "erf": lambda i, a: torch.erf(i[0]),                        # erf()
    "clamp": lambda i, a: torch.clamp(i[0], min=_opt(a["min"]), max=_opt(a["max"])),   # clamp(min, max), ±inf for none
    "pow_s": lambda i, a: i[0] ** a["p"],                       # pow(p)
    "softmax": lambda i, a: torch.softmax(i[0], a["dim"]),      # softmax(dim)
    "log_softmax": lambda i, a: F.log_softmax(i[0], a["dim"]),  # logSoftmax(dim)
    # with a Python number
    "add_s": lambda i, a: i[0] + a["s"],                        # add(s)
    "sub_s": lambda i, a: i[0] - a["s"],                        # sub(s)
    "mul_s": lambda i, a: i[0] * a["s"],                        # mul(s)
    "div_s": lambda i, a: i[0] / a["s"],                        # div(s)
    "rsub_s": lambda i, a: a["s"] - i[0],                       # rsub(s)
    # two tensors, broadcasting
    "add": lambda i, a: torch.add(i[0], i[1], alpha=a.get("alpha", 1)),   # add(o, alpha)
    "sub": lambda i, a: torch.sub(i[0], i[1], alpha=a.get("alpha", 1)),   # sub(o, alpha)
    "mul": lambda i, a: i[0] * i[1],                            # mul(o)
    "div": lambda i, a: i[0] / i[1],                            # div(o)
    "pow": lambda i, a: i[0] ** i[1],                           # pow(o)
    "lt": lambda i, a: i[0] < i[1], "gt": lambda i, a: i[0] > i[1],        # lt(o), gt(o) ...
    "le": lambda i, a: i[0] <= i[1], "ge": lambda i, a: i[0] >= i[1],
    "eq": lambda i, a: i[0] == i[1], "ne": lambda i, a: i[0] != i[1],
    "lt_s": lambda i, a: i[0] < a["s"], "gt_s": lambda i, a: i[0] > a["s"],  # lt(s), gt(s) ...
    "le_s": lambda i, a: i[0] <= a["s"], "ge_s": lambda i, a: i[0] >= a["s"],
    "where": lambda i, a: torch.where(i[0], i[1], i[2]),      # Tensor.where(c, a, b)
    "masked_fill": lambda i, a: i[0].masked_fill(i[1], a["value"]),   # maskedFill(mask, v)
    # reductions
    "sum": lambda i, a: i[0].sum() if a.get("dims") is None else i[0].sum(dim=a["dims"], keepdim=a["keepdim"]),    # sum() / sum(dims, keepdim)
    "mean": lambda i, a: i[0].mean() if a.get("dims") is None else i[0].mean(dim=a["dims"], keepdim=a["keepdim"]),  # mean() / mean(dims, keepdim)
    "amax": lambda i, a: i[0].amax(dim=a["dims"], keepdim=a["keepdim"]),   # amax(dims, keepdim)
    "max": lambda i, a: i[0].max(),                             # max()
    "max_dim": lambda i, a: tuple(i[0].max(dim=a["dim"], keepdim=a["keepdim"])),   # max(dim, keepdim): values, indices
    "argmax": lambda i, a: i[0].argmax() if a.get("dim") is None else i[0].argmax(dim=a["dim"]),   # argmax() / argmax(dim)
    # linear algebra and layers
    "matmul": lambda i, a: torch.matmul(i[0], i[1]),           # matmul(o)
    "mm": lambda i, a: torch.mm(i[0], i[1]),                   # mm(o)
    "linear": lambda i, a: (F.relu if a.get("relu") else (lambda t: t))(F.linear(i[0], i[1], i[2] if len(i) > 2 else None)),   # Tensor.linear(x, w, b, relu)
    "cross_entropy": lambda i, a: F.cross_entropy(i[0], i[1], reduction=a["reduction"]),   # Functional.crossEntropy
    "mse_loss": lambda i, a: F.mse_loss(i[0], i[1], reduction=a["reduction"]),             # Functional.mseLoss
    # views and copies
    "view": lambda i, a: i[0].view(a["shape"]),                 # view(shape)
    "reshape": lambda i, a: i[0].reshape(a["shape"]),           # reshape(shape)
    "flatten": lambda i, a: i[0].flatten(),                     # flatten()
    "permute": lambda i, a: i[0].permute(a["dims"]),            # permute(dims)
    "transpose": lambda i, a: i[0].transpose(a["d0"], a["d1"]),   # transpose(d0, d1)
    "t": lambda i, a: i[0].t(),                                 # t()
    "squeeze": lambda i, a: i[0].squeeze() if a.get("dim") is None else i[0].squeeze(a["dim"]),   # squeeze() / squeeze(dim)
    "unsqueeze": lambda i, a: i[0].unsqueeze(a["dim"]),         # unsqueeze(dim)
    "expand": lambda i, a: i[0].expand(a["sizes"]),             # expand(sizes)
    "slice": lambda i, a: torch.ops.aten.slice(i[0], a["dim"], a["start"], a["end"], a["step"]),   # slice(dim, start, end, step)
    "narrow": lambda i, a: i[0].narrow(a["dim"], a["start"], a["length"]),   # slice(dim, start, start + length)
    "select": lambda i, a: i[0].select(a["dim"], a["index"]),   # select(dim, index)
    "index": lambda i, a: i[0][_index_spec(a["spec"])],        # index(spec)
    "gather": lambda i, a: torch.gather(i[0], a["dim"], i[1]),   # gather(dim, index)
    "index_select": lambda i, a: torch.index_select(i[0], a["dim"], i[1]),   # indexSelect(dim, index)
    "scatter_add": lambda i, a: torch.scatter_add(i[0], a["dim"], i[1], i[2]),   # scatterAdd(dim, index, src)
    "index_add": lambda i, a: torch.index_add(i[0], a["dim"], i[1], i[2]),   # indexAdd(dim, index, source)
    "cat": lambda i, a: torch.cat(list(i), a["dim"]),          # Tensor.cat(dim, ...)
    "stack": lambda i, a: torch.stack(list(i), a["dim"]),      # Tensor.stack(dim, ...)
    "contiguous": lambda i, a: i[0].contiguous(),               # contiguous()
    "clone": lambda i, a: i[0].clone(),                         # clone()
    "detach": lambda i, a: i[0].detach(),                       # detach()
    "to": lambda i, a: i[0].to(DTYPES[a["dtype"]]),             # to(dtype)
    "leaf_of": lambda i, a: i[0].detach().requires_grad_(True),   # detach().requiresGrad(true): a leaf with the view's layout
    # in place (the result is the same tensor as in[0])
    "add_": lambda i, a: i[0].add_(i[1], alpha=a.get("alpha", 1)),   # addInPlace(o, alpha)
    "sub_": lambda i, a: i[0].sub_(i[1]),                       # subInPlace(o)
    "mul_": lambda i, a: i[0].mul_(i[1]),                       # mulInPlace(o)
    "div_": lambda i, a: i[0].div_(i[1]),                       # divInPlace(o)
    "add_s_": lambda i, a: i[0].add_(a["s"]),                   # addInPlace(s)
    "sub_s_": lambda i, a: i[0].sub_(a["s"]),                   # subInPlace(s)
    "mul_s_": lambda i, a: i[0].mul_(a["s"]),                   # mulInPlace(s)
    "div_s_": lambda i, a: i[0].div_(a["s"]),                   # divInPlace(s)
    "clamp_": lambda i, a: i[0].clamp_(min=_opt(a["min"]), max=_opt(a["max"])),   # clampInPlace(min, max)
    "masked_fill_": lambda i, a: i[0].masked_fill_(i[1], a["value"]),   # maskedFillInPlace(mask, v)
    "zero_": lambda i, a: i[0].zero_(),                         # zeroInPlace()
    "fill_": lambda i, a: i[0].fill_(a["value"]),               # fillInPlace(v)
    "copy_": lambda i, a: i[0].copy_(i[1]),                     # copyFrom(src)
    # transformer parts (issue 14)
    "bmm": lambda i, a: torch.bmm(i[0], i[1]),                 # bmm(o)
    "embedding": lambda i, a: F.embedding(i[0], i[1], padding_idx=a.get("padding_idx")),   # Tensor.embedding(idx, w, paddingIdx)
    "index_t": lambda i, a: i[0][i[1]],                        # index(LongTensor)
    "index_put": lambda i, a: torch.index_put(i[0], (i[1],), i[2], accumulate=a["accumulate"]),   # indexPut(idx, values, accumulate)
    "gelu": lambda i, a: F.gelu(i[0]),                          # gelu()
    "layer_norm": lambda i, a: F.layer_norm(i[0], a["shape"], i[1] if len(i) > 1 else None, i[2] if len(i) > 2 else None, eps=a["eps"]),   # layerNorm(shape, w, b, eps)
    "attention_softmax": lambda i, a: _attention_softmax(i[0], a["scale"], a["causal"], i[1] if len(i) > 1 else None),   # attentionSoftmax(scale, causal, mask)
    "sdpa": lambda i, a: _sdpa(i[0], i[1], i[2], i[3] if len(i) > 3 else None, a["causal"]),   # Tensor.scaledDotProductAttention(q, k, v, mask, causal, 0)
    # convolutional networks (cnn_cases)
    "conv2d": lambda i, a: F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, a["stride"], a["padding"], a["dilation"], a["groups"]),   # Tensor.conv2d(x, w, b, stride, padding, dilation, groups)
    "conv1d": lambda i, a: F.conv1d(i[0], i[1], i[2] if len(i) > 2 else None, a["stride"], a["padding"], a["dilation"], a["groups"]),   # Tensor.conv1d(...)
    "max_pool2d": lambda i, a: F.max_pool2d(i[0], a["kernel"], a.get("stride") or None, a["padding"], a["dilation"]),   # maxPool2d(kernel, stride, padding, dilation)
    "avg_pool2d": lambda i, a: F.avg_pool2d(i[0], a["kernel"], a.get("stride") or None, a["padding"]),   # avgPool2d(kernel, stride, padding)
    "adaptive_avg_pool2d": lambda i, a: F.adaptive_avg_pool2d(i[0], a["size"]),   # adaptiveAvgPool2d(oh, ow)
    "batch_norm": lambda i, a: F.batch_norm(i[0], *(list(i[1:3]) if len(i) > 2 else [None, None]), *(list(i[3:5]) if len(i) > 4 else [None, None]),
                                            training=a["training"], momentum=a["momentum"], eps=a["eps"]),   # Tensor.batchNorm(x, rm, rv, w, b, ...)
    "dropout": lambda i, a: F.dropout(i[0], a["p"], a["training"]),   # dropout(p, training, generator)
    "leaky_relu": lambda i, a: F.leaky_relu(i[0], a["slope"]),   # leakyRelu(slope)
}


def _attention_softmax(x, scale, causal, mask):
    """softmax(x*scale) over the last dim, masked where mask is False / above the diagonal (PyTorch 2's sdpa math)."""
    x = x * scale
    if causal:
        L, S = x.shape[-2], x.shape[-1]
        x = x.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float("-inf"))
    if mask is not None:
        x = x.masked_fill(~mask, float("-inf"))
    return torch.softmax(x, -1)


def _sdpa(q, k, v, mask, causal):
    """PyTorch 2's F.scaled_dot_product_attention, math path, written for 1.13."""
    return _attention_softmax(q @ k.transpose(-2, -1), 1 / math.sqrt(q.shape[-1]), causal, mask) @ v

IN_PLACE = {op for op in OPS if op.endswith("_")}


def run_step(step, env):
    """Runs one step; returns the tensors it makes (or None)."""
    op, args = step["op"], step.get("args", {})
    ins = [env[n] for n in step.get("in", [])]
    if op == "backward":                     # backward(gradient, retainGraph) / backward()
        grad = ins[1] if len(ins) > 1 else None
        ins[0].backward(grad, retain_graph=args.get("retain_graph", False), create_graph=args.get("create_graph", False))
        return None
    if op == "retain_grad":                  # retainGrad()
        _ = ins[0].grad_fn   # torch 1.13 segfaults in retain_grad() on a view written under no_grad until this regenerates its grad_fn
        ins[0].retain_grad()
        return None
    if op == "requires_grad_":               # requiresGrad(flag)
        ins[0].requires_grad_(args["flag"])
        return None
    if op == "set_grad":                     # setGrad(g)
        ins[0].grad = ins[1]
        return None
    if op == "grad_of":                      # grad(), copied (null when there is none)
        return _grad_of(ins[0])
    if op == "clear_grad":                   # setGrad(null)
        ins[0].grad = None
        return None
    if op == "grad_attr":                    # grad() as it is (with its grad_fn after create_graph)
        return ins[0].grad
    if op == "grad":                         # Autograd.grad(outputs, inputs, gradOutputs, retainGraph, createGraph, allowUnused)
        k, m = args["outputs"], args["inputs"]
        go = ins[k + m:] or None
        return tuple(torch.autograd.grad(ins[:k], ins[k:k + m], go, retain_graph=args.get("retain_graph"),
                                         create_graph=args.get("create_graph", False), allow_unused=args.get("allow_unused", False)))
    return OPS[op](ins, args)


def run_program(prog, record=True):
    """Runs a program; returns what the Java replay must reproduce."""
    env = {}
    for name, spec in prog["inputs"].items():
        env[name] = tensor_of(spec)
    leaves = [n for n, s in prog["inputs"].items() if s["dtype"] in ("float32", "float64")]
    retained = []
    values = []          # per step: its result when it was made (a list for two results, null for none)
    snap = result_json if record else (lambda t: t)
    last = {n: snap(t) for n, t in env.items()}   # each name's value as last recorded
    in_place = False
    for k, step in enumerate(prog["steps"]):
        ctx = (torch.no_grad() if step.get("no_grad") else torch.autograd.detect_anomaly() if step.get("anomaly")
               else torch.inference_mode() if step.get("inference") else contextlib.nullcontext())
        if step.get("autocast"):
            ctx = torch.autocast("cpu", dtype=torch.bfloat16)
        try:
            with ctx:
                res = run_step(step, env)
        except Exception as e:   # noqa: BLE001 - every error is an expected outcome here
            return {"values": values, "error": {"step": k, "op": step["op"], "type": type(e).__name__,
                                                "message": str(e).split("\n")[0]}}
        op = step["op"]
        in_place |= op in IN_PLACE
        if op == "leaf_of":
            leaves.append(step["out"])
        if op == "retain_grad" and not env[step["in"][0]].is_leaf and step["in"][0] not in retained:
            retained.append(step["in"][0])
        outs = step.get("out")
        if isinstance(outs, list):
            for n, t in zip(outs, res):
                env[n] = t
            values.append([None if t is None else snap(t) for t in res])
            last.update(zip(outs, values[-1]))
        elif outs is not None:
            if res is not None:
                env[outs] = res
            values.append(None if res is None else snap(res))
            last[outs] = values[-1]
        else:
            values.append(None)
    grads = {}
    for n in leaves + retained:
        g = env[n].grad
        grads[n] = None if g is None else snap(g)
    result = {"values": values, "grads": grads}
    if in_place and record:   # views and bases written through others: the value at the end, where it is not the last recorded one
        # not the gradients handed to backward() or assigned to .grad: torch's AccumulateGrad may adopt
        # that very buffer as a leaf's .grad and add later gradients into it (an implementation detail)
        handed = {st["in"][1] for st in prog["steps"] if st["op"] in ("backward", "set_grad") and len(st["in"]) > 1}
        final = {n: snap(t) for n, t in env.items() if isinstance(t, torch.Tensor) and n not in handed}
        result["final"] = {n: v for n, v in final.items() if last.get(n) != v}
    return result


# ------------------------------------------------------------------------------- the generator

class Gen:
    """Builds one random program step by step, running it in torch to keep the steps it accepts."""

    def __init__(self, rng, index):
        self.r = rng
        self.index = index
        self.dtype = rng.choice(["float64", "float64", "float64", "float32", "float32"])
        self.special = rng.random() < 0.2     # NaN / ±inf among the inputs
        self.prog = {"name": f"fuzz-{index:04d}", "dtype": self.dtype, "inputs": {}, "steps": []}
        self.env = {}
        self.count = 0
        self._pending = []   # inputs made for the step being proposed

    # -------------------------------------------------------------- values and inputs

    def value(self):
        r = self.r
        if self.special and r.random() < 0.12:
            return r.choice([float("nan"), float("inf"), float("-inf"), -0.0])
        if r.random() < 0.1:
            return 0.0
        return r.randint(-12, 12) / 4

    def shape(self, max_rank=3):
        r = self.r
        rank = r.choice([0, 1, 1, 2, 2, 2, 3][: max_rank * 2 + 1])
        dims = [r.choice([1, 2, 2, 3, 3, 4]) for _ in range(rank)]
        if dims and r.random() < 0.06:
            dims[r.randrange(len(dims))] = 0
        return dims

    def new_input(self, shape, dtype=None, requires_grad=None, values=None):
        dtype = dtype or self.dtype
        n = int(np.prod(shape)) if shape else 1
        if values is None:
            if dtype == "int64":
                values = [self.r.randint(-3, 5) for _ in range(n)]
            elif dtype == "bool":
                values = [self.r.random() < 0.5 for _ in range(n)]
            else:
                values = [self.value() for _ in range(n)]
        if requires_grad is None:
            requires_grad = dtype in ("float32", "float64") and self.r.random() < 0.75
        name = f"x{len(self.prog['inputs'])}"
        self.prog["inputs"][name] = {"shape": list(shape), "dtype": dtype,
                                     "values": [Raw(number(v, dtype)) for v in values], "requires_grad": requires_grad}
        return name

    def pending_input(self, shape, dtype=None, requires_grad=None, values=None):
        """An input for a proposed step: added for good only if the step is kept."""
        name = self.new_input(shape, dtype, requires_grad, values)
        self._pending.append(name)
        return name

    def fresh(self):
        self.count += 1
        return f"t{self.count}"

    # -------------------------------------------------------------- looking at the live tensors

    def vars(self, pred=lambda t: True):
        return [n for n, t in self.env.items() if isinstance(t, torch.Tensor) and pred(t)]

    def floats(self):
        return self.vars(lambda t: t.is_floating_point())

    def pick(self, names, bias_recent=True):
        if not names:
            return None
        if bias_recent and self.r.random() < 0.6:
            return names[-1] if self.r.random() < 0.5 else names[max(0, len(names) - 3):][self.r.randrange(min(3, len(names)))]
        return self.r.choice(names)

    def broadcastable_shape(self, shape):
        """A shape that broadcasts against `shape` (drop leading dims, turn some into 1)."""
        r = self.r
        s = list(shape)
        while s and r.random() < 0.3:
            s.pop(0)
        s = [1 if r.random() < 0.3 else d for d in s]
        if r.random() < 0.1:
            s = [r.choice([1, 2])] + s if len(s) < 4 else s
        return s

    def into_shape(self, shape):
        """A shape that broadcasts *to* `shape` (for in-place operands)."""
        r = self.r
        s = list(shape)
        while s and r.random() < 0.3:
            s.pop(0)
        return [1 if r.random() < 0.3 else d for d in s]

    # -------------------------------------------------------------- proposals

    def propose(self):
        r = self.r
        floats = self.floats()
        x = self.pick(floats)
        t = self.env[x] if x else None
        kind = r.choices(["unary", "scalar", "binary", "compare", "reduce", "view", "index", "matmul", "layer",
                          "inplace", "autograd", "copy"],
                         [10, 5, 10, 4, 9, 14, 6, 5, 3, 16, 4, 4])[0]
        out = self.fresh()
        if kind == "unary":
            op = r.choice(["neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "clamp", "pow_s",
                           "softmax", "log_softmax"])
            args = {}
            if op == "clamp":
                lo, hi = sorted([r.choice([-1.0, -0.5, 0.0, 0.5, 1.0]) for _ in range(2)])
                args = {"min": r.choice([lo, -math.inf]) if r.random() < 0.8 else lo, "max": r.choice([hi, math.inf])}
                if math.isinf(args["min"]) and math.isinf(args["max"]):
                    args["max"] = hi
            elif op == "pow_s":
                args = {"p": r.choice([2, 3, 0.5, -1, 2.5, 0, -2])}
            elif op in ("softmax", "log_softmax"):
                args = {"dim": r.randrange(-max(1, t.dim()), max(1, t.dim()))}
            return {"op": op, "in": [x], "args": args, "out": out}
        if kind == "scalar":
            op = r.choice(["add_s", "sub_s", "mul_s", "div_s", "rsub_s"])
            return {"op": op, "in": [x], "args": {"s": r.choice([2, -1.5, 0.25, 3, 0.5, -2])}, "out": out}
        if kind == "binary":
            op = r.choice(["add", "sub", "mul", "div", "pow", "add", "mul"])
            y = self.partner(t)
            a, b = (x, y) if r.random() < 0.7 else (y, x)
            args = {"alpha": r.choice([1, 1, 2.5, -0.5])} if op in ("add", "sub") else {}
            return {"op": op, "in": [a, b], "args": args, "out": out}
        if kind == "compare":
            if r.random() < 0.5:
                op = r.choice(["lt_s", "gt_s", "le_s", "ge_s"])
                return {"op": op, "in": [x], "args": {"s": r.choice([0, 0.5, -1])}, "out": out}
            op = r.choice(["lt", "gt", "le", "ge", "eq", "ne"])
            return {"op": op, "in": [x, self.partner(t)], "out": out}
        if kind == "reduce":
            op = r.choice(["sum", "sum", "mean", "amax", "max", "max_dim", "argmax", "where", "masked_fill"])
            rank = t.dim()
            if op in ("sum", "mean"):
                if rank == 0 or r.random() < 0.35:
                    return {"op": op, "in": [x], "args": {}, "out": out}
                return {"op": op, "in": [x], "args": {"dims": self.dims(rank), "keepdim": r.random() < 0.4}, "out": out}
            if op == "amax":
                return {"op": op, "in": [x], "args": {"dims": self.dims(max(rank, 1)) if rank else [0], "keepdim": r.random() < 0.4}, "out": out}
            if op == "max":
                return {"op": op, "in": [x], "out": out}
            if op == "max_dim":
                return {"op": op, "in": [x], "args": {"dim": r.randrange(-max(1, rank), max(1, rank)), "keepdim": r.random() < 0.4},
                        "out": [out, self.fresh()]}
            if op == "argmax":
                return {"op": op, "in": [x], "args": {"dim": r.randrange(-max(1, rank), max(1, rank))} if r.random() < 0.7 else {}, "out": out}
            bools = [n for n in self.vars(lambda v: v.dtype == torch.bool)]
            c = self.pick(bools) if bools and r.random() < 0.6 else None
            if c is None:
                c = self.pending_input(self.broadcastable_shape(t.shape), dtype="bool", requires_grad=False)
            if op == "where":
                y = self.partner(t)
                return {"op": op, "in": [c, x, y], "out": out}
            return {"op": op, "in": [x, c], "args": {"value": r.choice([0.0, -1.0, 2.5])}, "out": out}
        if kind == "view":
            return self.view_step(x, t, out)
        if kind == "index":
            return self.index_step(x, t, out)
        if kind == "matmul":
            return self.matmul_step(x, t, out)
        if kind == "layer":
            return self.layer_step(out)
        if kind == "inplace":
            return self.inplace_step(out)
        if kind == "autograd":
            return self.autograd_step(out)
        op = r.choice(["contiguous", "clone", "detach", "to", "leaf_of"])
        if op == "to":
            return {"op": op, "in": [x], "args": {"dtype": "float32" if t.dtype == torch.float64 else "float64"}, "out": out}
        return {"op": op, "in": [x], "out": out}

    def dims(self, rank):
        k = self.r.randint(1, rank)
        ds = self.r.sample(range(rank), k)
        return [d - rank if self.r.random() < 0.3 else d for d in ds]

    def partner(self, t):
        """Another operand for t: a live tensor that broadcasts with it, or a new input."""
        r = self.r
        shape = list(t.shape)
        if r.random() < 0.35:
            cands = [n for n in self.floats() if _broadcasts(shape, list(self.env[n].shape))]
            if cands:
                return r.choice(cands)
        dtype = None
        if r.random() < 0.08:
            dtype = "float32" if self.dtype == "float64" else "float64"
        s = self.broadcastable_shape(shape) if r.random() < 0.6 else shape
        if r.random() < 0.05:
            s = []
        return self.pending_input(s, dtype=dtype)

    def view_step(self, x, t, out):
        r = self.r
        rank, shape = t.dim(), list(t.shape)
        n = t.numel()
        ops = ["view", "reshape", "flatten", "permute", "transpose", "t", "squeeze", "unsqueeze", "expand", "slice",
               "narrow", "select", "index"]
        op = r.choice(ops)
        if op in ("view", "reshape"):
            return {"op": op, "in": [x], "args": {"shape": _factor_shape(r, n)}, "out": out}
        if op == "flatten" or (op in ("permute", "transpose", "t") and rank == 0):
            return {"op": "flatten", "in": [x], "out": out}
        if op == "permute":
            p = list(range(rank))
            r.shuffle(p)
            return {"op": op, "in": [x], "args": {"dims": p}, "out": out}
        if op == "transpose":
            return {"op": op, "in": [x], "args": {"d0": r.randrange(-rank, rank), "d1": r.randrange(-rank, rank)}, "out": out}
        if op == "t":
            return {"op": op if rank <= 2 else "flatten", "in": [x], "out": out}
        if op == "squeeze":
            return {"op": op, "in": [x], "args": {"dim": r.randrange(-max(1, rank), max(1, rank))} if r.random() < 0.6 else {}, "out": out}
        if op == "unsqueeze":
            return {"op": op, "in": [x], "args": {"dim": r.randrange(-rank - 1, rank + 1)}, "out": out}
        if op == "expand":
            sizes = [r.choice([1, 2, 3]) if d == 1 else (-1 if r.random() < 0.5 else d) for d in shape]
            if r.random() < 0.4:
                sizes = [r.choice([1, 2])] + sizes
            return {"op": op, "in": [x], "args": {"sizes": sizes}, "out": out}
        if rank == 0:
            return {"op": op if op in ("select", "slice") and r.random() < 0.15 else "unsqueeze", "in": [x],
                    "args": {"dim": 0, "index": 0, "start": 0, "end": 1, "step": 1}, "out": out}
        d = r.randrange(rank)
        size = shape[d]
        dim = d - rank if r.random() < 0.3 else d
        if op == "slice":
            start = r.randint(-size - 1, size)
            end = r.choice([r.randint(-size, size + 1), 2 ** 31 - 1])
            return {"op": op, "in": [x], "args": {"dim": dim, "start": start, "end": end, "step": r.choice([1, 1, 2])}, "out": out}
        if op == "narrow":
            start = r.randint(0, size)
            return {"op": op, "in": [x], "args": {"dim": dim, "start": start, "length": r.randint(0, size - start)}, "out": out}
        if op == "select":
            if size == 0:
                return {"op": "flatten", "in": [x], "out": out}
            return {"op": op, "in": [x], "args": {"dim": dim, "index": r.randint(-size, size - 1)}, "out": out}
        parts = []
        for k in range(r.randint(1, rank)):
            s = shape[k]
            if s > 0 and r.random() < 0.35:
                parts.append(str(r.randint(-s, s - 1)))
            else:
                a = r.choice(["", str(r.randint(-s, s))])
                b = r.choice(["", str(r.randint(-s, s))])
                c = r.choice(["", "", "2"])
                parts.append(a + ":" + b + (":" + c if c else ""))
        return {"op": "index", "in": [x], "args": {"spec": ", ".join(parts)}, "out": out}

    def index_step(self, x, t, out):
        r = self.r
        rank, shape = t.dim(), list(t.shape)
        op = r.choice(["gather", "index_select", "cat", "stack"])
        if op in ("cat", "stack"):
            d = r.randrange(rank + (1 if op == "stack" else 0)) if rank or op == "stack" else 0
            others = []
            for _ in range(r.randint(1, 2)):
                s = list(shape)
                if op == "cat" and rank:
                    s[d] = r.randint(0, 3)
                others.append(self.pending_input(s))
            ins = [x] + others
            r.shuffle(ins)
            return {"op": op, "in": ins, "args": {"dim": d}, "out": out}
        if rank == 0 or 0 in shape:
            return {"op": "clone", "in": [x], "out": out}
        d = r.randrange(rank)
        if op == "gather":
            ishape = [r.randint(1, s) for s in shape]
            ishape[d] = r.randint(1, 4)
            vals = [r.randrange(shape[d]) for _ in range(int(np.prod(ishape)))]
            idx = self.pending_input(ishape, dtype="int64", requires_grad=False, values=vals)
            return {"op": op, "in": [x, idx], "args": {"dim": d}, "out": out}
        vals = [r.randrange(shape[d]) for _ in range(r.randint(0, 4))]
        idx = self.pending_input([len(vals)], dtype="int64", requires_grad=False, values=vals)
        return {"op": op, "in": [x, idx], "args": {"dim": d}, "out": out}

    def matmul_step(self, x, t, out):
        r = self.r
        shape = list(t.shape)
        if t.dim() == 0:
            x = self.pending_input([r.randint(1, 3), r.randint(1, 3)])
            shape = list(self.prog["inputs"][x]["shape"])
        k = shape[-1]
        form = r.choice(["mat", "vec", "batched"])
        if form == "vec":
            other = [k]
        elif form == "batched":
            other = [r.randint(1, 2), k, r.randint(1, 4)] if len(shape) <= 3 else [k, 2]
        else:
            other = [k, r.randint(0, 4) if r.random() < 0.1 else r.randint(1, 4)]
        y = self.pending_input(other, dtype=NAMES[t.dtype] if t.dim() else None)
        if len(shape) == 2 and len(other) == 2 and r.random() < 0.3:
            return {"op": "mm", "in": [x, y], "out": out}
        if r.random() < 0.2 and len(shape) >= 2:   # the other way round: y^T-shaped on the left
            y2 = self.pending_input([r.randint(1, 3), shape[-2]], dtype=NAMES[t.dtype] if t.dim() else None)
            return {"op": "matmul", "in": [y2, x], "out": out}
        return {"op": "matmul", "in": [x, y], "out": out}

    def layer_step(self, out):
        r = self.r
        op = r.choice(["linear", "linear", "cross_entropy", "mse_loss"])
        cands = self.vars(lambda v: v.is_floating_point() and v.dim() == 2 and v.numel() > 0)
        x = self.pick(cands) if cands and r.random() < 0.7 else self.pending_input([r.randint(1, 4), r.randint(1, 4)])
        t = self.env.get(x)
        shape = list(t.shape) if t is not None else self.prog["inputs"][x]["shape"]
        dtype = NAMES[t.dtype] if t is not None else self.dtype
        if op == "linear":
            w = self.pending_input([r.randint(1, 4), shape[1]], dtype=dtype)
            ins = [x, w]
            if r.random() < 0.8:
                ins.append(self.pending_input([self.prog["inputs"][w]["shape"][0]], dtype=dtype))
            return {"op": op, "in": ins, "args": {"relu": r.random() < 0.4}, "out": out}
        if op == "cross_entropy":
            tgt = self.pending_input([shape[0]], dtype="int64", requires_grad=False,
                                     values=[r.randrange(shape[1]) for _ in range(shape[0])])
            return {"op": op, "in": [x, tgt], "args": {"reduction": r.choice(["mean", "sum", "none"])}, "out": out}
        tgt = self.pending_input(shape, dtype=dtype, requires_grad=r.random() < 0.3)
        return {"op": op, "in": [x, tgt], "args": {"reduction": r.choice(["mean", "sum"])}, "out": out}

    def inplace_step(self, out):
        r = self.r
        # mostly non-leaves and views of them; sometimes a leaf (an error, or allowed under no_grad)
        cands = self.vars(lambda v: v.is_floating_point())
        nonleaf = [n for n in cands if not (self.env[n].is_leaf and self.env[n].requires_grad)]
        x = self.pick(nonleaf if nonleaf and r.random() < 0.85 else cands)
        t = self.env[x]
        op = r.choice(["add_", "sub_", "mul_", "div_", "add_s_", "sub_s_", "mul_s_", "div_s_", "clamp_", "masked_fill_",
                       "zero_", "fill_", "copy_", "copy_", "add_", "mul_"])
        step = {"op": op, "in": [x], "out": x}
        if op in ("add_", "sub_", "mul_", "div_", "copy_"):
            cands2 = [n for n in self.floats() if n != x and _broadcasts_to(list(self.env[n].shape), list(t.shape))]
            y = r.choice(cands2) if cands2 and r.random() < 0.5 else self.pending_input(self.into_shape(t.shape))
            step["in"].append(y)
            if op == "add_":
                step["args"] = {"alpha": r.choice([1, 1, -2])}
        elif op.endswith("_s_"):
            step["args"] = {"s": r.choice([2, -1.5, 0.25, 3])}
        elif op == "clamp_":
            lo, hi = sorted([r.choice([-1.0, 0.0, 0.5, 1.0]) for _ in range(2)])
            step["args"] = {"min": lo, "max": hi}
        elif op == "masked_fill_":
            step["in"].append(self.pending_input(self.into_shape(t.shape), dtype="bool", requires_grad=False))
            step["args"] = {"value": r.choice([0.0, 1.5])}
        elif op == "fill_":
            step["args"] = {"value": r.choice([0.0, -1.0, 2.0])}
        if r.random() < 0.08:
            step["no_grad"] = True
        return step

    def autograd_step(self, out):
        r = self.r
        op = r.choice(["retain_grad", "retain_grad", "grad_of", "set_grad", "requires_grad_"])
        floats = self.floats()
        x = self.pick(floats)
        if op == "retain_grad":
            nonleaf = [n for n in floats if not self.env[n].is_leaf]
            return {"op": op, "in": [self.pick(nonleaf) if nonleaf else x]}
        if op == "grad_of":
            return {"op": op, "in": [x], "out": out}
        if op == "requires_grad_":
            leaves = [n for n in floats if self.env[n].is_leaf]
            return {"op": op, "in": [self.pick(leaves) if leaves else x], "args": {"flag": r.random() < 0.7}}
        t = self.env[x]
        dtype = NAMES[t.dtype] if r.random() < 0.9 else ("float32" if t.dtype == torch.float64 else "float64")
        return {"op": op, "in": [x, self.pending_input(list(t.shape), dtype=dtype, requires_grad=False)]}

    # -------------------------------------------------------------- the program

    def try_step(self, step, keep_error):
        trial = dict(self.prog, steps=self.prog["steps"] + [step])
        res = run_program(trial, record=False)
        err = res.get("error")
        if err is None or (keep_error and err["step"] == len(trial["steps"]) - 1):
            self.prog["steps"].append(step)
            self.env = self.rebuild()
            return "error" if err else "ok"
        for n in self._pending:
            del self.prog["inputs"][n]
        return "dropped"

    def rebuild(self):
        """The live tensors after the program's steps (re-run from the inputs)."""
        env = {n: tensor_of(s) for n, s in self.prog["inputs"].items()}
        for step in self.prog["steps"]:
            ctx = (torch.no_grad() if step.get("no_grad") else torch.autograd.detect_anomaly() if step.get("anomaly")
               else torch.inference_mode() if step.get("inference") else contextlib.nullcontext())
            try:
                with ctx:
                    res = run_step(step, env)
            except Exception:   # noqa: BLE001 - the program ends in this error
                break
            outs = step.get("out")
            if isinstance(outs, list):
                for n, t in zip(outs, res):
                    env[n] = t
            elif outs is not None and res is not None:
                env[outs] = res
        return env

    def build(self):
        r = self.r
        self._pending = []
        for _ in range(r.randint(1, 3)):
            self.new_input(self.shape())
        self.env = self.rebuild()
        length = r.randint(2, 9)
        attempts = 0
        while len(self.prog["steps"]) < length and attempts < 80:
            attempts += 1
            self._pending = []
            step = self.propose()
            if step is None:
                continue
            if self.try_step(step, keep_error=r.random() < 0.1) == "error":
                return self.prog
        self._pending = []
        self.finish()
        return self.prog

    def finish(self):
        """Backward from a result (sometimes twice, sometimes something that must fail)."""
        r = self.r
        cands = self.vars(lambda v: v.is_floating_point() and v.requires_grad)
        if not cands:
            cands = self.floats()
        root = self.pick(cands, bias_recent=True)
        t = self.env[root]
        if r.random() < 0.45 and t.numel() != 1:
            s = self.fresh()
            self.try_step({"op": "sum", "in": [root], "out": s}, keep_error=True)
            root, t = s, self.env.get(s)
            if t is None:
                return
        if t.numel() == 1 and r.random() < 0.6:
            back = {"op": "backward", "in": [root]}
        else:
            shape = list(t.shape)
            if r.random() < 0.03:
                shape = shape + [1]
            back = {"op": "backward", "in": [root, self.new_input(shape, dtype=NAMES[t.dtype], requires_grad=False)]}
        twice = r.random() < 0.15
        if twice:
            back["args"] = {"retain_graph": r.random() < 0.6}
        if self.try_step(back, keep_error=True) != "ok" or not twice:
            return
        if r.random() < 0.3:
            self._pending = []
            self.try_step(self.inplace_step(None), keep_error=True)
        self.try_step(dict(back, args={}), keep_error=True)


def _broadcasts(a, b):
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True


def _broadcasts_to(src, dst):
    if len(src) > len(dst):
        return False
    return all(s == d or s == 1 for s, d in zip(reversed(src), reversed(dst)))


def _factor_shape(r, n):
    if n == 0:
        return r.choice([[0], [0, 3], [2, 0]])
    dims = []
    m = n
    while m > 1 and len(dims) < 3:
        ds = [d for d in range(2, m + 1) if m % d == 0]
        d = r.choice(ds)
        dims.append(d)
        m //= d
    if m > 1:
        dims.append(m)
    r.shuffle(dims)
    if dims and r.random() < 0.3:
        dims[r.randrange(len(dims))] = -1
    if r.random() < 0.2:
        dims.insert(r.randrange(len(dims) + 1), 1)
    return dims


def random_programs():
    progs = []
    for i in range(FUZZ_PROGRAMS):
        rng = random.Random(FUZZ_SEED * 1000 + i)
        prog = Gen(rng, i).build()
        prog["expect"] = run_program(prog)
        progs.append(prog)
    return progs


# ------------------------------------------------------------------- issue 10's cases, by name

def t_in(values, dtype="float32", shape=None, requires_grad=False):
    shape = [len(values)] if shape is None else shape
    return {"shape": shape, "dtype": dtype, "values": [Raw(number(v, dtype)) for v in values], "requires_grad": requires_grad}


NAN, INF = float("nan"), float("inf")


def named_cases():
    """The exact snippets of issue 10 (items 5-8, 11, 13), each as a program: PyTorch's answer or error."""
    cases = []

    def case(name, group, why, inputs, steps, match_message=False):
        cases.append({"name": name, "group": group, "why": why, "inputs": inputs, "steps": steps,
                      "match_message": match_message})

    g5 = "item 5: in-place on a view or on the base of a live view (PyTorch's CopySlices)"
    case("inplace_on_base_of_live_view", g5,
         "b = x*1; v = b[0:2]; b.mul_(x); v.sum().backward(): v sees b's new values, x.grad = [2, 4, 0]",
         {"x": t_in([1, 2, 3], requires_grad=True)},
         [{"op": "mul_s", "in": ["x"], "args": {"s": 1}, "out": "b"},
          {"op": "slice", "in": ["b"], "args": {"dim": 0, "start": 0, "end": 2, "step": 1}, "out": "v"},
          {"op": "mul_", "in": ["b", "x"], "out": "b"},
          {"op": "sum", "in": ["v"], "out": "s"},
          {"op": "backward", "in": ["s"]}])
    case("copy_into_slice_of_plain_buffer", g5,
         "buf = zeros(4); buf[0:2].copy_(x); ((buf*buf).sum() + x.sum()).backward(): x.grad = 2x + 1 = [3, 5]",
         {"x": t_in([1, 2], requires_grad=True), "buf": t_in([0, 0, 0, 0])},
         [{"op": "slice", "in": ["buf"], "args": {"dim": 0, "start": 0, "end": 2, "step": 1}, "out": "bv"},
          {"op": "copy_", "in": ["bv", "x"], "out": "bv"},
          {"op": "mul", "in": ["buf", "buf"], "out": "sq"},
          {"op": "sum", "in": ["sq"], "out": "s1"},
          {"op": "sum", "in": ["x"], "out": "s2"},
          {"op": "add", "in": ["s1", "s2"], "out": "loss"},
          {"op": "backward", "in": ["loss"]}])
    case("inplace_on_view_of_nonleaf", g5,
         "y = x*2; v = y[1:]; v.mul_(3); y.sum().backward(): y = [2, 12, 18], x.grad = [2, 6, 6]",
         {"x": t_in([1, 2, 3], requires_grad=True)},
         [{"op": "mul_s", "in": ["x"], "args": {"s": 2}, "out": "y"},
          {"op": "slice", "in": ["y"], "args": {"dim": 0, "start": 1, "end": 2 ** 31 - 1, "step": 1}, "out": "v"},
          {"op": "mul_s_", "in": ["v"], "args": {"s": 3}, "out": "v"},
          {"op": "sum", "in": ["y"], "out": "s"},
          {"op": "backward", "in": ["s"]}])
    case("inplace_on_select_view_then_base_used_twice", g5,
         "y = x*1; y[1].mul_(w); (y*y).sum().backward(): the row's gradient goes through the in-place mul to x and w",
         {"x": t_in([1, 2, 3, 4, 5, 6], shape=[3, 2], requires_grad=True), "w": t_in([0.5, -2], requires_grad=True)},
         [{"op": "mul_s", "in": ["x"], "args": {"s": 1}, "out": "y"},
          {"op": "select", "in": ["y"], "args": {"dim": 0, "index": 1}, "out": "row"},
          {"op": "mul_", "in": ["row", "w"], "out": "row"},
          {"op": "mul", "in": ["y", "y"], "out": "sq"},
          {"op": "sum", "in": ["sq"], "out": "s"},
          {"op": "backward", "in": ["s"]}])
    case("inplace_on_transposed_view_of_nonleaf", g5,
         "y = x*2; y.t().add_(z); (y*x).sum().backward(): z's gradient comes back transposed",
         {"x": t_in([1, 2, 3, 4, 5, 6], shape=[2, 3], requires_grad=True),
          "z": t_in([1, -1, 2, -2, 3, -3], shape=[3, 2], requires_grad=True)},
         [{"op": "mul_s", "in": ["x"], "args": {"s": 2}, "out": "y"},
          {"op": "t", "in": ["y"], "out": "yt"},
          {"op": "add_", "in": ["yt", "z"], "out": "yt"},
          {"op": "mul", "in": ["y", "x"], "out": "p"},
          {"op": "sum", "in": ["p"], "out": "s"},
          {"op": "backward", "in": ["s"]}])
    case("view_of_view_inplace_then_view_used", g5,
         "y = x*1; a = y[1:]; b = a[:2]; b.add_(w); a.sum().backward(): a sees b's write; w.grad = [1, 1]",
         {"x": t_in([1, 2, 3, 4], requires_grad=True), "w": t_in([10, 20], requires_grad=True)},
         [{"op": "mul_s", "in": ["x"], "args": {"s": 1}, "out": "y"},
          {"op": "slice", "in": ["y"], "args": {"dim": 0, "start": 1, "end": 4, "step": 1}, "out": "a"},
          {"op": "slice", "in": ["a"], "args": {"dim": 0, "start": 0, "end": 2, "step": 1}, "out": "b"},
          {"op": "add_", "in": ["b", "w"], "out": "b"},
          {"op": "mul", "in": ["a", "a"], "out": "q"},
          {"op": "sum", "in": ["q"], "out": "s"},
          {"op": "backward", "in": ["s"]}])
    case("copy_into_expand_free_slice_of_nonleaf", g5,
         "y = x*1; y[0:2].copy_(z); (y*y).sum().backward(): x gets gradient only where y was not overwritten",
         {"x": t_in([1, 2, 3], requires_grad=True), "z": t_in([5, 7], requires_grad=True)},
         [{"op": "mul_s", "in": ["x"], "args": {"s": 1}, "out": "y"},
          {"op": "slice", "in": ["y"], "args": {"dim": 0, "start": 0, "end": 2, "step": 1}, "out": "v"},
          {"op": "copy_", "in": ["v", "z"], "out": "v"},
          {"op": "mul", "in": ["y", "y"], "out": "sq"},
          {"op": "sum", "in": ["sq"], "out": "s"},
          {"op": "backward", "in": ["s"]}])

    g6 = "item 6: retain_grad() then an in-place op"
    case("retain_grad_then_inplace", g6,
         "y = x*3; y.retain_grad(); y.mul_(2); y.sum().backward(): y.grad = [1, 1] (the gradient of the new y), x.grad = [6, 6]",
         {"x": t_in([1, 2], requires_grad=True)},
         [{"op": "mul_s", "in": ["x"], "args": {"s": 3}, "out": "y"},
          {"op": "retain_grad", "in": ["y"]},
          {"op": "mul_s_", "in": ["y"], "args": {"s": 2}, "out": "y"},
          {"op": "sum", "in": ["y"], "out": "s"},
          {"op": "backward", "in": ["s"]}])
    case("retain_grad_then_inplace_with_tensor", g6,
         "y = x*1; y.retain_grad(); y.add_(w); (y*y).sum().backward(): y.grad = 2y (after the add)",
         {"x": t_in([1, 2], requires_grad=True), "w": t_in([3, 4], requires_grad=True)},
         [{"op": "mul_s", "in": ["x"], "args": {"s": 1}, "out": "y"},
          {"op": "retain_grad", "in": ["y"]},
          {"op": "add_", "in": ["y", "w"], "out": "y"},
          {"op": "mul", "in": ["y", "y"], "out": "sq"},
          {"op": "sum", "in": ["sq"], "out": "s"},
          {"op": "backward", "in": ["s"]}])

    g7 = "item 7: NaN and ±inf (PyTorch's values and gradients where they flow)"
    case("relu_grad_at_nan_contiguous_grad", g7, "relu(x) at NaN: the output is NaN and the gradient passes (1), with a contiguous incoming gradient",
         {"x": t_in([NAN, 1, -1], requires_grad=True), "g": t_in([1, 1, 1])},
         [{"op": "relu", "in": ["x"], "out": "y"}, {"op": "backward", "in": ["y", "g"]}])
    case("relu_grad_at_nan_strided_grad", g7, "relu(x) at NaN with a strided incoming gradient (ones(6)[::2]): still 1",
         {"x": t_in([NAN, 1, -1], requires_grad=True), "g6": t_in([1, 9, 1, 9, 1, 9])},
         [{"op": "relu", "in": ["x"], "out": "y"},
          {"op": "slice", "in": ["g6"], "args": {"dim": 0, "start": 0, "end": 6, "step": 2}, "out": "g"},
          {"op": "backward", "in": ["y", "g"]}])
    case("max_all_with_nan", g7, "x.max() over [NaN, 1, 2] is NaN and the gradient goes to the NaN: [1, 0, 0]",
         {"x": t_in([NAN, 1, 2], requires_grad=True)},
         [{"op": "max", "in": ["x"], "out": "y"}, {"op": "backward", "in": ["y"]}])
    case("max_dim_with_nan", g7, "x.max(dim=1) with a NaN in row 0: value NaN, index of the NaN, gradient there",
         {"x": t_in([1, NAN, 3, 4, 5, 2], shape=[2, 3], requires_grad=True)},
         [{"op": "max_dim", "in": ["x"], "args": {"dim": 1, "keepdim": False}, "out": ["v", "i"]},
          {"op": "sum", "in": ["v"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("amax_with_nan_and_tie", g7, "amax over rows [NaN, 1] and [2, 2]: NaN takes the gradient; a tie splits it",
         {"x": t_in([NAN, 1, 2, 2], shape=[2, 2], requires_grad=True)},
         [{"op": "amax", "in": ["x"], "args": {"dims": [1], "keepdim": False}, "out": "y"},
          {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("abs_at_nan", g7, "abs at NaN: NaN, gradient 0 (sgn(NaN) = 0); abs'(0) = 0",
         {"x": t_in([NAN, 0, -2], requires_grad=True)},
         [{"op": "abs", "in": ["x"], "out": "y"}, {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("clamp_at_nan", g7, "clamp(-1, 1) at NaN: NaN, gradient 0; inside 1; outside 0",
         {"x": t_in([NAN, 0.5, -2, 3], requires_grad=True)},
         [{"op": "clamp", "in": ["x"], "args": {"min": -1.0, "max": 1.0}, "out": "y"},
          {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("clamp_min_at_nan_and_inf", g7, "clamp(min=0) at NaN, -inf, inf",
         {"x": t_in([NAN, -INF, INF, 0], requires_grad=True)},
         [{"op": "clamp", "in": ["x"], "args": {"min": 0.0, "max": INF}, "out": "y"},
          {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("pow_half_at_minus_inf", g7, "x ** 0.5 at -inf, 4, inf, -0.0: [nan, 2, inf, -0.0], gradient [nan, 0.25, 0, -inf]",
         {"x": t_in([-INF, 4, INF, -0.0], requires_grad=True)},
         [{"op": "pow_s", "in": ["x"], "args": {"p": 0.5}, "out": "y"},
          {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("pow_scalars_at_inf_and_zero", g7, "x ** 2, x ** -1, x ** 0 at ±inf, ±0 and NaN (values and gradients)",
         {"x": t_in([-INF, INF, 0.0, -0.0, NAN, 2], requires_grad=True)},
         [{"op": "pow_s", "in": ["x"], "args": {"p": 2}, "out": "a"},
          {"op": "pow_s", "in": ["x"], "args": {"p": -1}, "out": "b"},
          {"op": "pow_s", "in": ["x"], "args": {"p": 0}, "out": "c"},
          {"op": "add", "in": ["a", "b"], "out": "ab"}, {"op": "add", "in": ["ab", "c"], "out": "y"},
          {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("unary_ops_at_inf", g7, "exp, tanh, sigmoid, log, sqrt at ±inf and ±0, each summed and differentiated",
         {"x": t_in([-INF, INF, 0.0, -0.0], dtype="float64", requires_grad=True)},
         [{"op": "exp", "in": ["x"], "out": "e"}, {"op": "tanh", "in": ["x"], "out": "th"},
          {"op": "sigmoid", "in": ["x"], "out": "sg"}, {"op": "log", "in": ["x"], "out": "lg"},
          {"op": "sqrt", "in": ["x"], "out": "sq"},
          {"op": "sum", "in": ["th"], "out": "s1"}, {"op": "backward", "in": ["s1"]},
          {"op": "grad_of", "in": ["x"], "out": "g_tanh"},
          {"op": "sum", "in": ["sg"], "out": "s2"}, {"op": "backward", "in": ["s2"]},
          {"op": "grad_of", "in": ["x"], "out": "g_tanh_sigmoid"}])
    case("softmax_with_inf", g7, "softmax over [inf, 1, -inf] and [1, 2, 3]: PyTorch's NaN where inf - inf meets",
         {"x": t_in([INF, 1, -INF, 1, 2, 3], shape=[2, 3], requires_grad=True),
          "g": t_in([1, 0, 0, 0, 1, 0], shape=[2, 3])},
         [{"op": "softmax", "in": ["x"], "args": {"dim": 1}, "out": "y"}, {"op": "backward", "in": ["y", "g"]}])
    case("mul_zero_by_inf", g7, "0 * inf = NaN forward; gradients inf and 0 meet",
         {"a": t_in([0, 1, -0.0], requires_grad=True), "b": t_in([INF, -INF, 2], requires_grad=True)},
         [{"op": "mul", "in": ["a", "b"], "out": "y"}, {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}])

    g8 = "item 8: integer tensors"
    case("int64_true_division", g8, "int64 / int64 is true division to float32: [1, 2, 5] / [2, 2, 2] = [0.5, 1, 2.5]",
         {"a": t_in([1, 2, 5], "int64"), "b": t_in([2, 2, 2], "int64")},
         [{"op": "div", "in": ["a", "b"], "out": "y"}])
    case("int64_division_by_zero", g8, "[1, 0, -1] / [0, 0, 0] (int64) = [inf, nan, -inf] (float32)",
         {"a": t_in([1, 0, -1], "int64"), "b": t_in([0, 0, 0], "int64")},
         [{"op": "div", "in": ["a", "b"], "out": "y"}])
    case("int64_divided_by_python_int", g8, "int64 tensor / 2 is float32 true division",
         {"a": t_in([1, 2, 5, -3], "int64")},
         [{"op": "div_s", "in": ["a"], "args": {"s": 2}, "out": "y"}])
    case("int64_sum_exact", g8, "int64 sum of [2^53 + 1, 0] = 2^53 + 1 exactly (not through a double)",
         {"a": t_in([2 ** 53 + 1, 0], "int64")},
         [{"op": "sum", "in": ["a"], "out": "y"}])
    case("int64_sum_dim_exact", g8, "int64 sum over dim 0, keepdim, of [[2^53 + 1, 2^62], [2, 3]]: [[2^53 + 3, 2^62 + 3]] exactly",
         {"a": t_in([2 ** 53 + 1, 2 ** 62, 2, 3], "int64", shape=[2, 2])},
         [{"op": "sum", "in": ["a"], "args": {"dims": [0], "keepdim": True}, "out": "y"}])
    case("int64_mean_refused", g8, "mean of an int64 tensor: PyTorch refuses",
         {"a": t_in([1, 2, 3], "int64")},
         [{"op": "mean", "in": ["a"], "out": "y"}], match_message=True)
    case("int64_plus_python_int_stays_int64", g8, "int64 tensor + 2 stays int64 (only a float scalar makes float32)",
         {"a": t_in([1, 2, 2 ** 53 + 1], "int64")},
         [{"op": "add_s", "in": ["a"], "args": {"s": 2}, "out": "y"}, {"op": "mul_s", "in": ["a"], "args": {"s": 3}, "out": "z"}])

    g11 = "item 11: 0-dim tensors"
    zero = {"x": t_in([3.0], shape=[])}
    case("scalar_select_refused", g11, "torch.tensor(3.).select(0, 0) is refused", zero,
         [{"op": "select", "in": ["x"], "args": {"dim": 0, "index": 0}, "out": "y"}], match_message=True)
    case("scalar_slice_refused", g11, "torch.tensor(3.)[0:1] is refused", zero,
         [{"op": "slice", "in": ["x"], "args": {"dim": 0, "start": 0, "end": 1, "step": 1}, "out": "y"}], match_message=True)
    case("scalar_gather", g11, "torch.tensor(3.).gather(0, torch.tensor(0)) = tensor(3.)",
         {"x": t_in([3.0], shape=[], requires_grad=True), "i": t_in([0], "int64", shape=[])},
         [{"op": "gather", "in": ["x", "i"], "args": {"dim": 0}, "out": "y"}, {"op": "backward", "in": ["y"]}])
    case("scalar_index_select", g11, "torch.tensor(3.).index_select(0, torch.tensor([0])) = tensor(3.)",
         {"x": t_in([3.0], shape=[], requires_grad=True), "i": t_in([0], "int64")},
         [{"op": "index_select", "in": ["x", "i"], "args": {"dim": 0}, "out": "y"}, {"op": "backward", "in": ["y"]}])
    case("scalar_cat_refused", g11, "torch.cat of 0-dim tensors is refused",
         {"a": t_in([1.0], shape=[]), "b": t_in([2.0], shape=[])},
         [{"op": "cat", "in": ["a", "b"], "args": {"dim": 0}, "out": "y"}], match_message=True)
    case("scalar_max_dim", g11, "torch.tensor(3.).max(0) = (tensor(3.), tensor(0))",
         {"x": t_in([3.0], shape=[], requires_grad=True)},
         [{"op": "max_dim", "in": ["x"], "args": {"dim": 0, "keepdim": False}, "out": ["v", "i"]}, {"op": "backward", "in": ["v"]}])
    case("scalar_argmax_dim", g11, "torch.tensor(3.).argmax(0) = tensor(0)", zero,
         [{"op": "argmax", "in": ["x"], "args": {"dim": 0}, "out": "y"}])

    g13 = "item 13: refusals PyTorch makes"
    case("inplace_on_expanded_refused", g13, "zeros(1).expand(3, 2).add_(1): more than one element refers to one location",
         {"x": t_in([0.0])},
         [{"op": "expand", "in": ["x"], "args": {"sizes": [3, 2]}, "out": "e"}, {"op": "add_s_", "in": ["e"], "args": {"s": 1}, "out": "e"}],
         match_message=True)
    case("inplace_with_overlapping_input_refused", g13, "x.add_(x.t()) on a 2x2: input and output overlap",
         {"x": t_in([1, 2, 3, 4], shape=[2, 2])},
         [{"op": "t", "in": ["x"], "out": "xt"}, {"op": "add_", "in": ["x", "xt"], "out": "x"}], match_message=True)
    case("set_grad_of_other_dtype_refused", g13, "x.grad = a float64 tensor for a float32 x",
         {"x": t_in([0, 0], requires_grad=True), "g": t_in([1, 1], "float64")},
         [{"op": "set_grad", "in": ["x", "g"]}], match_message=True)
    case("where_with_float_condition_refused", g13, "torch.where(float condition, a, b) is refused",
         {"c": t_in([1, 0]), "a": t_in([1, 1]), "b": t_in([0, 0])},
         [{"op": "where", "in": ["c", "a", "b"], "out": "y"}], match_message=True)

    gops = "op table: ops added after issue 10, one case each (docs/adding-an-op.md)"
    for dt in ("float32", "float64"):
        case("silu_" + dt, gops, "F.silu(x) on negatives, zero and positives; (silu(x) * g).sum().backward()",
             {"x": t_in([-6, -3, -1, -0.5, 0, 0.5, 1, 3, 6, 20], dt, shape=[2, 5], requires_grad=True),
              "g": t_in([1, -2, 0.5, 3, 1, -1, 2, 0.25, -0.5, 1], dt, shape=[2, 5])},
             [{"op": "silu", "in": ["x"], "out": "y"}, {"op": "mul", "in": ["y", "g"], "out": "yg"},
              {"op": "sum", "in": ["yg"], "out": "s"}, {"op": "backward", "in": ["s"]}])

    higher_order_cases(case)
    anomaly_cases(case)
    inference_cases(case)
    transformer_cases(case)
    double_backward_cases(case)
    cnn_cases(case)

    for c in cases:
        c["expect"] = run_program(c)
    cases += autocast_cases()
    return cases


def autocast_cases():
    """Issue 17: bfloat16 autocast (torch.autocast("cpu", dtype=torch.bfloat16)) on the steps marked "autocast".

    PyTorch's autocast GEMMs return bfloat16; Panagrad's return float32 (the same float32 accumulation,
    not rounded once more), so a bfloat16 result is recorded as float32 (its values exactly) and each
    case carries a bfloat16 tolerance. The float64 case keeps the default (tight) tolerance: autocast
    leaves float64 alone.
    """
    cases = []
    bf16_tol = {"rtol": 2e-2, "atol": 2e-2}

    def case(name, why, inputs, steps, tolerance=bf16_tol):
        c = {"name": name, "group": "issue 17: bfloat16 autocast", "why": why, "inputs": inputs, "steps": steps, "match_message": False}
        c["expect"] = run_program(c)
        for v in list(c["expect"]["values"]) + list(c["expect"].get("grads", {}).values()):
            if isinstance(v, dict) and v.get("dtype") == "bfloat16":
                v["dtype"] = "float32"
        if tolerance:
            c["tolerance"] = tolerance
        cases.append(c)

    def vals(n, salt, scale=0.5):
        return [round(((i * 7919 + salt * 104729) % 211 - 105) / 105 * scale * 2, 4) for i in range(n)]

    ac = {"autocast": True}
    case("autocast_mm_bf16", "with autocast: y = a @ b (bf16 GEMM); (y * g).sum().backward() outside: grads in bf16 GEMMs",
         {"a": t_in(vals(18, 1), shape=[3, 6], requires_grad=True), "b": t_in(vals(24, 2), shape=[6, 4], requires_grad=True),
          "g": t_in(vals(12, 3), shape=[3, 4])},
         [dict({"op": "matmul", "in": ["a", "b"], "out": "y"}, **ac), {"op": "mul", "in": ["y", "g"], "out": "yg"},
          {"op": "sum", "in": ["yg"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("autocast_mlp_linear_relu_cross_entropy_bf16",
         "with autocast: h = relu(linear(x, w1, b1)); o = linear(h, w2, b2); loss = cross_entropy(o, t) (float32 list); loss.backward()",
         {"x": t_in(vals(24, 4, 1.0), shape=[4, 6]), "w1": t_in(vals(30, 5), shape=[5, 6], requires_grad=True),
          "b1": t_in(vals(5, 6, 0.1), requires_grad=True), "w2": t_in(vals(15, 7), shape=[3, 5], requires_grad=True),
          "b2": t_in(vals(3, 8, 0.1), requires_grad=True), "t": t_in([0, 2, 1, 2], "int64")},
         [dict({"op": "linear", "in": ["x", "w1", "b1"], "args": {"relu": True}, "out": "h"}, **ac),
          dict({"op": "linear", "in": ["h", "w2", "b2"], "out": "o"}, **ac),
          dict({"op": "cross_entropy", "in": ["o", "t"], "args": {"reduction": "mean"}, "out": "loss"}, **ac),
          {"op": "backward", "in": ["loss"]}])
    case("autocast_batched_matmul_bf16", "with autocast: y = a @ b for a [2, 3, 4], b [2, 4, 5]; (y * g).sum().backward()",
         {"a": t_in(vals(24, 9), shape=[2, 3, 4], requires_grad=True), "b": t_in(vals(40, 10), shape=[2, 4, 5], requires_grad=True),
          "g": t_in(vals(30, 11), shape=[2, 3, 5])},
         [dict({"op": "matmul", "in": ["a", "b"], "out": "y"}, **ac), {"op": "mul", "in": ["y", "g"], "out": "yg"},
          {"op": "sum", "in": ["yg"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("autocast_matmul_1d_bf16", "with autocast: torch.matmul(u, v) of two vectors is cast too (matmul is on the list)",
         {"u": t_in(vals(7, 12), requires_grad=True), "v": t_in(vals(7, 13), requires_grad=True)},
         [dict({"op": "matmul", "in": ["u", "v"], "out": "d"}, **ac), {"op": "backward", "in": ["d"]}])
    case("autocast_mse_loss_of_bf16_input_is_float32", "with autocast: F.mse_loss(bfloat16 a, float32 b) runs in float32 (the float32 list; refused without autocast)",
         {"a": t_in(vals(6, 14), "bfloat16"), "b": t_in(vals(6, 15))},
         [dict({"op": "mse_loss", "in": ["a", "b"], "args": {"reduction": "mean"}, "out": "l"}, **ac)])
    case("autocast_leaves_float64_alone", "with autocast: linear of float64 tensors stays float64 (exact)",
         {"x": t_in(vals(6, 16), "float64", shape=[2, 3], requires_grad=True), "w": t_in(vals(6, 17), "float64", shape=[2, 3], requires_grad=True)},
         [dict({"op": "linear", "in": ["x", "w"], "out": "y"}, **ac), {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}],
         tolerance=None)
    return cases


def inference_cases(case):
    """Issue 12: inference mode (steps with "inference": true run under torch.inference_mode())."""
    g = "issue 12: inference mode"
    I = {"inference": True}
    base = {"w": t_in([1, 2], requires_grad=True), "c": t_in([3, 4])}
    make_t = {"op": "mul_s", "in": ["c"], "args": {"s": 2}, "out": "t", **I}
    case("inference_tensor_saved_refused", g, "t = c * 2 under inference_mode; w * t outside (mul saves t): refused", base,
         [make_t, {"op": "mul", "in": ["w", "t"], "out": "y"}], match_message=True)
    case("inference_tensor_in_add_allowed", g, "w + t outside (add saves nothing): allowed; (w + t).sum().backward()", base,
         [make_t, {"op": "add", "in": ["w", "t"], "out": "y"}, {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("inference_tensor_inplace_outside_refused", g, "t.add_(1) outside inference_mode: refused", base,
         [make_t, {"op": "add_s_", "in": ["t"], "args": {"s": 1}, "out": "t"}], match_message=True)
    case("inference_tensor_inplace_inside_allowed", g, "t.add_(1) inside inference_mode: allowed", base,
         [make_t, {"op": "add_s_", "in": ["t"], "args": {"s": 1}, "out": "t", **I}, {"op": "mul_s", "in": ["t"], "args": {"s": 1}, "out": "u"}])
    case("inference_tensor_requires_grad_refused", g, "t.requires_grad_(True) outside inference_mode: refused", base,
         [make_t, {"op": "requires_grad_", "in": ["t"], "args": {"flag": True}}], match_message=True)
    case("inference_tensor_clone_is_normal", g, "w * t.clone() outside: a clone is a normal tensor; backward", base,
         [make_t, {"op": "clone", "in": ["t"], "out": "tc"}, {"op": "mul", "in": ["w", "tc"], "out": "y"}, {"op": "sum", "in": ["y"], "out": "s"},
          {"op": "backward", "in": ["s"]}])
    case("inference_mode_records_no_graph", g, "y = w * 2 under inference_mode: no grad_fn; y.sum().backward() refused", base,
         [{"op": "mul_s", "in": ["w"], "args": {"s": 2}, "out": "y", **I}, {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}],
         match_message=True)
    case("inference_mode_inplace_on_normal_tensor_then_saved", g,
         "y = w * c (saves c); c.add_(1) inside inference_mode bumps c's version; backward: the version error", base,
         [{"op": "mul", "in": ["w", "c"], "out": "y"}, {"op": "add_s_", "in": ["c"], "args": {"s": 1}, "out": "c", **I},
          {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}])


def anomaly_cases(case):
    """Issue 12: anomaly detection's messages (steps with "anomaly": true run under torch.autograd.detect_anomaly())."""
    g = "issue 12: anomaly detection"
    A = {"anomaly": True}
    case("anomaly_log_nan", g, "under detect_anomaly: (x.log() * 0).sum().backward() at x = [0, 2]: LogBackward0 gets 0 and returns 0/0",
         {"x": t_in([0, 2], requires_grad=True)},
         [{"op": "log", "in": ["x"], "out": "y", **A}, {"op": "mul_s", "in": ["y"], "args": {"s": 0}, "out": "z", **A},
          {"op": "sum", "in": ["z"], "out": "s", **A}, {"op": "backward", "in": ["s"], **A}], match_message=True)
    case("anomaly_sqrt_nan", g, "under detect_anomaly: (x.sqrt() * 0).sum().backward() at x = [0, 2]: SqrtBackward0 returns 0/0",
         {"x": t_in([0, 2], requires_grad=True)},
         [{"op": "sqrt", "in": ["x"], "out": "y", **A}, {"op": "mul_s", "in": ["y"], "args": {"s": 0}, "out": "z", **A},
          {"op": "sum", "in": ["z"], "out": "s", **A}, {"op": "backward", "in": ["s"], **A}], match_message=True)
    case("anomaly_nan_without_anomaly_mode", g, "the same without detect_anomaly: no error, x.grad = [nan, 0]",
         {"x": t_in([0, 2], requires_grad=True)},
         [{"op": "log", "in": ["x"], "out": "y"}, {"op": "mul_s", "in": ["y"], "args": {"s": 0}, "out": "z"},
          {"op": "sum", "in": ["z"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    case("anomaly_inplace_hint", g, "under detect_anomaly: y = x.sigmoid(); y.mul_(2); y.sum().backward(): the version error with the anomaly-mode hint",
         {"x": t_in([1, 2], requires_grad=True)},
         [{"op": "sigmoid", "in": ["x"], "out": "y", **A}, {"op": "mul_s_", "in": ["y"], "args": {"s": 2}, "out": "y", **A},
          {"op": "sum", "in": ["y"], "out": "s", **A}, {"op": "backward", "in": ["s"], **A}], match_message=True)


def higher_order_cases(case):
    """Issue 12: create_graph, autograd.grad (allow_unused, its errors), second derivatives through each backward path."""
    g = "issue 12: higher-order gradients and autograd.grad"
    d = "float64"
    x3 = {"x": t_in([2, -1.5, 0.5], d, requires_grad=True)}
    case("second_derivative_of_cube", g, "y = (x**3).sum(); gx = grad(y, x, create_graph=True) = 3x²; grad(gx.sum(), x) = 6x", x3,
         [{"op": "pow_s", "in": ["x"], "args": {"p": 3}, "out": "y3"}, {"op": "sum", "in": ["y3"], "out": "y"},
          {"op": "grad", "in": ["y", "x"], "args": {"outputs": 1, "inputs": 1, "create_graph": True}, "out": ["gx"]},
          {"op": "sum", "in": ["gx"], "out": "s"},
          {"op": "grad", "in": ["s", "x"], "args": {"outputs": 1, "inputs": 1}, "out": ["ggx"]}])
    case("backward_create_graph_then_backward_of_grad", g,
         "(x**3).sum().backward(create_graph=True); x.grad = 3x² (CopyBackwards); g = x.grad * 1; x.grad = None; g.sum().backward(): x.grad = 6x", x3,
         [{"op": "pow_s", "in": ["x"], "args": {"p": 3}, "out": "y3"}, {"op": "sum", "in": ["y3"], "out": "y"},
          {"op": "backward", "in": ["y"], "args": {"create_graph": True}},
          {"op": "grad_attr", "in": ["x"], "out": "gx"}, {"op": "mul_s", "in": ["gx"], "args": {"s": 1}, "out": "g1"},
          {"op": "clear_grad", "in": ["x"]}, {"op": "sum", "in": ["g1"], "out": "s"}, {"op": "backward", "in": ["s"]}])
    ab = {"a": t_in([1, 2], d, requires_grad=True), "b": t_in([3], d, requires_grad=True)}
    case("grad_allow_unused", g, "grad((a*a).sum(), [a, b], allow_unused=True) = (2a, None); no .grad is written", ab,
         [{"op": "mul", "in": ["a", "a"], "out": "aa"}, {"op": "sum", "in": ["aa"], "out": "y"},
          {"op": "grad", "in": ["y", "a", "b"], "args": {"outputs": 1, "inputs": 2, "allow_unused": True}, "out": ["ga", "gb"]}])
    case("grad_unused_refused", g, "grad((a*a).sum(), [a, b]) without allow_unused: PyTorch's error", ab,
         [{"op": "mul", "in": ["a", "a"], "out": "aa"}, {"op": "sum", "in": ["aa"], "out": "y"},
          {"op": "grad", "in": ["y", "a", "b"], "args": {"outputs": 1, "inputs": 2}, "out": ["ga", "gb"]}], match_message=True)
    case("grad_input_not_requiring_grad_refused", g, "grad(a.sum(), [c]) for a c without requires_grad",
         {"a": t_in([1, 2], d, requires_grad=True), "c": t_in([1, 1], d)},
         [{"op": "sum", "in": ["a"], "out": "y"},
          {"op": "grad", "in": ["y", "c"], "args": {"outputs": 1, "inputs": 1}, "out": ["gc"]}], match_message=True)
    case("grad_non_scalar_refused", g, "grad(a*2, [a]) without grad_outputs", ab,
         [{"op": "mul_s", "in": ["a"], "args": {"s": 2}, "out": "y"},
          {"op": "grad", "in": ["y", "a"], "args": {"outputs": 1, "inputs": 1}, "out": ["ga"]}], match_message=True)
    case("grad_with_grad_outputs_and_non_leaf_input", g, "h = a*2; z = h*h; grad(z, [h, a], grad_outputs=[v]) = (2h·v, 8a·v)",
         {"a": t_in([1, 2], d, requires_grad=True), "v": t_in([0.5, -1], d)},
         [{"op": "mul_s", "in": ["a"], "args": {"s": 2}, "out": "h"}, {"op": "mul", "in": ["h", "h"], "out": "z"},
          {"op": "grad", "in": ["z", "h", "a", "v"], "args": {"outputs": 1, "inputs": 2}, "out": ["gh", "ga"]}])
    case("grad_fires_retain_grad", g, "h = a*2; h.retain_grad(); grad((h*3).sum(), [a]): h.grad = [3, 3] (torch 1.13), a.grad None", ab,
         [{"op": "mul_s", "in": ["a"], "args": {"s": 2}, "out": "h"}, {"op": "retain_grad", "in": ["h"]},
          {"op": "mul_s", "in": ["h"], "args": {"s": 3}, "out": "h3"}, {"op": "sum", "in": ["h3"], "out": "y"},
          {"op": "grad", "in": ["y", "a"], "args": {"outputs": 1, "inputs": 1}, "out": ["ga"]}])

    # second derivatives through every backward path that had a raw fast path: grad with create_graph, then
    # the gradient's weighted sum differentiated again (a Hessian-vector product with v)
    def hvp(name, why, inputs, forward, wrt, v_shapes):
        steps = list(forward)
        gnames = ["g_" + w for w in wrt]
        steps.append({"op": "grad", "in": ["out"] + wrt, "args": {"outputs": 1, "inputs": len(wrt), "create_graph": True}, "out": gnames})
        acc = None
        for gname, w in zip(gnames, wrt):
            steps += [{"op": "mul", "in": [gname, "v_" + w], "out": "gv_" + w}, {"op": "sum", "in": ["gv_" + w], "out": "s_" + w}]
            if acc is None:
                acc = "s_" + w
            else:
                steps.append({"op": "add", "in": [acc, "s_" + w], "out": acc + "_"})
                acc = acc + "_"
        steps.append({"op": "backward", "in": [acc]})
        ins = dict(inputs)
        for w, shape in zip(wrt, v_shapes):
            n = int(np.prod(shape))
            ins["v_" + w] = t_in([round(math.sin(i + 1) * 1.5, 3) for i in range(n)], d, shape=shape)
        case("second_derivative_" + name, g, why, ins, steps)

    xs = {"x": t_in([0.3, -1.2, 0.8, 2.0, -0.4, 1.1], d, shape=[2, 3], requires_grad=True)}
    hvp("cross_entropy", "fused cross-entropy: grad of logits with create_graph, then (g·v).sum().backward()",
        {**xs, "t": t_in([2, 0], "int64")}, [{"op": "cross_entropy", "in": ["x", "t"], "args": {"reduction": "mean"}, "out": "out"}], ["x"], [[2, 3]])
    hvp("max_dim", "x.max(1).values ** 2 summed: MaxBackward0's scatter, recorded", xs,
        [{"op": "max_dim", "in": ["x"], "args": {"dim": 1, "keepdim": False}, "out": ["m", "mi"]},
         {"op": "pow_s", "in": ["m"], "args": {"p": 2}, "out": "m2"}, {"op": "sum", "in": ["m2"], "out": "out"}], ["x"], [[2, 3]])
    hvp("gather", "gather(x, 1, idx) ** 3 summed: GatherBackward0's scatter-add, recorded",
        {**xs, "i": t_in([2, 0, 2, 1, 1, 0], "int64", shape=[2, 3])},
        [{"op": "gather", "in": ["x", "i"], "args": {"dim": 1}, "out": "y"},
         {"op": "pow_s", "in": ["y"], "args": {"p": 3}, "out": "y3"}, {"op": "sum", "in": ["y3"], "out": "out"}], ["x"], [[2, 3]])
    hvp("index_select", "index_select(x, 1, [2, 0, 2]) ** 3 summed: the index-add, recorded",
        {**xs, "i": t_in([2, 0, 2], "int64")},
        [{"op": "index_select", "in": ["x", "i"], "args": {"dim": 1}, "out": "y"},
         {"op": "pow_s", "in": ["y"], "args": {"p": 3}, "out": "y3"}, {"op": "sum", "in": ["y3"], "out": "out"}], ["x"], [[2, 3]])
    hvp("slice_and_select", "x[:, 1:] ** 2 summed plus x[0] ** 3 summed: slice and select backward, recorded", xs,
        [{"op": "index", "in": ["x"], "args": {"spec": ":, 1:"}, "out": "a"}, {"op": "pow_s", "in": ["a"], "args": {"p": 2}, "out": "a2"},
         {"op": "select", "in": ["x"], "args": {"dim": 0, "index": 0}, "out": "b"}, {"op": "pow_s", "in": ["b"], "args": {"p": 3}, "out": "b3"},
         {"op": "sum", "in": ["a2"], "out": "sa"}, {"op": "sum", "in": ["b3"], "out": "sb"}, {"op": "add", "in": ["sa", "sb"], "out": "out"}], ["x"], [[2, 3]])
    hvp("view_inplace_copyslices", "y = x*1; y[0].mul_(x[1]); (y ** 2).sum(): CopySlices and AsStridedBackward0, recorded", xs,
        [{"op": "mul_s", "in": ["x"], "args": {"s": 1}, "out": "y"}, {"op": "select", "in": ["y"], "args": {"dim": 0, "index": 0}, "out": "y0"},
         {"op": "select", "in": ["x"], "args": {"dim": 0, "index": 1}, "out": "x1"}, {"op": "mul_", "in": ["y0", "x1"], "out": "y0"},
         {"op": "pow_s", "in": ["y"], "args": {"p": 2}, "out": "y2"}, {"op": "sum", "in": ["y2"], "out": "out"}], ["x"], [[2, 3]])
    hvp("expanded_view_then_base_inplace", "e = y.expand(2, 2, 3) of y = x*1; y.mul_(x); (e ** 2).sum(): e's grad_fn rebuilt (AsStridedBackward0)", xs,
        [{"op": "mul_s", "in": ["x"], "args": {"s": 1}, "out": "y"}, {"op": "unsqueeze", "in": ["y"], "args": {"dim": 0}, "out": "yu"},
         {"op": "expand", "in": ["yu"], "args": {"sizes": [2, 2, 3]}, "out": "e"}, {"op": "mul_", "in": ["y", "x"], "out": "y"},
         {"op": "pow_s", "in": ["e"], "args": {"p": 2}, "out": "e2"}, {"op": "sum", "in": ["e2"], "out": "out"}], ["x"], [[2, 3]])
    hvp("linear_relu", "relu(linear(x, w, b)) ** 2 summed, w and x both differentiated: the fused linear's weight GEMM is skipped",
        {**xs, "w": t_in([0.5, -0.3, 0.8, 0.2, 0.9, -0.6, -0.7, 0.4, 0.1, 0.3, 0.2, 0.5], d, shape=[4, 3], requires_grad=True),
         "b": t_in([0.1, -0.2, 0.3, 0.05], d, requires_grad=True)},
        [{"op": "linear", "in": ["x", "w", "b"], "args": {"relu": True}, "out": "h"}, {"op": "pow_s", "in": ["h"], "args": {"p": 2}, "out": "h2"},
         {"op": "sum", "in": ["h2"], "out": "out"}], ["x", "w"], [[2, 3], [4, 3]])
    hvp("softmax_log_softmax", "softmax(x, 1) * log_softmax(x, 0) summed", xs,
        [{"op": "softmax", "in": ["x"], "args": {"dim": 1}, "out": "p"}, {"op": "log_softmax", "in": ["x"], "args": {"dim": 0}, "out": "q"},
         {"op": "mul", "in": ["p", "q"], "out": "pq"}, {"op": "sum", "in": ["pq"], "out": "out"}], ["x"], [[2, 3]])

    go = "op table: scatter_add and index_add (the differentiable adjoints of gather and index_select)"
    src = {"x": t_in([1, 2, 3, 4, 5, 6], d, shape=[2, 3], requires_grad=True),
           "s": t_in([0.5, -1, 2, 0.25, 3, -2], d, shape=[2, 3], requires_grad=True),
           "w": t_in([1, -2, 0.5, 3, 1, -1], d, shape=[2, 3])}
    case("scatter_add_float64", go, "torch.scatter_add(x, 1, idx, s) with a repeated index; (out * w).sum().backward()",
         {**src, "i": t_in([2, 0, 2, 1, 1, 0], "int64", shape=[2, 3])},
         [{"op": "scatter_add", "in": ["x", "i", "s"], "args": {"dim": 1}, "out": "y"}, {"op": "mul", "in": ["y", "w"], "out": "yw"},
          {"op": "sum", "in": ["yw"], "out": "l"}, {"op": "backward", "in": ["l"]}])
    case("index_add_float64", go, "torch.index_add(x, 1, [2, 0, 2], s) with a repeated index; (out * w).sum().backward()",
         {**src, "i": t_in([2, 0, 2], "int64")},
         [{"op": "index_add", "in": ["x", "i", "s"], "args": {"dim": 1}, "out": "y"}, {"op": "mul", "in": ["y", "w"], "out": "yw"},
          {"op": "sum", "in": ["yw"], "out": "l"}, {"op": "backward", "in": ["l"]}])


def _fixed(shape, salt, scale=1.0):
    """Deterministic float64 values in [-scale, scale): sin of the index, rounded to 4 digits (exact in JSON)."""
    n = int(np.prod(shape))
    return torch.tensor([round(math.sin(i * 1.7 + salt) * scale, 4) for i in range(n)], dtype=torch.float64).reshape(shape)


def _tensors(named):
    return {k: tensor_json(v) for k, v in named.items()}


def higher_order_training():
    """Issue 12: the Hessian-vector product of a small MLP and a WGAN-GP-style gradient penalty trained with Adam.

    Replayed by HigherOrderGradientsTest (float64 throughout; the Java side builds the same tensors from these values).
    """
    torch.manual_seed(0)
    # Hessian-vector product: MLP 3-5-2, fused linear + relu, cross-entropy; H·v for v over all four parameters
    x = _fixed([4, 3], 1); t = torch.tensor([1, 0, 1, 1])
    p = {"w1": _fixed([5, 3], 2, 0.8), "b1": _fixed([5], 3, 0.2), "w2": _fixed([2, 5], 4, 0.8), "b2": _fixed([2], 5, 0.2)}
    v = {k: _fixed(list(val.shape), 10 + i) for i, (k, val) in enumerate(p.items())}
    ps = {k: val.clone().requires_grad_(True) for k, val in p.items()}
    loss = F.cross_entropy(F.linear(F.relu(F.linear(x, ps["w1"], ps["b1"])), ps["w2"], ps["b2"]), t)
    grads = torch.autograd.grad(loss, list(ps.values()), create_graph=True)
    dot = sum((g * v[k]).sum() for g, k in zip(grads, ps))
    hv = torch.autograd.grad(dot, list(ps.values()))
    hvp = {"why": "loss = cross_entropy(linear(relu(linear(x, w1, b1)), w2, b2), t); g = grad(loss, params, create_graph=True); "
                  "Hv = grad(sum(g·v), params)",
           "inputs": _tensors({"x": x, **p, **{"v_" + k: val for k, val in v.items()}}), "target": [int(i) for i in t],
           "loss": float(loss), "grads": _tensors(dict(zip(ps, grads))), "hv": _tensors(dict(zip(ps, hv)))}

    # gradient penalty: critic D = linear(tanh(linear(x, w1, b1)), w2, b2), 2-8-1; 5 Adam steps (lr 0.01) on
    # D(fake).mean() - D(real).mean() + 10 * ((|dD/dx̂| - 1)²).mean(), x̂ = a·real + (1 - a)·fake
    real = _fixed([6, 2], 20); fake = _fixed([6, 2], 21, 1.5); a = (_fixed([6, 1], 22) + 1) / 2
    q = {"w1": _fixed([8, 2], 23, 0.7), "b1": _fixed([8], 24, 0.1), "w2": _fixed([1, 8], 25, 0.7), "b2": _fixed([1], 26, 0.1)}
    qs = {k: val.clone().requires_grad_(True) for k, val in q.items()}
    opt = torch.optim.Adam(list(qs.values()), lr=0.01)

    def critic(z):
        return F.linear(torch.tanh(F.linear(z, qs["w1"], qs["b1"])), qs["w2"], qs["b2"])

    losses, penalties = [], []
    for _ in range(5):
        opt.zero_grad()
        xh = (a * real + (1 - a) * fake).requires_grad_(True)
        gx, = torch.autograd.grad(critic(xh).sum(), xh, create_graph=True)
        gp = ((gx.pow(2).sum(1).sqrt() - 1) ** 2).mean()
        loss = critic(fake).mean() - critic(real).mean() + 10 * gp
        loss.backward()
        opt.step()
        losses.append(float(loss)); penalties.append(float(gp))
    wgan = {"why": "WGAN-GP critic step x5: gp = ((grad(D(x̂).sum(), x̂, create_graph=True).pow(2).sum(1).sqrt() - 1) ** 2).mean(); "
                   "loss = D(fake).mean() - D(real).mean() + 10 gp; Adam(lr=0.01)",
            "inputs": _tensors({"real": real, "fake": fake, "a": a, **q}), "losses": losses, "penalties": penalties,
            "params_after": _tensors({k: val.detach() for k, val in qs.items()})}
    return {"torch_version": torch.__version__, "hvp_mlp": hvp, "gradient_penalty": wgan}


def saved_tensor_hook_cases():
    """Issue 12: torch.autograd.graph.saved_tensors_hooks, and bfloat16-packed activations of an MLP (SavedTensorHooksTest)."""
    def vals(t):
        return [float(v) for v in t.detach().reshape(-1).tolist()]

    out = {}
    log = []

    def pack(t):
        log.append(["pack", vals(t)])
        return t * 1

    def unpack(p):
        log.append(["unpack", vals(p)])
        return p * 2

    x = torch.tensor([1., 2.], requires_grad=True); w = torch.tensor([3., 4.], requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = x * w
        z = y.exp()
    (z * 1).sum().backward()
    out["pack_unpack"] = {"why": "pack = log, t*1; unpack = log, p*2; inside: y = x*w, z = y.exp(); outside: (z*1).sum().backward()",
                          "log": log, "x_grad": vals(x.grad), "w_grad": vals(w.grad)}
    log = []
    x = torch.tensor([1., 2.], requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = x.sigmoid()
    y.mul_(2)
    y.sum().backward()
    out["inplace_after_pack"] = {"why": "y = x.sigmoid() saved through the hooks (a copy), then y.mul_(2): no version error, the copy is used",
                                 "log": log, "x_grad": vals(x.grad)}

    # an MLP step's gradients with float32 activations saved as bfloat16 (SavedTensorHooks.bfloat16Activations)
    xb = _fixed([64, 64], 40); t = torch.tensor([(i * 7) % 10 for i in range(64)])
    p = {"w1": _fixed([64, 64], 41, 0.1), "b1": _fixed([64], 42, 0.1), "w2": _fixed([10, 64], 43, 0.1), "b2": _fixed([10], 44, 0.1)}
    pf = {k: v.float().requires_grad_(True) for k, v in p.items()}
    ptrs = {v.data_ptr() for v in pf.values()}

    def bpack(tt):
        if tt.dtype == torch.float32 and tt.is_contiguous() and tt.numel() >= 4096 and tt.data_ptr() not in ptrs:
            return ("bf16", tt.bfloat16())
        return ("same", tt)

    def bunpack(pp):
        return pp[1].float() if pp[0] == "bf16" else pp[1]

    def step(hooked):
        for v in pf.values():
            v.grad = None
        ctx = torch.autograd.graph.saved_tensors_hooks(bpack, bunpack) if hooked else contextlib.nullcontext()
        with ctx:
            loss = F.cross_entropy(F.linear(F.relu(F.linear(xb.float(), pf["w1"], pf["b1"])), pf["w2"], pf["b2"]), t)
        loss.backward()
        return float(loss), {k: tensor_json(v.grad) for k, v in pf.items()}

    plain_loss, plain = step(False)
    loss, grads = step(True)
    out["bfloat16_mlp"] = {"why": "MLP 64-64-10 float32, batch 64, fused linear + relu, cross-entropy; saved float32 tensors of >= 4096 "
                                  "elements that are not parameters (the input and the hidden activation) packed as .bfloat16() and unpacked .float()",
                           "inputs": _tensors({"x": xb, **p}), "target": [int(i) for i in t], "loss": loss,
                           "grads": grads, "w1_grad_without_hooks": plain["w1"], "loss_without_hooks": plain_loss}
    return out


def hook_cases():
    """Issue 12: tensor hooks (order, modified gradients, removal, retain_grad) and module hooks, with what each hook saw.

    Replayed by HooksTest, which runs the same snippets in Java (each quoted there). Logs: [hook name, gradient] in call order.
    """
    def vals(t):
        return None if t is None else [float(v) for v in t.detach().reshape(-1).tolist()]

    out = {}
    log = []
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: log.append(["y1", vals(g)]) or g * 2)
    y.retain_grad()
    y.register_hook(lambda g: log.append(["y2", vals(g)]) or g + 1)
    x.register_hook(lambda g: log.append(["x1", vals(g)]) or g * 10)
    h = x.register_hook(lambda g: log.append(["x2", vals(g)]))
    (y * y).sum().backward()
    out["order_and_modified"] = {"why": "y = x*3; y hooks g*2, retain_grad, g+1; x hooks g*10, log; (y*y).sum().backward()",
                                 "log": log, "x_grad": vals(x.grad), "y_grad": vals(y.grad)}
    log = []
    h.remove(); x.grad = None
    (x * 3 * x).sum().backward()
    out["after_remove"] = {"why": "the same x after removing its second hook; x.grad = None; (x*3*x).sum().backward()", "log": log, "x_grad": vals(x.grad)}
    log = []
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: log.append(["y", vals(g)]) or g * 2)
    y.sum().backward()
    out["retain_grad_before_hook"] = {"why": "y.retain_grad() then y.register_hook(g*2): y.grad is the unmodified gradient",
                                      "log": log, "x_grad": vals(x.grad), "y_grad": vals(y.grad)}
    log = []
    a = torch.tensor([1., 2.], requires_grad=True)
    a.register_hook(lambda g: log.append(["a", vals(g)]) or g * 100)
    b = a * 2
    b.register_hook(lambda g: log.append(["b", vals(g)]) or g * 5)
    ga, gb = torch.autograd.grad((b * b).sum(), [a, b])
    out["autograd_grad"] = {"why": "a hook g*100 on leaf a, b = a*2 hook g*5; grad((b*b).sum(), [a, b]): captures are taken before hooks, a leaf's hook does not run",
                            "log": log, "ga": vals(ga), "gb": vals(gb)}
    msgs = {}
    try:
        torch.ones(2).register_hook(lambda g: g)
    except RuntimeError as e:
        msgs["no_grad"] = str(e)
    c = torch.tensor([1., 2.], requires_grad=True)
    c.register_hook(lambda g: torch.ones(3))
    try:
        (c * 2).sum().backward()
    except RuntimeError as e:
        msgs["size"] = str(e)
    c = torch.tensor([1., 2.], requires_grad=True)
    c.register_hook(lambda g: g.double())
    try:
        (c * 2).sum().backward()
    except RuntimeError as e:
        msgs["type"] = str(e)
    out["messages"] = msgs

    # module hooks on Sequential(Linear(3, 2), ReLU(), Linear(2, 1)), float64
    torch.manual_seed(0)
    w1 = _fixed([2, 3], 30, 0.8); b1 = _fixed([2], 31, 0.3); w2 = _fixed([1, 2], 32, 0.8); b2 = _fixed([1], 33, 0.3)
    xin = _fixed([4, 3], 34)
    m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1)).double()
    with torch.no_grad():
        m[0].weight.copy_(w1); m[0].bias.copy_(b1); m[2].weight.copy_(w2); m[2].bias.copy_(b2)
    log = []
    m[0].register_forward_pre_hook(lambda mod, inp: log.append(["pre0", vals(inp[0])]) or (inp[0] * 2,))
    m[0].register_forward_hook(lambda mod, inp, o: log.append(["fwd0", vals(o)]) or o + 1)
    m[2].register_full_backward_hook(lambda mod, gi, go: log.append(["bwd2_in", vals(gi[0])]) or log.append(["bwd2_out", vals(go[0])]) or (gi[0] * 0.5,))
    m[0].register_full_backward_hook(lambda mod, gi, go: log.append(["bwd0_in", vals(gi[0])]) or log.append(["bwd0_out", vals(go[0])]))
    xr = xin.clone().requires_grad_(True)
    y = m(xr)
    y.sum().backward()
    out["module_hooks"] = {"why": "Sequential(Linear(3,2), ReLU(), Linear(2,1)) float64; layer 0: forward pre-hook x*2, forward hook out+1, "
                                  "full backward hook (log); layer 2: full backward hook grad_input*0.5; y = m(x); y.sum().backward()",
                           "inputs": _tensors({"w1": w1, "b1": b1, "w2": w2, "b2": b2, "x": xin}), "output": vals(y), "log": log,
                           "grads": {"w1": vals(m[0].weight.grad), "b1": vals(m[0].bias.grad), "w2": vals(m[2].weight.grad),
                                     "b2": vals(m[2].bias.grad), "x": vals(xr.grad)},
                           "grad_fn": type(y.grad_fn).__name__}
    return out
def transformer_cases(case):
    """Issue 14: embedding, x[idx], index_put, gelu, layer_norm, the attention softmax, sdpa and bmm; each weighted by g, summed, backward."""
    gt = "issue 14: transformer parts"

    def weighted(op, ins, args, shape, dt, salt):
        n = 1
        for d in shape:
            n *= d
        g = [((i * 7 + salt) % 11 - 5) / 4 for i in range(n)]
        return g, [{"op": op, "in": ins, "args": args, "out": "y"}, {"op": "mul", "in": ["y", "g"], "out": "yg"},
                   {"op": "sum", "in": ["yg"], "out": "s"}, {"op": "backward", "in": ["s"]}]

    def vals(n, salt, scale=1.0):
        return [(((i * 37 + salt * 11) % 23) - 11) / 8 * scale for i in range(n)]

    for dt in ("float32", "float64"):
        idx = [0, 2, 2, 4, 1, 2]
        g, steps = weighted("embedding", ["i", "w"], {"padding_idx": 1}, [2, 3, 3], dt, 1)
        case("embedding_padding_repeats_" + dt, gt, "F.embedding(i, w, padding_idx=1), rows repeat (2 three times), the padding row gets no gradient",
             {"i": t_in(idx, "int64", shape=[2, 3]), "w": t_in(vals(15, 1), dt, shape=[5, 3], requires_grad=True), "g": t_in(g, dt, shape=[2, 3, 3])}, steps)
        g, steps = weighted("index_t", ["x", "i"], {}, [2, 2, 3], dt, 2)
        case("index_long_tensor_negative_" + dt, gt, "x[i] with i = [[3, -1], [0, 3]] (negative wraps, repeats add up)",
             {"x": t_in(vals(12, 2), dt, shape=[4, 3], requires_grad=True), "i": t_in([3, -1, 0, 3], "int64", shape=[2, 2]), "g": t_in(g, dt, shape=[2, 2, 3])}, steps)
        for acc in (False, True):
            g, steps = weighted("index_put", ["x", "i", "v"], {"accumulate": acc}, [4, 3], dt, 3)
            case("index_put_" + ("accumulate_" if acc else "") + dt, gt, "torch.index_put(x, (i,), v, accumulate=%s), i = [-1, 1], v [3] broadcast" % acc,
                 {"x": t_in(vals(12, 3), dt, shape=[4, 3], requires_grad=True), "i": t_in([-1, 1], "int64"),
                  "v": t_in([0.5, -1.5, 2], dt, requires_grad=True), "g": t_in(g, dt, shape=[4, 3])}, steps)
        g, steps = weighted("gelu", ["x"], {}, [2, 6], dt, 4)
        case("gelu_" + dt, gt, "F.gelu(x) (erf form) on [-6, 6]",
             {"x": t_in([-6, -3, -2.5, -1, -0.5, -1e-3, 0, 0.3, 1, 2.6, 3, 6], dt, shape=[2, 6], requires_grad=True), "g": t_in(g, dt, shape=[2, 6])}, steps)
        g, steps = weighted("layer_norm", ["x", "w", "b"], {"shape": [4], "eps": 1e-5}, [3, 2, 4], dt, 5)
        case("layer_norm_affine_" + dt, gt, "F.layer_norm(x [3,2,4], [4], w, b, 1e-5)",
             {"x": t_in(vals(24, 5, 2.0), dt, shape=[3, 2, 4], requires_grad=True), "w": t_in(vals(4, 6), dt, requires_grad=True),
              "b": t_in(vals(4, 7), dt, requires_grad=True), "g": t_in(g, dt, shape=[3, 2, 4])}, steps)
        g, steps = weighted("layer_norm", ["x"], {"shape": [2, 3], "eps": 1e-3}, [2, 2, 3], dt, 6)
        case("layer_norm_no_affine_" + dt, gt, "F.layer_norm(x [2,2,3], [2,3], eps=1e-3)",
             {"x": t_in(vals(12, 8), dt, shape=[2, 2, 3], requires_grad=True), "g": t_in(g, dt, shape=[2, 2, 3])}, steps)
        g, steps = weighted("attention_softmax", ["x"], {"scale": 0.5, "causal": True}, [2, 3, 3], dt, 7)
        case("attention_softmax_causal_" + dt, gt, "softmax((x*0.5).masked_fill(above the diagonal, -inf), -1)",
             {"x": t_in(vals(18, 9, 3.0), dt, shape=[2, 3, 3], requires_grad=True), "g": t_in(g, dt, shape=[2, 3, 3])}, steps)
        g, steps = weighted("attention_softmax", ["x", "m"], {"scale": 2.0, "causal": False}, [2, 2, 3], dt, 8)
        case("attention_softmax_mask_" + dt, gt, "softmax((x*2).masked_fill(~m, -inf), -1), m [2, 3] broadcast over the batch",
             {"x": t_in(vals(12, 10), dt, shape=[2, 2, 3], requires_grad=True), "m": t_in([1, 0, 1, 1, 1, 0], "bool", shape=[2, 3]),
              "g": t_in(g, dt, shape=[2, 2, 3])}, steps)
        g, steps = weighted("sdpa", ["q", "k", "v"], {"causal": True}, [2, 2, 3, 4], dt, 9)
        case("sdpa_causal_" + dt, gt, "softmax(q@k^T/sqrt(d), causal)@v over [batch 2, heads 2, L 3, d 4]",
             {"q": t_in(vals(48, 11), dt, shape=[2, 2, 3, 4], requires_grad=True), "k": t_in(vals(48, 12), dt, shape=[2, 2, 3, 4], requires_grad=True),
              "v": t_in(vals(48, 13), dt, shape=[2, 2, 3, 4], requires_grad=True), "g": t_in(g, dt, shape=[2, 2, 3, 4])}, steps)
        g, steps = weighted("bmm", ["a", "b"], {}, [3, 2, 4], dt, 10)
        case("bmm_" + dt, gt, "torch.bmm(a [3,2,5], b [3,5,4])",
             {"a": t_in(vals(30, 14), dt, shape=[3, 2, 5], requires_grad=True), "b": t_in(vals(60, 15), dt, shape=[3, 5, 4], requires_grad=True),
              "g": t_in(g, dt, shape=[3, 2, 4])}, steps)
    case("embedding_index_out_of_range", gt, "F.embedding with index 5 of 5 rows: IndexError",
         {"i": t_in([0, 5], "int64"), "w": t_in(vals(10, 1), shape=[5, 2], requires_grad=True)},
         [{"op": "embedding", "in": ["i", "w"], "out": "y"}], match_message=True)
    case("embedding_negative_index", gt, "F.embedding with index -1: IndexError (no wrapping)",
         {"i": t_in([-1], "int64"), "w": t_in(vals(10, 1), shape=[5, 2], requires_grad=True)},
         [{"op": "embedding", "in": ["i", "w"], "out": "y"}], match_message=True)
    case("index_long_tensor_out_of_range", gt, "x[i] with i = 4 for 4 rows: IndexError",
         {"x": t_in(vals(8, 1), shape=[4, 2]), "i": t_in([1, -5], "int64")},
         [{"op": "index_t", "in": ["x", "i"], "out": "y"}], match_message=True)
    case("layer_norm_wrong_shape", gt, "F.layer_norm(x [2,3], [4])",
         {"x": t_in(vals(6, 1), shape=[2, 3])},
         [{"op": "layer_norm", "in": ["x"], "args": {"shape": [4], "eps": 1e-5}, "out": "y"}], match_message=True)


def cnn_cases(case):
    """Issue 13: convolution, pooling, batch norm, dropout, leaky relu; float32 and float64; errors as PyTorch words them."""
    gc = "issue 13: convolutional networks (ops Convolution, Pooling, Normalization, Activations)"

    def vals(shape, salt, dt, scale=1.0):
        n = int(np.prod(shape))
        # k/32 steps in [-2, 2): exact in float32 and float64, deterministic, no ties unless asked for
        return t_in([scale * ((((i + 1) * 7919 + salt * 104729) % 127) - 63) / 32 for i in range(n)], dt, shape=list(shape))

    def weighted(y, shape, salt, dt, inputs):
        inputs["g" + y] = vals(shape, salt, dt)
        return [{"op": "mul", "in": [y, "g" + y], "out": y + "g"}, {"op": "sum", "in": [y + "g"], "out": "s" + y}]

    def conv_case(name, dt, xs, ws, bias, args, permuted=False, op="conv2d"):
        inputs = {"x": vals(xs, 1, dt), "w": vals(ws, 2, dt, 0.5)}
        inputs["x"]["requires_grad"] = True
        inputs["w"]["requires_grad"] = True
        steps, x = [], "x"
        if permuted:   # a non-contiguous leaf: x stored as [N, H, W, C] (channels last), permuted to [N, C, H, W]
            n, c, h, w = xs
            inputs["x"] = vals([n, h, w, c], 1, dt)
            steps += [{"op": "permute", "in": ["x"], "args": {"dims": [0, 3, 1, 2]}, "out": "xp"}, {"op": "leaf_of", "in": ["xp"], "out": "xl"}]
            x = "xl"
        ins = [x, "w"]
        if bias:
            inputs["b"] = vals([ws[0]], 3, dt)
            inputs["b"]["requires_grad"] = True
            ins.append("b")
        ref = getattr(F, op)(tensor_of(inputs["x"]).permute(0, 3, 1, 2) if permuted else tensor_of(inputs["x"]), tensor_of(inputs["w"]),
                             None, args["stride"], args["padding"], args["dilation"], args["groups"])
        steps.append({"op": op, "in": ins, "args": args, "out": "y"})
        steps += weighted("y", list(ref.shape), 4, dt, inputs)
        steps.append({"op": "backward", "in": ["sy"]})
        case(name + "_" + dt, gc, f"{op}{tuple(xs)} * weight{tuple(ws)} {args}, bias={bias}{', x a permuted (channels-last) leaf' if permuted else ''}; (y * g).sum().backward()",
             inputs, steps)

    def one(op, args):
        return {"stride": args.get("stride", [1, 1]), "padding": args.get("padding", [0, 0]), "dilation": args.get("dilation", [1, 1]), "groups": args.get("groups", 1)}

    for dt in ("float32", "float64"):
        conv_case("conv2d_3x3_pad1_bias", dt, [2, 3, 5, 5], [4, 3, 3, 3], True, one("conv2d", {"padding": [1, 1]}))
        conv_case("conv2d_stride2_dilation2_nonsquare", dt, [1, 2, 7, 8], [3, 2, 2, 3], False, one("conv2d", {"stride": [2, 1], "padding": [1, 2], "dilation": [2, 2]}))
        conv_case("conv2d_groups2_permuted_input", dt, [2, 4, 5, 4], [6, 2, 3, 2], True, one("conv2d", {"stride": [1, 2], "groups": 2}), permuted=True)
        conv_case("conv2d_1x1_batch1", dt, [1, 3, 4, 4], [5, 3, 1, 1], True, one("conv2d", {}))
        conv_case("conv1d_stride2_pad1", dt, [2, 3, 9], [4, 3, 3], True, {"stride": 2, "padding": 1, "dilation": 1, "groups": 1}, op="conv1d")

        for name, op, args, shape in (
                ("max_pool2d_2x2", "max_pool2d", {"kernel": [2, 2], "stride": [], "padding": [0, 0], "dilation": [1, 1]}, [2, 3, 6, 6]),
                ("max_pool2d_3x2_stride_pad_dilation", "max_pool2d", {"kernel": [3, 2], "stride": [2, 1], "padding": [1, 1], "dilation": [1, 2]}, [1, 2, 7, 6]),
                ("avg_pool2d_3x3_stride2_pad1", "avg_pool2d", {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]}, [2, 2, 7, 6]),
                ("avg_pool2d_2x2", "avg_pool2d", {"kernel": [2, 2], "stride": [], "padding": [0, 0]}, [1, 3, 4, 6]),
                ("adaptive_avg_pool2d_3x2", "adaptive_avg_pool2d", {"size": [3, 2]}, [2, 2, 7, 5]),
                ("adaptive_avg_pool2d_1x1", "adaptive_avg_pool2d", {"size": [1, 1]}, [2, 3, 4, 4]),
                ("leaky_relu", "leaky_relu", {"slope": 0.1}, [3, 4])):
            inputs = {"x": vals(shape, 5, dt)}
            inputs["x"]["requires_grad"] = True
            ref = OPS[op]([tensor_of(inputs["x"])], args)
            steps = [{"op": "transpose", "in": ["x"], "args": {"d0": -1, "d1": -2}, "out": "xt"}, {"op": "leaf_of", "in": ["xt"], "out": "xl"},
                     {"op": op, "in": ["xl"], "args": args, "out": "y"}]
            if op == "leaky_relu":
                steps = [{"op": op, "in": ["x"], "args": args, "out": "y"}]
            else:
                ref = OPS[op]([tensor_of(inputs["x"]).transpose(-1, -2)], args)
            steps += weighted("y", list(ref.shape), 6, dt, inputs)
            steps.append({"op": "backward", "in": ["sy"]})
            case(name + "_" + dt, gc, f"{op} {args} of a transposed leaf {shape[:-2] + shape[-1:] + shape[-2:-1]}; (y * g).sum().backward()", inputs, steps)

        # max pool ties: every window has its maximum twice; the gradient goes to the first (row-major)
        inputs = {"x": t_in([1, 1, 0, 2, 3, 3, 2, 0, -1, -1, -1, -1, 5, 0, 5, 5], dt, shape=[1, 1, 4, 4], requires_grad=True)}
        case("max_pool2d_ties_first_maximum_" + dt, gc, "F.max_pool2d of windows with tied maxima: the gradient goes to the first in row-major order",
             inputs, [{"op": "max_pool2d", "in": ["x"], "args": {"kernel": [2, 2], "stride": [], "padding": [0, 0], "dilation": [1, 1]}, "out": "y"},
                      {"op": "sum", "in": ["y"], "out": "s"}, {"op": "backward", "in": ["s"]}])

        for training, shape in ((True, [4, 3, 2, 3]), (False, [3, 3, 2, 2]), (True, [5, 3])):
            inputs = {"x": vals(shape, 7, dt), "rm": t_in([0.5, -0.25, 0.125], dt), "rv": t_in([1.5, 0.75, 2.0], dt),
                      "w": t_in([1.5, -0.5, 2.0], dt, requires_grad=True), "b": t_in([0.25, 0.5, -1.0], dt, requires_grad=True)}
            inputs["x"]["requires_grad"] = True
            ref = list(shape)
            steps = [{"op": "batch_norm", "in": ["x", "rm", "rv", "w", "b"], "args": {"training": training, "momentum": 0.1, "eps": 1e-5}, "out": "y"},
                     {"op": "clone", "in": ["rm"], "out": "rm_after"}, {"op": "clone", "in": ["rv"], "out": "rv_after"}]
            steps += weighted("y", ref, 8, dt, inputs)
            steps.append({"op": "backward", "in": ["sy"]})
            mode = "training" if training else "eval"
            case(f"batch_norm_{mode}_{len(shape)}d_{dt}", gc, f"F.batch_norm({mode}) of {shape}: output, running mean/var after (unbiased variance), gradients of x, weight, bias",
                 inputs, steps)
        inputs = {"x": vals([4, 2, 3, 3], 9, dt)}
        inputs["x"]["requires_grad"] = True
        case("batch_norm_no_affine_no_running_" + dt, gc, "F.batch_norm(x, None, None, training=True): batch statistics only",
             inputs, [{"op": "batch_norm", "in": ["x"], "args": {"training": True, "momentum": 0.1, "eps": 1e-5}, "out": "y"},
                      *weighted("y", [4, 2, 3, 3], 10, dt, inputs), {"op": "backward", "in": ["sy"]}])
        for p, training in ((0.0, True), (0.5, False), (1.0, True)):
            inputs = {"x": vals([3, 4], 11, dt)}
            inputs["x"]["requires_grad"] = True
            case(f"dropout_p{p}_{'train' if training else 'eval'}_{dt}", gc, f"F.dropout(x, {p}, training={training}): deterministic cases (identity, zeros)",
                 inputs, [{"op": "dropout", "in": ["x"], "args": {"p": p, "training": training}, "out": "y"},
                          *weighted("y", [3, 4], 12, dt, inputs), {"op": "backward", "in": ["sy"]}])

    def refused(name, why, inputs, steps):
        case(name, gc, why, inputs, steps, match_message=True)

    refused("conv2d_kernel_larger_than_padded_input_refused", "F.conv2d of a 2x2 image with a 3x3 kernel",
            {"x": vals([1, 3, 2, 2], 1, "float32"), "w": vals([4, 3, 3, 3], 2, "float32")},
            [{"op": "conv2d", "in": ["x", "w"], "args": one("conv2d", {}), "out": "y"}])
    refused("conv2d_channels_mismatch_refused", "F.conv2d of 2 channels with a weight for 3",
            {"x": vals([1, 2, 5, 5], 1, "float32"), "w": vals([4, 3, 3, 3], 2, "float32")},
            [{"op": "conv2d", "in": ["x", "w"], "args": one("conv2d", {}), "out": "y"}])
    refused("conv2d_groups_not_dividing_channels_refused", "F.conv2d(groups=2) of 3 channels (the weight needs 6)",
            {"x": vals([1, 3, 5, 5], 1, "float32"), "w": vals([4, 3, 3, 3], 2, "float32")},
            [{"op": "conv2d", "in": ["x", "w"], "args": one("conv2d", {"groups": 2}), "out": "y"}])
    refused("conv2d_groups_not_dividing_weight_refused", "F.conv2d(groups=2) with 5 output channels",
            {"x": vals([1, 6, 5, 5], 1, "float32"), "w": vals([5, 3, 3, 3], 2, "float32")},
            [{"op": "conv2d", "in": ["x", "w"], "args": one("conv2d", {"groups": 2}), "out": "y"}])
    refused("conv2d_2d_input_refused", "F.conv2d of a 2-D input (3-D is an unbatched image in PyTorch 1.13, 4-D a batch)",
            {"x": vals([5, 5], 1, "float32"), "w": vals([4, 3, 3, 3], 2, "float32")},
            [{"op": "conv2d", "in": ["x", "w"], "args": one("conv2d", {}), "out": "y"}])
    refused("batch_norm_training_one_value_per_channel_refused", "F.batch_norm(training=True) of a [1, 3] batch",
            {"x": vals([1, 3], 1, "float32"), "rm": t_in([0, 0, 0]), "rv": t_in([1, 1, 1])},
            [{"op": "batch_norm", "in": ["x", "rm", "rv"], "args": {"training": True, "momentum": 0.1, "eps": 1e-5}, "out": "y"}])
    refused("dropout_probability_refused", "F.dropout(x, 1.5)", {"x": vals([3], 1, "float32")},
            [{"op": "dropout", "in": ["x"], "args": {"p": 1.5, "training": True}, "out": "y"}])


def double_backward_cases(case):
    """Second derivatives through the fused transformer ops (and erf, the op GELU's composed derivative needs):
    grad with create_graph (the first derivatives, recorded), then (Σ grad·v).backward(): a Hessian-vector
    product, and with it each input's gradient through the recorded formula."""
    gd = "second derivatives of the fused ops: grad(create_graph=True), then (grad * v).sum().backward()"
    d = "float64"
    gops = "op table: ops added after issue 10, one case each (docs/adding-an-op.md)"
    for dt in ("float32", "float64"):
        case("erf_" + dt, gops, "torch.erf(x) on negatives, zero and positives (the continued fraction past 2.5); (erf(x) * g).sum().backward()",
             {"x": t_in([-7, -3, -2.6, -1, -0.5, 0, 1e-3, 0.5, 1.2, 2.4, 3.5, 7], dt, shape=[2, 6], requires_grad=True),
              "g": t_in([1, -2, 0.5, 3, 1, -1, 2, 0.25, -0.5, 1, 1.5, -0.75], dt, shape=[2, 6])},
             [{"op": "erf", "in": ["x"], "out": "y"}, {"op": "mul", "in": ["y", "g"], "out": "yg"},
              {"op": "sum", "in": ["yg"], "out": "s"}, {"op": "backward", "in": ["s"]}])

    def vals(shape, salt, scale=1.0):
        n = int(np.prod(shape))
        return [round(math.sin(i * 1.3 + salt) * scale, 3) for i in range(n)]

    def leaf(shape, salt, scale=1.0):
        return t_in(vals(shape, salt, scale), d, shape=shape, requires_grad=True)

    def hvp(name, why, inputs, op, op_in, args, out_shape, wrt):
        if out_shape is None:   # the op's output shape, from PyTorch
            out_shape = list(OPS[op]([tensor_of(inputs[k]) for k in op_in], args).shape)
        # y = op(...); out = (y * c).sum() with a fixed weighting c (so the second derivative is not trivially 0 in c)
        steps = [{"op": op, "in": op_in, "args": args, "out": "y"}, {"op": "mul", "in": ["y", "y"], "out": "yy"},
                 {"op": "mul", "in": ["yy", "c"], "out": "yc"}, {"op": "sum", "in": ["yc"], "out": "out"},
                 {"op": "grad", "in": ["out"] + wrt, "args": {"outputs": 1, "inputs": len(wrt), "create_graph": True}, "out": ["g_" + w for w in wrt]}]
        acc = None
        for w in wrt:
            steps += [{"op": "mul", "in": ["g_" + w, "v_" + w], "out": "gv_" + w}, {"op": "sum", "in": ["gv_" + w], "out": "s_" + w}]
            if acc is not None:
                steps.append({"op": "add", "in": [acc, "s_" + w], "out": acc + "_"})
            acc = "s_" + w if acc is None else acc + "_"
        steps.append({"op": "backward", "in": [acc]})
        ins = dict(inputs)
        ins["c"] = t_in(vals(out_shape, 0.7), d, shape=out_shape)
        for k, w in enumerate(wrt):
            shape = inputs[w]["shape"]
            ins["v_" + w] = t_in(vals(shape, 2.1 + k, 1.5), d, shape=shape)
        case("second_derivative_" + name, gd, why + "; out = (y * y * c).sum(); g = grad(out, wrt, create_graph=True); (Σ g·v).backward()", ins, steps)

    hvp("gelu", "y = F.gelu(x) on [-3, 3]", {"x": leaf([2, 5], 0.0, 3.0)}, "gelu", ["x"], {}, [2, 5], ["x"])
    hvp("erf", "y = torch.erf(x)", {"x": leaf([2, 5], 0.4, 2.0)}, "erf", ["x"], {}, [2, 5], ["x"])
    hvp("layer_norm_affine", "y = F.layer_norm(x [3,4], [4], w, b, 1e-5), x, w and b differentiated",
        {"x": leaf([3, 4], 0.1, 2.0), "w": leaf([4], 0.2), "b": leaf([4], 0.3)}, "layer_norm", ["x", "w", "b"], {"shape": [4], "eps": 1e-5}, [3, 4], ["x", "w", "b"])
    hvp("layer_norm_two_dims", "y = F.layer_norm(x [2,2,3], [2,3], eps=1e-3), no affine",
        {"x": leaf([2, 2, 3], 0.5)}, "layer_norm", ["x"], {"shape": [2, 3], "eps": 1e-3}, [2, 2, 3], ["x"])
    hvp("attention_softmax_causal", "y = softmax((x*0.7).masked_fill(above the diagonal, -inf), -1)",
        {"x": leaf([2, 3, 3], 0.6, 2.0)}, "attention_softmax", ["x"], {"scale": 0.7, "causal": True}, [2, 3, 3], ["x"])
    hvp("attention_softmax_mask", "y = softmax((x*1.5).masked_fill(~m, -inf), -1), m [3] broadcast",
        {"x": leaf([2, 3], 0.8), "m": t_in([1, 0, 1], "bool")}, "attention_softmax", ["x", "m"], {"scale": 1.5, "causal": False}, [2, 3], ["x"])
    hvp("sdpa_causal", "y = softmax(q@k^T/sqrt(d), causal)@v over [batch 2, L 3, d 2], q, k and v differentiated",
        {"q": leaf([2, 3, 2], 0.9), "k": leaf([2, 3, 2], 1.0), "v": leaf([2, 3, 2], 1.1)}, "sdpa", ["q", "k", "v"], {"causal": True}, [2, 3, 2], ["q", "k", "v"])
    hvp("embedding_padding", "y = F.embedding(i, w, padding_idx=1), rows repeat",
        {"i": t_in([0, 2, 2, 1, 3], "int64"), "w": leaf([4, 2], 1.2)}, "embedding", ["i", "w"], {"padding_idx": 1}, [5, 2], ["w"])
    hvp("index_long_tensor", "y = x[i], i = [2, -1, 0, 2]",
        {"x": leaf([3, 2], 1.3), "i": t_in([2, -1, 0, 2], "int64")}, "index_t", ["x", "i"], {}, [4, 2], ["x"])
    for acc in (False, True):
        hvp("index_put" + ("_accumulate" if acc else ""), "y = torch.index_put(x, (i,), v, accumulate=%s), i = [1, 1, 0] (a row named twice), v [2] broadcast" % acc,
            {"x": leaf([3, 2], 1.4), "i": t_in([1, 1, 0], "int64"), "v": leaf([2], 1.5)}, "index_put", ["x", "i", "v"], {"accumulate": acc}, [3, 2], ["x", "v"])

    # the CNN ops (issue 13)
    hvp("conv2d", "y = F.conv2d(x, w, b, stride (2, 1), padding 1, dilation (1, 2), groups 2), x, w and b differentiated",
        {"x": leaf([2, 4, 5, 5], 1.6), "w": leaf([4, 2, 3, 2], 1.7), "b": leaf([4], 1.8)}, "conv2d", ["x", "w", "b"],
        {"stride": [2, 1], "padding": [1, 1], "dilation": [1, 2], "groups": 2}, None, ["x", "w", "b"])
    hvp("conv1d", "y = F.conv1d(x, w, b, stride 2, padding 1)",
        {"x": leaf([2, 3, 7], 1.9), "w": leaf([2, 3, 3], 2.0), "b": leaf([2], 2.1)}, "conv1d", ["x", "w", "b"],
        {"stride": 2, "padding": 1, "dilation": 1, "groups": 1}, None, ["x", "w", "b"])
    hvp("max_pool2d", "y = F.max_pool2d(x, (3, 2), (2, 1), 1, (1, 2))", {"x": leaf([1, 2, 5, 6], 2.2)}, "max_pool2d", ["x"],
        {"kernel": [3, 2], "stride": [2, 1], "padding": [1, 1], "dilation": [1, 2]}, None, ["x"])
    hvp("avg_pool2d", "y = F.avg_pool2d(x, 3, 2, 1)", {"x": leaf([1, 2, 6, 5], 2.3)}, "avg_pool2d", ["x"],
        {"kernel": [3], "stride": [2], "padding": [1]}, None, ["x"])
    hvp("adaptive_avg_pool2d", "y = F.adaptive_avg_pool2d(x [1,2,7,5], (3, 2))", {"x": leaf([1, 2, 7, 5], 2.4)}, "adaptive_avg_pool2d", ["x"],
        {"size": [3, 2]}, None, ["x"])
    hvp("batch_norm_training", "y = F.batch_norm(x [4,3,2,2], rm, rv, w, b, training=True)",
        {"x": leaf([4, 3, 2, 2], 2.5), "rm": t_in([0, 0, 0], d), "rv": t_in([1, 1, 1], d), "w": leaf([3], 2.6), "b": leaf([3], 2.7)},
        "batch_norm", ["x", "rm", "rv", "w", "b"], {"training": True, "momentum": 0.1, "eps": 1e-5}, None, ["x", "w", "b"])
    hvp("batch_norm_eval", "y = F.batch_norm(x [4,3], rm, rv, w, b, training=False): the running statistics normalize",
        {"x": leaf([4, 3], 2.8), "rm": t_in([0.5, -0.25, 0.125], d), "rv": t_in([1.5, 0.75, 2], d), "w": leaf([3], 2.9), "b": leaf([3], 3.0)},
        "batch_norm", ["x", "rm", "rv", "w", "b"], {"training": False, "momentum": 0.1, "eps": 1e-5}, None, ["x", "w", "b"])


# ------------------------------------------------------------------------ the large float32 cases
#
# Inputs are not stored: both sides compute them from one formula over int64 arithmetic,
#   gen(i, salt) = ((i*7919 + salt*104729) mod 65521 - 32760) / 8192     in [-4, 4), exact in float32
#   pos(i, salt) = ((i*7919 + salt*104729) mod 65521 + 1) / 8192          in (0, 8]
# and each is scaled by a power of two (exact). An array is stored either whole (float32 values)
# or, for results every correct implementation rounds identically (IEEE + - * / sqrt, neg, abs,
# relu and their gradients), as the SHA-256 of its little-endian float32 bytes (NaNs made
# canonical) plus a sample of values for the failure message: the Java side must match every bit.

def gen(n, salt, scale=1.0, positive=False):
    i = np.arange(n, dtype=np.int64)
    m = (i * 7919 + salt * 104729) % 65521
    v = (m + 1) if positive else (m - 32760)
    return torch.from_numpy((v.astype(np.float64) / 8192 * scale).astype(np.float32))


def sha(t):
    a = t.detach().contiguous().to(torch.float32).numpy().reshape(-1)
    b = a.view(np.uint32).copy()
    b[np.isnan(a)] = 0x7FC00000
    return hashlib.sha256(b.astype("<u4").tobytes()).hexdigest()


def sample_idx(n):
    idx = set(range(min(n, 20))) | set(range(max(0, n - 20), n)) | set(range(0, n, max(1, n // 40)))
    return sorted(idx)


def exact(t):
    """An array every correct float32 implementation reproduces bit for bit."""
    flat = t.detach().reshape(-1)
    idx = sample_idx(flat.numel())
    return {"shape": list(t.shape), "dtype": "float32", "sha256": sha(t), "sample_index": idx,
            "sample": [Raw(number(flat[i].item(), "float32")) for i in idx]}


def full(t, shadow=None, ulps=None):
    """A whole array, as base64 of its little-endian float32 bytes, with its tolerance (ulps, or from PyTorch's own float32 error)."""
    a = t.detach().contiguous().to(torch.float32).numpy().reshape(-1)
    d = {"shape": list(t.shape), "dtype": "float32", "f32le_base64": base64.b64encode(a.astype("<f4").tobytes()).decode("ascii")}
    d["tolerance"] = tolerance(t, shadow, ulps)
    return d


def sampled(t, tolerance):
    """Values at sample_index only (the head, the tail and every n/40th), with their tolerance."""
    flat = t.detach().reshape(-1)
    idx = sample_idx(flat.numel())
    return {"shape": list(t.shape), "dtype": "float32", "sample_index": idx,
            "sample": [Raw(number(flat[i].item(), "float32")) for i in idx], "tolerance": tolerance}


def tolerance(t, shadow, ulps):
    if ulps is not None:
        return {"ulps": ulps}
    err = (t.detach().double() - shadow.detach().double()).abs()
    scale = t.detach().double().abs().max().item() if t.numel() else 0.0
    return {"atol": max(4 * err.max().item(), 1e-6 * scale), "rtol": 1e-5, "pytorch_float32_error": err.max().item()}


def grad_record(name, leaf, g):
    """How an element-wise op's gradient is compared. Sampled ones: the kernels they run (* and /) are
    matched bit for bit in the other ops."""
    if name in ("exp", "log"):   # g * exp(a), g / b: from a result within 2 ulps, one more rounding
        return sampled(g, {"ulps": 4})
    if name == "tanh":           # g * (1 - y*y): y's 2 ulps grow where y*y is near 1 (|g| < 4: 4 * 2|y| * 2 ulp(y) < 1.2e-6)
        return sampled(g, {"atol": 1.2e-6, "rtol": 5e-7})
    if name == "div" and leaf == "b":   # torch: -g * ((a / b) / b); another order of the same roundings is as right
        return sampled(g, {"ulps": 4})
    return exact(g)


def large_elementwise(n, big):
    """Each op on its own leaves (so each gradient is that op's alone), backward with a formula gradient."""
    a_, b_, p_, g_ = gen(n, 1), gen(n, 2), gen(n, 3, positive=True), gen(n, 4)
    outs, grads = {}, {}
    ops = [("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
           ("div", lambda a, b: a / b), ("neg", lambda a, b: -a), ("abs", lambda a, b: a.abs()),
           ("relu", lambda a, b: a.relu()), ("sqrt", lambda a, b: b.sqrt()),
           ("add_s", lambda a, b: a + 1.25), ("sub_s", lambda a, b: a - 0.5), ("mul_s", lambda a, b: a * 0.3),
           ("div_s", lambda a, b: a / 3.0), ("exp", lambda a, b: a.exp()), ("log", lambda a, b: b.log()),
           ("tanh", lambda a, b: a.tanh())]
    if big:   # above 2M elements, where zip, map and relu with its backward split across threads (batch 4096 x 1024 in the job)
        ops = [op for op in ops if op[0] in ("mul", "relu")]
    for name, f in ops:
        a = a_.clone().requires_grad_(True)
        b = (p_ if name in ("div", "sqrt", "log") else b_).clone().requires_grad_(True)
        y = f(a, b)
        y.backward(g_)
        inexact = name in ("exp", "log", "tanh")
        outs[name] = full(y, ulps=2) if inexact else exact(y)
        used = {"add": "ab", "sub": "ab", "mul": "ab", "div": "ab", "sqrt": "b", "log": "b"}.get(name, "a")
        for leaf, t in (("a", a), ("b", b)):
            if leaf in used:
                grads[f"{name}.{leaf}"] = grad_record(name, leaf, t.grad)
    return {"name": f"elementwise_f32_{n}", "n": n,
            "code": "a = gen(n, 1); b = gen(n, 2) (pos(n, 3) for div, sqrt, log); g = gen(n, 4)\n"
                    "for each op: y = op(a, b) on fresh leaves; y.backward(g)",
            "inputs": {"a": "gen(n, 1)", "b": "gen(n, 2)", "p": "pos(n, 3)", "g": "gen(n, 4)"},
            "outputs": outs, "grads": grads}


def shadowed(fn):
    """fn(dtype) run in float32 and in float64: (float32 results, float64 results)."""
    return fn(torch.float32), fn(torch.float64)


def large_reductions():
    def run(dt):
        x = gen(16401, 5).to(dt).requires_grad_(True)
        rows = gen(792 * 21, 6).to(dt).reshape(792, 21).requires_grad_(True)
        wide = gen(7 * 16401, 7).to(dt).reshape(7, 16401).requires_grad_(True)
        s_all = x.sum()
        m_all = x.mean()
        s0 = rows.sum(0)
        s1 = wide.sum(1)
        m0 = rows.mean(0, keepdim=True)
        (s_all + m_all).backward()
        (s0 * gen(21, 8).to(dt)).sum().backward()
        (m0 * gen(21, 9).to(dt)).sum().backward()
        (s1 * gen(7, 10).to(dt)).sum().backward()
        return {"sum_all": s_all, "mean_all": m_all, "rows_sum0": s0, "wide_sum1": s1, "rows_mean0_keepdim": m0,
                "x.grad": x.grad, "rows.grad": rows.grad, "wide.grad": wide.grad}
    f32, f64 = shadowed(run)
    outs = {k: full(v, f64[k]) for k, v in f32.items() if "." not in k}
    grads = {k: exact(v) for k, v in f32.items() if "." in k}
    return {"name": "reductions_f32", "code": "x = gen(16401, 5); rows = gen(792*21, 6).reshape(792, 21); wide = gen(7*16401, 7).reshape(7, 16401)\n"
                                              "s_all = x.sum(); m_all = x.mean(); s0 = rows.sum(0); s1 = wide.sum(1); m0 = rows.mean(0, keepdim=True)\n"
                                              "(s_all + m_all).backward(); (s0 * gen(21, 8)).sum().backward(); (m0 * gen(21, 9)).sum().backward(); (s1 * gen(7, 10)).sum().backward()",
            "outputs": outs, "grads": grads}


def large_matmul():
    def run(dt):
        a = gen(67 * 45, 11, 0.25).to(dt).reshape(67, 45).requires_grad_(True)
        b = gen(45 * 33, 12, 0.25).to(dt).reshape(45, 33).requires_grad_(True)
        at = gen(45 * 67, 13, 0.25).to(dt).reshape(45, 67).requires_grad_(True)
        v = gen(45, 14, 0.25).to(dt).requires_grad_(True)
        c = gen(3 * 17 * 19, 15, 0.25).to(dt).reshape(3, 17, 19).requires_grad_(True)
        d = gen(19 * 23, 16, 0.25).to(dt).reshape(19, 23).requires_grad_(True)
        y = a @ b
        yt = at.t() @ b
        mv = a @ v
        bm = c @ d
        y.backward(gen(67 * 33, 17).to(dt).reshape(67, 33))
        yt.backward(gen(67 * 33, 18).to(dt).reshape(67, 33))
        mv.backward(gen(67, 19).to(dt))
        bm.backward(gen(3 * 17 * 23, 20).to(dt).reshape(3, 17, 23))
        return {"y": y, "yt": yt, "mv": mv, "bm": bm, "a.grad": a.grad, "b.grad": b.grad, "at.grad": at.grad,
                "v.grad": v.grad, "c.grad": c.grad, "d.grad": d.grad}
    f32, f64 = shadowed(run)
    outs = {k: full(v, f64[k]) for k, v in f32.items() if "." not in k}
    grads = {k: full(v, f64[k]) for k, v in f32.items() if "." in k}
    return {"name": "matmul_f32_openblas",
            "code": "a = gen(67*45, 11, 1/4).reshape(67, 45); b = gen(45*33, 12, 1/4).reshape(45, 33); at = gen(45*67, 13, 1/4).reshape(45, 67)\n"
                    "v = gen(45, 14, 1/4); c = gen(3*17*19, 15, 1/4).reshape(3, 17, 19); d = gen(19*23, 16, 1/4).reshape(19, 23)\n"
                    "y = a @ b; yt = at.t() @ b; mv = a @ v; bm = c @ d\n"
                    "y.backward(gen(67*33, 17).reshape(67, 33)); yt.backward(gen(67*33, 18).reshape(67, 33)); mv.backward(gen(67, 19)); bm.backward(gen(3*17*23, 20).reshape(3, 17, 23))",
            "outputs": outs, "grads": grads}


MLP = {"features": 784, "hidden": 21, "classes": 10, "batch": 792, "steps": 3, "micro_batch": [792, 792, 396],
       "lr": 0.05, "momentum": 0.9}


def large_mlp():
    """The training job's step (Trainer.step: Linear-ReLU-Linear, cross-entropy, SGD momentum) for 3 steps."""
    m = MLP
    n_rows = m["batch"] * m["steps"]

    def run(dt):
        features = gen(n_rows * m["features"], 21, 1 / 4).to(dt).reshape(n_rows, m["features"])
        labels = torch.from_numpy((np.arange(n_rows, dtype=np.int64) * 7 + 3) % m["classes"])
        rows = torch.from_numpy((np.arange(n_rows, dtype=np.int64) * 7) % n_rows)
        model = torch.nn.Sequential(torch.nn.Linear(m["features"], m["hidden"]), torch.nn.ReLU(),
                                    torch.nn.Linear(m["hidden"], m["classes"])).to(dt)
        with torch.no_grad():
            model[0].weight.copy_(gen(m["hidden"] * m["features"], 22, 1 / 128).reshape(m["hidden"], m["features"]))
            model[0].bias.copy_(gen(m["hidden"], 23, 1 / 64))
            model[2].weight.copy_(gen(m["classes"] * m["hidden"], 24, 1 / 32).reshape(m["classes"], m["hidden"]))
            model[2].bias.copy_(gen(m["classes"], 25, 1 / 64))
        opt = torch.optim.SGD(model.parameters(), lr=m["lr"], momentum=m["momentum"])
        res = {}
        for step in range(m["steps"]):
            batch, micro = m["batch"], m["micro_batch"][step]
            opt.zero_grad()
            loss, correct = 0.0, 0
            for s in range(step * batch, (step + 1) * batch, micro):
                idx = rows[s:s + micro]
                x, y = features.index_select(0, idx), labels.index_select(0, idx)
                logits = model(x)
                l = F.cross_entropy(logits, y)
                if micro != batch:
                    l = l * (micro / batch)
                correct += int((logits.argmax(1) == y).sum())
                loss += l.item()
                l.backward()
            opt.step()
            res[f"loss{step}"] = torch.tensor(loss, dtype=torch.float64)
            res[f"correct{step}"] = correct
            if step == 0:
                for name, p in model.named_parameters():
                    res[f"{name}.grad0"] = p.grad.clone()
        for name, p in model.named_parameters():
            res[name] = p.detach().clone()
        return res
    f32, f64 = shadowed(run)
    outs = {}
    for k, v in f32.items():
        if k.startswith("correct"):
            outs[k] = v
        elif k.startswith("loss"):
            err = abs(v.item() - f64[k].item())
            outs[k] = {"value": v.item(), "tolerance": {"atol": max(4 * err, 1e-6), "rtol": 1e-5, "pytorch_float32_error": err}}
        else:
            outs[k] = full(v, f64[k])
    return {"name": "mlp_train_step_f32", "config": m,
            "code": "features = gen(N*784, 21, 1/4).reshape(N, 784), N = 3*792; labels[i] = (7i + 3) % 10; rows[i] = 7i % N\n"
                    "model = Sequential(Linear(784, 21), ReLU(), Linear(21, 10)); weights gen(.., 22, 1/128), gen(21, 23, 1/64), gen(210, 24, 1/32), gen(10, 25, 1/64)\n"
                    "opt = SGD(lr=0.05, momentum=0.9); 3 steps of Trainer.step(features, labels, rows, 792*step, 792, micro_batch[step]) (micro 792, 792, 396)\n"
                    "each: zero_grad; per micro-batch: x, y = rows' samples; l = cross_entropy(model(x), y) * (micro/batch if split); l.backward(); then opt.step()",
            "outputs": outs}


def large_cases():
    return {"meta": {"torch_version": torch.__version__, "generator": "autograd/src/test/python/record_golden.py",
                     "formula": "gen(i, salt) = ((i*7919 + salt*104729) mod 65521 - 32760) / 8192; pos(i, salt) = ((i*7919 + salt*104729) mod 65521 + 1) / 8192; int64 arithmetic, then times the scale (a power of two)",
                     "arrays": "{shape, dtype, f32le_base64, tolerance}: every element (base64 of the little-endian float32 bytes); {shape, dtype, sha256, sample_index, sample}: the SHA-256 of the little-endian float32 bytes (every NaN as 0x7fc00000), matched bit for bit (the sample is for the failure message); {shape, dtype, sample_index, sample, tolerance}: the sampled elements only",
                     "tolerance": "ulps: |got - want| <= that many float32 units in the last place of want; atol/rtol: |got - want| <= atol + rtol*|want|, atol = max(4 x PyTorch's own float32 error against the same computation in float64, 1e-6 x max|want|)",
                     "threads": 1},
            "cases": [large_elementwise(16401, big=False), large_elementwise(2 ** 21 + 37, big=True), large_reductions(),
                      large_matmul(), large_mlp()]}


# ------------------------------------------------------------------------- the 80 original cases

def check_existing():
    """Re-runs the recorded snippet of each case of pytorch-golden.json; prints the largest difference."""
    path = os.path.join(GOLDEN, "pytorch-golden.json")
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    worst = 0.0
    for c in data["cases"]:
        env = {"torch": torch, "F": F, "nn": torch.nn}
        for k, spec in c["inputs"].items():
            vals = [float(str(v).replace("inf", "Infinity")) if isinstance(v, str) else v for v in _flat(spec["values"])]
            t = torch.tensor(vals, dtype=DTYPES[spec["dtype"]]).reshape(spec["shape"])
            if spec.get("requires_grad"):
                t.requires_grad_(True)
            env[k] = t
        exec(c["code"], env)   # noqa: S102 - the recorded snippet, our own data
        diffs = []
        for k, want in c["outputs"].items():
            diffs.append(_diff(want, env[k]))
        for k, want in (c.get("grads") or {}).items():
            if want is not None:
                diffs.append(_diff(want, env[k].grad))
        d = max(diffs) if diffs else 0.0
        worst = max(worst, d)
        if d > 1e-9:
            print(f"  {c['name']}: max difference {d:.3g}")
    print(f"pytorch-golden.json: {len(data['cases'])} cases re-run, largest difference {worst:.3g}")


def _flat(v):
    if isinstance(v, list):
        for x in v:
            yield from _flat(x)
    else:
        yield v


def _diff(want, got):
    if isinstance(want, dict):
        w = np.array([float(x) for x in _flat(want["values"])], dtype=np.float64)
        g = got.detach().double().reshape(-1).numpy()
    elif isinstance(want, list):
        w, g = np.array(want, dtype=np.float64), np.array(got, dtype=np.float64)
    else:
        w = np.array([want], dtype=np.float64)
        g = np.array([got.item() if isinstance(got, torch.Tensor) else got], dtype=np.float64)
    both_nan = np.isnan(w) & np.isnan(g)
    d = np.where(both_nan, 0, np.abs(w - g))
    return float(np.nanmax(d)) if d.size else 0.0


# ------------------------------------------------------------------------------------------ main

def fuzz_file():
    named = named_cases()
    programs = random_programs()
    errors = sum(1 for p in programs if "error" in p["expect"])
    return {"meta": {"torch_version": torch.__version__, "generator": "autograd/src/test/python/record_golden.py",
                     "seed": FUZZ_SEED, "programs": len(programs), "programs_ending_in_an_error": errors,
                     "layout": "inputs {name: {shape, dtype, values, requires_grad}}; steps [{op, in, args, out, no_grad}] run in order; "
                               "expect: values (each step's result when it was made), grads (every leaf that requires grad and every "
                               "retained non-leaf, null for none), final (when the program writes in place: each tensor whose value at the end differs "
                               "from the one last recorded under its name, its input or its latest step's result), "
                               "error {step, op, type, message} when PyTorch raised (the program stops there)",
                     "values": "row-major; floats as the shortest text that reads back as the same value of their dtype (results in float64: "
                               "rounded to 12 significant digits first); "
                               "\"nan\", \"inf\", \"-inf\" as strings; bool as 0/1"},
            "named": named, "programs": programs, "higher_order": higher_order_training(), "hooks": hook_cases(), "saved_tensor_hooks": saved_tensor_hook_cases()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="write nothing: re-run the original 80 cases and compare the two files with a fresh recording")
    args = ap.parse_args()
    if not torch.__version__.startswith("1.13"):
        sys.exit(f"record_golden.py: needs PyTorch 1.13 (Debian's python3-torch), found {torch.__version__}")
    check_existing()
    outputs = {"pytorch-golden-large.json": large_cases(), "pytorch-fuzz.json": fuzz_file()}
    for name, obj in outputs.items():
        path = os.path.join(GOLDEN, name)
        if args.check:
            text = dumps(obj) + "\n"
            old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
            print(f"{name}: {'identical' if old == text else 'DIFFERENT from a fresh recording'}")
        else:
            write(path, obj)


if __name__ == "__main__":
    main()
