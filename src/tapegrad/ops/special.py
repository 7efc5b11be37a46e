"""``tg.special``: scipy.special's differentiable functions, one entry each
(namespace "special").

The functions themselves are C (csrc/tg_special.c: tapegrad needs NumPy
alone), run by their kernel rows' loops; each partial below is the row's
derivative in backend ops, differentiable again, so every order works
(digamma's partial is polygamma(1, .), polygamma(n)'s is polygamma(n + 1)).
Where the textbook derivative cancels or overflows, the partial is the form
that does not (log_ndtr through erfcx, i1's through the scaled functions,
erfcx's by its asymptotic series), in the same operations as the row, and
tests/test_kernels.py holds the two to a few ulps.  logsumexp, softmax,
log_softmax and expit are the main namespace's functions, exposed here.
"""
import numpy as np

from .._core.kernels import KERNELS, binary_fwd, unary_fwd
from .. import errors
from .._core.tape import TensorBase, is_batched
from ._registry import (ELEMENTWISE, REGISTRY, arg, composite, elementwise, partial_rules,
                        primitive)
from .elementwise import _check_broadcast, _const, _operands, unary

NS = "special"
_TWO_OVER_SQRTPI = float.fromhex("0x1.20dd750429b6dp+0")
_SQRTPI_2 = float.fromhex("0x1.c5bf891b4ef6bp-1")
_INV_SQRT2PI = float.fromhex("0x1.9884533d43651p-2")
_SQRT2PI = float.fromhex("0x1.40d931ff62706p+1")
_SQRT_2_OVER_PI = float.fromhex("0x1.9884533d43651p-1")
_SQRT1_2 = float.fromhex("0x1.6a09e667f3bcdp-1")


def _sp(B, name):
    """B's function ``special.<name>`` (a rule's call of a special function)."""
    return getattr(B, NS + "." + name)


def _float_dtype(*xs):
    dt = np.result_type(*xs)
    return np.float32 if dt == np.float32 else np.float64


def _loop(name):
    """Array forward through the row's own loop (any layout or dtype is made
    a contiguous float array first)."""
    kid = KERNELS[name].id

    def forward(x):
        y = unary_fwd(kid, x)
        if y is None:
            y = unary_fwd(kid, np.ascontiguousarray(x, dtype=_float_dtype(x)))
        return y
    forward.__name__ = name
    return forward


def _binary_loop(name):
    """Array forward of a TG_BINARY_LOOP row: operands in NumPy's result
    dtype (a Python number is weak), broadcast as NumPy does."""
    kid = KERNELS[name].id

    def forward(a, b):
        dt = _float_dtype(a, b)
        a = np.asarray(a, dtype=dt)
        b = np.asarray(b, dtype=dt)
        y = binary_fwd(kid, a, b)
        if y is None:
            a, b = np.broadcast_arrays(a, b)
            y = binary_fwd(kid, np.ascontiguousarray(a), np.ascontiguousarray(b))
        return y
    forward.__name__ = name
    return forward


def _special(name, d, saves="x", doc=None, **kw):
    """A unary special function: forward the row's loop, partial ``d``."""
    return unary(name, _loop(name), d, saves=saves, kernel=True, namespace=NS, method=None,
                 doc=doc or f"scipy.special.{name}, elementwise; recorded and differentiable.",
                 **kw)


def _binary_public(name, doc):
    key = f"{NS}.{name}"

    def f(a, b):
        a, b = _operands(a, b)
        _check_broadcast(name, a, b)
        return REGISTRY[key](a, b)
    f.__doc__ = doc
    return f


def _special2(name, da, db, saves="ab", doc="", **kw):
    """A binary special function (a TG_BINARY_LOOP row)."""
    return elementwise(name, _binary_loop(name),
                       [lambda B, xs, y, p: da(B, xs[0], xs[1], y),
                        lambda B, xs, y, p: db(B, xs[0], xs[1], y)],
                       nin=2, saves=saves, kernel=True, namespace=NS,
                       public=_binary_public(name, doc), label=f"{name}({{0}}, {{1}})", **kw)


def _split_at(B, x, cond, f_true, f_false, safe_true, safe_false):
    """where(cond, f_true(x), f_false(x)), each branch evaluated only on
    inputs safe for it (the branch not taken gets a harmless constant), so
    neither its value nor its derivative is NaN where it is not used."""
    cond = np.asarray(cond)
    if cond.all():
        return f_true(x)
    if not cond.any():
        return f_false(x)
    return B.where(cond, f_true(B.where(cond, x, safe_true)),
                   f_false(B.where(cond, safe_false, x)))


# ---- the error function family ---------------------------------------------------
_special("erf", lambda B, x, y: _TWO_OVER_SQRTPI * B.exp(-(x * x)), grammar=True,
         dlabels=("2/sqrt(pi) * exp(-{0}^2)",), latex="\\operatorname{erf}",
         doc="The error function (scipy.special.erf); derivative 2/sqrt(pi) exp(-x^2).")
