"""tg.linalg through the shared surface checks (tests/surface.py), then
torch.linalg and jax.numpy.linalg as second oracles, then the documented
behaviour at near-degenerate and degenerate inputs.

Each function is written once against a library ``L`` (NumPy or tapegrad:
both have ``L.linalg.inv``, ``L.matmul``, ``L.swapaxes``...): the oracle is
the NumPy instance.  Decompositions whose factors are unique only up to sign
(eigh, svd) are compared after fixing the sign of each vector by a NumPy
constant, which does not change under the small perturbations of the finite
differences."""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

from oracles import jax64
from surface import Spec, check_all

LinAlgError = np.linalg.LinAlgError


# ---- domains -----------------------------------------------------------------------
def square(rng, shape):
    """Well-conditioned square matrices (stacks)."""
    return rng.uniform(-1, 1, shape) + 2.0 * np.eye(shape[-1])


def general(rng, shape):
    return rng.uniform(-1, 1, shape)


def T(L, x):
    return L.swapaxes(x, -1, -2)


def spd(L, x):
    """x x^T + n I: symmetric positive definite, from any square x."""
    n = x.shape[-1]
    eye = np.eye(n, dtype=np.float32 if "32" in str(x.dtype) else np.float64)
    if isinstance(L, _TorchL):
        eye = L.t.as_tensor(eye)
    return L.matmul(x, T(L, x)) + n * eye


def sym(L, x):
    return x + T(L, x)


def flat(L, *parts):
    """The outputs of a decomposition as one array (stack axes kept)."""
    lead = parts[0].shape[:-2] if parts[0].ndim >= 2 else parts[0].shape[:-1]
    return L.concatenate([L.reshape(p, tuple(lead) + (-1,)) for p in parts], axis=-1)


def gauge(v):
    """+-1 per column: the sign of its first entry (a NumPy constant)."""
    return np.sign(np.asarray(v)[..., :1, :])


def eigh_f(L, x, UPLO="L"):
    w, v = L.linalg.eigh(sym(L, x), UPLO)
    return flat(L, L.expand_dims(w, -1), v * gauge(v))


def svd_f(L, x):
    u, s, vh = L.linalg.svd(x, full_matrices=False)
    g = gauge(u)
    return flat(L, u * g, L.expand_dims(s, -1), vh * T(np, g))


def qr_f(L, x, mode="reduced"):
    q, r = L.linalg.qr(x, mode)
    return flat(L, q, r)


def lstsq_x(L, a, b):
    return L.linalg.lstsq(a, b)[0]


def lstsq_res(L, a, b):
    return L.linalg.lstsq(a, b)[1]


def _both(f):
    return (lambda *xs: f(tg, *xs)), (lambda *xs: f(np, *xs))


def S(name, f, shapes, **kw):
    fn, ref = _both(f)
    return Spec(name, fn, ref, shapes, **kw)


