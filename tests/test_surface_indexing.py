"""The NumPy surface, indexing: ``t[...]`` with every kind of NumPy index,
and the functions that pick, sort or search (take, take_along_axis, diag,
diagonal, tril, triu, sort, partition, unique, compress, extract, select,
choose, and the integer-valued argsort, nonzero, searchsorted...).

Through the shared checks of surface.py (value, reverse, forward, second
order, batched vs looped Jacobians, float32), with the per-example batching
fallback forbidden (split advanced indices included); the conventions at
ties (sort: the stable permutation, as JAX; partition: NumPy's
argpartition; unique: the first occurrence) with exact expected gradients;
torch and JAX as second oracles."""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad.ops import batching

from oracles import check, jax64
from surface import Spec, check_all


@pytest.fixture(autouse=True)
def no_per_example_fallback(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a rule fell back to running once per example")
    monkeypatch.setattr(batching, "_stacked", refuse)


I3 = np.array([0, 2, 2])           # repeated
J3 = np.array([1, -1, 1])          # negative and repeated
MASK3 = np.array([True, False, True])
MASK34 = np.array([[True, False, True, True], [False, False, True, False],
                   [True, True, False, False]])

# name, index, shape of the indexed tensor
INDEXES = [
    ("int", 1, (3, 4)),
    ("neg_int", (-1, -2), (3, 4)),
    ("slices", (slice(None), slice(1, None, 2)), (3, 4, 2)),
    ("neg_step", (slice(None, None, -2), slice(3, 0, -1)), (3, 4)),
    ("none", (None, 1, Ellipsis, None), (3, 4, 2)),
    ("ellipsis", (Ellipsis, 1), (3, 4, 2)),
    ("ellipsis_only", Ellipsis, ()),
    ("empty_tuple", (), (2, 3)),
    ("array_neg_repeat", np.array([0, -1, 0, 2, -3]), (3, 2)),
    ("array_2d", np.array([[0, 1], [2, 2]]), (3, 2)),
    ("list", [2, 0, 2], (3,)),
    ("nested_tuple", ((0, 2, 2),), (3, 2)),
    ("arrays_adjacent", (I3, J3), (3, 4)),
    ("arrays_after_slice", (slice(None), I3, J3), (2, 3, 4)),
    ("arrays_broadcast", (np.array([[0], [2]]), np.array([1, 3, 3])), (3, 4)),
    ("split_by_slice", (I3, slice(None), J3), (3, 4, 5)),
    ("split_int_array", (0, slice(1, 3), np.array([1, 1, 4])), (3, 4, 5)),
    ("split_by_none", (I3, None, J3), (3, 4)),
    ("split_by_ellipsis", (I3, Ellipsis, J3), (3, 2, 4)),
    ("split_2d_arrays", (np.array([[0, 1], [2, 2]]), slice(None), np.array([[0], [4]])),
     (3, 2, 5)),
    ("split_mask", (MASK3, slice(None), np.array([1, 3])), (3, 2, 4)),
    ("split_bool_scalar", (0, slice(None), True), (3, 4, 5)),
    ("mask", MASK34, (3, 4)),
    ("mask_rows", MASK3, (3, 2)),
    ("mask_middle", (slice(None), np.array([True, False, True, True])), (2, 4, 2)),
    ("mask_all_false", np.zeros(3, bool), (3, 2)),
    ("mask_0d_true", True, (2, 3)),
    ("mask_0d_false", np.False_, (2, 3)),
    ("mask_0d_on_0d", True, ()),
    ("mask_and_array", (MASK3, np.array([0, 1])), (3, 2)),
    ("array_0d", np.array(1), (3, 2)),
    ("empty_array", np.array([], dtype=int), (3, 2)),
    ("mixed_all", (np.array([1, 0]), None, slice(None, None, -1), Ellipsis, np.array([0, 3])),
     (2, 3, 2, 4)),
]

SPECS = [Spec(f"getitem.{name}", (lambda ix: lambda x: x[ix])(ix),
              (lambda ix: lambda x: x[ix])(ix), [shape])
         for name, ix, shape in INDEXES]

IDX = np.array([[1, -1, 0], [2, 2, 0]])
IDX32 = np.array([[1, -1], [2, 2], [0, 0]])
SPECS += [
    # ---- take, take_along_axis, compress, extract
    Spec("take.flat", lambda x: tg.take(x, [0, -1, 5, 5]), lambda x: np.take(x, [0, -1, 5, 5]),
         [(2, 3)]),
    Spec("take.axis", lambda x: tg.take(x, IDX, axis=1), lambda x: np.take(x, IDX, axis=1),
         [(2, 3, 2)]),
    Spec("take.scalar", lambda x: tg.take(x, 2, axis=-1), lambda x: np.take(x, 2, axis=-1),
         [(2, 3)]),
    Spec("take.wrap", lambda x: tg.take(x, [5, -7, 2], axis=0, mode="wrap"),
         lambda x: np.take(x, [5, -7, 2], axis=0, mode="wrap"), [(3, 2)]),
    Spec("take.clip", lambda x: tg.take(x, [5, -7, 2], axis=0, mode="clip"),
         lambda x: np.take(x, [5, -7, 2], axis=0, mode="clip"), [(3, 2)]),
    Spec("take.empty", lambda x: tg.take(x, [], axis=0), lambda x: np.take(x, [], axis=0),
         [(3, 2)]),
    Spec("take.method", lambda x: x.take([1, 1]), lambda x: x.take([1, 1]), [(3,)]),
    Spec("take_along_axis", lambda x: tg.take_along_axis(x, IDX, axis=1),
         lambda x: np.take_along_axis(x, IDX, axis=1), [(2, 4)]),
    Spec("take_along_axis.broadcast", lambda x: tg.take_along_axis(x, IDX[:1, :, None], 0),
         lambda x: np.take_along_axis(x, IDX[:1, :, None], 0), [(3, 3, 2)]),
    Spec("take_along_axis.None", lambda x: tg.take_along_axis(x, np.array([5, 0, 5]), None),
         lambda x: np.take_along_axis(x, np.array([5, 0, 5]), None), [(2, 3)]),
    Spec("compress", lambda x: tg.compress([True, False, True], x, axis=0),
         lambda x: np.compress([True, False, True], x, axis=0), [(3, 2)]),
    Spec("compress.short_flat", lambda x: tg.compress([0, 1, 1], x),
         lambda x: np.compress([0, 1, 1], x), [(2, 3)]),
    Spec("extract", lambda x: tg.extract(MASK34, x), lambda x: np.extract(MASK34, x), [(3, 4)]),
    # ---- diagonals and triangles
    *[Spec(f"diag.1d.{k}", (lambda k: lambda x: tg.diag(x, k))(k),
           (lambda k: lambda x: np.diag(x, k))(k), [(3,)]) for k in (0, 2, -1)],
    *[Spec(f"diag.2d.{k}", (lambda k: lambda x: tg.diag(x, k))(k),
           (lambda k: lambda x: np.diag(x, k))(k), [(3, 4)]) for k in (0, 2, -1, 5)],
    Spec("diagflat", lambda x: tg.diagflat(x, -1), lambda x: np.diagflat(x, -1), [(2, 2)]),
    *[Spec(f"diagonal.{o}.{a1}.{a2}",
           (lambda o, a, b: lambda x: tg.diagonal(x, o, a, b))(o, a1, a2),
           (lambda o, a, b: lambda x: np.diagonal(x, o, a, b))(o, a1, a2), [(3, 4, 2)])
      for o, a1, a2 in [(0, 0, 1), (1, 0, 1), (-1, 2, 0), (0, -1, 1), (3, 1, 2)]],
    Spec("diagonal.method", lambda x: x.diagonal(1), lambda x: x.diagonal(1), [(3, 3)]),
    *[Spec(f"{f}.{k}", (lambda f, k: lambda x: getattr(tg, f)(x, k))(f, k),
           (lambda f, k: lambda x: getattr(np, f)(x, k))(f, k), [s])
      for f in ("tril", "triu") for k, s in [(0, (3, 4)), (1, (2, 3, 3)), (-2, (4, 3)),
                                             (0, (3,)), (1, (0, 2))]],
    # ---- sorting (random draws: no ties; the tie conventions are tested below)
    *[Spec(f"sort.{ax}", (lambda a: lambda x: tg.sort(x, a))(ax),
           (lambda a: lambda x: np.sort(x, a))(ax), [(3, 4, 2)]) for ax in (-1, 0, 1, None)],
    Spec("sort.kind", lambda x: tg.sort(x, kind="heapsort"), lambda x: np.sort(x), [(5,)]),
    Spec("sort.0d", lambda x: tg.sort(x, axis=None), lambda x: np.sort(x, axis=None), [()]),
    Spec("sort.size0", lambda x: tg.sort(x, 0), lambda x: np.sort(x, 0), [(0, 2)]),
    *[Spec(f"partition.{kth}.{ax}", (lambda k, a: lambda x: tg.partition(x, k, a))(kth, ax),
           (lambda k, a: lambda x: np.partition(x, k, a))(kth, ax), [(3, 5)])
      for kth, ax in [(0, -1), (2, -1), (-1, 1), ((1, 3), -1), (1, 0), (7, None)]],
    Spec("unique.ties", tg.unique, np.unique, [(4, 3)], grad=False,
         domain=lambda rng, shape: rng.integers(-2, 3, shape)),
    Spec("unique.grad", lambda x: tg.unique(x), lambda x: np.unique(x), [(5,)]),
    Spec("unique.axis", lambda x: tg.unique(x, axis=1), lambda x: np.unique(x, axis=1),
         [(2, 3)]),
    # ---- select, choose
    Spec("select", lambda a, b: tg.select([MASK34, ~MASK34[:1]], [a, b * 2.0], default=-1.0),
         lambda a, b: np.select([MASK34, ~MASK34[:1]], [a, b * 2.0], default=-1.0),
         [(3, 4), (4,)]),
    Spec("select.tensor_default", lambda a, b: tg.select([MASK3], [a], default=b),
         lambda a, b: np.select([MASK3], [a], default=b), [(3,), (2, 1)]),
    Spec("choose", lambda a, b: tg.choose(np.array([[0, 1, 2], [2, 1, 0]]), [a, b, a * b]),
         lambda a, b: np.choose(np.array([[0, 1, 2], [2, 1, 0]]), [a, b, a * b]),
         [(2, 3), (3,)]),
    Spec("choose.wrap", lambda a: tg.choose(np.array([3, -1, 0]), a, mode="wrap"),
         lambda a: np.choose(np.array([3, -1, 0]), a, mode="wrap"), [(2, 3)]),
    Spec("choose.clip", lambda a, b: tg.choose(np.array([3, -1, 0]), [a, b], mode="clip"),
         lambda a, b: np.choose(np.array([3, -1, 0]), [a, b], mode="clip"), [(3,), (3,)]),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)


def test_spec_ids_are_unique():
    ids = [s.id for s in SPECS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def grad_of(f, x, w):
    return tg.grad(lambda t: (f(t) * w).sum())(x).asnumpy()


# ---- indexing: gradients with closed forms --------------------------------------------------
def test_repeated_indices_add_up():
    x = np.arange(4.0)
    w = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0])
    idx = np.array([3, -1, 0, 3, 1])
    check("getitem", grad_of(lambda t: t[idx], x, w), [100.0, 10000.0, 0.0, 1011.0])
    check("take", grad_of(lambda t: tg.take(t, idx), x, w), [100.0, 10000.0, 0.0, 1011.0])
    check("take wrap", grad_of(lambda t: tg.take(t, idx + 4, mode="wrap"), x, w),
          [100.0, 10000.0, 0.0, 1011.0])
    m = np.arange(6.0).reshape(2, 3)
    w2 = np.array([[1.0, 2.0], [3.0, 4.0]])
    check("take_along_axis", grad_of(lambda t: tg.take_along_axis(t, np.array([[2, 2], [0, 1]]),
                                                                  1), m, w2),
          [[0, 0, 3], [3, 4, 0]])


