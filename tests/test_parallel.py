"""Big elementwise kernels split over threads (csrc/tg_parallel.c): the same
bits as one thread, for every kernel, at awkward sizes, after fork."""
import multiprocessing
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad._core import kernels as K
from tapegrad.ops import BY_CODE

from oracles import numpy2_promotion

N = K.PARALLEL_MIN * 2 + 7          # split, with a ragged last piece
UNARY = [p for p in BY_CODE if p.kernel and K.KERNELS[p.name].kind == K.UNARY]
BINARY = [p for p in BY_CODE if p.kernel and K.KERNELS[p.name].kind == K.BINARY]


@pytest.fixture
def threads():
    before = K.num_threads()
    yield
    K.set_num_threads(before)


def both(fn):
    """fn() with 1 thread and with 2."""
    K.set_num_threads(1)
    one = fn()
    K.set_num_threads(2)
    two = fn()
    return one, two


def inputs(name, dtype, n=N):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = rng.uniform(0.2, 3.0, n).astype(dtype)      # inside every op's domain
    return x, rng.uniform(-2, 2, n).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("prim", UNARY, ids=lambda p: p.name)
def test_unary_kernels_give_the_same_bits_split(prim, dtype, threads):
    x, g = inputs(prim.name, dtype)
    y = np.asarray(prim.forward(x))
    kid = prim.kernel
    one, two = both(lambda: K._unary_bwd(kid, g, x, y))
    assert one is not None
    np.testing.assert_array_equal(one, two)
    if K.KERNELS[prim.name].fwd_loop:
        f1, f2 = both(lambda: K.unary_fwd(kid, x))
        if f1 is not None:
            np.testing.assert_array_equal(f1, f2)
            np.testing.assert_allclose(f1, y, rtol=2e-7 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("layout", ["same", "b_scalar"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("prim", BINARY, ids=lambda p: p.name)
def test_binary_kernels_give_the_same_bits_split(prim, dtype, layout, threads):
    a, g = inputs(prim.name, dtype)
    b = inputs(prim.name + "b", dtype)[0]
    if layout == "b_scalar":
        b = np.asarray(b[0])
    y = np.asarray(prim.forward(a, b))
    kid = prim.kernel
    one, two = both(lambda: K._binary_bwd(kid, g, a, b, y))
    assert one is not None
    for u, v in zip(one, two):
        np.testing.assert_array_equal(u, v)


def test_whole_gradient_is_the_same_split_and_matches_the_closed_form(threads):
    xv = np.random.default_rng(0).uniform(-3, 3, N)

    def grad():
        x = tg.array(xv)
        x.attach_grad()
        with autograd.record():
            y = tg.sum(tg.tanh(tg.sin(x) * x + tg.exp(-x * x)) * tg.cos(x))
        y.backward()
        return x.grad.asnumpy()

    one, two = both(grad)
    np.testing.assert_array_equal(one, two)
    u = np.sin(xv) * xv + np.exp(-xv * xv)
    du = np.cos(xv) * xv + np.sin(xv) - 2 * xv * np.exp(-xv * xv)
    t = np.tanh(u)
    np.testing.assert_allclose(two, (1 - t * t) * du * np.cos(xv) - t * np.sin(xv),
                               rtol=1e-12, atol=1e-14)


def test_small_loops_and_bad_counts(threads):
    assert K.num_threads() >= 1
    with pytest.raises(ValueError, match="n >= 1"):
        K.set_num_threads(0)
    K.set_num_threads(2)
    x = np.linspace(0.1, 1, 10)
    np.testing.assert_array_equal(K.unary_fwd(K.KERNEL_IDS["sin"], x),
                                  K.unary_fwd(K.KERNEL_IDS["sin"], x.copy()))


def _child(q):
    x = np.linspace(0.1, 3.0, N)
    y = K.unary_fwd(K.KERNEL_IDS["sin"], x)
    q.put(float(np.max(np.abs(y - np.sin(x)))))


# Forking a process with threads is the point (Python >= 3.12 warns about it).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_can_still_split(threads):
    K.set_num_threads(2)
    K.unary_fwd(K.KERNEL_IDS["sin"], np.linspace(0, 1, N))   # workers started in the parent
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(q,))
    p.start()
    p.join(timeout=60)
    assert p.exitcode == 0, "the forked child hung or crashed in a split kernel"
    assert q.get(timeout=5) <= 1e-15


SPLIT = [p for p in BY_CODE if getattr(p.forward, "ufunc", None) is not None]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("prim", SPLIT, ids=lambda p: p.name)
def test_split_ufunc_forwards_give_numpys_bits(prim, dtype, threads):
    """Forwards that run NumPy's own loop in pieces (ops/elementwise._split)
    equal the plain ufunc call bit for bit, with an array or a Python number
    as the second operand, and keep float32 as float32."""
    assert len(SPLIT) >= 8
    x, y = inputs(prim.name, dtype)
    operand_sets = [(x,)] if prim.nin == 1 else [(x, y), (x, 1.0001), (2.5, x)]
    for ops in operand_sets:
        with np.errstate(all="ignore"):
            want = prim.forward.ufunc(*ops)
            one, two = both(lambda: prim.forward(*ops))
        assert two.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(one, want)
        np.testing.assert_array_equal(two, want)


SCALAR = [p for p in BY_CODE if p.scalar]
# IEEE operations: the scalar path gives NumPy's bits
EXACT = {"add", "subtract", "multiply", "divide", "negative", "copy", "square", "abs", "relu",
         "maximum", "minimum", "sqrt"}


def _ulps(a, b, dtype):
    a, b = np.asarray(a, dtype), np.asarray(b, dtype)
    if a == b or (np.isnan(a) and np.isnan(b)):
        return 0
    return float(abs(a - b) / np.spacing(np.maximum(abs(a), abs(b)).astype(dtype)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("prim", SCALAR, ids=lambda p: p.name)
def test_0d_scalar_path_agrees_with_numpy_and_the_array_kernels(prim, dtype):
    """0-d operands run the kernel row's scalar forward and backward on C
    numbers: the forward within one ulp of the float64 value rounded (float32
    rows compute in double) and within NumPy's own error of NumPy's result
    (1 ulp in float64; its float32 loops are within 4); sin/cos the array
    kernel's own bits; the backward the array kernel's bits exactly (the same
    expression); Python numbers as NumPy's weak scalars (the tensor's dtype
    is kept)."""
    rng = np.random.default_rng(zlib.crc32(prim.name.encode()))
    f32 = dtype == np.float32
    for _ in range(20):
        x = np.asarray(rng.uniform(0.2, 1.4), dtype=dtype)
        y = np.asarray(rng.uniform(-1.5, 1.5), dtype=dtype)
        operand_sets = [(x,)] if prim.nin == 1 else [(x, y), (x, 1.0001), (3, x)]
        for ops in operand_sets:
            tops = [tg.Tensor(o) if isinstance(o, np.ndarray) else o for o in ops]
            with np.errstate(all="ignore"):     # arcsin(1.4) is NaN, as NumPy's
                got = prim(*tops)
                want = np.asarray(prim.forward(*ops))
            assert got.dtype == np.dtype(dtype), (ops, got.dtype)
            if prim.name in EXACT:
                assert got._data.tobytes() == want.tobytes(), (ops, got._data, want)
            else:
                with np.errstate(all="ignore"):     # operands rounded to dtype, computed in f64
                    exact = np.asarray(prim.forward(*[np.asarray(o, dtype).astype(np.float64)
                                                      for o in ops])).astype(dtype)
                assert _ulps(got._data, exact, dtype) <= 1, (ops, got._data, exact)
                assert _ulps(got._data, want, dtype) <= (1 if dtype == np.float64 else 4), \
                    (ops, got._data, want)
            if K.KERNELS[prim.name].fwd_loop and prim.nin == 1:
                arr = K.unary_fwd(prim.kernel, x.reshape(1))
                assert got._data.tobytes() == arr.reshape(()).tobytes()
            # the backward: scalar row == array kernel
            a = float(ops[0])
            b = float(ops[1]) if prim.nin == 2 else 0.0
            yv = float(got._data)
            g = np.asarray(0.75, dtype=dtype)
            ga, gb = K._scalar_bwd(prim.kernel, f32, float(g), a, b, yv)
            if prim.nin == 1:
                arr = K._unary_bwd(prim.kernel, g.reshape(1), np.asarray(a, dtype).reshape(1),
                                   np.asarray(yv, dtype).reshape(1))
                assert np.asarray(ga, dtype).tobytes() == arr.astype(dtype).reshape(()).tobytes()
            else:
                ra, rb = K._binary_bwd(prim.kernel, g.reshape(1), np.asarray(a, dtype).reshape(1),
                                       np.asarray(b, dtype).reshape(1),
                                       np.asarray(yv, dtype).reshape(1))
                assert np.asarray(ga, dtype).tobytes() == ra.reshape(()).tobytes()
                assert np.asarray(gb, dtype).tobytes() == rb.reshape(()).tobytes()


def test_0d_path_leaves_to_numpy_what_numpy_must_decide():
    """Non-finite results (NumPy warns), float32 with float64 (NumPy
    promotes), a Python number outside float32's range and an int not exact
    as a double go through NumPy, with NumPy's result and warnings."""
    f64, f32 = tg.array(2.0), tg.array(2.0, dtype="float32")
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert tg.log(tg.array(0.0)).item() == -np.inf
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert (f64 / 0.0).item() == np.inf
    assert (f64 * f32).dtype == np.float64
    with np.errstate(all="ignore"):
        want = np.multiply(np.float32(2.0), np.float32(1e300) if False else np.asarray(2.0, np.float32) * 0 + np.float32(np.inf))
    with pytest.warns(RuntimeWarning):
        big = f32 * 1e300
    assert big.dtype == np.float32 and big.item() == want
    assert (f64 * 2**60).item() == float(np.multiply(np.float64(2.0), 2**60))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("prim", UNARY, ids=lambda p: p.name)
def test_unary_kernels_add_into_a_held_gradient(prim, dtype, threads):
    """acc: the kernel adds into the gradient the sweep already holds for x;
    the same bits as writing a new array and summing, split or not."""
    x, g = inputs(prim.name, dtype)
    y = np.asarray(prim.forward(x))
    kid = prim.kernel
    held = inputs(prim.name + "held", dtype)[1]
    want = held + K._unary_bwd(kid, g, x, y)
    for n in (1, 2):
        K.set_num_threads(n)
        acc = held.copy()
        got = K._unary_bwd(kid, g, x, y, acc)
        assert got is acc
        np.testing.assert_array_equal(acc, want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("prim", BINARY, ids=lambda p: p.name)
def test_binary_kernels_add_into_held_gradients(prim, dtype, threads):
    """acc_a/acc_b, one or both, and one buffer for both (x * x)."""
    a, g = inputs(prim.name, dtype)
    b = inputs(prim.name + "b", dtype)[0]
    y = np.asarray(prim.forward(a, b))
    kid = prim.kernel
    ga, gb = K._binary_bwd(kid, g, a, b, y)
    ha, hb = (inputs(prim.name + k, dtype)[1] for k in "ab")
    for n in (1, 2):
        K.set_num_threads(n)
        acc_a, acc_b = ha.copy(), hb.copy()
        ra, rb = K._binary_bwd(kid, g, a, b, y, True, True, acc_a, None)
        assert ra is acc_a and rb is not acc_b
        np.testing.assert_array_equal(acc_a, ha + ga)
        np.testing.assert_array_equal(rb, gb)
        ra, rb = K._binary_bwd(kid, g, a, b, y, True, True, None, acc_b)
        assert rb is acc_b
        np.testing.assert_array_equal(acc_b, hb + gb)
        np.testing.assert_array_equal(ra, ga)
        both = ha.copy()
        K._binary_bwd(kid, g, a, b, y, True, True, both, both)
        np.testing.assert_array_equal(both, (ha + ga) + gb)
        wrong_shape = np.zeros(3, dtype)
        ra, _ = K._binary_bwd(kid, g, a, b, y, True, True, wrong_shape, None)
        assert ra is not wrong_shape and not wrong_shape.any()


def test_sweep_adds_a_variables_gradients_in_place_with_exact_results(threads):
    """x feeds five nodes: each later gradient is added into the one the sweep
    holds; the result equals the closed form (and 1 vs 2 threads)."""
    xv = np.random.default_rng(1).uniform(-2, 2, N)

    def grad():
        x = tg.array(xv)
        x.attach_grad()
        with autograd.record():
            y = tg.sum(tg.sin(x) * x + x * x + tg.cos(x) - x)
        y.backward()
        return x.grad.asnumpy()

    one, two = both(grad)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_allclose(two, np.cos(xv) * xv + np.sin(xv) + 2 * xv - np.sin(xv) - 1,
                               rtol=1e-13, atol=1e-13)


def test_blas_thread_setting_round_trips_and_rejects_nonsense():
    pytest.importorskip("threadpoolctl")
    from tapegrad import threads
    before = threads.blas_threads()
    threads.set_blas_threads(1)
    try:
        assert threads.blas_threads() == 1
        a = np.arange(12.0).reshape(3, 4)
        np.testing.assert_array_equal((tg.array(a) @ tg.array(a.T)).asnumpy(), a @ a.T)
    finally:
        threads.set_blas_threads(None)
    assert threads.blas_threads() == before
    with pytest.raises(ValueError, match="n >= 1"):
        threads.set_blas_threads(0)


def test_bad_blas_thread_environment_value_warns_and_changes_nothing():
    env = dict(os.environ, TAPEGRAD_BLAS_THREADS="lots")
    proc = subprocess.run([sys.executable, "-W", "always", "-c",
                           "import tapegrad; print(tapegrad.threads.blas_threads())"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "TAPEGRAD_BLAS_THREADS='lots' is not usable" in proc.stderr
