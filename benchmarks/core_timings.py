"""The two figures issue 2 asks for, side by side with torch in one process:
one record+backward of ln(x1) + x1*x2 - sin(x2) on 0-d tensors, and of a
1,000,000-element sum(tanh(x)).  Best of 7 rounds; gradients checked first.

    python benchmarks/core_timings.py
"""
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "src"), HERE]
import tapegrad as tg  # noqa: E402
from tapegrad import autograd  # noqa: E402
from workloads import scalar  # noqa: E402  (the harness's scalar workload)


def best_time(fn, min_round=0.2, rounds=7):
    fn()
    n = 1
    while True:                      # calibrate: a round of at least min_round seconds
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t >= min_round:
            break
        n *= 2
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t) / n)
    return best


def tg_tanh(x):
    t = tg.array(x)
    t.attach_grad()

    def step():
        with autograd.record():
            y = tg.tanh(t).sum()
        y.backward()
        return t.grad.asnumpy()
    return step


def torch_tanh(torch, x):
    t = torch.tensor(x, requires_grad=True)

    def step():
        (g,) = torch.autograd.grad(torch.tanh(t).sum(), (t,))
        return g.numpy()
    return step


def _floats(step):
    """The workload's step, returning its two partials as Python floats."""
    def run():
        return [float(g) for g in step()]
    return run


def main():
    x = np.random.default_rng(0).normal(size=1_000_000)
    d = scalar.make_data()
    want_scalar = [float(v) for v in scalar.reference(d)]
    want_tanh = 1 - np.tanh(x) ** 2
    rows = [("tapegrad", _floats(scalar.bench_tapegrad(d)[0]), tg_tanh(x))]
    try:
        import torch
        torch.set_num_threads(1)
        rows.append(("torch (1 thread)", _floats(scalar.bench_torch(d)[0]), torch_tanh(torch, x)))
    except ImportError:
        print("torch: not installed (pip install torch==2.13.0)")
    print(f"{'system':18s} {'scalar trace':>14s} {'sum(tanh(x)), 1e6':>20s}")
    base = None
    for name, s, t in rows:
        np.testing.assert_allclose(s(), want_scalar, rtol=1e-12)
        np.testing.assert_allclose(t(), want_tanh, rtol=1e-12, atol=1e-15)
        ts, tt = best_time(s), best_time(t)
        ratio = "" if base is None else f"   tapegrad/torch: {base[0] / ts:.2f}x, {base[1] / tt:.2f}x"
        print(f"{name:18s} {ts * 1e6:11.1f} us {tt * 1e3:17.2f} ms{ratio}")
        base = base or (ts, tt)


if __name__ == "__main__":
    main()
