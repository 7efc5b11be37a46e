"""Accuracy of the C sin and cos kernels (csrc/tg_kernels.c), in ulps.

The contract is an error below one ulp, as for NumPy's float64 sin/cos
(glibc); NumPy's float32 ones reach 1.45 ulp.  Each range below has its
measured maximum in MEASURED; the tests assert the contract and, as a guard
against a silent loss of accuracy, the measured maximum plus a small margin.

The oracle is NumPy's long double sin/cos (glibc's sinl/cosl: a 64-bit
mantissa and exact argument reduction), whose own error is below 1/1000 of
a double's ulp; test_oracle_against_mpmath checks that on the hard cases.

Hard cases: every k < 2^20 * 2/pi gives x, the double nearest k pi/2, and
its two neighbours: there the reduced argument is smallest and cancellation
worst, so this covers the reduction's worst case for the fast range
exhaustively.  Beyond |x| >= 2^20, inf and NaN the kernels call libm.
"""
import functools

import numpy as np
import pytest

from tapegrad._core import kernels as K

pytestmark = pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63,
                                reason="the oracle needs an 80-bit long double")

FAST_MAX = 2.0 ** 20
N = 1_000_000
FUNCS = {"sin": np.sin, "cos": np.cos}
BITS = {np.float64: 53, np.float32: 24}
MIN_EXP = {np.float64: -1074, np.float32: -149}     # the ulp of the subnormals

# Largest error seen, in ulps, over sin and cos and three seeds (20-22).
MEASURED = {
    (np.float64, "|x|<1"): 0.583, (np.float64, "|x|<10"): 0.578,
    (np.float64, "|x|<1e3"): 0.576, (np.float64, "|x|<1e5"): 0.574,
    (np.float64, "|x|<2^20"): 0.576, (np.float64, "2^-30<|x|<2^20 log"): 0.570,
    (np.float64, "near k pi/2"): 0.500, (np.float64, "2^20<=|x|<1e9 (libm)"): 0.515,
}
MEASURED_F32 = 0.5                  # computed in double, then rounded once
MARGIN = 0.03


def native(name, x):
    y = K.unary_fwd(K.KERNEL_IDS[name], x)
    assert y is not None and y.dtype == x.dtype and y.shape == x.shape
    return y


def ulp_errors(name, x, y):
    """|y - f(x)| in ulps of the exact value's binade."""
    dtype = x.dtype.type
    ref = FUNCS[name](x.astype(np.longdouble))
    e = np.frexp(ref)[1]
    ulp = np.ldexp(np.longdouble(1), np.maximum(e - BITS[dtype], MIN_EXP[dtype]))
    return (np.abs(y.astype(np.longdouble) - ref) / ulp).astype(np.float64)


