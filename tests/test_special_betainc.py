"""tg.special.betainc: the regularized incomplete beta function I_x(a, b).

HIPS autograd differentiates it in x only; so does tapegrad (a gradient or
tangent reaching a or b raises).  Oracles: SciPy's values (and its limits at
the ends), mpmath at 40 digits for the accuracy bounds and the derivative,
float64 central differences through the shared surface checks, JAX where
installed.
"""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

from oracles import jax64
from surface import Spec, check_all

sc = pytest.importorskip("scipy.special")
mp = pytest.importorskip("mpmath")

S = tg.special
INF, NAN = np.inf, np.nan
A32 = np.array([0.6, 2.0, 7.5], np.float32)      # float32 constants keep a float32 x float32
B32 = np.array([3.0, 0.8, 7.5], np.float32)

SPECS = [
    Spec("special.betainc", lambda x: S.betainc(A32, B32, x),
         lambda x: sc.betainc(A32, B32, x), [(2, 3)], (0.05, 0.95)),
    # both sides of the mean (the fraction at x, and at 1 - x with a, b swapped)
    Spec("special.betainc.sides", lambda x: S.betainc(4.0, 2.0, x),
         lambda x: sc.betainc(4.0, 2.0, x), [(6,)], (0.2, 0.98)),
    Spec("special.betainc.large", lambda x: S.betainc(150.0, 60.0, x),
         lambda x: sc.betainc(150.0, 60.0, x), [(4,)], (0.65, 0.77)),
    Spec("special.betainc.chain", lambda t: S.betainc(2.5, 1.5, tg.sigmoid(t)) * t,
         lambda t: sc.betainc(2.5, 1.5, sc.expit(t)) * t, [(3, 2)], (-3.0, 3.0)),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)


def test_it_is_there():
    assert "betainc" in S.__all__ and "I_x(a, b)" in S.betainc.__doc__


mp.mp.dps = 40


def _mp_betainc(a, b, x):
    return float(mp.betainc(mp.mpf(float(a)), mp.mpf(float(b)), 0, mp.mpf(float(x)),
                            regularized=True))


def _rel(got, want):
    return np.abs(got - want) / np.abs(want)


@pytest.mark.parametrize("lo,hi,bound", [(-2.0, 2.0, 1e-13), (2.0, 3.0, 1e-12)],
                         ids=["a,b in 0.01..100", "a,b in 100..1000"])
def test_accuracy_against_mpmath(lo, hi, bound):
    """The bound the docstring states, measured: a, b log-uniform over the
    range, x spread over the body of the distribution (results above 1e-200,
    the relative error of the prefactor's log then stays the measure)."""
    rng = np.random.default_rng(20261205)
    a, b = 10.0 ** rng.uniform(lo, hi, 300), 10.0 ** rng.uniform(lo, hi, 300)
    mean, sd = a / (a + b), np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    x = np.clip(mean + sd * rng.uniform(-4, 4, 300), 1e-6, 1 - 1e-6)
    want = np.array([_mp_betainc(*v) for v in zip(a, b, x)])
    got = S.betainc(a, b, x).asnumpy()
    keep = want > 1e-200
    assert keep.sum() > 250
    assert _rel(got[keep], want[keep]).max() < bound


def test_very_large_parameters():
    """a = b = 1e5 at the median (exactly 1/2): the prefactor's logs are
    ~1e5, so ~1e-11; off the median against SciPy (Boost's ibeta; mpmath's
    series does not converge there)."""
    got = S.betainc(1e5, 1e5, 0.5).item()
    assert abs(got - 0.5) < 1e-11
    for x in (0.332, 0.334, 0.336):
        got = S.betainc(1e5, 2e5, x).item()
        assert _rel(got, sc.betainc(1e5, 2e5, x)) < 1e-10


