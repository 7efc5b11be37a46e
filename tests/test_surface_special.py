"""tg.special (ops/special.py, csrc/tg_special.c).

1. Every function through the shared surface checks (value vs SciPy, reverse
   and forward vs central differences, second order, batched Jacobians,
   float32).
2. The accuracy of the C functions over wide ranges, in ulps against mpmath
   (50 digits) and SciPy.  The bounds asserted are the measured maxima
   (rounded up); where SciPy is worse the test says so.
3. Special values: poles, the ends of the domains, infinities, NaN, -0.0,
   huge arguments, and the derivatives there (JAX's conventions, or the
   limit where JAX gives a wrong number, as stated).
4. torch and JAX as second oracles for the derivatives.
"""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

from oracles import jax64
from surface import Spec, check_all

sc = pytest.importorskip("scipy.special")
mp = pytest.importorskip("mpmath")

INF, NAN = np.inf, np.nan
S = tg.special


def mixed(*ranges):
    """Draw each element from one of ``ranges`` in turn (so both branches of a
    piecewise derivative are exercised in one array)."""
    def draw(rng, shape):
        n = int(np.prod(shape, dtype=np.int64))
        v = [rng.uniform(*ranges[k % len(ranges)]) for k in range(n)]
        return np.array(v).reshape(shape)
    return draw


def signed(lo, hi):
    return lambda rng, shape: rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, shape)


ORDERS = np.array([0.0, 1.0, 2.0], dtype=np.float32)     # float32 keeps x's dtype


def u(name, domain, ref=None, shapes=((3, 2),), **kw):
    return Spec(f"special.{name}", getattr(S, name), ref or getattr(sc, name), list(shapes),
                domain, **kw)


SPECS = [
    u("erf", (-3.0, 3.0)),
    u("erfc", (-3.0, 3.0)),
    u("erfinv", (-0.95, 0.95)),
    u("erfcinv", (0.05, 1.95)),
    u("erfcx", mixed((-2.0, 5.0), (12.5, 40.0))),
    u("ndtr", (-6.0, 6.0)),
    u("ndtri", (0.02, 0.98)),
    u("log_ndtr", mixed((-40.0, -1.0), (-1.0, 6.0))),
    u("gammaln", (0.2, 8.0)),
    u("gammaln", mixed((-2.9, -2.1), (-0.9, -0.1)), shapes=((4,),)),
    u("gamma", (0.2, 5.0)),
    u("gamma", mixed((-1.9, -1.1), (-0.9, -0.1)), shapes=((4,),)),
    u("digamma", (0.2, 12.0)),
    u("digamma", mixed((-1.9, -1.1), (1.3, 1.6)), shapes=((4,),)),
    u("psi", (0.5, 5.0)),
    u("gammasgn", mixed((-2.9, -2.1), (0.5, 2.0))),
    u("i0", (-5.0, 5.0)),
    u("i1", (-5.0, 5.0)),
    u("i1", (-5e-4, 5e-4), shapes=((4,),), fd_atol=1e-9),    # the series branch of I1'
    u("i0e", signed(0.2, 12.0)),
    u("i1e", signed(0.2, 12.0)),
    u("logit", (0.05, 0.95)),
    u("expit", (-5.0, 5.0)),
    u("log_expit", (-8.0, 8.0)),
    u("entr", (0.1, 3.0)),
    u("softplus", (-8.0, 8.0)),
    Spec("special.polygamma.1", lambda x: S.polygamma(1, x), lambda x: sc.polygamma(1, x),
         [(3, 2)], (0.3, 6.0)),
    Spec("special.polygamma.3", lambda x: S.polygamma(3, x), lambda x: sc.polygamma(3, x),
         [(3,)], (0.5, 6.0)),
    Spec("special.polygamma.array_n", lambda x: S.polygamma(ORDERS, x),
         lambda x: sc.polygamma(ORDERS, x), [(2, 3)], (0.5, 6.0)),
    Spec("special.betaln", S.betaln, sc.betaln, [(3, 2), (2,)], (0.3, 5.0)),
    Spec("special.betaln.large", S.betaln, sc.betaln, [(3,), (3,)], [(20.0, 200.0),
                                                                     (0.5, 3.0)]),
    Spec("special.beta", S.beta, sc.beta, [(3, 2), (2,)], (0.5, 4.0)),
    Spec("special.xlogy", S.xlogy, sc.xlogy, [(3, 2), (2,)], [(-2.0, 2.0), (0.3, 3.0)]),
    Spec("special.xlog1py", S.xlog1py, sc.xlog1py, [(3, 2), (2,)], [(-2.0, 2.0), (-0.7, 3.0)]),
    Spec("special.xlogy.scalar", lambda x: S.xlogy(x, 2.5), lambda x: sc.xlogy(x, 2.5),
         [(3,)]),
    Spec("special.multigammaln", lambda x: S.multigammaln(x, 3),
         lambda x: sc.multigammaln(x, 3), [(3,)], (1.5, 6.0)),
    Spec("special.logsumexp", S.logsumexp, sc.logsumexp, [(3, 2)]),
    Spec("special.logsumexp.axis", lambda x: S.logsumexp(x, axis=0, keepdims=True),
         lambda x: sc.logsumexp(x, axis=0, keepdims=True), [(3, 2)]),
    Spec("special.logsumexp.b", lambda a, b: S.logsumexp(a, axis=1, b=b),
         lambda a, b: sc.logsumexp(a, axis=1, b=b), [(2, 3), (2, 3)],
         [(-2.0, 2.0), (0.2, 2.0)]),
    Spec("special.softmax", S.softmax, sc.softmax, [(3, 2)]),
    Spec("special.softmax.axis", lambda x: S.softmax(x, axis=1),
         lambda x: sc.softmax(x, axis=1), [(3, 2)]),
    Spec("special.log_softmax", S.log_softmax, sc.log_softmax, [(3, 2)]),
    Spec("special.chain", lambda x: S.gammaln(S.expit(x) + 1.0) * S.erf(x),
         lambda x: sc.gammaln(sc.expit(x) + 1.0) * sc.erf(x), [(4,)]),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)


