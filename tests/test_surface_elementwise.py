"""The NumPy surface: real elementwise math (ops/elementwise.py).

Every function goes through the shared checks (surface.check_all) on a
domain where it is smooth; then the points where it is not (poles, kinks,
ties, infinities, NaN, -0.0), where the expected values are exact and, where
JAX defines something else, the difference is stated; then torch and JAX as
second oracles.
"""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

from oracles import jax64
from surface import Spec, check_all, check_batched, check_forward, check_reverse, check_second, \
    check_value

INF, NAN = np.inf, np.nan


def away(lo, hi, points, gap=0.05):
    """uniform(lo, hi) at least ``gap`` from each of ``points``."""
    def draw(rng, shape):
        x = rng.uniform(lo, hi, shape)
        for _ in range(1000):
            bad = np.zeros(np.shape(x), dtype=bool)
            for p in points:
                bad |= np.abs(x - p) < gap
            if not bad.any():
                return x
            x = np.where(bad, rng.uniform(lo, hi, shape), x)
        raise RuntimeError("could not avoid the points")
    return draw


def signed(lo, hi):
    return lambda rng, shape: rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, shape)


INTS = tuple(range(-4, 5))
C3 = np.array([0.5, -1.0, 3.0], dtype=np.float32)    # keeps float32 inputs float32
HALVES = tuple(k + 0.5 for k in range(-4, 4))


def unary(name, domain=(-2.0, 2.0), ref=None, shapes=((3, 2),), **kw):
    return Spec(name, getattr(tg, name), ref or getattr(np, name), list(shapes), domain, **kw)


def binary(name, domain, shapes=((3, 2), (2,)), ref=None, **kw):
    return Spec(name, getattr(tg, name), ref or getattr(np, name), list(shapes), domain, **kw)


SPECS = [
    unary("arcsin", (-0.9, 0.9)),
    unary("arccos", (-0.9, 0.9)),
    unary("arctan", (-3.0, 3.0)),
    unary("sinh", (-3.0, 3.0)),
    unary("cosh", (-3.0, 3.0)),
    unary("arcsinh", (-5.0, 5.0)),
    unary("arccosh", (1.1, 4.0)),
    unary("arctanh", (-0.9, 0.9)),
    unary("log1p", (-0.9, 3.0)),
    unary("expm1", (-3.0, 3.0)),
    unary("log2", (0.2, 4.0)),
    unary("log10", (0.2, 4.0)),
    unary("exp2", (-3.0, 3.0)),
    unary("cbrt", signed(0.3, 3.0)),
    unary("reciprocal", signed(0.3, 3.0)),
    unary("sinc", (-3.0, 3.0)),                                 # both branches of sinc'
    unary("sinc", (-0.2, 0.2), shapes=((4,),)),                 # the series branch only
    unary("sinc", (0.3, 3.0), shapes=((4,),)),                  # the formula only
    unary("sinc", (-3.0, 3.0), shapes=((),)),                   # the 0-d path
    unary("sign", signed(0.1, 3.0)),
    unary("floor", away(-3, 3, INTS)),
    unary("ceil", away(-3, 3, INTS)),
    unary("trunc", away(-3, 3, INTS)),
    unary("rint", away(-3, 3, HALVES)),
    unary("fix", away(-3, 3, INTS)),
    unary("round", away(-3, 3, HALVES)),
    unary("around", away(-3, 3, HALVES)),
    Spec("round.decimals=1", lambda x: tg.round(x, 1), lambda x: np.round(x, 1), [(3, 2)],
         away(-3, 3, tuple(k / 10 + 0.05 for k in range(-30, 30)), gap=0.005)),
    Spec("round.decimals=-1", lambda x: tg.round(x, -1), lambda x: np.round(x, -1), [(3,)],
         away(-30, 30, (-25, -15, -5, 5, 15, 25), gap=0.5)),
    Spec("method.round", lambda x: x.round(), np.round, [(3,)], away(-3, 3, HALVES)),
    unary("deg2rad", (-200.0, 200.0)),
    unary("radians", (-200.0, 200.0)),
    unary("rad2deg", (-3.0, 3.0)),
    unary("degrees", (-3.0, 3.0)),
    unary("positive"),
    unary("nan_to_num"),
    binary("arctan2", [(-2.0, 2.0), signed(0.3, 2.0)]),
    binary("arctan2", [signed(0.3, 2.0), (-2.0, 2.0)], shapes=((3,), (3,))),
    binary("hypot", (-3.0, 3.0)),
    binary("logaddexp", (-5.0, 5.0)),
    binary("logaddexp2", (-5.0, 5.0)),
    binary("fmax", (-3.0, 3.0)),
    binary("fmin", (-3.0, 3.0)),
    # away from the jumps: a/b between 1.1 and 1.9
    binary("fmod", [(1.2, 1.8), (0.95, 1.05)], shapes=((3, 2), (3, 2))),
    binary("fmod", [(-1.8, -1.2), (0.95, 1.05)], shapes=((3,), (3,))),
    binary("remainder", [(1.2, 1.8), (0.95, 1.05)], shapes=((3, 2), (3, 2))),
    binary("remainder", [(-1.8, -1.2), (0.95, 1.05)], shapes=((3,), (3,))),
    binary("copysign", [signed(0.3, 2.0), signed(0.3, 2.0)]),
    binary("true_divide", [(-2.0, 2.0), signed(0.3, 2.0)]),
    Spec("arctan2.scalar", lambda x: tg.arctan2(x, 0.7), lambda x: np.arctan2(x, 0.7), [(3,)]),
    Spec("hypot.scalar_left", lambda x: tg.hypot(2.0, x), lambda x: np.hypot(2.0, x), [(3,)]),
    Spec("logaddexp.ndarray", lambda x: tg.logaddexp(C3, x), lambda x: np.logaddexp(C3, x),
         [(2, 3)]),
    Spec("chain", lambda x: tg.arctan(tg.sinh(x)) * tg.log1p(tg.expm1(x) ** 2),
         lambda x: np.arctan(np.sinh(x)) * np.log1p(np.expm1(x) ** 2), [(4,)]),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)


