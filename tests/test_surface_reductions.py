"""The NumPy surface: reductions, scans and statistics (var std average cumsum
cumprod diff median percentile quantile, the nan* forms, ptp amax amin, and
sum/mean/max/min/prod with dtype=/where=/initial=), through the shared checks
of surface.py; then exact values at ties, zeros, NaNs and empty inputs, the
integer/boolean functions, the argument errors, and torch/JAX as second
oracles."""
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

from oracles import jax64
from surface import Spec, check_all


def distinct(rng, shape):
    """Elements at least 0.2 apart (no ties: order statistics are smooth)."""
    n = int(np.prod(shape, dtype=np.int64))
    v = (rng.permutation(n) - n / 2.0) * 0.25 + rng.uniform(0.0, 0.05, n)
    return v.reshape(shape)


def with_zeros(rng, shape):
    """Values in [-2, 2] with about a third of them exactly zero."""
    x = rng.uniform(-2.0, 2.0, shape)
    return np.where(rng.uniform(size=shape) < 0.35, 0.0, x)


M = np.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])

SPECS = [
    # ---- sum/mean/max/min/prod: NumPy's extra keywords
    Spec("sum.where", lambda x: tg.sum(x, axis=1, where=M), lambda x: np.sum(x, axis=1, where=M),
         [(3, 4)]),
    Spec("sum.initial", lambda x: tg.sum(x, axis=0, initial=1.5),
         lambda x: np.sum(x, axis=0, initial=1.5), [(3, 4)]),
    Spec("sum.dtype", lambda x: tg.sum(x, dtype=x.dtype), lambda x: np.sum(x), [(3, 4)]),
    Spec("sum.method_kw", lambda x: x.sum(axis=-1, keepdims=True, where=M[0]),
         lambda x: np.sum(x, axis=-1, keepdims=True, where=M[0]), [(3, 4)]),
    Spec("mean.where", lambda x: tg.mean(x, axis=1, where=M), lambda x: np.mean(x, 1, where=M),
         [(3, 4)]),
    Spec("mean.where_all", lambda x: tg.mean(x, where=M), lambda x: np.mean(x, where=M),
         [(3, 4)]),
    Spec("max.initial", lambda x: tg.max(x, axis=0, initial=0.3),
         lambda x: np.max(x, axis=0, initial=0.3), [(3, 4)], domain=distinct),
    Spec("max.where", lambda x: tg.max(x, axis=1, where=M, initial=-1.0),
         lambda x: np.max(x, axis=1, where=M, initial=-1.0), [(3, 4)], domain=distinct),
    Spec("min.where", lambda x: tg.min(x, axis=0, where=M, initial=5.0),
         lambda x: np.min(x, axis=0, where=M, initial=5.0), [(3, 4)], domain=distinct),
    Spec("prod.where", lambda x: tg.prod(x, axis=1, where=M, initial=2.0),
         lambda x: np.prod(x, axis=1, where=M, initial=2.0), [(3, 4)], domain=(0.5, 1.5)),
    # ---- var, std
    Spec("var", tg.var, np.var, [(5,)]),
    Spec("var", tg.var, np.var, [()]),
    Spec("var.axis0", lambda x: tg.var(x, axis=0), lambda x: np.var(x, axis=0), [(3, 4)]),
    Spec("var.axis-1.ddof1", lambda x: tg.var(x, axis=-1, ddof=1),
         lambda x: np.var(x, axis=-1, ddof=1), [(3, 4)]),
    Spec("var.axes.keepdims", lambda x: tg.var(x, axis=(0, 2), keepdims=True),
         lambda x: np.var(x, axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    Spec("var.where", lambda x: tg.var(x, axis=1, where=M), lambda x: np.var(x, 1, where=M),
         [(3, 4)]),
    Spec("var.correction", lambda x: tg.var(x, correction=1), lambda x: np.var(x, ddof=1),
         [(6,)]),
    Spec("var.method", lambda x: x.var(axis=0, ddof=1), lambda x: np.var(x, 0, ddof=1),
         [(4, 2)]),
    Spec("var.mean", lambda x, m: tg.var(x, axis=1, mean=m, keepdims=True),
         lambda x, m: np.var(x, axis=1, mean=m, keepdims=True), [(3, 4), (3, 1)]),
    Spec("std", tg.std, np.std, [(5,)]),
    Spec("std.axis.ddof", lambda x: tg.std(x, axis=1, ddof=1), lambda x: np.std(x, 1, ddof=1),
         [(3, 4)]),
    Spec("std.method", lambda x: x.std(axis=-2, keepdims=True),
         lambda x: np.std(x, axis=-2, keepdims=True), [(2, 3, 2)]),
    # ---- average
    Spec("average", tg.average, np.average, [(5,)]),
    Spec("average.weights", lambda x, w: tg.average(x, weights=w),
         lambda x, w: np.average(x, weights=w), [(3, 4), (3, 4)], domain=[(-2, 2), (0.5, 2)]),
    Spec("average.weights_axis", lambda x, w: tg.average(x, axis=1, weights=w),
         lambda x, w: np.average(x, axis=1, weights=w), [(3, 4), (4,)],
         domain=[(-2, 2), (0.5, 2)]),
    Spec("average.weights_axis_keepdims", lambda x, w: tg.average(x, axis=0, weights=w,
                                                                  keepdims=True),
         lambda x, w: np.average(x, axis=0, weights=w, keepdims=True), [(3, 2), (3,)],
         domain=[(-2, 2), (0.5, 2)]),
    Spec("average.returned", lambda x, w: tg.average(x, axis=0, weights=w, returned=True)[1],
         lambda x, w: np.average(x, axis=0, weights=w, returned=True)[1], [(3, 2), (3, 2)],
         domain=[(-2, 2), (0.5, 2)]),
    # ---- cumsum, cumprod
    Spec("cumsum", tg.cumsum, np.cumsum, [(5,)]),
    Spec("cumsum", tg.cumsum, np.cumsum, [()]),
    Spec("cumsum.flat", tg.cumsum, np.cumsum, [(2, 3)]),
    Spec("cumsum.axis0", lambda x: tg.cumsum(x, axis=0), lambda x: np.cumsum(x, 0), [(3, 4)]),
    Spec("cumsum.axis-1", lambda x: tg.cumsum(x, -1), lambda x: np.cumsum(x, -1), [(2, 3, 4)]),
    Spec("cumsum.method", lambda x: x.cumsum(axis=1), lambda x: np.cumsum(x, 1), [(2, 3)]),
    Spec("cumprod", tg.cumprod, np.cumprod, [(5,)], domain=(0.5, 1.5)),
    Spec("cumprod.zeros", tg.cumprod, np.cumprod, [(9,)], domain=with_zeros),
    Spec("cumprod.zeros_axis", lambda x: tg.cumprod(x, axis=1), lambda x: np.cumprod(x, 1),
         [(3, 6)], domain=with_zeros),
    Spec("cumprod.axis0", lambda x: tg.cumprod(x, axis=0), lambda x: np.cumprod(x, 0),
         [(7, 2)]),
    Spec("cumprod.flat", tg.cumprod, np.cumprod, [(2, 4)]),
    Spec("cumprod.one", tg.cumprod, np.cumprod, [(1,)]),
    Spec("cumprod.0d", tg.cumprod, np.cumprod, [()]),
    Spec("cumprod.method", lambda x: x.cumprod(axis=-1), lambda x: np.cumprod(x, -1),
         [(2, 8)]),
    # ---- diff
    Spec("diff", tg.diff, np.diff, [(5,)]),
    Spec("diff.n2.axis0", lambda x: tg.diff(x, n=2, axis=0), lambda x: np.diff(x, 2, 0),
         [(4, 3)]),
    Spec("diff.n3", lambda x: tg.diff(x, 3), lambda x: np.diff(x, 3), [(2, 6)]),
    Spec("diff.prepend_append", lambda x: tg.diff(x, prepend=x.dtype.type(0.5),
                                                  append=np.array([[1.0], [2.0]], x.dtype)),
         lambda x: np.diff(x, prepend=0.5, append=[[1.0], [2.0]]), [(2, 3)]),
    Spec("diff.tensor_edges", lambda x, p: tg.diff(x, axis=0, prepend=p, append=p),
         lambda x, p: np.diff(x, axis=0, prepend=p, append=p), [(3, 2), (1, 2)]),
    Spec("diff.too_long", lambda x: tg.diff(x, n=4), lambda x: np.diff(x, n=4), [(3,)]),
    # ---- median, percentile, quantile
    Spec("median", tg.median, np.median, [(5,)], domain=distinct),
    Spec("median.even", tg.median, np.median, [(6,)], domain=distinct),
    Spec("median.0d", tg.median, np.median, [()]),
    Spec("median.axis1", lambda x: tg.median(x, axis=1), lambda x: np.median(x, axis=1),
         [(3, 4)], domain=distinct),
    Spec("median.axes.keepdims", lambda x: tg.median(x, axis=(0, 2), keepdims=True),
         lambda x: np.median(x, axis=(0, 2), keepdims=True), [(2, 3, 3)], domain=distinct),
    Spec("median.axis-2", lambda x: tg.median(x, axis=-2), lambda x: np.median(x, axis=-2),
         [(3, 5, 2)], domain=distinct),
    Spec("percentile", lambda x: tg.percentile(x, 30), lambda x: np.percentile(x, 30),
         [(7,)], domain=distinct),
    Spec("percentile.qs.axis", lambda x: tg.percentile(x, [10, 50, 95], axis=0),
         lambda x: np.percentile(x, [10, 50, 95], axis=0), [(6, 3)], domain=distinct),
    Spec("percentile.keepdims", lambda x: tg.percentile(x, [[20], [80]], axis=1, keepdims=True),
         lambda x: np.percentile(x, [[20], [80]], axis=1, keepdims=True), [(2, 5)],
         domain=distinct),
    Spec("quantile", lambda x: tg.quantile(x, 0.37, axis=-1),
         lambda x: np.quantile(x, 0.37, axis=-1), [(3, 6)], domain=distinct),
    Spec("quantile.many_q", lambda x: tg.quantile(x, np.linspace(0, 1, 11), axis=0),
         lambda x: np.quantile(x, np.linspace(0, 1, 11), axis=0), [(5, 2)], domain=distinct),
    Spec("quantile.ends", lambda x: tg.quantile(x, [0.0, 1.0]),
         lambda x: np.quantile(x, [0.0, 1.0]), [(5,)], domain=distinct),
    Spec("quantile.q_tensor", lambda x, q: tg.quantile(x, q, axis=0),
         lambda x, q: np.quantile(x, q, axis=0), [(6, 2), (3,)],
         domain=[distinct, (0.05, 0.95)]),
    Spec("percentile.q_tensor_hazen", lambda x, q: tg.percentile(x, q, method="hazen"),
         lambda x, q: np.percentile(x, q, method="hazen"), [(7,), ()],
         domain=[distinct, (20, 80)]),
    # ---- nan-ignoring forms (on finite inputs here; NaNs below)
    Spec("nansum", lambda x: tg.nansum(x, axis=0), lambda x: np.nansum(x, 0), [(3, 4)]),
    Spec("nanmean", lambda x: tg.nanmean(x, axis=1), lambda x: np.nanmean(x, 1), [(3, 4)]),
    Spec("nanvar", lambda x: tg.nanvar(x, ddof=1), lambda x: np.nanvar(x, ddof=1), [(3, 4)]),
    Spec("nanstd", lambda x: tg.nanstd(x, axis=0), lambda x: np.nanstd(x, 0), [(3, 4)]),
    Spec("nanmax", lambda x: tg.nanmax(x, axis=1), lambda x: np.nanmax(x, 1), [(3, 4)],
         domain=distinct),
    Spec("nanmin", tg.nanmin, np.nanmin, [(3, 4)], domain=distinct),
    Spec("nanprod", lambda x: tg.nanprod(x, 1), lambda x: np.nanprod(x, 1), [(3, 4)],
         domain=(0.5, 1.5)),
    Spec("nanmedian", lambda x: tg.nanmedian(x, axis=0), lambda x: np.nanmedian(x, 0),
         [(4, 3)], domain=distinct),
    Spec("nanpercentile", lambda x: tg.nanpercentile(x, [25, 60], axis=1),
         lambda x: np.nanpercentile(x, [25, 60], axis=1), [(2, 5)], domain=distinct),
    Spec("nanquantile", lambda x: tg.nanquantile(x, 0.9), lambda x: np.nanquantile(x, 0.9),
         [(6,)], domain=distinct),
    Spec("nancumsum", lambda x: tg.nancumsum(x, 1), lambda x: np.nancumsum(x, 1), [(2, 3)]),
    Spec("nancumprod", tg.nancumprod, np.nancumprod, [(5,)]),
    # ---- ptp, amax, amin
    Spec("ptp", tg.ptp, np.ptp, [(5,)], domain=distinct),
    Spec("ptp.axis.keepdims", lambda x: tg.ptp(x, axis=1, keepdims=True),
         lambda x: np.ptp(x, axis=1, keepdims=True), [(3, 4)], domain=distinct),
    Spec("amax", lambda x: tg.amax(x, axis=0), lambda x: np.amax(x, 0), [(3, 4)],
         domain=distinct),
    Spec("amin", lambda x: tg.amin(x, axis=(0, 1)), lambda x: np.amin(x, (0, 1)), [(2, 3)],
         domain=distinct),
]

METHODS = ["linear", "lower", "higher", "nearest", "midpoint", "inverted_cdf",
           "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf",
           "hazen", "weibull", "median_unbiased", "normal_unbiased"]
for _m in METHODS:
    SPECS.append(Spec(f"quantile.method={_m}",
                      (lambda m: lambda x: tg.quantile(x, [0.0, 0.1, 0.25, 0.5, 0.77, 1.0],
                                                       axis=1, method=m))(_m),
                      (lambda m: lambda x: np.quantile(x, [0.0, 0.1, 0.25, 0.5, 0.77, 1.0],
                                                       axis=1, method=m))(_m),
                      [(2, 7)], domain=distinct))
    SPECS.append(Spec(f"quantile.method={_m}", (lambda m: lambda x: tg.quantile(
        x, 0.4, method=m))(_m), (lambda m: lambda x: np.quantile(x, 0.4, method=m))(_m),
        [(4,)], domain=distinct))


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)


def test_dtype_keyword_accumulates_in_the_wider_type():
    x = tg.array(np.full(3, 0.1), dtype="float32")
    x.attach_grad()
    with autograd.record():
        ys = [tg.sum(x, dtype=np.float64), tg.mean(x, dtype="float64"),
              tg.cumsum(x, dtype=np.float64), tg.var(x, dtype=np.float64)]
        s = sum(y.sum() for y in ys)
    assert all(y.dtype == np.float64 for y in ys)
    assert ys[0].item() == np.sum(np.full(3, 0.1, np.float32), dtype=np.float64)
    s.backward()
    assert x.grad.dtype == np.float32


def grad(f, x):
    return tg.grad(f)(tg.array(x)).asnumpy()


# ---- ties: the gradient splits evenly, exactly --------------------------------------
def test_median_ties_split_like_max():
    assert np.array_equal(grad(tg.median, [2.0, 2.0, 1.0]), [0.5, 0.5, 0.0])
    assert np.array_equal(grad(tg.median, [1.0, 2.0, 2.0, 3.0]), [0.0, 0.5, 0.5, 0.0])
    assert np.array_equal(grad(tg.median, [3.0, 3.0, 3.0, 3.0]), [0.25] * 4)
    # the middle value tied three times: a third each
    assert np.allclose(grad(tg.median, [5.0, 1.0, 5.0, 9.0, 5.0]), [1 / 3, 0, 1 / 3, 0, 1 / 3],
                       rtol=0, atol=1e-15)
    # the value is the tied value exactly
    assert tg.median(tg.array([0.1, 0.1, 0.1, 7.0, -3.0])).item() == 0.1


def test_percentile_gradient_at_ties_and_between():
    x = [4.0, 1.0, 3.0, 2.0, 5.0]
    # 30th percentile of 5 values: position 1.2 -> 0.8 * x(2) + 0.2 * x(3) (as JAX)
    assert np.allclose(grad(lambda t: tg.percentile(t, 30.0), x), [0, 0, 0.2, 0.8, 0],
                       rtol=0, atol=1e-15)
    g = grad(lambda t: tg.percentile(t, 30.0), [2.0, 1.0, 2.0, 2.0, 5.0])
    assert np.allclose(g, [1 / 3, 0, 1 / 3, 1 / 3, 0], rtol=0, atol=1e-15)
    g = grad(lambda t: tg.quantile(t, 0.5, method="lower"), [3.0, 1.0, 3.0, 0.0])
    assert np.array_equal(g, [0.0, 1.0, 0.0, 0.0])


def test_max_min_ptp_ties_exact():
    assert np.array_equal(grad(tg.max, [2.0, 2.0, 1.0]), [0.5, 0.5, 0.0])
    assert np.array_equal(grad(tg.amin, [1.0, 3.0, 1.0, 1.0]), [1 / 3, 0, 1 / 3, 1 / 3])
    assert np.array_equal(grad(tg.ptp, [1.0, 1.0, 3.0]), [-0.5, -0.5, 1.0])
    # initial= tied with the maximum: half to it (as JAX)
    assert np.array_equal(grad(lambda t: tg.max(t, initial=3.0), [1.0, 3.0]), [0.0, 0.5])
    assert np.array_equal(grad(lambda t: tg.max(t, initial=5.0), [1.0, 3.0]), [0.0, 0.0])


def test_median_with_infinities_takes_no_nan_from_a_zero_weight_neighbour():
    x = tg.array([1.0, 2.0, np.inf])
    assert tg.median(x).item() == np.median(x.asnumpy()) == 2.0
    assert np.array_equal(grad(tg.median, [1.0, 2.0, np.inf]), [0.0, 1.0, 0.0])
    assert tg.median(tg.array([-np.inf, 1.0])).item() == -np.inf


def test_median_and_percentile_of_nan_slices_are_nan():
    x = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, 4.0]])
    assert np.array_equal(tg.median(x, axis=1).asnumpy(), np.median(x, axis=1), equal_nan=True)
    assert np.array_equal(tg.percentile(x, [20, 70], axis=1).asnumpy(),
                          np.percentile(x, [20, 70], axis=1), equal_nan=True)
    assert np.allclose(tg.nanmedian(x, axis=1).asnumpy(), np.nanmedian(x, axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.nanpercentile([[np.nan, np.nan], [1.0, 5.0]], 40, axis=1)
    got = tg.nanpercentile(tg.array([[np.nan, np.nan], [1.0, 5.0]]), 40, axis=1)
    assert np.array_equal(got.asnumpy(), want, equal_nan=True)


# ---- cumprod with zeros: the exact Jacobian and Hessian (JAX's values) ------------
def test_cumprod_jacobian_with_zeros_is_exact():
    x = tg.array([2.0, 0.0, 3.0, 0.0, 5.0])
    want = [[1, 0, 0, 0, 0], [0, 2, 0, 0, 0], [0, 6, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
    for mode in ("rev", "fwd"):
        assert np.array_equal(tg.jacobian(tg.cumprod, mode=mode)(x).asnumpy(), want)


def test_cumprod_hessian_with_a_zero_is_exact():
    h = tg.hessian(lambda t: tg.cumprod(t).sum())(tg.array([2.0, 0.0, 3.0]))
    assert np.array_equal(h.asnumpy(), [[0, 4, 0], [4, 0, 2], [0, 2, 0]])


def test_cumprod_gradient_is_exact_where_the_products_underflow():
    # y[1] = 1e-400 underflows to 0: y / x would give d y[1] / d x[0] = 0, not 1e-200
    J = tg.jacobian(tg.cumprod)(tg.array([1e-200, 1e-200, 2.0])).asnumpy()
    assert np.array_equal(J, [[1.0, 0, 0], [1e-200, 1e-200, 0], [2e-200, 2e-200, 0]])
    _, t = tg.jvp(tg.cumprod, (tg.array([1e-200, 1e-200, 2.0]),), (np.ones(3),))
    assert np.array_equal(t.asnumpy(), [1.0, 2e-200, 4e-200])


def test_cumprod_values_match_numpy_on_long_and_odd_lengths():
    rng = np.random.default_rng(0)
    for n in (2, 3, 5, 16, 17, 31, 100):
        x = rng.uniform(0.9, 1.1, (2, n))
        assert np.allclose(tg.cumprod(x, axis=1).asnumpy(), np.cumprod(x, axis=1),
                           rtol=1e-13, atol=0)


# ---- NaN in the nan* reductions: zero gradient there, values as NumPy -------------
NANX = np.array([[1.0, np.nan, 3.0, -2.0], [np.nan, 0.5, 2.0, 4.0]])


@pytest.mark.parametrize("name", ["nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin",
                                  "nanprod", "nanmedian", "nancumsum", "nancumprod"])
def test_nan_reductions_give_zero_gradient_at_nans(name):
    fn, ref = getattr(tg, name), getattr(np, name)
    kw = {} if name.startswith("nancum") else {"axis": 1}
    assert np.allclose(fn(NANX, **kw).asnumpy(), ref(NANX, **kw), rtol=1e-14)
    g = tg.grad(lambda t: fn(t, **kw).sum())(tg.array(NANX)).asnumpy()
    assert np.all(g[np.isnan(NANX)] == 0) and np.all(np.isfinite(g))


def test_nanmax_all_nan_slice_is_nan_with_numpys_warning():
    x = np.array([[np.nan, np.nan], [1.0, 2.0]])
    with pytest.warns(RuntimeWarning, match="All-NaN slice"):
        got = tg.nanmax(x, axis=1).asnumpy()
    assert np.isnan(got[0]) and got[1] == 2.0
    assert tg.nanmax(x, axis=1, initial=0.0).asnumpy().tolist() == [0.0, 2.0]


# ---- std at zero variance, ddof edge ----------------------------------------------
def test_std_gradient_at_zero_variance_is_nan_as_jax():
    g = grad(tg.std, [1.0, 1.0, 1.0])
    assert np.all(np.isnan(g))
    assert np.array_equal(grad(tg.var, [1.0, 1.0, 1.0]), [0.0, 0.0, 0.0])


def test_var_with_no_degrees_of_freedom_is_inf_as_numpy():
    with pytest.warns(RuntimeWarning):
        v = tg.var(tg.array([2.0]), ddof=1)
    assert np.isnan(v.item()) or np.isinf(v.item())


def test_var_is_stable_for_a_large_offset():
    x = 1e9 + np.array([1.0, 2.0, 3.0, 4.0])
    assert tg.var(x).item() == np.var(x) == 1.25
    x32 = (1e4 + np.arange(4.0)).astype(np.float32)
    assert abs(tg.var(tg.array(x32)).item() - 1.25) < 1e-3


# ---- empty and 0-d --------------------------------------------------------------------
def test_empty_inputs_where_numpy_allows():
    e = tg.array(np.zeros((0, 3)))
    assert tg.cumsum(e, axis=0).shape == (0, 3)
    assert tg.cumprod(e, axis=0).shape == (0, 3)
    assert tg.diff(e, axis=0).shape == (0, 3)
    assert tg.sum(e, axis=0).asnumpy().tolist() == [0.0] * 3
    assert tg.max(e, axis=0, initial=1.0).asnumpy().tolist() == [1.0] * 3
    assert tg.nansum(e).item() == 0.0
    assert tg.cumsum(e).shape == (0,)
    assert tg.median(e, axis=1).shape == (0,)


def test_empty_reduction_without_identity_raises():
    with pytest.raises(ValueError, match="max over axis 0"):
        tg.max(tg.array(np.zeros((0, 2))), axis=0)
    with pytest.raises(ValueError, match="no elements"):
        tg.median(tg.array(np.zeros((0,))))


def test_zero_d_inputs():
    x = tg.array(3.0)
    assert tg.cumsum(x).shape == (1,)
    assert tg.var(x).item() == 0.0
    assert tg.median(x).item() == 3.0
    assert tg.percentile(x, [10, 90]).asnumpy().tolist() == [3.0, 3.0]
    # NumPy's ufunc reductions take axis 0 or -1 on a 0-d input (no reduction)
    for fn in (tg.sum, tg.max, tg.prod):
        assert fn(x, axis=0).item() == 3.0 and fn(x, axis=-1, keepdims=True).shape == ()
    assert tg.max(x, axis=0, initial=5.0).item() == 5.0
    assert tg.grad(lambda t: tg.max(t, axis=-1))(x).item() == 1.0
    assert tg.cumsum(x, axis=0).asnumpy().tolist() == np.cumsum(np.array(3.0), 0).tolist()
    assert tg.cumprod(x, axis=-1).shape == (1,)
    with pytest.raises(np.exceptions.AxisError):
        tg.sum(x, axis=1)


# ---- gradient tuples: average(returned=True) ----------------------------------------
def test_average_returned_both_differentiable():
    x, w = tg.array([1.0, 2.0, 4.0]), tg.array([1.0, 1.0, 2.0])
    avg, scl = tg.average(x, weights=w, returned=True)
    assert avg.item() == np.average([1, 2, 4], weights=[1, 1, 2]) and scl.item() == 4.0
    gx, gw = tg.grad(lambda x, w: tg.average(x, weights=w), argnums=(0, 1))(x, w)
    assert np.allclose(gx.asnumpy(), [0.25, 0.25, 0.5])
    assert np.allclose(gw.asnumpy(), (np.array([1, 2, 4]) - 2.75) / 4)
    avg, scl = tg.average(tg.array(np.ones((2, 3))), axis=1, returned=True)
    assert scl.asnumpy().tolist() == [3.0, 3.0]


def test_average_weights_summing_to_zero_raise():
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero|weights sum to zero"):
        tg.average(tg.array([1.0, 2.0]), weights=[1.0, -1.0])


# ---- integer and boolean results: plain NumPy, never recorded ------------------------
def test_integer_and_boolean_functions_return_plain_numpy():
    a = np.array([[1.0, 0.0, 3.0], [3.0, -1.0, 0.0]])
    x = tg.array(a)
    x.attach_grad()
    with autograd.record():
        cases = {
            "any": (tg.any(x, axis=1), np.any(a, axis=1)),
            "all": (tg.all(x, axis=0, keepdims=True), np.all(a, axis=0, keepdims=True)),
            "count_nonzero": (tg.count_nonzero(x, axis=1), np.count_nonzero(a, axis=1)),
            "argmax": (tg.argmax(x), np.argmax(a)),
            "argmax.axis": (tg.argmax(x, axis=0, keepdims=True), np.argmax(a, 0, keepdims=True)),
            "argmin": (x.argmin(axis=1), np.argmin(a, axis=1)),
            "method.any": (x.any(), np.any(a)),
            "method.all": (x.all(axis=1), np.all(a, axis=1)),
            "nanargmax": (tg.nanargmax(tg.array([np.nan, 2.0, 1.0])), 1),
            "nanargmin": (tg.nanargmin(tg.array([np.nan, 2.0, 1.0])), 2),
        }
    for name, (got, want) in cases.items():
        assert not isinstance(got, tg.Tensor), name
        assert isinstance(got, (np.ndarray, np.generic)), name
        assert np.array_equal(got, want), name
        assert np.asarray(got).dtype == np.asarray(want).dtype or name.startswith("nanarg")


def test_argmax_ties_take_the_first_as_numpy():
    assert tg.argmax(tg.array([1.0, 3.0, 3.0])) == 1


# ---- argument errors: named, never silently ignored ---------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda x: tg.sum(x, dtype=np.int64), "dtype=int64"),
    (lambda x: tg.mean(x, dtype=bool), "dtype=bool"),
    (lambda x: tg.sum(x, out=np.zeros(())), "out="),
    (lambda x: tg.max(x, out=np.zeros(())), "out="),
    (lambda x: tg.var(x, out=np.zeros(())), "out="),
    (lambda x: tg.cumsum(x, dtype=np.int32), "dtype=int32"),
    (lambda x: tg.cumprod(x, out=np.zeros(3)), "out="),
    (lambda x: tg.percentile(x, 50, weights=np.ones(3)), "weights="),
    (lambda x: tg.median(x, out=np.zeros(())), "out="),
    (lambda x: tg.argmax(x, out=np.zeros((), int)), "out="),
])
def test_unsupported_arguments_raise_type_error_naming_them(call, match):
    with pytest.raises(TypeError, match=match):
        call(tg.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("call, exc, match", [
    (lambda x: tg.max(x, where=[True, False, True]), ValueError, "initial"),
    (lambda x: tg.percentile(x, 101), ValueError, r"range \[0, 100\]"),
    (lambda x: tg.quantile(x, -0.1), ValueError, r"range \[0, 1\]"),
    (lambda x: tg.quantile(x, 0.5, method="bogus"), ValueError, "not a valid method"),
    (lambda x: tg.diff(x, n=-1), ValueError, "non-negative"),
    (lambda x: tg.var(x, ddof=1, correction=1), ValueError, "simultaneously"),
    (lambda x: tg.sum(x, where=np.ones((2, 3), bool)), ValueError, "does not broadcast"),
    (lambda x: tg.average(x, weights=np.ones(2)), TypeError, "axis must be specified"),
    (lambda x: tg.cumsum(x, axis=1), np.exceptions.AxisError, "axis 1"),
    (lambda x: tg.sum(x, axis=(0, 0)), ValueError, "duplicate value in 'axis'"),
])
def test_bad_arguments_raise_numpys_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call(tg.array([1.0, 2.0, 3.0]))


def test_diff_edges_promote_as_numpy():
    x = np.ones((2, 3), np.float32)
    for kw in ({"prepend": 0.5}, {"append": [[1.0], [2.0]]},
               {"prepend": np.float32(0.5), "append": np.zeros((2, 1), np.float32)}):
        got, want = tg.diff(x, **kw), np.diff(x, **kw)
        assert got.dtype == want.dtype and np.array_equal(got.asnumpy(), want), kw


def test_numpys_novalue_defaults_are_accepted():
    # NumPy's own signatures default keepdims/initial/where to np._NoValue
    x = tg.array([[1.0, 2.0], [3.0, 4.0]])
    nv = np._NoValue
    assert tg.sum(x, 0, None, None, nv, nv, nv).shape == (2,)
    assert tg.max(x, 1, None, nv, nv, nv).shape == (2,)
    assert tg.mean(x, keepdims=nv).shape == ()


def test_interpolation_is_method_s_old_name():
    x = tg.array([1.0, 4.0, 2.0, 8.0])
    assert tg.quantile(x, 0.4, interpolation="lower").item() == \
        np.quantile(x.asnumpy(), 0.4, method="lower")


# ---- torch and JAX as second oracles ----------------------------------------------------
TORCH_CASES = [
    ("var.ddof1", lambda m, x: m.var(x, axis=1, ddof=1), (3, 4)),
    ("std", lambda m, x: m.std(x, axis=0), (3, 4)),
    ("cumsum", lambda m, x: m.cumsum(x, axis=1), (3, 4)),
    ("cumprod", lambda m, x: m.cumprod(x, axis=0), (4, 3)),
    ("nansum", lambda m, x: m.nansum(x), (3, 4)),
    ("diff", lambda m, x: m.diff(x, n=2, axis=1), (3, 5)),
    ("median", lambda m, x: m.median(x, axis=1), (3, 5)),
]


def _torch_ns():
    torch = pytest.importorskip("torch")

    class T:
        var = staticmethod(lambda x, axis, ddof: torch.var(x, dim=axis, correction=ddof))
        std = staticmethod(lambda x, axis: torch.std(x, dim=axis, correction=0))
        cumsum = staticmethod(lambda x, axis: torch.cumsum(x, dim=axis))
        cumprod = staticmethod(lambda x, axis: torch.cumprod(x, dim=axis))
        nansum = staticmethod(torch.nansum)
        diff = staticmethod(lambda x, n, axis: torch.diff(x, n=n, dim=axis))
        median = staticmethod(lambda x, axis: torch.quantile(x, 0.5, dim=axis))
    return torch, T


@pytest.mark.parametrize("name, fn, shape", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_gradient_matches_torch(name, fn, shape):
    torch, T = _torch_ns()
    rng = np.random.default_rng(7)
    a = distinct(rng, shape) if name == "median" else rng.uniform(-2, 2, shape)
    head = rng.standard_normal(np.shape(fn(np, a)))
    g = tg.grad(lambda x: (fn(tg, x) * head).sum())(tg.array(a)).asnumpy()
    t = torch.tensor(a, requires_grad=True)
    (fn(T, t) * torch.tensor(head)).sum().backward()
    assert np.allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-12)


JAX_CASES = [
    ("var", lambda m, x: m.var(x, axis=0, ddof=1), (4, 3)),
    ("cumprod.zeros", lambda m, x: m.cumprod(x), "zeros"),
    ("percentile", lambda m, x: m.percentile(x, np.array([15.0, 62.0]), axis=1), (3, 7)),
    ("average", lambda m, x: m.average(x, axis=1, weights=np.arange(1.0, 5.0)), (3, 4)),
    ("nanmean", lambda m, x: m.nanmean(x, axis=0), (3, 4)),
    ("ptp", lambda m, x: m.ptp(x, axis=1), (3, 4)),
    ("max.ties", lambda m, x: m.max(x, axis=1), "ties"),
]


@pytest.mark.parametrize("name, fn, shape", JAX_CASES, ids=[c[0] for c in JAX_CASES])
def test_jacobian_matches_jax(name, fn, shape):
    jax = jax64()
    jnp = jax.numpy
    rng = np.random.default_rng(11)
    if shape == "zeros":
        a = np.array([2.0, 0.0, 3.0, 0.0, 5.0, -1.0])
    elif shape == "ties":
        a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    else:
        a = distinct(rng, shape)
    got = tg.jacobian(lambda x: fn(tg, x))(tg.array(a)).asnumpy()
    want = np.asarray(jax.jacrev(lambda x: fn(jnp, x))(jnp.asarray(a)))
    assert np.allclose(got, want, rtol=1e-12, atol=1e-14)
