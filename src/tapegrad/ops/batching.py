"""Batching: a rule runs once on a whole batch of (co)tangents.

Why: a full Jacobian is n vector products at the same primal point.  Pushed
through each rule together (vmap style, like JAX's batching interpreter), the
n products cost one NumPy call per rule instead of n; a 100x100 Jacobian goes
from 100 sweeps to one.

A batched value is a ``Batched``: an ndarray ``v`` whose leading axis runs
over the batch, which otherwise looks to a rule like one example (``shape``
and ``ndim`` are per example).  It mixes with unbatched values (the primal
values a node saved, constants), which are the same for every example.
``BATCH`` is the backend whose functions are the registry's public
functions on arrays: a primitive applied to a Batched operand runs its
entry's batching rule (``batch``: a rule, ``ELEMENTWISE`` or ``LOOP``), so the
rules of the registry run on batches unchanged.  What cannot be expressed on
a batch (``B.raw`` of a batched value, a custom Function's backward) raises
``Unbatchable``; the sweep runner then runs that one rule per example on
``NP``.

The seed, the identity, starts as a ``OneHot`` (example k is d[k] times the
k-th unit array), which elementwise rules keep in O(n) until one needs the
dense batch.
"""
import math

import numpy as np

from .._core import tape as _tape
from .._core.tape import Runner
from ._registry import ELEMENTWISE, LOOP
from .backend import NP, Backend, sum_to_shape


class Unbatchable(Exception):
    """A rule asked for something BATCH cannot do on a batched value."""


class Batched:
    """A batch of values of one per-example shape: ``v[k]`` is example k."""

    __slots__ = ("v",)
    __array_ufunc__ = None        # ndarray (op) Batched -> Batched's reflected op

    def __init__(self, v):
        self.v = v

    # -- for the batching rules of the registry (they get the class from
    #    their operands, so the op modules need not import this one) --
    @classmethod
    def wrap(cls, v):
        return Batched(v)

    def lifted(self, nd):
        """v with length-1 axes after the batch axis, up to nd per-example
        axes, so that it broadcasts against unbatched operands as one example
        would."""
        return _lift(self, nd)

    @staticmethod
    def size_of(args):
        return _batch_of(args)

    @staticmethod
    def spread(x, n):
        return _spread(x, n)

    @staticmethod
    def reshaped(x, shape):
        if type(x) is OneHot:
            return OneHot(np.reshape(x.d, shape))
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        return Batched(x.v.reshape(x.v.shape[:1] + shape))

    @staticmethod
    def astyped(x, dtype):
        if type(x) is OneHot:
            return OneHot(x.d.astype(dtype))
        return Batched(x.v.astype(dtype))

    @property
    def shape(self):
        return self.v.shape[1:]

    @property
    def ndim(self):
        return self.v.ndim - 1

    @property
    def dtype(self):
        return self.v.dtype

    @property
    def size(self):
        return int(np.prod(self.v.shape[1:], dtype=np.int64))

    def __array__(self, *args, **kwargs):
        # Code that is not batch-aware (a custom Function's backward, NumPy
        # called on a gradient) must fail, never see the batch as one value.
        raise Unbatchable("a batched value cannot become one array")

    def __repr__(self):
        return f"Batched({self.v.shape[0]} x {self.shape}, {self.dtype})"

    def __add__(self, o):
        if type(o) is OneHot and o.shape == self.shape:
            return _plus_onehot(self, o)
        return _binary(np.add, self, o)

    def __radd__(self, o):
        return _binary(np.add, o, self)

    def __sub__(self, o):
        return _binary(np.subtract, self, o)

    def __rsub__(self, o):
        return _binary(np.subtract, o, self)

    def __mul__(self, o):
        return _binary(np.multiply, self, o)

    def __rmul__(self, o):
        return _binary(np.multiply, o, self)

    def __truediv__(self, o):
        return _binary(np.true_divide, self, o)

    def __rtruediv__(self, o):
        return _binary(np.true_divide, o, self)

    def __pow__(self, o):
        return _binary(np.power, self, o)

    def __rpow__(self, o):
        return _binary(np.power, o, self)

    def __neg__(self):
        return Batched(-self.v)

    def __pos__(self):
        return self


