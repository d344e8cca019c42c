"""PyTorch side of `./panagrad bench compare`: the same MLP training step and tiny-op chain as
Panagrad's CompareWorker (Workloads.java), timed the same way (the median of timed runs after a few
warm-up runs, the counts sent by the caller). Speaks JSON lines on stdin/stdout.

usage: /usr/bin/python3 peer.py --serve [--settings 1x2,2x1]
           prints {"ready": ..., "blas_core": ...}, then answers one JSON line per command line:
           {"cmd": "warmup", "seconds": S, "works": [...]}, {"cmd": "round", "works": [...]},
           {"cmd": "quit"}; works are [{"work": "mlp_step_b256", "warmup": 3, "runs": 7}, ...],
           a setting TxB is torch T threads with OpenBLAS B threads
The caller sets OPENBLAS_CORETYPE in the environment to run it on a given OpenBLAS core.
"""
import ctypes
import ctypes.util
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn


def openblas():
    """The OpenBLAS library this process loaded for torch (from /proc/self/maps), or None."""
    paths = []
    try:
        with open("/proc/self/maps") as maps:
            paths = [l.split()[-1] for l in maps if "libopenblas" in l and "/" in l]
    except OSError:
        pass
    for name in paths[:1] + ["libopenblas.so.0", ctypes.util.find_library("openblas") or ""]:
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib
        except (OSError, AttributeError):
            pass
    return None


def ready(lib):
    if lib is not None:
        core, config = lib.openblas_get_corename().decode(), lib.openblas_get_config().decode()
    else:
        core, config = "unknown", torch.__config__.show().strip().split("\n")[-1][:200]
    return {"ready": True, "version": "torch " + torch.__version__, "blas_core": core, "blas_config": config}


class MlpStep:
    """MLP 784-1024-1024-10, ReLU, cross-entropy, SGD momentum 0.9, one fixed batch; checks its loss.
    With autocast, the forward pass and the loss run in torch.autocast("cpu", dtype=torch.bfloat16)."""

    def __init__(self, batch, autocast=False):
        self.autocast = autocast
        torch.manual_seed(0)
        self.model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.loss_fn = nn.CrossEntropyLoss()
        self.x = torch.randn(batch, 784)
        self.y = torch.randint(0, 10, (batch,))
        self.batch = batch

    def __call__(self):
        self.opt.zero_grad()
        if self.autocast:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = self.loss_fn(self.model(self.x), self.y)
        else:
            loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        v = loss.item()
        if not (v == v) or v <= 0 or v == float("inf"):  # a step must give a finite positive loss
            raise RuntimeError(f"mlp step at batch {self.batch}: loss {v}")


class CnnStep:
    """The train command's --model cnn at a fixed batch: conv32-BN-ReLU-pool, conv64-BN-ReLU-pool, dropout 0.25,
    linear 128, linear 10 on 1x28x28 images, cross-entropy, Adam; checks its loss."""

    def __init__(self, batch):
        torch.manual_seed(0)
        self.model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.loss_fn = nn.CrossEntropyLoss()
        self.x = torch.rand(batch, 1, 28, 28)
        self.y = torch.randint(0, 10, (batch,))

    def __call__(self):
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        v = loss.item()
        if not (v == v) or v <= 0 or v == float("inf"):
            raise RuntimeError(f"cnn step: loss {v}")


class Conv2dFwdBwd:
    """One 3x3 convolution, 64 -> 64 channels, padding 1, on [256, 64, 28, 28]: forward, (y * g).sum() backward."""

    def __init__(self):
        torch.manual_seed(0)
        self.conv = nn.Conv2d(64, 64, 3, padding=1)
        self.x = torch.randn(256, 64, 28, 28, requires_grad=True)
        self.g = torch.randn(256, 64, 28, 28)

    def __call__(self):
        self.conv.zero_grad()
        self.x.grad = None
        self.conv(self.x).backward(self.g)
        if self.x.grad is None or self.conv.weight.grad is None:
            raise RuntimeError("conv2d: no gradient")


def tiny_op_chain():
    """1000 x (x = x*1.0001 + 0.0001) on one element, forward and backward: 2000 ops."""
    x0 = torch.ones(1, requires_grad=True)
    x = x0
    for _ in range(1000):
        x = x * 1.0001 + 0.0001
    x.sum().backward()
    g = x0.grad.item()
    if abs(g - 1.0001 ** 1000) > 1e-3:
        raise RuntimeError(f"tiny-op chain gradient {g}, expected {1.0001 ** 1000}")


