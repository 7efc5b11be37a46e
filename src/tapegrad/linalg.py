"""``tg.linalg``: the differentiable counterparts of NumPy's/SciPy's linalg functions,
derived from the op registry (entries registered with namespace="linalg", and
NumPy's linalg names for main-namespace entries: ``tg.linalg.matmul is
tg.matmul``; see ops/).  Nothing here names a function."""
from .ops import public_aliases, public_entries
from .tensor import Tensor  # noqa: F401  (the tensor type is registered before any call)

_entries = {**public_aliases("linalg"), **public_entries("linalg")}
globals().update({name: e.public for name, e in _entries.items()})
__all__ = sorted(_entries)
del _entries


def __getattr__(name):
    """An entry registered after import."""
    entry = public_entries("linalg").get(name) or public_aliases("linalg").get(name)
    if entry is None:
        raise AttributeError(f"module 'tapegrad.linalg' has no attribute {name!r}")
    return entry.public
