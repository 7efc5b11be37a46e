"""Batched Jacobians: one sweep (or one evaluation) with a batch axis.

``tg.jacobian`` outside ``record()`` pushes the whole identity through each
rule at once on ``ops.batching.BATCH``; inside ``record()`` (or under an open
``jvp`` level) it keeps the looped path, whose result stays differentiable.

Oracles: the looped path (``transforms._jac_rev``/``_jac_fwd``, one sweep or
one jvp per element, which test_higher_order checks against central
differences), float64 central differences, closed forms, and
``torch.func.jacrev``/``jacfwd`` where torch is installed.  The op-table
tests forbid the per-example fallback and the looped path, so they can only
pass if BATCH itself computed the answer.
"""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd, errors, transforms
from tapegrad.ops import batching
from tapegrad.ops.backend import NP
from tapegrad.ops.batching import BATCH, Batched

from oracles import Cube, arr, check
from op_cases import CASES, TG

pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")


def _refuse(what):
    def refuse(*a, **k):
        raise AssertionError(f"{what} ran")
    return refuse


@pytest.fixture
def batched_only(monkeypatch):
    """Fail if a rule was looped per example or the looped Jacobian ran."""
    monkeypatch.setattr(batching, "_stacked", _refuse("the per-example fallback"))
    monkeypatch.setattr(transforms, "_jac_rev", _refuse("the looped reverse Jacobian"))
    monkeypatch.setattr(transforms, "_jac_fwd", _refuse("the looped forward Jacobian"))


@pytest.fixture
def looped_only(monkeypatch):
    monkeypatch.setattr(transforms, "_jac_rev_batched", _refuse("the batched reverse Jacobian"))
    monkeypatch.setattr(transforms, "_jac_fwd_batched", _refuse("the batched forward Jacobian"))


# The looped functions, kept here: batched_only replaces them in transforms.
_looped_saved = {"rev": transforms._jac_rev, "fwd": transforms._jac_fwd}


def looped(f, args, nums, mode):
    args = [tg.array(a) if not isinstance(a, tg.Tensor) else a for a in args]
    return _looped_saved[mode](f, args, nums)


def close(what, got, want, dtype=np.float64, **info):
    """Same values as the looped path: to rounding (a GEMM sums in another order
    than a GEMV), relative to the Jacobian's scale."""
    got, want = arr(got), arr(want)
    scale = 1.0 + np.max(np.abs(want), initial=0.0)
    tol = 1e-13 if dtype == np.float64 else 1e-5
    check(what, got, want, rtol=tol, atol=tol * scale, **info)


# --------------------------------------------------------------------------
# every primitive, through the op table
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_op_table_batched_equals_looped(case, mode, batched_only):
    xs = case.draw(np.random.default_rng(7))
    f = lambda *a: case.fn(TG, *a)
    nums = tuple(range(case.nin))
    got = tg.jacobian(f, argnums=nums, mode=mode)(*[tg.array(x) for x in xs])
    assert isinstance(got, tuple) and len(got) == case.nin
    want = _looped_saved[mode](f, [tg.array(x) for x in xs], nums)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape and g.dtype == w.dtype, (case.id, i, g.shape, w.shape)
        close(f"{case.id} {mode}: batched vs looped Jacobian (x{i})", g, w,
              **{f"x{j}": x for j, x in enumerate(xs)})


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("case", CASES[::3], ids=[c.id for c in CASES[::3]])
def test_op_table_batched_float32(case, mode, batched_only):
    xs = [x.astype(np.float32) for x in case.draw(np.random.default_rng(8))]
    f = lambda *a: case.fn(TG, *a)
    nums = tuple(range(case.nin))
    got = tg.jacobian(f, argnums=nums, mode=mode)(*[tg.array(x) for x in xs])
    want = _looped_saved[mode](f, [tg.array(x) for x in xs], nums)
    for i, (g, w) in enumerate(zip(got, want)):
        # reverse mode: the input's dtype; forward: the output's (a float64
        # constant operand promotes it), as on the looped path
        assert g.dtype == w.dtype, (case.id, g.dtype, w.dtype)
        assert mode == "fwd" or g.dtype == np.float32
        close(f"{case.id} {mode} float32 (x{i})", g, w, dtype=np.float32)