def test_index_add_reads_sequences_as_arrays():
    """The scatter that transposes indexing, called by rules with a list (or a
    tuple inside the index): repeats add on every backend, batched too."""
    from tapegrad.ops.backend import NP
    from tapegrad.ops.batching import BATCH, Batched
    g = np.array([1.0, 2.0, 4.0])
    for idx in ([0, 0, 1], ([0, 0, 1],), ((0, 0, 1),)):
        check(f"NP.index_add {idx}", NP.index_add(g, idx, (2,)), [3.0, 4.0])
        got = BATCH.index_add(Batched(np.stack([g, 10 * g])), idx, (2,))
        check(f"BATCH.index_add {idx}", got.v, [[3.0, 4.0], [30.0, 40.0]])


def test_split_advanced_index_second_order_and_forward():
    """x[i, :, j] with repeated (i, j) pairs: the Hessian of sum(x[idx]**3)
    is diagonal, 6 x times the number of times each element is picked."""
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((3, 2, 4))
    idx = (np.array([0, 2, 2, 0]), slice(None), np.array([1, 3, 3, 1]))
    f = lambda x: (x[idx] ** 3).sum()
    count = np.zeros_like(x0)
    np.add.at(count, idx, 1.0)
    H = tg.hessian(f)(x0).asnumpy().reshape(x0.size, x0.size)
    check("hessian", H, np.diag((6.0 * x0 * count).reshape(-1)))
    t = rng.standard_normal(x0.shape)
    _, jt = tg.jvp(lambda x: x[idx], (x0,), (t,))
    check("tangent", jt, t[idx])


