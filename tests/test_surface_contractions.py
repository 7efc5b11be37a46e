"""The NumPy surface: contractions (einsum, dot for N-D operands, vdot, inner,
tensordot, kron, cross, trace, outer, matmul) through the shared checks of
surface.py; then einsum's reverse rule and batching at repeated labels,
ellipses and broadcast (size-1) labels, its optimize paths, the argument
errors, and torch/JAX as second oracles."""
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.ops import REGISTRY, contractions
from tapegrad.ops.batching import Batched

from oracles import jax64
from surface import Spec, check_all


def es(spec, **kw):
    """An einsum spec's tapegrad and NumPy functions."""
    return (lambda *xs: tg.einsum(spec, *xs, **kw)), (lambda *xs: np.einsum(spec, *xs))


def cross2(fn):
    """np.cross of 2-vectors warns (deprecated in NumPy 2.0): so does tg.cross."""
    def f(*xs, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return fn(*xs, **kw)
    return f


def np_cross2(a, b):
    """NumPy's cross of 2-vectors (deprecated in 2.0, removed in 2.5) as the
    cross of the vectors padded with a zero z: the z component alone when
    both are 2-vectors, as NumPy gave it."""
    def pad(v):
        return np.concatenate([v, np.zeros(v.shape[:-1] + (1,), v.dtype)], axis=-1) \
            if v.shape[-1] == 2 else v
    r = np.cross(pad(a), pad(b))
    return r[..., 2] if a.shape[-1] == b.shape[-1] == 2 else r


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)], {}),
    ("ij,jk", [(2, 3), (3, 4)], {"optimize": True}),
    ("ij->ji", [(2, 3)], {}),
    ("ij->", [(2, 3)], {}),
    ("ij->j", [(2, 3)], {}),
    ("i,i", [(4,), (4,)], {}),
    ("i,j->ij", [(3,), (2,)], {}),
    ("ii->i", [(3, 3)], {}),                                 # diagonal
    ("ii", [(3, 3)], {}),                                    # trace (implicit)
    ("iij->ji", [(2, 2, 3)], {}),                            # diagonal of two axes
    ("iji->", [(2, 3, 2)], {}),
    ("ii,i->i", [(3, 3), (3,)], {"optimize": True}),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)], {}),   # ellipsis broadcast
    ("...ij,...jk", [(2, 3, 4), (4, 2)], {"optimize": "optimal"}),
    ("i...->...", [(3, 2, 2)], {}),
    ("ij,ij->ij", [(2, 1), (2, 3)], {}),                     # size-1 label broadcast
    ("i,i->", [(3,), (1,)], {}),
    (",i->i", [(), (3,)], {}),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)], {"optimize": True}),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], {"optimize": True}),   # 3-operand path
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], {}),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 2), (2, 4), (4, 2)], {"optimize": "greedy"}),
    ("ijk,ikl,l->j", [(2, 3, 2), (2, 2, 3), (3,)], {"optimize": True}),
    ("Ab,bA->", [(2, 3), (3, 2)], {}),
]

SPECS = [Spec(f"einsum.{s}" + (f".opt={kw['optimize']}" if kw else ""), *es(s, **kw), shapes)
         for s, shapes, kw in EINSUMS]

