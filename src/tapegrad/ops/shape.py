"""Shape and indexing primitives.  All linear: each forward rule applies the
op itself to the tangent, each reverse rule applies the transposed op
(reshape <-> reshape, getitem <-> index_add, concatenate <-> slices)."""
import numpy as np

from ._registry import Primitive, register


def _linear(name, forward, vjp, label, nin=1, jvp=None):
    if jvp is None:
        def jvp(B, ts, xs, out, p):
            return B.apply(REG[name], ts[0], **p)
    prim = register(Primitive(name, forward, vjp, jvp, nin=nin, linear=True, label=label))
    REG[name] = prim
    return prim


REG = {}

RESHAPE = _linear(
    "reshape", lambda x, shape: np.reshape(x, shape),
    lambda B, g, xs, out, p, needs: (B.reshape(g, xs[0].shape),), "reshape({0})")

TRANSPOSE = _linear(
    "transpose", lambda x, axes: np.transpose(x, axes),
    lambda B, g, xs, out, p, needs: (B.transpose(g, None if p["axes"] is None
                                                  else tuple(np.argsort(p["axes"]))),),
    "{0}^T")

BROADCAST_TO = _linear(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
    # The engine sums the gradient back to the input's shape.
    lambda B, g, xs, out, p, needs: (g,), "broadcast({0})")


def _index_forward(x, idx):
    out = x[idx]
    # A view would alias x's buffer: in-place writes to either must not leak.
    return out.copy() if isinstance(out, np.ndarray) else np.asarray(out)


GETITEM = _linear(
    "getitem", _index_forward,
    lambda B, g, xs, out, p, needs: (B.index_add(g, p["idx"], xs[0].shape),),
    "{0}[...]")


def _index_add_forward(g, idx, shape):
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, idx, g)   # repeated indices add up
    return out


INDEX_ADD = _linear(
    "index_add", _index_add_forward,
    lambda B, g, xs, out, p, needs: (B.getitem(g, p["idx"]),),
    "scatter({0})")


# ---- variadic: concatenate and stack ---------------------------------------
def _concat_vjp(B, g, xs, out, p, needs):
    axis = p["axis"] % g.ndim
    grads, start = [], 0
    for x, need in zip(xs, needs):
        stop = start + x.shape[axis]
        idx = (slice(None),) * axis + (slice(start, stop),)
        grads.append(B.getitem(g, idx) if need else None)
        start = stop
    return tuple(grads)


def _fill_zeros(B, ts, xs):
    return [t if t is not None else B.const(np.zeros(x.shape, x.dtype)) for t, x in zip(ts, xs)]


CONCATENATE = register(Primitive(
    "concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis), _concat_vjp,
    lambda B, ts, xs, out, p: B.concatenate(_fill_zeros(B, ts, xs), p["axis"]),
    nin=-1, linear=True, label="concat({0})"))


def _stack_vjp(B, g, xs, out, p, needs):
    axis = p["axis"] % g.ndim
    return tuple(B.getitem(g, (slice(None),) * axis + (i,)) if need else None
                 for i, need in enumerate(needs))


STACK = register(Primitive(
    "stack", lambda *xs, axis: np.stack(xs, axis=axis), _stack_vjp,
    lambda B, ts, xs, out, p: B.stack(_fill_zeros(B, ts, xs), p["axis"]),
    nin=-1, linear=True, label="stack({0})"))


# ---- dtype cast: what promotion between float32 and float64 records -------
CAST = _linear(
    "cast", lambda x, dtype: x.astype(dtype),
    lambda B, g, xs, out, p, needs: (B.apply(REG["cast"], g, dtype=xs[0].dtype),),
    "{0}")