@pytest.mark.parametrize("a,b,x", [
    (2.0, 3.0, 0.0), (2.0, 3.0, 1.0), (2.0, 3.0, -0.1), (2.0, 3.0, 1.1), (2.0, 3.0, NAN),
    (NAN, 3.0, 0.5), (2.0, NAN, 0.5), (-1.0, 2.0, 0.5), (2.0, -1.0, 0.5), (0.0, 0.0, 0.5),
    (INF, INF, 0.5), (2.0, 3.0, 1e-320), (1e-300, 3.0, 0.5), (0.5, 0.5, 1e-300)])
def test_special_arguments_are_scipys(a, b, x):
    want = sc.betainc(a, b, x)
    got = S.betainc(a, b, x).item()
    if np.isnan(want):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(want, rel=1e-14, abs=0)


@pytest.mark.parametrize("a,b,x,want", [
    (0.0, 2.0, 0.0, 0.0), (0.0, 2.0, 0.3, 1.0), (0.0, 2.0, 1.0, 1.0), (3.0, INF, 0.0, 0.0),
    (3.0, INF, 0.5, 1.0), (0.0, INF, 0.5, 1.0),                    # all the mass at 0
    (2.0, 0.0, 0.0, 0.0), (2.0, 0.0, 0.3, 0.0), (2.0, 0.0, 1.0, 1.0), (INF, 3.0, 0.5, 0.0),
    (INF, 3.0, 1.0, 1.0), (INF, 0.0, 0.5, 0.0)])                   # all the mass at 1
def test_limits_in_a_and_b(a, b, x, want):
    """a = 0 or b = inf: the distribution is all at 0; b = 0 or a = inf: all
    at 1.  SciPy gives these values from 1.17 (NaN before)."""
    assert S.betainc(a, b, x).item() == want


@pytest.mark.parametrize("a,b", [(0.3, 2.0), (1.0, 4.0), (2.5, 1.5), (40.0, 0.7)])
def test_derivative_against_mpmath(a, b):
    """d/dx = x^(a-1) (1-x)^(b-1) / B(a, b), over the whole interval,
    tails included (where it is tiny or huge)."""
    x = np.array([1e-12, 1e-3, 0.2, 0.5, 0.9, 1 - 1e-6])
    g = tg.grad(lambda t: S.betainc(a, b, t).sum())(tg.array(x)).asnumpy()
    for xi, gi in zip(x, g):
        m = [mp.mpf(v) for v in (a, b, float(xi))]
        want = float(m[2] ** (m[0] - 1) * (1 - m[2]) ** (m[1] - 1) / mp.beta(m[0], m[1]))
        assert gi == pytest.approx(want, rel=1e-12), (xi, gi, want)


def test_derivative_at_the_ends():
    g = tg.grad(lambda t: S.betainc(1.0, 4.0, t))
    assert g(0.0).item() == pytest.approx(4.0, rel=1e-14)      # 1 - (1 - x)^4
    assert tg.grad(lambda t: S.betainc(3.0, 4.0, t))(0.0).item() == 0.0
    assert tg.grad(lambda t: S.betainc(0.5, 4.0, t))(0.0).item() == INF


def test_second_derivative_closed_form():
    a, b, x = 2.5, 1.5, 0.3
    d1 = x ** (a - 1) * (1 - x) ** (b - 1) / sc.beta(a, b)
    want = d1 * ((a - 1) / x - (b - 1) / (1 - x))
    got = tg.grad(tg.grad(lambda t: S.betainc(a, b, t)))(x).item()
    assert got == pytest.approx(want, rel=1e-12)
    got = tg.jvp(tg.grad(lambda t: S.betainc(a, b, t)), (x,), (1.0,))[1].item()
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("which", ["a", "b"])
def test_a_and_b_are_not_differentiated(which):
    """A gradient or a tangent reaching a or b raises, naming the argument;
    one reaching only x works beside a constant a, b."""
    def f(t):
        return S.betainc(t, 2.0, 0.4) if which == "a" else S.betainc(2.0, t, 0.4)
    with pytest.raises(NotImplementedError, match=f"betainc.*argument '{which}'"):
        tg.grad(f)(1.5)
    with pytest.raises(NotImplementedError, match=f"betainc.*argument '{which}'"):
        tg.jvp(f, (1.5,), (1.0,))
    p = tg.array([1.5, 3.0])
    p.attach_grad()
    with autograd.record():
        y = (S.betainc(p, 2.0, 0.4) if which == "a" else S.betainc(2.0, p, 0.4)).sum()
    with pytest.raises(NotImplementedError, match=f"argument '{which}'"):
        y.backward()
    # a, b given as tensors that need no gradient: fine
    a, b = tg.array([1.5, 3.0]), tg.array([2.0, 0.5])
    g = tg.grad(lambda t: S.betainc(a, b, t).sum())(tg.array([0.25, 0.75])).asnumpy()
    x = np.array([0.25, 0.75])
    want = x ** 0.5 * (1 - x) / sc.beta(1.5, 2.0), x ** 2 * (1 - x) ** -0.5 / sc.beta(3.0, 0.5)
    np.testing.assert_allclose(g, [want[0][0], want[1][1]], rtol=1e-13)


