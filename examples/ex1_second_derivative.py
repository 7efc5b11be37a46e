"""Exercise 1: why is the second derivative much more expensive than the first?

The first derivative is one reverse sweep over the recorded graph of f.  For
the second, that sweep itself has to be recorded (create_graph=True) and then
differentiated: the graph of f' holds f's graph *plus* one or more nodes per
node of f (each op's derivative rule), and a full Hessian of f: R^n -> R takes
one sweep of that bigger graph per input.

    python examples/ex1_second_derivative.py
"""
import math
import time

import numpy as np

import tapegrad as tg
from tapegrad import autograd


def f(x: tg.Tensor) -> tg.Tensor:
    return x ** 3 * tg.sin(x)


def recorded_nodes(y: tg.Tensor) -> int:
    """The nodes on the tape y was recorded on (a peek at the internals)."""
    assert y._tape is not None, "y was not recorded"
    return y._tape.num_nodes


def main() -> None:
    x0 = 1.5
    d1 = tg.grad(f)(x0).item()
    d2 = tg.grad(tg.grad(f))(x0).item()
    d1_exact = 3 * x0 ** 2 * math.sin(x0) + x0 ** 3 * math.cos(x0)
    d2_exact = 6 * x0 * math.sin(x0) + 6 * x0 ** 2 * math.cos(x0) - x0 ** 3 * math.sin(x0)
    print(f"f(x) = x^3 sin(x) at x = {x0}")
    print(f"  f'(x)  = {d1:.10f}   closed form {d1_exact:.10f}")
    print(f"  f''(x) = {d2:.10f}   closed form {d2_exact:.10f}")
    print(f"  both match: {abs(d1 - d1_exact) < 1e-10 and abs(d2 - d2_exact) < 1e-10}")

    # How big are the graphs?  Count the nodes recorded on the tape.
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        y = f(x)
    n_f = recorded_nodes(y)
    with autograd.record():
        y = f(x)
        g, = autograd.grad(y, [x], create_graph=True)
    n_fg = recorded_nodes(g)
    print(f"recorded nodes: f alone {n_f}; f plus its recorded derivative {n_fg} "
          f"({n_fg / n_f:.1f}x): the second derivative sweeps this bigger graph")

    # A whole Hessian of f: R^n -> R costs n sweeps of the gradient's graph.
    n = 60
    rng = np.random.default_rng(0)
    A = tg.array(rng.normal(size=(n, n)) / n)

    def loss(v: tg.Tensor) -> tg.Tensor:
        return tg.log(1 + tg.exp(tg.matmul(A, v))).sum() + (v ** 4).sum()

    v = tg.array(rng.normal(size=n))
    t0 = time.perf_counter()
    for _ in range(5):
        tg.grad(loss)(v)
    t_grad = (time.perf_counter() - t0) / 5
    t0 = time.perf_counter()
    H = tg.hessian(loss)(v)
    t_hess = time.perf_counter() - t0
    print(f"n = {n}: gradient {t_grad * 1e3:.2f} ms, Hessian {t_hess * 1e3:.1f} ms "
          f"({t_hess / t_grad:.0f}x; Hessian shape {H.shape}, symmetric: "
          f"{bool(np.allclose(H.asnumpy(), H.asnumpy().T))})")


if __name__ == "__main__":
    main()