# --------------------------------------------------------------------------
# the backend, name by name, against NP one example at a time
# --------------------------------------------------------------------------

def per_example(fn, *args):
    """fn on NP for each example of the batched arguments, stacked."""
    n = next(a.v.shape[0] for a in args if type(a) is Batched)
    return np.stack([np.asarray(fn(NP, *[a.v[k] if type(a) is Batched else a for a in args]))
                     for k in range(n)])


def rnd(*shape, seed=0):
    return np.random.default_rng(seed + 31 * len(shape) + sum(shape)).standard_normal(shape)


MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                 ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)),
                 ((2, 1, 2, 3), (3, 3, 2)), ((4, 3), (3, 1)), ((1, 3), (3, 4)),
                 ((2, 4, 3), (2, 3, 1)), ((2, 1, 3), (3, 5))]


@pytest.mark.parametrize("side", ["left", "right", "both"])
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_batch_matmul_equals_per_example(sa, sb, side):
    n = 5
    a = Batched(rnd(n, *sa)) if side in ("left", "both") else rnd(*sa, seed=1)
    b = Batched(rnd(n, *sb, seed=2)) if side in ("right", "both") else rnd(*sb, seed=3)
    got = BATCH.matmul(a, b)
    want = per_example(lambda B, x, y: B.matmul(x, y), a, b)
    assert type(got) is Batched
    check(f"BATCH.matmul {side} {sa} @ {sb}", got.v, want, rtol=1e-13, atol=1e-13)


SHAPE_FNS = [
    ("swapaxes", lambda B, x: B.swapaxes(x, 0, -1), (2, 3, 4)),
    ("transpose", lambda B, x: B.transpose(x, (2, 0, 1)), (2, 3, 4)),
    ("transpose.None", lambda B, x: B.transpose(x, None), (2, 3, 4)),
    ("squeeze", lambda B, x: B.squeeze(x, -1), (3, 1)),
    ("squeeze.0", lambda B, x: B.squeeze(x, 0), (1, 3)),
    ("squeeze.None", lambda B, x: B.squeeze(x, None), (1, 3, 1)),
    ("expand_dims.0", lambda B, x: B.expand_dims(x, 0), (3, 2)),
    ("expand_dims.-1", lambda B, x: B.expand_dims(x, -1), (3, 2)),
    ("expand_dims.-2", lambda B, x: B.expand_dims(x, -2), (3,)),
    ("broadcast_to", lambda B, x: B.broadcast_to(x, (2, 3, 4)), (3, 1)),
    ("reshape", lambda B, x: B.reshape(x, (-1, 2)), (2, 3, 2)),
    ("sum.None", lambda B, x: B.sum(x, None, keepdims=False), (2, 3)),
    ("sum.axis", lambda B, x: B.sum(x, (0, 2), keepdims=True), (2, 3, 4)),
    ("sum.neg", lambda B, x: B.sum(x, -1, keepdims=False), (2, 3)),
    ("sum_to", lambda B, x: B.sum_to(x, (3, 1)), (2, 3, 4)),
    ("cos", lambda B, x: B.cos(x), (2, 3)),
    ("exp", lambda B, x: B.exp(x), (3,)),
    ("power", lambda B, x: B.power(x * x + 1.0, 1.5), (3,)),
    ("rpower", lambda B, x: B.power(2.0, x), (3,)),
    ("where", lambda B, x: B.where(np.array([True, False, True]), x, 0.0), (2, 3)),
    ("where.rank", lambda B, x: B.where(np.ones((2, 1, 3), bool), 1.0, x), (3,)),
    ("ops", lambda B, x: (1.0 - x) * np.arange(3.0) / (x * x + 2.0) - x ** 2, (2, 3)),
    ("ops.rank", lambda B, x: x * np.ones((2, 4, 3)) + np.ones((4, 3)) - x, (3,)),
    ("getitem.int", lambda B, x: B.getitem(x, (1, slice(None))), (2, 3)),
    ("getitem.array", lambda B, x: B.getitem(x, np.array([0, 2, 2])), (3, 2)),
    ("getitem.mask", lambda B, x: B.getitem(x, np.array([[True, False, True]] * 2)), (2, 3)),
    ("getitem.pair", lambda B, x: B.getitem(x, (np.array([0, 1]), np.array([2, 2]))), (2, 3)),
    ("getitem.after_slice", lambda B, x: B.getitem(x, (slice(None), np.array([1, 0]))), (2, 3)),
    ("getitem.ellipsis", lambda B, x: B.getitem(x, (Ellipsis, None, 1)), (2, 3)),
    ("index_add.repeat", lambda B, x: B.index_add(x, np.array([0, 2, 2, 0]), (3, 2)), (4, 2)),
    ("index_add.slice", lambda B, x: B.index_add(x, (slice(1, 3),), (4, 2)), (2, 2)),
    ("concatenate", lambda B, x: B.concatenate([x, np.ones((2, 1)), x], -1), (2, 3)),
    ("stack", lambda B, x: B.stack([np.zeros((2, 3)), x], -1), (2, 3)),
    ("cast", lambda B, x: B.cast(x, np.float32), (2, 3)),
]