SPECS = [
    S("linalg.inv", lambda L, a: L.linalg.inv(a), [(3, 3)], domain=square),
    S("linalg.inv", lambda L, a: L.linalg.inv(a), [(2, 3, 3)], domain=square),
    S("linalg.solve.vec", lambda L, a, b: L.linalg.solve(a, b), [(3, 3), (3,)],
      domain=[square, general]),
    S("linalg.solve.mat", lambda L, a, b: L.linalg.solve(a, b), [(3, 3), (3, 2)],
      domain=[square, general]),
    S("linalg.solve.bcast", lambda L, a, b: L.linalg.solve(a, b), [(3, 3), (2, 3, 2)],
      domain=[square, general]),
    S("linalg.solve.stackvec", lambda L, a, b: L.linalg.solve(a, b), [(2, 3, 3), (3,)],
      domain=[square, general]),
    S("linalg.det", lambda L, a: L.linalg.det(a), [(3, 3)], domain=square),
    S("linalg.det", lambda L, a: L.linalg.det(a), [(2, 2, 2)], domain=square),
    S("linalg.slogdet", lambda L, a: L.linalg.slogdet(a)[1], [(2, 3, 3)], domain=square),
    S("linalg.slogdet.neg", lambda L, a: L.linalg.slogdet(-a)[1], [(3, 3)], domain=square),
    S("linalg.cholesky", lambda L, x: L.linalg.cholesky(spd(L, x)), [(3, 3)]),
    S("linalg.cholesky", lambda L, x: L.linalg.cholesky(spd(L, x)), [(2, 3, 3)]),
    S("linalg.cholesky.upper", lambda L, x: L.linalg.cholesky(spd(L, x), upper=True), [(3, 3)]),
    S("linalg.eigh", eigh_f, [(3, 3)]),
    S("linalg.eigh", eigh_f, [(2, 3, 3)]),
    S("linalg.eigh.U", lambda L, x: eigh_f(L, x, "U"), [(4, 4)]),
    S("linalg.eigvalsh", lambda L, x: L.linalg.eigvalsh(sym(L, x)), [(2, 3, 3)]),
    S("linalg.svd", svd_f, [(3, 3)]),
    S("linalg.svd.tall", svd_f, [(4, 2)]),
    S("linalg.svd.wide", svd_f, [(2, 4)]),
    S("linalg.svd", svd_f, [(2, 3, 2)]),
    S("linalg.svd.full_square", lambda L, x: L.linalg.svd(x)[0] * gauge(L.linalg.svd(x)[0]),
      [(3, 3)]),
    S("linalg.svd.full_s", lambda L, x: L.linalg.svd(x)[1], [(4, 2)]),
    S("linalg.svd.no_uv", lambda L, x: L.linalg.svd(x, compute_uv=False), [(2, 4, 3)]),
    S("linalg.svdvals", lambda L, x: L.linalg.svdvals(x), [(3, 4)]),
    S("linalg.qr", qr_f, [(3, 3)]),
    S("linalg.qr.tall", qr_f, [(4, 2)]),
    S("linalg.qr.wide", qr_f, [(2, 4)]),
    S("linalg.qr", qr_f, [(2, 3, 2)]),
    S("linalg.qr.complete", lambda L, x: qr_f(L, x, "complete"), [(3, 3)]),
    S("linalg.qr.complete_r", lambda L, x: L.linalg.qr(x, "complete")[1], [(4, 2)]),
    S("linalg.qr.r", lambda L, x: L.linalg.qr(x, "r"), [(4, 3)]),
    S("linalg.pinv", lambda L, a: L.linalg.pinv(a), [(3, 3)], domain=square),
    S("linalg.pinv.tall", lambda L, a: L.linalg.pinv(a), [(4, 2)]),
    S("linalg.pinv.wide", lambda L, a: L.linalg.pinv(a), [(2, 3, 4)]),
    S("linalg.lstsq.x", lstsq_x, [(5, 3), (5,)]),
    S("linalg.lstsq.x2", lstsq_x, [(5, 3), (5, 2)]),
    S("linalg.lstsq.x_wide", lstsq_x, [(2, 4), (2,)]),
    S("linalg.lstsq.residuals", lstsq_res, [(5, 3), (5, 2)]),
    S("linalg.lstsq.s", lambda L, a, b: L.linalg.lstsq(a, b)[3], [(5, 3), (5,)]),
    S("linalg.matrix_power.3", lambda L, a: L.linalg.matrix_power(a, 3), [(3, 3)]),
    S("linalg.matrix_power.5", lambda L, a: L.linalg.matrix_power(a, 5), [(2, 2, 2)],
      domain=(-0.7, 0.7)),
    S("linalg.matrix_power.-2", lambda L, a: L.linalg.matrix_power(a, -2), [(3, 3)],
      domain=square),
    S("linalg.matrix_power.1", lambda L, a: L.linalg.matrix_power(a, 1), [(3, 3)]),
    S("linalg.multi_dot", lambda L, a, b, c, d: L.linalg.multi_dot([a, b, c, d]),
      [(3,), (3, 5), (5, 2), (2,)]),
    S("linalg.multi_dot", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]),
      [(4, 2), (2, 5), (5, 3)]),
    S("linalg.tensorsolve", lambda L, a, b: L.linalg.tensorsolve(a, b),
      [(2, 3, 6), (2, 3)], domain=[lambda r, s: square(r, (6, 6)).reshape(s), general]),
    S("linalg.tensorsolve.axes", lambda L, a, b: L.linalg.tensorsolve(a, b, axes=(0,)),
      [(6, 2, 3), (2, 3)],
      domain=[lambda r, s: np.ascontiguousarray(np.moveaxis(square(r, (6, 6)).reshape(2, 3, 6),
                                                            -1, 0)), general]),
    S("linalg.tensorinv", lambda L, a: L.linalg.tensorinv(a, ind=1), [(6, 2, 3)],
      domain=lambda r, s: square(r, (6, 6)).reshape(s)),
    S("linalg.norm", lambda L, x: L.linalg.norm(x), [(3, 4)]),
    S("linalg.norm.vec", lambda L, x: L.linalg.norm(x), [(5,)]),
    S("linalg.norm.axis", lambda L, x: L.linalg.norm(x, axis=1), [(3, 4)]),
    S("linalg.norm.keepdims", lambda L, x: L.linalg.norm(x, axis=0, keepdims=True), [(3, 4)]),
    S("linalg.norm.ord1", lambda L, x: L.linalg.norm(x, 1, axis=-1), [(2, 5)]),
    S("linalg.norm.ord3", lambda L, x: L.linalg.norm(x, 3, axis=-1), [(2, 5)]),
    S("linalg.norm.ord0.5", lambda L, x: L.linalg.norm(x, 0.5, axis=0), [(4, 2)]),
    S("linalg.norm.ord-1", lambda L, x: L.linalg.norm(x, -1), [(4,)], domain=(0.5, 2.0)),
    S("linalg.norm.inf", lambda L, x: L.linalg.norm(x, np.inf, axis=1), [(3, 4)]),
    S("linalg.norm.-inf", lambda L, x: L.linalg.norm(x, -np.inf), [(5,)]),
    S("linalg.norm.fro", lambda L, x: L.linalg.norm(x, "fro", axis=(0, 2)), [(3, 2, 4)]),
    S("linalg.norm.nuc", lambda L, x: L.linalg.norm(x, "nuc"), [(3, 4)]),
    S("linalg.norm.2", lambda L, x: L.linalg.norm(x, 2, axis=(2, 0)), [(3, 2, 4)]),
    S("linalg.norm.-2", lambda L, x: L.linalg.norm(x, -2, keepdims=True), [(4, 3)]),
    S("linalg.norm.m1", lambda L, x: L.linalg.norm(x, 1, axis=(1, 0)), [(3, 4)]),
    S("linalg.norm.m-1", lambda L, x: L.linalg.norm(x, -1), [(3, 4)]),
    S("linalg.norm.minf", lambda L, x: L.linalg.norm(x, np.inf, axis=(-1, -2),
                                                     keepdims=True), [(2, 3, 4)]),
    S("linalg.norm.m-inf", lambda L, x: L.linalg.norm(x, -np.inf), [(3, 4)]),
    S("linalg.vector_norm", lambda L, x: L.linalg.vector_norm(x, axis=(0, 2), ord=3),
      [(2, 3, 2)]),
    S("linalg.vector_norm.all", lambda L, x: L.linalg.vector_norm(x), [(2, 3)]),
    S("linalg.matrix_norm", lambda L, x: L.linalg.matrix_norm(x, ord="nuc"), [(2, 3, 3)]),
    S("linalg.cond", lambda L, x: L.linalg.cond(x), [(3, 3)], domain=square),
    S("linalg.cond.-2", lambda L, x: L.linalg.cond(x, -2), [(2, 4, 3)]),
    S("linalg.cond.1", lambda L, x: L.linalg.cond(x, 1), [(3, 3)], domain=square),
    S("linalg.cond.fro", lambda L, x: L.linalg.cond(x, "fro"), [(2, 3, 3)], domain=square),
    S("linalg.matrix_transpose", lambda L, x: L.linalg.matrix_transpose(x), [(2, 3, 4)]),
    S("linalg.vecdot", lambda L, a, b: L.linalg.vecdot(a, b, axis=0), [(3, 2), (3, 1)]),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)


