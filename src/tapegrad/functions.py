"""The public functions of API.md, derived from the op registry: every entry
with a public function in the main namespace is ``tg.<name>``, and NumPy's
other names for it (``tg.acos is tg.arccos``; the registry's ALIASES) too.
Nothing here names a primitive; see ops/ for the entries."""
from .ops import public_aliases, public_entries
from .tensor import Tensor  # noqa: F401  (the tensor type is registered before any call)

_entries = {**public_aliases(), **public_entries()}
globals().update({name: e.public for name, e in _entries.items()})
__all__ = sorted(_entries)
del _entries