def test_float_power_computes_in_float64():
    spec = Spec("float_power", tg.float_power, np.float_power, [(3, 2), (2,)],
                [(0.5, 2.0), (-2.0, 2.0)])
    for check in (check_value, check_reverse, check_forward, check_second, check_batched):
        check(spec)
    a = tg.array([1.5, 2.0], dtype="float32")
    b = tg.array([2.0, -0.5], dtype="float32")
    for t in (a, b):
        t.attach_grad()
    with autograd.record():
        y = tg.float_power(a, b)
    assert y.dtype == np.float64 == np.float_power(a.asnumpy(), b.asnumpy()).dtype
    y.backward()
    assert a.grad.dtype == b.grad.dtype == np.float32
    np.testing.assert_allclose(a.grad.asnumpy(), [2 * 1.5, -0.5 * 2.0 ** -1.5], rtol=1e-6)


# ---------------------------------------------------------------------------
# Values and derivatives at the special points
# ---------------------------------------------------------------------------

def grads(fn, *values, dtype="float64", create_graph=False):
    """(fn's value, the gradient of its sum for each input)."""
    xs = [tg.array(np.asarray(v, dtype=np.float64), dtype=dtype) for v in values]
    for x in xs:
        x.attach_grad()
    with np.errstate(all="ignore"):
        with autograd.record():
            y = fn(*xs)
        y.backward(create_graph=create_graph)
    return y.asnumpy(), [x.grad.asnumpy() for x in xs]


