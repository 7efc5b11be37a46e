"""tg.random: seeded NumPy generators returning float64 tensors."""
import numpy as np

from .tensor import Tensor

_rng = np.random.default_rng()


def seed(n):
    """Reseed tapegrad's generator (independent of NumPy's global one)."""
    global _rng
    _rng = np.random.default_rng(n)


def normal(loc=0.0, scale=1.0, size=None, dtype=None):
    return Tensor(_rng.normal(loc, scale, size), dtype=dtype)


def uniform(low=0.0, high=1.0, size=None, dtype=None):
    return Tensor(_rng.uniform(low, high, size), dtype=dtype)
