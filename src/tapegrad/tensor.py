"""Tensor: a float32/float64 NumPy array with recording state.

A tensor holds its array (``_data``), where it sits on a tape (``_tape``,
``_slot``: None/-1 when it has no history), whether it is a variable
(``_leaf``), its gradient buffer, a version counter shared with the tensors
that share its memory (bumped by every in-place change, checked by
backward) and, under ``tg.jvp``, its tangents per forward-mode level.  Those
fields and the operators live on the core's C type (_core/tape.pyx); this
class adds construction, conversion, in-place updates and the methods, which
come from the op registry (every entry with ``method=...``).

Typing: those methods are added at import time, so a type checker reads
them from ``_tensor_methods.pyi``, a stub generated from the registry
(tools/gen_stubs.py); ``TensorLike`` is what a public function accepts as a
tensor operand.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, Union

import numpy as np
from numpy.typing import DTypeLike, NDArray

from . import errors
from ._core import tape as _tape
from ._core.arrays import DEFAULT_DTYPE, FLOATS, as_float_dtype, to_array  # noqa: F401
from ._core.tape import CoreTensor, Version, wrap
from .ops import REGISTRY, protocols
from .ops._registry import as_tensor

if TYPE_CHECKING:
    # CoreTensor plus the registry's methods (t.sum(), t.exp(), ...), which
    # the loop at the end of this module adds: a generated stub
    from ._tensor_methods import TensorMethods as _TensorBase
else:
    _TensorBase = CoreTensor

GRAD_REQS = ("write", "add", "null")
GradReq: TypeAlias = Literal["write", "add", "null"]


class Tensor(_TensorBase):
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

    __slots__ = ()              # the fields are C fields (_core/tape.pxd)
    __array_priority__ = 1000   # ndarray (op) Tensor defers to Tensor's reflected op

    def __init__(self, data: TensorLike, dtype: DTypeLike | None = None) -> None:
        self._leaf = False
        self._grad = None
        self._grad_req = None
        t = as_tensor(data, dtype)
        if t is not None:
            # a tensor, or lists holding tensors: the recorded copy/stack/cast
            # (its history and tangents), so no gradient is dropped
            self._data, self._tape, self._slot = t._data, t._tape, t._slot
            self._ver, self._tangents = t._ver, t._tangents
            return
        self._data = to_array(data, dtype)
        self._tape = None
        self._slot = -1
        self._ver = Version()
        self._tangents = None

    @classmethod
    def _wrap(cls, arr: NDArray[np.floating[Any]], ver: Version | None = None) -> Tensor:
        """A tensor over ``arr`` (no copy, no checks), sharing ``ver`` if given."""
        return wrap(arr, ver)

    # ---- attributes -------------------------------------------------------
    @property
    def grad(self) -> Tensor | None:
        """The gradient buffer (``attach_grad``), None for a tensor that is
        not a variable."""
        return self._grad

    @property
    def grad_req(self) -> GradReq:
        return self._grad_req if self._grad_req is not None else "null"

    # ---- conversion -------------------------------------------------------
    def asnumpy(self) -> NDArray[np.floating[Any]]:
        """A writable NumPy copy of the values."""
        return self._data.copy()

    def item(self) -> float:
        if self._data.size != 1:
            raise errors.ShapeError(
                f"item() needs a tensor with one element, this one has shape "
                f"{self.shape} ({self.size} elements); index it first or reduce it "
                f"(t.sum(), t[0]).")
        return float(self._data.reshape(-1)[0])

    asscalar = item

    def __float__(self) -> float:
        return self.item()

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        raise TypeError("a tensor holds floats and cannot be used as an index")

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.size} elements is ambiguous; "
                f"use (t > 0).any() or .all()")
        return bool(self._data.reshape(-1)[0])

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __array__(self, dtype: DTypeLike | None = None,
                  copy: bool | None = None) -> NDArray[Any]:
        """A read-only view (``np.asarray(t)``), so NumPy can never write
        behind the in-place check; a copy when a dtype or copy is asked.
        ``asnumpy()`` gives a writable copy."""
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        if copy:
            return self._data.copy()
        view = self._data.view()
        view.flags.writeable = False
        return view

    # NumPy's ufuncs on tensors (np.exp(t), ndarray + t): ops/protocols.py
    __array_ufunc__ = protocols.tensor_array_ufunc

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy's functions on tensors (``np.sum(t, axis=0)``,
        ``np.concatenate([t, a])``, ``np.where(c, t, 0)``): the same rules as
        ``__array_ufunc__``.  ``np.zeros_like(t)`` and the like give constant
        tensors; ``np.asarray(t)`` (no dispatch) is the explicit way out."""
        return protocols.array_function(func, types, args, kwargs)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        if self._data.dtype == np.float32:
            return f"tensor({body}, dtype=float32)"
        return f"tensor({body})"

    def __str__(self) -> str:
        return str(self._data)

    def __hash__(self) -> int:
        return id(self)

    if not TYPE_CHECKING:    # hidden from type checkers, which then catch misspelt names
        def __getattr__(self, name: str) -> Any:
            # a method of a registry entry registered after import (a user's own)
            for e in REGISTRY.values():
                if getattr(e, "method", None) == name:
                    return e.public.__get__(self, Tensor)
            raise AttributeError(f"'Tensor' object has no attribute {name!r}")

    # ---- copies and pickles: values, grad_req and grad; never history -------
    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._data.copy(), self._grad_req,
                           None if self._grad is None else self._grad._data.copy()))

    def __copy__(self) -> Tensor:
        return _rebuild(self._data.copy(), self._grad_req,
                        None if self._grad is None else self._grad._data.copy())

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        out = self.__copy__()
        memo[id(self)] = out
        return out

    # ---- recording --------------------------------------------------------
    def attach_grad(self, grad_req: GradReq = "write") -> None:
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
            self._grad = wrap(np.zeros_like(self._data))

    def detach(self) -> Tensor:
        """The same values (sharing memory), with no history."""
        return wrap(self._data, self._ver)

    # ---- in place ---------------------------------------------------------
    def _bump(self) -> None:
        self._ver.n += 1

    def _check_inplace_source(self, value: object) -> None:
        if (isinstance(value, CoreTensor) and _tape.get_state().recording
                and (value._leaf or value._tape is not None)):
            raise errors.GraphError(
                "writing a recorded tensor into another one in place is not differentiable; "
                "build the result out of place (tg.where, tg.concatenate, arithmetic).")

    def zero_(self) -> Tensor:
        """Fill with zeros in place (e.g. ``x.grad.zero_()``)."""
        self._data[...] = 0
        self._bump()
        return self

    def __setitem__(self, idx: Any, value: TensorLike) -> None:
        self._check_inplace_source(value)
        self._data[_index(idx)] = value._data if isinstance(value, CoreTensor) else value
        self._bump()

    def _inplace(self, ufunc: np.ufunc, other: TensorLike) -> Tensor:
        self._check_inplace_source(other)
        o = other._data if isinstance(other, CoreTensor) else other
        ufunc(self._data, o, out=self._data, casting="same_kind")
        self._bump()
        return self

    def __iadd__(self, o: TensorLike) -> Tensor:
        return self._inplace(np.add, o)

    def __isub__(self, o: TensorLike) -> Tensor:
        return self._inplace(np.subtract, o)

    def __imul__(self, o: TensorLike) -> Tensor:
        return self._inplace(np.multiply, o)

    def __itruediv__(self, o: TensorLike) -> Tensor:
        return self._inplace(np.true_divide, o)

    # comparisons: NumPy bool arrays, never recorded
    def __lt__(self, o: TensorLike) -> NDArray[np.bool_]:
        return self._data < _raw(o)

    def __le__(self, o: TensorLike) -> NDArray[np.bool_]:
        return self._data <= _raw(o)

    def __gt__(self, o: TensorLike) -> NDArray[np.bool_]:
        return self._data > _raw(o)

    def __ge__(self, o: TensorLike) -> NDArray[np.bool_]:
        return self._data >= _raw(o)

    def __eq__(self, o: object) -> NDArray[np.bool_]:  # type: ignore[override]
        return self._data == _raw(o)

    def __ne__(self, o: object) -> NDArray[np.bool_]:  # type: ignore[override]
        return self._data != _raw(o)


