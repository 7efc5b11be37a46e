"""``tg.linalg``: numpy.linalg's functions, differentiable (entries registered
with namespace="linalg"; matmul, dot and outer are in ops/linalg.py).

Every function takes stacks of matrices (leading axes) as NumPy's does, and
its batching rule runs the forward once on the whole stack (a batch axis is
one more stack axis).  The reverse and forward rules are the standard
matrix-calculus results (M. Giles, "An extended collection of matrix
derivative results", 2008; J. Townsend, "Differentiating the singular value
decomposition", 2016; I. Murray, "Differentiation of the Cholesky
decomposition", 2016; Golub and Pereyra 1973 for pinv), written in registry
functions (``B.matmul``, ``B.swapaxes``, ``linalg.solve`` through
``B.bind``), so every rule runs again on recorded tensors: second and higher
derivatives, Hessians and forward-over-reverse work.

Conventions where the derivative does not exist (JAX's unless said):

* ``inv``, ``solve``, ``cholesky`` raise NumPy's ``LinAlgError`` on a
  singular (resp. not positive definite) input, as NumPy does (JAX returns
  inf/nan instead).  ``det`` of a singular matrix is 0 and its gradient is
  the cofactor matrix, exact (as JAX), computed from an SVD there (constant:
  no second derivative at an exactly singular matrix).  ``slogdet`` of a
  singular matrix is (0, -inf) and its gradient is +-inf/nan (as JAX).
* ``eigh``/``cholesky``: the input is taken as symmetric (NumPy reads only
  one triangle); derivatives are with respect to symmetric perturbations
  (the gradient is symmetric, as JAX and PyTorch).  At a repeated eigenvalue
  (singular value) the eigenvector (singular vector) derivatives are not
  finite (inf/nan, as JAX); eigenvalue and singular value derivatives stay
  finite.  A singular value that is exactly 0 is a kink like ``abs`` at 0:
  its gradient is 0 (JAX takes u v^T there), so every matrix norm has
  gradient 0 at the zero matrix.
* ``norm`` (every ``ord``): gradient 0 where the norm is 0 (the subgradient
  of least norm; JAX gives nan for ord=2 and 'fro').  ``pinv``/``lstsq``:
  the derivative at constant rank (Golub-Pereyra, as JAX).
"""
import collections
import operator

import numpy as np

from .. import errors
from .._core.tape import is_batched, wrap
from ._registry import REGISTRY, arg, composite, dtype_of, primitive
from .reductions import keep_shape, norm_axis

LinAlgError = np.linalg.LinAlgError

EighResult = collections.namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = collections.namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = collections.namedtuple("QRResult", ["Q", "R"])
SlogdetResult = collections.namedtuple("SlogdetResult", ["sign", "logabsdet"])


def _fn(name):
    """A registry function by name, on tensors (composites use these)."""
    return REGISTRY[name].public


# ---- shapes, errors, batching ---------------------------------------------------
def _matrix(name, a):
    if len(a.shape) < 2:
        raise LinAlgError(f"linalg.{name}: needs a matrix or a stack of matrices (..., M, N), "
                          f"got an array of shape {tuple(a.shape)}")


def _square(name, a):
    _matrix(name, a)
    if a.shape[-1] != a.shape[-2]:
        raise LinAlgError(f"linalg.{name}: needs a square matrix or a stack of them "
                          f"(..., N, N), got shape {tuple(a.shape)}")


def _lapack(name, fn):
    """fn as a forward: NumPy's LinAlgError (singular, not positive
    definite, no convergence) says which function and shape raised it."""
    def forward(*xs, **p):
        try:
            return fn(*xs, **p)
        except LinAlgError as e:
            raise LinAlgError(f"linalg.{name} of an array of shape {tuple(xs[0].shape)}: "
                              f"{e}") from None
    return forward


def _stack_batch(forward):
    """Batching rule of a one-operand op on the last two axes: the batch
    axis is one more stack axis, so the forward runs once on the batch."""
    def batch(args, p):
        x = args[0]
        out = forward(x.v, **p)
        if isinstance(out, tuple):
            return tuple(type(x).wrap(o) for o in out)
        return type(x).wrap(out)
    return batch


# ---- helpers for rules (any backend B) --------------------------------------------
def _mT(B, x):
    return B.swapaxes(x, -1, -2)


def _eye(x):
    n = x.shape[-1]
    return np.eye(n, dtype=x.dtype)


def _diag(B, v):
    """(..., n) -> (..., n, n) diagonal matrices."""
    return B.expand_dims(v, -1) * B.const(_eye(v))


def _diagonal(B, x):
    """(..., n, n) -> (..., n) main diagonals."""
    return B.sum(x * B.const(_eye(x)), -1)


def _sym(B, x):
    return (x + _mT(B, x)) * 0.5


def _quiet(jvp):
    """A forward rule whose inf/nan at a degenerate input is documented (the
    reverse sweep silences rules itself; forward mode runs them as they come)."""
    def rule(B, ts, xs, out, p):
        with np.errstate(all="ignore"):
            return jvp(B, ts, xs, out, p)
    return rule


def _bind(B, name, *args, **p):
    return B.bind(REGISTRY["linalg." + name], *args, **p)


def _solve_m(B, a, b):
    """a^-1 b for a matrix (stack) b."""
    return _bind(B, "solve", a, b, vec=False)


def _tril_mask(x, k=0):
    n = x.shape[-1]
    return np.tril(np.ones((n, n), dtype=x.dtype), k)


# ---- inv -----------------------------------------------------------------------------
def inv(a):
    """The inverse of a square matrix (stack).  Raises NumPy's LinAlgError
    for a singular matrix, as NumPy does.  d inv(A) = -inv(A) dA inv(A)."""
    a = arg(a)
    _square("inv", a)
    return REGISTRY["linalg.inv"](a)


