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
from . import _core  # noqa: F401  (fails loudly if the native build is missing)
from . import autograd, fft, linalg, random, special, threads
from .creation import arange, array, asarray, full, ones, ones_like, zeros, zeros_like
from .errors import TapegradError
from .functions import *  # noqa: F401,F403  (every public function of the op registry)
from .tensor import Tensor

from ._version import __version__  # noqa: E402

float32 = "float32"
float64 = "float64"
from .transforms import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .teaching.trace import evaluation_trace  # noqa: E402
from .teaching.graphviz import draw, to_dot  # noqa: E402
from . import optim  # noqa: E402
from .checking import gradcheck, numerical_grad  # noqa: E402
from .ops import public_aliases as _public_aliases, public_entries as _public_entries  # noqa: E402


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
