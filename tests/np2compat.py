"""NumPy 2's linalg functions for the tests' NumPy references on NumPy 1.x.

The oracles call ``np.linalg.svdvals``, ``vector_norm``, ``cholesky(upper=)``
... which NumPy 1.25 (the declared floor) lacks; there they are written here
from NumPy 1's own functions.  On NumPy 2 the namespace is NumPy's, untouched
(an independent oracle)."""
import numpy as np

NUMPY_2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


class _Over:
    """Attribute lookup falls back to ``base``; ``extra`` overrides it."""

    def __init__(self, base, **extra):
        self._base = base
        self.__dict__.update(extra)

    def __getattr__(self, attr):
        return getattr(self._base, attr)


def _solve(a, b):
    """NumPy 2's rule: b is a vector only when 1-D, else a stack of matrices."""
    bm = b[..., None] if b.ndim == 1 else b
    batch = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    r = np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]),
                        np.broadcast_to(bm, batch + bm.shape[-2:]))
    return r[..., 0] if b.ndim == 1 else r


def _cholesky(a, upper=False):
    L = np.linalg.cholesky(a)
    return np.swapaxes(L, -1, -2) if upper else L


def _vector_norm(x, axis=None, keepdims=False, ord=2):
    x = np.asarray(x)
    if axis is None:
        r = np.linalg.norm(x.ravel(), ord=ord)
        return np.reshape(r, (1,) * x.ndim) if keepdims else r
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    axes = tuple(a % x.ndim for a in axes)
    rest = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, rest + list(axes)).reshape([x.shape[i] for i in rest] + [-1])
    r = np.linalg.norm(moved, ord=ord, axis=-1)
    if keepdims:
        r = np.expand_dims(r, axes)
    return r


def _matrix_norm(x, keepdims=False, ord="fro"):
    return np.linalg.norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def _vecdot(a, b, axis=-1):
    return np.sum(a * b, axis=axis)


linalg = np.linalg if NUMPY_2 else _Over(
    np.linalg, solve=_solve, cholesky=_cholesky,
    svdvals=lambda x: np.linalg.svd(x, compute_uv=False),
    vector_norm=_vector_norm, matrix_norm=_matrix_norm,
    matrix_transpose=lambda x: np.swapaxes(x, -1, -2), vecdot=_vecdot)

#: numpy, with NumPy 2's linalg on NumPy 1
np2 = np if NUMPY_2 else _Over(np, linalg=linalg, permute_dims=np.transpose)
