"""Creation functions of API.md (float64 unless dtype says otherwise).

Data that holds tensors is recorded, never turned into constants: a tensor
given to ``array`` is copied by the recorded ``copy``, nested lists holding
tensors are ``stack``ed level by level (numbers as constants), a tensor fill
value of ``full`` is broadcast -- so ``tg.array([x, 2 * x])`` differentiates
like the tensors it holds.  The conversion is ops/_registry.as_tensor, the
same one every public function's operands go through (``arg``).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ._core.tape import CoreTensor
from .ops import REGISTRY
from .ops._registry import as_tensor
from .tensor import DEFAULT_DTYPE, Tensor, TensorLike, as_float_dtype, to_array

#: a shape: one length, or a sequence of them
Shape = int | Sequence[int]


def _dt(dtype: DTypeLike | None) -> np.dtype[Any]:
    return DEFAULT_DTYPE if dtype is None else as_float_dtype(dtype)


def array(data: TensorLike, dtype: DTypeLike | None = None) -> Tensor:
    """A tensor holding a copy of ``data`` (integers and booleans become
    float64).  A tensor, or (nested) lists holding tensors, give a recorded
    result (a copy, a stack of the pieces), so gradients flow through it:
    ``tg.grad(lambda x: tg.array([x, 2 * x]).sum())(3.0)`` is 3."""
    t = as_tensor(data, dtype)
    return t if t is not None else Tensor._wrap(to_array(data, dtype))


def asarray(data: TensorLike, dtype: DTypeLike | None = None) -> Tensor:
    """``data`` as a tensor: a tensor of that dtype itself (no copy), lists
    holding tensors stacked (recorded), anything else copied into a new
    tensor (a NumPy array is copied too, so it cannot change behind a
    recorded graph)."""
    t = as_tensor(data, dtype, copy=False)
    return t if t is not None else Tensor._wrap(to_array(data, dtype))


def arange(start: float, stop: float | None = None, step: float = 1,
           dtype: DTypeLike | None = None) -> Tensor:
    return Tensor(np.arange(start, stop, step, dtype=_dt(dtype)))


def zeros(shape: Shape, dtype: DTypeLike | None = None) -> Tensor:
    return Tensor._wrap(np.zeros(shape, dtype=_dt(dtype)))


def ones(shape: Shape, dtype: DTypeLike | None = None) -> Tensor:
    return Tensor._wrap(np.ones(shape, dtype=_dt(dtype)))


def full(shape: Shape, value: TensorLike, dtype: DTypeLike | None = None) -> Tensor:
    """A tensor of ``shape`` filled with ``value``.  A tensor ``value`` (or
    lists holding tensors) is broadcast to ``shape`` and recorded, keeping
    its dtype unless ``dtype`` is given; a number gives a constant (float64
    by default)."""
    v = as_tensor(value, dtype, copy=False)
    if v is None:
        return Tensor._wrap(np.full(shape, value, dtype=_dt(dtype)))
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return REGISTRY["copy"].public(REGISTRY["broadcast_to"].public(v, shape))


def zeros_like(t: TensorLike) -> Tensor:
    """Zeros of t's shape and dtype: a constant (no history), whatever t is,
    since it does not depend on t's values (its derivative is zero)."""
    return Tensor._wrap(np.zeros(_shape(t), dtype=_like_dtype(t)))


def ones_like(t: TensorLike) -> Tensor:
    """Ones of t's shape and dtype: a constant (no history), as zeros_like."""
    return Tensor._wrap(np.ones(_shape(t), dtype=_like_dtype(t)))


def _shape(t: TensorLike) -> tuple[int, ...]:
    return t.shape if isinstance(t, CoreTensor) else np.shape(t)


def _like_dtype(t: TensorLike) -> np.dtype[Any]:
    dt = getattr(t, "dtype", None)
    return dt if dt in (np.float32, np.float64) else DEFAULT_DTYPE
