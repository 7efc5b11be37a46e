"""Exercise 8: when forward, when backward?

For f: R^n -> R^m, forward mode builds the Jacobian from n tangents (one per
input, each giving a column), reverse mode from m cotangents (one per output,
each giving a row) after one recorded evaluation, whose intermediate values
it must keep.  tapegrad pushes all of them through each operation at once,
as a batch: one pass either way, but a pass carrying n tangents or m
cotangents, so its cost grows with n (forward) or m (reverse).  Forward wins
for tall Jacobians (few inputs, many outputs), reverse for wide ones (many
inputs, few outputs: a loss and its parameters).  Forward mode also needs no
stored graph.

The function below has a wide hidden layer of elementwise work, where the
batch width shows: 4 tangents against 300 cotangents per hidden unit.

    python examples/ex8_when_forward_when_backward.py
"""
import time
from collections.abc import Callable

import numpy as np

import tapegrad as tg

HIDDEN = 2000


def timed(fn: Callable[..., tg.Tensor], *args: tg.Tensor,
          repeat: int = 3) -> tuple[float, tg.Tensor]:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    rng = np.random.default_rng(0)
    for kind, n, m in [("tall", 4, 300), ("wide", 300, 4)]:
        W1 = tg.array(rng.normal(size=(HIDDEN, n)) / np.sqrt(n))
        W2 = tg.array(rng.normal(size=(m, HIDDEN)) / np.sqrt(HIDDEN))

        def f(x: tg.Tensor) -> tg.Tensor:
            h = tg.tanh(tg.matmul(W1, x))
            return tg.matmul(W2, h * h + tg.sin(h))

        x = tg.array(rng.normal(size=n))
        t_fwd, J_fwd = timed(tg.jacobian(f, mode="fwd"), x)
        t_rev, J_rev = timed(tg.jacobian(f, mode="rev"), x)
        same = bool(np.allclose(J_fwd.asnumpy(), J_rev.asnumpy()))
        faster = "forward" if t_fwd < t_rev else "reverse"
        print(f"{kind}: f: R^{n} -> R^{m}, Jacobian {J_fwd.shape}: forward {n} tangents "
              f"{t_fwd * 1e3:.1f} ms, reverse {m} cotangents {t_rev * 1e3:.1f} ms -> {faster} "
              f"is faster ({max(t_fwd, t_rev) / min(t_fwd, t_rev):.0f}x); same Jacobian: {same}")
    print("rule: forward mode when inputs are few (n << m), reverse mode when outputs "
          "are few (m << n), e.g. gradients of a scalar loss")


if __name__ == "__main__":
    main()
