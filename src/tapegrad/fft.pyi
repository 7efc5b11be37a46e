# Generated from the op registry by tools/gen_stubs.py: do not edit.
# After adding or changing an entry, run: python tools/gen_stubs.py
# tapegrad.fft: the registry's public fft functions.
from collections.abc import Sequence
import numpy as np
from numpy.typing import NDArray
from .tensor import Tensor, TensorLike

__all__: list[str] = [
    "fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "ifft", "ifft2", "ifftn", "ifftshift",
    "ihfft", "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn",
]

def fft(
    a: TensorLike,
    n: int | None = ...,
    axis: int | tuple[int, ...] | None = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def fft2(
    a: TensorLike,
    s: Sequence[int] | None = ...,
    axes: int | Sequence[int] | Sequence[Sequence[int]] = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def fftfreq(n: int, d: float = ..., device: str | None = ...) -> NDArray[np.float64]: ...
def fftn(
    a: TensorLike,
    s: Sequence[int] | None = ...,
    axes: int | Sequence[int] | Sequence[Sequence[int]] | None = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def fftshift(
    x: TensorLike,
    axes: int | Sequence[int] | Sequence[Sequence[int]] | None = ...,
) -> Tensor: ...
def hfft(
    a: TensorLike,
    n: int | None = ...,
    axis: int | tuple[int, ...] | None = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def ifft(
    a: TensorLike,
    n: int | None = ...,
    axis: int | tuple[int, ...] | None = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def ifft2(
    a: TensorLike,
    s: Sequence[int] | None = ...,
    axes: int | Sequence[int] | Sequence[Sequence[int]] = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def ifftn(
    a: TensorLike,
    s: Sequence[int] | None = ...,
    axes: int | Sequence[int] | Sequence[Sequence[int]] | None = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def ifftshift(
    x: TensorLike,
    axes: int | Sequence[int] | Sequence[Sequence[int]] | None = ...,
) -> Tensor: ...
def ihfft(
    a: TensorLike,
    n: int | None = ...,
    axis: int | tuple[int, ...] | None = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def irfft(
    a: TensorLike,
    n: int | None = ...,
    axis: int | tuple[int, ...] | None = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def irfft2(
    a: TensorLike,
    s: Sequence[int] | None = ...,
    axes: int | Sequence[int] | Sequence[Sequence[int]] = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def irfftn(
    a: TensorLike,
    s: Sequence[int] | None = ...,
    axes: int | Sequence[int] | Sequence[Sequence[int]] | None = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def rfft(
    a: TensorLike,
    n: int | None = ...,
    axis: int | tuple[int, ...] | None = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def rfft2(
    a: TensorLike,
    s: Sequence[int] | None = ...,
    axes: int | Sequence[int] | Sequence[Sequence[int]] = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
def rfftfreq(n: int, d: float = ..., device: str | None = ...) -> NDArray[np.float64]: ...
def rfftn(
    a: TensorLike,
    s: Sequence[int] | None = ...,
    axes: int | Sequence[int] | Sequence[Sequence[int]] | None = ...,
    norm: str | None = ...,
    out: None = ...,
) -> Tensor: ...