SPECS += [
    Spec("einsum.interleaved", lambda a, b: tg.einsum(a, [0, 1], b, [1, 2], [0, 2]),
         lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), [(2, 3), (3, 2)]),
    Spec("einsum.interleaved_ellipsis", lambda a: tg.einsum(a, [Ellipsis, 30]),
         lambda a: np.einsum(a, [Ellipsis, 30]), [(2, 3)]),
    Spec("einsum.path", lambda a, b, c: tg.einsum(
        "ij,jk,kl->il", a, b, c, optimize=np.einsum_path(
            "ij,jk,kl->il", np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 2)))[0]),
        lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c), [(2, 3), (3, 4), (4, 2)]),
    # dot: NumPy's semantics for every rank
    Spec("dot.0d", tg.dot, np.dot, [(), (2, 3)]),
    Spec("dot.1d", tg.dot, np.dot, [(3,), (3,)]),
    Spec("dot.2d", tg.dot, np.dot, [(2, 3), (3, 4)]),
    Spec("dot.3d_3d", tg.dot, np.dot, [(2, 3, 4), (2, 4, 3)]),
    Spec("dot.3d_2d", tg.dot, np.dot, [(2, 3, 4), (4, 2)]),
    Spec("dot.1d_3d", tg.dot, np.dot, [(4,), (2, 4, 3)]),
    Spec("dot.3d_1d", tg.dot, np.dot, [(2, 3, 4), (4,)]),
    Spec("dot.2d_4d", tg.dot, np.dot, [(2, 3), (2, 1, 3, 2)]),
    Spec("dot.method", lambda a, b: a.dot(b), np.dot, [(2, 2, 3), (3, 2)]),
    Spec("vdot", tg.vdot, np.vdot, [(2, 3), (3, 2)]),
    Spec("vdot.1d", tg.vdot, np.vdot, [(4,), (4,)]),
    Spec("inner", tg.inner, np.inner, [(2, 3), (4, 3)]),
    Spec("inner.nd", tg.inner, np.inner, [(2, 2, 3), (3,)]),
    Spec("inner.0d", tg.inner, np.inner, [(), (3,)]),
    Spec("tensordot", tg.tensordot, np.tensordot, [(2, 3, 4), (3, 4, 2)]),
    Spec("tensordot.axes0", lambda a, b: tg.tensordot(a, b, 0),
         lambda a, b: np.tensordot(a, b, 0), [(2, 3), (2,)]),
    Spec("tensordot.axes1", lambda a, b: tg.tensordot(a, b, axes=1),
         lambda a, b: np.tensordot(a, b, axes=1), [(2, 3), (3, 2)]),
    Spec("tensordot.pairs", lambda a, b: tg.tensordot(a, b, axes=([0, 2], [2, 1])),
         lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 1])), [(2, 3, 4), (3, 4, 2)]),
    Spec("tensordot.neg_int_pair", lambda a, b: tg.tensordot(a, b, axes=(-1, 0)),
         lambda a, b: np.tensordot(a, b, axes=(-1, 0)), [(2, 3), (3, 4)]),
    Spec("tensordot.full", lambda a, b: tg.tensordot(a, b, axes=2),
         lambda a, b: np.tensordot(a, b, axes=2), [(2, 3), (2, 3)]),
    Spec("kron", tg.kron, np.kron, [(2,), (3,)]),
    Spec("kron.2d", tg.kron, np.kron, [(2, 2), (3, 2)]),
    Spec("kron.mixed", tg.kron, np.kron, [(2,), (2, 3)]),
    Spec("kron.0d", tg.kron, np.kron, [(), (2, 2)]),
    Spec("cross", tg.cross, np.cross, [(3,), (3,)]),
    Spec("cross.batch", tg.cross, np.cross, [(4, 3), (1, 3)]),
    Spec("cross.axes", lambda a, b: tg.cross(a, b, axisa=0, axisb=1, axisc=0),
         lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0), [(3, 2), (2, 3)]),
    Spec("cross.axis", lambda a, b: tg.cross(a, b, axis=1),
         lambda a, b: np.cross(a, b, axis=1), [(2, 3, 2), (2, 3, 2)]),
    Spec("cross.2d", cross2(tg.cross), np_cross2, [(2,), (2,)]),
    Spec("cross.2d_3d", cross2(tg.cross), np_cross2, [(2, 2), (2, 3)]),
    Spec("cross.3d_2d", cross2(tg.cross), np_cross2, [(3,), (2,)]),
    Spec("trace", tg.trace, np.trace, [(3, 3)]),
    Spec("trace.rect", tg.trace, np.trace, [(2, 4)]),
    Spec("trace.offset", lambda a: tg.trace(a, 1), lambda a: np.trace(a, 1), [(3, 4)]),
    Spec("trace.neg_offset", lambda a: tg.trace(a, offset=-2), lambda a: np.trace(a, -2),
         [(4, 3)]),
    Spec("trace.offset_outside", lambda a: tg.trace(a, offset=5),
         lambda a: np.trace(a, offset=5), [(2, 3)]),
    Spec("trace.axes", lambda a: tg.trace(a, axis1=2, axis2=0), lambda a: np.trace(a, 0, 2, 0),
         [(3, 2, 3)]),
    Spec("trace.3d", lambda a: tg.trace(a, -1, axis1=1, axis2=-1),
         lambda a: np.trace(a, -1, 1, -1), [(2, 3, 3)]),
    Spec("trace.method", lambda a: a.trace(), np.trace, [(2, 2, 3)]),
    Spec("outer.nd", tg.outer, np.outer, [(2, 2), (3,)]),
    Spec("matmul", tg.matmul, np.matmul, [(2, 2, 3), (3, 2)]),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)


