"""Issue 13: primitives and the compositions users write stay accurate at
the extremes of float32 and float64, in value and gradient.

The oracle is mpmath at 60 digits.  Tolerances are in units of the dtype's
machine epsilon: relative where the quantity is computed without
cancellation, absolute (``atol``) where an ulp of a nearby 1 is the best a
formula can give (documented in the function's docstring).
"""
import warnings

import mpmath
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

mpmath.mp.dps = 60

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
EPS = {F32: float(np.finfo(np.float32).eps), F64: float(np.finfo(np.float64).eps)}
# below the normal range only absolute accuracy exists: the subnormal spacing
SUB = {F32: float(np.finfo(np.float32).smallest_subnormal),
       F64: float(np.finfo(np.float64).smallest_subnormal)}


def mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(x)))


def _value_and_grad(f, x, dtype):
    """f(t) (elementwise) and d sum(f) / dx, at a tensor of dtype."""
    t = tg.array(np.asarray(x, dtype=dtype))
    t.attach_grad()
    with autograd.record():
        y = f(t)
    y.backward()
    assert y.dtype == dtype and t.grad.dtype == dtype
    return y.asnumpy(), t.grad.asnumpy()


def _close(got, want, rtol=0.0, atol=0.0, what=""):
    """|got - want| <= atol + rtol |want|, elementwise, want in mpmath."""
    got = np.atleast_1d(np.asarray(got, dtype=np.float64))
    want = list(np.atleast_1d(np.asarray(want, dtype=object)).ravel())
    for g, w in zip(got.ravel(), want):
        w = mpmath.mpf(w)
        err = abs(mpmath.mpf(float(g)) - w)
        assert err <= atol + rtol * abs(w), (
            f"{what}: got {g!r}, mpmath {mpmath.nstr(w, 20)}, |err| {mpmath.nstr(err, 3)} > "
            f"atol {atol:.3g} + rtol {rtol:.3g} * |want|")


# ---------------------------------------------------------------------------
# sigmoid
# ---------------------------------------------------------------------------

SIGMOID_POINTS = {
    F32: [-87.0, -50.0, -20.0, -17.0, -5.0, -1e-3, 0.0, 1e-3, 5.0, 17.0, 20.0, 50.0, 87.0],
    F64: [-708.0, -700.0, -100.0, -40.0, -37.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 37.0, 40.0,
          700.0],
}


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
def test_sigmoid_value_is_accurate_to_a_few_ulp_everywhere(dtype):
    xs = SIGMOID_POINTS[dtype]
    y, _ = _value_and_grad(tg.sigmoid, xs, dtype)
    _close(y, [mp_sigmoid(x) for x in xs], rtol=4 * EPS[dtype], what=f"sigmoid {dtype}")
    assert np.all(y[np.asarray(xs) < 0] > 0)        # never 0 from cancellation


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
def test_sigmoid_gradient_is_relative_accurate_for_negative_and_ulp_accurate_for_positive(dtype):
    xs = np.asarray(SIGMOID_POINTS[dtype])
    _, g = _value_and_grad(tg.sigmoid, xs, dtype)
    want = [mp_sigmoid(x) * (1 - mp_sigmoid(x)) for x in xs]
    neg = xs <= 0
    _close(g[neg], np.asarray(want, dtype=object)[neg], rtol=8 * EPS[dtype],
           what=f"sigmoid' x<=0 {dtype}")
    _close(g[~neg], np.asarray(want, dtype=object)[~neg], atol=EPS[dtype],
           rtol=8 * EPS[dtype], what=f"sigmoid' x>0 {dtype}")


@pytest.mark.parametrize("dtype,xs", [(F32, [-87.0, -50.0, -20.0, -17.0, -1.0]),
                                      (F64, [-708.0, -700.0, -100.0, -40.0, -1.0])],
                         ids=["float32", "float64"])
