"""The public functions of API.md: each converts its operands and calls one
primitive through ``_engine.apply``, or composes primitives (mean, softmax,
log_softmax, dot, outer, flatten)."""
import numpy as np

from . import errors
from ._engine import apply
from .ops import REGISTRY as R
from .ops.reductions import norm_axis
from .tensor import Tensor, to_array

__all__ = [
    "exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "square", "abs", "sigmoid", "relu",
    "negative", "add", "subtract", "multiply", "divide", "power", "maximum", "minimum",
    "clip", "where", "sum", "mean", "max", "min", "prod", "norm", "logsumexp", "softmax",
    "log_softmax", "dot", "matmul", "outer", "reshape", "transpose", "expand_dims",
    "squeeze", "broadcast_to", "concatenate", "stack", "flatten", "copy", "getitem",
]


def _t(x):
    """A tensor operand (arrays and numbers become constant tensors)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _operands(a, b, weak=False):
    """Tensor operands stay; numbers take the tensor's dtype (a Python scalar
    never widens float32); arrays keep theirs, so NumPy's promotion applies.
    ``weak``: Python floats and ints stay numbers (elementwise ufuncs only)."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        return a, b
    if not ta and not tb:
        a = Tensor(a)
        ta = True
    ref = a if ta else b
    if weak:
        x = b if ta else a
        if type(x) is float or type(x) is int:
            # A Python number is a weak scalar to NumPy's ufuncs: the result
            # keeps the tensor's dtype, so it goes as it is (no 0-d array).
            return a, b
    if ta:
        return a, _const(b, ref)
    return _const(a, ref), b


def _const(x, ref):
    if isinstance(x, (bool, int, float, np.number)) and not isinstance(x, np.ndarray):
        if isinstance(x, complex) or np.iscomplexobj(x):
            raise errors.DTypeError(f"complex operand {x!r}: tapegrad tensors are real")
        return np.asarray(x, dtype=ref.dtype)
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "fbiu":
            raise errors.DTypeError(f"cannot combine a tensor with an array of dtype {x.dtype}")
        return x
    return to_array(x, copy=False)


def _unary(name):
    prim = R[name]

    def f(x):
        return apply(prim, _t(x))

    f.__name__ = name
    f.__doc__ = f"Elementwise {name}, recorded and differentiable."
    return f


exp = _unary("exp")
log = _unary("log")
sin = _unary("sin")
cos = _unary("cos")
tan = _unary("tan")
tanh = _unary("tanh")
sqrt = _unary("sqrt")
square = _unary("square")
abs = _unary("abs")
sigmoid = _unary("sigmoid")
relu = _unary("relu")
negative = _unary("neg")


def _binary(name):
    prim = R[name]

    def f(a, b):
        a, b = _operands(a, b, True)
        _check_broadcast(name, a, b)
        return apply(prim, a, b)

    f.__name__ = name
    return f


def _check_broadcast(name, a, b):
    sa, sb = getattr(a, "shape", ()), getattr(b, "shape", ())
    if sa != sb and sa and sb:
        try:
            np.broadcast_shapes(sa, sb)
        except ValueError:
            raise errors.ShapeError(
                f"{name}: operands of shapes {sa} and {sb} do not broadcast together "
                f"({getattr(a, 'dtype', '')}, {getattr(b, 'dtype', '')}); reshape one of them "
                f"(e.g. expand_dims) so trailing dimensions match or are 1.") from None


add = _binary("add")
subtract = _binary("sub")
multiply = _binary("mul")
divide = _binary("div")
power = _binary("pow")
maximum = _binary("maximum")
minimum = _binary("minimum")


def clip(x, a_min=None, a_max=None):
    """Clip to [a_min, a_max]; the gradient passes on the closed interval."""
    lo = float(a_min) if isinstance(a_min, (int, float)) else a_min
    hi = float(a_max) if isinstance(a_max, (int, float)) else a_max
    return apply(R["clip"], _t(x), lo=lo, hi=hi)


def where(cond, a, b):
    """Elements of ``a`` where ``cond`` holds, else of ``b`` (cond is not differentiated)."""
    c = cond._data if isinstance(cond, Tensor) else cond
    c = np.asarray(c, dtype=bool)
    a, b = _operands(a, b)
    return apply(R["where"], a, b, cond=c)


# ---- reductions ------------------------------------------------------------
def _axis(x, axis):
    return norm_axis(axis, x.ndim)


def sum(x, axis=None, keepdims=False):
    x = _t(x)
    return apply(R["sum"], x, axis=_axis(x, axis), keepdims=bool(keepdims))


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    ax = _axis(x, axis)
    n = int(np.prod([x.shape[a] for a in ax], dtype=np.int64))
    return divide(sum(x, ax, keepdims), n)


def max(x, axis=None, keepdims=False):
    x = _t(x)
    return apply(R["max"], x, axis=_axis(x, axis), keepdims=bool(keepdims))


