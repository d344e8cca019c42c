"""PyTorch 1.13's side of `./panagrad bench train-compare`: what `./panagrad train` does with its
defaults, written as a PyTorch user would write it, so that the two whole commands can be timed
end to end (wall time and peak RSS under /usr/bin/time) on the same machine.

The same work: a synthetic set of 32 768 training and 4 096 held-out samples, 784 features,
10 classes, each class a mixture of two Gaussian blobs (centres N(0, 1) x 0.15, noise N(0, 1));
an MLP 784-1024-1024-10 with ReLU, cross-entropy, SGD lr 0.05 momentum 0.9, batch 1024, 3 epochs,
the rows reshuffled every epoch; per step the loss and the number correct are read back (as
Panagrad's progress does); after each epoch the held-out loss and accuracy under no_grad in
batches of 1024, and one line like Panagrad's (samples/s timed over the training steps only).
Not the same: the random numbers (torch's generator, not Panagrad's), and no chart is written
(Panagrad writes out/train.png; this Python has no matplotlib).

usage: /usr/bin/python3 train_default.py [--epochs N]
PyTorch runs with its defaults here: 1 intra-op thread, OpenBLAS with one thread per core
(OPENBLAS_NUM_THREADS, OPENBLAS_CORETYPE are read from the environment at load).
"""
import ctypes
import resource
import sys
import time

import torch
import torch.nn as nn


def blas_core():
    """The core the OpenBLAS under torch selected (what `bench compare`'s peer reports too)."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown"


def synthetic(samples, features, classes, generator):
    centres = torch.randn(2 * classes, features, generator=generator) * 0.15
    mode = torch.randint(0, 2 * classes, (samples,), generator=generator)
    x = torch.randn(samples, features, generator=generator)
    x += centres[mode]
    return x, mode % classes


def main():
    epochs = int(sys.argv[sys.argv.index("--epochs") + 1]) if "--epochs" in sys.argv else 3
    samples, held_out, features, classes, batch = 32768, 4096, 784, 10, 1024
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x, y = synthetic(samples + held_out, features, classes, g)
    train_x, train_y = x[:samples], y[:samples]
    test_x, test_y = x[samples:], y[samples:]

    model = nn.Sequential(nn.Linear(features, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, classes))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    print(f"model   784-1024-1024-10 MLP, PyTorch {torch.__version__}, SGD batch {batch}, lr 0.05, momentum 0.9, "
          f"torch threads {torch.get_num_threads()}, OpenBLAS core {blas_core()}")
    print(f"data    synthetic: {samples + held_out} samples, {features} features, {classes} classes; {held_out} held out")
    steps = samples // batch
    for epoch in range(1, epochs + 1):
        order = torch.randperm(samples, generator=g)
        loss_sum, correct = 0.0, 0
        t0 = time.perf_counter()
        for i in range(steps):
            idx = order[i * batch:(i + 1) * batch]
            xb, yb = train_x[idx], train_y[idx]
            opt.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            correct += (logits.argmax(1) == yb).sum().item()
        seconds = time.perf_counter() - t0
        test_loss, test_correct = 0.0, 0
        with torch.no_grad():
            for s in range(0, held_out, 1024):
                logits = model(test_x[s:s + 1024])
                test_loss += loss_fn(logits, test_y[s:s + 1024]).item() * len(logits)
                test_correct += (logits.argmax(1) == test_y[s:s + 1024]).sum().item()
        print(f"epoch {epoch}/{epochs}  loss {loss_sum / steps:.4f}  train acc {100 * correct / (steps * batch):.2f}%  "
              f"test loss {test_loss / held_out:.4f}  test acc {100 * test_correct / held_out:.2f}%  "
              f"{steps * batch / seconds:,.0f} samples/s", flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