def test_every_function_of_the_issue_is_there():
    for name in ["erf", "erfc", "erfinv", "gammaln", "digamma", "polygamma", "beta", "betaln",
                 "expit", "logit", "xlogy", "xlog1py", "logsumexp", "softmax", "log_softmax",
                 "i0", "i1", "ndtr", "ndtri", "log_ndtr", "entr", "erfcx", "log_expit", "gamma",
                 "erfcinv", "psi", "gammasgn", "i0e", "i1e", "multigammaln", "softplus"]:
        f = getattr(S, name)
        assert callable(f) and f.__doc__, name
        assert hasattr(sc, name), name
    assert sorted(S.__all__) == S.__all__ and "erf" in S.__all__


def test_namespace_functions_are_the_main_ones():
    x = tg.array([[0.5, -1.0, 2.0], [3.0, 0.0, -0.25]])
    np.testing.assert_array_equal(S.logsumexp(x).asnumpy(), tg.logsumexp(x).asnumpy())
    np.testing.assert_array_equal(S.softmax(x, axis=-1).asnumpy(), tg.softmax(x).asnumpy())
    np.testing.assert_array_equal(S.log_softmax(x, axis=0).asnumpy(),
                                  tg.log_softmax(x, axis=0).asnumpy())
    np.testing.assert_array_equal(S.expit(x).asnumpy(), tg.sigmoid(x).asnumpy())
    np.testing.assert_array_equal(tg.i0(x).asnumpy(), S.i0(x).asnumpy())
    np.testing.assert_allclose(tg.i0(x).asnumpy(), np.i0(x.asnumpy()), rtol=1e-15)
    # scipy's defaults: softmax over all elements
    np.testing.assert_allclose(S.softmax(x).asnumpy(), sc.softmax(x.asnumpy()), rtol=1e-15)


# ---------------------------------------------------------------------------
# Accuracy of the C functions
# ---------------------------------------------------------------------------

mp.mp.dps = 50


def mpf(f, xs):
    return np.array([float(f(mp.mpf(float(x)))) for x in xs])


def ulps(got, want):
    """|got - want| in units of the last place of want (0 where both agree,
    NaN or infinite alike)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    e = np.abs(got - want) / np.spacing(np.abs(want))
    e[(got == want) | (np.isnan(got) & np.isnan(want))] = 0.0
    return e


def assert_ulps(name, xs, got, want, bound):
    e = ulps(got, want)
    i = int(np.argmax(e))
    assert e[i] <= bound, f"{name}: {e[i]:.0f} ulps at x = {xs[i]!r} ({got[i]!r} vs {want[i]!r})"
    return e[i]


def T(f, *xs):
    """A tapegrad function's values on arrays (the C loops)."""
    return f(*[tg.array(x) for x in xs]).asnumpy()


RNG = np.random.default_rng(20240614)


def sample(*parts):
    return np.concatenate(parts)


def u_(lo, hi, n=150):
    return RNG.uniform(lo, hi, n)


def logu(lo, hi, n=150):
    return np.exp(RNG.uniform(lo, hi, n))