def _ranges(rng, N=N):
    u = lambda lo, hi, n=N: rng.uniform(lo, hi, n) * rng.choice([-1.0, 1.0], n)
    return {
        "|x|<1": u(0, 1), "|x|<10": u(0, 10), "|x|<1e3": u(0, 1e3), "|x|<1e5": u(0, 1e5),
        "|x|<2^20": u(0, FAST_MAX),
        "2^-30<|x|<2^20 log": np.exp2(u(-30, 20)) * rng.choice([-1.0, 1.0], N),
        "2^20<=|x|<1e9 (libm)": u(FAST_MAX, 1e9, N // 10),
    }


@functools.lru_cache(maxsize=None)
def near_half_pi_multiples(dtype):
    """For every k with k pi/2 < 2^20: the nearest x to k pi/2 and its neighbours."""
    k = np.arange(1, int(FAST_MAX / (np.pi / 2)) + 1, dtype=np.longdouble)
    x = (k * (np.longdouble(np.pi) / 2 + np.longdouble(
        # pi/2 - float64(pi)/2 to long double precision
        6.123233995736766e-17))).astype(dtype)
    x = x[x < FAST_MAX]
    x = np.concatenate([x, np.nextafter(x, dtype(0)), np.nextafter(x, dtype(np.inf))])
    x = np.concatenate([x, -x])
    x.setflags(write=False)              # cached: shared between tests
    return x


def _check(name, dtype, label, x, bound):
    y = native(name, x)
    err = ulp_errors(name, x, y)
    worst = int(np.argmax(err))
    assert err[worst] <= bound, (
        f"{name} ({np.dtype(dtype)}, {label}): {err[worst]:.4f} ulp at x = {x[worst]!r} "
        f"(bound {bound}); kernel {y[worst]!r}, "
        f"oracle {FUNCS[name](np.longdouble(x[worst]))!r}")
    return err[worst]


@pytest.mark.parametrize("name", list(FUNCS))
def test_float64_error_below_one_ulp_per_range(name):
    rng = np.random.default_rng(20)
    for label, x in _ranges(rng).items():
        assert _check(name, np.float64, label, x, 1.0) <= MEASURED[np.float64, label] + MARGIN, (
            f"{name} {label}: accuracy regressed past the measured maximum")


@pytest.mark.parametrize("name", list(FUNCS))
def test_float64_near_multiples_of_half_pi(name):
    x = near_half_pi_multiples(np.float64)
    worst = _check(name, np.float64, "near k pi/2", x, 1.0)
    assert worst <= MEASURED[np.float64, "near k pi/2"] + MARGIN


@pytest.mark.parametrize("name", list(FUNCS))
def test_float32_within_half_an_ulp(name):
    """Computed in double (relative error a few 2^-53) and rounded once: at
    most about 2^-27 ulp over half an ulp, i.e. correctly rounded except
    next to a tie."""
    rng = np.random.default_rng(32)
    cases = {label: x.astype(np.float32) for label, x in _ranges(rng, N // 2).items()}
    cases["near k pi/2"] = near_half_pi_multiples(np.float32)
    for label, x in cases.items():
        _check(name, np.float32, label, x, MEASURED_F32 + 1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", list(FUNCS))
def test_edges_of_the_fast_range_and_tiny_values(name, dtype):
    fmax = dtype(FAST_MAX)
    edge = [np.nextafter(fmax, dtype(0)), fmax, np.nextafter(fmax, dtype(np.inf)),
            dtype(1e7), dtype(3e38), np.finfo(dtype).max]
    tiny = [np.finfo(dtype).smallest_subnormal, np.finfo(dtype).smallest_normal,
            dtype(1e-20), dtype(2.0 ** -26), dtype(1e-8)]
    rng = np.random.default_rng(7)
    subnormal = rng.integers(1, 2 ** 20, 1000).astype(np.int64) * np.finfo(dtype).smallest_subnormal
    x = np.concatenate([edge, tiny, subnormal.astype(dtype)]).astype(dtype)
    x = np.concatenate([x, -x])
    _check(name, dtype, "edges and tiny values", x, 1.0 if dtype is np.float64 else 0.5)
    if name == "sin":   # sin x = x exactly below 2^-26 (|x|^3/6 is under half an ulp)
        small = np.abs(x) < 2.0 ** -27
        np.testing.assert_array_equal(native(name, x)[small], x[small])


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_signed_zeros_infinities_and_nan(dtype):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype=dtype)
    s, c = native("sin", x), native("cos", x)
    assert s[0] == 0 and not np.signbit(s[0]), "sin(+0) must be +0"
    assert s[1] == 0 and np.signbit(s[1]), "sin(-0) must be -0"
    np.testing.assert_array_equal(c[:2], [1.0, 1.0])
    assert np.isnan(s[2:]).all() and np.isnan(c[2:]).all(), (s, c)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", list(FUNCS))
def test_within_one_ulp_of_numpy(name, dtype):
    """Against NumPy itself: at most one step apart (bit patterns as integers)."""
    rng = np.random.default_rng(11)
    x = np.concatenate(list(_ranges(rng, N // 4).values())).astype(dtype)
    y, yn = native(name, x), FUNCS[name](x)
    ints = np.int64 if dtype is np.float64 else np.int32
    steps = np.abs(y.view(ints).astype(np.int64) - yn.view(ints).astype(np.int64))
    same_sign = np.signbit(y) == np.signbit(yn)
    assert (same_sign | (np.abs(yn) < 1e-30)).all()
    worst = int(np.argmax(np.where(same_sign, steps, 0)))
    assert steps[worst] <= 1, (f"{name} ({np.dtype(dtype)}) at x = {x[worst]!r}: "
                               f"kernel {y[worst]!r}, NumPy {yn[worst]!r}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name,partial,sign", [("sin", "cos", 1.0), ("cos", "sin", -1.0)])
def test_gradient_kernel_is_g_times_the_forward_kernel(name, partial, sign, dtype):
    """d sin = cos, d cos = -sin: the fused kernel gives g * (the forward
    kernel's value), bit for bit, across blocks and with libm lanes (huge,
    inf, NaN) at block edges; also for a broadcast scalar g."""
    rng = np.random.default_rng(5)
    n = 3 * 512 + 77                       # whole blocks and a partial one
    x = rng.uniform(-20, 20, n).astype(dtype)
    for i, v in zip([0, 511, 512, 1300, n - 1], [1e30, np.inf, -3e6, np.nan, 2.0 ** 20]):
        x[i] = v
    g = rng.standard_normal(n).astype(dtype)
    kid = K.KERNEL_IDS[name]
    with np.errstate(invalid="ignore"):
        expected = g * (sign * native(partial, x))
        got = K._unary_bwd(kid, g, x, native(name, x))
        np.testing.assert_array_equal(got, expected)
        g1 = np.broadcast_to(np.asarray(0.75, dtype=dtype), x.shape)
        np.testing.assert_array_equal(K._unary_bwd(kid, g1, x, native(name, x)),
                                      dtype(0.75) * (sign * native(partial, x)))


def test_oracle_against_mpmath():
    """The long double oracle is good to far below a double's ulp, also
    where the result is tiny (the hardest reductions)."""
    mp = pytest.importorskip("mpmath")
    x = near_half_pi_multiples(np.float64)
    ref = np.sin(x.astype(np.longdouble))
    hardest = x[np.argsort(np.abs(ref))[:300]]
    rng = np.random.default_rng(3)
    sample = np.concatenate([hardest, rng.uniform(-FAST_MAX, FAST_MAX, 300),
                             rng.uniform(-1, 1, 100)])
    worst = 0.0
    with mp.workprec(256):
        for v in sample:
            for name in FUNCS:
                exact = getattr(mp, name)(mp.mpf(float(v)))
                got = FUNCS[name](np.longdouble(v))
                hi = np.float64(got)                  # got = hi + lo exactly
                lo = np.float64(got - np.longdouble(hi))
                rel = abs((mp.mpf(float(hi)) + mp.mpf(float(lo)) - exact) / exact)
                worst = max(worst, float(rel))
    assert worst < 2.0 ** -62, f"long double oracle off by 2^{np.log2(worst):.1f} relative"
