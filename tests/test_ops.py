"""Every public function of API.md, generated from the op table (op_cases.py).

For each case of the table (an op applied to inputs of given shapes, on a
per-op domain), with pytest ids naming the op and the shapes:

* forward equals NumPy;
* the reverse-mode gradient (random head_grad) equals float64 central
  differences of the NumPy function, computed here;
* create_graph=True (the rules run as tapegrad ops) gives the same gradient
  as the ordinary native sweep;
* float32 inputs give float32 outputs and gradients close to float64; mixed
  float32/float64 promotes like NumPy and each gradient has its input's dtype;
* PyTorch, where installed, agrees on the gradient;
* forward mode agrees with reverse mode through <u, J^T v> = <J u, v>.

Then the values where a derivative is not unique (ties, kinks, bounds, the
origin, zeros in a product) and large inputs, with exact expected values,
and a completeness test of the op table itself.  Every failure message
prints the inputs, both gradients and the tolerance.
"""
import zlib

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad._core.tape import get_state
from tapegrad._core.kernels import KERNEL_IDS
from tapegrad.ops import BY_CODE, REGISTRY
from tapegrad.ops._registry import qualname

from op_cases import CASES, NP, TG, torch_namespace
from oracles import numpy2_promotion

EPS = 1e-6                 # central-difference step
FD_RTOL, FD_ATOL = 1e-5, 1e-6
F32_RTOL = 1e-4
EXACT_RTOL = 1e-12         # two exact computations of the same formula

MULTI = [c for c in CASES if c.nin >= 2]


def params(cases):
    return pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])


def rng_for(case, salt=""):
    """A generator seeded by the case id: each case draws the same inputs every run."""
    return np.random.default_rng(zlib.crc32((case.id + salt).encode()))


def draw(case, salt=""):
    rng = rng_for(case, salt)
    arrays = case.draw(rng)
    out_shape = np.shape(case.fn(NP, *arrays))
    head = rng.standard_normal(out_shape)
    return arrays, head


# ---------------------------------------------------------------------------
# Running a case
# ---------------------------------------------------------------------------

def tg_forward(case, arrays):
    y = case.fn(TG, *[tg.array(a) for a in arrays])
    assert isinstance(y, tg.Tensor), f"{case.id}: returned {type(y).__name__}, not a Tensor"
    return y


def tg_grads(case, arrays, head, create_graph=False):
    """(output, [gradient per input]) by reverse mode with head_grad ``head``."""
    xs = [tg.array(a) for a in arrays]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = case.fn(TG, *xs)
    assert isinstance(y, tg.Tensor), f"{case.id}: returned {type(y).__name__}, not a Tensor"
    y.backward(tg.array(np.asarray(head, dtype=y.dtype)), create_graph=create_graph)
    return y, [x.grad for x in xs]