# name, inputs, mpmath reference, bound in ulps (measured: the number in the
# comment; SciPy's on the same points after it where it is worse)
ACCURACY = [
    ("erf", lambda: sample(u_(-6, 6), logu(-40, 1)), mp.erf, 2),
    ("erfc", lambda: sample(u_(-6, 27), logu(-30, 1)), mp.erfc, 6),
    ("erfcx", lambda: sample(u_(-26, 30), logu(-30, 25), -logu(-30, 3.2)),
     lambda x: mp.exp(x * x) * mp.erfc(x), 4),                  # 3; SciPy 500 near -26.5
    ("erfinv", lambda: sample(u_(-1, 1), 1 - logu(-36, -0.7), logu(-700, -1)), mp.erfinv, 3),
    ("ndtr", lambda: sample(u_(-38, 9), -logu(0, 3.6)), mp.ncdf, 4),   # 3; SciPy 1e13
    ("log_ndtr", lambda: sample(u_(-50, 40), -logu(1, 100)),
     lambda x: mp.log(mp.ncdf(x)) if x < 0 else mp.log1p(-mp.ncdf(-x)), 4),  # 2; SciPy 1e10
    ("i0", lambda: sample(u_(-40, 40), logu(-20, 6.5)), lambda x: mp.besseli(0, x), 12),
    ("i1", lambda: sample(u_(-40, 40), logu(-20, 6.5)), lambda x: mp.besseli(1, x), 12),
    ("i0e", lambda: sample(u_(-40, 40), logu(-20, 30)),
     lambda x: mp.besseli(0, x) * mp.exp(-abs(x)), 12),
    ("i1e", lambda: sample(u_(-40, 40), logu(-20, 30)),
     lambda x: mp.besseli(1, x) * mp.exp(-abs(x)), 12),
    ("gamma", lambda: sample(u_(-20, 20), logu(-30, 5.1)), mp.gamma, 6),
    ("digamma", lambda: sample(u_(0, 12), logu(-20, 30), 1.4616321449683623 + u_(-1e-3, 1e-3)),
     mp.digamma, 4),
    ("logit", lambda: sample(u_(0, 1), logu(-700, 0), 1 - logu(-36, 0)),
     lambda p: mp.log(p / (1 - p)) if 0 < p < 1 else (mp.inf if p == 1 else -mp.inf), 2),
    ("log_expit", lambda: u_(-800, 800), lambda x: -mp.log1p(mp.exp(-x)), 2),
    ("erfcinv", lambda: sample(u_(0, 2), logu(-740, -1)), lambda q: _erfcinv(q), 3),
]


def _erfcinv(q):
    if q == 0:
        return mp.inf
    if q > 1e-10:
        return mp.erfinv(1 - q)
    return mp.findroot(lambda t: mp.log(mp.erfc(t)) - mp.log(q), mp.sqrt(-mp.log(q)))


def _dlog_ndtr(v):
    """pdf/cdf of the standard normal: exactly, or by its asymptotic series
    1 / (1/t - 1/t^3 + 3/t^5 - 15/t^7), t = -v, far in the lower tail."""
    if v < -1e3:
        t = -v
        return 1 / (1 / t - 1 / t ** 3 + 3 / t ** 5 - 15 / t ** 7)
    return mp.sqrt(2 / mp.pi) / (mp.exp(v * v / 2) * mp.erfc(-v / mp.sqrt(2)))


@pytest.mark.parametrize("name,xs,ref,bound", ACCURACY, ids=[a[0] for a in ACCURACY])
def test_accuracy_against_mpmath(name, xs, ref, bound):
    x = xs()
    with np.errstate(all="ignore"):
        got = T(getattr(S, name), x)
    want = mpf(ref, x)
    assert_ulps(name, x, got, want, bound)
    # float32: the double result rounded once (within one float32 ulp of the truth)
    with np.errstate(all="ignore"):
        x32 = x.astype(np.float32)
        got32 = getattr(S, name)(tg.array(x32, dtype="float32")).asnumpy()
        want32 = mpf(ref, x32.astype(np.float64)).astype(np.float32)
        e32 = np.abs(got32.astype(np.float64) - want32) / np.spacing(np.abs(want32)).astype(
            np.float64)
    assert got32.dtype == np.float32
    e32[(got32 == want32) | (np.isnan(got32) & np.isnan(want32))] = 0
    assert np.max(e32) <= 1.0, (name, x32[np.argmax(e32)], np.max(e32))


def test_ndtri_accuracy_to_the_smallest_probability():
    p = sample(u_(0, 1, 300), logu(-744, 0, 300))

    def ref(q):
        if q > 0.25:
            return -mp.sqrt(2) * mp.erfinv(1 - 2 * q)
        return -mp.sqrt(2) * mp.findroot(lambda t: mp.log(mp.erfc(t)) - mp.log(2 * q),
                                         mp.sqrt(-mp.log(2 * q)) if q < 0.1 else 0.5)
    assert_ulps("ndtri", p, T(S.ndtri, p), mpf(ref, p), 3)


def test_polygamma_accuracy():
    x = sample(u_(0.01, 12, 120), logu(-15, 25, 120))
    for n in (1, 2, 5):
        assert_ulps(f"polygamma({n})", x, T(lambda t: S.polygamma(n, t), x),
                    mpf(lambda v: mp.polygamma(n, v), x), 5)
    neg = u_(-9.9, -0.1, 60)
    neg = neg[np.abs(neg - np.round(neg)) > 0.05]
    assert_ulps("polygamma(1) of x < 0", neg, T(lambda t: S.polygamma(1, t), neg),
                mpf(lambda v: mp.polygamma(1, v), neg), 5)


