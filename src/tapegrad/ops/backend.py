"""The backends a rule runs on, derived from the registry.

A rule calls ``B.<name>`` with NumPy's names and signatures (``B.sum(g,
axis, keepdims)``, ``B.matmul(a, b)``, ``B.exp(x)``) plus a few helpers
(``raw``, ``const``, ``sum_to``, ``cast``, ``bind``, ``native``).  Each
backend resolves a name from the registry the first time it is used:

* ``NP``: on raw arrays, for the ordinary backward sweep.  An entry's NumPy
  function when it has one (``np.sum``), else its public function run in
  *array mode* (operands and result stay arrays).
* ``TG``: the public functions themselves, on tensors: what a rule computes
  is recorded and carries tangents (create_graph, Hessians, forward mode).
* ``BATCH`` (ops/batching.py): the public functions in array mode, where a
  Batched operand runs the entry's batching rule.

This module also pushes forward-mode tangents (the dispatch calls
``push_tangents`` when a ``tg.jvp`` level is open).
"""
import numpy as np

from .. import errors
from .._core import tape as _tape
from .._core.tape import TensorBase, call_array_mode, wrap
from ._registry import REGISTRY


def sum_to_shape(gshape, shape):
    """The axes to sum so that gshape reduces to shape (keepdims for 1s)."""
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise errors.ShapeError(f"cannot sum a gradient of shape {gshape} to shape {shape}")
    axes = list(range(lead))
    for i, n in enumerate(shape):
        if n == 1 and gshape[lead + i] != 1:
            axes.append(lead + i)
    return tuple(axes)


class Backend:
    """A namespace of the registry's functions; see the module doc."""

    native = True

    def __init__(self, name, array_mode):
        self._name = name
        self._array_mode = array_mode

    def __repr__(self):
        return f"<backend {self._name}>"

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        fn = self._resolve(name)
        setattr(self, name, fn)          # the next lookup finds it directly
        return fn

    def _resolve(self, name):
        entry = REGISTRY.get(name)
        if entry is None or getattr(entry, "public", None) is None:
            raise AttributeError(f"backend {self._name} has no function {name!r} (not in the "
                                 f"op registry)")
        if not self._array_mode:
            return entry.public
        numpy = getattr(entry, "numpy", None)
        if numpy is not None and self._name == "numpy":
            return numpy
        public = entry.public

        def in_array_mode(*args, **kw):
            return call_array_mode(public, args, kw)
        in_array_mode.__name__ = name
        return in_array_mode

    @staticmethod
    def const(a):
        return a

    def bind(self, prim, *args, **p):
        if self._array_mode:
            return call_array_mode(prim, args, p)
        return prim(*args, **p)


class _NP(Backend):
    native = True

    def __init__(self):
        super().__init__("numpy", array_mode=True)

    @staticmethod
    def raw(x):
        return x

    @staticmethod
    def sum_to(g, shape):
        axes = sum_to_shape(g.shape, shape)
        if axes:
            g = np.sum(g, axis=axes)
        return g.reshape(shape)

    @staticmethod
    def cast(g, dtype):
        return g.astype(dtype)


class _TG(Backend):
    native = False

    def __init__(self):
        super().__init__("tapegrad", array_mode=False)

    @staticmethod
    def raw(x):
        d = getattr(x, "_data", None)
        return d if d is not None else np.asarray(x)

    def sum_to(self, g, shape):
        axes = sum_to_shape(g.shape, shape)
        if axes:
            g = self.sum(g, axes)
        return self.reshape(g, shape) if g.shape != tuple(shape) else g

    def cast(self, g, dtype):
        return REGISTRY["cast"].public(g, dtype)


NP = _NP()
TG = _TG()
_tape.set_backends(NP, TG)


# ---- forward mode: tangents pushed by each primitive's jvp rule ------------------
def rule_operand(a, dtype):
    """A forward-mode rule's view of an operand: a Python number becomes an
    array of the result's dtype, as the reverse sweep saves it (it was a weak
    scalar to the forward); anything else as it is."""
    if type(a) is float or type(a) is int:
        return np.asarray(a, dtype=dtype)
    return a


def push_tangents(prim, args, p, res):
    """Give ``res`` (a tensor, or a tuple of them for a primitive with several
    outputs, whose jvp rule then returns a tuple with None for an output with
    zero tangent) the tangent of every open level its operands carry."""
    st = _tape.get_state()
    levels = set()
    for a in args:
        if isinstance(a, TensorBase) and a._tangents:
            levels.update(L for L in a._tangents if L <= st.max_level and L in st.open_levels)
    if not levels:
        return
    multi = isinstance(res, tuple)
    outs = res if multi else (res,)
    dtype = outs[0]._data.dtype
    args = tuple(rule_operand(a, dtype) for a in args)
    # Outer levels first: an inner level's rule may read the output (exp from
    # exp(x)), which must already carry the outer levels' tangents.
    for L in sorted(levels):
        ts = [a._tangents.get(L) if isinstance(a, TensorBase) and a._tangents else None
              for a in args]
        saved = st.max_level
        st.max_level = L - 1      # the tangent's own computation carries only outer levels
        try:
            t = prim.jvp(TG, ts, args, res, p)
        finally:
            st.max_level = saved
        if t is None:
            continue
        for o, to in zip(outs, t if multi else (t,)):
            if to is None:
                continue
            if not isinstance(to, TensorBase):
                to = wrap(np.asarray(to, dtype=o._data.dtype))
            if to.shape != o.shape:
                to = TG.broadcast_to(to, o.shape)
            if o._tangents is None:
                o._tangents = {}
            o._tangents[L] = to


_tape.set_hooks(tangents=push_tangents)
