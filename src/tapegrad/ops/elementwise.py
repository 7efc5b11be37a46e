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
from ._registry import (ELEMENTWISE, MINUS_ONE, ONE, REGISTRY, arg, composite, elementwise,
                        primitive, public_entries)


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
        if (type(a) is float or type(a) is int) and not (type(b) is float or type(b) is int):
            b = arg(b)          # a number with an array: the number stays weak
            tb = True
        else:
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
    if type(b) is np.ndarray and b.shape == () and b == 2:
        # a square with a constant exponent: b a^(b-1) exactly, in one op
        return 2.0 * a
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



# ==== the NumPy surface: real elementwise math ====================================
# Forwards are NumPy's ufuncs; each partial is its kernel row's derivative
# (csrc/tg_kernels.def) in backend ops, the same operations in the same order
# (tests/test_kernels.py holds them to a few ulps), in the forms that neither
# cancel nor overflow.
_LN2 = float.fromhex("0x1.62e42fefa39efp-1")
_LN10 = float.fromhex("0x1.26bb1bbb55516p+1")


def _zero(B, x, y):
    """The derivative of a piecewise-constant function: 0 (g * 0 is recorded
    under create_graph, so a second derivative is 0 too)."""
    return 0.0


def _math(name, forward, d, **kw):
    """A unary entry of this section: a kernel row, no Tensor method (ndarray
    has none of these)."""
    return unary(name, forward, d, kernel=True, method=None, **kw)


def _ufunc_doc(name, what, deriv=""):
    return f"{what} (NumPy's ``{name}``), recorded and differentiable{deriv}."


_math("arcsin", _split(np.arcsin), lambda B, x, y: 1.0 / B.sqrt((1.0 - x) * (1.0 + x)),
      grammar=True, dlabels=("1/sqrt(1 - {0}^2)",), latex="\\arcsin",
      doc=_ufunc_doc("arcsin", "Inverse sine, elementwise",
                     "; the derivative is infinite at +-1"))
_math("arccos", _split(np.arccos), lambda B, x, y: -1.0 / B.sqrt((1.0 - x) * (1.0 + x)),
      grammar=True, dlabels=("-1/sqrt(1 - {0}^2)",), latex="\\arccos",
      doc=_ufunc_doc("arccos", "Inverse cosine, elementwise",
                     "; the derivative is infinite at +-1"))
_math("arctan", _split(np.arctan), lambda B, x, y: 1.0 / (1.0 + x * x),
      grammar=True, dlabels=("1/(1 + {0}^2)",), latex="\\arctan",
      doc=_ufunc_doc("arctan", "Inverse tangent, elementwise"))
_math("sinh", _split(np.sinh), lambda B, x, y: B.cosh(x), grammar=True,
      dlabels=("cosh({0})",), latex="\\sinh",
      doc=_ufunc_doc("sinh", "Hyperbolic sine, elementwise"))
_math("cosh", _split(np.cosh), lambda B, x, y: B.sinh(x), grammar=True,
      dlabels=("sinh({0})",), latex="\\cosh",
      doc=_ufunc_doc("cosh", "Hyperbolic cosine, elementwise"))
_math("arcsinh", _split(np.arcsinh), lambda B, x, y: 1.0 / B.hypot(x, 1.0),
      grammar=True, dlabels=("1/sqrt(1 + {0}^2)",), latex="\\operatorname{arsinh}",
      doc=_ufunc_doc("arcsinh", "Inverse hyperbolic sine, elementwise",
                     "; the derivative 1/hypot(1, x) does not overflow"))
_math("arccosh", _split(np.arccosh),
      lambda B, x, y: 1.0 / (B.sqrt(x - 1.0) * B.sqrt(x + 1.0)), grammar=True,
      dlabels=("1/sqrt({0}^2 - 1)",), latex="\\operatorname{arcosh}",
      doc=_ufunc_doc("arccosh", "Inverse hyperbolic cosine, elementwise",
                     "; the derivative is infinite at 1"))
_math("arctanh", _split(np.arctanh), lambda B, x, y: 1.0 / ((1.0 - x) * (1.0 + x)),
      grammar=True, dlabels=("1/(1 - {0}^2)",), latex="\\operatorname{artanh}",
      doc=_ufunc_doc("arctanh", "Inverse hyperbolic tangent, elementwise",
                     "; the derivative is infinite at +-1"))
_math("log1p", _split(np.log1p), lambda B, x, y: 1.0 / (1.0 + x), grammar=True,
      dlabels=("1/(1 + {0})",), latex="\\operatorname{log1p}",
      doc=_ufunc_doc("log1p", "log(1 + x), accurate for small x"))
_math("expm1", _split(np.expm1), lambda B, x, y: y + 1.0, saves="y",
      grammar=True, dlabels=("({y} + 1)",), latex="\\operatorname{expm1}",
      doc=_ufunc_doc("expm1", "exp(x) - 1, accurate for small x"))