_special("erfc", lambda B, x, y: -(_TWO_OVER_SQRTPI * B.exp(-(x * x))), grammar=True,
         dlabels=("-2/sqrt(pi) * exp(-{0}^2)",), latex="\\operatorname{erfc}",
         doc="1 - erf(x), accurate where erf(x) is near 1 (scipy.special.erfc).")
_special("erfinv", lambda B, x, y: _SQRTPI_2 * B.exp(y * y), saves="y",
         doc="The inverse of erf on (-1, 1) (scipy.special.erfinv); derivative "
             "sqrt(pi)/2 exp(erfinv(x)^2), inf at +-1.")
_special("erfcinv", lambda B, x, y: -(_SQRTPI_2 * B.exp(y * y)), saves="y",
         doc="The inverse of erfc on (0, 2) (scipy.special.erfcinv), accurate down to "
             "the smallest subnormal argument.")

# erfcx'(x) = 2x erfcx(x) - 2/sqrt(pi): cancels for large x, where its
# asymptotic series takes over (tg_derfcx_series: the same 14 terms)
_DERFCX_BIG = 12.0
_DERFCX_C = []
for _k in range(14):
    _c = 1.0
    for _j in range(3, 2 * _k + 2, 2):
        _c *= _j
    _DERFCX_C.append(-_c if _k % 2 else _c)
del _k, _c, _j


def _derfcx_series(B, x):
    z = 0.5 / (x * x)
    p = 0.0
    for c in _DERFCX_C[::-1]:
        p = c + z * p
    return -(_TWO_OVER_SQRTPI * z) * p


def _derfcx(B, x, y):
    big = B.raw(x) >= _DERFCX_BIG
    if not np.any(big):
        return 2.0 * x * y - _TWO_OVER_SQRTPI
    yb = B.where(big, 0.0, y)
    return B.where(big, _derfcx_series(B, B.where(big, x, _DERFCX_BIG)),
                   2.0 * B.where(big, 0.0, x) * yb - _TWO_OVER_SQRTPI)


_special("erfcx", _derfcx, saves="xy",
         doc="The scaled complementary error function exp(x^2) erfc(x) "
             "(scipy.special.erfcx), without overflow for large x.")

_special("ndtr", lambda B, x, y: _INV_SQRT2PI * B.exp(-0.5 * x * x),
         dlabels=("exp(-{0}^2/2)/sqrt(2 pi)",), latex="\\Phi",
         doc="The standard normal CDF (scipy.special.ndtr), relative-accurate in the "
             "lower tail.")
_special("ndtri", lambda B, x, y: _SQRT2PI * B.exp(0.5 * y * y), saves="y",
         doc="The inverse of ndtr (scipy.special.ndtri), to the smallest subnormal "
             "probability; derivative sqrt(2 pi) exp(ndtri(p)^2/2).")


def _dlog_ndtr(B, x, y):
    """pdf/cdf: sqrt(2/pi) / erfcx(-x/sqrt(2)) for x < 0 (no underflow or
    cancellation however negative), exp(-x^2/2) / (sqrt(2 pi) ndtr(x)) else."""
    return _split_at(B, x, B.raw(x) < 0,
                     lambda t: _SQRT_2_OVER_PI / _sp(B, "erfcx")(-t * _SQRT1_2),
                     lambda t: B.exp(-0.5 * t * t) * _INV_SQRT2PI / _sp(B, "ndtr")(t),
                     -1.0, 0.0)


_special("log_ndtr", _dlog_ndtr,
         doc="log(ndtr(x)), accurate for large negative x (scipy.special.log_ndtr); its "
             "derivative pdf/cdf is formed through erfcx there (about -x, no overflow).")


# ---- the gamma family -------------------------------------------------------------
_special("gammaln", lambda B, x, y: _sp(B, "digamma")(x),
         dlabels=("digamma({0})",), latex="\\ln\\Gamma",
         doc="log|Gamma(x)| (scipy.special.gammaln); derivative digamma(x).")
_special("gamma", lambda B, x, y: y * _sp(B, "digamma")(x), saves="xy",
         doc="The gamma function (scipy.special.gamma); derivative gamma(x) digamma(x).")
_special("digamma", lambda B, x, y: _sp(B, "polygamma")(1.0, x),
         doc="The digamma function psi = (log Gamma)' (scipy.special.digamma), "
             "relative-accurate at its positive root; derivative polygamma(1, x).")
_special("gammasgn", lambda B, x, y: 0.0, saves="",
         doc="The sign of Gamma(x) (scipy.special.gammasgn): piecewise constant, "
             "derivative 0.")
_special2("polygamma", lambda B, n, x, y: 0.0,
          lambda B, n, x, y: _sp(B, "polygamma")(n + 1.0, x),
          doc="The n-th derivative of digamma (scipy.special.polygamma(n, x)); n must "
              "be a non-negative integer (else NaN) and is not differentiated (as HIPS "
              "autograd); d/dx is polygamma(n + 1, x).")


