"""Tensor: a float32/float64 NumPy array with recording state.

A tensor holds its array (``_data``), where it sits on a tape (``_tape``,
``_slot``: None/-1 when it has no history), whether it is a variable
(``_leaf``), its gradient buffer, a version counter shared with the tensors
that share its memory (bumped by every in-place change, checked by
backward) and, under ``tg.jvp``, its tangents per forward-mode level.
Operators and methods are thin: they call the functions in functions.py,
which call ``_engine.apply``.
"""
import numpy as np

from . import _engine, errors
from ._core.tape import TensorBase, Version, _new_tensor

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
DEFAULT_DTYPE = np.dtype(np.float64)
GRAD_REQS = ("write", "add", "null")


def as_float_dtype(dtype, what="dtype"):
    dt = np.dtype(dtype)
    if dt not in _FLOATS:
        raise errors.DTypeError(
            f"tapegrad tensors hold float32 or float64, got {what}={dt}; "
            f"pass dtype='float32' or dtype='float64'.")
    return dt


def to_array(data, dtype=None, copy=True):
    """data as a float32/float64 ndarray (TypeError for anything else)."""
    if isinstance(data, Tensor):
        data = data._data
    if dtype is not None:
        dtype = as_float_dtype(dtype)
    if isinstance(data, (str, bytes)):
        raise errors.DTypeError(
            f"cannot make a tensor from a {type(data).__name__} ({data!r}): "
            f"tensors hold float32 or float64 numbers.")
    try:
        arr = np.asarray(data)
    except (ValueError, TypeError) as e:
        raise errors.DTypeError(f"cannot make a tensor from {type(data).__name__}: {e}") from None
    kind = arr.dtype.kind
    if kind in "biu":
        arr = arr.astype(dtype or DEFAULT_DTYPE)
    elif kind == "f":
        target = dtype or (arr.dtype if arr.dtype in _FLOATS else DEFAULT_DTYPE)
        arr = np.array(arr, dtype=target, copy=copy) if (copy or arr.dtype != target) else arr
    elif kind == "c":
        raise errors.DTypeError(
            f"cannot make a tensor from complex data ({arr.dtype}): tapegrad differentiates "
            f"real float32/float64 arrays; split real and imaginary parts.")
    else:
        raise errors.DTypeError(
            f"cannot make a tensor from {type(data).__name__} data of dtype {arr.dtype}: "
            f"tensors hold float32 or float64 numbers.")
    return arr