primitive("inv", _lapack("inv", np.linalg.inv),
          lambda B, g, xs, out, p, needs: (-B.matmul(_mT(B, out), B.matmul(g, _mT(B, out))),),
          lambda B, ts, xs, out, p: -B.matmul(out, B.matmul(ts[0], out)),
          save_out=True, label="inv({0})", batch=_stack_batch(np.linalg.inv),
          namespace="linalg", public=inv)


# ---- solve ---------------------------------------------------------------------------
def _col(B, v):
    return B.expand_dims(v, -1)


def _solve_vjp(B, g, xs, out, p, needs):
    a = xs[0]
    vec = p["vec"]
    gb = _solve_m(B, _mT(B, a), _col(B, g) if vec else g)
    ga = None
    if needs[0]:
        x = _col(B, out) if vec else out
        ga = -B.matmul(gb, _mT(B, x))
    return ga, (B.squeeze(gb, -1) if vec else gb) if needs[1] else None


def _solve_jvp(B, ts, xs, out, p):
    a = xs[0]
    vec = p["vec"]
    rhs = None
    if ts[1] is not None:
        rhs = _col(B, ts[1]) if vec else ts[1]
    if ts[0] is not None:
        t = B.matmul(ts[0], _col(B, out) if vec else out)
        rhs = -t if rhs is None else rhs - t
    r = _solve_m(B, a, rhs)
    return B.squeeze(r, -1) if vec else r


def _solve_forward(a, b, vec):
    return np.linalg.solve(a, b)


def _solve_batch(args, p):
    a, b = args
    W = type(a) if is_batched(a) else type(b)
    vec = p["vec"]
    av = a.v if is_batched(a) else np.asarray(a)[None]
    bv = b.v if is_batched(b) else np.asarray(b)[None]
    if vec:
        bv = bv[..., None]
    na, nb = av.ndim, bv.ndim              # ranks with the batch axis
    nd = max(na, nb)
    av = av.reshape(av.shape[:1] + (1,) * (nd - na) + av.shape[1:])
    bv = bv.reshape(bv.shape[:1] + (1,) * (nd - nb) + bv.shape[1:])
    r = _lapack("solve", np.linalg.solve)(av, bv)
    return W.wrap(r[..., 0] if vec else r)


def solve(a, b):
    """x with a @ x = b (NumPy 2's rule: b is a vector only when 1-D, else a
    stack of matrices; leading axes broadcast).  Raises NumPy's LinAlgError
    for a singular a, as NumPy does."""
    a, b = arg(a), arg(b)
    _square("solve", a)
    vec = len(b.shape) == 1
    if len(b.shape) == 0 or b.shape[-1 if vec else -2] != a.shape[-1]:
        raise errors.ShapeError(
            f"linalg.solve: a of shape {tuple(a.shape)} and b of shape {tuple(b.shape)} do "
            f"not fit: b must be (N,) or (..., N, K) with N = {a.shape[-1]}")
    return REGISTRY["linalg.solve"](a, b, vec=vec)


primitive("solve", _lapack("solve", _solve_forward), _solve_vjp, _solve_jvp, nin=2,
          saves=(0,), save_out=True, label="solve({0}, {1})", batch=_solve_batch,
          namespace="linalg", public=solve)