def test_log_sigmoid_is_finite_with_gradient_one_minus_sigmoid(dtype, xs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no log(0), no 0 * inf on the way
        y, g = _value_and_grad(lambda t: tg.log(tg.sigmoid(t)), xs, dtype)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    _close(y, [mpmath.log(mp_sigmoid(x)) for x in xs], rtol=4 * EPS[dtype],
           what=f"log sigmoid {dtype}")
    _close(g, [1 - mp_sigmoid(x) for x in xs], rtol=8 * EPS[dtype],
           what=f"d log sigmoid {dtype}")


def test_sigmoid_second_derivative_and_forward_mode_at_minus_40():
    x = -40.0
    s = mp_sigmoid(x)
    d1 = s * (1 - s)
    d2 = d1 * (1 - 2 * s)
    h = tg.grad(tg.grad(lambda t: tg.sigmoid(t)))(tg.array(x))
    _close(h.asnumpy(), [d2], rtol=16 * EPS[F64], what="sigmoid''(-40)")
    _, tangent = tg.jvp(tg.sigmoid, (tg.array(x),), (tg.array(1.0),))
    _close(tangent.asnumpy(), [d1], rtol=8 * EPS[F64], what="jvp sigmoid(-40)")


# ---------------------------------------------------------------------------
# softplus as users write it
# ---------------------------------------------------------------------------

def mp_softplus(x):
    return mpmath.log(1 + mpmath.exp(mpmath.mpf(x)))


def stable_softplus(t):
    """The idiom sigmoid's docstring documents."""
    return tg.maximum(t, 0) + tg.log(1 + tg.exp(-tg.abs(t)))


@pytest.mark.parametrize("dtype,xs", [
    (F32, [-100.0, -20.0, -1.5, -1e-3, 1e-3, 1.5, 20.0, 100.0, 1e30]),
    (F64, [-800.0, -40.0, -1.5, -1e-9, 1e-9, 1.5, 40.0, 800.0, 1e300]),
], ids=["float32", "float64"])
def test_stable_softplus_idiom_at_the_extremes(dtype, xs):
    y, g = _value_and_grad(stable_softplus, xs, dtype)
    want = [mp_softplus(x) for x in xs]
    # log(1 + e) with e = exp(-|x|) < eps rounds to 0: absolute accuracy
    # of an ulp below 1 (log1p would give the relative one)
    _close(y, want, rtol=4 * EPS[dtype], atol=EPS[dtype], what=f"softplus {dtype}")
    _close(g, [mp_sigmoid(x) for x in xs], rtol=8 * EPS[dtype], atol=2 * SUB[dtype],
           what=f"softplus' {dtype}")


def test_stable_softplus_idiom_gradient_at_zero_is_one_half():
    _, g = _value_and_grad(stable_softplus, [0.0], F64)
    assert g[0] == 0.5


@pytest.mark.parametrize("dtype,xs", [(F32, [-80.0, -20.0, -1.0, 1.0, 20.0, 80.0]),
                                      (F64, [-700.0, -40.0, -1.0, 1.0, 40.0, 700.0])],
                         ids=["float32", "float64"])
def test_naive_softplus_composition_within_exp_range(dtype, xs):
    # log(1 + exp(x)) as users write it: every primitive on the way is exact
    # to an ulp, so the gradient exp(x) / (1 + exp(x)) is relatively accurate
    # wherever exp(x) does not overflow; the value is absolutely accurate
    y, g = _value_and_grad(lambda t: tg.log(1 + tg.exp(t)), xs, dtype)
    _close(y, [mp_softplus(x) for x in xs], rtol=4 * EPS[dtype], atol=EPS[dtype],
           what=f"log(1+exp) {dtype}")
    _close(g, [mp_sigmoid(x) for x in xs], rtol=8 * EPS[dtype], what=f"d log(1+exp) {dtype}")


# ---------------------------------------------------------------------------
# logsumexp, softmax, log_softmax
# ---------------------------------------------------------------------------

def mp_lse(row):
    finite = [mpmath.mpf(v) for v in row if v != -np.inf]
    if not finite:
        return mpmath.mpf("-inf")
    return mpmath.log(sum(mpmath.exp(v) for v in finite))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
def test_logsumexp_with_some_minus_inf_entries(dtype):
    rows = [[-np.inf, 0.0, 1.0, -np.inf], [-np.inf, -np.inf, -np.inf, 5.0],
            [3.0, -1.0, 2.0, 0.5]]
    x = tg.array(np.array(rows, dtype=dtype))
    x.attach_grad()
    with autograd.record():
        y = tg.logsumexp(x, axis=1)
    y.backward()
    want = [mp_lse(r) for r in rows]
    _close(y.asnumpy(), want, rtol=4 * EPS[dtype], what="lse")
    gwant = [[0 if v == -np.inf else mpmath.exp(mpmath.mpf(v) - w) for v in r]
             for r, w in zip(rows, want)]
    _close(x.grad.asnumpy(), np.array(gwant, dtype=object), rtol=8 * EPS[dtype],
           atol=0, what="lse'")


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
def test_logsumexp_of_all_minus_inf_is_minus_inf_with_zero_gradient(dtype):
    x = tg.array(np.array([[-np.inf, -np.inf], [0.0, np.log(3.0)]], dtype=dtype))
    x.attach_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with autograd.record():
            y = tg.logsumexp(x, axis=1)
        y.backward()
    assert y.asnumpy()[0] == -np.inf
    _close(y.asnumpy()[1:], [mpmath.log(4)], rtol=4 * EPS[dtype])
    np.testing.assert_array_equal(x.grad.asnumpy()[0], [0.0, 0.0])
    _close(x.grad.asnumpy()[1], [0.25, 0.75], rtol=8 * EPS[dtype])


def test_logsumexp_all_minus_inf_second_derivative_and_tangent_are_zero_not_nan():
    x0 = tg.array([-np.inf, -np.inf, -np.inf])
    hvp_out, (hv,) = tg.hvp(lambda t: tg.logsumexp(t), (x0,), (tg.ones(3),))
    np.testing.assert_array_equal(hv.asnumpy(), [0.0, 0.0, 0.0])
    _, tangent = tg.jvp(lambda t: tg.logsumexp(t), (x0,), (tg.ones(3),))
    assert tangent.item() == 0.0


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("fn", ["log_softmax", "softmax"])
def test_softmax_and_log_softmax_at_plus_minus_1e3(fn, dtype):
    xs = [1000.0, -1000.0, 0.0, 999.5, -999.0]
    w = np.array([1.0, 2.0, -1.0, 0.5, 3.0])
    x = tg.array(np.array(xs, dtype=dtype))
    x.attach_grad()
    with autograd.record():
        y = getattr(tg, fn)(x)
        loss = (y * w.astype(dtype)).sum()
    loss.backward()
    lse = mp_lse(xs)
    p = [mpmath.exp(mpmath.mpf(v) - lse) for v in xs]
    if fn == "log_softmax":
        want = [mpmath.mpf(v) - lse for v in xs]
        gwant = [wi - pi * float(w.sum()) for wi, pi in zip(w, p)]
        _close(y.asnumpy(), want, rtol=4 * EPS[dtype], what="log_softmax")
    else:
        want = p
        pw = sum(pi * wi for pi, wi in zip(p, w))
        gwant = [pi * (wi - pw) for pi, wi in zip(p, w)]
        _close(y.asnumpy(), want, rtol=8 * EPS[dtype], atol=2 * SUB[dtype], what="softmax")
    assert np.all(np.isfinite(y.asnumpy())) and np.all(np.isfinite(x.grad.asnumpy()))
    # |gradient| up to 7.5: an ulp of that absolutely (entries are differences)
    _close(x.grad.asnumpy(), gwant, rtol=8 * EPS[dtype], atol=8 * 8 * EPS[dtype],
           what=f"{fn}'")


# ---------------------------------------------------------------------------
# norm
# ---------------------------------------------------------------------------

def test_norm_at_zero_is_zero_with_zero_gradient():
    for dtype in (F32, F64):
        x = tg.array(np.zeros((2, 3), dtype=dtype))
        x.attach_grad()
        with autograd.record():
            y = tg.norm(x)
        y.backward()
        assert y.item() == 0.0
        np.testing.assert_array_equal(x.grad.asnumpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("dtype,scale", [(F32, 1e30), (F32, 1e-30), (F32, 3e19),
                                         (F64, 1e200), (F64, 1e-200), (F64, 1e160)],
                         ids=lambda v: str(v))
def test_norm_does_not_overflow_or_underflow(dtype, scale):
    base = [3.0, -4.0, 12.0, 0.0]
    xs = np.array(base, dtype=dtype) * dtype.type(scale)
    x = tg.array(xs)
    x.attach_grad()
    with autograd.record():
        y = tg.norm(x)
    y.backward()
    mx = [mpmath.mpf(float(v)) for v in xs]
    n = mpmath.sqrt(sum(v * v for v in mx))
    _close([y.item()], [n], rtol=4 * EPS[dtype], what=f"norm {scale}")
    _close(x.grad.asnumpy(), [v / n for v in mx], rtol=4 * EPS[dtype], what=f"norm' {scale}")


# ---------------------------------------------------------------------------
# where with a branch that is NaN where it is not taken
# ---------------------------------------------------------------------------

def test_double_where_idiom_gives_the_right_gradient():
    xs = np.array([-1.0, 0.25, 4.0, -9.0, 0.0])
    x = tg.array(xs)
    x.attach_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # no sqrt of a negative number
        with autograd.record():
            safe = tg.where(x > 0, x, 1.0)
            y = tg.where(x > 0, tg.sqrt(safe), 0.0)
        y.backward()
    np.testing.assert_array_equal(y.asnumpy(), [0.0, 0.5, 2.0, 0.0, 0.0])
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 1.0, 0.25, 0.0, 0.0])