def test_index_with_a_float_tensor_is_refused():
    x = tg.array([1.0, 2.0])
    with pytest.raises(TypeError, match="cannot index"):
        x[tg.array([0.0])]
    with pytest.raises(IndexError, match="does not fit a tensor of shape \\(2,\\): index 2 is out"):
        x[np.array([2])]


# ---- sort, partition, unique: the conventions at ties ----------------------------------------
XT = np.array([2.0, 1.0, 2.0, 1.0, 3.0, 2.0])
WT = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0])


def test_sort_ties_follow_the_stable_permutation():
    """sorted: [1 (x1), 1 (x3), 2 (x0), 2 (x2), 2 (x5), 3 (x4)]: of tied
    elements the first in the input takes the first sorted place."""
    want = np.zeros(6)
    want[[1, 3, 0, 2, 5, 4]] = WT
    for kind in (None, "quicksort", "heapsort", "stable"):
        check(f"sort gradient, kind={kind}", grad_of(lambda t: tg.sort(t, kind=kind), XT, WT),
              want)
    _, jt = tg.jvp(tg.sort, (XT,), (WT,))
    check("sort tangent", jt, WT[[1, 3, 0, 2, 5, 4]])
    # along an axis of a 2-D input, and the batched Jacobian is that permutation
    X = np.stack([XT, XT[::-1]])
    J = tg.jacobian(lambda t: tg.sort(t, axis=1))(X).asnumpy()
    for r in range(2):
        perm = np.argsort(X[r], kind="stable")
        check(f"jacobian row {r}", J[r, :, r], np.eye(6)[perm])