@pytest.mark.parametrize("name,fn,shape", SHAPE_FNS, ids=[s[0] for s in SHAPE_FNS])
def test_batch_backend_equals_per_example(name, fn, shape):
    x = Batched(rnd(4, *shape))
    got = fn(BATCH, x)
    assert type(got) is Batched, name
    want = per_example(fn, x)
    assert got.v.dtype == want.dtype, (name, got.v.dtype, want.dtype)
    check(f"BATCH {name}", got.v, want, rtol=1e-14, atol=1e-14)


ONEHOT_FNS = [
    ("mul", lambda B, x: x * np.array([[1.5, -2.0, 0.0], [3.0, 0.5, 1.0]]), (2, 3)),
    ("rmul.row", lambda B, x: np.array([1.5, -2.0, 4.0]) * x, (2, 3)),
    ("mul.scalar", lambda B, x: x * 3.0, (2, 3)),
    ("mul.grows", lambda B, x: x * np.ones((2, 3)), (3,)),
    ("mul.inf", lambda B, x: x * np.array([1.0, np.inf, 2.0]), (3,)),
    ("mul.nan", lambda B, x: np.array([np.nan, 1.0, 2.0]) * x, (3,)),
    ("div", lambda B, x: x / np.array([2.0, -4.0, 0.5]), (3,)),
    ("div.zero", lambda B, x: x / np.array([2.0, 0.0, 0.5]), (3,)),
    ("rdiv", lambda B, x: 1.0 / (x + 1.0), (3,)),
    ("neg.sub", lambda B, x: 1.0 - (-x), (3,)),
    ("add.onehot", lambda B, x: x * 2.0 + x, (2, 3)),
    ("add.dense_left", lambda B, x: B.exp(x) + x * 2.0, (2, 3)),
    ("add.dense_right", lambda B, x: x * 2.0 + B.exp(x), (2, 3)),
    ("add.dense_transposed", lambda B, x: B.swapaxes(B.exp(x), 0, 1) + B.reshape(x, (3, 2)),
     (2, 3)),
    ("reshape", lambda B, x: B.reshape(x * 2.0, (3, 2)) * np.arange(6.0).reshape(3, 2), (2, 3)),
    ("expand_squeeze", lambda B, x: B.squeeze(B.expand_dims(x, -1), -1) * 2.0, (3,)),
    ("cast", lambda B, x: B.cast(x * 3.0, np.float32), (3,)),
    ("matmul.col", lambda B, x: B.matmul(np.arange(12.0).reshape(4, 3), B.expand_dims(x, -1)),
     (3,)),
    ("matmul.vec", lambda B, x: B.matmul(np.arange(12.0).reshape(4, 3), x * 2.0), (3,)),
    ("matmul.row", lambda B, x: B.matmul(B.expand_dims(x, -2), np.arange(12.0).reshape(3, 4)),
     (3,)),
    ("matmul.vec_left", lambda B, x: B.matmul(x, np.arange(12.0).reshape(3, 4)), (3,)),
    ("matmul.inf", lambda B, x: B.matmul(np.array([[1.0, np.inf, 0.0]]), x), (3,)),
    ("matmul.stack", lambda B, x: B.matmul(np.ones((2, 4, 3)), x), (3,)),
    ("sum", lambda B, x: B.sum(x * 2.0, None, keepdims=False), (2, 3)),
    ("getitem", lambda B, x: B.getitem(x, (1, slice(None))), (2, 3)),
    ("where", lambda B, x: B.where(np.array([True, False, True]), x, 0.0), (3,)),
]


