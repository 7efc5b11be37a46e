"""The op table: one Primitive per differentiable operation.

Why one record holds everything: forward, the reverse rule, the forward-mode
rule, what the node saves, the native kernel and the trace label of an op
sit together, so adding or auditing an op touches one place.  Rules are
written against a backend ``B`` (``ops.backend.NP`` on raw arrays for the
ordinary sweep, ``ops.backend.TG`` on tensors for create_graph and forward
mode), so each formula is written once and serves both.

Rule signatures (``xs``: the inputs as saved, or a ``Meta`` with only
``shape``/``dtype``/``ndim`` for inputs the op does not save; ``out``: the
output, or None when not saved; ``p``: the op's parameters)::

    vjp(B, g, xs, out, p, needs) -> one gradient (or None) per input,
                                    in the output's broadcast shape
    jvp(B, ts, xs, out, p)       -> tangent of the output; ts[i] is None
                                    for an input with zero tangent

The engine sums each input gradient back to that input's shape (the only
place broadcasting is undone) and casts it to the input's dtype.
"""
import numpy as np

from .._core.tape import Meta  # noqa: F401  (shape/dtype of an unsaved input)
# An entry's fields: name, forward/vjp/jvp rules, nin (-1: variadic), saves
# (indices of the inputs the rules read), save_out (whether they read the
# output), kernel (name in _core.kernels.KERNEL_IDS, or None), label, linear,
# elementwise, doc, partials, code (index in BY_CODE).  A C type: see tape.pyx.
from .._core.tape import Primitive  # noqa: F401

REGISTRY = {}
BY_CODE = []


def register(prim):
    if prim.name in REGISTRY:
        raise ValueError(f"primitive {prim.name!r} registered twice")
    for field in ("forward", "vjp", "jvp"):
        if not callable(getattr(prim, field)):
            raise TypeError(f"primitive {prim.name!r} has no {field} rule")
    prim.code = len(BY_CODE)
    BY_CODE.append(prim)
    REGISTRY[prim.name] = prim
    return prim


def _mul_opt(B, g, d):
    """g * d, where d may be the Python number 1 or -1."""
    if d is ONE:
        return g
    if d is MINUS_ONE:
        return -g
    return g * d


ONE = object()
MINUS_ONE = object()


def elementwise(name, forward, partials, nin=1, saves=(0,), save_out=False, kernel=None,
                label=None, linear=False, doc=""):
    """An elementwise op from its local partial derivatives.

    ``partials[i](B, xs, out, p)`` is d out / d xs[i] elementwise; the same
    function serves the reverse rule (g * d) and forward mode (t * d).
    Return ``ONE``/``MINUS_ONE`` for the constant partials of linear ops.
    """

    def vjp(B, g, xs, out, p, needs):
        return tuple(_mul_opt(B, g, partials[i](B, xs, out, p)) if needs[i] else None
                     for i in range(nin))

    def jvp(B, ts, xs, out, p):
        acc = None
        for i in range(nin):
            if ts[i] is None:
                continue
            term = _mul_opt(B, ts[i], partials[i](B, xs, out, p))
            acc = term if acc is None else acc + term
        if acc is not None and acc.shape != out_shape(xs, out):
            acc = B.broadcast_to(acc, out_shape(xs, out))
        return acc

    prim = Primitive(name, forward, vjp, jvp, nin=nin, saves=saves, save_out=save_out,
                     kernel=kernel, label=label, linear=linear, elementwise=True, doc=doc)
    prim.partials = tuple(partials)
    return register(prim)


def out_shape(xs, out):
    if out is not None:
        return out.shape
    return np.broadcast_shapes(*[x.shape for x in xs])