def test_double_where_idiom_for_log_and_division_second_order():
    # d2/dx2 of where(x > 0, x log x, 0) is 1/x for x > 0 and 0 elsewhere
    f = lambda t: tg.where(t > 0, tg.where(t > 0, t, 1.0) * tg.log(tg.where(t > 0, t, 1.0)),
                           0.0).sum()
    h = tg.hessian(f)(tg.array([-2.0, 0.5, 4.0]))
    np.testing.assert_array_equal(h.asnumpy(), np.diag([0.0, 2.0, 0.25]))


# ---------------------------------------------------------------------------
# tanh: the derivative 1 - y^2 is exact to an ulp of 1
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype,xs", [(F32, [-50.0, -9.0, -0.5, 0.5, 9.0, 50.0]),
                                      (F64, [-400.0, -20.0, -0.5, 0.5, 20.0, 400.0])],
                         ids=["float32", "float64"])
def test_tanh_value_and_gradient_at_the_extremes(dtype, xs):
    y, g = _value_and_grad(tg.tanh, xs, dtype)
    _close(y, [mpmath.tanh(x) for x in xs], rtol=4 * EPS[dtype], what="tanh")
    _close(g, [1 - mpmath.tanh(x) ** 2 for x in xs], rtol=8 * EPS[dtype], atol=2 * EPS[dtype],
           what="tanh'")