@pytest.mark.parametrize("name,fn,shape", ONEHOT_FNS, ids=[s[0] for s in ONEHOT_FNS])
def test_onehot_equals_its_dense_batch(name, fn, shape):
    """The identity seed kept as a OneHot gives the dense batch's values, zeros,
    infinities and NaNs exactly, whether or not an op keeps the structure."""
    d = rnd(*shape, seed=21)
    with np.errstate(all="ignore"):
        got = fn(BATCH, batching.OneHot(d))
        want = fn(BATCH, Batched(batching.OneHot(d).v.copy()))
        each = per_example(fn, Batched(batching.OneHot(d).v.copy()))
    assert isinstance(got, Batched) and got.v.dtype == want.v.dtype, name
    np.testing.assert_array_equal(got.v, want.v, err_msg=name)
    np.testing.assert_array_equal(got.v, each, err_msg=name)


def test_onehot_keeps_its_structure_where_it_is_exact():
    h = batching.OneHot(rnd(3, seed=22))
    assert type(h * np.array([1.0, 2.0, 3.0])) is batching.OneHot
    assert type(-h / 2.0 + h) is batching.OneHot
    assert type(BATCH.reshape(h, (3, 1))) is batching.OneHot
    assert type(BATCH.squeeze(BATCH.expand_dims(h, -1), -1)) is batching.OneHot
    dense = Batched(rnd(3, 3, seed=23))
    for r in (dense + h, h + dense):          # h + dense: Python asks OneHot.__radd__ first
        np.testing.assert_array_equal(r.v, dense.v + np.diag(h.d))
    assert h._v is None, "the structured ops must not have materialized the batch"
    with np.errstate(all="ignore"):
        assert type(h * np.array([1.0, np.inf, 3.0])) is Batched   # 0 * inf off the diagonal
        assert type(h / np.array([1.0, 0.0, 3.0])) is Batched      # 0 / 0 off the diagonal
    assert type(h * np.ones((2, 3))) is Batched                    # grows the example


@pytest.mark.parametrize("idx", [
    (np.array([0, 1]), slice(None), np.array([4, 2])),
    (np.array([0, 1]), slice(None), 3),
    (1, slice(None), np.array([[4, 2], [0, 0]])),
    (np.array([0, 1]), None, np.array([3, 2])),
    (np.array([1, 0]), Ellipsis, np.array([4, 2])),
    (0, slice(None), True),
], ids=["arrays", "array_int", "int_2d", "none", "ellipsis", "0d_mask"])
def test_advanced_indices_split_by_a_slice_batch(idx):
    """NumPy moves split advanced dimensions to the front, before the batch
    axis: the rules move the batch axis back (indexing and its transpose)."""
    v = rnd(3, 2, 4, 5)
    got = BATCH.getitem(Batched(v), idx)
    want = np.stack([v[k][idx] for k in range(3)])
    check("batched getitem", got.v, want, rtol=0, atol=0)
    g = Batched(rnd(*want.shape, seed=5))
    got = BATCH.index_add(g, idx, (2, 4, 5))
    want = np.stack([NP.index_add(g.v[k], idx, (2, 4, 5)) for k in range(3)])
    check("batched index_add", got.v, want, rtol=0, atol=0)


