"""matmul (NumPy semantics, including 1-D operands and batch broadcasting).

dot and outer are built on it (functions.py).  The reverse rule promotes 1-D
operands the way matmul does and leaves batch broadcasting to the engine.
"""
import numpy as np

from ._registry import Primitive, register


def _mT(B, x):
    return B.swapaxes(x, -1, -2)


def _matmul_vjp(B, g, xs, out, p, needs):
    a, b = xs
    ga = gb = None
    if a.ndim == 1 and b.ndim == 1:          # inner product: g is 0-d
        return (g * b if needs[0] else None, g * a if needs[1] else None)
    if a.ndim == 1:                           # (k,) @ (..., k, n) -> (..., n)
        if needs[0]:
            ga = B.squeeze(B.matmul(b, B.expand_dims(g, -1)), -1)
        if needs[1]:
            gb = B.expand_dims(a, -1) * B.expand_dims(g, -2)
    elif b.ndim == 1:                         # (..., m, k) @ (k,) -> (..., m)
        if needs[0]:
            ga = B.expand_dims(g, -1) * b
        if needs[1]:
            gb = B.squeeze(B.matmul(_mT(B, a), B.expand_dims(g, -1)), -1)
    else:
        if needs[0]:
            ga = B.matmul(g, _mT(B, b))
        if needs[1]:
            gb = B.matmul(_mT(B, a), g)
    return ga, gb


def _matmul_jvp(B, ts, xs, out, p):
    a, b = xs
    acc = None
    if ts[0] is not None:
        acc = B.matmul(ts[0], b)
    if ts[1] is not None:
        term = B.matmul(a, ts[1])
        acc = term if acc is None else acc + term
    return acc


MATMUL = register(Primitive("matmul", lambda a, b: np.matmul(a, b), _matmul_vjp, _matmul_jvp,
                            nin=2, saves=(0, 1), label="{0} @ {1}"))