# B_2k / (2k), k = 1..9: the asymptotic series of digamma (PSI_ASYMP in tg_special.c)
_PSI_ASYMP = [float.fromhex(h) for h in (
    "0x1.5555555555555p-4", "-0x1.1111111111111p-7", "0x1.0410410410410p-8",
    "-0x1.1111111111111p-8", "0x1.f07c1f07c1f08p-8", "-0x1.5995995995996p-6",
    "0x1.5555555555555p-4", "-0x1.c5e5e5e5e5e5ep-2", "0x1.86e7f9b9fe6e8p+1")]


def _psi_diff(B, a, b):
    """psi(a + b) - psi(a) for a, b > 0 with every term of one sign (no
    cancellation when b << a): tg_psi_diff's operations, in float64."""
    s = 0.0
    for k in range(10):
        s = s + b / ((a + float(k)) * (a + float(k) + b))
    big = a + 10.0
    lg = B.log1p(b / big)
    t = lg + b / (2.0 * big * (big + b))
    ia2 = 1.0 / (big * big)
    p = 1.0
    for k in range(1, 10):
        p = p * ia2
        t = t - _PSI_ASYMP[k - 1] * (p * B.expm1(-2.0 * k * lg))
    return s + t


def _betaln_da(B, a, b):
    """d/da betaln(a, b) = psi(a) - psi(a + b): -_psi_diff where a, b > 0
    (JAX's accuracy: -1e-10 to the last digit at (1e10, 1), where the plain
    difference keeps 5 digits), the plain difference elsewhere.  Computed in
    float64, as the kernel row does, and rounded to the operands' dtype."""
    dt = np.result_type(B.raw(a).dtype, B.raw(b).dtype)
    if dt != np.float64:
        a, b = B.cast(a, np.float64), B.cast(b, np.float64)
    ar, br = B.raw(a), B.raw(b)
    ok = (ar > 0) & (br > 0) & (ar < np.inf) & (br < np.inf)
    if np.all(ok):
        d = -_psi_diff(B, a, b)
    else:
        ok = np.broadcast_to(ok, np.broadcast_shapes(np.shape(ar), np.shape(br)))
        a1, b1 = B.where(ok, 1.0, a), B.where(ok, 1.0, b)
        plain = _sp(B, "digamma")(a1) - _sp(B, "digamma")(a1 + b1)
        d = B.where(ok, -_psi_diff(B, B.where(ok, a, 1.0), B.where(ok, b, 1.0)), plain)
    return B.cast(d, dt) if dt != np.float64 else d


_special2("betaln", lambda B, a, b, y: _betaln_da(B, a, b),
          lambda B, a, b, y: _betaln_da(B, b, a),
          doc="log|B(a, b)| (scipy.special.betaln), accurate for large and unequal "
              "arguments; partials digamma(a) - digamma(a + b) and the same in b, formed "
              "without cancellation for a, b > 0.")
_special2("beta", lambda B, a, b, y: y * _betaln_da(B, a, b),
          lambda B, a, b, y: y * _betaln_da(B, b, a), saves="aby",
          doc="The beta function Gamma(a) Gamma(b) / Gamma(a + b) (scipy.special.beta).")


# ---- modified Bessel functions -------------------------------------------------------
_DI1_SMALL = 1e-3


def _di1(B, x, y=None):
    """I1'(x) = I0(x) - I1(x)/x: its Maclaurin series below |x| = 1e-3, exact
    at 0 to every order (I1''(0) = 0, I1'''(0) = 3/8); e^|x| (i0e - i1e/x)
    above, finite wherever I1' is (tg_di1 computes the same)."""
    def series(t):
        t2 = t * t
        return 0.5 + t2 * (0.1875 + t2 * (5.0 / 384.0 + t2 * (7.0 / 18432.0)))

    def scaled(t):
        return B.exp(B.abs(t)) * (_sp(B, "i0e")(t) - _sp(B, "i1e")(t) / t)
    return _split_at(B, x, np.abs(B.raw(x)) < _DI1_SMALL, series, scaled, 0.0, 1.0)


_special("i0", lambda B, x, y: _sp(B, "i1")(x),
         doc="The modified Bessel function I0 (scipy.special.i0; inf at +-inf, where "
             "SciPy gives NaN); derivative I1.")
_special("i1", _di1,
         doc="The modified Bessel function I1 (scipy.special.i1); derivative "
             "I0(x) - I1(x)/x, 1/2 at 0, and every higher derivative at 0 exact.")
_special("i0e", lambda B, x, y: _sp(B, "i1e")(x) - B.sign(x) * y, saves="xy",
         doc="exp(-abs(x)) I0(x) (scipy.special.i0e); derivative i1e(x) - sign(x) i0e(x), "
             "0 at the kink at 0.")


def _di1e(B, x, y):
    zero = B.raw(x) == 0
    if not np.any(zero):
        return _sp(B, "i0e")(x) - y * (B.sign(x) + 1.0 / x)
    xs = B.where(zero, 1.0, x)
    return B.where(zero, 0.5, _sp(B, "i0e")(xs) - y * (B.sign(xs) + 1.0 / xs))