def test_raw_of_a_batch_is_unbatchable():
    x = Batched(rnd(3, 2, 4, 5))
    with pytest.raises(batching.Unbatchable):
        BATCH.raw(x)
    with pytest.raises(batching.Unbatchable):
        np.asarray(x)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_split_advanced_index_is_batched_and_right(mode, batched_only):
    x0 = rnd(2, 4, 3)
    idx = (np.array([0, 1, 1]), slice(1, 3), np.array([2, 0, 2]))
    f = lambda x: tg.sin(x)[idx] * 2.0
    J = tg.jacobian(f, mode=mode)(x0)
    want = np.zeros((3, 2, 2, 4, 3))
    for r, (i, k) in enumerate(zip([0, 1, 1], [2, 0, 2])):
        for c, j in enumerate((1, 2)):
            want[r, c, i, j, k] = 2.0 * np.cos(x0[i, j, k])
    check(f"jacobian {mode} through a split advanced index (closed form)", J, want,
          rtol=1e-14, atol=1e-14)
    close("... equals the looped path", J, looped(f, [x0], (0,), mode)[0])


# --------------------------------------------------------------------------
# the contract: argnums, shapes, dtypes, special functions
# --------------------------------------------------------------------------

A = rnd(5, 4, seed=4)


def layer(x, w):
    return tg.tanh(tg.matmul(A, x) * w) * tg.sum(x * x)


def layer_np(x, w):
    return np.tanh((A @ x) * w) * np.sum(x * x)


def fd_jac(fn, xs, i, h=1e-6):
    xs = [np.array(x, dtype=np.float64) for x in xs]
    out = np.asarray(fn(*xs))
    J = np.zeros(out.shape + xs[i].shape)
    for e in np.ndindex(xs[i].shape):
        p, m = [x.copy() for x in xs], [x.copy() for x in xs]
        p[i][e] += h
        m[i][e] -= h
        J[(Ellipsis,) + e] = (np.asarray(fn(*p)) - np.asarray(fn(*m))) / (2 * h)
    return J


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_two_argnums_match_central_differences_and_looped(mode, batched_only):
    x0, w0 = rnd(4, seed=5), rnd(5, seed=6)
    Jx, Jw = tg.jacobian(layer, argnums=(0, 1), mode=mode)(x0, w0)
    assert Jx.shape == (5, 4) and Jw.shape == (5, 5)
    check(f"{mode} d layer / dx vs FD", Jx, fd_jac(layer_np, [x0, w0], 0), rtol=1e-7, atol=1e-8)
    check(f"{mode} d layer / dw vs FD", Jw, fd_jac(layer_np, [x0, w0], 1), rtol=1e-7, atol=1e-8)
    want = _looped_saved[mode](layer, [tg.array(x0), tg.array(w0)], (0, 1))
    close(f"{mode} dx vs looped", Jx, want[0])
    close(f"{mode} dw vs looped", Jw, want[1])
    # argnums in another order, and a single negative argnum
    Jw2, Jx2 = tg.jacobian(layer, argnums=(1, 0), mode=mode)(x0, w0)
    check("argnums order", Jx2, Jx, rtol=0, atol=0)
    check("argnums order", Jw2, Jw, rtol=0, atol=0)
    check("argnums=-1", tg.jacobian(layer, argnums=-1, mode=mode)(x0, w0), Jw, rtol=0, atol=0)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_output_and_input_of_any_rank(mode, batched_only):
    W = rnd(2, 3, seed=7)
    f = lambda w: tg.transpose(tg.exp(w) * 2.0)[None, :, :]        # (2, 3) -> (1, 3, 2)
    J = tg.jacobian(f, mode=mode)(W)
    want = np.zeros((1, 3, 2, 2, 3))
    for i in range(2):
        for j in range(3):
            want[0, j, i, i, j] = 2 * np.exp(W[i, j])
    check(f"{mode}: d transpose(2 exp w) (closed form)", J, want, rtol=1e-15, atol=0)
    # scalar output: the gradient; scalar input: a column
    check(f"{mode}: scalar output", tg.jacobian(lambda w: tg.sum(w ** 2), mode=mode)(W), 2 * W,
          rtol=1e-15, atol=0)
    s = tg.jacobian(lambda s: tg.stack([s, s * s, tg.sin(s)]), mode=mode)(1.5)
    check(f"{mode}: scalar input", s, [1.0, 3.0, np.cos(1.5)], rtol=1e-15, atol=0)
    assert s.shape == (3,)
    assert tg.jacobian(lambda s: s * 3.0, mode=mode)(2.0).shape == ()


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_ignored_input_identity_and_constant_output(mode, batched_only):
    x0, y0 = rnd(3, seed=8), rnd(2, seed=9)
    Jx, Jy = tg.jacobian(lambda x, y: tg.sin(x), argnums=(0, 1), mode=mode)(x0, y0)
    check(f"{mode}: used input", Jx, np.diag(np.cos(x0)), rtol=1e-15, atol=0)
    assert Jy.shape == (3, 2)
    check(f"{mode}: ignored input has a zero Jacobian", Jy, np.zeros((3, 2)), rtol=0, atol=0)
    J = tg.jacobian(lambda x: x, mode=mode)(x0)
    check(f"{mode}: identity", J, np.eye(3), rtol=0, atol=0)
    Jx, Jy = tg.jacobian(lambda x, y: y, argnums=(0, 1), mode=mode)(x0, y0)
    check(f"{mode}: returns the other input", Jx, np.zeros((2, 3)), rtol=0, atol=0)
    check(f"{mode}: returns the other input", Jy, np.eye(2), rtol=0, atol=0)
    J = tg.jacobian(lambda x: tg.array(np.ones((2, 2))), mode=mode)(x0)
    assert J.shape == (2, 2, 3) and not np.any(arr(J))
    J = tg.jacobian(lambda x: x[3:] * 2.0, mode=mode)(x0)
    assert J.shape == (0, 3)


