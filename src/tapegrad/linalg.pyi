# Generated from the op registry by tools/gen_stubs.py: do not edit.
# After adding or changing an entry, run: python tools/gen_stubs.py
# tapegrad.linalg: the registry's public linalg functions.
from collections.abc import Sequence
from typing import Literal, overload
import numpy as np
from numpy.typing import DTypeLike, NDArray
from .tensor import Tensor, TensorLike

__all__: list[str] = [
    "cholesky", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "lstsq", "matmul",
    "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "multi_dot", "norm", "outer",
    "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot", "tensorinv", "tensorsolve",
    "trace", "vecdot", "vector_norm",
]

def cholesky(a: TensorLike, /, *, upper: bool = ...) -> Tensor: ...
def cond(x: TensorLike, p: float | str | None = ...) -> Tensor: ...
def det(a: TensorLike) -> Tensor: ...
def diagonal(x: TensorLike, /, *, offset: int = ...) -> Tensor: ...
def eigh(a: TensorLike, UPLO: str = ...) -> tuple[Tensor, Tensor]: ...
def eigvalsh(a: TensorLike, UPLO: str = ...) -> Tensor: ...
def inv(a: TensorLike) -> Tensor: ...
def lstsq(
    a: TensorLike,
    b: TensorLike,
    rcond: float | None = ...,
) -> tuple[Tensor, Tensor, np.int32, Tensor]: ...
def matrix_norm(x: TensorLike, /, *, keepdims: bool = ..., ord: float | str = ...) -> Tensor: ...
def matrix_power(a: TensorLike, n: int) -> Tensor: ...
def matrix_rank(
    A: TensorLike,
    tol: float | None = ...,
    hermitian: bool = ...,
    *,
    rtol: float | None = ...,
) -> np.intp | NDArray[np.intp]: ...
def matrix_transpose(x: TensorLike, /) -> Tensor: ...
def multi_dot(arrays: Sequence[TensorLike], *, out: None = ...) -> Tensor: ...
def norm(
    x: TensorLike,
    ord: float | str | None = ...,
    axis: int | tuple[int, ...] | None = ...,
    keepdims: bool = ...,
) -> Tensor: ...
def pinv(
    a: TensorLike,
    rcond: float | None = ...,
    hermitian: bool = ...,
    *,
    rtol: float = ...,
) -> Tensor: ...
@overload
def qr(a: TensorLike, mode: Literal['reduced', 'complete'] = ...) -> tuple[Tensor, Tensor]: ...
@overload
def qr(a: TensorLike, mode: Literal['r']) -> Tensor: ...
def slogdet(a: TensorLike) -> tuple[Tensor, Tensor]: ...
def solve(a: TensorLike, b: TensorLike) -> Tensor: ...
@overload
def svd(
    a: TensorLike,
    full_matrices: bool = ...,
    compute_uv: Literal[True] = ...,
    hermitian: bool = ...,
) -> tuple[Tensor, Tensor, Tensor]: ...
@overload
def svd(
    a: TensorLike,
    full_matrices: bool = ...,
    *,
    compute_uv: Literal[False],
    hermitian: bool = ...,
) -> Tensor: ...
@overload
def svd(
    a: TensorLike,
    full_matrices: bool,
    compute_uv: Literal[False],
    hermitian: bool = ...,
) -> Tensor: ...
def svdvals(x: TensorLike, /) -> Tensor: ...
def tensorinv(a: TensorLike, ind: int = ...) -> Tensor: ...
def tensorsolve(
    a: TensorLike,
    b: TensorLike,
    axes: int | Sequence[int] | Sequence[Sequence[int]] | None = ...,
) -> Tensor: ...
def trace(x: TensorLike, /, *, offset: int = ..., dtype: DTypeLike | None = ...) -> Tensor: ...
def vecdot(
    x1: TensorLike,
    x2: TensorLike,
    /,
    *,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def vector_norm(
    x: TensorLike,
    /,
    *,
    axis: int | tuple[int, ...] | None = ...,
    keepdims: bool = ...,
    ord: float | str = ...,
) -> Tensor: ...
def cross(
    a: TensorLike,
    b: TensorLike,
    axisa: int = ...,
    axisb: int = ...,
    axisc: int = ...,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def matmul(a: TensorLike, b: TensorLike) -> Tensor: ...
def outer(a: TensorLike, b: TensorLike) -> Tensor: ...
def tensordot(
    a: TensorLike,
    b: TensorLike,
    axes: int | Sequence[int] | Sequence[Sequence[int]] = ...,
) -> Tensor: ...