def same(got, want):
    """Equal, NaN where NaN, and the sign of zero where it is one."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-14, atol=0)


@pytest.mark.parametrize("name,x,want", [
    ("arcsin", [1.0, -1.0, 0.0], [INF, INF, 1.0]),
    ("arccos", [1.0, -1.0, 0.0], [-INF, -INF, -1.0]),
    ("arccosh", [1.0, 1e200], [INF, 1e-200]),
    ("arctanh", [1.0, -1.0, 0.0], [INF, INF, 1.0]),
    ("arcsinh", [1e200, -1e200, 1e-300], [1e-200, 1e-200, 1.0]),   # no overflow of 1 + x^2
    ("arctan", [1e200, 0.0], [0.0, 1.0]),
    ("log1p", [-1.0, 1e-300, 0.0], [INF, 1.0, 1.0]),
    ("expm1", [1e-300, -INF, 0.0], [1.0, 0.0, 1.0]),
    ("cbrt", [0.0, -8.0], [INF, 1 / 12]),
    ("reciprocal", [0.0, -0.0, 2.0], [-INF, -INF, -0.25]),
    ("log2", [0.0, 1.0], [INF, 1 / np.log(2)]),
    ("sinh", [711.0, -711.0], [INF, INF]),
    ("cosh", [711.0, -711.0, 0.0], [INF, -INF, 0.0]),
])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_derivatives_at_the_edges(name, x, want, dtype):
    if dtype == "float32" and name in ("sinh", "cosh", "arcsinh", "arccosh", "arctan"):
        pytest.skip("the values are outside float32's range")
    _, (g,) = grads(lambda t: getattr(tg, name)(t), x, dtype=dtype)
    np.testing.assert_allclose(g, want, rtol=1e-14 if dtype == "float64" else 1e-6)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "trunc", "rint", "round", "fix"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_piecewise_constant_functions_have_derivative_zero_everywhere(name, create_graph):
    """0 also at the jumps (as JAX), and a recorded 0 under create_graph, whose
    own derivative is 0."""
    x = [0.0, -0.0, 1.0, -2.0, 0.5, 2.5, -1.5, 3.7]
    y, (g,) = grads(lambda t: getattr(tg, name)(t), x, create_graph=create_graph)
    np.testing.assert_array_equal(g, np.zeros(len(x)))
    assert tg.grad(tg.grad(lambda t: getattr(tg, name)(t * t)))(1.3).item() == 0.0
    np.testing.assert_array_equal(getattr(tg, name)(tg.array(x)).asnumpy(),
                                  getattr(np, name)(np.array(x)))


def test_sign_and_rounding_values_match_numpy_at_special_values():
    x = np.array([0.0, -0.0, 2.5, -2.5, 0.5, -0.5, INF, -INF, NAN])
    for name in ("sign", "floor", "ceil", "trunc", "rint", "round", "fix"):
        got = getattr(tg, name)(tg.array(x)).asnumpy()
        want = getattr(np, name)(x)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        for v in x:                                   # the 0-d (C) path
            one = getattr(tg, name)(tg.array(v)).asnumpy()
            np.testing.assert_array_equal(one, getattr(np, name)(v))
            assert np.signbit(one) == np.signbit(getattr(np, name)(v)), (name, v)


def test_round_with_decimals_is_numpys():
    x = np.array([1.25, 2.675, -0.125, 1234.5678, 0.5, 1.5, -2.5])
    for d in (-2, -1, 0, 1, 2, 3):
        np.testing.assert_array_equal(tg.round(tg.array(x), d).asnumpy(), np.round(x, d))
        np.testing.assert_array_equal(tg.around(tg.array(x), d).asnumpy(), np.around(x, d))


@pytest.mark.parametrize("create_graph", [False, True])
def test_sinc_is_smooth_at_zero_to_every_order(create_graph):
    """sinc(x) = 1 - (pi x)^2/6 + (pi x)^4/120 - ...: sinc'(0) = 0, sinc''(0) =
    -pi^2/3 (JAX: -3.2898681336964524), sinc'''(0) = 0, sinc''''(0) = pi^4/5."""
    d = tg.sinc
    want = [1.0, 0.0, -np.pi ** 2 / 3, 0.0, np.pi ** 4 / 5]
    for k, w in enumerate(want):
        assert d(0.0).item() == pytest.approx(w, rel=1e-13, abs=1e-13), k
        d = tg.grad(d)
    _, (g,) = grads(lambda t: tg.sinc(t), [0.0, -0.0, 1e-300], create_graph=create_graph)
    np.testing.assert_allclose(g, [0.0, 0.0, -np.pi ** 2 / 3 * 1e-300], rtol=1e-14, atol=0)


