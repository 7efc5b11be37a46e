"""Elementwise primitives: one entry each, forward next to its derivative.

Each entry's partials (``lambda B, xs, y, p``) are the local derivative
d out / d input, written in backend ops so they serve the reverse rule,
create_graph and forward mode alike.  An entry with ``kernel=True`` also
has a row in csrc/tg_kernels.def, the same derivative as one fused C pass
(and the 0-d forward and backward on C numbers); a test checks they agree.
Masks (relu, abs, clip, maximum) are constants: their derivative is zero.
"""
import numpy as np

from .. import errors
from .._core.arrays import to_array
from .._core.kernels import KERNELS, SplitUfunc, unary_fwd
from .._core.tape import TensorBase, call1, is_batched
from ._registry import (ELEMENTWISE, MINUS_ONE, ONE, REGISTRY, arg, elementwise, primitive,
                        public_entries)


# ---- forwards ----------------------------------------------------------------
def _native(name, numpy_fn):
    """Array forward through the kernel row's loop (csrc/tg_kernels.def rows
    with fwd_loop 1: measured faster than NumPy's, or NumPy has none), NumPy
    for what the loop does not take (other dtypes, non-contiguous)."""
    kid = KERNELS[name].id

    def forward(x):
        y = unary_fwd(kid, x)
        return numpy_fn(x) if y is None else y

    forward.__name__ = name
    forward.numpy = numpy_fn
    return forward


def _split(ufunc):
    """Forward through NumPy's own loop for ``ufunc``, split over the cores
    when an operand is big (kernels.SplitUfunc, in C: the dispatch calls it
    on every op)."""
    return SplitUfunc(ufunc)


def _c(B, arr):
    return B.const(arr)


# ---- the public functions of elementwise entries ------------------------------
def _unary_public(name):
    prim = []                   # filled in once the entry exists

    def f(x):
        return call1(prim[0], x)
    f.__doc__ = f"Elementwise {name}, recorded and differentiable (NumPy's ``{name}``)."
    f.prim = prim
    return f


def _operands(a, b):
    """Tensor operands stay; Python numbers stay numbers (NumPy's weak
    scalars: the result keeps the tensor's dtype), as do NumPy scalars; arrays
    keep their dtype, so NumPy's promotion applies."""
    ta, tb = isinstance(a, TensorBase) or is_batched(a), isinstance(b, TensorBase) or is_batched(b)
    if ta and tb:
        return a, b
    if not ta and not tb:
        a = arg(a)
        ta = True
    ref = a if ta else b
    if ta:
        return a, _const(b, ref)
    return _const(a, ref), b


def _const(x, ref):
    if type(x) is float or type(x) is int:
        return x
    if isinstance(x, (bool, int, float, np.number)) and not isinstance(x, np.ndarray):
        if isinstance(x, complex) or np.iscomplexobj(x):
            raise errors.DTypeError(f"complex operand {x!r}: tapegrad tensors are real")
        dt = ref._data.dtype if isinstance(ref, TensorBase) else ref.dtype
        return np.asarray(x, dtype=dt)
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "fbiu":
            raise errors.DTypeError(f"cannot combine a tensor with an array of dtype {x.dtype}")
        return x
    return arg(x)       # lists holding tensors are stacked (recorded), not made constants


def _check_broadcast(name, a, b):
    sa, sb = np.shape(a) if not hasattr(a, "shape") else a.shape, \
        np.shape(b) if not hasattr(b, "shape") else b.shape
    if sa != sb and sa and sb:
        try:
            np.broadcast_shapes(sa, sb)
        except ValueError:
            raise errors.ShapeError(
                f"{name}: operands of shapes {sa} and {sb} do not broadcast together "
                f"({getattr(a, 'dtype', '')}, {getattr(b, 'dtype', '')}); reshape one of them "
                f"(e.g. expand_dims) so trailing dimensions match or are 1.") from None


