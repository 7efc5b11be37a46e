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
from . import autograd, random
from .creation import arange, array, full, ones, ones_like, zeros, zeros_like
from .errors import TapegradError
from .functions import (abs, add, broadcast_to, clip, concatenate, copy, cos, divide, dot, exp,
                        expand_dims, flatten, log, log_softmax, logsumexp, matmul, max,
                        maximum, mean, min, minimum, multiply, negative, norm, outer, power,
                        prod, relu, reshape, sigmoid, sin, softmax, sqrt, square, squeeze,
                        stack, subtract, sum, tan, tanh, transpose, where)
from .tensor import Tensor

from ._version import __version__  # noqa: E402

float32 = "float32"
float64 = "float64"
from .transforms import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .trace import evaluation_trace  # noqa: E402
from .graphviz import draw, to_dot  # noqa: E402
from . import optim  # noqa: E402
from .checking import gradcheck, numerical_grad  # noqa: E402