def test_sinc_is_accurate_next_to_the_integers():
    """NumPy's sin(pi x) / (pi x) keeps the error of rounding pi x; tapegrad
    reduces x exactly (values checked against the true sinc in 50 digits)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 50
    x = np.array([1 + 2.0 ** -30, 2 - 1e-9, 3 + 1e-12, -4 - 3e-8, 1e6 + 0.5])
    got = tg.sinc(tg.array(x)).asnumpy()
    want = np.array([float(mp.sin(mp.pi * mp.mpf(v)) / (mp.pi * mp.mpf(v))) for v in x])
    np.testing.assert_allclose(got, want, rtol=4e-16)
    # its derivative near the integers is cos(pi n)/n: absolutely accurate
    _, (g,) = grads(lambda t: tg.sinc(t), x[:4])
    dwant = np.array([float(mp.diff(lambda t: mp.sin(mp.pi * t) / (mp.pi * t), mp.mpf(v)))
                      for v in x[:4]])
    np.testing.assert_allclose(g, dwant, rtol=1e-12)


def test_hypot_at_the_origin_and_without_overflow():
    """The origin is a kink (hypot(x, 0) = |x|): gradient 0 there, as abs and
    norm (JAX gives 1/2); no overflow or underflow of a^2 + b^2."""
    for create_graph in (False, True):
        y, (ga, gb) = grads(lambda a, b: tg.hypot(a, b), [0.0, 3.0, 1e300, 1e-300],
                            [0.0, -4.0, 1e300, 1e-300], create_graph=create_graph)
        same(y, [0.0, 5.0, np.hypot(1e300, 1e300), np.hypot(1e-300, 1e-300)])
        same(ga, [0.0, 0.6, np.sqrt(0.5), np.sqrt(0.5)])
        same(gb, [0.0, -0.8, np.sqrt(0.5), np.sqrt(0.5)])


def test_arctan2_partials():
    """b/(a^2 + b^2) and -a/(a^2 + b^2) through hypot (no overflow at 1e200);
    NaN at the origin, as JAX."""
    y, (ga, gb) = grads(lambda a, b: tg.arctan2(a, b), [1.0, 1e200, 0.0, -2.0],
                        [1.0, 1e200, 0.0, 0.0])
    same(y, np.arctan2([1.0, 1e200, 0.0, -2.0], [1.0, 1e200, 0.0, 0.0]))
    same(ga, [0.5, 0.5e-200, NAN, 0.0])
    same(gb, [-0.5, -0.5e-200, NAN, 0.5])


@pytest.mark.parametrize("name,scale", [("logaddexp", 1.0), ("logaddexp2", np.log(2.0))])
def test_logaddexp_at_infinities_and_far_apart(name, scale):
    """Partials expit(+-(a - b) scale): exactly 0 and 1 far apart, 1/2 each where
    both are the same infinity (the limit along a = b; JAX gives NaN)."""
    a = [-INF, INF, 1000.0, -1000.0, -INF, 2.0]
    b = [-INF, INF, -1000.0, 1000.0, 1.0, 2.0]
    for create_graph in (False, True):
        y, (ga, gb) = grads(lambda s, t: getattr(tg, name)(s, t), a, b,
                            create_graph=create_graph)
        same(y, getattr(np, name)(a, b))
        same(ga, [0.5, 0.5, 1.0, 0.0, 0.0, 0.5])
        same(gb, [0.5, 0.5, 0.0, 1.0, 1.0, 0.5])
    # the second derivative at a finite tie is expit'(0) scale = scale/4
    h = tg.grad(tg.grad(lambda s: getattr(tg, name)(s, 2.0)))(2.0).item()
    assert h == pytest.approx(scale / 4, rel=1e-14)


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_nan_and_ties(name):
    """NaN loses to a number (its gradient goes to the number); ties split it
    evenly, as maximum does (JAX gives it to the second operand)."""
    a = [NAN, 1.0, 2.0, NAN, 3.0]
    b = [1.0, NAN, 2.0, NAN, -1.0]
    y, (ga, gb) = grads(lambda s, t: getattr(tg, name)(s, t), a, b)
    same(y, getattr(np, name)(a, b))
    big = name == "fmax"
    same(ga, [0.0, 1.0, 0.5, 1.0, 1.0 if big else 0.0])
    same(gb, [1.0, 0.0, 0.5, 0.0, 0.0 if big else 1.0])


def test_fmod_remainder_copysign_partials():
    y, (ga, gb) = grads(lambda a, b: tg.fmod(a, b), [5.0, -5.0, 5.0], [3.0, 3.0, -3.0])
    same(y, np.fmod([5.0, -5.0, 5.0], [3.0, 3.0, -3.0]))
    same(ga, [1.0, 1.0, 1.0])
    same(gb, [-1.0, 1.0, 1.0])                          # -trunc(a/b), as JAX
    y, (ga, gb) = grads(lambda a, b: tg.remainder(a, b), [5.0, -5.0, 5.0],
                        [3.0, 3.0, -3.0])
    same(y, np.remainder([5.0, -5.0, 5.0], [3.0, 3.0, -3.0]))
    same(gb, [-1.0, 2.0, 2.0])                          # -floor(a/b), as JAX
    y, (ga, gb) = grads(lambda a, b: tg.copysign(a, b), [2.0, 2.0, 0.0, -0.0, -3.0],
                        [-1.0, 1.0, -1.0, 1.0, -0.0])
    same(y, np.copysign([2.0, 2.0, 0.0, -0.0, -3.0], [-1.0, 1.0, -1.0, 1.0, -0.0]))
    same(ga, [-1.0, 1.0, 0.0, 0.0, 1.0])                # 0 at a = 0, the kink of |a|
    same(gb, [0.0, 0.0, 0.0, 0.0, 0.0])


def test_nan_to_num_passes_the_gradient_where_finite():
    x = [NAN, INF, -INF, 1.5, -0.0]
    for kw in ({}, {"nan": 5.0, "posinf": 7.0, "neginf": -7.0}):
        y, (g,) = grads(lambda t: tg.nan_to_num(t, **kw), x)
        same(y, np.nan_to_num(np.array(x), **kw))
        same(g, [0.0, 0.0, 0.0, 1.0, 1.0])
    f32 = tg.nan_to_num(tg.array([INF, -INF], dtype="float32"))
    assert f32.dtype == np.float32
    same(f32.asnumpy(), np.nan_to_num(np.array([INF, -INF], dtype=np.float32)))


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "signbit"])
def test_predicates_return_plain_bool_arrays_and_are_not_recorded(name):
    x = tg.array([0.0, -0.0, NAN, INF, -2.0])
    x.attach_grad()
    with autograd.record():
        b = getattr(tg, name)(x)
        y = (x * 2.0).sum()
    assert type(b) is np.ndarray and b.dtype == bool
    np.testing.assert_array_equal(b, getattr(np, name)(x.asnumpy()))
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0] * 5)
    assert getattr(tg, name)(np.array([1.0, NAN])).dtype == bool


def test_aliases_are_the_same_functions():
    x = tg.array([0.3, -1.7, 2.5])
    np.testing.assert_array_equal(tg.radians(x).asnumpy(), tg.deg2rad(x).asnumpy())
    np.testing.assert_array_equal(tg.degrees(x).asnumpy(), tg.rad2deg(x).asnumpy())
    np.testing.assert_array_equal(tg.true_divide(x, 3.0).asnumpy(), (x / 3.0).asnumpy())
    np.testing.assert_array_equal(tg.positive(x).asnumpy(), x.asnumpy())
    np.testing.assert_array_equal(tg.deg2rad(x).asnumpy(), np.deg2rad(x.asnumpy()))
    np.testing.assert_array_equal(tg.rad2deg(x).asnumpy(), np.rad2deg(x.asnumpy()))


def test_methods_and_numpy_names():
    x = tg.array([0.25, -1.5])
    np.testing.assert_array_equal(x.round(1).asnumpy(), x.asnumpy().round(1))
    assert not hasattr(x, "arctan") and not hasattr(x.asnumpy(), "arctan")   # as ndarray
    for name in ["arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh",
                 "log1p", "expm1", "log2", "log10", "exp2", "logaddexp", "logaddexp2", "hypot",
                 "arctan2", "cbrt", "reciprocal", "sinc", "fmax", "fmin", "fmod", "remainder",
                 "copysign", "deg2rad", "rad2deg", "nan_to_num", "sign", "floor", "ceil",
                 "round", "rint", "trunc", "fix", "isnan", "isfinite", "isinf", "signbit",
                 "true_divide", "positive", "float_power", "radians", "degrees", "around"]:
        assert callable(getattr(tg, name)), name
        assert hasattr(np, name), name
        assert getattr(tg, name).__doc__, name


def test_python_numbers_stay_weak_with_float32():
    x = tg.array([0.5, 2.0], dtype="float32")
    for f in (lambda t: tg.hypot(t, 1.0), lambda t: tg.hypot(1.0, t),
              lambda t: tg.arctan2(2.0, t), lambda t: tg.logaddexp(t, 3),
              lambda t: tg.fmod(t, 0.7), lambda t: tg.copysign(1.5, t)):
        assert f(x).dtype == np.float32
    arr = np.array([0.5, 2.0], dtype=np.float32)
    assert tg.hypot(1.0, arr).dtype == np.hypot(1.0, arr).dtype == np.float32


def test_big_arrays_use_the_split_loops_and_match_numpy():
    """Big operands run NumPy's own loop split over the pool (same bits)."""
    from tapegrad._core.kernels import PARALLEL_MIN
    x = np.linspace(-3, 3, 2 * PARALLEL_MIN + 11)
    for name in ("arctan", "sinh", "cosh", "log1p", "expm1", "arcsinh"):
        arg = np.abs(x) if name == "log1p" else x
        np.testing.assert_array_equal(getattr(tg, name)(tg.array(arg)).asnumpy(),
                                      getattr(np, name)(arg))
    np.testing.assert_array_equal(tg.sinc(tg.array(x)).asnumpy()[::997],
                                  tg.sinc(tg.array(x[::997])).asnumpy())


