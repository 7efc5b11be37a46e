"""tapegrad: reverse- and forward-mode automatic differentiation for NumPy arrays.

    import tapegrad as tg
    from tapegrad import autograd

    x = tg.arange(4.0)
    x.attach_grad()
    with autograd.record():
        y = 2 * tg.dot(x, x)
    y.backward()
    print(x.grad)        # [ 0.  4.  8. 12.]
"""
# Imports written ``name as name`` are re-exports: the public names a type
# checker lets users import from a typed package (PEP 484).
import typing as _typing

from . import _core  # noqa: F401  (fails loudly if the native build is missing)
from . import autograd as autograd, fft as fft, linalg as linalg, random as random
from . import special as special, threads as threads
from .creation import (arange as arange, array as array, asarray as asarray, full as full,
                       ones as ones, ones_like as ones_like, zeros as zeros,
                       zeros_like as zeros_like)
from .errors import TapegradError as TapegradError
from .functions import *  # noqa: F401,F403  (every public function of the op registry)
from .tensor import Tensor as Tensor

from ._version import __version__ as __version__  # noqa: E402

float32 = "float32"
float64 = "float64"
from .transforms import (grad as grad, hessian as hessian, hvp as hvp,  # noqa: E402
                         jacobian as jacobian, jvp as jvp, value_and_grad as value_and_grad,
                         vjp as vjp)
from .teaching.trace import evaluation_trace as evaluation_trace  # noqa: E402
from .teaching.graphviz import draw as draw, to_dot as to_dot  # noqa: E402
from . import optim as optim  # noqa: E402
from .checking import gradcheck as gradcheck, numerical_grad as numerical_grad  # noqa: E402
from .ops import public_aliases as _public_aliases, public_entries as _public_entries  # noqa: E402

if _typing.TYPE_CHECKING:
    from . import optimize as optimize      # imported on first use, below

else:     # hidden from type checkers, which then report misspelt names
    def __getattr__(name):
        """``tg.optimize`` (needs SciPy, so imported on first use), or a public
        function registered after import (a user's own entry)."""
        if name == "optimize":
            import importlib
            return importlib.import_module(".optimize", __name__)   # optional: SciPy
        entry = _public_entries().get(name) or _public_aliases().get(name)
        if entry is None:
            raise AttributeError(f"module 'tapegrad' has no attribute {name!r}")
        return entry.public