def test_sort_nans_go_last_in_input_order():
    x = np.array([np.nan, 1.0, np.nan, 0.0])
    y = tg.sort(tg.array(x))
    np.testing.assert_array_equal(y.asnumpy(), np.sort(x))
    check("gradient", grad_of(tg.sort, x, np.array([1.0, 2.0, 3.0, 4.0])), [3, 2, 4, 1])


def test_partition_gradient_follows_argpartition():
    """Each input element reaches exactly one output place: the one
    np.argpartition gives it (tied elements too), never two."""
    for kth in (0, 2, 3, 5, (1, 4)):
        y = tg.partition(tg.array(XT), kth)
        np.testing.assert_array_equal(y.asnumpy(), np.partition(XT, kth))
        perm = np.argpartition(XT, kth)
        want = np.zeros(6)
        want[perm] = WT
        check(f"partition gradient kth={kth}", grad_of(lambda t: tg.partition(t, kth), XT, WT),
              want)
        assert sorted(want) == sorted(WT)


def test_unique_gradient_goes_to_the_first_occurrence():
    x = np.array([3.0, 1.0, 3.0, 2.0, 1.0])
    vals, first, inv, counts = tg.unique(tg.array(x), return_index=True, return_inverse=True,
                                         return_counts=True)
    np.testing.assert_array_equal(vals.asnumpy(), [1.0, 2.0, 3.0])
    for got, want in zip((first, inv, counts), np.unique(x, return_index=True,
                                                          return_inverse=True,
                                                          return_counts=True)[1:]):
        assert type(got) is np.ndarray
        np.testing.assert_array_equal(got, want)
    check("gradient", grad_of(tg.unique, x, np.array([1.0, 10.0, 100.0])),
          [100.0, 1.0, 0.0, 10.0, 0.0])