def _binary_public(name):
    prim = []                   # filled in once the entry exists

    def f(a, b):
        a, b = _operands(a, b)
        try:
            return prim[0](a, b)
        except ValueError:
            _check_broadcast(name, a, b)    # a clearer error when that is the cause
            raise
    f.prim = prim
    f.__doc__ = (f"Elementwise {name} of two operands (tensors, arrays or numbers), "
                 f"broadcast as NumPy does; recorded and differentiable.")
    return f


def unary(name, forward, d, saves="x", public=True, method=True, **kw):
    """An elementwise unary entry: ``d(B, x, y)`` its local derivative."""
    f = _unary_public(name) if public else None
    prim = elementwise(name, forward, [lambda B, xs, y, p: d(B, xs[0], y)], saves=saves,
                       public=f, method=method if public else None, **kw)
    if f is not None:
        f.prim.append(prim)
    return prim


def binary(name, forward, da, db, saves="ab", **kw):
    """An elementwise binary entry: ``da(B, a, b, y)``, ``db(...)`` its partials."""
    f = _binary_public(name)
    prim = elementwise(name, forward,
                       [lambda B, xs, y, p: da(B, xs[0], xs[1], y),
                        lambda B, xs, y, p: db(B, xs[0], xs[1], y)],
                       nin=2, saves=saves, public=f, **kw)
    f.prim.append(prim)
    return prim


# ---- unary ---------------------------------------------------------------------
unary("negative", _native("negative", np.negative), lambda B, x, y: MINUS_ONE, saves="", kernel=True,
      label="-{0}", linear=True, operator="neg", method=None, dlabels=("-1",))
unary("copy", _native("copy", np.copy), lambda B, x, y: ONE, saves="", kernel=True,
      label="{0}", linear=True, dlabels=("1",), fold="always")
unary("exp", _split(np.exp), lambda B, x, y: y, saves="y", kernel=True, grammar=True,
      dlabels=("{y}",), latex="\\exp")
unary("log", _split(np.log), lambda B, x, y: 1.0 / x, kernel=True, label="ln({0})",
      grammar=("ln", "log"), dlabels=("1/{0}",), latex="\\ln")
# On raw arrays the partials use the same C sin/cos as the forward and the
# fused gradient kernel, so every path gives the same bits.
_sin = _native("sin", np.sin)
_cos = _native("cos", np.cos)
unary("sin", _sin, lambda B, x, y: _cos(x) if B.native and type(x) is np.ndarray else B.cos(x),
      kernel=True, grammar=True, dlabels=("cos({0})",), latex="\\sin")
unary("cos", _cos, lambda B, x, y: -_sin(x) if B.native and type(x) is np.ndarray else -B.sin(x),
      kernel=True, grammar=True, dlabels=("-sin({0})",), latex="\\cos")
unary("tan", _split(np.tan), lambda B, x, y: 1.0 + y * y, saves="y", kernel=True, grammar=True,
      dlabels=("(1 + {y}^2)",), latex="\\tan")
unary("tanh", _split(np.tanh), lambda B, x, y: 1.0 - y * y, saves="y", kernel=True, grammar=True,
      dlabels=("(1 - {y}^2)",), latex="\\tanh")
unary("sqrt", _split(np.sqrt), lambda B, x, y: 0.5 / y, saves="y", kernel=True, grammar=True,
      dlabels=("1/(2 * {y})",), latex="\\sqrt")
unary("square", _native("square", np.square), lambda B, x, y: 2.0 * x, kernel=True,
      label="{0}^2", dlabels=("2 * {0}",))
unary("abs", np.abs, lambda B, x, y: _c(B, np.sign(np.nan_to_num(B.raw(x)))), kernel=True,
      label="|{0}|", operator="abs", dlabels=("sign({0})",), numpy=np.abs)