def test_digamma_for_negative_x():
    """Through the reflection formula: a few ulps, except next to digamma's
    negative roots (-0.5040..., -1.5731..., where it cancels as SciPy's does:
    bounded here by 1e-13 in absolute terms)."""
    x = u_(-10, -0.01, 200)
    x = x[np.abs(x - np.round(x)) > 0.01]
    got, want = T(S.digamma, x), mpf(mp.digamma, x)
    assert np.max(np.abs(got - want) / np.maximum(np.abs(want), 1.0)) < 1e-13


@pytest.mark.parametrize("name", ["gammaln", "betaln"])
def test_log_functions_accurate_to_their_scale(name):
    """log|Gamma| and log|B| cross 0, where any relative error is unbounded:
    error within a few eps of max(1, |value|).  betaln keeps that at large and
    unequal arguments (SciPy: 3e-10 at betaln(1e10, 1e-5) and the like)."""
    if name == "gammaln":
        x = sample(u_(-20, 20, 200), logu(-30, 30, 200))
        got = T(S.gammaln, x)
        want = mpf(lambda v: mp.log(abs(mp.gamma(v))), x)
    else:
        a = sample(logu(-20, 25, 200), u_(0, 10, 100))
        b = sample(logu(-20, 25, 200), u_(0, 10, 100))
        got = T(S.betaln, a, b)
        want = np.array([float(mp.log(abs(mp.beta(mp.mpf(float(p)), mp.mpf(float(q))))))
                         for p, q in zip(a, b)])
    err = np.abs(got - want) / np.maximum(np.abs(want), 1.0)
    assert np.max(err) < 2e-15, np.max(err)


def test_beta_accuracy():
    a, b = u_(0.01, 40, 200), u_(0.01, 40, 200)
    got = T(S.beta, a, b)
    want = np.array([float(mp.beta(mp.mpf(float(p)), mp.mpf(float(q)))) for p, q in zip(a, b)])
    assert np.max(np.abs(got - want) / np.abs(want)) < 2e-14


def test_sinc_and_derfcx_helpers_via_their_derivatives():
    """The derivative kernels that are functions of their own (sinc', erfcx'
    past 12, the pdf/cdf of log_ndtr, I1') against mpmath."""
    x = sample(u_(-0.3, 0.3, 40), u_(11, 40, 40), logu(3, 30, 40))
    g = tg.grad(lambda t: S.erfcx(t).sum())(tg.array(x)).asnumpy()
    want = mpf(lambda v: mp.diff(lambda t: mp.exp(t * t) * mp.erfc(t), v), x)
    assert np.max(np.abs(g - want) / np.abs(want)) < 5e-15
    x = sample(u_(-40, 5, 60), -logu(1, 200, 60))
    g = tg.grad(lambda t: S.log_ndtr(t).sum())(tg.array(x)).asnumpy()
    want = mpf(_dlog_ndtr, x)
    assert np.max(np.abs(g - want) / np.abs(want)) < 1e-14
    x = sample(u_(-1e-3, 1e-3, 30), u_(-30, 30, 60))
    g = tg.grad(lambda t: S.i1(t).sum())(tg.array(x)).asnumpy()
    want = mpf(lambda v: (mp.besseli(0, v) + mp.besseli(2, v)) / 2, x)
    assert np.max(np.abs(g - want) / np.abs(want)) < 4e-15


# ---------------------------------------------------------------------------
# Special values
# ---------------------------------------------------------------------------

SPECIAL_VALUES = {
    "erf": [0.0, -0.0, 6.0, -30.0, INF, -INF, NAN],
    "erfc": [0.0, -0.0, 26.0, 28.0, -30.0, INF, -INF, NAN],
    "erfcx": [0.0, -0.0, -26.0, -27.0, 1e300, INF, -INF, NAN],
    "erfinv": [0.0, 1.0, -1.0, 1.5, -1.5, 1e-310, NAN],
    "erfcinv": [0.0, 1.0, 2.0, 2.5, -0.5, 1e-300, NAN],
    "ndtr": [0.0, -40.0, 40.0, INF, -INF, NAN],
    "ndtri": [0.0, 1.0, 0.5, 1.5, -0.5, 5e-324, NAN],
    "log_ndtr": [0.0, -1e5, -1e200, 40.0, INF, -INF, NAN],
    "gammaln": [0.0, -0.0, -1.0, -2.5, 1e-300, 1e300, INF, NAN],
    "gamma": [0.0, -0.0, -1.0, -2.5, 171.5, 172.0, INF, NAN],
    "digamma": [0.0, -0.0, -1.0, -2.5, 1e-300, 1e300, INF, NAN],
    "gammasgn": [0.0, -0.0, -1.0, -1.5, -2.5, 3.0, INF, NAN],
    "i0": [0.0, -0.0, 700.0, -700.0, 714.0, NAN],
    "i1": [0.0, -0.0, 700.0, -700.0, 714.0, NAN],
    "i0e": [0.0, -0.0, 1e300, -1e300, INF, -INF, NAN],
    "i1e": [0.0, -0.0, 1e300, -1e300, INF, -INF, NAN],
    "logit": [0.0, 1.0, 0.5, -0.5, 1.5, 5e-324, NAN],
    "log_expit": [0.0, 800.0, -800.0, INF, -INF, NAN],
    "entr": [0.0, -0.0, -1.0, 1e-300, INF, NAN],
}