_math("log2", _split(np.log2), lambda B, x, y: 1.0 / (x * _LN2), grammar=True,
      dlabels=("1/({0} * ln(2))",), latex="\\log_2",
      doc=_ufunc_doc("log2", "Base-2 logarithm, elementwise"))
_math("log10", _split(np.log10), lambda B, x, y: 1.0 / (x * _LN10),
      grammar=True, dlabels=("1/({0} * ln(10))",), latex="\\log_{10}",
      doc=_ufunc_doc("log10", "Base-10 logarithm, elementwise"))
_math("exp2", _split(np.exp2), lambda B, x, y: y * _LN2, saves="y",
      grammar=True, dlabels=("ln(2) * {y}",), latex="\\operatorname{exp2}",
      doc=_ufunc_doc("exp2", "2 ** x, elementwise"))
_math("cbrt", _split(np.cbrt), lambda B, x, y: 1.0 / (3.0 * y * y), saves="y",
      grammar=True, dlabels=("1/(3 * {y}^2)",), latex="\\operatorname{cbrt}",
      doc=_ufunc_doc("cbrt", "Cube root, elementwise",
                     "; the derivative at 0 is inf (as JAX)"))
_math("reciprocal", _split(np.reciprocal), lambda B, x, y: -(y * y), saves="y",
      grammar=True, dlabels=("-{y}^2",),
      doc=_ufunc_doc("reciprocal", "1 / x, elementwise"))

_SINC_SMALL = 0.25
# sinc'(x) = -pi t sum_k>=1 c_k t^(2k-2), t = pi x: the Maclaurin series of
# csrc/tg_special.c (tg_dsinc), used below |x| = 1/4 where (cos - sinc)/x cancels
_SINC_C = (1.0 / 3.0, -1.0 / 30.0, 1.0 / 840.0, -1.0 / 45360.0, 1.0 / 3991680.0,
           -1.0 / 518918400.0, 1.0 / 93405312000.0, -1.0 / 22230464256000.0,
           1.0 / 6758061133824000.0, -1.0 / 2554547108585472000.0)


def _dsinc_series(B, x):
    t = np.pi * x
    t2 = t * t
    p = _SINC_C[-1]
    for c in _SINC_C[-2::-1]:
        p = c + t2 * p
    return -np.pi * (t * p)


def _dsinc_formula(B, x):
    t = np.pi * x
    return (B.cos(t) - B.sin(t) / t) / x


def _dsinc(B, x, y):
    """sinc'(x) = (cos(pi x) - sinc(x)) / x, by its series near 0: exact at 0
    to every order (sinc''(0) = -pi^2/3, as JAX)."""
    small = np.abs(B.raw(x)) < _SINC_SMALL
    if small.all():
        return _dsinc_series(B, x)
    if not small.any():
        return _dsinc_formula(B, x)
    return B.where(small, _dsinc_series(B, B.where(small, x, 0.0)),
                   _dsinc_formula(B, B.where(small, 1.0, x)))


def _sinc_forward():
    kid = KERNELS["sinc"].id

    def forward(x):
        y = unary_fwd(kid, x)
        if y is None:
            a = np.asarray(x)
            y = unary_fwd(kid, np.ascontiguousarray(
                a, dtype=np.float32 if a.dtype == np.float32 else np.float64))
        return y
    return forward


_math("sinc", _sinc_forward(), _dsinc, grammar=True,
      dlabels=("(cos(pi * {0}) - {y})/{0}",), latex="\\operatorname{sinc}",
      doc="NumPy's normalised sinc, sin(pi x) / (pi x) (1 at 0; the sine reduced "
          "exactly, so accurate next to the integers); differentiable to any order at 0.")

for _name, _what in [("sign", "The sign (-1, 0, 1; 0 at +-0)"), ("floor", "Floor"),
                     ("ceil", "Ceiling"), ("trunc", "Truncation towards 0"),
                     ("rint", "Rounding to the nearest integer (halves to even)")]:
    _math(_name, _split(getattr(np, _name)), _zero, saves="", dlabels=("0",),
          doc=f"{_what}, elementwise (NumPy's ``{_name}``): piecewise "
                              f"constant, so its derivative is 0 everywhere (as JAX).")
del _name, _what


# ---- binary ------------------------------------------------------------------
def _over_hypot(B, u, y):
    """u / y, 0 where y = hypot(a, b) is 0 (the kink at the origin, as abs)."""
    zero = B.raw(y) == 0
    if not zero.any():
        return u / y
    return B.where(zero, 0.0, u / B.where(zero, 1.0, y))