def test_jax_agrees_at_ties():
    jax = jax64()
    jnp = jax.numpy
    g = jax.grad(lambda z: jnp.sum(jnp.sort(z) * WT))(jnp.asarray(XT))
    check("sort gradient vs jax", grad_of(tg.sort, XT, WT), np.asarray(g))
    x = np.array([3.0, 1.0, 3.0, 2.0, 1.0])
    w = np.array([1.0, 10.0, 100.0])
    g = jax.grad(lambda z: jnp.sum(jnp.unique(z, size=3) * w))(jnp.asarray(x))
    check("unique gradient vs jax", grad_of(tg.unique, x, w), np.asarray(g))


# ---- integer and boolean results: plain arrays, never recorded -------------------------------
def test_integer_functions_return_plain_arrays():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4))
    x = tg.array(a)
    x.attach_grad()
    s = np.sort(a[0])
    with autograd.record():
        y = x * 2.0
        cases = [
            (tg.argsort(y), np.argsort(2 * a)),
            (tg.argsort(y, axis=0, kind="stable"), np.argsort(2 * a, axis=0, kind="stable")),
            (y.argsort(), np.argsort(2 * a)),
            (tg.argpartition(y, 1), np.argpartition(2 * a, 1)),
            (y.argpartition(2, axis=0), np.argpartition(2 * a, 2, axis=0)),
            (tg.searchsorted(tg.array(s), y[1]), np.searchsorted(s, 2 * a[1])),
            (tg.array(s).searchsorted(y[1], side="right"), np.searchsorted(s, 2 * a[1], "right")),
            (tg.flatnonzero(y > 0), np.flatnonzero(a > 0)),
            (tg.flatnonzero(y), np.flatnonzero(a)),
            (tg.argwhere(y > 0), np.argwhere(a > 0)),
        ]
        nz = [(tg.nonzero(y > 0), np.nonzero(a > 0)), (y.nonzero(), np.nonzero(a)),
              (tg.where(y > 0), np.where(a > 0))]
    for got, want in cases:
        assert type(got) is np.ndarray, type(got)
        np.testing.assert_array_equal(got, want)
    for got, want in nz:
        assert type(got) is tuple and all(type(g) is np.ndarray for g in got)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_where_needs_both_branches_or_neither():
    with pytest.raises(ValueError, match="both or neither"):
        tg.where(np.array([True]), tg.array([1.0]))