@pytest.mark.parametrize("name", sorted(SPECIAL_VALUES))
def test_special_values_match_scipy(name):
    x = np.array(SPECIAL_VALUES[name])
    with np.errstate(all="ignore"):
        got = T(getattr(S, name), x)
        want = getattr(sc, name)(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name} at {x}")
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-13, err_msg=f"{name} at {x}")
    for v in x:                                   # the 0-d (C scalar) path: the same values
        with np.errstate(all="ignore"):
            one = getattr(S, name)(tg.array(v)).item()
        assert one == T(getattr(S, name), np.array([v]))[0] or (np.isnan(one) and
                                                                  np.isnan(want[x == v]).all())


def test_where_scipy_overflows_or_flushes_too_early():
    """SciPy gives NaN for i0(+-inf) and i1(+-inf) (the limits are inf, +-inf),
    inf for i0(713) and i1(713) (6.7e307: finite), erfcinv(5e-324) = inf (27.2)."""
    np.testing.assert_array_equal(T(S.i0, np.array([INF, -INF])), [INF, INF])
    np.testing.assert_array_equal(T(S.i1, np.array([INF, -INF])), [INF, -INF])
    x = np.array([713.0, -713.0])
    np.testing.assert_allclose(T(S.i0, x), mpf(lambda v: mp.besseli(0, v), x), rtol=4e-15)
    np.testing.assert_allclose(T(S.i1, x), mpf(lambda v: mp.besseli(1, v), x), rtol=4e-15)
    assert S.erfcinv(5e-324).item() == pytest.approx(float(_erfcinv(mp.mpf(5e-324))), rel=1e-15)
    assert S.ndtri(5e-324).item() == pytest.approx(-np.sqrt(2) * float(_erfcinv(mp.mpf(1e-323))),
                                                   rel=1e-15)


@pytest.mark.parametrize("a,b", [(-1.0, 2.0), (-0.5, 1.0), (-0.5, -0.5), (0.0, 1.0),
                                 (INF, 1.0), (-1.5, 0.5), (-1.5, 1.5), (1e10, 1.0),
                                 (1e-320, 1.0), (-1.0, 1.0), (2.5, -0.5)])
def test_beta_betaln_special_arguments(a, b):
    with np.errstate(all="ignore"):
        for name in ("beta", "betaln"):
            got = T(getattr(S, name), np.array([a]), np.array([b]))[0]
            want = getattr(sc, name)(a, b)
            if name == "betaln" and a == 1e-320:
                want = float(mp.log(mp.beta(mp.mpf(a), 1)))   # SciPy: inf
            assert got == pytest.approx(want, rel=1e-13, nan_ok=True), (name, a, b, got, want)


def test_polygamma_orders_and_poles():
    with np.errstate(all="ignore"):
        assert np.isnan(S.polygamma(1.5, 2.0).item()) and np.isnan(S.polygamma(-1, 2.0).item())
        assert S.polygamma(1, 0.0).item() == INF and S.polygamma(2, 0.0).item() == -INF
        assert S.polygamma(1, -1.0).item() == INF and S.polygamma(1, INF).item() == 0.0
    got = S.polygamma(np.array([0, 1, 2, 3]), tg.array([2.0])).asnumpy()
    np.testing.assert_allclose(got, sc.polygamma([0, 1, 2, 3], 2.0), rtol=1e-15)


def test_xlogy_at_zero():
    """0 where x = 0 (unless y is NaN: SciPy's); JAX's partials: log(y) and x/y,
    so -inf and NaN at (0, 0), 0 and 0 at (0, 1)."""
    x, y = [0.0, 0.0, 0.0, 2.0], [0.0, 1.0, NAN, 0.0]
    with np.errstate(all="ignore"):
        v = T(S.xlogy, np.array(x), np.array(y))
        np.testing.assert_array_equal(v, sc.xlogy(x, y))
        gx, gy = tg.grad(lambda a, b: S.xlogy(a, b).sum(), argnums=(0, 1))(tg.array(x),
                                                                         tg.array(y))
    np.testing.assert_array_equal(gx.asnumpy(), [-INF, 0.0, NAN, -INF])
    np.testing.assert_array_equal(gy.asnumpy(), [NAN, 0.0, NAN, INF])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(T(S.xlog1py, np.array(x), np.array([-1.0, 0.0, NAN, 0.0])),
                                      sc.xlog1py(x, [-1.0, 0.0, NAN, 0.0]))