# ---- einsum: subscripts, paths, errors ------------------------------------------------
@pytest.mark.parametrize("spec, shapes, want", [
    ("ij,jk", [(2, 3), (3, 4)], "ij,jk->ik"),
    ("ba", [(2, 3)], "ba->ab"),
    ("Ba", [(2, 3)], "Ba->Ba"),                 # NumPy sorts by code point: 'B' < 'a'
    ("ii", [(3, 3)], "ii->"),
    ("...ij,...jk", [(5, 2, 3), (3, 4)], "Aij,jk->Aik"),
    ("i...,i...", [(2, 3), (2, 1)], "iA,iA->A"),
    ("a...->...a", [(2,)], "a->a"),
    (" i j , j k -> i k ", [(2, 3), (3, 4)], "ij,jk->ik"),
])
def test_einsum_subscripts_normalise_as_numpy(spec, shapes, want):
    assert contractions.parse_subscripts(spec, shapes) == want
    arrays = [np.ones(s) for s in shapes]
    assert tg.einsum(spec, *arrays).shape == np.einsum(spec, *arrays).shape


@pytest.mark.parametrize("args, exc, match", [
    (("ij,jk", np.ones((2, 3))), ValueError, "2 operand"),
    (("ijk", np.ones((2, 3))), ValueError, "subscripts 'ijk' name 3"),
    (("ij,jk", np.ones((2, 3)), np.ones((4, 2))), ValueError, "disagree on the size"),
    (("ii", np.ones((2, 3))), ValueError, "one size"),
    (("i->ii", np.ones(2)), ValueError, "more than once"),
    (("i->j", np.ones(2)), ValueError, "does not appear"),
    (("...i->i", np.ones((2, 3))), ValueError, "no '...' ellipsis"),
    (("i$", np.ones((2, 3))), ValueError, "invalid subscript"),
    (("i->i->i", np.ones(2)), ValueError, "more than one"),
])
def test_einsum_errors(args, exc, match):
    with pytest.raises(exc, match=match):
        tg.einsum(*args)


@pytest.mark.parametrize("kw, exc, match", [
    ({"out": np.zeros(2)}, TypeError, "out="),
    ({"dtype": np.int64}, TypeError, "dtype=int64"),
    ({"dtype": np.float32}, TypeError, "according to the rule 'safe'"),
    ({"optimize": "fastest"}, ValueError, "optimize="),
])
def test_einsum_keyword_errors(kw, exc, match):
    with pytest.raises(exc, match=match):
        tg.einsum("i->i", tg.array([1.0, 2.0]), **kw)


def test_einsum_dtype_and_casting():
    x = tg.array([1.0, 2.0])
    y = tg.einsum("i,i", x, x, dtype=np.float32, casting="same_kind")
    assert y.dtype == np.float32 and y.item() == 5.0
    z = tg.einsum("i->i", tg.array([1.0], dtype="float32"), dtype="float64")
    assert z.dtype == np.float64


def test_einsum_reverse_rule_is_einsum_with_the_same_path_machinery():
    a, b, c = (tg.array(np.random.default_rng(k).standard_normal(s))
               for k, s in enumerate([(4, 5), (5, 6), (6, 3)]))
    for x in (a, b, c):
        x.attach_grad()
    prim = REGISTRY["einsum"]
    with tg.autograd.record():
        y = tg.einsum("ij,jk,kl->il", a, b, c, optimize=True)
    contractions._PATHS.clear()
    y.backward(create_graph=True)
    # every gradient was one einsum with a cached greedy path over 3 operands
    assert {k[2] for k in contractions._PATHS} == {"greedy"}
    assert sorted(k[0] for k in contractions._PATHS) == sorted(
        ["il,jk,kl->ij", "il,ij,kl->jk", "il,ij,jk->kl"])
    assert all(x.grad._tape is not None for x in (a, b, c))     # recorded: differentiable
    assert prim.name == "einsum"
    assert np.allclose(a.grad.asnumpy(), np.ones((4, 3)) @ (b.asnumpy() @ c.asnumpy()).T)


def test_einsum_path_is_cached_per_shapes():
    contractions._PATHS.clear()
    a = np.ones((3, 4))
    for _ in range(3):
        tg.einsum("ij,jk,kl->il", a, a.T, a, optimize=True)
    assert len(contractions._PATHS) == 1
    tg.einsum("ij,jk,kl->il", a[:2], a.T, a, optimize=True)
    assert len(contractions._PATHS) == 2