def test_results_are_plain_writable_arrays_not_views():
    x0 = rnd(3, seed=10)
    for mode in ("rev", "fwd"):
        for f in (lambda x: x, lambda x: tg.reshape(x, (3, 1)), lambda x: tg.broadcast_to(x, (2, 3))):
            J = tg.jacobian(f, mode=mode)(x0)
            J2 = tg.jacobian(f, mode=mode)(x0)
            assert J._data.flags.writeable
            J[...] = 7.0                       # must not leak into the next call
            check("a second call is unaffected", J2, looped(f, [x0], (0,), mode)[0], rtol=0,
                  atol=0)
            check("a third call is unaffected", tg.jacobian(f, mode=mode)(x0), J2, rtol=0,
                  atol=0)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_float32_stays_float32_and_mixed_promotes_like_looped(mode):
    x32 = rnd(4, seed=11).astype(np.float32)
    J = tg.jacobian(lambda x: tg.tanh(x) * 2.0, mode=mode)(x32)
    assert J.dtype == np.float32
    check(f"{mode} float32", J, np.diag(2 / np.cosh(x32.astype(np.float64)) ** 2), rtol=1e-6,
          atol=1e-6)
    f = lambda x: x * np.arange(4.0)                 # float32 * float64 array -> float64
    J = tg.jacobian(f, mode=mode)(x32)
    want = looped(f, [x32], (0,), mode)[0]
    assert J.dtype == want.dtype, (J.dtype, want.dtype)
    check(f"{mode} mixed", J, want, rtol=0, atol=0)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_several_outputs_are_a_shape_error(mode):
    with pytest.raises(errors.ShapeError) as ei:
        tg.jacobian(lambda x: (x, x * 2.0), mode=mode)(np.ones(2))
    assert "one at a time" in str(ei.value)


def test_inplace_change_of_a_saved_value_still_raises():
    def f(x):
        y = x * 2.0
        z = y * y
        y += 1.0
        return z
    with pytest.raises(RuntimeError) as ei:
        tg.jacobian(f)(np.ones(3))
    assert "in-place" in str(ei.value)


# --------------------------------------------------------------------------
# custom Functions: their rules are not batch-aware
# --------------------------------------------------------------------------

class CubeNoJvp(Cube):
    jvp = None