class OneHot(Batched):
    """A batch whose example k is ``d.flat[k]`` times the k-th unit array of
    shape ``d.shape``: the identity seed, scaled elementwise.

    Why: a Jacobian's seed is the identity, and elementwise rules (the mul,
    exp, log... at either end of most functions) only scale it, so the batch
    stays O(n) instead of O(n^2); a matmul rule meeting it is a row scaling,
    not a GEMM.  The operations below keep the structure where that is exact
    (same zeros, same NaNs as the dense batch: operands must be finite);
    anything else reads ``.v``, the dense batch, materialized once."""

    __slots__ = ("d", "_v")

    def __init__(self, d):
        self.d = d
        self._v = None

    @property
    def v(self):
        if self._v is None:
            d = self.d
            n = d.size
            v = np.zeros((n, n), dtype=d.dtype)
            v.reshape(-1)[::n + 1] = d.reshape(-1)
            self._v = v.reshape((n,) + d.shape)
        return self._v

    @property
    def shape(self):
        return self.d.shape

    @property
    def ndim(self):
        return self.d.ndim

    @property
    def dtype(self):
        return self.d.dtype

    @property
    def size(self):
        return self.d.size

    def __repr__(self):
        return f"OneHot({self.d.size} x {self.shape}, {self.dtype})"

    def _scaled(self, c):
        """c, if d * c keeps example k at d_k c_k e_k: c is unbatched, finite
        and broadcasts to d's shape without growing it; else None."""
        if type(c) is float:
            return c if math.isfinite(c) else None
        if isinstance(c, Batched):
            return None
        c = np.asarray(c)
        d = self.d
        if c.shape != d.shape and (c.ndim > d.ndim
                                   or np.broadcast_shapes(c.shape, d.shape) != d.shape):
            return None
        return c if _finite(c) else None

    def __mul__(self, o):
        c = self._scaled(o)
        return OneHot(self.d * c) if c is not None else Batched.__mul__(self, o)

    def __rmul__(self, o):
        c = self._scaled(o)
        return OneHot(c * self.d) if c is not None else Batched.__rmul__(self, o)

    def __truediv__(self, o):
        c = self._scaled(o)
        if c is not None and (c != 0 if type(c) is float else (c != 0).all()):
            return OneHot(self.d / c)
        return Batched.__truediv__(self, o)

    def __neg__(self):
        return OneHot(-self.d)

    def __add__(self, o):
        if type(o) is OneHot and o.d.shape == self.d.shape:
            return OneHot(self.d + o.d)
        if isinstance(o, Batched) and o.shape == self.shape:
            return _plus_onehot(o, self)
        return Batched.__add__(self, o)

    # Python tries a subclass's reflected method first: dense + OneHot lands
    # here, not in Batched.__add__ (addition commutes exactly).
    __radd__ = __add__


def _finite(c):
    """Whether all of c is finite, in one pass with no temporary: its sum is
    (a sum that overflows only costs the OneHot structure, never a value)."""
    return math.isfinite(np.add.reduce(c, axis=None))


def _expanded(shape, axis):
    """np.expand_dims(empty(shape), axis).shape for an int axis."""
    a = int(axis) % (len(shape) + 1)
    return shape[:a] + (1,) + shape[a:]


def _plus_onehot(b, h):
    """b + h for a dense batch b and a OneHot h of the same per-example shape:
    one copy of b and a strided add on its diagonal."""
    n = h.d.size
    r = np.array(b.v, dtype=np.result_type(b.v.dtype, h.d.dtype), order="C")
    r.reshape(-1)[::n + 1] += h.d.reshape(-1)    # C order: reshapes are views
    return Batched(r)


def _lift(x, nd):
    """x.v with length-1 axes after the batch axis, up to nd per-example axes,
    so that it broadcasts against unbatched operands as one example would."""
    v = x.v
    extra = nd - (v.ndim - 1)
    if extra > 0:
        v = v.reshape(v.shape[:1] + (1,) * extra + v.shape[1:])
    return v


def _binary(fn, a, b):
    """fn(a, b) with one or both operands batched (the operators' path: the
    commonest case, same per-example rank or a lower-rank constant, needs no
    reshape)."""
    if isinstance(a, Batched):
        av = a.v
        if isinstance(b, Batched):
            bv = b.v
            if av.ndim != bv.ndim:
                nd = max(av.ndim, bv.ndim) - 1
                av, bv = _lift(a, nd), _lift(b, nd)
        else:
            bv = b
            if np.ndim(b) >= av.ndim:
                av = _lift(a, np.ndim(b))
    else:
        av, bv = a, b.v
        if np.ndim(a) >= bv.ndim:
            bv = _lift(b, np.ndim(a))
    return Batched(fn(av, bv))


def _ufunc(fn, *args):
    nd = max(np.ndim(a) if not isinstance(a, Batched) else a.v.ndim - 1 for a in args)
    return Batched(fn(*[_lift(a, nd) if isinstance(a, Batched) else a for a in args]))


def _ax(a):
    """A per-example axis as an axis of the batched array."""
    return a + 1 if a >= 0 else a


def _axes(axis, nd):
    """Per-example reduction axes (None: all) as axes of the batched array."""
    if axis is None:
        return tuple(range(1, nd + 1))
    if isinstance(axis, (int, np.integer)):
        return (int(axis) % nd + 1,) if nd else ()
    return tuple(int(a) % nd + 1 for a in axis)