# sigma(x) sigma(-x): no cancellation in either tail (y (1 - y) is 0 for
# x > 37 in float64, where the derivative is e^-x)
unary("sigmoid", _native("sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x))),
      lambda B, x, y: y * B.sigmoid(-x), saves="xy", kernel=True, grammar=True,
      dlabels=("{y} * (1 - {y})",), latex="\\sigma",
      doc="""Elementwise logistic sigmoid 1 / (1 + exp(-x)), computed without
    overflow or cancellation in either tail (sigmoid(-20) in float32 is
    2.06e-9, not 0), so ``log(sigmoid(x))`` is finite with gradient
    1 - sigmoid(x).  The derivative sigma(x) sigma(-x) is relatively accurate
    everywhere (also for x > 0, where y (1 - y) cancels).  For softplus
    log(1 + exp(x)) at any x write ``tg.maximum(x, 0) + tg.log1p(tg.exp(-tg.abs(x)))``.""")
unary("relu", _native("relu", lambda x: np.maximum(x, 0).astype(x.dtype, copy=False)),
      lambda B, x, y: _c(B, (B.raw(x) > 0).astype(B.raw(x).dtype)), kernel=True)


# ---- clip: a mask, with bounds as parameters -----------------------------------------
def _clip_forward(x, lo, hi):
    return np.clip(x, lo, hi).astype(x.dtype, copy=False)


def _clip_mask(B, xs, y, p):
    x = B.raw(xs[0])
    lo = -np.inf if p["lo"] is None else p["lo"]
    hi = np.inf if p["hi"] is None else p["hi"]
    return _c(B, ((x >= lo) & (x <= hi)).astype(x.dtype))


def _bound(b):
    """A clip bound: a number or an array (constants); a tensor's values, or
    TypeError when it is being differentiated (clip has no gradient for its
    bounds: tg.minimum(tg.maximum(x, lo), hi) has)."""
    if isinstance(b, (int, float)):
        return float(b)
    if isinstance(b, TensorBase):
        if b._leaf or b._tape is not None or b._tangents:
            raise errors.NotDifferentiableError(
                "clip: its bounds are constants, and this one is a tensor being "
                "differentiated; use tg.minimum(tg.maximum(x, lo), hi) for bounds with a "
                "gradient.")
        return b._data
    return b


def clip(x, a_min=None, a_max=None):
    """Clip to [a_min, a_max]; the gradient passes on the closed interval."""
    lo, hi = _bound(a_min), _bound(a_max)
    x = x if isinstance(x, TensorBase) else arg(x)
    return REGISTRY["clip"](x, lo=lo, hi=hi)


elementwise("clip", _clip_forward, [_clip_mask], kernel=True, label="clip({0})", public=clip,
            method=True, numpy=np.clip)


# ---- binary ------------------------------------------------------------------------
binary("add", _split(np.add), lambda B, a, b, y: ONE, lambda B, a, b, y: ONE, saves="",
       kernel=True, label="{0} + {1}", linear=True, operator="add", dlabels=("1", "1"))
binary("subtract", _split(np.subtract), lambda B, a, b, y: ONE, lambda B, a, b, y: MINUS_ONE,
       saves="", kernel=True, label="{0} - {1}", linear=True, operator="sub",
       dlabels=("1", "-1"))
binary("multiply", _split(np.multiply), lambda B, a, b, y: b, lambda B, a, b, y: a,
       kernel=True, label="{0} * {1}", operator="mul", dlabels=("{1}", "{0}"))
binary("divide", _split(np.true_divide), lambda B, a, b, y: 1.0 / b,
       lambda B, a, b, y: -y / b, saves="by", kernel=True, label="{0} / {1}", operator="div",
       dlabels=("1/{1}", "-{y}/{1}"))


def _pow_da(B, a, b, y):
    zero_exp = B.raw(b) == 0
    if np.any(zero_exp):
        # d/da a^0 = 0, also at a = 0 where b * a^(b-1) would be 0 * inf; the
        # base is 1 there in the branch not taken, so its own derivative (the
        # next order) is not 0 * inf either.  Whole exponents thus get JAX's
        # integer-power derivatives at every order (0 ** 0: all zero).
        safe = B.where(zero_exp, 1.0, a)
        return B.where(np.broadcast_to(zero_exp, y.shape), 0.0, b * B.power(safe, b - 1.0))
    return b * B.power(a, b - 1.0)


def _pow_db(B, a, b, y):
    zero_base = B.raw(a) == 0
    if np.any(zero_base):
        # lim a->0+ of a^b ln a = 0 for b > 0: take 0 at a == 0.
        safe = B.where(zero_base, 1.0, a)
        return B.where(np.broadcast_to(zero_base, y.shape), 0.0, y * B.log(safe))
    return y * B.log(a)


def _pow_dlabels(k, names, consts, y, fmt):
    """The partials of a ** e as text: with a constant exponent p, p a^(p-1)."""
    a, e = names
    if k == 1:
        return f"ln({a}) * {y}"
    p = consts[1]
    if p is None:
        return f"{e} * {a} ** ({e} - 1)"
    if p == 2:
        return f"2 * {a}"
    return f"{fmt(p)} * {a} ** {fmt(p - 1)}"


binary("power", np.power, _pow_da, _pow_db, saves="aby", kernel=True, label="{0} ** {1}",
       operator="pow", dlabels=_pow_dlabels)


def _tie_weight(B, a, b, first_wins):
    a, b = B.raw(a), B.raw(b)
    w = np.where(a == b, 0.5, np.where(first_wins(a, b), 1.0, 0.0))
    return w.astype(np.result_type(a, b), copy=False)


binary("maximum", np.maximum,
       lambda B, a, b, y: _c(B, _tie_weight(B, a, b, np.greater)),
       lambda B, a, b, y: _c(B, 1.0 - _tie_weight(B, a, b, np.greater)),
       kernel=True, label="max({0}, {1})", method=True)
binary("minimum", np.minimum,
       lambda B, a, b, y: _c(B, _tie_weight(B, a, b, np.less)),
       lambda B, a, b, y: _c(B, 1.0 - _tie_weight(B, a, b, np.less)),
       kernel=True, label="min({0}, {1})", method=True)


# ---- where(cond, a, b): cond is a parameter (a bool array), linear in a and b --------
def _where_vjp(B, g, xs, out, p, needs):
    cond = np.broadcast_to(p["cond"], g.shape)
    return (B.where(cond, g, 0.0) if needs[0] else None,
            B.where(cond, 0.0, g) if needs[1] else None)


def _where_jvp(B, ts, xs, out, p):
    ta = ts[0] if ts[0] is not None else 0.0
    tb = ts[1] if ts[1] is not None else 0.0
    return B.where(np.broadcast_to(p["cond"], out.shape), ta, tb)


_NOT_GIVEN = object()


def where(cond, a=_NOT_GIVEN, b=_NOT_GIVEN):
    """Elementwise ``a`` where ``cond`` else ``b``; the gradient flows to the
    branch that was taken.  ``cond`` is constant (a bool array or a
    comparison of tensors, never differentiated).  ``where(cond)`` alone is
    NumPy's ``nonzero(cond)``: a tuple of plain integer arrays.

    The branch not taken still runs: if it is not finite there (``sqrt`` of
    a negative number), its gradient is NaN times 0 = NaN.  Make both
    branches safe with a second where on the input::

        safe = tg.where(x > 0, x, 1.0)          # no NaN in the unused branch
        y = tg.where(x > 0, tg.sqrt(safe), 0.0)
    """
    c = cond._data if isinstance(cond, TensorBase) else cond
    if a is _NOT_GIVEN and b is _NOT_GIVEN:
        return np.nonzero(np.asarray(c))
    if a is _NOT_GIVEN or b is _NOT_GIVEN:
        raise ValueError("where: either both or neither of x and y should be given")
    c = np.asarray(c, dtype=bool)
    a, b = _operands(a, b)
    return REGISTRY["where"](a, b, cond=c)


def _where_forward(a, b, cond):
    return np.where(cond, a, b)


primitive("where", _where_forward, _where_vjp, _where_jvp, nin=2, kernel=True,
          label="where(c, {0}, {1})", linear=True, elementwise=True, batch=ELEMENTWISE,
          public=where, numpy=np.where, stub={"overloads": (
              "(cond: TensorLike) -> tuple[NDArray[np.intp], ...]",
              "(cond: TensorLike, a: TensorLike, b: TensorLike) -> Tensor")})

__all__ = sorted(public_entries())