# ---------------------------------------------------------------------------
# The tapegrad trace grammar
# ---------------------------------------------------------------------------

def test_trace_grammar_knows_the_common_functions(capsys):
    from tapegrad.teaching.cli import main
    from tapegrad.teaching.expr import FUNCTIONS
    for name in ["arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
                 "arctanh", "log1p", "expm1", "log2", "log10", "exp2", "cbrt", "reciprocal",
                 "sinc"]:
        assert name in FUNCTIONS, name
    assert main(["trace", "arctan(x1) * sinh(x2) + log1p(x1 * x2)", "--at", "x1=0.5",
                 "x2=1.5"]) == 0
    out = capsys.readouterr().out
    assert "arctan(v_{-1})" in out and "(1 + v_{-1}^2)" in out and "cosh(v_0)" in out
    d1 = 1 / (1 + 0.25) * np.sinh(1.5) + 1.5 / (1 + 0.75)
    assert f"{d1:.4f}" in out


def test_evaluation_trace_rows_and_partials():
    t = tg.evaluation_trace(lambda a: tg.expm1(a) * tg.arcsinh(a), 0.5)
    exprs = [r.expr for r in t.rows]
    assert exprs[1:] == ["expm1(v_0)", "arcsinh(v_0)", "v_1 * v_2"]
    want = np.expm1(0.5) * np.arcsinh(0.5)
    dwant = np.exp(0.5) * np.arcsinh(0.5) + np.expm1(0.5) / np.hypot(1, 0.5)
    assert t.output == pytest.approx(want, rel=1e-14)
    assert t.rows[-1].tangent == pytest.approx(dwant, rel=1e-14)
    text = str(t)
    assert "(v_1 + 1)" in text and "sqrt(1 + v_0^2)" in text
    md = t.to_markdown()
    assert "\\operatorname{expm1}" in md and "\\operatorname{arsinh}" in md