def central_differences(case, arrays, head, eps=EPS):
    """float64 central differences of sum(head * f(inputs)) for the NumPy f."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]

    def loss(xs):
        return float(np.sum(np.asarray(case.fn(NP, *xs), dtype=np.float64) * head))

    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[k][i] += eps
            minus[k][i] -= eps
            g[i] = (loss(plus) - loss(minus)) / (2 * eps)
        grads.append(g)
    return grads


def torch_grads(case, arrays, head):
    torch = pytest.importorskip("torch")
    xs = [torch.from_numpy(np.array(a)).requires_grad_() for a in arrays]
    y = case.fn(torch_namespace(), *xs)
    y.backward(torch.from_numpy(np.asarray(head, dtype=np.float64)))
    return y.detach().numpy(), [np.zeros_like(a) if x.grad is None else x.grad.numpy()
                                for x, a in zip(xs, arrays)]


def _fmt(a):
    return np.array2string(np.asarray(a), precision=10, separator=", ")


def assert_close(case, what, got, want, rtol, atol, arrays, head=None, other="expected"):
    """allclose, with a message giving the inputs, both values and the tolerance."""
    got, want = np.asarray(got), np.asarray(want)
    ok = got.shape == want.shape and np.allclose(got, want, rtol=rtol, atol=atol)
    if ok:
        return
    lines = [f"{case.id}: {what} mismatch (rtol={rtol:g}, atol={atol:g})"]
    for k, a in enumerate(arrays):
        lines.append(f"  input {k} {np.shape(a)} {np.asarray(a).dtype}: {_fmt(a)}")
    if head is not None:
        lines.append(f"  head_grad: {_fmt(head)}")
    lines.append(f"  tapegrad {got.shape} {got.dtype}: {_fmt(got)}")
    lines.append(f"  {other} {want.shape} {want.dtype}: {_fmt(want)}")
    if got.shape == want.shape and got.size and not np.all(np.isnan(got - want)):
        err = np.abs(got.astype(np.float64) - want)
        at = tuple(int(i) for i in np.unravel_index(np.nanargmax(err), err.shape))
        lines.append(f"  worst |error| {np.nanmax(err):.3g} at index {at}")
    raise AssertionError("\n".join(lines))


def scale(a):
    return max(1.0, float(np.max(np.abs(a)))) if np.size(a) else 1.0


# ---------------------------------------------------------------------------
# Generated tests
# ---------------------------------------------------------------------------

@params(CASES)
def test_forward_matches_numpy(case):
    arrays, _ = draw(case)
    want = np.asarray(case.fn(NP, *arrays))
    y = tg_forward(case, arrays)
    assert y.dtype == want.dtype, f"{case.id}: dtype {y.dtype}, NumPy gives {want.dtype}"
    assert_close(case, "forward", y.asnumpy(), want, EXACT_RTOL, 1e-14, arrays, other="numpy")


@params(CASES)
def test_gradient_matches_central_differences(case):
    arrays, head = draw(case)
    y, grads = tg_grads(case, arrays, head)
    want = central_differences(case, arrays, head)
    for k, (g, w) in enumerate(zip(grads, want)):
        assert g.shape == arrays[k].shape and g.dtype == np.float64, (
            f"{case.id}: gradient {k} is {g.shape} {g.dtype}, input is {arrays[k].shape} float64")
        assert_close(case, f"gradient of input {k}", g.asnumpy(), w, FD_RTOL, FD_ATOL,
                     arrays, head, other="central differences")


@params(CASES)
def test_create_graph_gradient_matches_native_sweep(case):
    """The rules written in tapegrad ops (create_graph) agree with the native sweep."""
    arrays, head = draw(case)
    _, native = tg_grads(case, arrays, head)
    _, graph = tg_grads(case, arrays, head, create_graph=True)
    for k, (g, n) in enumerate(zip(graph, native)):
        assert g.dtype == n.dtype
        assert_close(case, f"create_graph gradient of input {k}", g.asnumpy(), n.asnumpy(),
                     EXACT_RTOL, 1e-13, arrays, head, other="native sweep")


@params(CASES)
def test_float32_close_to_float64(case):
    arrays, head = draw(case)
    a32 = [a.astype(np.float32) for a in arrays]
    a64 = [a.astype(np.float64) for a in a32]     # the same numbers, in float64
    with numpy2_promotion():                       # NumPy's promotion (constants may widen)
        want_dtype = np.asarray(case.fn(NP, *a32)).dtype
    y32, g32 = tg_grads(case, a32, head)
    y64, g64 = tg_grads(case, a64, head)
    assert y32.dtype == want_dtype, (
        f"{case.id}: float32 inputs give {y32.dtype}, NumPy gives {want_dtype}")
    rtol = case.f32_rtol
    assert_close(case, "float32 forward", y32.asnumpy(), y64.asnumpy(), rtol,
                 rtol * scale(y64.asnumpy()), a32, other="float64")
    for k, (g, w) in enumerate(zip(g32, g64)):
        assert g.dtype == np.float32, f"{case.id}: gradient {k} of a float32 input is {g.dtype}"
        assert_close(case, f"float32 gradient of input {k}", g.asnumpy(), w.asnumpy(), rtol,
                     rtol * scale(w.asnumpy()), a32, head, other="float64")


@params(MULTI)
@pytest.mark.parametrize("first", ["float32", "float64"])
def test_mixed_dtypes_promote_like_numpy(case, first):
    arrays, head = draw(case)
    other = "float64" if first == "float32" else "float32"
    dts = [first] + [other] * (case.nin - 1)
    mixed = [a.astype(d) for a, d in zip(arrays, dts)]
    a64 = [a.astype(np.float64) for a in mixed]
    with numpy2_promotion():
        want_dtype = np.asarray(case.fn(NP, *mixed)).dtype
    y, grads = tg_grads(case, mixed, head)
    _, g64 = tg_grads(case, a64, head)
    assert y.dtype == want_dtype, f"{case.id}: inputs {dts} give {y.dtype}, NumPy {want_dtype}"
    for k, (g, w) in enumerate(zip(grads, g64)):
        assert g.dtype == np.dtype(dts[k]), (
            f"{case.id}: gradient {k} is {g.dtype}, its input is {dts[k]} (inputs {dts})")
        assert_close(case, f"mixed-dtype gradient of input {k}", g.asnumpy(), w.asnumpy(),
                     F32_RTOL, F32_RTOL * scale(w.asnumpy()), mixed, head, other="float64")


@params([c for c in CASES if c.torch])
def test_gradient_matches_torch(case):
    arrays, head = draw(case)
    y_t, want = torch_grads(case, arrays, head)
    y, grads = tg_grads(case, arrays, head)
    assert_close(case, "forward", y.asnumpy(), y_t, 1e-10, 1e-12, arrays, other="torch")
    for k, (g, w) in enumerate(zip(grads, want)):
        assert_close(case, f"gradient of input {k}", g.asnumpy(), w, 1e-10, 1e-12,
                     arrays, head, other="torch")


@params(CASES)
def test_forward_mode_agrees_with_reverse_mode(case):
    """<u, J^T v> = <J u, v> for random tangents u and cotangent v."""
    arrays, v = draw(case)
    rng = rng_for(case, "tangent")
    us = [rng.standard_normal(a.shape) for a in arrays]
    _, vjps = tg_grads(case, arrays, v)
    out, ju = tg.jvp(lambda *xs: case.fn(TG, *xs), tuple(tg.array(a) for a in arrays),
                     tuple(tg.array(u) for u in us))
    lhs = sum(float(np.sum(u * g.asnumpy())) for u, g in zip(us, vjps))
    rhs = float(np.sum(np.asarray(ju.asnumpy()) * v))
    assert np.isclose(lhs, rhs, rtol=1e-10, atol=1e-12), (
        f"{case.id}: <u, J^T v> = {lhs!r} but <J u, v> = {rhs!r}; inputs {arrays}, "
        f"tangents {us}, cotangent {v}")


# ---------------------------------------------------------------------------
# Where the derivative is not unique, and large inputs (exact expectations)
# ---------------------------------------------------------------------------

MODES = [("float64", False), ("float32", False), ("float64", True)]
MODE_IDS = ["f64", "f32", "f64-create_graph"]


def grads_at(fn, *values, dtype="float64", create_graph=False, head=None):
    xs = [tg.array(np.asarray(v, dtype=np.float64), dtype=dtype) for v in values]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = fn(*xs)
    y.backward(None if head is None else tg.array(head, dtype=y.dtype),
               create_graph=create_graph)
    return y, [x.grad.asnumpy() for x in xs]


def check(what, values, got, want, dtype, rtol=None):
    rtol = rtol if rtol is not None else (1e-6 if dtype == "float32" else 1e-14)
    got, want = np.asarray(got), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape and np.all(np.isfinite(got)) and np.allclose(
        got, want, rtol=rtol, atol=rtol), (
        f"{what} ({dtype}, rtol={rtol}): inputs {values}\n  tapegrad: {_fmt(got)}\n"
        f"  expected: {_fmt(want)}")


TIE_CASES = [
    # (label, fn, input, expected gradient of the sum of the output)
    ("max-all", lambda x: tg.max(x), [1.0, 3.0, 3.0, 2.0], [0, .5, .5, 0]),
    ("max-axis1", lambda x: tg.max(x, axis=1), [[1.0, 1.0], [2.0, 0.0]], [[.5, .5], [1, 0]]),
    ("max-axis0-keepdims", lambda x: x.max(axis=0, keepdims=True), [[1.0, 5.0], [1.0, 2.0]],
     [[.5, 1], [.5, 0]]),
    ("min-three-way", lambda x: tg.min(x), [2.0, 2.0, 2.0], [1 / 3] * 3),
    ("min-all-2d", lambda x: tg.min(x), [[0.0, 0.0], [1.0, 0.0]], [[1 / 3, 1 / 3], [0, 1 / 3]]),
    ("min-axis-tuple", lambda x: tg.min(x, axis=(0, 1)), [[[1., 4.], [1., 0.]]],
     [[[.5, 0], [.5, 1]]]),
]


@pytest.mark.parametrize("dtype,create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("label,fn,x,want", TIE_CASES, ids=[c[0] for c in TIE_CASES])
def test_max_min_ties_split_the_gradient_evenly(label, fn, x, want, dtype, create_graph):
    _, (g,) = grads_at(fn, x, dtype=dtype, create_graph=create_graph)
    check(label, x, g, want, dtype)


BINARY_TIES = [
    ("maximum", tg.maximum, [1.0, 2.0, 3.0], [1.0, 0.0, 3.0], [.5, 1, .5], [.5, 0, .5]),
    ("minimum", tg.minimum, [1.0, 2.0, 3.0], [1.0, 0.0, 3.0], [.5, 0, .5], [.5, 1, .5]),
    # broadcast: the scalar's gradient sums the tie halves
    ("maximum-broadcast", tg.maximum, [2.0, 1.0, 3.0], 2.0, [.5, 0, 1], 1.5),
    ("minimum-broadcast", tg.minimum, [[2.0], [1.0]], [2.0, 1.0], [[.5], [1.5]], [.5, 1.5]),
]


@pytest.mark.parametrize("dtype,create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("label,fn,a,b,ga,gb", BINARY_TIES, ids=[c[0] for c in BINARY_TIES])
def test_maximum_minimum_ties_split_the_gradient_evenly(label, fn, a, b, ga, gb, dtype,
                                                        create_graph):
    _, (g_a, g_b) = grads_at(lambda x, y: fn(x, y).sum(), a, b, dtype=dtype,
                             create_graph=create_graph)
    check(label + " (a)", (a, b), g_a, ga, dtype)
    check(label + " (b)", (a, b), g_b, gb, dtype)


@pytest.mark.parametrize("dtype,create_graph", MODES, ids=MODE_IDS)
def test_maximum_with_python_scalar_tie(dtype, create_graph):
    x = [0.0, -1.0, 1.0]
    _, (g,) = grads_at(lambda t: tg.maximum(t, 0.0), x, dtype=dtype, create_graph=create_graph)
    check("maximum(x, 0.0)", x, g, [.5, 0, 1], dtype)


@pytest.mark.parametrize("dtype,create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("name,want", [("abs", [0, 0, 1, -1, 0]), ("relu", [0, 0, 1, 0, 0])])
def test_abs_and_relu_have_gradient_zero_at_zero(name, want, dtype, create_graph):
    x = [0.0, -0.0, 2.0, -2.0, 0.0]
    _, (g,) = grads_at(getattr(tg, name), x, dtype=dtype, create_graph=create_graph)
    check(name, x, g, want, dtype)


@pytest.mark.parametrize("dtype,create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("lo,hi,want", [
    (-1.0, 1.0, [1, 1, 1, 1, 1, 0, 0]),
    (-1, 1, [1, 1, 1, 1, 1, 0, 0]),            # int bounds
    (-1.0, None, [1, 1, 1, 1, 1, 1, 0]),
    (None, 1.0, [1, 1, 1, 1, 1, 0, 1]),
], ids=["float-bounds", "int-bounds", "lo-only", "hi-only"])
def test_clip_passes_the_gradient_on_its_closed_interval(lo, hi, want, dtype, create_graph):
    x = [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, -1.5]
    _, (g,) = grads_at(lambda t: tg.clip(t, lo, hi), x, dtype=dtype, create_graph=create_graph)
    check(f"clip(x, {lo}, {hi})", x, g, want, dtype)


@pytest.mark.parametrize("dtype,create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("shape", [(), (3,), (2, 2)], ids=str)
def test_norm_at_the_origin_has_gradient_zero(shape, dtype, create_graph):
    x = np.zeros(shape)
    y, (g,) = grads_at(tg.norm, x, dtype=dtype, create_graph=create_graph)
    assert y.item() == 0.0
    check("norm at 0", x, g, np.zeros(shape), dtype)


def _others_product(x, axis):
    """d prod(x, axis) / dx by brute force: for each element, the product of
    the other elements of its reduction group."""
    x = np.asarray(x, dtype=np.float64)
    grid = np.indices(x.shape)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        group = np.ones(x.shape, dtype=bool)
        if axis is not None:
            for ax in range(x.ndim):
                if ax != axis:
                    group &= grid[ax] == i[ax]
        group[i] = False
        g[i] = np.prod(x[group])
    return g


@pytest.mark.parametrize("dtype,create_graph", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("x,axis", [
    ([2.0, 0.0, 3.0], None), ([0.0, 0.0, 3.0], None), ([[2.0, 0.0, 3.0], [1.0, 2.0, 3.0]], 1),
    ([[0.0, 2.0], [3.0, 4.0]], 0), (0.0, None), ([[0.0, 2.0], [3.0, 0.5]], None),
], ids=["one-zero", "two-zeros", "axis1", "axis0", "0d-zero", "2d-all"])
def test_prod_with_a_zero_element(x, axis, dtype, create_graph):
    _, (g,) = grads_at(lambda t: tg.prod(t, axis=axis), x, dtype=dtype,
                       create_graph=create_graph)
    check(f"prod(axis={axis})", x, g, _others_product(x, axis), dtype)


def test_others_product_oracle():
    """The brute-force oracle itself, against central differences away from zero."""
    x = np.array([[0.5, 2.0, 3.0], [1.5, 0.7, 1.1]])
    for axis in (None, 0, 1):
        fd = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            d = np.zeros_like(x)
            d[i] = 1e-6
            fd[i] = np.sum(np.prod(x + d, axis=axis) - np.prod(x - d, axis=axis)) / 2e-6
        np.testing.assert_allclose(_others_product(x, axis), fd, rtol=1e-7)


LARGE = [[1000.0, 1000.0, 999.0], [-1000.0, -1000.0, -999.0], [1000.0, 0.0, -1000.0]]


def _softmax_exact(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("x", LARGE, ids=["big", "very-negative", "spread"])
def test_logsumexp_and_softmax_stay_finite_for_large_inputs(x, dtype):
    xa = np.asarray(x)
    s = _softmax_exact(xa)
    lse = xa.max() + np.log(np.exp(xa - xa.max()).sum())
    v = np.array([0.3, -1.2, 2.0])
    # float32: logsumexp(x) ~ 1000 is rounded to ulp(1000) = 6e-5, and the
    # gradient exp(x - lse) inherits that absolute error as a relative one
    rtol = 1e-4 if dtype == "float32" else 1e-12

    y, (g,) = grads_at(tg.logsumexp, x, dtype=dtype)
    check("logsumexp value", x, y.asnumpy(), lse, dtype, rtol)
    check("logsumexp gradient", x, g, s, dtype, rtol)

    y, (g,) = grads_at(tg.softmax, x, dtype=dtype, head=v)
    check("softmax value", x, y.asnumpy(), s, dtype, rtol)
    check("softmax gradient", x, g, s * (v - np.dot(s, v)), dtype, rtol)

    y, (g,) = grads_at(tg.log_softmax, x, dtype=dtype, head=v)
    check("log_softmax value", x, y.asnumpy(), xa - lse, dtype, rtol)
    check("log_softmax gradient", x, g, v - s * v.sum(), dtype, rtol)


def test_logsumexp_large_inputs_along_an_axis():
    x = np.array([[1000.0, -1000.0], [0.0, 1.0], [-1000.0, -1000.0]])
    y, (g,) = grads_at(lambda t: tg.logsumexp(t, axis=1), x)
    want = np.array([1000.0, 1.0 + np.log1p(np.exp(-1.0)), -1000.0 + np.log(2.0)])
    check("logsumexp axis=1", x, y.asnumpy(), want, "float64", 1e-12)
    check("logsumexp axis=1 gradient", x, g, _softmax_exact(x), "float64", 1e-12)


# ---------------------------------------------------------------------------
# The table itself
# ---------------------------------------------------------------------------

def _primitives_seen_by_the_table():
    """Names of the primitives applied while running every case forward, then
    backward with create_graph=True (so the backward rules' own primitives,
    such as index_add, run too), in float64 and in mixed dtypes."""
    seen = set()

    def observe(prim, args, params, result):
        seen.add(prim.name)

    saved = get_state().observers
    get_state().observers = saved + (observe,)
    try:
        for case in CASES:
            arrays, head = draw(case)
            tg_grads(case, arrays, head, create_graph=True)
            if case.nin >= 2:
                mixed = [arrays[0].astype(np.float32)] + arrays[1:]
                tg_grads(case, mixed, head, create_graph=True)
    finally:
        get_state().observers = saved
    return seen


API_FUNCTIONS = """exp log sin cos tan tanh sqrt square abs sigmoid relu maximum minimum clip
where power sum mean max min prod norm logsumexp softmax log_softmax dot matmul outer reshape
transpose expand_dims squeeze broadcast_to concatenate stack flatten copy""".split()
OPERATORS = ["op.add", "op.sub", "op.mul", "op.div", "op.pow", "op.matmul", "neg", "getitem"]


def test_table_covers_every_public_function_and_operator():
    ops = {c.op for c in CASES}
    heads = {op.split(".")[0] for op in ops}
    missing = [f for f in API_FUNCTIONS if f not in heads or not callable(getattr(tg, f, None))]
    assert not missing, f"API.md functions with no case (or missing from tapegrad): {missing}"
    for prefix in OPERATORS:
        variants = {op for op in ops if op == prefix or op.startswith(prefix + ".")}
        assert variants, f"no case for operator {prefix}"
    for side in ("scalar_left", "scalar_right", "ndarray_left", "ndarray_right"):
        for o in ("add", "sub", "mul", "div", "pow"):
            assert f"op.{o}.{side}" in ops, f"no case op.{o}.{side}"


def test_every_primitive_is_exercised_by_the_table():
    before = get_state().observers
    seen = _primitives_seen_by_the_table()
    assert get_state().observers == before
    missing = sorted({p.name for p in BY_CODE} - seen)
    assert not missing, f"primitives no case of op_cases.py exercises: {missing}"


@pytest.mark.parametrize("key", sorted(qualname(p) for p in BY_CODE))
def test_primitive_entry_is_complete(key):
    prim = REGISTRY[key]                    # 'erf' is 'special.erf'
    name = prim.name
    assert qualname(prim) == key
    for rule in ("forward", "vjp", "jvp"):
        assert callable(getattr(prim, rule)), f"primitive {name!r} has no callable {rule}"
    n = prim.nin if prim.nin > 0 else 1     # variadic: {0} shows all operands
    assert isinstance(prim.label, str) and prim.label, f"primitive {name!r} has no label"
    label = prim.label.format(*[f"<{i}>" for i in range(n)])
    assert all(f"<{i}>" in label for i in range(n)), (
        f"label {prim.label!r} of {name!r} does not show all {n} operands: {label!r}")
    assert all(0 <= i < n for i in prim.saves), f"{name!r} saves {prim.saves} of {n} inputs"
    if prim.kernel:
        assert KERNEL_IDS.get(name) == prim.kernel, f"{name!r} names unknown kernel {prim.kernel!r}"
    if prim.elementwise and name != "where":
        assert prim.kernel, f"elementwise {name!r} has no native kernel"
        assert prim.partials is not None and len(prim.partials) == prim.nin, (
            f"elementwise {name!r} should define one partial per input")