def test_dtypes_and_broadcasting():
    assert S.betainc(2.0, 3.0, np.float32(0.4)).dtype == np.float32
    assert S.betainc(A32, 3.0, 0.4).dtype == np.float32
    assert S.betainc(A32, 3.0, np.array(0.4)).dtype == np.float64
    assert S.betainc(2, 3, 0.4).dtype == np.float64
    y = S.betainc(A32[:, None], B32, np.float32([[0.2, 0.5, 0.9]]))
    assert y.shape == (3, 3) and y.dtype == np.float32
    np.testing.assert_allclose(y.asnumpy(), sc.betainc(A32[:, None], B32, np.float32(
        [[0.2, 0.5, 0.9]])), rtol=2e-6)
    with pytest.raises(tg.errors.ShapeError, match=r"betainc: operands of shapes \(3,\), "
                                                   r"\(2,\) and \(\) do not broadcast"):
        S.betainc(np.ones(3), np.ones(2), 0.5)


def test_batched_jacobian_and_scipy_ufunc():
    x = np.array([0.1, 0.4, 0.8])
    J = tg.jacobian(lambda t: S.betainc(2.0, 3.0, t) * t)(x).asnumpy()
    d = x * (1 - x) ** 2 * 12.0
    np.testing.assert_allclose(J, np.diag(d * x + sc.betainc(2.0, 3.0, x)), rtol=1e-13)
    t = tg.array(x)
    t.attach_grad()
    with autograd.record():
        y = sc.betainc(2.0, 3.0, t).sum()            # SciPy's ufunc records
    y.backward()
    np.testing.assert_allclose(t.grad.asnumpy(), d, rtol=1e-13)


def test_against_jax():
    jax = jax64()
    jsp = pytest.importorskip("jax.scipy.special")
    x = np.array([0.05, 0.3, 0.6, 0.97])
    for a, b in [(0.7, 2.0), (3.0, 3.0), (12.0, 0.9)]:
        want = np.asarray(jax.vmap(jax.grad(lambda t: jsp.betainc(a, b, t)))(x))
        got = tg.grad(lambda t: S.betainc(a, b, t).sum())(tg.array(x)).asnumpy()
        np.testing.assert_allclose(got, want, rtol=1e-12)
        np.testing.assert_allclose(S.betainc(a, b, x).asnumpy(),
                                   np.asarray(jsp.betainc(a, b, x)), rtol=1e-12)


def test_a_fraction_that_did_not_converge_is_nan(monkeypatch):
    """Cut the continued fraction to 3 terms: the points that need more are
    NaN (never the partial sum); the ends and those converged stay exact."""
    from tapegrad.ops import special as ops_special
    monkeypatch.setattr(ops_special, "_BETAINC_TERMS", 3)
    y = S.betainc(np.array([1.0, 50.0, 2.0, 2.0]), np.array([1.0, 50.0, 3.0, 3.0]),
                  np.array([0.3, 0.5, 0.0, 1.0])).asnumpy()
    assert y[0] == pytest.approx(0.3, rel=1e-15)      # I_x(1, 1) = x: two terms
    assert np.isnan(y[1])
    assert (y[2], y[3]) == (0.0, 1.0)