def test_einsum_diagonal_gradient_is_exact():
    g = tg.grad(lambda x: tg.einsum("ii->", x))(tg.array(np.ones((3, 3)) * 2.0))
    assert np.array_equal(g.asnumpy(), np.eye(3))
    x = np.arange(12.0).reshape(2, 2, 3)
    g = tg.grad(lambda t: (tg.einsum("iij->j", t) * tg.array([1.0, 2.0, 3.0])).sum())(
        tg.array(x))
    want = np.zeros((2, 2, 3))
    want[0, 0] = want[1, 1] = [1.0, 2.0, 3.0]
    assert np.array_equal(g.asnumpy(), want)


def test_einsum_batching_rule_adds_a_leading_label():
    prim = REGISTRY["einsum"]
    assert prim.batch is contractions._einsum_batch
    a = Batched(np.arange(24.0).reshape(2, 3, 4))             # 2 examples of (3, 4)
    b = np.ones((4, 5))
    r = contractions._einsum_batch((a, b), {"spec": "ij,jk->ik", "optimize": "greedy"})
    assert isinstance(r, Batched) and r.v.shape == (2, 3, 5)
    assert np.array_equal(r.v, np.einsum("bij,jk->bik", a.v, b))
    bt = Batched(np.ones((2, 5)))
    r = contractions._einsum_batch((a, b, bt), {"spec": "ij,jk,k->i", "optimize": False})
    assert np.array_equal(r.v, np.einsum("bij,jk,bk->bi", a.v, b, bt.v))


def test_einsum_jacobian_in_both_modes():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    want = np.einsum("ik,jl->ijkl", np.eye(3), b.T)        # d(ab)_ij / d a_kl
    for mode in ("rev", "fwd"):
        J = tg.jacobian(lambda x: tg.einsum("ij,jk->ik", x, b, optimize=True), mode=mode)(
            tg.array(a))
        assert np.allclose(J.asnumpy(), want, rtol=0, atol=1e-14)


def test_einsum_second_order_through_a_diagonal():
    # f(x) = sum_i (x_ii)^2 * x_i0: the Hessian is exact polynomial algebra
    def f(x):
        d = tg.einsum("ii->i", x)
        return tg.einsum("i,i,i->", d, d, x[:, 0])
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    H = tg.hessian(f)(tg.array(x)).asnumpy().reshape(4, 4)
    # variables: x00, x01, x10, x11; f = x00^3 + x11^2 x10
    want = np.zeros((4, 4))
    want[0, 0] = 6 * x[0, 0]
    want[3, 3] = 2 * x[1, 0]
    want[2, 3] = want[3, 2] = 2 * x[1, 1]
    assert np.allclose(H, want, rtol=0, atol=1e-12)


# ---- dot and friends: shapes and errors ------------------------------------------------
def test_dot_nd_matches_numpy_shapes():
    for sa, sb in [((2, 3, 4), (5, 4, 6)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)), ((), (3,))]:
        a, b = np.ones(sa), np.ones(sb)
        assert tg.dot(a, b).shape == np.dot(a, b).shape


@pytest.mark.parametrize("call, exc, match", [
    (lambda: tg.dot(np.ones(3), np.ones(4)), ValueError, "do not align"),
    (lambda: tg.dot(np.ones((2, 3, 4)), np.ones((2, 3, 4))), ValueError, "shape-mismatch"),
    (lambda: tg.dot(np.ones(3), np.ones(3), out=np.zeros(())), TypeError, "out="),
    (lambda: tg.vdot(np.ones(3), np.ones(4)), ValueError, "different sizes"),
    (lambda: tg.tensordot(np.ones((2, 3)), np.ones((2, 3)), axes=3), ValueError, "axes=3"),
    (lambda: tg.tensordot(np.ones(2), np.ones(2), axes="x"), TypeError, "axes must be"),
    (lambda: tg.cross(np.ones(4), np.ones(3)), ValueError, "must be 2 or 3"),
    (lambda: tg.trace(np.ones(3)), ValueError, "at least 2 dimensions"),
    (lambda: tg.trace(np.ones((2, 2)), axis1=1, axis2=1), ValueError, "cannot be the same"),
    (lambda: tg.trace(np.ones((2, 2)), out=np.zeros(())), TypeError, "out="),
])
def test_contraction_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_tg_trace_is_numpys_trace_and_evaluation_trace_stays():
    assert tg.trace(tg.array(np.eye(3))).item() == 3.0
    assert tg.trace is tg.Tensor.trace
    assert callable(tg.evaluation_trace)
    assert abs(tg.evaluation_trace(lambda x: tg.log(x) * x, 2.0).output - 2 * np.log(2)) < 1e-15


