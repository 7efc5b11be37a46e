"""Exercise 8: when forward, when backward?

For f: R^n -> R^m, forward mode builds the Jacobian one column per pass (n
passes), reverse mode one row per sweep (m sweeps, after one recorded
evaluation, whose intermediate values it must keep).  So forward wins for
tall Jacobians (few inputs, many outputs), reverse for wide ones (many
inputs, few outputs: a loss and its parameters).  Forward passes are also
independent of each other (parallel), and need no stored graph.

    python examples/ex8_when_forward_when_backward.py
"""
import time

import numpy as np

import tapegrad as tg


def timed(fn, *args, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    rng = np.random.default_rng(0)
    for kind, n, m in [("tall", 4, 300), ("wide", 300, 4)]:
        W = tg.array(rng.normal(size=(m, n)) / np.sqrt(n))

        def f(x):
            h = tg.tanh(tg.matmul(W, x))
            return h * h + tg.sin(h)

        x = tg.array(rng.normal(size=n))
        t_fwd, J_fwd = timed(tg.jacobian(f, mode="fwd"), x)
        t_rev, J_rev = timed(tg.jacobian(f, mode="rev"), x)
        same = bool(np.allclose(J_fwd.asnumpy(), J_rev.asnumpy()))
        faster = "forward" if t_fwd < t_rev else "reverse"
        print(f"{kind}: f: R^{n} -> R^{m}, Jacobian {J_fwd.shape}: forward {n} passes "
              f"{t_fwd * 1e3:.1f} ms, reverse {m} sweeps {t_rev * 1e3:.1f} ms -> {faster} "
              f"is faster ({max(t_fwd, t_rev) / min(t_fwd, t_rev):.0f}x); same Jacobian: {same}")
    print("rule: forward mode when inputs are few (n << m), reverse mode when outputs "
          "are few (m << n), e.g. gradients of a scalar loss")


if __name__ == "__main__":
    main()