_special("i1e", _di1e, saves="xy",
         doc="exp(-abs(x)) I1(x) (scipy.special.i1e); derivative i0e(x) - i1e(x) "
             "(sign(x) + 1/x), 1/2 at 0.")

# ---- logistic and information ----------------------------------------------------------
_special("logit", lambda B, x, y: 1.0 / (x * (1.0 - x)),
         doc="log(p / (1 - p)) (scipy.special.logit), accurate around 1/2; derivative "
             "1/(p (1 - p)).")
_special("log_expit", lambda B, x, y: B.sigmoid(-x),
         doc="log(expit(x)) without overflow or cancellation (scipy.special.log_expit); "
             "derivative expit(-x).")
_special("entr", lambda B, x, y: -(B.log(x) + 1.0),
         doc="-x log(x), 0 at 0 and -inf for x < 0 (scipy.special.entr); derivative "
             "-(log(x) + 1), inf at 0.")
_special2("xlogy", lambda B, a, b, y: B.log(b), lambda B, a, b, y: a / b,
          doc="x log(y), 0 where x = 0 unless y is NaN (scipy.special.xlogy); the "
              "partials are JAX's: log(y) and x/y (so NaN at x = y = 0).")
_special2("xlog1py", lambda B, a, b, y: B.log1p(b), lambda B, a, b, y: a / (1.0 + b),
          doc="x log1p(y), 0 where x = 0 unless y is NaN (scipy.special.xlog1py); "
              "partials log1p(y) and x/(1 + y), as JAX.")


# ---- the main namespace's functions, and ones built from the entries above -------
@composite("expit", namespace=NS)
def expit(x):
    """The logistic function 1/(1 + exp(-x)) (scipy.special.expit): ``tg.sigmoid``."""
    return REGISTRY["sigmoid"].public(x)


@composite("logsumexp", namespace=NS, stub={"overloads": (
    "(a: TensorLike, axis: int | tuple[int, ...] | None = ..., b: TensorLike | None = ..., "
    "keepdims: bool = ..., return_sign: Literal[False] = ...) -> Tensor",
    # with the sign: (log|sum|, its sign as a NumPy array)
    "(a: TensorLike, axis: int | tuple[int, ...] | None = ..., b: TensorLike | None = ..., "
    "keepdims: bool = ..., *, return_sign: Literal[True]) -> "
    "tuple[Tensor, NDArray[np.floating[Any]]]",
    "(a: TensorLike, axis: int | tuple[int, ...] | None, b: TensorLike | None, "
    "keepdims: bool, return_sign: Literal[True]) -> tuple[Tensor, NDArray[np.floating[Any]]]")})
def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over ``axis`` (scipy.special.logsumexp): ``tg.logsumexp``,
    and with weights ``b`` log|sum(b exp(a))| (``return_sign``: also its sign,
    a NumPy array); differentiable in ``a`` and ``b``."""
    if b is None and not return_sign:
        return REGISTRY["logsumexp"].public(a, axis=axis, keepdims=keepdims)
    pub = {k: REGISTRY[k].public for k in ("exp", "log", "abs", "sum", "multiply",
                                           "subtract", "add", "logsumexp")}
    a = a if isinstance(a, TensorBase) else arg(a)
    if b is None:
        b = 1.0
    raw = a._data
    m = np.max(raw, axis=axis, keepdims=True) if raw.size else np.zeros((1,) * raw.ndim)
    m = np.where(np.isfinite(m), m, 0.0).astype(raw.dtype)
    s = pub["sum"](pub["multiply"](b, pub["exp"](pub["subtract"](a, m))), axis=axis,
                   keepdims=True)
    out = pub["add"](pub["log"](pub["abs"](s)), m)
    if not keepdims:
        ax = tuple(range(raw.ndim)) if axis is None else axis
        out = REGISTRY["squeeze"].public(out, ax)
        s = REGISTRY["squeeze"].public(s, ax)
    if return_sign:
        return out, np.sign(s._data)
    return out


@composite("softmax", namespace=NS)
def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over ``axis`` (scipy.special.softmax: all elements by
    default): ``tg.softmax``."""
    return REGISTRY["softmax"].public(x, axis=axis)


@composite("log_softmax", namespace=NS)
def log_softmax(x, axis=None):
    """x - logsumexp(x) over ``axis`` (scipy.special.log_softmax: all elements by
    default): ``tg.log_softmax``."""
    return REGISTRY["log_softmax"].public(x, axis=axis)


@composite("psi", namespace=NS)
def psi(x):
    """scipy.special.psi: the same as ``digamma``."""
    return REGISTRY[NS + ".digamma"].public(x)


@composite("softplus", namespace=NS)
def softplus(x):
    """log(1 + exp(x)) without overflow (scipy.special.softplus): -log_expit(-x)."""
    return REGISTRY["negative"].public(
        REGISTRY[NS + ".log_expit"].public(REGISTRY["negative"].public(arg(x))))