def test_custom_function_reverse_loops_its_own_rule_only(monkeypatch):
    x0 = rnd(4, seed=12)
    looped_rules = []
    real = batching.BatchRunner.run_rule

    def spy(self, tape, i, rec, g_outs, needs, B):
        before = self.looped
        r = real(self, tape, i, rec, g_outs, needs, B)
        looped_rules.append(self.looped - before)
        return r
    monkeypatch.setattr(batching.BatchRunner, "run_rule", spy)
    f = lambda x: tg.sin(Cube()(x * 2.0))
    J = tg.jacobian(f)(x0)
    want = np.diag(np.cos(8 * x0 ** 3) * 24 * x0 ** 2)
    check("jacobian through a custom Function (closed form)", J, want, rtol=1e-13, atol=1e-13)
    # sin, Cube, mul: only the Function's rule ran once per example
    assert looped_rules == [0, 1, 0], looped_rules


def test_custom_function_forward_mode_uses_its_jvp():
    x0 = rnd(4, seed=13)
    f = lambda x: tg.sin(Cube()(x * 2.0))
    J = tg.jacobian(f, mode="fwd")(x0)
    check("jacobian fwd through a custom Function", J,
          np.diag(np.cos(8 * x0 ** 3) * 24 * x0 ** 2), rtol=1e-13, atol=1e-13)
    with pytest.raises(errors.FunctionError) as ei:
        tg.jacobian(lambda x: CubeNoJvp()(x), mode="fwd")(x0)
    assert "jvp" in str(ei.value)


# --------------------------------------------------------------------------
# when the batched path is used, and when not
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_inside_record_the_result_stays_differentiable(mode, looped_only):
    x = tg.array(rnd(3, seed=14))
    x.attach_grad()
    with autograd.record():
        J = tg.jacobian(lambda t: tg.sin(t) * t, mode=mode)(x)
        s = tg.sum(J)
    s.backward()
    x0 = arr(x)
    # sum J = sum_i cos(x_i) x_i + sin(x_i); d/dx = -sin x x + 2 cos x
    check(f"{mode}: d/dx sum(jacobian) through the looped path", x.grad,
          -np.sin(x0) * x0 + 2 * np.cos(x0), rtol=1e-13, atol=1e-13)


def test_inside_jvp_the_looped_path_runs(looped_only):
    x0, u0 = rnd(3, seed=15), rnd(3, seed=16)
    _, t = tg.jvp(lambda x: tg.jacobian(lambda y: tg.sin(y) * 2.0)(x), (x0,), (u0,))
    check("jvp of a jacobian", t, np.diag(-2 * np.sin(x0) * u0), rtol=1e-14, atol=1e-14)


def test_hessian_sweeps_the_gradient_graph_batched(batched_only):
    x0 = np.array([-1.2, 1.0, 0.3, -0.7])

    def rosen(x):
        odd, even = x[0::2], x[1::2]
        return tg.sum(100.0 * (even - odd ** 2) ** 2 + (1.0 - odd) ** 2)

    H = tg.hessian(rosen)(x0)
    want = np.zeros((4, 4))
    for i in (0, 2):
        a, b = x0[i], x0[i + 1]
        want[i, i] = 1200 * a * a - 400 * b + 2
        want[i, i + 1] = want[i + 1, i] = -400 * a
        want[i + 1, i + 1] = 200
    check("batched hessian of Rosenbrock (closed form)", H, want, rtol=1e-13, atol=1e-12)
    check("forward-over-reverse batched hessian", tg.jacobian(tg.grad(rosen), mode="fwd")(x0),
          want, rtol=1e-13, atol=1e-12)


def test_jacobian_of_jacobian_batched_outside_looped_inside():
    x0 = rnd(3, seed=17)
    f = lambda x: tg.sin(x) * tg.sum(x)
    JJ = tg.jacobian(tg.jacobian(f))(x0)
    assert JJ.shape == (3, 3, 3)
    fd = fd_jac(lambda x: arr(tg.jacobian(f)(x)), [x0], 0)
    check("jacobian of jacobian vs FD", JJ, fd, rtol=1e-7, atol=1e-8)


# --------------------------------------------------------------------------
# torch as an independent oracle
# --------------------------------------------------------------------------

