"""The native C kernels against the op table's NumPy rules.

Each elementwise primitive's derivative exists twice (STYLE.md, practice 2):
as a fused C kernel used by the ordinary backward sweep, and as the op's rule
``prim.vjp(B, ...)`` written in backend ops (NumPy here).  For every
primitive with a kernel, on float32 and float64 contiguous arrays, with
scalar-broadcast operands and special values (0, +-inf, NaN, ties, poles),
the two must agree; and a kernel must decline (return None, so the sweep
falls back to the rule) for input it cannot take.

The rule is called exactly as the sweep calls it: inputs the primitive does
not declare in ``saves`` are passed as ``Meta`` (shape and dtype only) and
the output only if ``save_out``, so a rule that reads more than it saves
fails here too.
"""
import zlib

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad._core import kernels as K
from tapegrad.ops import BY_CODE, REGISTRY, Meta
from tapegrad.ops.backend import NP

INF, NAN = np.inf, np.nan
DTYPES = [np.float64, np.float32]
# Same formula, evaluated in a possibly different order (g * (1/x) vs g / x)
# or by a different libm: a few ulp.
RTOL = {np.float64: 4e-15, np.float32: 1e-6}


def _kid(prim):
    return prim.kernel


def _kind(prim):
    return K.KERNELS[prim.name].kind


KERNELLED = [p for p in BY_CODE if p.kernel]
UNARY = [p for p in KERNELLED if _kind(p) == K.UNARY]
BINARY = [p for p in KERNELLED if _kind(p) == K.BINARY]
OTHER = [p for p in KERNELLED if _kind(p) in (K.CLIP, K.WHERE)]

# Regular inputs per op: where the op is defined (and not at a special point).
UNARY_DOMAIN = {"log": (0.1, 3.0), "sqrt": (0.1, 3.0), "tan": (-1.3, 1.3)}
UNARY_SPECIALS = {
    "negative": [0.0, -0.0, INF, -INF, NAN, 1e300],
    "copy": [0.0, -0.0, INF, -INF, NAN, 1e300],
    "exp": [0.0, -INF, INF, 709.0, -745.0, 100.0, NAN],
    "log": [0.0, 1e-300, INF, -1.0, NAN, 1e300],
    "sin": [0.0, np.pi, -np.pi / 2, 100.0, INF, NAN],
    "cos": [0.0, np.pi, -np.pi / 2, 100.0, INF, NAN],
    "tan": [0.0, 1.5, -1.5, 1.5707963, NAN],
    "tanh": [0.0, 20.0, -20.0, INF, -INF, NAN],
    "sqrt": [0.0, 1e-300, INF, 1e300, NAN],
    "square": [0.0, 1e200, -1e200, INF, -INF, NAN],
    "abs": [0.0, -0.0, 1e-300, -1e-300, INF, -INF, NAN],
    "sigmoid": [0.0, 1000.0, -1000.0, INF, -INF, 40.0, NAN],
    "relu": [0.0, -0.0, 1e-300, -1e-300, INF, -INF, NAN],
}
BINARY_DOMAIN = {"power": ((0.3, 2.0), (-2.0, 2.0)), "divide": ((-2.0, 2.0), (0.3, 2.0))}
BINARY_SPECIALS = {
    "add": ([INF, -INF, NAN, 0.0, 1.0], [1.0, INF, 2.0, -0.0, -INF]),
    "subtract": ([INF, -INF, NAN, 0.0, 1.0], [1.0, INF, 2.0, -0.0, -INF]),
    "multiply": ([0.0, INF, 2.0, NAN, -0.0], [INF, 0.0, -0.0, 1.0, 3.0]),
    "divide": ([1.0, 0.0, INF, 1.0, -1.0, NAN], [0.0, 0.0, 2.0, INF, -0.0, 1.0]),
    # 0^0, 0^0.5 (pole of d/da), 2^0, (-2)^3 (ln of a negative), 0^2, inf^-1
    "power": ([0.0, 0.0, 2.0, -2.0, 0.0, INF, 1.0], [0.0, 0.5, 0.0, 3.0, 2.0, -1.0, NAN]),
    # ties split the gradient; NaN and infinities
    "maximum": ([1.0, 2.0, INF, NAN, -INF, 0.0, -0.0], [1.0, 1.0, INF, 1.0, 0.0, -0.0, 0.0]),
    "minimum": ([1.0, 2.0, INF, NAN, -INF, 0.0, -0.0], [1.0, 1.0, INF, 1.0, 0.0, -0.0, 0.0]),
}