binary("hypot", _split(np.hypot), lambda B, a, b, y: _over_hypot(B, a, y),
       lambda B, a, b, y: _over_hypot(B, b, y), saves="aby", kernel=True,
       label="hypot({0}, {1})", dlabels=("{0}/{y}", "{1}/{y}"))
REGISTRY["hypot"].public.__doc__ = (
    "sqrt(a^2 + b^2) without overflow or underflow (NumPy's ``hypot``).  The "
    "gradient at the origin, where it has a kink, is 0 (as ``abs`` and ``norm``; JAX "
    "gives 1/2 there).")

binary("arctan2", _split(np.arctan2),
       lambda B, a, b, y: (b / B.hypot(a, b)) / B.hypot(a, b),
       lambda B, a, b, y: (-a / B.hypot(a, b)) / B.hypot(a, b), kernel=True,
       label="arctan2({0}, {1})", dlabels=("{1}/({0}^2 + {1}^2)", "-{0}/({0}^2 + {1}^2)"))
REGISTRY["arctan2"].public.__doc__ = (
    "The angle of the point (b, a), elementwise (NumPy's ``arctan2(x1, x2)``); the "
    "partials b/(a^2+b^2) and -a/(a^2+b^2) are formed through hypot (no overflow) "
    "and are NaN at the origin (as JAX).")


def _logaddexp_d(B, a, b, scale):
    """d/da logaddexp(a, b) = expit((a - b) scale): no overflow; equal
    infinities (inf - inf) split the gradient evenly (JAX gives NaN)."""
    d = a - b if scale == 1 else (a - b) * scale
    ar, br = B.raw(a), B.raw(b)
    tie = np.isinf(ar) & (ar == br)
    if np.any(tie):
        d = B.where(tie, 0.0, d)
    return B.sigmoid(d)


binary("logaddexp", _split(np.logaddexp), lambda B, a, b, y: _logaddexp_d(B, a, b, 1),
       lambda B, a, b, y: _logaddexp_d(B, b, a, 1), kernel=True,
       label="logaddexp({0}, {1})")
REGISTRY["logaddexp"].public.__doc__ = (
    "log(exp(a) + exp(b)) without overflow (NumPy's ``logaddexp``); the partials are "
    "expit(a - b) and expit(b - a), 1/2 each where both are the same infinity.")
binary("logaddexp2", _split(np.logaddexp2), lambda B, a, b, y: _logaddexp_d(B, a, b, _LN2),
       lambda B, a, b, y: _logaddexp_d(B, b, a, _LN2), kernel=True,
       label="logaddexp2({0}, {1})")
REGISTRY["logaddexp2"].public.__doc__ = (
    "log2(2**a + 2**b) without overflow (NumPy's ``logaddexp2``); partials as "
    "logaddexp's, with (a - b) ln 2.")


def _nan_weight(B, a, b, first_wins):
    """The first operand's share of the gradient of fmax/fmin: 1 where it
    wins or the other is NaN, 1/2 at ties (as maximum), else 0."""
    a, b = B.raw(a), B.raw(b)
    w = np.where(np.isnan(b), 1.0,
                 np.where(np.isnan(a), 0.0, np.where(a == b, 0.5,
                                                     np.where(first_wins(a, b), 1.0, 0.0))))
    return w.astype(np.result_type(a, b), copy=False)


binary("fmax", _split(np.fmax), lambda B, a, b, y: _c(B, _nan_weight(B, a, b, np.greater)),
       lambda B, a, b, y: _c(B, 1.0 - _nan_weight(B, a, b, np.greater)), kernel=True,
       label="fmax({0}, {1})")
REGISTRY["fmax"].public.__doc__ = (
    "Elementwise maximum ignoring NaN (NumPy's ``fmax``); ties split the gradient "
    "evenly (as ``maximum``; JAX gives it to the second operand).")
binary("fmin", _split(np.fmin), lambda B, a, b, y: _c(B, _nan_weight(B, a, b, np.less)),
       lambda B, a, b, y: _c(B, 1.0 - _nan_weight(B, a, b, np.less)), kernel=True,
       label="fmin({0}, {1})")
REGISTRY["fmin"].public.__doc__ = (
    "Elementwise minimum ignoring NaN (NumPy's ``fmin``); ties split the gradient "
    "evenly (as ``minimum``).")

binary("fmod", _split(np.fmod), lambda B, a, b, y: ONE, lambda B, a, b, y: -B.trunc(a / b),
       kernel=True, label="fmod({0}, {1})", dlabels=("1", "-trunc({0}/{1})"))
REGISTRY["fmod"].public.__doc__ = (
    "C's remainder a - b trunc(a/b), the sign of a (NumPy's ``fmod``); partials 1 and "
    "-trunc(a/b) (as JAX; the jumps are not differentiated).")
binary("remainder", _split(np.remainder), lambda B, a, b, y: ONE,
       lambda B, a, b, y: -B.floor(a / b), kernel=True, label="remainder({0}, {1})",
       dlabels=("1", "-floor({0}/{1})"))