# ---------------------------------------------------------------------------
# torch and JAX as second oracles
# ---------------------------------------------------------------------------

ORACLE_UNARY = [("arcsin", (-0.9, 0.9)), ("arctan", (-3, 3)), ("sinh", (-3, 3)),
                ("cosh", (-3, 3)), ("arcsinh", (-5, 5)), ("arccosh", (1.1, 4)),
                ("arctanh", (-0.9, 0.9)), ("log1p", (-0.9, 3)), ("expm1", (-3, 3)),
                ("log2", (0.2, 4)), ("exp2", (-3, 3)), ("sinc", (-3, 3)),
                ("reciprocal", (0.3, 3))]
ORACLE_BINARY = [("arctan2", (-2, 2), (0.3, 2)), ("hypot", (-3, 3), (-3, 3)),
                 ("logaddexp", (-5, 5), (-5, 5)), ("logaddexp2", (-5, 5), (-5, 5)),
                 ("fmax", (-3, 3), (-3, 3)), ("fmod", (1.2, 1.8), (0.95, 1.05)),
                 ("remainder", (-1.8, -1.2), (0.95, 1.05)), ("copysign", (0.3, 2), (-2, -0.3))]


def _tg_grad_value(name, *arrays):
    return grads(lambda *t: getattr(tg, name)(*t), *arrays)