def _d(f, k, x):
    for _ in range(k):
        f = tg.grad(f)
    return f(x).item()


def test_derivatives_at_special_points_are_exact():
    """Exact values, where JAX gives another (JAX: i0''(0) = 1.5, i1''(0) = 1.0)."""
    assert _d(S.i1, 1, 0.0) == 0.5
    assert _d(S.i1, 2, 0.0) == 0.0
    assert _d(S.i1, 3, 0.0) == pytest.approx(3 / 8, rel=1e-15)
    assert _d(S.i0, 1, 0.0) == 0.0
    assert _d(S.i0, 2, 0.0) == 0.5
    assert _d(S.i1e, 1, 0.0) == 0.5
    assert _d(S.i0e, 1, 0.0) == 0.0                 # a kink: 0, as abs
    assert _d(S.erfinv, 1, 0.0) == pytest.approx(np.sqrt(np.pi) / 2, rel=1e-15)
    assert _d(S.ndtri, 1, 0.5) == pytest.approx(np.sqrt(2 * np.pi), rel=1e-15)
    assert _d(S.logit, 1, 0.5) == 4.0
    assert _d(S.erf, 2, 1.0) == pytest.approx(-4 / np.sqrt(np.pi) * np.exp(-1.0), rel=1e-15)
    with np.errstate(all="ignore"):
        assert _d(S.erfinv, 1, 1.0) == INF and _d(S.erfinv, 1, -1.0) == INF
        assert _d(S.entr, 1, 0.0) == INF
        assert _d(S.ndtri, 1, 0.0) == INF
    # d^k/dx^k digamma = polygamma(k, x), through create_graph
    for k in range(1, 5):
        assert _d(S.digamma, k, 1.7) == pytest.approx(sc.polygamma(k, 1.7), rel=1e-13)
        assert _d(S.gammaln, k + 1, 2.3) == pytest.approx(sc.polygamma(k, 2.3), rel=1e-13)


def test_log_ndtr_derivative_far_in_the_lower_tail():
    """pdf/cdf ~ -x: finite and accurate (JAX: 99999.968 at -1e5, 3e-7 off)."""
    for x in (-40.0, -1e5, -1e10, -1e150):
        g = tg.grad(S.log_ndtr)(x).item()
        want = float(_dlog_ndtr(mp.mpf(x)))
        assert g == pytest.approx(want, rel=2e-15), (x, g, want)
    assert S.log_ndtr(-1e150).item() == pytest.approx(-0.5e300, rel=1e-15)
    assert S.log_ndtr(-1e200).item() == -INF          # -x^2/2 overflows


def test_special_functions_keep_float32():
    x = tg.array([0.3, 0.7], dtype="float32")
    for name in ["erf", "erfc", "erfinv", "erfcinv", "erfcx", "ndtr", "ndtri", "log_ndtr",
                 "gammaln", "gamma", "digamma", "gammasgn", "i0", "i1", "i0e", "i1e", "logit",
                 "log_expit", "entr", "expit", "psi", "softplus"]:
        assert getattr(S, name)(x).dtype == np.float32, name
    for name in ["xlogy", "xlog1py", "betaln", "beta"]:
        assert getattr(S, name)(x, 2.0).dtype == np.float32, name
        assert getattr(S, name)(x, np.float32(2.0)).dtype == np.float32, name
        assert getattr(S, name)(x, np.array([2.0])).dtype == np.float64, name
    assert S.polygamma(1, x).dtype == np.float32


def test_binary_special_functions_broadcast_and_take_any_layout():
    a = np.arange(1.0, 7.0).reshape(2, 3)
    b = np.array([[0.5], [2.5]])
    np.testing.assert_allclose(S.betaln(a, b).asnumpy(), sc.betaln(a, b), rtol=1e-14)
    np.testing.assert_allclose(S.betaln(a.T, 1.5).asnumpy(), sc.betaln(a.T, 1.5), rtol=1e-14)
    np.testing.assert_allclose(S.xlogy(a[:, ::2], b).asnumpy(), sc.xlogy(a[:, ::2], b),
                               rtol=1e-15)
    np.testing.assert_allclose(S.polygamma(2, a[::-1]).asnumpy(), sc.polygamma(2, a[::-1]),
                               rtol=1e-14)
    np.testing.assert_allclose(S.erf(a.T).asnumpy(), sc.erf(a.T), rtol=1e-15)
    np.testing.assert_allclose(S.gammaln(np.arange(1, 6)).asnumpy(), sc.gammaln(np.arange(1, 6)),
                               rtol=1e-15)