# ---- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("call, exc, match", [
    (lambda x: tg.take(x, [1.5]), TypeError, "integers"),
    (lambda x: tg.take(x, [1], mode="nope"), ValueError, "mode"),
    (lambda x: tg.take(x, [9]), IndexError, "index 9 is out of bounds"),
    (lambda x: tg.take_along_axis(x, IDX32, 1), IndexError, "shape mismatch: indices of shape"),
    (lambda x: tg.take_along_axis(x, IDX * 2, 1), IndexError, "index 4 is out of bounds"),
    (lambda x: tg.take_along_axis(x, -IDX - 2, 1), IndexError, "index -4 is out of bounds"),
    (lambda x: tg.take(x, [1], out=x), TypeError, "out="),
    (lambda x: tg.take(x, tg.array([1.0])), TypeError, "float tensor"),
    (lambda x: tg.take_along_axis(x, np.array([0, 1]), 1), ValueError, "same number"),
    (lambda x: tg.take_along_axis(x, np.zeros((1, 1), int), None), ValueError, "1-d"),
    (lambda x: tg.diag(x[None]), ValueError, "1- or 2-d"),
    (lambda x: tg.diagonal(x[0]), ValueError, "at least two"),
    (lambda x: tg.diagonal(x, 0, 1, -1), ValueError, "cannot be the same"),
    (lambda x: tg.tril(x[0, 0]), ValueError, "at least 1-d"),
    (lambda x: tg.sort(x, order="f"), ValueError, "structured"),
    (lambda x: tg.sort(x, axis=2), np.exceptions.AxisError, "sort"),
    (lambda x: tg.compress(np.ones((2, 2)), x), ValueError, "1-d"),
    (lambda x: tg.select([x > 0], [x, x]), ValueError, "same length"),
    (lambda x: tg.select([], []), ValueError, "empty"),
    (lambda x: tg.select([np.ones(3)], [x]), TypeError, "boolean"),
    (lambda x: tg.choose(np.array([0, 2]), [x[0], x[1]]), ValueError, "invalid entry"),
    (lambda x: tg.choose(np.array([0]), [x], mode="x"), ValueError, "mode"),
])
def test_argument_errors(call, exc, match):
    x = tg.array(np.arange(6.0).reshape(2, 3))
    with pytest.raises(exc, match=match):
        call(x)


# ---- second oracles ---------------------------------------------------------------------------
# torch: lists as arrays, no 0-d masks, no negative slice steps, and
# integers next to a split advanced index stay in place (NumPy moves them to
# the front with the rest)
TORCH_INDEXES = [(n, np.asarray(ix) if isinstance(ix, list) else ix, s) for n, ix, s in INDEXES
                 if n != "nested_tuple" and "0d" not in n and "step" not in n
                 and n not in ("ellipsis_only", "mask_all_false", "split_int_array",
                               "split_bool_scalar", "mixed_all")]
# JAX (slow to compile each index): a representative subset, with the kinds
# torch cannot check
JAX_INDEXES = [c for c in INDEXES if c[0] in (
    "neg_step", "none", "array_neg_repeat", "arrays_broadcast", "split_by_slice",
    "split_int_array", "split_bool_scalar", "mask", "mask_middle", "mixed_all")]


def _torch_index(torch, ix):
    if isinstance(ix, tuple):
        return tuple(_torch_index(torch, i) for i in ix)
    if isinstance(ix, np.ndarray):
        return torch.from_numpy(ix)
    if isinstance(ix, list):
        return torch.tensor(ix)
    return ix


@pytest.mark.parametrize("name, ix, shape", JAX_INDEXES, ids=[c[0] for c in JAX_INDEXES])
def test_getitem_against_jax(name, ix, shape):
    jax = jax64()
    jnp = jax.numpy
    x = np.random.default_rng(4).standard_normal(shape)
    y = tg.array(x)[ix]
    want = jnp.asarray(x)[ix]
    check(f"{name}: value vs jax", y, np.asarray(want))
    w = np.random.default_rng(5).standard_normal(y.shape)
    g = jax.grad(lambda z: jnp.sum(z[ix] * w))(jnp.asarray(x))
    check(f"{name}: gradient vs jax", grad_of(lambda t: t[ix], x, w), np.asarray(g))


