"""NumPy-only control workload, timed on every run.

Its time depends on the machine alone (BLAS, vector math, Python dispatch),
never on tapegrad, so compare it between runs before reading a slower
tapegrad figure as a regression: if the control slowed down too, the machine did.
"""
import numpy as np

TITLE = "NumPy only: 128x256 @ 256x256 matmul + tanh + sum, then 500 tiny-array ops"


def make_data():
    rng = np.random.default_rng(5)
    return {"a": rng.standard_normal((128, 256)), "M": rng.standard_normal((256, 256)) / 16,
            "s": rng.standard_normal((8, 32))}


def bench_numpy(d):
    a, M, s = d["a"], d["M"], d["s"]

    def step():
        total = np.tanh(a @ M).sum()          # bulk arithmetic
        for _ in range(100):                  # per-call overhead
            total += np.tanh(s * 0.5 + 0.1).sum() * 1e-3
        return total
    return step