REGISTRY["remainder"].public.__doc__ = (
    "Python's modulo a - b floor(a/b), the sign of b (NumPy's ``remainder``); partials "
    "1 and -floor(a/b) (as JAX; the jumps are not differentiated).")


def _copysign_da(B, a, b):
    a, b = B.raw(a), B.raw(b)
    w = np.where(a == 0, 0.0, np.where(np.signbit(a) == np.signbit(b), 1.0, -1.0))
    return w.astype(np.result_type(a, b), copy=False)


binary("copysign", _split(np.copysign), lambda B, a, b, y: _c(B, _copysign_da(B, a, b)),
       lambda B, a, b, y: 0.0, kernel=True, label="copysign({0}, {1})")
REGISTRY["copysign"].public.__doc__ = (
    "``abs(a)`` with the sign of ``b`` (NumPy's ``copysign``); d/da is +-1 (0 at a = 0, a kink, "
    "as abs), d/db is 0.")


# ---- built from the above ------------------------------------------------------
def _data(x):
    return x._data if isinstance(x, TensorBase) else np.asarray(x)


@composite("deg2rad")
def deg2rad(x):
    """Degrees to radians, x * (pi/180) (NumPy's ``deg2rad``)."""
    return REGISTRY["multiply"].public(x, np.pi / 180.0)


@composite("radians")
def radians(x):
    """Degrees to radians (NumPy's ``radians``, the same as ``deg2rad``)."""
    return deg2rad(x)


@composite("rad2deg")
def rad2deg(x):
    """Radians to degrees, x * (180/pi) (NumPy's ``rad2deg``)."""
    return REGISTRY["multiply"].public(x, 180.0 / np.pi)


@composite("degrees")
def degrees(x):
    """Radians to degrees (NumPy's ``degrees``, the same as ``rad2deg``)."""
    return rad2deg(x)


@composite("round", method=True)
def round(a, decimals=0):  # noqa: A001  (NumPy's name)
    """Round to ``decimals`` decimals, halves to even (NumPy's ``round``: rint of
    a * 10**decimals, scaled back, the same bits); its derivative is 0."""
    decimals = int(decimals)
    if decimals == 0:
        return REGISTRY["rint"].public(a)
    if decimals > 0:
        f = 10.0 ** decimals
        return REGISTRY["divide"].public(REGISTRY["rint"].public(
            REGISTRY["multiply"].public(a, f)), f)
    f = 10.0 ** -decimals
    return REGISTRY["multiply"].public(REGISTRY["rint"].public(
        REGISTRY["divide"].public(a, f)), f)


@composite("around")
def around(a, decimals=0):
    """NumPy's ``around``: the same as ``round``."""
    return round(a, decimals)


@composite("fix")
def fix(x):
    """Round towards 0 (NumPy's ``fix``, the same as ``trunc``); derivative 0."""
    return REGISTRY["trunc"].public(x)


@composite("nan_to_num")
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced as NumPy's ``nan_to_num`` does (default: 0 and
    the dtype's largest finite values); the gradient passes where x is finite and
    is 0 where it was replaced (as JAX).  ``copy`` is accepted for NumPy's
    signature; the result is always a new tensor."""
    x = x if isinstance(x, TensorBase) else arg(x)
    raw = _data(x)
    fill = np.nan_to_num(raw, copy=True, nan=nan, posinf=posinf, neginf=neginf)
    return REGISTRY["where"].public(np.isfinite(raw), x, fill)


@composite("positive")
def positive(x):
    """+x, a copy (NumPy's ``positive``)."""
    return REGISTRY["copy"].public(x)


@composite("true_divide")
def true_divide(a, b):
    """NumPy's ``true_divide``: the same as ``divide``."""
    return REGISTRY["divide"].public(a, b)


@composite("float_power")
def float_power(a, b):
    """a ** b computed in float64, whatever the inputs' dtype (NumPy's
    ``float_power``)."""
    cast = REGISTRY["cast"].public
    a = a if isinstance(a, TensorBase) else arg(a)
    b = b if isinstance(b, TensorBase) else arg(b)
    return REGISTRY["power"].public(cast(a, np.float64), cast(b, np.float64))


def _predicate(name, fn):
    def f(x):
        return fn(_data(x))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"NumPy's ``{name}`` on the tensor's values: a plain bool array, never "
                 f"recorded (a predicate has no derivative).")
    composite(name, stub={"return": "np.bool_ | NDArray[np.bool_]"})(f)
    return f


isnan = _predicate("isnan", np.isnan)
isinf = _predicate("isinf", np.isinf)
isfinite = _predicate("isfinite", np.isfinite)
signbit = _predicate("signbit", np.signbit)

__all__ = sorted(public_entries())