def test_empty_operands_contract_to_zeros_with_zero_gradients():
    a, b = tg.array(np.ones((0, 3))), tg.array(np.ones((3, 2)))
    for x in (a, b):
        x.attach_grad()
    with tg.autograd.record():
        y = tg.einsum("ij,jk->ik", a, b, optimize=True)
        s = y.sum() + tg.einsum("ij->", a) + tg.dot(a, b).sum()
    s.backward()
    assert y.shape == (0, 2) and a.grad.shape == (0, 3)
    assert np.array_equal(b.grad.asnumpy(), np.zeros((3, 2)))
    assert np.array_equal(tg.tensordot(np.ones((2, 0)), np.ones((0, 3)), 1).asnumpy(),
                          np.zeros((2, 3)))
    assert tg.trace(np.ones((0, 0))).item() == 0.0
    assert tg.kron(np.ones(0), np.ones(2)).shape == (0,)


def test_cross_of_2_vectors_warns_as_numpy():
    with pytest.warns(DeprecationWarning, match="2-dimensional vectors"):
        assert tg.cross(np.array([1.0, 0.0]), np.array([0.0, 1.0])).item() == 1.0


# ---- torch and JAX as second oracles ---------------------------------------------------
TORCH_CASES = [
    ("einsum.chain", lambda m, a, b, c: m.einsum("ij,jk,kl->il", a, b, c),
     [(3, 4), (4, 5), (5, 2)]),
    ("einsum.diag", lambda m, a, b: m.einsum("ii,ij->j", a, b), [(3, 3), (3, 2)]),
    ("tensordot", lambda m, a, b: m.tensordot(a, b, ([1, 2], [0, 1])), [(2, 3, 4), (3, 4, 2)]),
    ("kron", lambda m, a, b: m.kron(a, b), [(2, 3), (2, 2)]),
    ("cross", lambda m, a, b: m.cross(a, b, dim=-1) if m is not tg else m.cross(a, b),
     [(4, 3), (4, 3)]),
    ("trace", lambda m, a: m.trace(a), [(3, 4)]),
    ("inner", lambda m, a, b: m.inner(a, b), [(2, 3), (4, 3)]),
]


@pytest.mark.parametrize("name, fn, shapes", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_gradients_match_torch(name, fn, shapes):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in shapes]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    yt = fn(torch, *ts)
    head = rng.standard_normal(tuple(yt.shape))
    (yt * torch.tensor(head)).sum().backward()
    nums = tuple(range(len(arrays)))
    gs = tg.grad(lambda *xs: (fn(tg, *xs) * head).sum(), argnums=nums)(
        *[tg.array(a) for a in arrays])
    for g, t in zip(gs, ts):
        assert np.allclose(g.asnumpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12), name


JAX_CASES = [
    ("einsum.ellipsis", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b),
     [(2, 1, 3, 4), (5, 4, 2)]),
    ("einsum.implicit_trace", lambda m, a: m.einsum("iij", a), [(3, 3, 2)]),
    ("dot.nd", lambda m, a, b: m.dot(a, b), [(2, 3, 4), (2, 4, 3)]),
    ("vdot", lambda m, a, b: m.vdot(a, b), [(2, 3), (6,)]),
    ("trace.offset", lambda m, a: m.trace(a, offset=-1, axis1=1, axis2=2), [(2, 4, 3)]),
    ("cross.axes", lambda m, a, b: m.cross(a, b, axisa=0, axisb=0, axisc=0), [(3, 2), (3, 2)]),
]


@pytest.mark.parametrize("name, fn, shapes", JAX_CASES, ids=[c[0] for c in JAX_CASES])
def test_jacobians_match_jax(name, fn, shapes):
    jax = jax64()
    jnp = jax.numpy
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s) for s in shapes]
    nums = tuple(range(len(arrays)))
    want = jax.jacrev(lambda *xs: fn(jnp, *xs), argnums=nums)(*map(jnp.asarray, arrays))
    got = tg.jacobian(lambda *xs: fn(tg, *xs), argnums=nums)(*[tg.array(a) for a in arrays])
    for g, w in zip(got, want):
        assert np.allclose(g.asnumpy(), np.asarray(w), rtol=1e-12, atol=1e-13), name
