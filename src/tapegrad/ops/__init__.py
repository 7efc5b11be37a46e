"""The op registry.  Importing this package registers every primitive, builds
the backends and hands the core the operators' primitives."""
from .._core import tape as _tape
from . import elementwise, fft, indexing, linalg, linalg_ns, reductions, shape, special  # noqa: F401
from . import contractions, statistics  # noqa: F401  (they register)
from ._registry import BY_CODE, REGISTRY, Composite, Meta, Primitive, public_entries  # noqa: F401
from .backend import NP, TG  # noqa: F401
from .batching import BATCH  # noqa: F401

for _prim in BY_CODE:
    if _prim.operator is not None:
        _tape.set_operator(_prim.operator, _prim, _prim.public)
del _prim