@composite("multigammaln", namespace=NS)
def multigammaln(a, d):
    """The log of the multivariate gamma function of dimension ``d``
    (scipy.special.multigammaln): d(d-1)/4 log(pi) + sum_j gammaln(a - j/2)."""
    d = int(d)
    if d < 1:
        raise ValueError(f"multigammaln: the dimension d must be a positive integer, "
                         f"got {d}")
    gl = REGISTRY[NS + ".gammaln"].public
    a = a if isinstance(a, TensorBase) else arg(a)
    acc = gl(a)
    for j in range(1, d):
        acc = acc + gl(a - 0.5 * j)
    return acc + d * (d - 1) / 4.0 * np.log(np.pi)


@composite("i0")
def i0(x):
    """NumPy's ``i0`` (the modified Bessel function I0): ``tg.special.i0``."""
    return REGISTRY[NS + ".i0"].public(x)


# ---- Bessel functions of integer order (libm's, csrc/tg_special.c) ------------------
# J1' = (J0 - J2)/2 and Y1' = (Y0 - Y2)/2 (no division by x, finite at 0);
# Jn' = (J_{n-1} - J_{n+1})/2, the order n not differentiated (an integer,
# as polygamma's: HIPS autograd's convention).
_special("j0", lambda B, x, y: -_sp(B, "j1")(x),
         doc="The Bessel function of the first kind of order 0 (scipy.special.j0; 0 at "
             "+-inf, where SciPy gives NaN); derivative -j1(x).")
_special("j1", lambda B, x, y: 0.5 * (_sp(B, "j0")(x) - _sp(B, "jn")(2.0, x)),
         doc="The Bessel function of the first kind of order 1 (scipy.special.j1); "
             "derivative (j0(x) - jn(2, x))/2.")
_special("y0", lambda B, x, y: -_sp(B, "y1")(x),
         doc="The Bessel function of the second kind of order 0 (scipy.special.y0): -inf "
             "at 0, NaN for x < 0; derivative -y1(x).")
_special("y1", lambda B, x, y: 0.5 * (_sp(B, "y0")(x) - _sp(B, "yn")(2.0, x)),
         doc="The Bessel function of the second kind of order 1 (scipy.special.y1); "
             "derivative (y0(x) - yn(2, x))/2.")
_special2("jn", lambda B, n, x, y: 0.0,
          lambda B, n, x, y: 0.5 * (_sp(B, "jn")(n - 1.0, x) - _sp(B, "jn")(n + 1.0, x)),
          doc="The Bessel function of the first kind of integer order n "
              "(scipy.special.jn(n, x)); n must be an integer (else NaN) and is not "
              "differentiated; d/dx is (jn(n - 1, x) - jn(n + 1, x))/2.")
_special2("yn", lambda B, n, x, y: 0.0,
          lambda B, n, x, y: 0.5 * (_sp(B, "yn")(n - 1.0, x) - _sp(B, "yn")(n + 1.0, x)),
          doc="The Bessel function of the second kind of integer order n "
              "(scipy.special.yn(n, x)); n must be an integer (else NaN, where SciPy "
              "truncates it) and is not differentiated; d/dx is (yn(n - 1, x) - "
              "yn(n + 1, x))/2.")


def _drgamma(B, x, y):
    """-digamma(x) rgamma(x) for x >= 1/2; Gamma(1 - x) (cos(pi x) - sin(pi x)
    digamma(1 - x)/pi) below (reflection: smooth through Gamma's poles, where
    it is (-1)^n n! at x = -n; sine and cosine through x - round(x), exact
    there), as tg_drgamma."""
    def reflected(t):
        n = np.rint(B.raw(t))                       # a constant: x - n exact
        u, r = 1.0 - t, np.pi * (t - n)
        sgn = np.where(np.fmod(n, 2.0) != 0, -1.0, 1.0)
        return sgn * (_sp(B, "gamma")(u) * (B.cos(r) - B.sin(r) * _sp(B, "digamma")(u)
                                             / np.pi))
    return _split_at(B, x, B.raw(x) >= 0.5,
                     lambda t: -(_sp(B, "digamma")(t) * _sp(B, "rgamma")(t)),
                     reflected, 1.0, 0.0)


_special("rgamma", _drgamma,
         doc="1/Gamma(x) (scipy.special.rgamma), entire: 0 at the poles of Gamma; "
             "derivative -digamma(x) rgamma(x), (-1)^n n! at x = -n (every order exact "
             "there: the derivative is formed by reflection below 1/2).")


# ---- arguments a rule cannot differentiate --------------------------------------------
def _nondiff_rule(B, *args):
    p = args[-2] if len(args) == 5 else args[-1]
    raise NotImplementedError(
        f"tg.special.{p['fn']}: no derivative with respect to its argument {p['arg']!r} "
        f"(not implemented); pass {p['arg']} as a constant (e.g. np.asarray) or stop its "
        f"gradient")


primitive("nondiff", lambda x, fn, arg: np.array(x, copy=True), _nondiff_rule, _nondiff_rule,
          label="{0}", batch=ELEMENTWISE, namespace=NS)


def _guard(x, fn, name):
    """x, marked so that a gradient or tangent reaching it through ``fn``
    raises (the argument ``name`` of ``fn`` is not differentiated)."""
    if isinstance(x, TensorBase) or is_batched(x):
        return REGISTRY[NS + ".nondiff"](x, fn=fn, arg=name)
    return x


