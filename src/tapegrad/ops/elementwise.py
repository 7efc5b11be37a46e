"""Elementwise primitives: one entry each, forward next to its derivative.

Each ``partials`` entry is the local derivative d out / d input, written in
backend ops so it serves the native-kernel-free reverse rule, create_graph
and forward mode alike.  The C kernel named by ``kernel`` computes the same
derivative in one fused pass (csrc/tg_kernels.c); a test checks they agree.
Masks (relu, abs, clip, maximum) are constants: their derivative is zero.
"""
import numpy as np

from .._core.kernels import KERNEL_IDS, PARALLEL_MIN, ufunc_scalar, ufunc_split, unary_fwd
from ._registry import MINUS_ONE, ONE, Primitive, elementwise, register


def _native(kernel, numpy_fn):
    """Forward through the C kernel, NumPy for what it does not take.

    Used only where measured faster than NumPy (1M float64: relu 0.15 vs
    0.57 ms, square 0.10 vs 0.20 ms, sin 2.9 vs 19 ms, cos 2.9 vs 20 ms);
    NumPy's SIMD exp/log/tanh/sqrt/tan beat glibc's scalar calls 5-10x.
    The C sin/cos stay within one ulp like NumPy's (glibc's) float64 ones,
    which are scalar calls; tests/test_kernels_trig.py measures both."""
    kid = KERNEL_IDS[kernel]

    def forward(x):
        y = unary_fwd(kid, x)
        return numpy_fn(x) if y is None else y

    forward.__name__ = kernel
    forward.numpy = numpy_fn
    return forward


def _split(ufunc):
    """Forward through NumPy's own loop for ``ufunc``: called directly on 0-d
    operands (kernels.ufunc_scalar), split over the cores when an operand is
    big (kernels.ufunc_split), the same loop either way, so the same bits; a
    plain ufunc call otherwise.  A Python number becomes a 0-d array
    of the array's dtype, which is what NumPy's weak-scalar rule computes."""

    def forward(*xs):
        y = ufunc_scalar(ufunc, xs)          # 0-d operands: the loop, no ufunc call
        if y is not None:
            return y
        big = None
        for x in xs:
            if type(x) is np.ndarray and x.size >= PARALLEL_MIN:
                big = x
                break
        if big is not None:
            ops = tuple(x if type(x) is np.ndarray else np.asarray(x, dtype=big.dtype)
                        for x in xs)
            y = ufunc_split(ufunc, ops)
            if y is not None:
                return y
        return ufunc(*xs)

    forward.__name__ = ufunc.__name__
    forward.ufunc = ufunc
    return forward


def _sigmoid(x):
    # 0.5 * (1 + tanh(x / 2)): no overflow for large |x|, exact at 0.  The half
    # has x's dtype: NumPy 1.x widened 0-d float32 beside a Python float.
    h = x.dtype.type(0.5)
    return h + h * np.tanh(h * x)


def _c(B, arr):
    return B.const(arr)


# ---- unary ---------------------------------------------------------------
NEG = elementwise("neg", _native("neg", np.negative), [lambda B, xs, y, p: MINUS_ONE], saves=(),
                  kernel="neg", label="-{0}", linear=True)
COPY = elementwise("copy", _native("copy", np.copy), [lambda B, xs, y, p: ONE], saves=(),
                   kernel="copy", label="{0}", linear=True)
EXP = elementwise("exp", _split(np.exp), [lambda B, xs, y, p: y], saves=(), save_out=True,
                  kernel="exp", label="exp({0})")
LOG = elementwise("log", _split(np.log), [lambda B, xs, y, p: 1.0 / xs[0]],
                  kernel="log", label="ln({0})")
_sin = _native("sin", np.sin)
_cos = _native("cos", np.cos)
# On raw arrays the partials use the same C sin/cos as the forward and the
# fused gradient kernel, so every path gives the same bits.
SIN = elementwise("sin", _sin,
                  [lambda B, xs, y, p: _cos(xs[0]) if B.native else B.cos(xs[0])],
                  kernel="sin", label="sin({0})")
COS = elementwise("cos", _cos,
                  [lambda B, xs, y, p: -_sin(xs[0]) if B.native else -B.sin(xs[0])],
                  kernel="cos", label="cos({0})")
TAN = elementwise("tan", _split(np.tan), [lambda B, xs, y, p: 1.0 + y * y], saves=(), save_out=True,
                  kernel="tan", label="tan({0})")
TANH = elementwise("tanh", _split(np.tanh), [lambda B, xs, y, p: 1.0 - y * y], saves=(), save_out=True,
                   kernel="tanh", label="tanh({0})")
SQRT = elementwise("sqrt", _split(np.sqrt), [lambda B, xs, y, p: 0.5 / y], saves=(), save_out=True,
                   kernel="sqrt", label="sqrt({0})")
SQUARE = elementwise("square", _native("square", np.square), [lambda B, xs, y, p: 2.0 * xs[0]],
                     kernel="square", label="{0}^2")