@pytest.mark.parametrize("name, ix, shape", TORCH_INDEXES, ids=[c[0] for c in TORCH_INDEXES])
def test_getitem_against_torch(name, ix, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal(shape)
    y = tg.array(x)[ix]
    xt = torch.tensor(x, requires_grad=True)
    yt = xt[_torch_index(torch, ix)]
    check(f"{name}: value vs torch", y, yt.detach().numpy())
    w = np.random.default_rng(5).standard_normal(y.shape)
    (yt * torch.tensor(w)).sum().backward()
    check(f"{name}: gradient vs torch", grad_of(lambda t: t[ix], x, w), xt.grad.numpy())


FUNCTION_ORACLES = [
    ("sort", lambda x: tg.sort(x, 0), lambda j, x: j.sort(x, 0),
     lambda t, x: t.sort(x, dim=0, stable=True)[0]),
    ("take_along_axis", lambda x: tg.take_along_axis(x, IDX32, 1),
     lambda j, x: j.take_along_axis(x, IDX32, 1), lambda t, x: t.take_along_dim(
         x, t.from_numpy(IDX32 % 3), 1)),
    ("take", lambda x: tg.take(x, IDX, axis=1), lambda j, x: j.take(x, IDX, axis=1),
     lambda t, x: x[:, t.from_numpy(IDX)]),
    ("diagonal", lambda x: tg.diagonal(x, 1), lambda j, x: j.diagonal(x, 1),
     lambda t, x: t.diagonal(x, 1)),
    ("tril", lambda x: tg.tril(x, -1), lambda j, x: j.tril(x, -1), lambda t, x: t.tril(x, -1)),
    ("triu", lambda x: tg.triu(x, 1), lambda j, x: j.triu(x, 1), lambda t, x: t.triu(x, 1)),
    ("diag", lambda x: tg.diag(x[0], 1), lambda j, x: j.diag(x[0], 1),
     lambda t, x: t.diag(x[0], 1)),
    ("partition", lambda x: tg.partition(x, 1), lambda j, x: j.partition(x, 1), None),
    ("select", lambda x: tg.select([x > 0, x < -0.5], [x, 2 * x], 1.0),
     lambda j, x: j.select([x > 0, x < -0.5], [x, 2 * x], 1.0), None),
    ("choose", lambda x: tg.choose(IDX % 2, [x[0], x[1]]),
     lambda j, x: j.choose(IDX % 2, [x[0], x[1]]), None),
]


@pytest.mark.parametrize("case", FUNCTION_ORACLES, ids=[c[0] for c in FUNCTION_ORACLES])
def test_functions_against_jax(case):
    jax = jax64()
    jnp = jax.numpy
    name, f, fj, _ = case
    x = np.random.default_rng(8).standard_normal((3, 3))
    y = f(tg.array(x))
    check(f"{name}: value vs jax", y, np.asarray(fj(jnp, jnp.asarray(x))))
    w = np.random.default_rng(9).standard_normal(y.shape)
    g = jax.grad(lambda z: jnp.sum(fj(jnp, z) * w))(jnp.asarray(x))
    check(f"{name}: gradient vs jax", grad_of(f, x, w), np.asarray(g), x=x)


@pytest.mark.parametrize("case", [c for c in FUNCTION_ORACLES if c[3] is not None],
                         ids=[c[0] for c in FUNCTION_ORACLES if c[3] is not None])
def test_functions_against_torch(case):
    torch = pytest.importorskip("torch")
    name, f, _, ft = case
    x = np.random.default_rng(8).standard_normal((3, 3))
    y = f(tg.array(x))
    xt = torch.tensor(x, requires_grad=True)
    yt = ft(torch, xt)
    check(f"{name}: value vs torch", y, yt.detach().numpy())
    w = np.random.default_rng(9).standard_normal(y.shape)
    (yt * torch.tensor(w)).sum().backward()
    check(f"{name}: gradient vs torch", grad_of(f, x, w), xt.grad.numpy(), x=x)