def _special2_guarded(name, d, doc, argname="a", which=0, saves="ab", **kw):
    """A binary special function differentiable in one argument only: a
    gradient reaching argument ``which`` (named ``argname``) raises (the row's
    own partial there, 0, never reaches a differentiated input: the guard
    stands before it).  ``d(B, a, b, y)``: the other partial."""
    key = f"{NS}.{name}"

    def f(a, x):
        a, x = _operands(a, x)
        _check_broadcast(name, a, x)
        if which == 0:
            return REGISTRY[key](_guard(a, name, argname), x)
        return REGISTRY[key](a, _guard(x, name, argname))
    f.__doc__ = doc
    partials = [lambda B, xs, y, p: 0.0, lambda B, xs, y, p: d(B, xs[0], xs[1], y)]
    return elementwise(name, _binary_loop(name), partials if which == 0 else partials[::-1],
                       nin=2, saves=saves, kernel=True, namespace=NS, public=f,
                       label=f"{name}({{0}}, {{1}})", **kw)


def _dgammainc(B, a, x):
    """dP/dx = exp(xlogy(a - 1, x) - x - gammaln(a)) (x^(a-1) e^-x / Gamma(a) in
    log space), in float64 as tg_dgammainc, rounded to the operands' dtype."""
    dt = np.result_type(B.raw(a).dtype, B.raw(x).dtype)
    if dt != np.float64:
        a, x = B.cast(a, np.float64), B.cast(x, np.float64)
    d = B.exp(_sp(B, "xlogy")(a - 1.0, x) - x - _sp(B, "gammaln")(a))
    return B.cast(d, dt) if dt != np.float64 else d


_special2_guarded("gammainc", lambda B, a, x, y: _dgammainc(B, a, x),
                  doc="The regularized lower incomplete gamma function P(a, x) "
                      "(scipy.special.gammainc); d/dx is x^(a-1) e^-x / Gamma(a); a is not "
                      "differentiated (a gradient reaching it raises NotImplementedError, "
                      "as HIPS autograd).")
_special2_guarded("gammaincc", lambda B, a, x, y: -_dgammainc(B, a, x),
                  doc="The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x) "
                      "(scipy.special.gammaincc), accurate where it is small; d/dx is "
                      "-x^(a-1) e^-x / Gamma(a); a is not differentiated (a gradient "
                      "reaching it raises NotImplementedError).")


# ---- the regularized incomplete beta function -----------------------------------------
# NumPy, not a kernel row (the kernel table has no three-operand rows): the
# continued fraction of I_x(a, b) by the modified Lentz method, on the side of
# the mean where it converges fast, (a + 1)/(a + b + 2), the other side by
# I_x(a, b) = 1 - I_{1-x}(b, a); its prefactor x^a (1-x)^b / (a B(a, b)) in
# log space.  Its relative error grows with eps * (a |log x| + b |log1p(-x)|
# + |betaln(a, b)|); measured against mpmath (tests/test_special_betainc.py):
# 5e-14 for a, b in 0.01..100, 4e-13 in 100..1000; against SciPy ~1e-11 at
# a = b = 1e5 and ~1e-8 at 1e8 (SciPy's Boost code: 1e-14 and 2e-14 on the
# mpmath points, 1e-15 at the large ones).
_BETAINC_TERMS = 20_000       # a fraction not converged by then gives NaN, never a guess
_TINY = 1e-300                # Lentz's guard against a zero denominator
_CF_TOL = 4.0 * np.finfo(np.float64).eps
_betaln = _binary_loop("betaln")


def _betainc_cf(a, b, x):
    """The continued fraction of I_x(a, b)/prefactor, elementwise over 1-d
    float64 arrays; NaN where it did not converge in _BETAINC_TERMS terms.
    Converged elements leave the loop (no rounding drift from extra terms)."""
    out = np.full(a.shape, np.nan)
    live = np.arange(a.shape[0])
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones(a.shape)
    d = 1.0 - qab * x / qap
    d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
    h = d.copy()
    for m in range(1, _BETAINC_TERMS + 1):
        m2 = 2.0 * m
        for step in (m * (b - m) * x / ((qam + m2) * (a + m2)),            # even term
                     -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):  # odd term
            d = 1.0 + step * d
            d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
            c = 1.0 + step / c
            c = np.where(np.abs(c) < _TINY, _TINY, c)
            delta = d * c
            h = h * delta
        done = np.abs(delta - 1.0) <= _CF_TOL
        if done.any():
            out[live[done]] = h[done]
            keep = ~done
            if not keep.any():
                break
            live, a, b, x, qab, qap, qam, c, d, h = (
                v[keep] for v in (live, a, b, x, qab, qap, qam, c, d, h))
    return out