# ---- results as NumPy gives them --------------------------------------------------
def test_named_results_and_plain_integers():
    a = square(np.random.default_rng(0), (3, 3))
    s = a + a.T
    w, v = r = tg.linalg.eigh(s)
    assert r.eigenvalues is w and r.eigenvectors is v
    np.testing.assert_array_equal(w.asnumpy(), np.linalg.eigh(s).eigenvalues)
    r = tg.linalg.svd(a)
    assert [type(t) for t in r] == [tg.Tensor] * 3 and r.S is r[1]
    assert tg.linalg.qr(a).R is not None and tg.linalg.slogdet(a).logabsdet is not None
    sign, lad = tg.linalg.slogdet(-np.eye(3))
    assert isinstance(sign, tg.Tensor) and float(sign) == -1.0 and float(lad) == 0.0
    rank = tg.linalg.matrix_rank(tg.array(a))
    assert not isinstance(rank, tg.Tensor) and rank == 3
    x, res, rk, sv = tg.linalg.lstsq(a, np.ones(3))
    ref = np.linalg.lstsq(a, np.ones(3))
    assert type(rk) is type(ref[2]) and rk == ref[2] and res.shape == ref[1].shape == (0,)
    assert tg.linalg.norm(tg.array([0.0, 2.0, 0.0]), 0).item() == 1.0
    np.testing.assert_array_equal(tg.linalg.matrix_power(a, 0).asnumpy(), np.eye(3))


def test_eigh_reads_one_triangle_as_numpy():
    a = general(np.random.default_rng(1), (2, 4, 4))
    for uplo in ("L", "U"):
        w, v = tg.linalg.eigh(a, UPLO=uplo)
        wn, vn = np.linalg.eigh(a, UPLO=uplo)
        np.testing.assert_array_equal(w.asnumpy(), wn)
        np.testing.assert_array_equal(tg.linalg.eigvalsh(a, uplo).asnumpy(),
                                      np.linalg.eigvalsh(a, uplo))
    with pytest.raises(ValueError, match="UPLO"):
        tg.linalg.eigh(a, UPLO="X")