def min(x, axis=None, keepdims=False):
    x = _t(x)
    return apply(R["min"], x, axis=_axis(x, axis), keepdims=bool(keepdims))


def prod(x, axis=None, keepdims=False):
    x = _t(x)
    return apply(R["prod"], x, axis=_axis(x, axis), keepdims=bool(keepdims))


def norm(x):
    """The 2-norm of all elements (gradient 0 at the origin)."""
    return apply(R["norm"], _t(x))


def logsumexp(x, axis=None, keepdims=False):
    x = _t(x)
    return apply(R["logsumexp"], x, axis=_axis(x, axis), keepdims=bool(keepdims))


def softmax(x, axis=-1):
    x = _t(x)
    return exp(subtract(x, logsumexp(x, axis=axis, keepdims=True)))


def log_softmax(x, axis=-1):
    x = _t(x)
    return subtract(x, logsumexp(x, axis=axis, keepdims=True))


# ---- linear algebra --------------------------------------------------------
def matmul(a, b):
    a, b = _operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise errors.ShapeError(
            f"matmul: operands must have at least one dimension, got shapes {a.shape} and "
            f"{b.shape}; use * for scalars.")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise errors.ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} do not align (inner dimensions "
            f"{a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]}).")
    return apply(R["matmul"], a, b)


def dot(a, b):
    """NumPy's dot for 0-, 1- and 2-D operands."""
    a, b = _operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if a.ndim > 2 or b.ndim > 2:
        raise errors.ShapeError(
            f"dot of operands with shapes {a.shape} and {b.shape}: tapegrad's dot takes 0-, "
            f"1- and 2-D operands; use tg.matmul for stacks of matrices.")
    return matmul(a, b)


def outer(a, b):
    a, b = _t(a), _t(b)
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


# ---- shapes ----------------------------------------------------------------
def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    x = _t(x)
    shape = _shape_arg(shape)
    try:
        target = np.empty(x.shape, dtype=bool).reshape(shape).shape
    except ValueError:
        raise errors.ShapeError(
            f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) into "
            f"shape {shape}") from None
    return apply(R["reshape"], x, shape=target)


def transpose(x, *axes):
    x = _t(x)
    axes = _shape_arg(axes) if axes and axes[0] is not None else None
    if axes is not None:
        axes = tuple(int(a) % x.ndim for a in axes)
    return apply(R["transpose"], x, axes=axes)


def expand_dims(x, axis):
    x = _t(x)
    target = np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape
    return apply(R["reshape"], x, shape=target)


def squeeze(x, axis=None):
    x = _t(x)
    target = np.squeeze(np.empty(x.shape, dtype=bool), axis).shape
    return apply(R["reshape"], x, shape=target)


def broadcast_to(x, shape):
    x = _t(x)
    shape = tuple(shape) if not isinstance(shape, int) else (shape,)
    try:
        np.broadcast_shapes(x.shape, shape)
        np.broadcast_to(np.empty(x.shape, dtype=bool), shape)
    except ValueError:
        raise errors.ShapeError(f"cannot broadcast a tensor of shape {x.shape} to {shape}") from None
    return apply(R["broadcast_to"], x, shape=shape)


def flatten(x):
    return reshape(x, (-1,))


def concatenate(tensors, axis=0):
    ts = [_t(t) for t in tensors]
    if not ts:
        raise errors.ShapeError("concatenate needs at least one tensor")
    ts = _common_dtype(ts)
    try:
        np.concatenate([np.empty(t.shape, dtype=bool) for t in ts], axis=axis)
    except (ValueError, np.exceptions.AxisError) as e:
        raise errors.ShapeError(
            f"concatenate along axis {axis}: shapes {[t.shape for t in ts]} do not fit ({e})") from None
    return apply(R["concatenate"], *ts, axis=axis)


def stack(tensors, axis=0):
    ts = [_t(t) for t in tensors]
    if not ts:
        raise errors.ShapeError("stack needs at least one tensor")
    shapes = {t.shape for t in ts}
    if len(shapes) > 1:
        raise errors.ShapeError(f"stack needs tensors of one shape, got {[t.shape for t in ts]}")
    ts = _common_dtype(ts)
    return apply(R["stack"], *ts, axis=axis)


def _common_dtype(ts):
    dt = np.result_type(*[t.dtype for t in ts])
    return [t if t.dtype == dt else apply(R["cast"], t, dtype=dt) for t in ts]


def copy(x):
    return apply(R["copy"], _t(x))


def getitem(x, idx):
    from .tensor import _index
    idx = _index(idx)
    try:
        x._data[idx]
    except IndexError as e:
        raise IndexError(f"index {idx!r} out of range for a tensor of shape {x.shape}: {e}") from None
    return apply(R["getitem"], x, idx=idx)