@pytest.mark.parametrize("name,dom", ORACLE_UNARY, ids=[c[0] for c in ORACLE_UNARY])
def test_unary_against_torch(name, dom):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).uniform(*dom, 7)
    t = torch.tensor(x, requires_grad=True)
    getattr(torch, name)(t).sum().backward()
    y, (g,) = _tg_grad_value(name, x)
    np.testing.assert_allclose(y, getattr(torch, name)(torch.tensor(x)).numpy(), rtol=1e-13)
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name,da,db", ORACLE_BINARY, ids=[c[0] for c in ORACLE_BINARY])
def test_binary_against_torch(name, da, db):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a, b = rng.uniform(*da, 6), rng.uniform(*db, 6)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    getattr(torch, name)(ta, tb).sum().backward()
    _, (ga, gb) = _tg_grad_value(name, a, b)
    np.testing.assert_allclose(ga, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-12)


@pytest.fixture(scope="module")
def jax():
    return jax64()


@pytest.mark.parametrize("name,dom", ORACLE_UNARY + [("cbrt", (0.3, 3))],
                         ids=[c[0] for c in ORACLE_UNARY] + ["cbrt"])
def test_unary_second_derivative_against_jax(jax, name, dom):
    jnp = jax.numpy
    x = np.random.default_rng(5).uniform(*dom, 5)
    f = getattr(jnp, name)
    d2 = jax.vmap(jax.grad(jax.grad(f)))(jnp.asarray(x))
    got = [tg.grad(tg.grad(getattr(tg, name)))(float(v)).item() for v in x]
    np.testing.assert_allclose(got, np.asarray(d2), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,da,db", ORACLE_BINARY, ids=[c[0] for c in ORACLE_BINARY])
def test_binary_hessian_against_jax(jax, name, da, db):
    jnp = jax.numpy
    rng = np.random.default_rng(6)
    a, b = float(rng.uniform(*da)), float(rng.uniform(*db))
    f = getattr(jnp, name)
    want = np.asarray(jax.hessian(lambda v: f(v[0], v[1]))(jnp.array([a, b])))
    got = tg.hessian(lambda v: getattr(tg, name)(v[0], v[1]))(tg.array([a, b])).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