# ---------------------------------------------------------------------------
# the other elementwise primitives, near the ends of each dtype's range
# ---------------------------------------------------------------------------

_MP = mpmath.mpf
ELEMENTWISE = {
    # name: (tapegrad function, mpmath value, mpmath derivative, points per dtype)
    "exp": (tg.exp, mpmath.exp, mpmath.exp,
            {F32: [-87.0, -20.0, 1e-6, 20.0, 88.0], F64: [-708.0, -40.0, 1e-12, 40.0, 709.0]}),
    "log": (tg.log, mpmath.log, lambda x: 1 / x,
            {F32: [1e-37, 1e-6, 0.5, 3.0, 1e38], F64: [1e-307, 1e-12, 0.5, 3.0, 1e307]}),
    "sqrt": (tg.sqrt, mpmath.sqrt, lambda x: 1 / (2 * mpmath.sqrt(x)),
             {F32: [1e-36, 1e-6, 2.0, 1e30, 1e38], F64: [1e-306, 1e-12, 2.0, 1e200, 1e307]}),
    "square": (tg.square, lambda x: x * x, lambda x: 2 * x,
               {F32: [-1e19, -1e-19, 3.0, 1e19], F64: [-1e154, -1e-150, 3.0, 1e154]}),
    "tan": (tg.tan, mpmath.tan, lambda x: 1 / mpmath.cos(x) ** 2,
            {F32: [-1.5, -1e-6, 0.7, 1.57], F64: [-1.5707963, -1e-12, 0.7, 1.5707963]}),
    "sin": (tg.sin, mpmath.sin, mpmath.cos,
            {F32: [-1e4, -1e-6, 1.0, 3e4], F64: [-1e6, -1e-12, 1.0, 3e6]}),
    "cos": (tg.cos, mpmath.cos, lambda x: -mpmath.sin(x),
            {F32: [-1e4, 1e-3, 1.0, 3e4], F64: [-1e6, 1e-6, 1.0, 3e6]}),
    "reciprocal": (lambda t: 1.0 / t, lambda x: 1 / x, lambda x: -1 / x ** 2,
                   {F32: [-1e19, -1e-19, 3.0, 1e19], F64: [-1e150, -1e-150, 3.0, 1e150]}),
    "pow_1.5": (lambda t: t ** 1.5, lambda x: x ** _MP(1.5), lambda x: _MP(1.5) * mpmath.sqrt(x),
                {F32: [1e-25, 1e-6, 2.0, 1e25], F64: [1e-200, 1e-12, 2.0, 1e200]}),
}


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_primitive_value_and_gradient_at_the_extremes(name, dtype):
    fn, mp_f, mp_d, points = ELEMENTWISE[name]
    xs = np.array(points[dtype], dtype=dtype)
    y, g = _value_and_grad(fn, xs, dtype)
    mx = [_MP(float(v)) for v in xs]            # the exactly representable inputs
    # sin and cos of a large argument: NumPy's float32 loops carry a few
    # more ulp than its float64 ones
    rtol = (64 if name in ("sin", "cos") and dtype == F32 else 4) * EPS[dtype]
    _close(y, [mp_f(v) for v in mx], rtol=rtol, atol=2 * SUB[dtype], what=f"{name} {dtype}")
    _close(g, [mp_d(v) for v in mx], rtol=2 * rtol, atol=2 * SUB[dtype],
           what=f"{name}' {dtype}")