class Block(nn.Module):
    """Panagrad's TransformerBlock: pre-norm, packed qkv, causal softmax(q k^T / sqrt(d)) v (1.13 has no sdpa), GELU MLP."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc, self.out = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x):
        b, t, w = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        x = x + self.proj(attention(q, k, v).transpose(1, 2).reshape(b, t, w))
        return x + self.out(nn.functional.gelu(self.fc(self.ln2(x))))


def attention(q, k, v):
    t = q.shape[-2]
    s = (q @ k.transpose(-2, -1)) / (q.shape[-1] ** 0.5)
    s = s.masked_fill(~torch.ones(t, t, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(s, -1) @ v


class GptStep:
    """Panagrad's GptTrainer step: 4 layers, 4 heads, width 128, context 128, vocabulary 384, AdamW, clipping, one fixed batch."""

    def __init__(self, batch, vocab=384, width=128, layers=4, heads=4, context=128):
        torch.manual_seed(0)
        self.model = nn.ModuleDict({"tok": nn.Embedding(vocab, width), "pos": nn.Embedding(context, width),
                                    "blocks": nn.Sequential(*[Block(width, heads) for _ in range(layers)]),
                                    "ln": nn.LayerNorm(width), "head": nn.Linear(width, vocab)})
        decay = [p for p in self.model.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.model.parameters() if p.dim() < 2]
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.95))
        self.x = torch.randint(0, vocab, (batch, context))
        self.y = torch.randint(0, vocab, (batch, context))
        self.pos = torch.arange(context)

    def __call__(self):
        m = self.model
        self.opt.zero_grad()
        h = m["blocks"](m["tok"](self.x) + m["pos"](self.pos))
        logits = m["head"](m["ln"](h))
        loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), self.y.view(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        self.opt.step()
        v = loss.item()
        if not (v == v) or v <= 0 or v == float("inf"):
            raise RuntimeError(f"gpt step: loss {v}")


class Attention:
    """Causal attention over q, k, v [32, 4, 128, 32], forward and backward of the sum (as Panagrad's Workloads.Attention)."""

    def __init__(self):
        torch.manual_seed(0)
        self.q, self.k, self.v = (torch.randn(32, 4, 128, 32, requires_grad=True) for _ in range(3))

    def __call__(self):
        for t in (self.q, self.k, self.v):
            t.grad = None
        s = attention(self.q, self.k, self.v).sum()
        s.backward()
        if not torch.isfinite(s):
            raise RuntimeError(f"attention sum {s.item()}")


def work(name, steps):
    if name == "tiny_op_chain":
        return tiny_op_chain
    if name.startswith("gpt_step_b"):
        if name not in steps:
            steps[name] = GptStep(int(name[len("gpt_step_b"):]))
        return steps[name]
    if name == "attention_fwd_bwd":
        if name not in steps:
            steps[name] = Attention()
        return steps[name]
    if name.startswith("mlp_step_b"):
        if name not in steps:
            bf16 = name.endswith("_bf16")
            steps[name] = MlpStep(int(name[len("mlp_step_b"):len(name) - (5 if bf16 else 0)]), bf16)
        return steps[name]
    if name.startswith("cnn_step_b"):
        if name not in steps:
            steps[name] = CnnStep(int(name[len("cnn_step_b"):]))
        return steps[name]
    if name == "conv2d_fwd_bwd":
        if name not in steps:
            steps[name] = Conv2dFwdBwd()
        return steps[name]
    raise ValueError(f"unknown work {name}")


def value(name, fn, warmup, runs):
    """The median of `runs` timed runs after `warmup`: ms, or us per op for the chain.
    A bfloat16 autocast step runs with torch on both cores: its GEMMs are oneDNN's (MKL-DNN), which
    thread with torch's own OpenMP pool, not OpenBLAS's (one torch thread would leave a core idle)."""
    if name.endswith("_bf16"):
        before = torch.get_num_threads()
        torch.set_num_threads(2)
        try:
            return timed(name, fn, warmup, runs)
        finally:
            torch.set_num_threads(before)
    return timed(name, fn, warmup, runs)


def timed(name, fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    ms = statistics.median(times)
    return ms * 1e3 / 2000 if name == "tiny_op_chain" else ms


def set_threads(lib, setting):
    t, b = setting
    torch.set_num_threads(t)
    if lib is not None:
        lib.openblas_set_num_threads(b)
        return f"torch {t} thread(s), OpenBLAS {b}"
    return f"torch {t} thread(s), OpenBLAS default"


def serve(settings):
    lib = openblas()
    print(json.dumps(ready(lib)), flush=True)
    steps = {}
    for line in sys.stdin:
        try:
            cmd = json.loads(line)
            if cmd["cmd"] == "quit":
                break
            if cmd["cmd"] == "warmup":
                set_threads(lib, settings[0])
                for w in cmd["works"]:
                    fn = work(w["work"], steps)
                    until = time.perf_counter() + cmd["seconds"]
                    done = 0
                    while done < 3 or time.perf_counter() < until:
                        fn()
                        done += 1
                reply = {"warmed": True}
            elif cmd["cmd"] == "round":
                results = []
                for s in settings:
                    label = set_threads(lib, s)
                    values = {w["work"]: value(w["work"], work(w["work"], steps), w["warmup"], w["runs"]) for w in cmd["works"]}
                    results.append({"setting": label, "values": values})
                set_threads(lib, settings[0])
                reply = {"results": results}
            else:
                raise ValueError(f"unknown command {line.strip()}")
        except Exception as e:  # the caller shows it and stops
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
            sys.exit(1)
        print(json.dumps(reply), flush=True)


def main():
    args = sys.argv[1:]
    if "--serve" in args:
        spec = args[args.index("--settings") + 1] if "--settings" in args else "1x2"
        serve([tuple(int(n) for n in s.split("x")) for s in spec.split(",")])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