class Tensor(TensorBase):
    """An array that can record the operations applied to it.

    >>> import tapegrad as tg
    >>> from tapegrad import autograd
    >>> x = tg.arange(4)
    >>> x.attach_grad()
    >>> with autograd.record():
    ...     y = 2 * tg.dot(x, x)
    >>> y.backward()
    >>> x.grad
    tensor([ 0.,  4.,  8., 12.])
    """

    __slots__ = ()              # the fields are C fields of TensorBase (_core/tape.pxd)
    __array_priority__ = 1000   # ndarray (op) Tensor defers to Tensor's reflected op

    def __init__(self, data, dtype=None):
        self._data = to_array(data, dtype)
        self._tape = None
        self._slot = -1
        self._ver = Version()
        self._leaf = False
        self._grad = None
        self._grad_req = None
        self._tangents = None

    @classmethod
    def _wrap(cls, arr, ver=None):
        """A tensor over ``arr`` (no copy, no checks), sharing ``ver`` if given."""
        return _new_tensor(cls, arr, ver)

    # ---- attributes -------------------------------------------------------
    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def T(self):
        return F.transpose(self)

    @property
    def grad(self):
        return self._grad

    @property
    def grad_req(self):
        return self._grad_req if self._grad_req is not None else "null"

    # ---- conversion -------------------------------------------------------
    def asnumpy(self):
        return self._data.copy()

    def item(self):
        if self._data.size != 1:
            raise errors.ShapeError(
                f"item() needs a tensor with one element, this one has shape "
                f"{self.shape} ({self.size} elements); index it first or reduce it "
                f"(t.sum(), t[0]).")
        return float(self._data.reshape(-1)[0])

    asscalar = item

    def __float__(self):
        return self.item()

    def __int__(self):
        return int(self.item())

    def __index__(self):
        raise TypeError("a tensor holds floats and cannot be used as an index")

    def __bool__(self):
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.size} elements is ambiguous; "
                f"use (t > 0).any() or .all()")
        return bool(self._data.reshape(-1)[0])

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __repr__(self):
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        if self._data.dtype == np.float32:
            return f"tensor({body}, dtype=float32)"
        return f"tensor({body})"

    def __str__(self):
        return str(self._data)

    def __hash__(self):
        return id(self)

    def __reduce__(self):
        return (Tensor, (self._data,))

    # ---- recording --------------------------------------------------------
    def attach_grad(self, grad_req="write"):
        """Make this tensor a variable: gradients of recorded results flow into
        ``self.grad`` ('write' overwrites, 'add' accumulates, 'null' keeps
        none).  On a recorded intermediate this first detaches it, as MXNet
        does: gradients stop here."""
        if grad_req not in GRAD_REQS:
            raise errors.GradReqError(
                f"grad_req must be one of 'write', 'add', 'null', got {grad_req!r}")
        self._tape = None
        self._slot = -1
        self._grad_req = grad_req
        if grad_req == "null":
            self._leaf = False
            self._grad = None
        else:
            self._leaf = True
            self._grad = Tensor._wrap(np.zeros_like(self._data))

    def detach(self):
        """The same values (sharing memory), with no history."""
        return Tensor._wrap(self._data, self._ver)

    def backward(self, head_grad=None, retain_graph=False, create_graph=False):
        """Gradients of this tensor (summed, for a non-scalar one, or weighted
        by ``head_grad``) into the ``.grad`` of every variable it depends on."""
        from .autograd import backward
        backward([self], None if head_grad is None else [head_grad],
                 retain_graph=retain_graph, create_graph=create_graph)

    # ---- in place ---------------------------------------------------------
    def _bump(self):
        self._ver.n += 1

    def _check_inplace_source(self, value):
        if isinstance(value, Tensor) and _engine.STATE.recording and _engine.requires(value):
            raise errors.GraphError(
                "writing a recorded tensor into another one in place is not differentiable; "
                "build the result out of place (tg.where, tg.concatenate, arithmetic).")

    def zero_(self):
        self._data[...] = 0
        self._bump()
        return self

    def __setitem__(self, idx, value):
        self._check_inplace_source(value)
        self._data[_index(idx)] = value._data if isinstance(value, Tensor) else value
        self._bump()

    def _inplace(self, ufunc, other):
        self._check_inplace_source(other)
        o = other._data if isinstance(other, Tensor) else other
        ufunc(self._data, o, out=self._data, casting="same_kind")
        self._bump()
        return self

    def __iadd__(self, o):
        return self._inplace(np.add, o)

    def __isub__(self, o):
        return self._inplace(np.subtract, o)

    def __imul__(self, o):
        return self._inplace(np.multiply, o)

    def __itruediv__(self, o):
        return self._inplace(np.true_divide, o)

    # ---- operators --------------------------------------------------------
    def __add__(self, o):
        return F.add(self, o)

    def __radd__(self, o):
        return F.add(o, self)

    def __sub__(self, o):
        return F.subtract(self, o)

    def __rsub__(self, o):
        return F.subtract(o, self)

    def __mul__(self, o):
        return F.multiply(self, o)

    def __rmul__(self, o):
        return F.multiply(o, self)

    def __truediv__(self, o):
        return F.divide(self, o)

    def __rtruediv__(self, o):
        return F.divide(o, self)

    def __pow__(self, o):
        return F.power(self, o)

    def __rpow__(self, o):
        return F.power(o, self)

    def __matmul__(self, o):
        return F.matmul(self, o)

    def __rmatmul__(self, o):
        return F.matmul(o, self)

    def __neg__(self):
        return F.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return F.abs(self)

    def __getitem__(self, idx):
        return F.getitem(self, idx)

    # comparisons: NumPy bool arrays, never recorded
    def __lt__(self, o):
        return self._data < _raw(o)

    def __le__(self, o):
        return self._data <= _raw(o)

    def __gt__(self, o):
        return self._data > _raw(o)

    def __ge__(self, o):
        return self._data >= _raw(o)

    def __eq__(self, o):
        return self._data == _raw(o)

    def __ne__(self, o):
        return self._data != _raw(o)


def _raw(o):
    return o._data if isinstance(o, Tensor) else o


def _index(idx):
    """An index with tensors replaced by their arrays (integer or bool masks)."""
    if isinstance(idx, tuple):
        return tuple(_index(i) for i in idx)
    if isinstance(idx, Tensor):
        raise TypeError(
            "a float tensor cannot index another tensor; index with ints, slices, or a "
            "NumPy integer or boolean array (e.g. idx.asnumpy().astype(int)).")
    if isinstance(idx, list):
        return np.asarray(idx)
    return idx


_engine.Tensor = Tensor
from . import functions as F  # noqa: E402  (functions need Tensor defined)

# Methods that mirror NumPy's (t.sum(axis=0), t.exp(), ...).
for _name in ("exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "square", "sigmoid", "relu",
              "clip", "sum", "mean", "max", "min", "prod", "norm", "logsumexp", "softmax",
              "log_softmax", "dot", "matmul", "reshape", "transpose", "expand_dims",
              "squeeze", "broadcast_to", "flatten", "copy", "maximum", "minimum", "power",
              "outer"):
    setattr(Tensor, _name, getattr(F, _name))
Tensor.abs = F.abs
del _name