def test_logsumexp_with_weights_and_sign():
    a = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, -3.0]])
    b = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    got, sign = S.logsumexp(tg.array(a), axis=1, b=tg.array(b), return_sign=True)
    want, wsign = sc.logsumexp(a, axis=1, b=b, return_sign=True)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-14)
    np.testing.assert_array_equal(sign, wsign)
    ga, gb = tg.grad(lambda x, w: S.logsumexp(x, axis=1, b=w, return_sign=True)[0].sum(),
                     argnums=(0, 1))(tg.array(a), tg.array(b))
    s = np.sum(b * np.exp(a), axis=1, keepdims=True)
    np.testing.assert_allclose(ga.asnumpy(), b * np.exp(a) / s, rtol=1e-13)
    np.testing.assert_allclose(gb.asnumpy(), np.exp(a) / s, rtol=1e-13)
    with np.errstate(divide="ignore"):
        assert S.logsumexp(tg.array([-INF, -INF])).item() == -INF


def test_trace_grammar_knows_erf(capsys):
    from tapegrad.teaching.cli import main
    assert main(["trace", "erf(x) * erfc(x)", "--at", "x=0.5"]) == 0
    out = capsys.readouterr().out
    assert "erf(v_0)" in out and "exp(-v_0^2)" in out
    d = 2 / np.sqrt(np.pi) * np.exp(-0.25) * (sc.erfc(0.5) - sc.erf(0.5))
    assert f"{d:.4f}".rstrip("0") in out          # the tables drop trailing zeros


def test_multigammaln_needs_a_positive_dimension():
    with pytest.raises(ValueError, match="dimension d must be a positive integer"):
        S.multigammaln(tg.array(3.0), 0)


def test_recorded_special_functions_and_their_trace_labels():
    x = tg.array(0.4)
    x.attach_grad()
    with autograd.record():
        y = S.erf(x) * S.gammaln(x) + S.betaln(x, 2.0)
    y.backward()
    want = (2 / np.sqrt(np.pi) * np.exp(-0.16) * sc.gammaln(0.4) + sc.erf(0.4) * sc.digamma(0.4)
            + sc.digamma(0.4) - sc.digamma(2.4))
    assert x.grad.item() == pytest.approx(want, rel=1e-14)
    t = tg.evaluation_trace(lambda v: S.erf(v) * S.gammaln(v), 0.4)
    assert [r.expr for r in t.rows][1:] == ["erf(v_0)", "gammaln(v_0)", "v_1 * v_2"]
    assert "exp(-v_0^2)" in str(t) and "digamma(v_0)" in str(t)
    assert "\\operatorname{erf}" in t.to_markdown()


# ---------------------------------------------------------------------------
# torch and JAX as second oracles
# ---------------------------------------------------------------------------

TORCH = [("erf", "erf", (-3, 3)), ("erfc", "erfc", (-3, 3)), ("erfinv", "erfinv", (-0.9, 0.9)),
         ("erfcx", "erfcx", (-2, 20)), ("ndtr", "ndtr", (-5, 5)), ("ndtri", "ndtri", (0.05, 0.95)),
         ("log_ndtr", "log_ndtr", (-30, 5)), ("gammaln", "gammaln", (0.2, 8)),
         ("i0", "i0", (-5, 5)), ("i1", "i1", (-5, 5)), ("i0e", "i0e", (0.2, 12)),
         ("i1e", "i1e", (0.2, 12)), ("logit", "logit", (0.05, 0.95)),
         ("entr", "entr", (0.1, 3)), ("expit", "expit", (-5, 5))]


@pytest.mark.parametrize("name,tname,dom", TORCH, ids=[t[0] for t in TORCH])
def test_against_torch_special(name, tname, dom):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(11).uniform(*dom, 7)
    t = torch.tensor(x, requires_grad=True)
    getattr(torch.special, tname)(t).sum().backward()
    g = tg.grad(lambda v: getattr(S, name)(v).sum())(tg.array(x)).asnumpy()
    # torch's ndtr loses 2e-11 of the lower tail (x / sqrt(2) rounded); ours is
    # within 4 ulps of mpmath there (test_accuracy_against_mpmath)
    np.testing.assert_allclose(T(getattr(S, name), x),
                               getattr(torch.special, tname)(torch.tensor(x)).numpy(),
                               rtol=1e-10 if name == "ndtr" else 1e-13)
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-11)