def ids(prims):
    return [p.name for p in prims]


def saved_inputs(prim, inputs):
    """The inputs as the sweep hands them to the rule: Meta for unsaved ones."""
    return tuple(x if i in prim.saves else Meta(np.shape(x), x.dtype)
                 for i, x in enumerate(inputs))


def rule(prim, g, inputs, out, params=None, needs=None):
    needs = needs or (True,) * len(inputs)
    with np.errstate(all="ignore"):
        gs = prim.vjp(NP, g, saved_inputs(prim, inputs), out if prim.save_out else None,
                      params or {}, needs)
    return tuple(None if r is None else np.broadcast_to(np.asarray(r), g.shape) for r in gs)


def forward(prim, *inputs, **params):
    with np.errstate(all="ignore"):
        return np.asarray(prim.forward(*inputs, **params))


def assert_agree(prim, what, native, expected, dtype, inputs, g):
    assert native.dtype == np.dtype(dtype), f"{prim.name} {what}: kernel returned {native.dtype}"
    assert native.shape == g.shape, f"{prim.name} {what}: shape {native.shape}, g {g.shape}"
    try:
        np.testing.assert_allclose(native, expected, rtol=RTOL[dtype], atol=0, equal_nan=True)
    except AssertionError as e:
        raise AssertionError(
            f"{prim.name} ({np.dtype(dtype)}) {what}: the C kernel and the NumPy rule disagree "
            f"(rtol={RTOL[dtype]})\n  inputs: {[np.asarray(x).tolist() for x in inputs]}\n"
            f"  g: {g.tolist()}\n  kernel: {native.tolist()}\n  rule:   {expected.tolist()}\n"
            f"{e}") from None