def _batch_of(xs):
    for x in xs:
        if isinstance(x, Batched):
            return x.v.shape[0]
    return None


def _spread(x, n):
    """An unbatched value as a batch of n equal examples (a read-only view)."""
    if isinstance(x, Batched):
        return x.v
    x = np.asarray(x)
    return np.broadcast_to(x, (n,) + x.shape)


def _matmul(a, b):
    """a @ b with one or both operands batched, the batch axis first."""
    ba, bb = isinstance(a, Batched), isinstance(b, Batched)
    ad, bd = np.ndim(a) if not ba else a.ndim, np.ndim(b) if not bb else b.ndim
    if type(b) is OneHot and not ba and ad == 2 and bd <= 2 and b.size == b.shape[0] \
            and _finite(a):
        # a @ (d_j e_j) = d_j a[:, j]: a column scaling, no GEMM
        r = (a * b.d.reshape(-1)).T
        return Batched(r.reshape((r.shape[0],) + (r.shape[1],) + b.shape[1:]))
    if type(a) is OneHot and not bb and bd == 2 and ad <= 2 and a.size == a.shape[-1] \
            and _finite(b):
        # (d_j e_j) @ b = d_j b[j, :]: a row scaling
        r = a.d.reshape(-1, 1) * b
        return Batched(r.reshape((r.shape[0],) + a.shape[:-1] + (r.shape[1],)))
    # One GEMM for the whole batch where the batched side is one vector
    # per example, shaped (k,), (k, 1) or (1, k) as matmul's rules make
    # it, instead of a GEMV per example.  The constant side is made
    # C-contiguous: OpenBLAS took 91 us on a transposed 100x100 operand,
    # 39 us on a contiguous one (2 threads).
    if ba and not bb and bd <= 2:
        if ad == 1:                                    # (n, k) @ b
            return Batched(a.v @ np.ascontiguousarray(b))
        if bd == 2 and a.shape[-2] == 1:               # rows @ b
            r = a.v.reshape(-1, a.shape[-1]) @ np.ascontiguousarray(b)
            return Batched(r.reshape(a.v.shape[:-1] + (b.shape[-1],)))
    if bb and not ba and ad <= 2:
        if ad == 2 and b.v.ndim == 3 and b.v.shape[2] == 1:   # a @ columns: the
            return Batched((b.v[:, :, 0] @ np.ascontiguousarray(a.T))[:, :, None])  # vjp's case
        if bd == 1:                                    # a @ (n, k)^T
            return Batched(b.v @ (np.ascontiguousarray(a.T) if ad == 2 else a))
        if ad == 2 and b.shape[-1] == 1:               # a @ columns
            bt = np.swapaxes(b.v, -1, -2)
            r = bt.reshape(-1, bt.shape[-1]) @ np.ascontiguousarray(a.T)
            return Batched(np.swapaxes(r.reshape(bt.shape[:-1] + (a.shape[0],)), -1, -2))
    # General case, NumPy's promotion of 1-D operands done by hand so the
    # batch axis stays first: stacked matmul over the batch.
    av = a.v if ba else np.asarray(a)
    bv = b.v if bb else np.asarray(b)
    if ad == 1:
        av = np.expand_dims(av, -2)
    if bd == 1:
        bv = np.expand_dims(bv, -1)
    nd = max(ad, bd, 2)
    if ba:
        av = _lift(Batched(av), nd)
    if bb:
        bv = _lift(Batched(bv), nd)
    r = np.matmul(av, bv)
    if bd == 1:
        r = r[..., 0]
    if ad == 1:
        r = r[..., 0] if bd == 1 else r[..., 0, :]
    return Batched(r)

Batched.matmul = staticmethod(_matmul)


# ---- the backend ----------------------------------------------------------------
def _elementwise(prim, args, p):
    """An elementwise primitive on the whole batch: operands lifted to the
    same per-example rank, so NumPy broadcasts as it would per example."""
    nd = max(len(a.shape) if isinstance(a, Batched) else np.ndim(a) for a in args)
    for v in p.values():            # an array parameter (where's cond) broadcasts too
        if isinstance(v, np.ndarray):
            nd = max(nd, v.ndim)
    return Batched(prim.forward(*[_lift(a, nd) if isinstance(a, Batched) else a for a in args],
                                **p))


def _looped(prim, args, p):
    """A primitive without a batching rule (declared LOOP): once per example
    (a tuple of batches for a primitive with several outputs)."""
    n = _batch_of(args)
    rows = [prim.forward(*[a.v[k] if isinstance(a, Batched) else a for a in args], **p)
            for k in range(n)]
    if prim.nout != 1:
        return tuple(Batched(np.stack([np.asarray(r[j]) for r in rows]))
                     for j in range(prim.nout))
    return Batched(np.stack([np.asarray(r) for r in rows]))


