"""PyTorch side of `./panagrad bench compare`: the same MLP training step and tiny-op chain as
Panagrad's MlpStepBench and TinyOpChainBench, timed the same way (warm-up, then the median of
repeated runs). Prints one JSON object on stdout.

usage: /usr/bin/python3 peer.py [--quick] [--threads N]
(OPENBLAS_NUM_THREADS is read by OpenBLAS at load; the caller sets it in the environment.)
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


def blas_core():
    """The OpenBLAS core name torch's BLAS reports, or what torch says it was built with."""
    for name in ("libopenblas.so.0", ctypes.util.find_library("openblas") or ""):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode(), lib.openblas_get_config().decode()
        except (OSError, AttributeError):
            pass
    return "unknown", torch.__config__.show().split("\n")[0]


def median_ms(fn, warmup, runs):
    # at least `warmup` runs and at least 3 s, as the Java side warms up
    until = time.perf_counter() + 3.0
    done = 0
    while done < warmup or time.perf_counter() < until:
        fn()
        done += 1
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def mlp_step_ms(batch, warmup, runs):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch, 784)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    first = step().item()
    if not (first == first) or first <= 0:  # a step must produce a finite positive loss
        raise SystemExit(f"mlp step at batch {batch}: loss {first}")
    return median_ms(step, warmup, runs)


def tiny_op_us(warmup, runs):
    def chain():
        x0 = torch.ones(1, requires_grad=True)
        x = x0
        for _ in range(1000):
            x = x * 1.0001 + 0.0001
        x.sum().backward()
        return x0.grad.item()

    g = chain()
    if abs(g - 1.0001 ** 1000) > 1e-3:
        raise SystemExit(f"tiny-op chain gradient {g}, expected {1.0001 ** 1000}")
    return median_ms(chain, warmup, runs) * 1e3 / 2000  # 2000 ops per chain


def main():
    quick = "--quick" in sys.argv
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
    torch.set_num_threads(threads)
    core, config = blas_core()
    runs = {256: 10, 1024: 6, 4096: 3} if quick else {256: 40, 1024: 20, 4096: 8}
    out = {
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "blas_core": core,
        "blas_config": config,
        "tiny_op_chain": tiny_op_us(3 if quick else 10, 10 if quick else 40),
    }
    for b, r in runs.items():
        out[f"mlp_step_b{b}"] = mlp_step_ms(b, 2 if quick else 3, r)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
