"""The op table.  Importing this package registers every primitive."""
from . import elementwise, linalg, reductions, shape  # noqa: F401
from ._registry import BY_CODE, REGISTRY, Meta, Primitive  # noqa: F401
