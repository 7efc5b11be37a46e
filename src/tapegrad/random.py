"""tg.random: seeded NumPy generators returning float64 tensors."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .tensor import Tensor

__all__ = ["seed", "normal", "uniform"]

#: a parameter of the distribution: a number, or an array of them (broadcast)
Param = float | Sequence[float] | NDArray[Any]

_rng = np.random.default_rng()


def seed(n: int | None) -> None:
    """Reseed tapegrad's generator (independent of NumPy's global one)."""
    global _rng
    _rng = np.random.default_rng(n)


def normal(loc: Param = 0.0, scale: Param = 1.0, size: int | Sequence[int] | None = None,
           dtype: DTypeLike | None = None) -> Tensor:
    return Tensor(_rng.normal(loc, scale, size), dtype=dtype)


def uniform(low: Param = 0.0, high: Param = 1.0, size: int | Sequence[int] | None = None,
            dtype: DTypeLike | None = None) -> Tensor:
    return Tensor(_rng.uniform(low, high, size), dtype=dtype)
