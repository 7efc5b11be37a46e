"""matmul (NumPy semantics, including 1-D operands and batch broadcasting);
outer built on it (dot and the other contractions: ops/contractions.py).

The reverse rule promotes 1-D operands the way matmul does and leaves batch
broadcasting to the engine.  The batching rule keeps the batch axis first
(with the one-vector-per-example cases as one GEMM: see ops/batching.py).
"""
import numpy as np

from .. import errors
from .._core.tape import TensorBase, is_batched
from ._registry import REGISTRY, arg, composite, multilinear_jvp, primitive


def _mT(B, x):
    return B.swapaxes(x, -1, -2)


def _matmul_vjp(B, g, xs, out, p, needs):
    a, b = xs
    ga = gb = None
    if a.ndim == 1 and b.ndim == 1:          # inner product: g is 0-d
        return (g * b if needs[0] else None, g * a if needs[1] else None)
    if a.ndim == 1:                           # (k,) @ (..., k, n) -> (..., n)
        if needs[0]:
            # b g, one matrix-vector product when b is a matrix
            ga = (B.matmul(b, g) if b.ndim == 2
                  else B.squeeze(B.matmul(b, B.expand_dims(g, -1)), -1))
        if needs[1]:
            gb = B.expand_dims(a, -1) * B.expand_dims(g, -2)
    elif b.ndim == 1:                         # (..., m, k) @ (k,) -> (..., m)
        if needs[0]:
            ga = B.expand_dims(g, -1) * b
        if needs[1]:
            # a^T g, as g a (no transpose, no reshapes) when a is a matrix
            gb = (B.matmul(g, a) if a.ndim == 2
                  else B.squeeze(B.matmul(_mT(B, a), B.expand_dims(g, -1)), -1))
    else:
        if needs[0]:
            ga = B.matmul(g, _mT(B, b))
        if needs[1]:
            gb = B.matmul(_mT(B, a), g)
    return ga, gb


_matmul_jvp = multilinear_jvp(lambda B, ops, p: B.matmul(*ops))


def _matmul_batch(args, p):
    a, b = args
    bt = type(a) if is_batched(a) else type(b)
    return bt.matmul(a, b)


def _operands(a, b):
    a = a if isinstance(a, TensorBase) or is_batched(a) else arg(a)
    b = b if isinstance(b, TensorBase) or is_batched(b) else arg(b)
    return a, b


def matmul(a, b):
    """NumPy's matmul (the ``@`` operator): 1-D operands are promoted and
    the result squeezed as NumPy does; leading axes broadcast."""
    a, b = _operands(a, b)
    sa, sb = tuple(a.shape), tuple(b.shape)
    if len(sa) == 0 or len(sb) == 0:
        raise errors.ShapeError(
            f"matmul: operands must have at least one dimension, got shapes {sa} and "
            f"{sb}; use * for scalars.")
    if sa[-1] != sb[-2 if len(sb) > 1 else 0]:
        raise errors.ShapeError(
            f"matmul: shapes {sa} and {sb} do not align (inner dimensions "
            f"{sa[-1]} != {sb[-2 if len(sb) > 1 else 0]}).")
    return REGISTRY["matmul"](a, b)


primitive("matmul", np.matmul, _matmul_vjp, _matmul_jvp, nin=2,
          saves=(0, 1), label="{0} @ {1}", batch=_matmul_batch, public=matmul, method=True,
          operator="matmul", kernel=True)


@composite("outer", method=True)
def outer(a, b):
    """The outer product of two vectors (flattened, as NumPy's outer)."""
    a, b = _operands(a, b)
    reshape = REGISTRY["reshape"].public
    return REGISTRY["multiply"].public(reshape(a, (-1, 1)), reshape(b, (1, -1)))