def _rng(*key):
    """A generator seeded by the test's parameters (stable across runs)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


# ---------------------------------------------------------------------------
# The kernel table is consistent with the op table
# ---------------------------------------------------------------------------

def test_kernel_ids_are_distinct_and_classified():
    values = list(K.KERNEL_IDS.values())
    assert len(set(values)) == len(values), f"two kernels share an id: {K.KERNEL_IDS}"
    assert {info.kind for info in K.KERNELS.values()} == {K.UNARY, K.BINARY, K.CLIP, K.WHERE,
                                                          K.ARRAY}


@pytest.mark.parametrize("prim", KERNELLED, ids=ids(KERNELLED))
def test_primitive_arity_matches_its_kernel(prim):
    kind = _kind(prim)
    if kind == K.UNARY:
        assert prim.nin == 1, f"{prim.name} (nin={prim.nin}) names a unary kernel"
    elif kind == K.BINARY:
        assert prim.nin == 2, f"{prim.name} (nin={prim.nin}) names a binary kernel"
    elif kind == K.ARRAY:
        assert prim.nin in (1, 2) and not prim.elementwise, f"{prim.name}: a whole-array rule"
    else:
        assert prim.name in ("clip", "where"), f"{prim.name} names a special kernel"
    assert K.KERNEL_IDS[prim.name] == prim.kernel


def test_every_kernel_is_named_by_a_primitive():
    named = {p.name for p in KERNELLED}
    assert set(K.KERNEL_IDS) == named, f"unused kernels: {set(K.KERNEL_IDS) - named}"


# ---------------------------------------------------------------------------
# Unary kernels
# ---------------------------------------------------------------------------

def _unary_inputs(prim, dtype, special):
    rng = _rng(prim.name, dtype, special)
    if special:
        with np.errstate(over="ignore"):      # 1e300 is inf in float32: fine
            x = np.array(UNARY_SPECIALS[prim.name], dtype=dtype)
    else:
        lo, hi = UNARY_DOMAIN.get(prim.name, (-3.0, 3.0))
        x = rng.uniform(lo, hi, (3, 5)).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    return x, g


@pytest.mark.parametrize("special", [False, True], ids=["regular", "special"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("prim", UNARY, ids=ids(UNARY))
def test_unary_kernel_matches_numpy_rule(prim, dtype, special):
    x, g = _unary_inputs(prim, dtype, special)
    y = forward(prim, x)
    assert y.dtype == np.dtype(dtype)
    native = K._unary_bwd(_kid(prim), g, x, y)
    assert native is not None, (
        f"{prim.name}: the kernel declined contiguous {np.dtype(dtype)} input")
    (expected,) = rule(prim, g, [x], y)
    assert_agree(prim, "d/dx", native, expected, dtype, [x], g)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("prim", UNARY, ids=ids(UNARY))
def test_unary_kernel_on_0d_and_single_element(prim, dtype):
    for shape in [(), (1,)]:
        x = np.full(shape, 0.7, dtype=dtype)
        g = np.full(shape, -1.3, dtype=dtype)
        y = forward(prim, x)
        native = K._unary_bwd(_kid(prim), g, x, y)
        (expected,) = rule(prim, g, [x], y)
        assert native is not None
        assert_agree(prim, f"d/dx at shape {shape}", native, expected, dtype, [x], g)


@pytest.mark.parametrize("prim", UNARY, ids=ids(UNARY))
def test_unary_kernel_declines_what_it_cannot_take(prim):
    kid = _kid(prim)
    x, g = _unary_inputs(prim, np.float64, False)
    y = forward(prim, x)
    big = np.repeat(x, 2, axis=1)
    strided = big[:, ::2]                                 # same values, not contiguous
    assert not strided.flags.c_contiguous
    np.testing.assert_array_equal(strided, x)
    assert K._unary_bwd(kid, g, strided, y) is None, "non-contiguous x"
    assert K._unary_bwd(kid, g, x, np.repeat(y, 2, axis=1)[:, ::2]) is None, "non-contiguous y"
    assert K._unary_bwd(kid, g, x.astype(np.float32), y) is None, "float64 g, float32 x"
    assert K._unary_bwd(kid, g.astype(np.float32), x, y.astype(np.float32)) is None, "mixed"
    assert K._unary_bwd(kid, g, x.astype(np.int64), y) is None, "integer x"
    assert K._unary_bwd(kid, g, x[:1], y[:1]) is None, "x smaller than g"
    assert K._unary_bwd(kid, list(g.ravel()), x, y) is None, "not an ndarray"


@pytest.mark.parametrize("prim", UNARY, ids=ids(UNARY))
def test_unary_kernel_with_a_non_contiguous_gradient_declines_or_is_right(prim):
    """A strided g may be declined or copied; either way never a wrong answer."""
    x, g = _unary_inputs(prim, np.float64, False)
    y = forward(prim, x)
    g_strided = np.repeat(g, 2, axis=1)[:, ::2]
    native = K._unary_bwd(_kid(prim), g_strided, x, y)
    if native is not None:
        (expected,) = rule(prim, g, [x], y)
        assert_agree(prim, "d/dx with strided g", native, expected, np.float64, [x], g)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("prim", UNARY, ids=ids(UNARY))
def test_unary_kernel_reads_a_broadcast_scalar_gradient(prim, dtype):
    """sum's reverse rule hands on one value broadcast over the input (every
    stride 0); the kernel reads it in place and must equal the rule applied
    to the materialised gradient."""
    x, _ = _unary_inputs(prim, dtype, False)
    y = forward(prim, x)
    g = np.broadcast_to(np.asarray(-1.7, dtype=dtype), x.shape)
    assert not g.flags.c_contiguous and all(st == 0 for st in g.strides)
    native = K._unary_bwd(_kid(prim), g, x, y)
    (expected,) = rule(prim, np.ascontiguousarray(g), [x], y)
    if native is None:      # neg/copy pass g itself as x: declining is fine
        return
    assert native.shape == x.shape and native.dtype == np.dtype(dtype)
    assert_agree(prim, "d/dx with a broadcast scalar g", native, expected, dtype, [x], g)


def test_unary_hook_rejects_a_binary_kernel_id():
    x = np.ones(3)
    with pytest.raises(ValueError, match="kernel"):
        K._unary_bwd(K.KERNEL_IDS["add"], x, x, x)


# ---------------------------------------------------------------------------
# Binary kernels
# ---------------------------------------------------------------------------

def _binary_inputs(prim, dtype, shapes, rng):
    (la, ha), (lb, hb) = BINARY_DOMAIN.get(prim.name, ((-2.0, 2.0), (-2.0, 2.0)))
    a = rng.uniform(la, ha, shapes[0]).astype(dtype)
    b = rng.uniform(lb, hb, shapes[1]).astype(dtype)
    return a, b


BINARY_LAYOUTS = {
    "same": ((2, 5), (2, 5)),
    "a_scalar_0d": ((), (2, 5)),
    "a_size1": ((1,), (2, 5)),
    "b_scalar_0d": ((2, 5), ()),
    "b_size1": ((2, 5), (1, 1)),
    "both_0d": ((), ()),
}


@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)],
                         ids=["both", "a_only", "b_only"])
@pytest.mark.parametrize("layout", list(BINARY_LAYOUTS))
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("prim", BINARY, ids=ids(BINARY))
def test_binary_kernel_matches_numpy_rule(prim, dtype, layout, needs):
    rng = _rng(prim.name, dtype, layout)
    a, b = _binary_inputs(prim, dtype, BINARY_LAYOUTS[layout], rng)
    y = forward(prim, a, b)
    assert y.dtype == np.dtype(dtype)
    g = rng.standard_normal(y.shape).astype(dtype)
    native = K._binary_bwd(_kid(prim), g, a, b, y, *needs)
    assert native is not None, f"{prim.name}: kernel declined layout {layout}"
    expected = rule(prim, g, [a, b], y, needs=needs)
    for k, (nat, exp_, need) in enumerate(zip(native, expected, needs)):
        if not need:
            assert nat is None and exp_ is None
            continue
        assert_agree(prim, f"d/d{'ab'[k]} ({layout})", nat, exp_, dtype, [a, b], g)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("prim", BINARY, ids=ids(BINARY))
def test_binary_kernel_special_values(prim, dtype):
    with np.errstate(over="ignore"):
        a, b = (np.array(v, dtype=dtype) for v in BINARY_SPECIALS[prim.name])
    y = forward(prim, a, b)
    g = _rng(prim.name, "special").uniform(0.5, 2.0, y.shape).astype(dtype)
    native = K._binary_bwd(_kid(prim), g, a, b, y)
    assert native is not None
    expected = rule(prim, g, [a, b], y)
    for k in range(2):
        assert_agree(prim, f"d/d{'ab'[k]} at special values", native[k], expected[k], dtype,
                     [a, b], g)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("prim", BINARY, ids=ids(BINARY))
def test_binary_kernel_takes_a_broadcast_gradient_standing_in_for_y(prim, dtype):
    """The gradient out of sum() is one value broadcast (stride 0); an op that
    saved no output passes that same array as y.  The kernel must still run
    (it used to decline, sending the node to the slower NumPy rule)."""
    rng = _rng(prim.name, dtype, "broadcast-g")
    a, b = _binary_inputs(prim, dtype, BINARY_LAYOUTS["same"], rng)
    y = forward(prim, a, b)
    g = np.broadcast_to(np.asarray(1.5, dtype=dtype), y.shape)
    stand_in = y if prim.save_out else g
    native = K._binary_bwd(_kid(prim), g, a, b, stand_in)
    assert native is not None, f"{prim.name}: kernel declined a broadcast gradient"
    expected = rule(prim, np.ascontiguousarray(g), [a, b], y)
    for k in range(2):
        assert_agree(prim, f"d/d{'ab'[k]} (broadcast g)", native[k], expected[k], dtype, [a, b], g)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_kernels_split_ties(name, dtype):
    a = np.array([1.0, 2.0, 3.0], dtype=dtype)
    b = np.array([1.0, 0.0, 3.0], dtype=dtype)
    g = np.array([2.0, 2.0, 4.0], dtype=dtype)
    prim = REGISTRY[name]
    ga, gb = K._binary_bwd(_kid(prim), g, a, b, forward(prim, a, b))
    win = [0.0, 2.0, 0.0] if name == "maximum" else [0.0, 0.0, 0.0]
    lose = [0.0, 0.0, 0.0] if name == "maximum" else [0.0, 2.0, 0.0]
    np.testing.assert_array_equal(ga, np.array([1.0, 0, 2.0]) + win)
    np.testing.assert_array_equal(gb, np.array([1.0, 0, 2.0]) + lose)


@pytest.mark.parametrize("prim", BINARY, ids=ids(BINARY))
def test_binary_kernel_declines_what_it_cannot_take(prim):
    kid = _kid(prim)
    rng = _rng(prim.name, "decline")
    a, b = _binary_inputs(prim, np.float64, ((3, 4), (3, 4)), rng)
    y = forward(prim, a, b)
    g = rng.standard_normal(y.shape)

    def strided(v):
        s = np.repeat(v, 2, axis=-1)[..., ::2]
        assert not s.flags.c_contiguous and np.array_equal(s, v)
        return s

    f32 = np.float32
    assert K._binary_bwd(kid, g, strided(a), b, y) is None, "non-contiguous a"
    assert K._binary_bwd(kid, g, a, strided(b), y) is None, "non-contiguous b"
    assert K._binary_bwd(kid, g, a, b, strided(y)) is None, "non-contiguous y"
    assert K._binary_bwd(kid, g, a.astype(f32), b, y) is None, "float32 a, float64 b"
    assert K._binary_bwd(kid, g, a, b.astype(f32), y) is None, "float64 a, float32 b"
    assert K._binary_bwd(kid, g.astype(f32), a.astype(f32), b.astype(f32), y) is None, \
        "float32 operands, float64 output"
    assert K._binary_bwd(kid, g, a.astype(np.int64), b, y) is None, "integer a"
    # general broadcasting (not a single scalar) is the engine's business
    col = a[:, :1].copy()
    assert K._binary_bwd(kid, g, col, b, forward(prim, col, b)) is None, "a of shape (3, 1)"
    row = b[:1, :].copy()
    assert K._binary_bwd(kid, g, a, row, forward(prim, a, row)) is None, "b of shape (1, 4)"
    # same size, different shape: not the elementwise pairing the kernel assumes
    assert K._binary_bwd(kid, g, a.reshape(4, 3).copy(), b, y) is None, "a reshaped"


# ---------------------------------------------------------------------------
# clip and where: no direct test hook, tested through the native sweep
# ---------------------------------------------------------------------------
# The sweep uses their kernels for contiguous float input of the output's
# shape; the gradient it produces must equal the NumPy rule's.

def _sweep_grads(fn, *arrays):
    xs = [tg.array(a) for a in arrays]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = fn(*xs)
    g = _rng("sweep", len(arrays)).uniform(0.5, 2.0, y.shape).astype(y.dtype)
    y.backward(tg.array(g))
    return g, [x.grad.asnumpy() for x in xs]


CLIP_X = [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, -1.5, -INF, INF, NAN, 1.0000001]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("lo,hi", [(-1.0, 1.0), (-1.0, None), (None, 1.0), (0.0, 0.0)],
                         ids=["both", "lo", "hi", "point"])
def test_clip_kernel_matches_numpy_rule(lo, hi, dtype):
    x = np.array(CLIP_X, dtype=dtype)
    g, (gx,) = _sweep_grads(lambda t: tg.clip(t, lo, hi), x)
    prim = REGISTRY["clip"]
    (expected,) = rule(prim, g, [x], forward(prim, x, lo=lo, hi=hi), {"lo": lo, "hi": hi})
    assert_agree(prim, f"d/dx clip({lo}, {hi})", gx, expected, dtype, [x], g)
    inside = (x >= (-INF if lo is None else lo)) & (x <= (INF if hi is None else hi))
    np.testing.assert_array_equal(gx, np.where(inside, g, 0))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_where_kernel_matches_numpy_rule(dtype):
    cond = np.array([[True, False, True], [False, False, True]])
    a = np.array([[1.0, INF, NAN], [2.0, 3.0, -0.0]], dtype=dtype)
    b = np.array([[NAN, 4.0, 5.0], [INF, 6.0, 7.0]], dtype=dtype)
    g, (ga, gb) = _sweep_grads(lambda s, t: tg.where(cond, s, t), a, b)
    prim = REGISTRY["where"]
    ea, eb = rule(prim, g, [a, b], forward(prim, a, b, cond=cond), {"cond": cond})
    assert_agree(prim, "d/da", ga, ea, dtype, [a, b], g)
    assert_agree(prim, "d/db", gb, eb, dtype, [a, b], g)
    np.testing.assert_array_equal(ga + gb, g)


# ---------------------------------------------------------------------------
# Native forward kernels (where the op table routes forward through C)
# ---------------------------------------------------------------------------

FWD = [p for p in UNARY if getattr(p.forward, "numpy", None) is not None]


@pytest.mark.skipif(not FWD or not hasattr(K, "unary_fwd"), reason="no native forward kernels")
@pytest.mark.parametrize("special", [False, True], ids=["regular", "special"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("prim", FWD or [None], ids=ids(FWD) or ["none"])
def test_unary_forward_kernel_matches_numpy(prim, dtype, special):
    x, _ = _unary_inputs(prim, dtype, special)
    native = K.unary_fwd(_kid(prim), x)
    assert native is not None and native.dtype == np.dtype(dtype) and native.shape == x.shape
    with np.errstate(all="ignore"):
        expected = np.asarray(prim.forward.numpy(x))
    # libm and NumPy's vectorised loops may differ by a couple of ulp
    rtol = {np.float64: 4e-15, np.float32: 5e-7}[dtype]
    np.testing.assert_allclose(native, expected, rtol=rtol, atol=0, equal_nan=True,
                               err_msg=f"{prim.name} forward kernel vs NumPy on {x.tolist()}")


@pytest.mark.skipif(not FWD or not hasattr(K, "unary_fwd"), reason="no native forward kernels")
def test_unary_forward_kernel_declines_what_it_cannot_take():
    kid = _kid(FWD[0])
    x = np.arange(12.0).reshape(3, 4)
    assert K.unary_fwd(kid, x[:, ::2]) is None
    assert K.unary_fwd(kid, np.arange(3)) is None
    assert K.unary_fwd(kid, [1.0, 2.0]) is None


# ---------------------------------------------------------------------------
# The NumPy surface's elementwise and special rows: their domains and special
# values (poles, the ends of the domain, signed zeros, infinities, NaN)
# ---------------------------------------------------------------------------
TINY, HUGE = 1e-300, 1e300
UNARY_DOMAIN.update({
    "arcsin": (-0.95, 0.95), "arccos": (-0.95, 0.95), "arccosh": (1.05, 4.0),
    "arctanh": (-0.95, 0.95), "log1p": (-0.9, 3.0), "log2": (0.1, 3.0), "log10": (0.1, 3.0),
    "erfinv": (-0.99, 0.99), "erfcinv": (0.01, 1.99), "ndtri": (0.01, 0.99),
    "logit": (0.01, 0.99), "entr": (0.05, 3.0), "gammaln": (0.1, 6.0), "gamma": (0.1, 6.0),
    "digamma": (0.1, 6.0), "erfcx": (-3.0, 20.0), "log_ndtr": (-30.0, 6.0),
    # sinc: away from the extrema of sinc, where sinc' is (cos - sinc)/x with
    # cos and sinc of similar size and NumPy's cos and libm's may differ by an ulp
    "sinc": (-1.2, 1.2),
})
UNARY_SPECIALS.update({
    "arcsin": [0.0, -0.0, 1.0, -1.0, 1.0000001, INF, NAN],
    "arccos": [0.0, -0.0, 1.0, -1.0, 1.0000001, INF, NAN],
    "arctan": [0.0, -0.0, 1e200, -1e200, INF, -INF, NAN],
    "sinh": [0.0, -0.0, 710.0, -710.0, 1000.0, INF, -INF, NAN],
    "cosh": [0.0, -0.0, 710.0, -710.0, 1000.0, INF, -INF, NAN],
    "arcsinh": [0.0, -0.0, 1e200, -1e200, HUGE, INF, -INF, NAN],
    "arccosh": [1.0, 0.5, 1e200, HUGE, INF, NAN],
    "arctanh": [0.0, -0.0, 1.0, -1.0, 2.0, NAN],
    "log1p": [0.0, -0.0, -1.0, -2.0, 1e-300, HUGE, INF, NAN],
    "expm1": [0.0, -0.0, 1e-300, 710.0, -1000.0, INF, -INF, NAN],
    "log2": [0.0, 1e-300, -1.0, INF, NAN, HUGE],
    "log10": [0.0, 1e-300, -1.0, INF, NAN, HUGE],
    "exp2": [0.0, 1025.0, -1100.0, INF, -INF, NAN],
    "cbrt": [0.0, -0.0, 1e-300, -8.0, HUGE, INF, -INF, NAN],
    "reciprocal": [0.0, -0.0, 1e-300, HUGE, INF, -INF, NAN],
    # not 0.5 or 1e10: there float32's pi x (the rule's) and double's (the
    # kernel's) give different float results for cos(pi x) - sinc(x)
    "sinc": [0.0, -0.0, 1.0, -2.0, 0.25, -0.25, 1e-300, INF, NAN],
    "sign": [0.0, -0.0, 2.0, -3.0, INF, -INF, NAN],
    "floor": [0.0, -0.0, 2.5, -2.5, INF, -INF, NAN],
    "ceil": [0.0, -0.0, 2.5, -2.5, INF, -INF, NAN],
    "trunc": [0.0, -0.0, 2.5, -2.5, INF, -INF, NAN],
    "rint": [0.0, -0.0, 2.5, -2.5, 3.5, INF, -INF, NAN],
    "erf": [0.0, -0.0, 6.0, -30.0, INF, -INF, NAN],
    "erfc": [0.0, -0.0, 6.0, -30.0, INF, -INF, NAN],
    "erfinv": [0.0, -0.0, 1.0, -1.0, 1.5, 1e-300, NAN],
    "erfcinv": [0.0, 1.0, 2.0, 2.5, 1e-300, NAN],
    "erfcx": [0.0, -0.0, 11.9, 12.0, 1e4, -27.0, INF, -INF, NAN],
    "ndtr": [0.0, -40.0, 40.0, INF, -INF, NAN],
    "ndtri": [0.0, 1.0, 0.5, 1e-300, 1.5, NAN],
    "log_ndtr": [0.0, -40.0, -1e10, 40.0, INF, -INF, NAN],
    "gammaln": [0.0, -0.0, -1.0, -1.5, 1e-300, HUGE, INF, NAN],
    "gamma": [0.0, -0.0, -1.0, -1.5, 171.0, 172.0, INF, NAN],
    "digamma": [0.0, -0.0, -1.0, -1.5, 1.4616321449683623, HUGE, INF, NAN],
    "gammasgn": [0.0, -0.0, -1.0, -1.5, INF, -INF, NAN],
    "i0": [0.0, -0.0, 700.0, -700.0, 800.0, INF, NAN],
    "i1": [0.0, -0.0, 1e-4, -1e-4, 700.0, -700.0, NAN],
    "i0e": [0.0, -0.0, 1e10, -1e10, INF, -INF, NAN],
    "i1e": [0.0, -0.0, 1e10, -1e10, INF, -INF, NAN],
    "logit": [0.0, 1.0, 0.5, -0.1, 1.1, 1e-300, NAN],
    "log_expit": [0.0, 800.0, -800.0, INF, -INF, NAN],
    "entr": [0.0, -0.0, -1.0, 1e-300, HUGE, INF, NAN],
})
BINARY_DOMAIN.update({
    "fmod": ((-3.0, 3.0), (0.3, 2.0)), "remainder": ((-3.0, 3.0), (0.3, 2.0)),
    "xlogy": ((-2.0, 2.0), (0.3, 2.0)), "xlog1py": ((-2.0, 2.0), (-0.7, 2.0)),
    "polygamma": ((1.0, 1.0), (0.3, 4.0)), "betaln": ((0.3, 4.0), (0.3, 4.0)),
    "beta": ((0.3, 4.0), (0.3, 4.0)),
})
BINARY_SPECIALS.update({
    "arctan2": ([0.0, -0.0, 1.0, INF, 1e200, NAN], [0.0, -1.0, 0.0, 1.0, 1e200, 1.0]),
    "hypot": ([0.0, -0.0, 3.0, 1e300, INF, NAN], [0.0, 0.0, -4.0, 1e300, 1.0, 1.0]),
    "logaddexp": ([-INF, INF, 0.0, 1000.0, -INF, NAN], [-INF, INF, 0.0, -1000.0, 1.0, 1.0]),
    "logaddexp2": ([-INF, INF, 0.0, 1000.0, -INF, NAN], [-INF, INF, 0.0, -1000.0, 1.0, 1.0]),
    "fmax": ([1.0, NAN, 2.0, NAN, -INF, 0.0], [1.0, 1.0, NAN, NAN, 0.0, -0.0]),
    "fmin": ([1.0, NAN, 2.0, NAN, -INF, 0.0], [1.0, 1.0, NAN, NAN, 0.0, -0.0]),
    "fmod": ([5.0, -5.0, 1.0, INF, 3.0, NAN], [3.0, 3.0, 0.0, 2.0, INF, 1.0]),
    "remainder": ([5.0, -5.0, 1.0, INF, 3.0, NAN], [3.0, 3.0, 0.0, 2.0, -INF, 1.0]),
    "copysign": ([0.0, -0.0, 2.0, -2.0, INF, NAN], [-1.0, 1.0, -0.0, 3.0, -1.0, 1.0]),
    "xlogy": ([0.0, 0.0, 0.0, 1.0, -2.0, 0.0], [0.0, 1.0, NAN, 0.0, INF, -1.0]),
    "xlog1py": ([0.0, 0.0, 0.0, 1.0, -2.0, 0.0], [-1.0, 1.0, NAN, -1.0, INF, -2.0]),
    "polygamma": ([0.0, 1.0, 1.0, 2.0, 1.5, -1.0], [2.0, 0.0, -1.5, INF, 2.0, 2.0]),
    "betaln": ([1.0, 1e10, 0.0, -1.5, INF, NAN], [2.0, 1.0, 1.0, 0.5, 1.0, 1.0]),
    "beta": ([1.0, 1e10, 0.0, -1.5, INF, NAN], [2.0, 1.0, 1.0, 0.5, 1.0, 1.0]),
})
# tg.special's Bessel functions of integer order, rgamma, gammainc/gammaincc
UNARY_DOMAIN.update({"y0": (0.2, 8.0), "y1": (0.2, 8.0), "rgamma": (-3.0, 6.0)})
UNARY_SPECIALS.update({
    "j0": [0.0, -0.0, 2.404825557695773, 1e10, INF, -INF, NAN],
    "j1": [0.0, -0.0, 3.831705970207512, 1e10, INF, -INF, NAN],
    "y0": [0.0, -1.0, 1e-300, 0.8935769662791675, 1e10, INF, NAN],
    "y1": [0.0, -1.0, 1e-300, 2.197141326031017, 1e10, INF, NAN],
    "rgamma": [0.0, -0.0, -1.0, -2.0, -2.5, 0.5, 172.0, -180.5, INF, -INF, NAN],
})
BINARY_DOMAIN.update({
    "jn": ((3.0, 3.0), (-6.0, 6.0)), "yn": ((2.0, 2.0), (0.3, 6.0)),
    "gammainc": ((0.3, 4.0), (0.1, 5.0)), "gammaincc": ((0.3, 4.0), (0.1, 5.0)),
})
BINARY_SPECIALS.update({
    "jn": ([0.0, 1.0, -2.0, 2.5, 3.0, 4.0], [0.0, 0.0, 1.5, 1.0, INF, NAN]),
    "yn": ([0.0, 1.0, -2.0, 2.5, 3.0, 4.0], [0.0, 1e-300, 1.5, 1.0, INF, -1.0]),
    "gammainc": ([1.0, 0.5, 2.0, 0.0, INF, 3.0], [0.0, 0.0, 0.0, 1.0, 1.0, INF]),
    "gammaincc": ([1.0, 0.5, 2.0, 0.0, INF, 3.0], [0.0, 0.0, 0.0, 1.0, 1.0, INF]),
})
BINARY_DOMAIN.update({"iv": ((0.0, 3.0), (0.1, 5.0)), "ive": ((2.0, 2.0), (-5.0, 5.0))})
BINARY_SPECIALS.update({
    "iv": ([0.0, 1.0, 2.5, -0.5, 2.0, 0.5], [0.0, 0.0, 40.0, 1.0, -3.0, NAN]),
    "ive": ([0.0, 1.0, 2.5, -0.5, 2.0, 0.5], [0.0, 0.0, 40.0, 1.0, -3.0, 1e5]),
})
UNARY_DOMAIN.update({"loggamma": (0.1, 6.0)})
UNARY_SPECIALS.update({"loggamma": [0.0, -0.0, -1.5, 1e-300, 1.0, 2.0, HUGE, INF, NAN]})
BINARY_DOMAIN.update({
    "zeta": ((1.5, 4.0), (0.3, 4.0)), "rel_entr": ((0.2, 3.0), (0.2, 3.0)),
    "kl_div": ((0.2, 3.0), (0.2, 3.0)), "boxcox": ((0.2, 3.0), (-1.0, 1.0)),
    "boxcox1p": ((-0.5, 3.0), (-1.0, 1.0)),
})
BINARY_SPECIALS.update({
    "zeta": ([2.0, 2.0, 1.0, 0.5, 3.0, NAN], [1.0, 0.0, 1.0, 1.0, INF, 1.0]),
    "rel_entr": ([0.0, 0.0, 1.0, 1.0, -1.0, NAN], [0.0, 1.0, 0.0, -1.0, 1.0, 1.0]),
    "kl_div": ([0.0, 0.0, 1.0, 1.0, -1.0, NAN], [0.0, 1.0, 0.0, -1.0, 1.0, 1.0]),
    "boxcox": ([0.0, 1.0, 2.0, -1.0, 0.0, INF], [0.0, 0.0, 1.0, 0.5, 0.5, 2.0]),
    "boxcox1p": ([0.0, -1.0, 1.0, -2.0, -1.0, INF], [0.0, 0.0, 1.0, 0.5, 1.0, 2.0]),
})
UNARY_DOMAIN.update({"exp1": (0.1, 6.0)})
UNARY_SPECIALS.update({
    "exp1": [0.0, -1.0, 1e-300, 1.5, 700.0, 800.0, INF, NAN],
    "expi": [0.0, -1.0, 1e-300, 0.3725074107813666, 40.0, 800.0, INF, -INF, NAN],
})