def test_matches_torch_func_jacrev_and_jacfwd():
    torch = pytest.importorskip("torch")
    from torch.func import jacfwd, jacrev
    rng = np.random.default_rng(18)
    W = rng.standard_normal((4, 6))
    x0 = rng.standard_normal((3, 6))
    idx = np.array([2, 0, 2])

    def f_tg(x):
        h = tg.matmul(x, W.T)                            # (3, 4)
        s = tg.softmax(h, axis=-1) * tg.logsumexp(x, axis=0)[:4]
        return tg.concatenate([s[idx], tg.sqrt(x * x + 1.0)[:, ::2]], axis=1)

    def f_t(x):
        h = x @ torch.tensor(W).T
        s = torch.softmax(h, -1) * torch.logsumexp(x, 0)[:4]
        return torch.cat([s[torch.from_numpy(idx)], torch.sqrt(x * x + 1.0)[:, ::2]], 1)

    xt = torch.tensor(x0)
    Jt = jacrev(f_t)(xt).numpy()
    check("torch jacrev == jacfwd (oracle sanity)", Jt, jacfwd(f_t)(xt).numpy(), rtol=1e-12,
          atol=1e-12)
    for mode in ("rev", "fwd"):
        J = tg.jacobian(f_tg, mode=mode)(x0)
        assert J.shape == (3, 7, 3, 6)
        check(f"jacobian {mode} vs torch.func.jacrev", J, Jt, rtol=1e-12, atol=1e-13)


def test_two_inputs_never_share_a_jacobian_buffer():
    """add's rule hands both inputs the same gradient array."""
    x0, y0 = rnd(3, seed=19), rnd(3, seed=20)
    for f, scale in ((lambda x, y: (x + y) * 2.0, 2.0), (lambda x, y: x + y, 1.0)):
        Jx, Jy = tg.jacobian(f, argnums=(0, 1))(x0, y0)
        Jx[...] = 0.0
        check("J_y unchanged by a write into J_x", Jy, scale * np.eye(3), rtol=0, atol=0)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_state_is_restored_when_f_raises(mode):
    from tapegrad._core.tape import get_state

    def f(x):
        y = tg.sin(x)
        raise KeyError("inside f")

    with pytest.raises(KeyError):
        tg.jacobian(f, mode=mode)(np.ones(2))
    assert not autograd.is_recording()
    assert get_state().observers == ()
    check("a later jacobian is right", tg.jacobian(tg.sin, mode=mode)(np.zeros(2)), np.eye(2),
          rtol=0, atol=0)


@pytest.mark.parametrize("cap", [1, 7, 40])
def test_wide_reverse_batches_are_swept_in_chunks(cap, monkeypatch):
    """A batch wider than MAX_BATCH_ELEMENTS allows is swept in chunks of
    output rows; the Jacobian is the same."""
    x0, y0 = rnd(3, 2, seed=24), rnd(2, seed=25)
    f = lambda x, y: tg.concatenate([tg.sin(x).flatten() * tg.sum(y), tg.exp(y)])   # (8,)
    want = looped(f, [x0, y0], (0, 1), "rev")
    sweeps = []
    real = batching.BatchRunner.__init__

    def spy(self, n):
        sweeps.append(n)
        real(self, n)
    monkeypatch.setattr(batching.BatchRunner, "__init__", spy)
    monkeypatch.setattr(transforms, "MAX_BATCH_ELEMENTS", cap)
    Jx, Jy = tg.jacobian(f, argnums=(0, 1))(x0, y0)
    close(f"cap {cap}: chunked d/dx", Jx, want[0])
    close(f"cap {cap}: chunked d/dy", Jy, want[1])
    widest = 8                     # the concatenated output has the most elements
    width = max(1, cap // widest)
    assert sweeps == [min(width, 8 - k) for k in range(0, 8, width)], sweeps
    H = tg.hessian(lambda x: tg.sum(tg.sin(x) * x))(x0[0])
    check(f"cap {cap}: chunked hessian", H, np.diag(2 * np.cos(x0[0]) - x0[0] * np.sin(x0[0])),
          rtol=1e-14, atol=1e-14)