# ---- det and slogdet -----------------------------------------------------------------
def _others_product(s):
    """prod_{j != i} s_j along the last axis, without dividing (zeros allowed)."""
    one = np.ones_like(s[..., :1])
    left = np.cumprod(np.concatenate([one, s[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([one, s[..., :0:-1]], -1), -1)[..., ::-1]
    return left * right


def _cofactor_np(a):
    """The cofactor matrix adj(a)^T = d det(a)/d a, also where a is singular:
    from a = U S V^T, adj(a)^T = det(U) det(V) U adj(S) V^T."""
    u, s, vh = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * np.matmul(u * _others_product(s)[..., None, :], vh)


def _det_grad(B, a, det):
    """d det / d a: det(a) inv(a)^T (differentiable again) where every
    matrix is invertible, else the exact cofactor matrix as a constant."""
    d = B.raw(det)
    if np.all(d != 0) and np.all(np.isfinite(d)):
        return B.expand_dims(B.expand_dims(det, -1), -1) * _mT(B, _bind(B, "inv", a))
    return B.const(_cofactor_np(B.raw(a)))


def det(a):
    """The determinant of a square matrix (stack).  Its gradient is the
    cofactor matrix, exact also at singular matrices (as JAX; there it is a
    constant: no second derivative at an exactly singular matrix)."""
    a = arg(a)
    _square("det", a)
    return REGISTRY["linalg.det"](a)


primitive("det", np.linalg.det,
          lambda B, g, xs, out, p, needs: (B.expand_dims(B.expand_dims(g, -1), -1)
                                           * _det_grad(B, xs[0], out),),
          lambda B, ts, xs, out, p: B.sum(ts[0] * _det_grad(B, xs[0], out), (-2, -1)),
          saves=(0,), save_out=True, label="det({0})", batch=_stack_batch(np.linalg.det),
          namespace="linalg", public=det)


def _logdet_grad(B, a, sign):
    """d log|det a| / d a = inv(a)^T; where a matrix is singular (sign 0)
    cofactor / det: +-inf and nan, as JAX (a constant)."""
    if np.all(B.raw(sign) != 0):
        return _mT(B, _bind(B, "inv", a))
    ar = B.raw(a)
    with np.errstate(all="ignore"):
        return B.const(_cofactor_np(ar) / np.linalg.det(ar)[..., None, None])


def _slogdet_vjp(B, g, xs, out, p, needs):
    if g[1] is None:                 # the sign is piecewise constant
        return (None,)
    return (B.expand_dims(B.expand_dims(g[1], -1), -1) * _logdet_grad(B, xs[0], out[0]),)


def _slogdet_jvp(B, ts, xs, out, p):
    return (None, B.sum(ts[0] * _logdet_grad(B, xs[0], out[0]), (-2, -1)))


def _slogdet_forward(a):
    return tuple(np.linalg.slogdet(a))


def slogdet(a):
    """(sign, logabsdet) of the determinant, as NumPy's slogdet: no overflow
    for large matrices.  The sign has zero derivative; the gradient of
    logabsdet is inv(a)^T (+-inf/nan at a singular matrix, as JAX)."""
    a = arg(a)
    _square("slogdet", a)
    return SlogdetResult(*REGISTRY["linalg.slogdet"](a))


primitive("slogdet", _slogdet_forward, _slogdet_vjp, _quiet(_slogdet_jvp), nout=2, saves=(0,),
          save_out=True, label="slogdet({0})", batch=_stack_batch(_slogdet_forward),
          namespace="linalg", public=slogdet)


# ---- cholesky --------------------------------------------------------------------------
def _phi(B, x):
    """The lower triangle with the diagonal halved (Murray 2016)."""
    return x * B.const(_tril_mask(x) - 0.5 * _eye(x))


def _chol_vjp(B, g, xs, out, p, needs):
    L, gL = (_mT(B, out), _mT(B, g)) if p["upper"] else (out, g)
    LT = _mT(B, L)
    P = _phi(B, B.matmul(LT, gL))
    X = _solve_m(B, LT, P)                          # L^-T P
    S = _mT(B, _solve_m(B, LT, _mT(B, X)))          # L^-T P L^-1
    return (_sym(B, S),)


def _chol_jvp(B, ts, xs, out, p):
    L = _mT(B, out) if p["upper"] else out
    Y = _solve_m(B, L, _sym(B, ts[0]))              # L^-1 dA
    M = _mT(B, _solve_m(B, L, _mT(B, Y)))           # L^-1 dA L^-T
    dL = B.matmul(L, _phi(B, M))
    return _mT(B, dL) if p["upper"] else dL


def _chol_forward(a, upper):
    return np.linalg.cholesky(a, upper=upper)


def cholesky(a, /, *, upper=False):
    """The Cholesky factor L (a = L L^T; ``upper=True``: U = L^T) of a
    symmetric positive definite matrix (stack).  Raises NumPy's LinAlgError
    when a is not positive definite, as NumPy does.  NumPy reads one
    triangle; the gradient is the symmetric one (as JAX and PyTorch)."""
    a = arg(a)
    _square("cholesky", a)
    return REGISTRY["linalg.cholesky"](a, upper=bool(upper))


primitive("cholesky", _lapack("cholesky", _chol_forward), _chol_vjp, _chol_jvp,
          save_out=True, label="cholesky({0})", batch=_stack_batch(_chol_forward),
          namespace="linalg", public=cholesky)


# ---- eigh and eigvalsh ---------------------------------------------------------------
def _eigh_F(B, w):
    """F[i, j] = 1 / (w_j - w_i) off the diagonal, 0 on it: inf where an
    eigenvalue repeats (JAX's formula)."""
    E = B.const(_eye(w))
    with np.errstate(divide="ignore"):           # a repeated eigenvalue: inf, documented
        return 1.0 / (B.expand_dims(w, -2) - B.expand_dims(w, -1) + E) - E


def _eigh_vjp(B, g, xs, out, p, needs):
    gw, gv = g
    w, v = out
    inner = None
    if gw is not None:
        inner = _diag(B, gw)
    if gv is not None:
        t = _eigh_F(B, w) * B.matmul(_mT(B, v), gv)
        inner = t if inner is None else inner + t
    if inner is None:
        return (None,)
    ga = B.matmul(v, B.matmul(inner, _mT(B, v)))
    return (_sym(B, ga) if gv is not None else ga,)


def _eigh_jvp(B, ts, xs, out, p):
    w, v = out
    M = B.matmul(_mT(B, v), B.matmul(_sym(B, ts[0]), v))
    return _diagonal(B, M), B.matmul(v, _eigh_F(B, w) * M)


def _eigh_forward(a, UPLO):
    return tuple(np.linalg.eigh(a, UPLO))


def _uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise ValueError(f"UPLO argument must be 'L' or 'U', got {UPLO!r}")
    return UPLO


def eigh(a, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix
    (stack), as NumPy's eigh (which reads the ``UPLO`` triangle).  Derivatives
    are with respect to symmetric perturbations (symmetric gradient, as JAX);
    at a repeated eigenvalue the eigenvector derivatives are inf/nan (as
    JAX), the eigenvalue derivatives stay finite."""
    a = arg(a)
    _square("eigh", a)
    return EighResult(*REGISTRY["linalg.eigh"](a, UPLO=_uplo(UPLO)))


primitive("eigh", _lapack("eigh", _eigh_forward), _eigh_vjp, _quiet(_eigh_jvp), nout=2,
          save_out=True, label="eigh({0})", batch=_stack_batch(_eigh_forward), namespace="linalg",
          public=eigh)


def _eigvalsh_vjp(B, g, xs, out, p, needs):
    _, v = _bind(B, "eigh", xs[0], UPLO=p["UPLO"])
    return (B.matmul(v * B.expand_dims(g, -2), _mT(B, v)),)


def _eigvalsh_jvp(B, ts, xs, out, p):
    _, v = _bind(B, "eigh", xs[0], UPLO=p["UPLO"])
    return B.sum(v * B.matmul(ts[0], v), -2)     # v_i^T dA v_i sees dA's symmetric part


def eigvalsh(a, UPLO="L"):
    """The eigenvalues (ascending) of a symmetric matrix (stack); gradient
    V diag(g) V^T, finite also at repeated eigenvalues."""
    a = arg(a)
    _square("eigvalsh", a)
    return REGISTRY["linalg.eigvalsh"](a, UPLO=_uplo(UPLO))


primitive("eigvalsh", _lapack("eigvalsh", lambda a, UPLO: np.linalg.eigvalsh(a, UPLO)),
          _eigvalsh_vjp, _eigvalsh_jvp, saves=(0,), label="eigvalsh({0})",
          batch=_stack_batch(lambda a, UPLO: np.linalg.eigvalsh(a, UPLO)),
          namespace="linalg", public=eigvalsh)


# ---- svd and svdvals -------------------------------------------------------------------
_SVD_FULL = ("linalg.svd: a gradient reached the extra columns of U (rows of Vh) that "
             "full_matrices=True adds for a non-square matrix; they are not unique, so they "
             "have no derivative. Pass full_matrices=False, or use only U[..., :, :k] and "
             "Vh[..., :k, :] (k = min(M, N)).")


def _extra_used(B, g, idx):
    """Whether a gradient reaches the non-unique part ``idx`` of a factor."""
    return g is not None and np.any(B.raw(g)[idx] != 0)


def _padded(B, t, total, axis):
    """t followed along ``axis`` by NaN: the tangent of a factor's part that
    has no derivative (the extra columns of a full U, Vh or complete Q)."""
    shape = list(t.shape)
    shape[axis] = total - shape[axis]
    return B.concatenate([t, B.const(np.full(shape, np.nan, dtype=t.dtype))], axis)


def _svd_F(B, s):
    """F[i, j] = 1 / (s_j^2 - s_i^2) off the diagonal, 0 on it: inf where a
    singular value repeats (JAX's formula)."""
    E = B.const(_eye(s))
    s2 = s * s
    with np.errstate(divide="ignore"):           # a repeated singular value: inf, documented
        return 1.0 / (B.expand_dims(s2, -2) - B.expand_dims(s2, -1) + E) - E


def _nonzero(B, s):
    """1 where a singular value is nonzero: an exactly zero one is a kink
    (like abs at 0) whose gradient is taken as 0."""
    return B.const((B.raw(s) != 0).astype(s.dtype))


def _thin(B, u, vh, k):
    return (B.getitem(u, (Ellipsis, slice(None), slice(0, k))),
            B.getitem(vh, (Ellipsis, slice(0, k), slice(None))))


def _svd_vjp(B, g, xs, out, p, needs):
    gu, gs, gvh = g
    u, s, vh = out
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    if p["full_matrices"] and m != n:
        if (_extra_used(B, gu, (Ellipsis, slice(None), slice(k, None)))
                or _extra_used(B, gvh, (Ellipsis, slice(k, None), slice(None)))):
            raise errors.ShapeError(_SVD_FULL)
        u, vh = _thin(B, u, vh, k)
        if gu is not None:
            gu = _thin(B, gu, gu, k)[0]
        if gvh is not None:
            gvh = _thin(B, gvh, gvh, k)[1]
    inner = None                       # the gradient with respect to U^T dA V
    if gs is not None:
        inner = _diag(B, gs * _nonzero(B, s))
    if gu is not None or gvh is not None:
        F = _svd_F(B, s)
        if gu is not None:
            J = F * B.matmul(_mT(B, u), gu)
            t = (J + _mT(B, J)) * B.expand_dims(s, -2)
            inner = t if inner is None else inner + t
        if gvh is not None:
            K = F * B.matmul(vh, _mT(B, gvh))
            t = B.expand_dims(s, -1) * (K + _mT(B, K))
            inner = t if inner is None else inner + t
    ga = None if inner is None else B.matmul(u, B.matmul(inner, vh))
    if gu is not None and m > k:       # (I - U U^T) gU S^-1 V^T
        gus = gu / B.expand_dims(s, -2)
        t = B.matmul(gus - B.matmul(u, B.matmul(_mT(B, u), gus)), vh)
        ga = t if ga is None else ga + t
    if gvh is not None and n > k:      # U S^-1 gV^T (I - V V^T)
        r = gvh / B.expand_dims(s, -1)
        t = B.matmul(u, r - B.matmul(B.matmul(r, _mT(B, vh)), vh))
        ga = t if ga is None else ga + t
    return (ga,)


def _svd_jvp(B, ts, xs, out, p):
    u, s, vh = out
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    full = p["full_matrices"] and m != n
    if full:
        u, vh = _thin(B, u, vh, k)
    ta = ts[0]
    v = _mT(B, vh)
    dS = B.matmul(_mT(B, u), B.matmul(ta, v))
    ds = _diagonal(B, dS) * _nonzero(B, s)
    F = _svd_F(B, s)
    row, col = B.expand_dims(s, -2), B.expand_dims(s, -1)
    dSS = dS * row                     # dS S
    SdS = col * dS                     # S dS
    du = B.matmul(u, F * (dSS + _mT(B, dSS)))
    dv = B.matmul(v, F * (SdS + _mT(B, SdS)))
    if m > k:
        dAV = B.matmul(ta, v)
        du = du + (dAV - B.matmul(u, B.matmul(_mT(B, u), dAV))) / row
    if n > k:
        dAU = B.matmul(_mT(B, ta), u)
        dv = dv + (dAU - B.matmul(v, B.matmul(vh, dAU))) / row
    dvh = _mT(B, dv)
    if full:
        return _padded(B, du, m, -1), ds, _padded(B, dvh, n, -2)
    return du, ds, dvh


def _svd_forward(a, full_matrices):
    return tuple(np.linalg.svd(a, full_matrices=full_matrices))


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """(U, S, Vh) with a = U diag(S) Vh, S descending (NumPy's svd);
    ``compute_uv=False``: S alone (svdvals).  ``hermitian`` is accepted; the
    general SVD runs (the same singular values; vectors may differ in sign
    from NumPy's hermitian path).  Derivatives of U and Vh are inf/nan at a
    repeated singular value (as JAX); an exactly zero singular value has
    gradient 0.  With ``full_matrices=True`` and a non-square matrix the extra
    columns of U (rows of Vh) are not unique: reverse mode raises if a
    gradient reaches them, forward mode gives them NaN tangents (JAX refuses
    both); the rest of U and Vh is differentiated as usual."""
    a = arg(a)
    _matrix("svd", a)
    if not compute_uv:
        return svdvals(a)
    return SVDResult(*REGISTRY["linalg.svd"](a, full_matrices=bool(full_matrices)))


primitive("svd", _lapack("svd", _svd_forward), _svd_vjp, _quiet(_svd_jvp), nout=3, save_out=True,
          label="svd({0})", batch=_stack_batch(_svd_forward), namespace="linalg", public=svd,
          stub={"overloads": (
              "(a: TensorLike, full_matrices: bool = ..., compute_uv: Literal[True] = ..., "
              "hermitian: bool = ...) -> tuple[Tensor, Tensor, Tensor]",
              "(a: TensorLike, full_matrices: bool = ..., *, compute_uv: Literal[False], "
              "hermitian: bool = ...) -> Tensor",
              "(a: TensorLike, full_matrices: bool, compute_uv: Literal[False], "
              "hermitian: bool = ...) -> Tensor")})


def _svdvals_vjp(B, g, xs, out, p, needs):
    u, s, vh = _bind(B, "svd", xs[0], full_matrices=False)
    return (B.matmul(u * B.expand_dims(g * _nonzero(B, s), -2), vh),)


def _svdvals_jvp(B, ts, xs, out, p):
    u, s, vh = _bind(B, "svd", xs[0], full_matrices=False)
    return B.sum(u * B.matmul(ts[0], _mT(B, vh)), -2) * _nonzero(B, s)


def _svdvals_forward(x):
    return np.linalg.svd(x, compute_uv=False)


def svdvals(x, /):
    """The singular values (descending) of a matrix (stack); gradient
    U diag(g) V^T, finite also at repeated singular values (0 for an exactly
    zero one)."""
    x = arg(x)
    _matrix("svdvals", x)
    return REGISTRY["linalg.svdvals"](x)


primitive("svdvals", _lapack("svdvals", _svdvals_forward), _svdvals_vjp, _svdvals_jvp,
          saves=(0,), label="svdvals({0})", batch=_stack_batch(_svdvals_forward),
          namespace="linalg", public=svdvals)


# ---- qr ----------------------------------------------------------------------------------
_QR_COMPLETE = ("linalg.qr: a gradient reached the extra columns of Q that mode='complete' "
                "adds for a matrix with more rows than columns; they are not unique, so they "
                "have no derivative. Pass mode='reduced', or use only Q[..., :, :N].")


def _qr_vjp(B, g, xs, out, p, needs):
    gq, gr = g
    q, r = out
    m, n = q.shape[-2], r.shape[-1]
    if p["mode"] == "complete" and m > n:
        cols = (Ellipsis, slice(None), slice(0, n))
        if _extra_used(B, gq, (Ellipsis, slice(None), slice(n, None))):
            raise errors.ShapeError(_QR_COMPLETE)
        rows = (Ellipsis, slice(0, n), slice(None))
        q, r = B.getitem(q, cols), B.getitem(r, rows)
        gq = None if gq is None else B.getitem(gq, cols)
        gr = None if gr is None else B.getitem(gr, rows)  # R's other rows are zeros
    if gq is None and gr is None:
        return (None,)
    M = None
    if gr is not None:
        M = B.matmul(gr, _mT(B, r))
    if gq is not None:
        t = B.matmul(_mT(B, q), gq)
        M = -t if M is None else M - t
    # the upper triangle of M, mirrored below the diagonal
    C = M * B.const(_tril_mask(M).T) + _mT(B, M) * B.const(_tril_mask(M, -1))
    X = B.matmul(q, C)
    if gq is not None:
        X = gq + X
    return (_mT(B, _solve_m(B, r, _mT(B, X))),)          # X R^-T


def _qr_jvp(B, ts, xs, out, p):
    q, r = out
    m, n = q.shape[-2], r.shape[-1]
    full = p["mode"] == "complete" and m > n
    if full:
        q = B.getitem(q, (Ellipsis, slice(None), slice(0, n)))
        r = B.getitem(r, (Ellipsis, slice(0, n), slice(None)))
    dx_rinv = _mT(B, _solve_m(B, _mT(B, r), _mT(B, ts[0])))     # dA R^-1
    C = B.matmul(_mT(B, q), dx_rinv)
    low = C * B.const(_tril_mask(C, -1))
    om = low - _mT(B, low)                                       # skew-symmetric
    dq, dr = B.matmul(q, om - C) + dx_rinv, B.matmul(C - om, r)
    if full:
        zeros = B.const(np.zeros(dr.shape[:-2] + (m - n, n), dtype=dr.dtype))
        return _padded(B, dq, m, -1), B.concatenate([dr, zeros], -2)
    return dq, dr


def _qr_forward(a, mode):
    return tuple(np.linalg.qr(a, mode))


def qr(a, mode="reduced"):
    """(Q, R) with a = Q R (NumPy's qr: ``mode`` 'reduced', 'complete' or 'r';
    'raw' is not differentiable and refused).  A wide matrix (M < N) is
    factored as Q R1 = a[:, :M], R = [R1, Q^T a[:, M:]] (as JAX), which
    equals NumPy's R to rounding.  With mode='complete' and M > N the extra
    columns of Q are not unique: reverse mode raises if a gradient reaches
    them, forward mode gives them NaN tangents."""
    a = arg(a)
    _matrix("qr", a)
    if mode == "raw":
        raise ValueError("linalg.qr: mode='raw' (Householder reflectors) is not differentiable; "
                         "use mode='reduced', or np.linalg.qr(np.asarray(a), mode='raw') for "
                         "the plain arrays.")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: unrecognized mode {mode!r} (expected 'reduced', "
                         f"'complete' or 'r')")
    m, n = a.shape[-2:]
    prim = REGISTRY["linalg.qr"]
    if m < n:
        get = _fn("getitem")
        q, r1 = prim(get(a, (Ellipsis, slice(None), slice(0, m))), mode="reduced")
        r2 = _fn("matmul")(_fn("swapaxes")(q, -1, -2),
                           get(a, (Ellipsis, slice(None), slice(m, None))))
        r = _fn("concatenate")([r1, r2], axis=-1)
    else:
        q, r = prim(a, mode="reduced" if mode == "r" else mode)
    return r if mode == "r" else QRResult(q, r)


primitive("qr", _lapack("qr", _qr_forward), _qr_vjp, _qr_jvp, nout=2, save_out=True,
          label="qr({0})", batch=_stack_batch(_qr_forward), namespace="linalg", public=qr,
          stub={"overloads": (
              "(a: TensorLike, mode: Literal['reduced', 'complete'] = ...) -> tuple[Tensor, Tensor]",
              "(a: TensorLike, mode: Literal['r']) -> Tensor")})


# ---- pinv ----------------------------------------------------------------------------------
def _pinv_vjp(B, g, xs, out, p, needs):
    a, P = xs[0], out
    PT = _mT(B, P)
    gT = _mT(B, g)
    t1 = -B.matmul(PT, B.matmul(g, PT))
    X = B.matmul(gT, B.matmul(P, PT))              # (I - A P) gT P P^T
    t2 = X - B.matmul(a, B.matmul(P, X))
    Y = B.matmul(B.matmul(PT, P), gT)              # P^T P gT (I - P A)
    t3 = Y - B.matmul(B.matmul(Y, P), a)
    return (t1 + t2 + t3,)


def _pinv_jvp(B, ts, xs, out, p):
    a, P, da = xs[0], out, ts[0]
    daT = _mT(B, da)
    s = B.matmul(B.matmul(P, _mT(B, P)), daT)
    t = B.matmul(B.matmul(daT, _mT(B, P)), P)
    return (-B.matmul(B.matmul(P, da), P) + s - B.matmul(B.matmul(s, a), P)
            + t - B.matmul(B.matmul(P, a), t))


def _pinv_forward(a, rcond, hermitian):
    return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)


def pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    """The Moore-Penrose pseudo-inverse (NumPy's pinv: singular values at or
    below ``rcond`` (or ``rtol``) times the largest are dropped).  Its
    derivative is the constant-rank one (Golub and Pereyra 1973, as JAX)."""
    a = arg(a)
    _matrix("pinv", a)
    if rcond is None:
        if rtol is np._NoValue:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(a.shape[-2:]) * np.finfo(dtype_of(a)).eps
        else:
            rcond = rtol
    elif rtol is not np._NoValue:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    return REGISTRY["linalg.pinv"](a, rcond=rcond, hermitian=bool(hermitian))


primitive("pinv", _lapack("pinv", _pinv_forward), _pinv_vjp, _pinv_jvp, saves=(0,),
          save_out=True, label="pinv({0})", batch=_stack_batch(_pinv_forward),
          namespace="linalg", public=pinv)


# ---- norms ------------------------------------------------------------------------------
def _pnorm_scaled(x, ord, axis, keepdims):
    """(sum |x|^p)^(1/p) as m (sum (|x|/m)^p)^(1/p), m = max |x|: no overflow
    or underflow of the powers."""
    ax = np.abs(x)
    m = np.max(ax, axis=axis, keepdims=True)
    safe = np.where((m == 0) | ~np.isfinite(m), 1, m).astype(x.dtype)
    with np.errstate(all="ignore"):
        r = np.sum((ax / safe) ** ord, axis=axis, keepdims=True) ** (1.0 / ord)
    r = np.where(np.isinf(m), m, r * safe).astype(x.dtype)
    return r if keepdims else np.squeeze(r, axis=axis)


def _pnorm_forward(x, ord, axis, keepdims):
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == 2:
        with np.errstate(over="ignore", under="ignore"):     # detected and redone below
            r = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
        fi = np.finfo(x.dtype)
        # x * x overflowed, or the squares were subnormal (lost digits): rescale
        if np.any(~np.isfinite(r) | (r < np.sqrt(fi.tiny / fi.eps))):
            return _pnorm_scaled(x, 2, axis, keepdims)
        return r
    return _pnorm_scaled(x, ord, axis, keepdims)


def _pnorm_d(B, xs, out, p):
    """d ||x||_p / d x, 0 where the norm is 0."""
    x = xs[0]
    kept = B.reshape(out, keep_shape(x.shape, p["axis"]))
    zero = B.const((B.raw(kept) == 0).astype(x.dtype))
    ord = p["ord"]
    if ord == 1:
        return B.const(np.sign(B.raw(x)))
    if ord == 2:
        return x / (kept + zero)
    xr = B.raw(x)
    xz = B.const((xr == 0).astype(x.dtype))
    return B.const(np.sign(xr)) * B.power((B.abs(x) + xz) / (kept + zero), ord - 1.0)


def _pnorm_expand(B, g, xshape, p):
    return B.reshape(g, keep_shape(xshape, p["axis"])) if not p["keepdims"] else g


def _pnorm_batch(args, p):
    x = args[0]
    q = dict(p)
    q["axis"] = tuple(a + 1 for a in p["axis"])
    return type(x).wrap(_pnorm_forward(x.v, **q))


primitive("pnorm", _pnorm_forward,
          lambda B, g, xs, out, p, needs: (_pnorm_expand(B, g, xs[0].shape, p)
                                           * _pnorm_d(B, xs, out, p),),
          lambda B, ts, xs, out, p: B.sum(ts[0] * _pnorm_d(B, xs, out, p), p["axis"],
                                          keepdims=p["keepdims"]),
          saves=(0,), save_out=True, label="||{0}||_p", batch=_pnorm_batch,
          namespace="linalg", public=lambda x, ord, axis, keepdims: REGISTRY["linalg.pnorm"](
              arg(x), ord=ord, axis=axis, keepdims=keepdims), internal=True)


def _vector_norm(x, ord, axis, keepdims):
    """The vector norm of x over the axes ``axis`` (a tuple)."""
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order {ord!r} for vectors.")
    ord = 2 if ord is None else ord
    if ord == np.inf:
        return _fn("max")(_fn("abs")(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _fn("min")(_fn("abs")(x), axis=axis, keepdims=keepdims)
    if ord == 0:        # the number of nonzeros: piecewise constant
        data = getattr(x, "_data", x)
        return wrap(np.asarray(np.sum(data != 0, axis=axis, keepdims=keepdims),
                               dtype=data.dtype))
    ord = float(ord)
    if ord > 0:
        return REGISTRY["linalg.pnorm"](x, ord=ord, axis=axis, keepdims=keepdims)
    # a negative order is no norm; NumPy's formula (inf/nan derivatives at zeros)
    power = _fn("power")
    return power(_fn("sum")(power(_fn("abs")(x), ord), axis=axis, keepdims=keepdims),
                 1.0 / ord)


def _matrix_norm(x, ord, axis, keepdims):
    nd = len(x.shape)
    for a in axis:
        if not -nd <= int(a) < nd:
            raise np.exceptions.AxisError(int(a), nd)
    row, col = (int(a) % nd for a in axis)
    if row == col:
        raise ValueError("Duplicate axes given.")
    sum_, abs_, max_, min_ = _fn("sum"), _fn("abs"), _fn("max"), _fn("min")
    if ord in (None, "fro", "f"):
        return REGISTRY["linalg.pnorm"](x, ord=2.0, axis=tuple(sorted((row, col))),
                                        keepdims=bool(keepdims))
    if ord in (2, -2, "nuc"):
        perm = [a for a in range(nd) if a not in (row, col)] + [row, col]
        s = svdvals(_fn("transpose")(x, tuple(perm)))
        r = (max_ if ord == 2 else min_ if ord == -2 else sum_)(s, axis=-1)
    elif ord in (1, -1):
        r = (max_ if ord == 1 else min_)(sum_(abs_(x), axis=row),
                                          axis=col - 1 if col > row else col)
    elif ord in (np.inf, -np.inf):
        r = (max_ if ord > 0 else min_)(sum_(abs_(x), axis=col),
                                        axis=row - 1 if row > col else row)
    else:
        raise ValueError(f"Invalid norm order {ord!r} for matrices.")
    if keepdims:
        shape = list(x.shape)
        shape[row] = shape[col] = 1
        r = _fn("reshape")(r, tuple(shape))
    return r


@composite("norm", namespace="linalg")
def norm(x, ord=None, axis=None, keepdims=False):
    """NumPy's linalg.norm: vector norms (``ord`` None/2, 1, inf, -inf, 0,
    any p) over one axis, matrix norms ('fro', 'nuc', 1, -1, 2, -2, inf,
    -inf) over two; ``axis=None``: the whole 1-D or 2-D array.  The gradient
    where the norm is 0 is 0 for every order (the subgradient of least norm;
    JAX gives nan for ord=2/'fro'); ties in max/min split it evenly."""
    x = arg(x)
    nd = len(x.shape)
    if axis is None:
        if ord is None or (ord in ("f", "fro") and nd == 2) or (ord == 2 and nd == 1):
            return REGISTRY["linalg.pnorm"](x, ord=2.0, axis=tuple(range(nd)),
                                            keepdims=bool(keepdims))
        if nd not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        try:
            axis = (operator.index(axis),)
        except TypeError:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from None
    if len(axis) == 1:
        return _vector_norm(x, ord, norm_axis(axis, nd), bool(keepdims))
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, bool(keepdims))
    raise ValueError("Improper number of dimensions to norm.")


@composite("vector_norm", namespace="linalg")
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The vector norm over ``axis`` (None: all elements; a tuple: those
    axes together), as NumPy's linalg.vector_norm; gradient 0 at 0."""
    x = arg(x)
    return _vector_norm(x, ord, norm_axis(axis, len(x.shape)), bool(keepdims))


@composite("matrix_norm", namespace="linalg")
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The matrix norm over the last two axes (NumPy's linalg.matrix_norm)."""
    x = arg(x)
    _matrix("matrix_norm", x)
    return _matrix_norm(x, ord, (-2, -1), bool(keepdims))


@composite("cond", namespace="linalg")
def cond(x, p=None):
    """The condition number (NumPy's linalg.cond): for p None/2/-2 the ratio
    of extreme singular values, else norm(x, p) * norm(inv(x), p); +inf (a
    constant) for a singular matrix with those other p, as NumPy."""
    x = arg(x)
    _matrix("cond", x)
    if p is None or p == 2 or p == -2:
        s = svdvals(x)
        get = _fn("getitem")
        hi, lo = get(s, (Ellipsis, 0)), get(s, (Ellipsis, -1))
        with np.errstate(all="ignore"):
            return _fn("divide")(lo, hi) if p == -2 else _fn("divide")(hi, lo)
    _square("cond", x)
    data = getattr(x, "_data", x)
    if np.any(np.linalg.det(data) == 0):
        return wrap(np.asarray(np.linalg.cond(data, p)))
    return _fn("multiply")(_matrix_norm(x, p, (-2, -1), False),
                           _matrix_norm(inv(x), p, (-2, -1), False))


# ---- composites on the primitives above --------------------------------------------------
@composite("lstsq", namespace="linalg",
           stub={"return": "tuple[Tensor, Tensor, np.int32, Tensor]"})
def lstsq(a, b, rcond=None):
    """NumPy's lstsq: (x, residuals, rank, s) for min ||a x - b||, x the
    minimum-norm solution pinv(a) @ b (singular values at or below ``rcond``
    times the largest dropped; default eps * max(M, N)).  x, residuals and s
    are differentiable (x at constant rank, as JAX); rank is a NumPy int."""
    a, b = arg(a), arg(b)
    if len(a.shape) != 2:
        raise LinAlgError(f"linalg.lstsq: a must be two-dimensional, got shape {tuple(a.shape)}")
    m, n = a.shape
    if len(b.shape) not in (1, 2) or b.shape[0] != m:
        raise LinAlgError(f"linalg.lstsq: incompatible dimensions, a {tuple(a.shape)} and b "
                          f"{tuple(b.shape)}")
    dt = np.result_type(dtype_of(a), dtype_of(b))
    if rcond is None:
        rcond = np.finfo(dt).eps * max(m, n)
    s = svdvals(a)
    sd = getattr(s, "_data", s)
    rank = np.int32(np.count_nonzero(sd > rcond * sd[0])) if sd.size else np.int32(0)
    x = _fn("matmul")(pinv(a, rcond=rcond), b)
    if rank < n or m <= n:
        resid = wrap(np.empty((0,), dtype=dt))
    else:
        r = _fn("subtract")(b, _fn("matmul")(a, x))
        resid = _fn("sum")(_fn("multiply")(r, r), axis=0)
        if len(b.shape) == 1:
            resid = _fn("reshape")(resid, (1,))
    return x, resid, rank, s


@composite("matrix_power", namespace="linalg")
def matrix_power(a, n):
    """a raised to the integer power n (negative: of inv(a)), by repeated
    squaring in NumPy's order; n = 0 gives the identity (a constant)."""
    a = arg(a)
    _square("matrix_power", a)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError("exponent must be an integer") from None
    if n == 0:
        eye = np.eye(a.shape[-1], dtype=dtype_of(a))
        return wrap(np.array(np.broadcast_to(eye, a.shape)))
    if n < 0:
        a = inv(a)
        n = -n
    mm = _fn("matmul")
    if n == 1:
        return _fn("copy")(a)
    if n == 2:
        return mm(a, a)
    if n == 3:
        return mm(mm(a, a), a)
    z = result = None
    while n > 0:
        z = a if z is None else mm(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else mm(result, z)
    return result


def _chain_order(shapes):
    """The matrix-chain order (Cormen et al. 15.2) as split table s[i][j]."""
    p = [shapes[0][0]] + [s[1] for s in shapes]
    n = len(shapes)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j] = c
                    split[i][j] = k
    return split


@composite("multi_dot", namespace="linalg")
def multi_dot(arrays, *, out=None):
    """The product of two or more matrices in the cheapest order (NumPy's
    multi_dot: the first may be 1-D (a row), the last 1-D (a column))."""
    if out is not None:
        raise TypeError("linalg.multi_dot: out= is not supported (tensors are not written "
                        "in place); use the returned tensor.")
    ts = [arg(t) for t in arrays]
    if len(ts) < 2:
        raise ValueError("Expecting at least two arrays.")
    mm, reshape = _fn("matmul"), _fn("reshape")
    if len(ts) == 2:
        return mm(ts[0], ts[1])
    first_1d, last_1d = len(ts[0].shape) == 1, len(ts[-1].shape) == 1
    if first_1d:
        ts[0] = reshape(ts[0], (1, -1))
    if last_1d:
        ts[-1] = reshape(ts[-1], (-1, 1))
    for t in ts:
        if len(t.shape) != 2:
            raise LinAlgError(f"linalg.multi_dot: the arrays must be 2-D (the first and last "
                              f"may be 1-D), got shapes {[tuple(t.shape) for t in arrays]}")
    split = _chain_order([tuple(t.shape) for t in ts])

    def product(i, j):
        if i == j:
            return ts[i]
        return mm(product(i, split[i][j]), product(split[i][j] + 1, j))
    r = product(0, len(ts) - 1)
    if first_1d and last_1d:
        return reshape(r, ())
    if first_1d or last_1d:
        return reshape(r, (-1,))
    return r


@composite("tensorsolve", namespace="linalg")
def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) = b (NumPy's tensorsolve), by solve."""
    a, b = arg(a), arg(b)
    an = len(a.shape)
    if axes is not None:
        allaxes = list(range(an))
        for k in axes:
            allaxes.remove(k)
            allaxes.insert(an, k)
        a = _fn("transpose")(a, tuple(allaxes))
    oldshape = tuple(a.shape[-(an - len(b.shape)):])
    prod = int(np.prod(oldshape, dtype=np.int64))
    if int(np.prod(a.shape, dtype=np.int64)) != prod ** 2:
        raise LinAlgError("Input arrays must satisfy the requirement "
                          "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")
    reshape = _fn("reshape")
    return reshape(solve(reshape(a, (prod, prod)), reshape(b, (-1,))), oldshape)


@composite("tensorinv", namespace="linalg")
def tensorinv(a, ind=2):
    """The inverse of a with respect to tensordot(., ., ind) (NumPy's
    tensorinv), by inv."""
    a = arg(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    old = tuple(a.shape)
    prod = int(np.prod(old[ind:], dtype=np.int64))
    reshape = _fn("reshape")
    return reshape(inv(reshape(a, (prod, -1))), old[ind:] + old[:ind])


@composite("matrix_rank", namespace="linalg", stub={"return": "np.intp | NDArray[np.intp]"})
def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """The rank (NumPy's matrix_rank): an integer, a plain NumPy value."""
    data = getattr(A, "_data", A)
    return np.linalg.matrix_rank(np.asarray(data), tol=tol, hermitian=hermitian, rtol=rtol)


@composite("matrix_transpose", namespace="linalg")
def matrix_transpose(x, /):
    """Swap the last two axes (NumPy's linalg.matrix_transpose)."""
    x = arg(x)
    _matrix("matrix_transpose", x)
    return _fn("swapaxes")(x, -1, -2)


@composite("vecdot", namespace="linalg")
def vecdot(x1, x2, /, *, axis=-1):
    """The dot product of vectors along ``axis``, broadcasting the rest."""
    return _fn("sum")(_fn("multiply")(arg(x1), arg(x2)), axis=axis)