def test_symmetric_gradient_convention():
    """eigh/eigvalsh/cholesky: the gradient is symmetric (derivative along
    symmetric perturbations), also for an input whose triangles differ."""
    rng = np.random.default_rng(2)
    a = spd(np, general(rng, (3, 3)))
    for f in (lambda x: tg.linalg.eigvalsh(x)[-1], lambda x: tg.linalg.cholesky(x).sum(),
              lambda x: (tg.linalg.eigh(x)[1] ** 2 * np.arange(9.0).reshape(3, 3)).sum()):
        g = tg.grad(f)(tg.array(a)).asnumpy()
        np.testing.assert_allclose(g, g.T, rtol=1e-12, atol=1e-14)
    # forward mode: a tangent counts by its symmetric part, as in JAX
    jax, jnp = _jax()
    t = general(rng, (3, 3))
    for f, jf in ((lambda x: tg.linalg.eigh(x)[1] ** 2, lambda x: jnp.linalg.eigh(x)[1] ** 2),
                  (lambda x: tg.linalg.eigvalsh(x), jnp.linalg.eigvalsh),
                  (tg.linalg.cholesky, jnp.linalg.cholesky)):
        _, got = tg.jvp(f, (tg.array(a),), (t,))
        _, sym_t = tg.jvp(f, (tg.array(a),), ((t + t.T) / 2,))
        np.testing.assert_allclose(got.asnumpy(), sym_t.asnumpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(got.asnumpy(), np.asarray(jax.jvp(jf, (a,), (t,))[1]),
                                   rtol=1e-10, atol=1e-12)


def test_errors():
    with pytest.raises(LinAlgError, match=r"linalg.inv .*Singular matrix"):
        tg.linalg.inv(np.ones((2, 2)))
    with pytest.raises(LinAlgError, match=r"linalg.solve .*Singular matrix"):
        tg.linalg.solve(np.ones((2, 2)), np.ones(2))
    with pytest.raises(LinAlgError, match=r"linalg.cholesky .*not positive definite"):
        tg.linalg.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(LinAlgError, match=r"square .*\(2, 3\)"):
        tg.linalg.det(np.ones((2, 3)))
    with pytest.raises(LinAlgError, match=r"shape \(3,\)"):
        tg.linalg.svd(np.ones(3))
    with pytest.raises(ValueError, match="do not fit"):
        tg.linalg.solve(np.eye(3), np.ones(2))
    with pytest.raises(ValueError, match="mode='raw'"):
        tg.linalg.qr(np.eye(3), mode="raw")
    with pytest.raises(ValueError, match="Invalid norm order"):
        tg.linalg.norm(np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match="Invalid norm order"):
        tg.linalg.norm(np.ones(2), "fro", axis=0)
    with pytest.raises(TypeError, match="integer"):
        tg.linalg.matrix_power(np.eye(2), 1.5)
    with pytest.raises(ValueError, match="rtol"):
        tg.linalg.pinv(np.eye(2), rcond=0.1, rtol=0.1)


def test_full_matrices_extra_columns():
    """U/Vh of a non-square full SVD (and Q of a tall complete QR) have extra
    columns that are not unique: a gradient reaching them raises (JAX refuses
    any derivative here); forward mode gives them NaN tangents; the unique
    part, and S (R), are differentiated as with full_matrices=False."""
    a = general(np.random.default_rng(3), (4, 2))
    x = tg.array(a)
    with pytest.raises(ValueError, match="full_matrices=False"):
        tg.grad(lambda a: tg.linalg.svd(a)[0].sum())(x)
    with pytest.raises(ValueError, match="full_matrices=False"):
        tg.grad(lambda a: tg.linalg.svd(a.T)[2].sum())(x)
    with pytest.raises(ValueError, match="mode='reduced'"):
        tg.grad(lambda a: tg.linalg.qr(a, "complete")[0].sum())(x)
    for full, thin in [(lambda a: tg.linalg.svd(a)[0][:, :2] ** 2,
                        lambda a: tg.linalg.svd(a, full_matrices=False)[0] ** 2),
                       (lambda a: tg.linalg.svd(a.T)[2][:2] ** 2,
                        lambda a: tg.linalg.svd(a.T, full_matrices=False)[2] ** 2),
                       (lambda a: tg.linalg.qr(a, "complete")[0][:, :2],
                        lambda a: tg.linalg.qr(a)[0]),
                       (lambda a: tg.linalg.qr(a, "complete")[1][:2],
                        lambda a: tg.linalg.qr(a)[1])]:
        np.testing.assert_allclose(tg.jacobian(full)(x).asnumpy(), tg.jacobian(thin)(x).asnumpy(),
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(tg.jacobian(full, mode="fwd")(x).asnumpy(),
                                   tg.jacobian(thin)(x).asnumpy(), rtol=1e-12, atol=1e-14)
    _, (tu, ts, tvh) = tg.jvp(lambda a: tuple(tg.linalg.svd(a)), (x,), (np.ones((4, 2)),))
    assert np.all(np.isnan(tu.asnumpy()[:, 2:])) and np.all(np.isfinite(tu.asnumpy()[:, :2]))
    assert np.all(np.isfinite(ts.asnumpy())) and np.all(np.isfinite(tvh.asnumpy()))
    _, (tq, tr) = tg.jvp(lambda a: tuple(tg.linalg.qr(a, "complete")), (x,), (np.ones((4, 2)),))
    assert np.all(np.isnan(tq.asnumpy()[:, 2:])) and np.all(tr.asnumpy()[2:] == 0)


def test_float32_stays_float32():
    a = square(np.random.default_rng(4), (3, 3)).astype(np.float32)
    for f in (tg.linalg.inv, tg.linalg.det, tg.linalg.pinv, tg.linalg.svdvals,
              lambda t: tg.linalg.eigh(t + t.T)[1], lambda t: tg.linalg.qr(t)[0],
              lambda t: tg.linalg.slogdet(t)[1], lambda t: tg.linalg.norm(t, "nuc")):
        x = tg.array(a)
        x.attach_grad()
        with autograd.record():
            y = f(x)
        y.backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32


# ---- second oracles ---------------------------------------------------------------------
def _torch_grad(f, a, head):
    torch = pytest.importorskip("torch")
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    y = f(torch, t)
    (y * torch.tensor(head)).sum().backward()
    return t.grad.numpy()


def _tg_grad(f, a, head):
    return tg.grad(lambda x: (f(tg, x) * head).sum())(tg.array(a)).asnumpy()


class _TorchL:
    """torch with NumPy's names, enough for the functions below."""

    def __init__(self, torch):
        self.t = torch
        self.linalg = self

    def __getattr__(self, name):
        return getattr(self.t.linalg, name)


TORCH_CASES = [
    ("inv", lambda L, x: L.linalg.inv(x), (2, 3, 3)),
    ("det", lambda L, x: L.linalg.det(x), (2, 3, 3)),
    ("slogdet", lambda L, x: L.linalg.slogdet(x)[1], (3, 3)),
    ("solve", lambda L, x: L.linalg.solve(x, x[..., :, :1] * 2.0 + 1.0), (2, 3, 3)),
    ("cholesky", lambda L, x: L.linalg.cholesky(spd(L, x)), (3, 3)),
    ("eigvalsh", lambda L, x: L.linalg.eigvalsh(sym(L, x)), (3, 3)),
    ("eigh", lambda L, x: L.linalg.eigh(sym(L, x))[1] ** 2, (3, 3)),
    ("svd", lambda L, x: L.linalg.svd(x, full_matrices=False)[0] ** 2, (4, 3)),
    ("svd_vh", lambda L, x: L.linalg.svd(x, full_matrices=False)[2] ** 2, (2, 4)),
    ("svdvals", lambda L, x: L.linalg.svdvals(x), (3, 4)),
    ("qr", lambda L, x: L.linalg.qr(x)[0] + 0.0, (4, 3)),
    ("pinv", lambda L, x: L.linalg.pinv(x), (4, 3)),
    ("matrix_norm2", lambda L, x: L.linalg.matrix_norm(x, ord=2), (3, 4)),
    ("vector_norm3", lambda L, x: L.linalg.vector_norm(x, ord=3, axis=-1), (3, 4)),
]


@pytest.mark.parametrize("name,f,shape", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_against_torch(name, f, shape):
    torch = pytest.importorskip("torch")
    L = _TorchL(torch)
    L.matmul, L.swapaxes = torch.matmul, torch.swapaxes
    rng = np.random.default_rng(len(name))
    a = (square if shape[-1] == shape[-2] else general)(rng, shape)
    head = rng.standard_normal(np.shape(f(np, a)))
    np.testing.assert_allclose(_tg_grad(f, a, head), _torch_grad(lambda _, t: f(L, t), a, head),
                               rtol=1e-9, atol=1e-11)


def _jax():
    jax = jax64()
    return jax, jax.numpy


JAX_CASES = [
    ("inv", lambda L, x: L.linalg.inv(x), (2, 3, 3)),
    ("det", lambda L, x: L.linalg.det(x), (3, 3)),
    ("eigh", lambda L, x: L.linalg.eigh(sym(L, x))[1] ** 2, (2, 3, 3)),
    ("svd", lambda L, x: L.linalg.svd(x, full_matrices=False)[0] ** 2, (3, 4)),
    ("qr_wide", lambda L, x: L.linalg.qr(x)[1], (2, 4)),
    ("cholesky", lambda L, x: L.linalg.cholesky(spd(L, x)), (3, 3)),
    ("pinv", lambda L, x: L.linalg.pinv(x), (2, 3)),
    ("lstsq", lambda L, x: L.linalg.lstsq(x, x[:, 0] + 1.0)[0], (5, 3)),
    ("norm_nuc", lambda L, x: L.linalg.norm(x, "nuc"), (3, 4)),
    ("cond", lambda L, x: L.linalg.cond(x), (3, 3)),
    ("matrix_power", lambda L, x: L.linalg.matrix_power(x, -3), (3, 3)),
    ("tensorinv", lambda L, x: L.linalg.tensorinv(L.reshape(x, (4, 2, 2)), ind=1), (4, 4)),
]


@pytest.mark.parametrize("name,f,shape", JAX_CASES, ids=[c[0] for c in JAX_CASES])
def test_against_jax(name, f, shape):
    jax, jnp = _jax()
    rng = np.random.default_rng(len(name) + 7)
    a = (square if shape[-1] == shape[-2] else general)(rng, shape)
    head = rng.standard_normal(np.shape(f(np, a)))
    want = jax.grad(lambda x: (f(jnp, x) * head).sum())(a)
    np.testing.assert_allclose(_tg_grad(f, a, head), np.asarray(want), rtol=1e-9, atol=1e-11)
    t = rng.standard_normal(shape)
    _, jt = jax.jvp(lambda x: f(jnp, x), (a,), (t,))
    _, ours = tg.jvp(lambda x: f(tg, x), (tg.array(a),), (t,))
    np.testing.assert_allclose(ours.asnumpy(), np.asarray(jt), rtol=1e-9, atol=1e-11)


# ---- near-degenerate and degenerate inputs -----------------------------------------------
def _with_cond(rng, n, c):
    """A random n x n matrix with condition number c (singular values
    log-spaced from 1 to 1/c)."""
    q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
    q2, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (q1 * np.logspace(0, -np.log10(c), n)) @ q2.T


def _mp_inv(a):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    return np.array((mpmath.matrix(a.tolist()) ** -1).tolist(), dtype=float)


@pytest.mark.parametrize("c", [1e6, 1e8, 1e10])
def test_inv_solve_ill_conditioned(c):
    """Gradients at condition numbers 1e6..1e10 match a 50-digit oracle to
    the accuracy the conditioning allows (relative error ~ cond * eps)."""
    rng = np.random.default_rng(int(np.log10(c)))
    a = _with_cond(rng, 4, c)
    ia = _mp_inv(a)
    head = rng.standard_normal((4, 4))
    # d <head, inv(a)> = -inv(a)^T head inv(a)^T
    want = -ia.T @ head @ ia.T
    got = tg.grad(lambda x: (tg.linalg.inv(x) * head).sum())(tg.array(a)).asnumpy()
    tol = 50 * c * np.finfo(float).eps
    assert np.max(np.abs(got - want)) <= tol * np.max(np.abs(want))
    b = rng.standard_normal(4)
    x = ia @ b
    gb = tg.grad(lambda v: (tg.linalg.solve(a, v) * b).sum())(tg.array(b)).asnumpy()
    assert np.max(np.abs(gb - ia.T @ b)) <= tol * np.max(np.abs(ia.T @ b))
    ga = tg.grad(lambda m: (tg.linalg.solve(m, b) * b).sum())(tg.array(a)).asnumpy()
    assert np.max(np.abs(ga + np.outer(ia.T @ b, x))) <= tol * np.max(np.abs(np.outer(ia.T @ b, x)))


@pytest.mark.parametrize("c", [1e6, 1e10, 1e14])
def test_det_gradient_near_singular_is_the_cofactor_matrix(c):
    """det(A) inv(A)^T near singularity is as accurate as the cofactor matrix
    computed from an SVD (the backward-stable way), against 60 digits."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    a = _with_cond(np.random.default_rng(5), 4, c)
    m = mpmath.matrix(a.tolist())
    want = np.array((mpmath.det(m) * (m ** -1).T).tolist(), dtype=float)
    got = tg.grad(tg.linalg.det)(tg.array(a)).asnumpy()
    u, s, vh = np.linalg.svd(a)
    others = np.array([np.prod(np.delete(s, i)) for i in range(4)])
    by_svd = np.linalg.det(u) * np.linalg.det(vh) * (u * others) @ vh
    size = np.max(np.abs(want))
    assert np.max(np.abs(got - want)) <= 10 * np.max(np.abs(by_svd - want)) + 1e-13 * size


def test_det_at_singular_matrices_as_jax():
    got = tg.grad(tg.linalg.det)(tg.array([[1.0, 2.0], [2.0, 4.0]])).asnumpy()
    np.testing.assert_allclose(got, [[4.0, -2.0], [-2.0, 1.0]], rtol=1e-14)
    assert np.all(tg.grad(tg.linalg.det)(tg.zeros((3, 3))).asnumpy() == 0)
    # rank n-1 in a stack beside an invertible matrix: each gets its cofactor matrix
    a = np.array([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], np.diag([1.0, 2.0, 4.0])])
    got = tg.grad(lambda x: tg.linalg.det(x).sum())(tg.array(a)).asnumpy()
    cof = np.array([[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]])
    np.testing.assert_allclose(got[0], cof, atol=1e-12)
    np.testing.assert_allclose(got[1], np.diag([8.0, 4.0, 2.0]), atol=1e-12)
    _, t = tg.jvp(tg.linalg.det, (tg.array(a[0]),), (np.eye(3),))
    assert abs(float(t) - np.trace(cof)) < 1e-12
    jax, jnp = _jax()
    np.testing.assert_allclose(got[0], np.asarray(jax.grad(jnp.linalg.det)(a[0])), atol=1e-12)


def test_slogdet_at_a_singular_matrix_as_jax():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    sign, lad = tg.linalg.slogdet(s)
    assert float(sign) == 0.0 and float(lad) == -np.inf
    g = tg.grad(lambda x: tg.linalg.slogdet(x)[1])(tg.array(s)).asnumpy()
    jax, jnp = _jax()
    want = np.asarray(jax.grad(lambda x: jnp.linalg.slogdet(x)[1])(s))
    np.testing.assert_array_equal(g, want)         # [[inf, -inf], [-inf, inf]]


def test_repeated_eigenvalues_as_jax():
    """At a repeated eigenvalue the eigenvalues' gradient is finite (and
    equals JAX's); the eigenvectors' is not finite, as in JAX."""
    jax, jnp = _jax()
    a = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    w = np.linalg.eigvalsh(a)
    assert w[0] == w[1] != w[2]            # exactly repeated, as LAPACK computes it
    head = np.array([0.3, -1.2, 0.7])
    gw = tg.grad(lambda x: (tg.linalg.eigh(x)[0] * head).sum())(tg.array(a)).asnumpy()
    want = np.asarray(jax.grad(lambda x: (jnp.linalg.eigh(x)[0] * head).sum())(a))
    # the split of a repeated eigenvalue's gradient depends on the basis
    # LAPACK picks; the sum over the repeated pair and the rest do not
    tot = tg.grad(lambda x: tg.linalg.eigh(x)[0].sum())(tg.array(a)).asnumpy()
    np.testing.assert_allclose(tot, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(np.asarray(jax.grad(lambda x: jnp.linalg.eigh(x)[0].sum())(a)),
                               np.eye(3), atol=1e-12)
    assert np.all(np.isfinite(gw))
    np.testing.assert_allclose(np.trace(gw), np.trace(want), atol=1e-12)
    gv = tg.grad(lambda x: tg.linalg.eigh(x)[1].sum())(tg.array(a)).asnumpy()
    assert not np.all(np.isfinite(gv))
    assert not np.all(np.isfinite(np.asarray(
        jax.grad(lambda x: jnp.linalg.eigh(x)[1].sum())(a))))
    _, (tw, tv) = tg.jvp(lambda x: tuple(tg.linalg.eigh(x)), (tg.array(a),), (np.eye(3),))
    np.testing.assert_allclose(tw.asnumpy(), [1.0, 1.0, 1.0], atol=1e-12)
    assert not np.all(np.isfinite(tv.asnumpy()))
    # eigvalsh alone: finite, V diag(g) V^T
    ge = tg.grad(lambda x: (tg.linalg.eigvalsh(x) * head).sum())(tg.array(a)).asnumpy()
    assert np.all(np.isfinite(ge))
    np.testing.assert_allclose(np.trace(ge), head.sum(), atol=1e-12)


def test_nearly_repeated_eigenvalues_give_large_finite_gradients():
    q, _ = np.linalg.qr(np.random.default_rng(7).standard_normal((3, 3)))
    a = q @ np.diag([1.0, 1.0 + 1e-8, 3.0]) @ q.T
    gv = tg.grad(lambda x: (tg.linalg.eigh(x)[1] ** 2).sum(axis=0)[0])(tg.array(a)).asnumpy()
    assert np.all(np.isfinite(gv))


def test_repeated_and_zero_singular_values():
    """Repeated singular values: U/V gradients not finite (as JAX), s
    gradient finite.  An exactly zero singular value: s gradient 0 (a kink,
    like abs at 0), so every matrix norm has gradient 0 at the zero matrix."""
    jax, jnp = _jax()
    gu = tg.grad(lambda x: tg.linalg.svd(x)[0].sum())(tg.array(np.eye(3))).asnumpy()
    assert not np.all(np.isfinite(gu))
    assert not np.all(np.isfinite(np.asarray(
        jax.grad(lambda x: jnp.linalg.svd(x)[0].sum())(np.eye(3)))))
    gs = tg.grad(lambda x: tg.linalg.svd(x)[1].sum())(tg.array(np.eye(3))).asnumpy()
    np.testing.assert_allclose(gs, np.eye(3), atol=1e-14)
    a = np.diag([2.0, 1.0, 0.0])
    gs = tg.grad(lambda x: tg.linalg.svdvals(x).sum())(tg.array(a)).asnumpy()
    np.testing.assert_allclose(gs, np.diag([1.0, 1.0, 0.0]), atol=1e-14)
    for ord in (None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf):
        g = tg.grad(lambda x: tg.linalg.norm(x, ord))(tg.zeros((3, 2))).asnumpy()
        assert np.all(g == 0), ord


@pytest.mark.parametrize("ord", [None, 1, 2, 3, 0.5, np.inf, -np.inf])
def test_vector_norm_at_zero(ord):
    """Gradient 0 at the origin for every order (JAX: nan for 2, 3, 0.5)."""
    g = tg.grad(lambda x: tg.linalg.norm(x, ord))(tg.zeros(3)).asnumpy()
    assert np.all(g == 0)
    _, t = tg.jvp(lambda x: tg.linalg.norm(x, ord), (tg.zeros(3),), (np.ones(3),))
    assert float(t) == 0.0
    # a zero row beside a nonzero one: only the zero row's gradient is 0
    x = np.array([[0.0, 0.0], [3.0, -4.0]])
    g = tg.grad(lambda v: tg.linalg.norm(v, 2, axis=1).sum())(tg.array(x)).asnumpy()
    np.testing.assert_allclose(g, [[0.0, 0.0], [0.6, -0.8]], rtol=1e-15)


def test_norm_without_overflow_or_underflow():
    for dt, big, small in ((np.float64, 1e200, 1e-200), (np.float32, 1e30, 1e-30)):
        x = tg.array(np.array([3.0, -4.0]) * big, dtype=dt)
        assert np.isclose(float(tg.linalg.norm(x)), 5 * big, rtol=1e-6)
        g = tg.grad(tg.linalg.norm)(x).asnumpy()
        np.testing.assert_allclose(g, [0.6, -0.8], rtol=1e-6)
        y = tg.array(np.array([3.0, -4.0]) * small, dtype=dt)
        assert np.isclose(float(tg.linalg.norm(y)), 5 * small, rtol=1e-6)
        assert np.isclose(float(tg.linalg.norm(x, 3)), big * (27 + 64) ** (1 / 3), rtol=1e-6)
    z = tg.linalg.norm(tg.array([np.inf, 1.0]))
    assert float(z) == np.inf


def test_pinv_and_lstsq_rank_deficient():
    """At a rank-deficient matrix the derivative is the constant-rank one
    (Golub-Pereyra, as JAX): it equals finite differences along perturbations
    that keep the rank, and JAX's gradient."""
    rng = np.random.default_rng(8)
    u0, v0 = rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    a = u0 @ v0.T                                     # 4 x 3, rank 2
    head = rng.standard_normal((3, 4))
    assert np.linalg.matrix_rank(a) == 2
    g = tg.grad(lambda x: (tg.linalg.pinv(x, rcond=1e-10) * head).sum())(tg.array(a)).asnumpy()
    jax, jnp = _jax()
    want = np.asarray(jax.grad(lambda x: (jnp.linalg.pinv(x, rtol=1e-10) * head).sum())(a))
    np.testing.assert_allclose(g, want, rtol=1e-8, atol=1e-10)
    du = rng.standard_normal((4, 2))                  # a rank-keeping direction
    eps = 1e-6
    fd = (np.sum(head * np.linalg.pinv((u0 + eps * du) @ v0.T, rcond=1e-10))
          - np.sum(head * np.linalg.pinv((u0 - eps * du) @ v0.T, rcond=1e-10))) / (2 * eps)
    assert abs(np.sum(g * (du @ v0.T)) - fd) < 1e-6 * max(1.0, abs(fd))
    b = rng.standard_normal(4)
    x, res, rank, s = tg.linalg.lstsq(a, b)
    ref = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(x.asnumpy(), ref[0], rtol=1e-10)
    assert rank == ref[2] == 2 and res.shape == ref[1].shape == (0,)
    np.testing.assert_allclose(s.asnumpy(), ref[3], rtol=1e-12, atol=1e-14)
    gx = tg.grad(lambda m: tg.linalg.lstsq(m, b)[0].sum())(tg.array(a)).asnumpy()
    fd = (np.linalg.lstsq((u0 + eps * du) @ v0.T, b)[0].sum()
          - np.linalg.lstsq((u0 - eps * du) @ v0.T, b)[0].sum()) / (2 * eps)
    assert abs(np.sum(gx * (du @ v0.T)) - fd) < 1e-6 * max(1.0, abs(fd))


def test_cond_of_a_singular_matrix():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    for p in (None, 1, "fro", np.inf):
        assert float(tg.linalg.cond(s, p)) == np.linalg.cond(s, p) or \
            np.isinf(float(tg.linalg.cond(s, p)))


HESSIAN_CASES = [
    ("det", lambda x: tg.linalg.det(x), square),
    ("slogdet", lambda x: tg.linalg.slogdet(x)[1], square),
    ("inv", lambda x: tg.linalg.inv(x)[0, 1], square),
    ("solve", lambda x: tg.linalg.solve(x, np.arange(3.0)).sum(), square),
    ("cholesky", lambda x: tg.linalg.cholesky(spd(tg, x))[2, 1], general),
    ("eigh", lambda x: (tg.linalg.eigh(sym(tg, x))[1][:, 0] ** 2 * np.arange(3.0)).sum(),
     general),
    ("eigvalsh", lambda x: tg.linalg.eigvalsh(sym(tg, x))[-1], general),
    ("svd", lambda x: (tg.linalg.svd(x)[0][:, 1] ** 2 * np.arange(3.0)).sum(), general),
    ("svdvals", lambda x: tg.linalg.svdvals(x)[0], general),
    ("qr", lambda x: tg.linalg.qr(x)[1][0, 2], square),
    ("pinv", lambda x: tg.linalg.pinv(x)[1, 0], square),
    ("norm", lambda x: tg.linalg.norm(x, 3, axis=0).sum(), general),
]


@pytest.mark.parametrize("name,f,dom", HESSIAN_CASES, ids=[c[0] for c in HESSIAN_CASES])
def test_hessian_batched_equals_looped_and_differences(name, f, dom):
    """Hessians: the rules, recorded on tensors, swept back once with a batch
    of cotangents (batching rules of solve, inv, svd...) equal the looped
    sweep and central differences of the gradient."""
    a = dom(np.random.default_rng(len(name)), (3, 3))
    H = tg.hessian(f)(tg.array(a)).asnumpy()
    with autograd.record():
        Hl = tg.hessian(f)(tg.array(a)).asnumpy()
    np.testing.assert_allclose(H, Hl, rtol=1e-10, atol=1e-12)
    g = tg.grad(f)
    eps = 1e-6
    fd = np.zeros((3, 3, 3, 3))
    for i in range(3):
        for j in range(3):
            e = np.zeros((3, 3))
            e[i, j] = eps
            fd[:, :, i, j] = (g(tg.array(a + e)).asnumpy()
                              - g(tg.array(a - e)).asnumpy()) / (2 * eps)
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-6)