def _betainc_forward(a, b, x):
    """I_x(a, b) elementwise, in NumPy's result dtype of the operands (a
    Python number is weak), computed in float64; SciPy's values at the ends
    and limits (a = 0 or b = inf: 1 for x > 0; b = 0 or a = inf: 0 for x <
    1; NaN outside 0 <= x <= 1, for a < 0 or b < 0, and for a = b = 0 or
    a = b = inf)."""
    dt = _float_dtype(a, b, x)
    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, x)))
    shape = a.shape
    a, b, x = a.ravel(), b.ravel(), x.ravel()
    out = np.full(a.shape, np.nan)
    with np.errstate(invalid="ignore"):
        valid = (a >= 0) & (b >= 0) & (x >= 0) & (x <= 1)
        at0 = valid & ((a == 0) | (b == np.inf))        # all mass at 0
        at1 = valid & ((b == 0) | (a == np.inf))        # all mass at 1
        out[at0 & ~at1] = np.where(x[at0 & ~at1] > 0, 1.0, 0.0)
        out[at1 & ~at0] = np.where(x[at1 & ~at0] < 1, 0.0, 1.0)
        inner = valid & ~at0 & ~at1
        out[inner & (x == 0)] = 0.0
        out[inner & (x == 1)] = 1.0
        k = np.flatnonzero(inner & (x > 0) & (x < 1))
    if k.size:
        a, b, x = a[k], b[k], x[k]
        lx, l1x = np.log(x), np.log1p(-x)
        t = a * lx + b * l1x - _betaln(a, b)
        flip = x > (a + 1.0) / (a + b + 2.0)
        p, q = np.where(flip, b, a), np.where(flip, a, b)
        z = np.where(flip, 1.0 - x, x)
        part = np.exp(t - np.log(p)) * _betainc_cf(p, q, z)
        out[k] = np.where(flip, 1.0 - part, part)
    return out.reshape(shape).astype(dt, copy=False)