def batch_rule(prim, args, p):
    """What the dispatch runs for a primitive with a Batched operand."""
    rule = prim.batch
    if rule == ELEMENTWISE:
        return _elementwise(prim, args, p)
    if rule == LOOP:
        return _looped(prim, args, p)
    return rule(args, p)


_tape.set_hooks(batched_type=Batched, batch=batch_rule)


class _BatchBackend(Backend):
    """Public functions on arrays and Batched values (see the module doc)."""

    native = True       # saved inputs reach rules as raw arrays, as on NP

    def __init__(self):
        super().__init__("batch", array_mode=True)

    @staticmethod
    def raw(x):
        if isinstance(x, Batched):
            raise Unbatchable("B.raw of a batched value")
        return x

    @staticmethod
    def sum_to(g, shape):
        if not isinstance(g, Batched):
            return NP.sum_to(np.asarray(g), shape)
        v = g.v
        axes = sum_to_shape(g.shape, shape)
        if axes:
            v = np.sum(v, axis=tuple(a + 1 for a in axes))
        return Batched(v.reshape(v.shape[:1] + tuple(shape)))

    @staticmethod
    def cast(g, dtype):
        if not isinstance(g, Batched):
            return g.astype(dtype)
        return Batched.astyped(g, dtype)


BATCH = _BatchBackend()


# ---- running rules on batches, one example at a time where BATCH cannot ----
def _stacked(rows):
    """Per-example results (None: zero) as one Batched, or None if all are None."""
    ref = next((r for r in rows if r is not None), None)
    if ref is None:
        return None
    ref = np.asarray(ref)
    return Batched(np.stack([np.zeros(ref.shape, ref.dtype) if r is None
                             else np.broadcast_to(np.asarray(r), ref.shape) for r in rows]))


class BatchRunner(Runner):
    """Sweep runner (see ``Tape.sweep``) for a sweep whose gradients are
    ``Batched``: each rule runs once on BATCH; a rule BATCH cannot run
    (``Unbatchable``: e.g. a custom Function's backward, which is not
    batch-aware) runs once per example on NP instead.  ``sum_to`` keeps the
    batch axis."""

    def __init__(self, n):
        self.n = n
        self.looped = 0          # rules run per example (read by the tests)

    def run_rule(self, tape, i, rec, g_outs, needs, B):
        try:
            return Runner.run_rule(self, tape, i, rec, g_outs, needs, BATCH)
        except Unbatchable:
            pass
        self.looped += 1
        rows = [Runner.run_rule(self, tape, i, rec,
                                [g.v[k] if isinstance(g, Batched) else g for g in g_outs],
                                needs, NP)
                for k in range(self.n)]
        return tuple(_stacked([r[j] for r in rows]) for j in range(len(needs)))

    def sum_to(self, g, shape, dtype, B):
        if not isinstance(g, Batched):
            # a rule that ignored the gradient: the same value for every example
            g = Batched(_spread(g, self.n))
        if g.shape != tuple(shape):
            g = BATCH.sum_to(g, shape)
        if g.dtype != dtype:
            g = BATCH.cast(g, dtype)
        return g


def batched_jvp(prim, ts, xs, out, p, n):
    """The tangent of ``prim``'s output for a batch of input tangents ``ts``
    (Batched or None) at primal arrays ``xs``/``out``: BATCH, or NP once per
    example for a rule BATCH cannot run.  None when the tangent is zero.  For
    a primitive with several outputs ``out`` is a tuple and so is the result
    (None for an output with zero tangent)."""
    multi = prim.nout != 1
    try:
        with np.errstate(all="ignore"):
            t = prim.jvp(BATCH, ts, xs, out, p)
        if t is None:
            return None
        # an output tangent independent of the tangents: the same for every example
        t = tuple(tk if tk is None or isinstance(tk, Batched) else Batched(_spread(tk, n))
                  for tk in (t if multi else (t,)))
    except Unbatchable:
        with np.errstate(all="ignore"):
            rows = [prim.jvp(NP, [s.v[k] if isinstance(s, Batched) else s for s in ts],
                             xs, out, p) for k in range(n)]
        if multi:
            t = tuple(_stacked([None if r is None else r[j] for r in rows])
                      for j in range(prim.nout))
        else:
            t = (_stacked(rows),)
    outs = out if multi else (out,)
    t = tuple(None if tk is None else _fit(tk, o) for tk, o in zip(t, outs))
    if multi:
        return None if all(tk is None for tk in t) else t
    return t[0]


def _fit(t, out):
    """A batched tangent with its output's per-example shape."""
    if t.shape != out.shape:
        t = BATCH.broadcast_to(t, out.shape)
    return t
