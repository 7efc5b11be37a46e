# Generated from the op registry by tools/gen_stubs.py: do not edit.
# After adding or changing an entry, run: python tools/gen_stubs.py
# tapegrad.Tensor's methods from the registry: Tensor's base for type checkers.
from collections.abc import Sequence
import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray
from ._core.tape import CoreTensor
from .tensor import Tensor, TensorLike

class TensorMethods(CoreTensor):
    """The Tensor methods of registry entries (tensor.py sets them on the class)."""
    def abs(self) -> Tensor: ...
    def all(
        self,
        axis: int | tuple[int, ...] | None = ...,
        out: None = ...,
        keepdims: bool = ...,
        *,
        where: ArrayLike = ...,
    ) -> np.bool_ | NDArray[np.bool_]: ...
    def any(
        self,
        axis: int | tuple[int, ...] | None = ...,
        out: None = ...,
        keepdims: bool = ...,
        *,
        where: ArrayLike = ...,
    ) -> np.bool_ | NDArray[np.bool_]: ...
    def argmax(
        self,
        axis: int | tuple[int, ...] | None = ...,
        out: None = ...,
        *,
        keepdims: bool = ...,
    ) -> np.intp | NDArray[np.intp]: ...
    def argmin(
        self,
        axis: int | tuple[int, ...] | None = ...,
        out: None = ...,
        *,
        keepdims: bool = ...,
    ) -> np.intp | NDArray[np.intp]: ...
    def argpartition(
        self,
        kth: int | Sequence[int],
        axis: int | tuple[int, ...] | None = ...,
        kind: str = ...,
        order: str | None = ...,
    ) -> NDArray[np.intp]: ...
    def argsort(
        self,
        axis: int | tuple[int, ...] | None = ...,
        kind: str | None = ...,
        order: str | None = ...,
        *,
        stable: bool | None = ...,
    ) -> NDArray[np.intp]: ...
    def astype(
        self,
        dtype: DTypeLike,
        /,
        *,
        copy: bool = ...,
        device: str | None = ...,
    ) -> Tensor: ...
    def broadcast_to(self, shape: int | Sequence[int]) -> Tensor: ...
    def clip(self, a_min: TensorLike | None = ..., a_max: TensorLike | None = ...) -> Tensor: ...
    def copy(self) -> Tensor: ...
    def cos(self) -> Tensor: ...
    def cumprod(
        self,
        axis: int | tuple[int, ...] | None = ...,
        dtype: DTypeLike | None = ...,
        out: None = ...,
    ) -> Tensor: ...
    def cumsum(
        self,
        axis: int | tuple[int, ...] | None = ...,
        dtype: DTypeLike | None = ...,
        out: None = ...,
    ) -> Tensor: ...
    def diagonal(self, offset: int = ..., axis1: int = ..., axis2: int = ...) -> Tensor: ...
    def dot(self, b: TensorLike, out: None = ...) -> Tensor: ...
    def exp(self) -> Tensor: ...
    def expand_dims(self, axis: int | tuple[int, ...] | None) -> Tensor: ...
    def flatten(self, order: str = ...) -> Tensor: ...
    def log(self) -> Tensor: ...
    def log_softmax(self, axis: int | tuple[int, ...] | None = ...) -> Tensor: ...
    def logsumexp(
        self,
        axis: int | tuple[int, ...] | None = ...,
        keepdims: bool = ...,
    ) -> Tensor: ...
    def matmul(self, b: TensorLike) -> Tensor: ...
    def max(
        self,
        axis: int | tuple[int, ...] | None = ...,
        out: None = ...,
        keepdims: bool = ...,
        initial: float = ...,
        where: ArrayLike = ...,
    ) -> Tensor: ...
    def maximum(self, b: TensorLike) -> Tensor: ...
    def mean(
        self,
        axis: int | tuple[int, ...] | None = ...,
        dtype: DTypeLike | None = ...,
        out: None = ...,
        keepdims: bool = ...,
        *,
        where: ArrayLike = ...,
    ) -> Tensor: ...
    def min(
        self,
        axis: int | tuple[int, ...] | None = ...,
        out: None = ...,
        keepdims: bool = ...,
        initial: float = ...,
        where: ArrayLike = ...,
    ) -> Tensor: ...
    def minimum(self, b: TensorLike) -> Tensor: ...
    def nonzero(self) -> tuple[NDArray[np.intp], ...]: ...
    def norm(self) -> Tensor: ...
    def outer(self, b: TensorLike) -> Tensor: ...
    def prod(
        self,
        axis: int | tuple[int, ...] | None = ...,
        dtype: DTypeLike | None = ...,
        out: None = ...,
        keepdims: bool = ...,
        initial: float = ...,
        where: ArrayLike = ...,
    ) -> Tensor: ...
    def ravel(self, order: str = ...) -> Tensor: ...
    def relu(self) -> Tensor: ...
    def repeat(self, repeats: ArrayLike, axis: int | tuple[int, ...] | None = ...) -> Tensor: ...
    def reshape(
        self,
        *args: int | Sequence[int],
        shape: int | Sequence[int] | None = ...,
        order: str = ...,
        copy: bool | None = ...,
    ) -> Tensor: ...
    def round(self, decimals: int = ...) -> Tensor: ...
    def searchsorted(
        self,
        v: TensorLike,
        side: str = ...,
        sorter: ArrayLike | None = ...,
    ) -> np.intp | NDArray[np.intp]: ...
    def sigmoid(self) -> Tensor: ...
    def sin(self) -> Tensor: ...
    def softmax(self, axis: int | tuple[int, ...] | None = ...) -> Tensor: ...
    def sqrt(self) -> Tensor: ...
    def square(self) -> Tensor: ...
    def squeeze(self, axis: int | tuple[int, ...] | None = ...) -> Tensor: ...
    def std(
        self,
        axis: int | tuple[int, ...] | None = ...,
        dtype: DTypeLike | None = ...,
        out: None = ...,
        ddof: float = ...,
        keepdims: bool = ...,
        *,
        where: ArrayLike = ...,
        mean: TensorLike = ...,
        correction: float = ...,
    ) -> Tensor: ...
    def sum(
        self,
        axis: int | tuple[int, ...] | None = ...,
        dtype: DTypeLike | None = ...,
        out: None = ...,
        keepdims: bool = ...,
        initial: float = ...,
        where: ArrayLike = ...,
    ) -> Tensor: ...
    def swapaxes(self, axis1: int, axis2: int) -> Tensor: ...
    def take(
        self,
        indices: ArrayLike,
        axis: int | tuple[int, ...] | None = ...,
        out: None = ...,
        mode: str = ...,
    ) -> Tensor: ...
    def tan(self) -> Tensor: ...
    def tanh(self) -> Tensor: ...
    def trace(
        self,
        offset: int = ...,
        axis1: int = ...,
        axis2: int = ...,
        dtype: DTypeLike | None = ...,
        out: None = ...,
    ) -> Tensor: ...
    def transpose(
        self,
        axes: int | Sequence[int] | Sequence[Sequence[int]] | None = ...,
        *more: int,
    ) -> Tensor: ...
    def var(
        self,
        axis: int | tuple[int, ...] | None = ...,
        dtype: DTypeLike | None = ...,
        out: None = ...,
        ddof: float = ...,
        keepdims: bool = ...,
        *,
        where: ArrayLike = ...,
        mean: TensorLike = ...,
        correction: float = ...,
    ) -> Tensor: ...