def _dbetainc(B, a, b, x):
    """dI/dx = x^(a-1) (1-x)^(b-1) / B(a, b), in log space and float64,
    rounded to the operands' dtype."""
    dt = np.result_type(B.raw(a).dtype, B.raw(b).dtype, B.raw(x).dtype)
    if dt != np.float64:
        a, b, x = (B.cast(v, np.float64) for v in (a, b, x))
    d = B.exp(_sp(B, "xlogy")(a - 1.0, x) + _sp(B, "xlog1py")(b - 1.0, -x)
              - _sp(B, "betaln")(a, b))
    return B.cast(d, dt) if dt != np.float64 else d


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b) (scipy.special.betainc(a,
    b, x)), 0 <= x <= 1, a, b > 0 (SciPy's limits at a or b = 0 or inf); d/dx is
    x^(a-1) (1-x)^(b-1) / B(a, b); a and b are not differentiated (a gradient
    reaching them raises NotImplementedError, as HIPS autograd).  Computed in
    NumPy in float64 by a continued fraction: relative error below 1e-13 for
    a, b up to 100, growing with them (below 1e-12 up to 1000, ~1e-11 at
    a = b = 1e5, ~1e-8 at 1e8: use SciPy's for such parameters); NaN where
    the fraction has not converged after 20000 terms."""
    xs = [a, b, x]
    is_t = [isinstance(v, TensorBase) or is_batched(v) for v in xs]
    if not any(is_t):               # a constant tensor of the first array operand
        k = next((i for i in (2, 0, 1) if not (type(xs[i]) is float or type(xs[i]) is int)),
                 2)
        xs[k], is_t[k] = arg(xs[k]), True
    ref = xs[is_t.index(True)]
    a, b, x = (v if t else _const(v, ref) for v, t in zip(xs, is_t))
    shapes = [np.shape(v) if not hasattr(v, "shape") else v.shape for v in (a, b, x)]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise errors.ShapeError(
            f"betainc: operands of shapes {shapes[0]}, {shapes[1]} and {shapes[2]} do not "
            f"broadcast together; reshape them (e.g. expand_dims) so trailing dimensions "
            f"match or are 1.") from None
    return REGISTRY[NS + ".betainc"](_guard(a, "betainc", "a"), _guard(b, "betainc", "b"), x)


# Elementwise in its rules and batching, but not an elementwise() entry:
# those are the kernel rows' functions, and this one has no row.  a and b:
# partial 0 here; the guard in front of a differentiated a or b raises first.
primitive("betainc", _betainc_forward,
          *partial_rules([lambda B, xs, y, p: 0.0, lambda B, xs, y, p: 0.0,
                          lambda B, xs, y, p: _dbetainc(B, *xs)]),
          nin=3, saves=(0, 1, 2),
          batch=ELEMENTWISE, namespace=NS, public=betainc, label="betainc({0}, {1}, {2})")


# ---- modified Bessel functions of real order ---------------------------------------
def _div(B, v, x):
    return 0.5 * (_sp(B, "iv")(v - 1.0, x) + _sp(B, "iv")(v + 1.0, x))


def _dive(B, v, x, y):
    return 0.5 * (_sp(B, "ive")(v - 1.0, x) + _sp(B, "ive")(v + 1.0, x)) - B.sign(x) * y


_special2_guarded("iv", lambda B, v, x, y: _div(B, v, x), argname="v",
                  doc="The modified Bessel function of the first kind of real order v "
                      "(scipy.special.iv(v, x)); NaN for x < 0 unless v is an integer; d/dx "
                      "is (iv(v - 1, x) + iv(v + 1, x))/2; v is not differentiated (a "
                      "gradient reaching it raises NotImplementedError).")
_special2_guarded("ive", _dive, argname="v", saves="aby",
                  doc="exp(-abs(x)) iv(v, x) (scipy.special.ive), without overflow for large "
                      "x; d/dx is (ive(v - 1, x) + ive(v + 1, x))/2 - sign(x) ive(v, x) (0 "
                      "from the kink at x = 0, as i0e); v is not differentiated (a gradient "
                      "reaching it raises NotImplementedError).")


# ---- loggamma, Hurwitz zeta, relative entropy, Box-Cox -------------------------------
_special("loggamma", lambda B, x, y: _sp(B, "digamma")(x),
         doc="The real log-gamma function (scipy.special.loggamma on real x): log Gamma(x) "
             "for x >= 0, NaN for x < 0; derivative digamma(x).")

_special2_guarded("zeta", lambda B, s, q, y: -(s * _sp(B, "zeta")(s + 1.0, q)), argname="x",
                  doc="The Hurwitz zeta function sum_k (q + k)^-x for x > 1 "
                      "(scipy.special.zeta(x, q)); d/dq is -x zeta(x + 1, q); x is not "
                      "differentiated (a gradient reaching it raises NotImplementedError).")
_zeta_xq = REGISTRY[NS + ".zeta"].public


def zeta(x, q=None):
    """The Hurwitz zeta function sum_k (q + k)^-x for x > 1
    (scipy.special.zeta(x, q)); q=None: the Riemann zeta function, for x > 1
    only (NaN below, where SciPy continues it); d/dq is -x zeta(x + 1, q); x is
    not differentiated (a gradient reaching it raises NotImplementedError)."""
    return _zeta_xq(x, 1.0 if q is None else q)


REGISTRY[NS + ".zeta"].public = zeta
zeta.__name__ = zeta.__qualname__ = "zeta"

def _drel_entr(B, x, y):
    """log(x/y) + 1 in float64 (it cancels near x/y = 1/e), as tg_rel_entr_dx,
    rounded to the operands' dtype."""
    dt = np.result_type(B.raw(x).dtype, B.raw(y).dtype)
    if dt != np.float64:
        x, y = B.cast(x, np.float64), B.cast(y, np.float64)
    d = B.log(x / y) + 1.0
    return B.cast(d, dt) if dt != np.float64 else d


_special2("rel_entr", lambda B, x, y, r: _drel_entr(B, x, y), lambda B, x, y, r: -(x / y),
          doc="Relative entropy x log(x/y) (scipy.special.rel_entr): 0 at x = 0 <= y, "
              "inf outside the domain; partials log(x/y) + 1 and -x/y.")
_special2("kl_div", lambda B, x, y, r: B.log(x / y), lambda B, x, y, r: 1.0 - x / y,
          doc="x log(x/y) - x + y (scipy.special.kl_div): y at x = 0 <= y, inf outside "
              "the domain; partials log(x/y) and 1 - x/y.")


def _dboxcox(B, x, lm, log_name):
    """x^(l-1) (or (1+x)^(l-1)) as exp(xlogy(l - 1, x)), in float64 as the row."""
    dt = np.result_type(B.raw(x).dtype, B.raw(lm).dtype)
    if dt != np.float64:
        x, lm = B.cast(x, np.float64), B.cast(lm, np.float64)
    d = B.exp(_sp(B, log_name)(lm - 1.0, x))
    return B.cast(d, dt) if dt != np.float64 else d


_special2_guarded("boxcox", lambda B, x, lm, y: _dboxcox(B, x, lm, "xlogy"), argname="lmbda",
                  which=1,
                  doc="The Box-Cox transform (x^lmbda - 1)/lmbda, log(x) at lmbda = 0 "
                      "(scipy.special.boxcox); d/dx is x^(lmbda - 1); lmbda is not "
                      "differentiated (a gradient reaching it raises NotImplementedError).")
_special2_guarded("boxcox1p", lambda B, x, lm, y: _dboxcox(B, x, lm, "xlog1py"),
                  argname="lmbda", which=1,
                  doc="The Box-Cox transform of 1 + x, accurate for small x "
                      "(scipy.special.boxcox1p); d/dx is (1 + x)^(lmbda - 1); lmbda is not "
                      "differentiated (a gradient reaching it raises NotImplementedError).")


# ---- exponential integrals ------------------------------------------------------------
_special("exp1", lambda B, x, y: -(B.exp(-x) / x),
         doc="The exponential integral E1(x) = int_x^inf e^-t/t dt (scipy.special.exp1; "
             "NaN for x < 0); derivative -e^-x/x.")
_special("expi", lambda B, x, y: B.exp(x) / x,
         doc="The exponential integral Ei(x) (scipy.special.expi); derivative e^x/x.")