ABS = elementwise("abs", np.abs, [lambda B, xs, y, p: _c(B, np.sign(np.nan_to_num(B.raw(xs[0]))))],
                  kernel="abs", label="|{0}|")
SIGMOID = elementwise("sigmoid", _sigmoid, [lambda B, xs, y, p: y * (1.0 - y)], saves=(),
                      save_out=True, kernel="sigmoid", label="sigmoid({0})")
RELU = elementwise("relu", _native("relu", lambda x: np.maximum(x, 0).astype(x.dtype, copy=False)),
                   [lambda B, xs, y, p: _c(B, (B.raw(xs[0]) > 0).astype(B.raw(xs[0]).dtype))],
                   kernel="relu", label="relu({0})")


def _clip_forward(x, lo, hi):
    return np.clip(x, lo, hi).astype(x.dtype, copy=False)


def _clip_mask(B, xs, y, p):
    x = B.raw(xs[0])
    lo = -np.inf if p["lo"] is None else p["lo"]
    hi = np.inf if p["hi"] is None else p["hi"]
    return _c(B, ((x >= lo) & (x <= hi)).astype(x.dtype))


CLIP = elementwise("clip", _clip_forward, [_clip_mask], kernel="clip",
                   label="clip({0})")


# ---- binary --------------------------------------------------------------
ADD = elementwise("add", _split(np.add), [lambda B, xs, y, p: ONE, lambda B, xs, y, p: ONE],
                  nin=2, saves=(), kernel="add", label="{0} + {1}", linear=True)
SUB = elementwise("sub", _split(np.subtract),
                  [lambda B, xs, y, p: ONE, lambda B, xs, y, p: MINUS_ONE],
                  nin=2, saves=(), kernel="sub", label="{0} - {1}", linear=True)
MUL = elementwise("mul", _split(np.multiply), [lambda B, xs, y, p: xs[1], lambda B, xs, y, p: xs[0]],
                  nin=2, saves=(0, 1), kernel="mul", label="{0} * {1}")
DIV = elementwise("div", _split(np.true_divide),
                  [lambda B, xs, y, p: 1.0 / xs[1], lambda B, xs, y, p: -y / xs[1]],
                  nin=2, saves=(1,), save_out=True, kernel="div", label="{0} / {1}")


def _pow_da(B, xs, y, p):
    a, b = xs
    zero_exp = B.raw(b) == 0
    if np.any(zero_exp):
        # d/da a^0 = 0, also at a = 0 where b * a^(b-1) would be 0 * inf.
        return B.where(np.broadcast_to(zero_exp, y.shape), 0.0, b * B.power(a, b - 1.0))
    return b * B.power(a, b - 1.0)


def _pow_db(B, xs, y, p):
    a = xs[0]
    zero_base = B.raw(a) == 0
    if np.any(zero_base):
        # lim a->0+ of a^b ln a = 0 for b > 0: take 0 at a == 0.
        safe = B.where(zero_base, 1.0, a)
        return B.where(np.broadcast_to(zero_base, y.shape), 0.0, y * B.log(safe))
    return y * B.log(a)


POW = elementwise("pow", np.power, [_pow_da, _pow_db], nin=2, saves=(0, 1), save_out=True,
                  kernel="pow", label="{0} ** {1}")


def _tie_weight(B, xs, y, p, first_wins):
    a, b = B.raw(xs[0]), B.raw(xs[1])
    w = np.where(a == b, 0.5, np.where(first_wins(a, b), 1.0, 0.0))
    return w.astype(np.result_type(a, b), copy=False)


MAXIMUM = elementwise(
    "maximum", np.maximum,
    [lambda B, xs, y, p: _c(B, _tie_weight(B, xs, y, p, np.greater)),
     lambda B, xs, y, p: _c(B, 1.0 - _tie_weight(B, xs, y, p, np.greater))],
    nin=2, saves=(0, 1), kernel="maximum", label="max({0}, {1})")
MINIMUM = elementwise(
    "minimum", np.minimum,
    [lambda B, xs, y, p: _c(B, _tie_weight(B, xs, y, p, np.less)),
     lambda B, xs, y, p: _c(B, 1.0 - _tie_weight(B, xs, y, p, np.less))],
    nin=2, saves=(0, 1), kernel="minimum", label="min({0}, {1})")


# where(cond, a, b): cond is a parameter (a bool array), linear in a and b.
def _where_forward(a, b, cond):
    return np.where(cond, a, b)


def _where_vjp(B, g, xs, out, p, needs):
    cond = np.broadcast_to(p["cond"], g.shape)
    return (B.where(cond, g, 0.0) if needs[0] else None,
            B.where(cond, 0.0, g) if needs[1] else None)


def _where_jvp(B, ts, xs, out, p):
    ta = ts[0] if ts[0] is not None else 0.0
    tb = ts[1] if ts[1] is not None else 0.0
    return B.where(np.broadcast_to(p["cond"], out.shape), ta, tb)


WHERE = register(Primitive("where", _where_forward, _where_vjp, _where_jvp, nin=2,
                           kernel="where", label="where(c, {0}, {1})", linear=True,
                           elementwise=True))
