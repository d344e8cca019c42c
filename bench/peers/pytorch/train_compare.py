"""The whole `./panagrad train` command (its defaults) against train_default.py (the same job in
PyTorch 1.13), end to end, on this machine. Run it from anywhere:

    /usr/bin/python3 bench/peers/pytorch/train_compare.py [--rounds N] [--default-env]

Both sides run in the benchmark environment of docs/benchmarking.md (OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset, so each OpenBLAS picks its core; both report the core they use);
--default-env keeps the two variables as they are. Each side otherwise runs as a user runs it, with
its own defaults (the launcher's JVM flags and OPENBLAS_THREAD_TIMEOUT for Panagrad, torch's thread
settings for PyTorch).

Each round runs both commands, one after the other, alternating which goes first (A B, B A, ...),
so that a neighbour's load drifting over the run hits both sides alike; each run is a fresh
process, as a user runs it. Measured per run: wall time from start to exit, peak RSS (the child's
ru_maxrss from wait4, what `/usr/bin/time -v` reports as "Maximum resident set size"), CPU time,
and the samples/s each command prints per epoch. Reported: the median of the rounds and its
range; first epoch / steady = epoch 1's rate over the mean of the later epochs'.

Before the rounds, `./panagrad train --help` builds what a first run would (the project if sources
changed, the train command's AOT cache if this build has none), so the rounds time the command as
every later run finds it. Writes bench/results/train-compare.json. CI never runs this (no Python).
"""
import json
import os
import re
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def timed(cmd, cwd):
    """Runs cmd in cwd, its output to files there; wall time, and from wait4 the child's peak RSS and CPU time."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(cwd)
            out = os.open(os.path.join(cwd, "stdout.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            err = os.open(os.path.join(cwd, "stderr.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.execv(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    with open(os.path.join(cwd, "stdout.txt")) as f:
        out = f.read()
    with open(os.path.join(cwd, "stderr.txt")) as f:
        err = f.read()
    code = os.waitstatus_to_exitcode(status)
    return {
        "status": code,
        "wall_s": wall,
        "peak_rss_mib": usage.ru_maxrss / 1024,   # ru_maxrss is in KiB
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "samples_per_s": [float(x.replace(",", "")) for x in re.findall(r"([\d,]+) samples/s", out)],
        "stdout": out,
        "stderr": err,
    }


def summary(runs):
    def stat(values):
        return {"median": statistics.median(values), "min": min(values), "max": max(values)}

    epochs = len(runs[0]["samples_per_s"])
    first_over_steady = [r["samples_per_s"][0] / statistics.mean(r["samples_per_s"][1:]) for r in runs] if epochs > 1 else []
    return {
        "wall_s": stat([r["wall_s"] for r in runs]),
        "peak_rss_mib": stat([r["peak_rss_mib"] for r in runs]),
        "cpu_s": stat([r["cpu_s"] for r in runs]),
        "samples_per_s": [stat([r["samples_per_s"][e] for r in runs]) for e in range(epochs)],
        "first_over_steady": stat(first_over_steady) if first_over_steady else None,
    }


def main():
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    epochs = sys.argv[sys.argv.index("--epochs") + 1] if "--epochs" in sys.argv else None
    if "--default-env" not in sys.argv:
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            os.environ.pop(name, None)
    sides = {
        "panagrad": [os.path.join(ROOT, "panagrad"), "train"] + (["--epochs", epochs] if epochs else []),
        "pytorch": [sys.executable, os.path.join(HERE, "train_default.py")] + (["--epochs", epochs] if epochs else []),
    }
    work = tempfile.mkdtemp(prefix="panagrad-train-compare-")
    print(f"train-compare: {rounds} rounds, each side in a fresh process, alternating which goes first; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; runs in {work}", flush=True)
    prep = timed(sides["panagrad"][:2] + ["--help"], work)
    if prep["status"] != 0:
        sys.exit("train-compare: ./panagrad train --help failed:\n" + prep["stderr"])
    for line in prep["stderr"].splitlines():
        if line.startswith("panagrad:"):
            print(line, flush=True)   # what the first run of this build did (a build, the AOT cache)
    doctor = timed([sides["panagrad"][0], "doctor"], work)
    core_line = next((l for l in doctor["stdout"].splitlines() if l.startswith("OpenBLAS ") and "core " in l), "core unknown")
    cores = {"panagrad": core_line.split("core ")[1].split(",")[0].strip()}
    results = {name: [] for name in sides}
    for r in range(rounds):
        order = list(sides) if r % 2 == 0 else list(sides)[::-1]
        for name in order:
            res = timed(sides[name], work)
            if res["status"] != 0 or not res["samples_per_s"]:
                sys.exit(f"train-compare: {name} failed (status {res['status']}):\n{res['stdout']}\n{res['stderr']}")
            results[name].append(res)
            rates = " ".join(f"{x:,.0f}" for x in res["samples_per_s"])
            print(f"round {r + 1} {name:8s}  {res['wall_s']:6.2f} s  peak RSS {res['peak_rss_mib']:4.0f} MiB  CPU {res['cpu_s']:6.2f} s  "
                  f"samples/s per epoch {rates}  (load {os.getloadavg()[0]:.1f})", flush=True)
    models = {name: next((l for l in results[name][0]["stdout"].splitlines() if l.startswith("model")), "") for name in sides}
    cores["pytorch"] = models["pytorch"].split("OpenBLAS core ")[-1].strip() if "OpenBLAS core " in models["pytorch"] else "unknown"
    out = {"rounds": rounds, "cpus": os.cpu_count(), "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
           "blas_cores": cores, "commands": {name: " ".join(cmd) for name, cmd in sides.items()}, "model_lines": models}
    print()
    print("| side | wall s | peak RSS MiB | CPU s | samples/s per epoch | first / steady |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in sides:
        s = summary(results[name])
        out[name] = dict(s, runs=[{k: v for k, v in x.items() if k not in ("stdout", "stderr")} for x in results[name]])
        rng = lambda d, f: f"{d['median']:{f}} ({d['min']:{f}}–{d['max']:{f}})"
        rates = " / ".join(f"{e['median']:,.0f}" for e in s["samples_per_s"])
        fs = rng(s["first_over_steady"], ".2f") if s["first_over_steady"] else ""
        print(f"| {name} | {rng(s['wall_s'], '.2f')} | {rng(s['peak_rss_mib'], '.0f')} | {rng(s['cpu_s'], '.1f')} | {rates} | {fs} |")
    ratio = [p["wall_s"] / t["wall_s"] for p, t in zip(results["panagrad"], results["pytorch"])]
    out["wall_ratio"] = {"median": statistics.median(ratio), "min": min(ratio), "max": max(ratio)}
    print(f"\nwall time Panagrad / PyTorch, per round: median {statistics.median(ratio):.2f} ({min(ratio):.2f}–{max(ratio):.2f})")
    for name in sides:
        print(f"{name}: {models[name]}")
    print(f"OpenBLAS core: Panagrad {cores['panagrad']}, PyTorch {cores['pytorch']}")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results", "train-compare.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
