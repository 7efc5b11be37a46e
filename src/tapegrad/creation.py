"""Creation functions of API.md (float64 unless dtype says otherwise)."""
import numpy as np

from .tensor import DEFAULT_DTYPE, Tensor, as_float_dtype


def _dt(dtype):
    return DEFAULT_DTYPE if dtype is None else as_float_dtype(dtype)


def array(data, dtype=None):
    """A tensor holding a copy of ``data`` (integers and booleans become float64)."""
    return Tensor(data, dtype=dtype)


def arange(start, stop=None, step=1, dtype=None):
    return Tensor(np.arange(start, stop, step, dtype=_dt(dtype)))


def zeros(shape, dtype=None):
    return Tensor._wrap(np.zeros(shape, dtype=_dt(dtype)))


def ones(shape, dtype=None):
    return Tensor._wrap(np.ones(shape, dtype=_dt(dtype)))


def full(shape, value, dtype=None):
    return Tensor._wrap(np.full(shape, value, dtype=_dt(dtype)))


def zeros_like(t):
    return Tensor._wrap(np.zeros(np.shape(t), dtype=_like_dtype(t)))


def ones_like(t):
    return Tensor._wrap(np.ones(np.shape(t), dtype=_like_dtype(t)))


def _like_dtype(t):
    dt = getattr(t, "dtype", None)
    return dt if dt in (np.float32, np.float64) else DEFAULT_DTYPE