def test_xlogy_polygamma_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    a, b = rng.uniform(-2, 2, 5), rng.uniform(0.3, 3, 5)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    torch.special.xlogy(ta, tb).sum().backward()
    ga, gb = tg.grad(lambda x, y: S.xlogy(x, y).sum(), argnums=(0, 1))(tg.array(a), tg.array(b))
    np.testing.assert_allclose(ga.asnumpy(), ta.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(gb.asnumpy(), tb.grad.numpy(), rtol=1e-13)
    # polygamma(2, .): torch's is good to about 1e-9 (its trigamma too)
    tb = torch.tensor(b, requires_grad=True)
    torch.polygamma(2, tb).sum().backward()
    g = tg.grad(lambda x: S.polygamma(2, x).sum())(tg.array(b)).asnumpy()
    np.testing.assert_allclose(g, tb.grad.numpy(), rtol=1e-7)
    np.testing.assert_allclose(g, sc.polygamma(3, b), rtol=1e-14)


@pytest.fixture(scope="module")
def jax():
    return jax64()


# log_ndtr above -5 only: below, JAX's derivatives drift (1.6e-11 relative at -40 in the
# first, 1.3e-6 at -21 in the second; ours match mpmath, see the tests above)
JAX = [("erf", (-3, 3)), ("erfinv", (-0.9, 0.9)), ("gammaln", (0.2, 8)), ("digamma", (0.2, 8)),
       ("ndtr", (-5, 5)), ("ndtri", (0.05, 0.95)), ("log_ndtr", (-5, 5)), ("logit", (0.05, 0.95)),
       ("i0e", (0.2, 12)), ("i1e", (0.2, 12)), ("entr", (0.1, 3)), ("expit", (-5, 5)),
       ("i0", (0.5, 5)), ("i1", (0.5, 5))]


@pytest.mark.parametrize("name,dom", JAX, ids=[j[0] for j in JAX])
def test_second_derivative_against_jax(jax, name, dom):
    js = jax.scipy.special
    x = np.random.default_rng(13).uniform(*dom, 5)
    want = np.asarray(jax.vmap(jax.grad(jax.grad(getattr(js, name))))(jax.numpy.asarray(x)))
    got = np.array([_d(getattr(S, name), 2, float(v)) for v in x])
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)


def test_binary_hessians_against_jax(jax):
    js = jax.scipy.special
    for name, a, b in [("betaln", 1.7, 3.2), ("xlogy", 0.7, 2.3), ("xlog1py", -1.2, 0.4)]:
        want = np.asarray(jax.hessian(lambda v: getattr(js, name)(v[0], v[1]))(
            jax.numpy.array([a, b])))
        got = tg.hessian(lambda v: getattr(S, name)(v[0], v[1]))(tg.array([a, b])).asnumpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)
    want = np.asarray(jax.grad(jax.grad(lambda x: js.polygamma(2, x)))(1.3))
    assert _d(lambda x: S.polygamma(2, x), 2, 1.3) == pytest.approx(float(want), rel=1e-8)
    # betaln's partial at (1e10, 1) is -1/a: JAX -1.0000000000000002e-10 (the
    # plain digamma difference would keep 5 digits)
    jg = float(jax.grad(js.betaln)(1e10, 1.0))
    g = tg.grad(S.betaln)(1e10, 1.0).item()
    assert g == pytest.approx(-1e-10, rel=4e-16) and g == pytest.approx(jg, rel=4e-16)


def test_betaln_partials_without_cancellation():
    """psi(a) - psi(a + b) at large and unequal arguments, every order, float32 too."""
    a = np.array([1e10, 1e6, 30.0, 3.0, 0.5, 1e-3, 250.0])
    b = np.array([1.0, 1e-4, 1e-9, 2e-7, 0.7, 5.0, 400.0])
    ga, gb = tg.grad(lambda x, y: S.betaln(x, y).sum(), argnums=(0, 1))(tg.array(a), tg.array(b))
    ab = [(mp.mpf(p), mp.mpf(q)) for p, q in zip(a, b)]
    wa = np.array([float(mp.digamma(p) - mp.digamma(p + q)) for p, q in ab])
    wb = np.array([float(mp.digamma(q) - mp.digamma(p + q)) for p, q in ab])
    np.testing.assert_allclose(ga.asnumpy(), wa, rtol=1e-14)
    np.testing.assert_allclose(gb.asnumpy(), wb, rtol=1e-14)
    h = tg.grad(tg.grad(lambda x: S.betaln(x, 1e-3)))(tg.array(50.0)).item()
    want = float(mp.polygamma(1, 50) - mp.polygamma(1, mp.mpf(50) + mp.mpf(1e-3)))
    assert h == pytest.approx(want, rel=1e-9)
    g32 = tg.grad(lambda x: S.betaln(x, np.float32(1.0)))(tg.array(1e6, dtype="float32"))
    assert g32.dtype == np.float32 and g32.item() == pytest.approx(-1e-6, rel=1e-7)
    gbeta = tg.grad(lambda x: S.beta(x, 2.0))(tg.array(1e5)).item()
    assert gbeta == pytest.approx(float(mp.diff(lambda t: mp.beta(t, 2), mp.mpf(1e5))),
                                  rel=1e-13)