#: What the public functions take as a tensor operand: a tensor, or data a
#: tensor can be made of (numbers, nested lists, NumPy arrays; lists may
#: hold tensors).  Not NumPy's ArrayLike: from NumPy 2.5 it holds Buffer,
#: which is Any for Python < 3.12, and an Any operand makes mypy give up on
#: the transforms' overloads (their results became Any).
#: (CoreTensor, Tensor's compiled base, as _core/tape.pyi's operand type: the
#: in-place operators here must take what the core's operators take.)
TensorLike: TypeAlias = Union[CoreTensor, "NDArray[Any]", np.generic, float, Sequence[Any]]


def _rebuild(data: NDArray[np.floating[Any]], grad_req: GradReq | None,
             grad: NDArray[np.floating[Any]] | None) -> Tensor:
    """A plain tensor (no history) with ``grad_req`` and a copy of ``grad``."""
    t = Tensor._wrap(data)
    if grad_req is not None:
        t.attach_grad(grad_req)
        if grad is not None and t._grad is not None:
            t._grad._data[...] = grad
    return t


def _raw(o: object) -> Any:
    return o._data if isinstance(o, CoreTensor) else o


def _index(idx: Any) -> Any:
    """An index with tensors replaced by their arrays (integer or bool masks)."""
    if isinstance(idx, tuple):
        return tuple(_index(i) for i in idx)
    if isinstance(idx, CoreTensor):
        raise TypeError(
            "a float tensor cannot index another tensor; index with ints, slices, or a "
            "NumPy integer or boolean array (e.g. idx.asnumpy().astype(int)).")
    if isinstance(idx, list):
        return np.asarray(idx)
    return idx


_tape.set_tensor_type(Tensor)

# The methods that mirror NumPy's (t.sum(axis=0), t.exp(), ...): every
# registry entry that names one.
for _entry in REGISTRY.values():
    _m = getattr(_entry, "method", None)
    if _m and not hasattr(Tensor, _m):
        setattr(Tensor, _m, _entry.public)
del _entry, _m
