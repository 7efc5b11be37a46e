# Generated from the op registry by tools/gen_stubs.py: do not edit.
# After adding or changing an entry, run: python tools/gen_stubs.py
# tapegrad.functions: the registry's public functions.
from collections.abc import Sequence
from typing import Any, Literal, overload
import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray
from .tensor import Tensor, TensorLike

__all__: list[str] = [
    "abs", "absolute", "acos", "acosh", "add", "all", "amax", "amin", "angle", "any", "append",
    "apply_along_axis", "apply_over_axes", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctan2", "arctanh", "argmax", "argmin", "argpartition", "argsort", "argwhere", "around",
    "array_split", "asin", "asinh", "astype", "atan", "atan2", "atanh", "atleast_1d", "atleast_2d",
    "atleast_3d", "average", "bartlett", "blackman", "block", "broadcast_arrays", "broadcast_to",
    "cbrt", "ceil", "choose", "clip", "column_stack", "compress", "concat", "concatenate", "conj",
    "conjugate", "convolve", "copy", "copysign", "corrcoef", "correlate", "cos", "cosh",
    "count_nonzero", "cov", "cross", "cumprod", "cumsum", "cumulative_prod", "cumulative_sum",
    "deg2rad", "degrees", "delete", "diag", "diagflat", "diagonal", "diff", "divide", "divmod",
    "dot", "dsplit", "dstack", "ediff1d", "einsum", "exp", "exp2", "expand_dims", "expm1",
    "extract", "eye", "fabs", "fix", "flatnonzero", "flatten", "flip", "fliplr", "flipud",
    "float_power", "floor", "floor_divide", "fmax", "fmin", "fmod", "frexp", "geomspace",
    "getitem", "gradient", "hamming", "hanning", "heaviside", "hsplit", "hstack", "hypot", "i0",
    "identity", "imag", "inner", "insert", "interp", "isfinite", "isinf", "isnan", "kaiser",
    "kron", "ldexp", "linspace", "log", "log10", "log1p", "log2", "log_softmax", "logaddexp",
    "logaddexp2", "logspace", "logsumexp", "matmul", "matrix_transpose", "matvec", "max",
    "maximum", "mean", "median", "meshgrid", "min", "minimum", "mod", "modf", "moveaxis",
    "multiply", "nan_to_num", "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax",
    "nanmean", "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile", "nanstd",
    "nansum", "nanvar", "negative", "nonzero", "norm", "outer", "pad", "partition", "percentile",
    "permute_dims", "piecewise", "poly", "polyadd", "polyder", "polydiv", "polyfit", "polyint",
    "polymul", "polysub", "polyval", "positive", "pow", "power", "prod", "ptp", "quantile",
    "rad2deg", "radians", "ravel", "real", "real_if_close", "reciprocal", "relu", "remainder",
    "repeat", "reshape", "resize", "rint", "roll", "rollaxis", "rot90", "round", "row_stack",
    "searchsorted", "select", "sigmoid", "sign", "signbit", "sin", "sinc", "sinh", "softmax",
    "sort", "split", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum", "swapaxes",
    "take", "take_along_axis", "tan", "tanh", "tensordot", "tile", "trace", "transpose",
    "trapezoid", "tri", "tril", "trim_zeros", "triu", "true_divide", "trunc", "unique", "unstack",
    "vander", "var", "vdot", "vecdot", "vecmat", "vsplit", "vstack", "where",
]

def abs(x: TensorLike) -> Tensor: ...
def add(a: TensorLike, b: TensorLike) -> Tensor: ...
def all(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    *,
    where: ArrayLike = ...,
) -> np.bool_ | NDArray[np.bool_]: ...
def amax(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    initial: float = ...,
    where: ArrayLike = ...,
) -> Tensor: ...
def amin(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    initial: float = ...,
    where: ArrayLike = ...,
) -> Tensor: ...
def angle(z: TensorLike, deg: bool = ...) -> Tensor: ...
def any(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    *,
    where: ArrayLike = ...,
) -> np.bool_ | NDArray[np.bool_]: ...
def append(
    arr: TensorLike,
    values: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def apply_along_axis(
    func1d: TensorLike,
    axis: int | tuple[int, ...] | None,
    arr: TensorLike,
    *args: TensorLike,
    **kwargs: Any,
) -> Tensor: ...
def apply_over_axes(
    func: TensorLike,
    a: TensorLike,
    axes: int | Sequence[int] | Sequence[Sequence[int]],
) -> Tensor: ...
def arccos(x: TensorLike) -> Tensor: ...
def arccosh(x: TensorLike) -> Tensor: ...
def arcsin(x: TensorLike) -> Tensor: ...
def arcsinh(x: TensorLike) -> Tensor: ...
def arctan(x: TensorLike) -> Tensor: ...
def arctan2(a: TensorLike, b: TensorLike) -> Tensor: ...
def arctanh(x: TensorLike) -> Tensor: ...
def argmax(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    *,
    keepdims: bool = ...,
) -> np.intp | NDArray[np.intp]: ...
def argmin(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    *,
    keepdims: bool = ...,
) -> np.intp | NDArray[np.intp]: ...
def argpartition(
    a: TensorLike,
    kth: int | Sequence[int],
    axis: int | tuple[int, ...] | None = ...,
    kind: str = ...,
    order: str | None = ...,
) -> NDArray[np.intp]: ...
def argsort(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    kind: str | None = ...,
    order: str | None = ...,
    *,
    stable: bool | None = ...,
) -> NDArray[np.intp]: ...
def argwhere(a: TensorLike) -> NDArray[np.intp]: ...
def around(a: TensorLike, decimals: int = ...) -> Tensor: ...
def array_split(
    ary: TensorLike,
    indices_or_sections: int | Sequence[int],
    axis: int | tuple[int, ...] | None = ...,
) -> list[Tensor]: ...
def astype(
    x: TensorLike,
    dtype: DTypeLike,
    /,
    *,
    copy: bool = ...,
    device: str | None = ...,
) -> Tensor: ...
@overload
def atleast_1d(ary: TensorLike, /) -> Tensor: ...
@overload
def atleast_1d(ary1: TensorLike, ary2: TensorLike, /, *arys: TensorLike) -> tuple[Tensor, ...]: ...
@overload
def atleast_2d(ary: TensorLike, /) -> Tensor: ...
@overload
def atleast_2d(ary1: TensorLike, ary2: TensorLike, /, *arys: TensorLike) -> tuple[Tensor, ...]: ...
@overload
def atleast_3d(ary: TensorLike, /) -> Tensor: ...
@overload
def atleast_3d(ary1: TensorLike, ary2: TensorLike, /, *arys: TensorLike) -> tuple[Tensor, ...]: ...
@overload
def average(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    weights: TensorLike | None = ...,
    returned: Literal[False] = ...,
    *,
    keepdims: bool = ...,
) -> Tensor: ...
@overload
def average(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    weights: TensorLike | None = ...,
    *,
    returned: Literal[True],
    keepdims: bool = ...,
) -> tuple[Tensor, Tensor]: ...
@overload
def average(
    a: TensorLike,
    axis: int | tuple[int, ...] | None,
    weights: TensorLike | None,
    returned: Literal[True],
    *,
    keepdims: bool = ...,
) -> tuple[Tensor, Tensor]: ...
def bartlett(M: int | None) -> Tensor: ...
def blackman(M: int | None) -> Tensor: ...
def block(arrays: Sequence[TensorLike]) -> Tensor: ...
def broadcast_arrays(*args: TensorLike, subok: bool = ...) -> tuple[Tensor, ...]: ...
def broadcast_to(x: TensorLike, shape: int | Sequence[int]) -> Tensor: ...
def cbrt(x: TensorLike) -> Tensor: ...
def ceil(x: TensorLike) -> Tensor: ...
def choose(
    a: TensorLike,
    choices: Sequence[TensorLike],
    out: None = ...,
    mode: str = ...,
) -> Tensor: ...
def clip(
    x: TensorLike,
    a_min: TensorLike | None = ...,
    a_max: TensorLike | None = ...,
) -> Tensor: ...
def column_stack(tup: Sequence[TensorLike]) -> Tensor: ...
def compress(
    condition: ArrayLike,
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
) -> Tensor: ...
def concatenate(
    tensors: Sequence[TensorLike],
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    *,
    dtype: DTypeLike | None = ...,
    casting: str = ...,
) -> Tensor: ...
def convolve(a: TensorLike, v: TensorLike, mode: str = ...) -> Tensor: ...
def copy(x: TensorLike) -> Tensor: ...
def copysign(a: TensorLike, b: TensorLike) -> Tensor: ...
def corrcoef(
    x: TensorLike,
    y: TensorLike | None = ...,
    rowvar: bool = ...,
    *,
    dtype: DTypeLike | None = ...,
) -> Tensor: ...
def correlate(a: TensorLike, v: TensorLike, mode: str = ...) -> Tensor: ...
def cos(x: TensorLike) -> Tensor: ...
def cosh(x: TensorLike) -> Tensor: ...
def count_nonzero(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    *,
    keepdims: bool = ...,
) -> int | np.intp | NDArray[np.intp]: ...
def cov(
    m: TensorLike,
    y: TensorLike | None = ...,
    rowvar: bool = ...,
    bias: bool = ...,
    ddof: float | None = ...,
    fweights: ArrayLike | None = ...,
    aweights: ArrayLike | None = ...,
    *,
    dtype: DTypeLike | None = ...,
) -> Tensor: ...
def cross(
    a: TensorLike,
    b: TensorLike,
    axisa: int = ...,
    axisb: int = ...,
    axisc: int = ...,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def cumprod(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
) -> Tensor: ...
def cumsum(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
) -> Tensor: ...
def cumulative_prod(
    x: TensorLike,
    /,
    *,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
    include_initial: bool = ...,
) -> Tensor: ...
def cumulative_sum(
    x: TensorLike,
    /,
    *,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
    include_initial: bool = ...,
) -> Tensor: ...
def deg2rad(x: TensorLike) -> Tensor: ...
def degrees(x: TensorLike) -> Tensor: ...
def delete(
    arr: TensorLike,
    obj: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def diag(v: TensorLike, k: int = ...) -> Tensor: ...
def diagflat(v: TensorLike, k: int = ...) -> Tensor: ...
def diagonal(a: TensorLike, offset: int = ..., axis1: int = ..., axis2: int = ...) -> Tensor: ...
def diff(
    a: TensorLike,
    n: int = ...,
    axis: int | tuple[int, ...] | None = ...,
    prepend: TensorLike = ...,
    append: TensorLike = ...,
) -> Tensor: ...
def divide(a: TensorLike, b: TensorLike) -> Tensor: ...
def divmod(x1: TensorLike, x2: TensorLike) -> tuple[Tensor, Tensor]: ...
def dot(a: TensorLike, b: TensorLike, out: None = ...) -> Tensor: ...
def dsplit(ary: TensorLike, indices_or_sections: int | Sequence[int]) -> list[Tensor]: ...
def dstack(tup: Sequence[TensorLike]) -> Tensor: ...
def ediff1d(
    ary: TensorLike,
    to_end: TensorLike | None = ...,
    to_begin: TensorLike | None = ...,
) -> Tensor: ...
def einsum(
    *operands: str | TensorLike,
    out: None = ...,
    dtype: DTypeLike | None = ...,
    order: str = ...,
    casting: str = ...,
    optimize: bool | str = ...,
) -> Tensor: ...
def exp(x: TensorLike) -> Tensor: ...
def exp2(x: TensorLike) -> Tensor: ...
def expand_dims(x: TensorLike, axis: int | tuple[int, ...] | None) -> Tensor: ...
def expm1(x: TensorLike) -> Tensor: ...
def extract(condition: ArrayLike, arr: TensorLike) -> Tensor: ...
def eye(
    N: int,
    M: int | None = ...,
    k: int = ...,
    dtype: DTypeLike = ...,
    order: str = ...,
    *,
    device: str | None = ...,
    like: Any = ...,
) -> Tensor: ...
def fix(x: TensorLike) -> Tensor: ...
def flatnonzero(a: TensorLike) -> NDArray[np.intp]: ...
def flatten(x: TensorLike, order: str = ...) -> Tensor: ...
def flip(m: TensorLike, axis: int | tuple[int, ...] | None = ...) -> Tensor: ...
def fliplr(m: TensorLike) -> Tensor: ...
def flipud(m: TensorLike) -> Tensor: ...
def float_power(a: TensorLike, b: TensorLike) -> Tensor: ...
def floor(x: TensorLike) -> Tensor: ...
def floor_divide(x1: TensorLike, x2: TensorLike) -> Tensor: ...
def fmax(a: TensorLike, b: TensorLike) -> Tensor: ...
def fmin(a: TensorLike, b: TensorLike) -> Tensor: ...
def fmod(a: TensorLike, b: TensorLike) -> Tensor: ...
def frexp(x: TensorLike) -> tuple[Tensor, NDArray[np.intc]]: ...
def geomspace(
    start: TensorLike,
    stop: TensorLike,
    num: int = ...,
    endpoint: bool = ...,
    dtype: DTypeLike | None = ...,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def getitem(x: TensorLike, idx: Any) -> Tensor: ...
def gradient(
    f: TensorLike,
    *varargs: Any,
    axis: int | tuple[int, ...] | None = ...,
    edge_order: int = ...,
) -> Tensor | tuple[Tensor, ...]: ...
def hamming(M: int | None) -> Tensor: ...
def hanning(M: int | None) -> Tensor: ...
def heaviside(x1: TensorLike, x2: TensorLike) -> Tensor: ...
def hsplit(ary: TensorLike, indices_or_sections: int | Sequence[int]) -> list[Tensor]: ...
def hstack(
    tup: Sequence[TensorLike],
    *,
    dtype: DTypeLike | None = ...,
    casting: str = ...,
) -> Tensor: ...
def hypot(a: TensorLike, b: TensorLike) -> Tensor: ...
def i0(x: TensorLike) -> Tensor: ...
def identity(n: int, dtype: DTypeLike | None = ..., *, like: Any = ...) -> Tensor: ...
def imag(val: TensorLike) -> Tensor: ...
def inner(a: TensorLike, b: TensorLike) -> Tensor: ...
def insert(
    arr: TensorLike,
    obj: TensorLike,
    values: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def interp(
    x: TensorLike,
    xp: TensorLike,
    fp: TensorLike,
    left: TensorLike | None = ...,
    right: TensorLike | None = ...,
    period: float | None = ...,
) -> Tensor: ...
def isfinite(x: TensorLike) -> np.bool_ | NDArray[np.bool_]: ...
def isinf(x: TensorLike) -> np.bool_ | NDArray[np.bool_]: ...
def isnan(x: TensorLike) -> np.bool_ | NDArray[np.bool_]: ...
def kaiser(M: int | None, beta: TensorLike) -> Tensor: ...
def kron(a: TensorLike, b: TensorLike) -> Tensor: ...
def ldexp(x1: TensorLike, x2: TensorLike) -> Tensor: ...
def linspace(
    start: TensorLike,
    stop: TensorLike,
    num: int = ...,
    endpoint: bool = ...,
    retstep: bool = ...,
    dtype: DTypeLike | None = ...,
    axis: int | tuple[int, ...] | None = ...,
    *,
    device: str | None = ...,
) -> Tensor: ...
def log(x: TensorLike) -> Tensor: ...
def log10(x: TensorLike) -> Tensor: ...
def log1p(x: TensorLike) -> Tensor: ...
def log2(x: TensorLike) -> Tensor: ...
def log_softmax(x: TensorLike, axis: int | tuple[int, ...] | None = ...) -> Tensor: ...
def logaddexp(a: TensorLike, b: TensorLike) -> Tensor: ...
def logaddexp2(a: TensorLike, b: TensorLike) -> Tensor: ...
def logspace(
    start: TensorLike,
    stop: TensorLike,
    num: int = ...,
    endpoint: bool = ...,
    base: float = ...,
    dtype: DTypeLike | None = ...,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def logsumexp(
    x: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    keepdims: bool = ...,
) -> Tensor: ...
def matmul(a: TensorLike, b: TensorLike) -> Tensor: ...
def matvec(x1: TensorLike, x2: TensorLike, /) -> Tensor: ...
def max(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    initial: float = ...,
    where: ArrayLike = ...,
) -> Tensor: ...
def maximum(a: TensorLike, b: TensorLike) -> Tensor: ...
def mean(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    *,
    where: ArrayLike = ...,
) -> Tensor: ...
def median(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    overwrite_input: bool = ...,
    keepdims: bool = ...,
) -> Tensor: ...
def meshgrid(
    *xi: TensorLike,
    copy: bool = ...,
    sparse: bool = ...,
    indexing: str = ...,
) -> tuple[Tensor, ...]: ...
def min(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    initial: float = ...,
    where: ArrayLike = ...,
) -> Tensor: ...
def minimum(a: TensorLike, b: TensorLike) -> Tensor: ...
def modf(x: TensorLike) -> tuple[Tensor, Tensor]: ...
def moveaxis(
    a: TensorLike,
    source: int | Sequence[int],
    destination: int | Sequence[int],
) -> Tensor: ...
def multiply(a: TensorLike, b: TensorLike) -> Tensor: ...
def nan_to_num(
    x: TensorLike,
    copy: bool = ...,
    nan: float = ...,
    posinf: float | None = ...,
    neginf: float | None = ...,
) -> Tensor: ...
def nanargmax(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    *,
    keepdims: bool = ...,
) -> np.intp | NDArray[np.intp]: ...
def nanargmin(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    *,
    keepdims: bool = ...,
) -> np.intp | NDArray[np.intp]: ...
def nancumprod(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
) -> Tensor: ...
def nancumsum(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
) -> Tensor: ...
def nanmax(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    initial: float = ...,
    where: ArrayLike = ...,
) -> Tensor: ...
def nanmean(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    *,
    where: ArrayLike = ...,
) -> Tensor: ...
def nanmedian(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    overwrite_input: bool = ...,
    keepdims: bool = ...,
) -> Tensor: ...
def nanmin(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    initial: float = ...,
    where: ArrayLike = ...,
) -> Tensor: ...
def nanpercentile(
    a: TensorLike,
    q: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    overwrite_input: bool = ...,
    method: str = ...,
    keepdims: bool = ...,
    *,
    weights: TensorLike | None = ...,
    interpolation: str | None = ...,
) -> Tensor: ...
def nanprod(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    initial: float = ...,
    where: ArrayLike = ...,
) -> Tensor: ...
def nanquantile(
    a: TensorLike,
    q: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    overwrite_input: bool = ...,
    method: str = ...,
    keepdims: bool = ...,
    *,
    weights: TensorLike | None = ...,
    interpolation: str | None = ...,
) -> Tensor: ...
def nanstd(
    a: TensorLike,
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
def nansum(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    initial: float = ...,
    where: ArrayLike = ...,
) -> Tensor: ...
def nanvar(
    a: TensorLike,
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
def negative(x: TensorLike) -> Tensor: ...
def nonzero(a: TensorLike) -> tuple[NDArray[np.intp], ...]: ...
def norm(x: TensorLike) -> Tensor: ...
def outer(a: TensorLike, b: TensorLike) -> Tensor: ...
def pad(array: TensorLike, pad_width: ArrayLike, mode: str = ..., **kwargs: Any) -> Tensor: ...
def partition(
    a: TensorLike,
    kth: int | Sequence[int],
    axis: int | tuple[int, ...] | None = ...,
    kind: str = ...,
    order: str | None = ...,
) -> Tensor: ...
def percentile(
    a: TensorLike,
    q: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    overwrite_input: bool = ...,
    method: str = ...,
    keepdims: bool = ...,
    *,
    weights: TensorLike | None = ...,
    interpolation: str | None = ...,
) -> Tensor: ...
def piecewise(
    x: TensorLike,
    condlist: Sequence[ArrayLike],
    funclist: TensorLike,
    *args: TensorLike,
    **kw: Any,
) -> Tensor: ...
def poly(seq_of_zeros: TensorLike) -> Tensor: ...
def polyadd(a1: TensorLike, a2: TensorLike) -> Tensor: ...
def polyder(p: float | str, m: int = ...) -> Tensor: ...
def polydiv(u: TensorLike, v: TensorLike) -> tuple[Tensor, Tensor]: ...
def polyfit(
    x: TensorLike,
    y: TensorLike,
    deg: TensorLike,
    rcond: float | None = ...,
    full: bool = ...,
    w: ArrayLike | None = ...,
    cov: bool = ...,
) -> Tensor: ...
def polyint(p: float | str, m: int = ..., k: int | None = ...) -> Tensor: ...
def polymul(a1: TensorLike, a2: TensorLike) -> Tensor: ...
def polysub(a1: TensorLike, a2: TensorLike) -> Tensor: ...
def polyval(p: float | str, x: TensorLike) -> Tensor: ...
def positive(x: TensorLike) -> Tensor: ...
def power(a: TensorLike, b: TensorLike) -> Tensor: ...
def prod(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    initial: float = ...,
    where: ArrayLike = ...,
) -> Tensor: ...
def ptp(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    keepdims: bool = ...,
) -> Tensor: ...
def quantile(
    a: TensorLike,
    q: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    overwrite_input: bool = ...,
    method: str = ...,
    keepdims: bool = ...,
    *,
    weights: TensorLike | None = ...,
    interpolation: str | None = ...,
) -> Tensor: ...
def rad2deg(x: TensorLike) -> Tensor: ...
def radians(x: TensorLike) -> Tensor: ...
def ravel(a: TensorLike, order: str = ...) -> Tensor: ...
def real_if_close(a: TensorLike, tol: float = ...) -> Tensor: ...
def reciprocal(x: TensorLike) -> Tensor: ...
def relu(x: TensorLike) -> Tensor: ...
def remainder(a: TensorLike, b: TensorLike) -> Tensor: ...
def repeat(
    a: TensorLike,
    repeats: ArrayLike,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def reshape(
    x: TensorLike,
    *args: int | Sequence[int],
    shape: int | Sequence[int] | None = ...,
    order: str = ...,
    copy: bool | None = ...,
) -> Tensor: ...
def resize(a: TensorLike, new_shape: TensorLike) -> Tensor: ...
def rint(x: TensorLike) -> Tensor: ...
def roll(
    a: TensorLike,
    shift: int | Sequence[int],
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def rollaxis(a: TensorLike, axis: int | tuple[int, ...] | None, start: int = ...) -> Tensor: ...
def rot90(
    m: TensorLike,
    k: int = ...,
    axes: int | Sequence[int] | Sequence[Sequence[int]] = ...,
) -> Tensor: ...
def round(a: TensorLike, decimals: int = ...) -> Tensor: ...
def row_stack(
    tup: Sequence[TensorLike],
    *,
    dtype: DTypeLike | None = ...,
    casting: str = ...,
) -> Tensor: ...
def searchsorted(
    a: TensorLike,
    v: TensorLike,
    side: str = ...,
    sorter: ArrayLike | None = ...,
) -> np.intp | NDArray[np.intp]: ...
def select(
    condlist: Sequence[ArrayLike],
    choicelist: Sequence[TensorLike],
    default: TensorLike = ...,
) -> Tensor: ...
def sigmoid(x: TensorLike) -> Tensor: ...
def sign(x: TensorLike) -> Tensor: ...
def signbit(x: TensorLike) -> np.bool_ | NDArray[np.bool_]: ...
def sin(x: TensorLike) -> Tensor: ...
def sinc(x: TensorLike) -> Tensor: ...
def sinh(x: TensorLike) -> Tensor: ...
def softmax(x: TensorLike, axis: int | tuple[int, ...] | None = ...) -> Tensor: ...
def sort(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    kind: str | None = ...,
    order: str | None = ...,
    *,
    stable: bool | None = ...,
) -> Tensor: ...
def split(
    ary: TensorLike,
    indices_or_sections: int | Sequence[int],
    axis: int | tuple[int, ...] | None = ...,
) -> list[Tensor]: ...
def sqrt(x: TensorLike) -> Tensor: ...
def square(x: TensorLike) -> Tensor: ...
def squeeze(x: TensorLike, axis: int | tuple[int, ...] | None = ...) -> Tensor: ...
def stack(
    tensors: Sequence[TensorLike],
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    *,
    dtype: DTypeLike | None = ...,
    casting: str = ...,
) -> Tensor: ...
def std(
    a: TensorLike,
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
def subtract(a: TensorLike, b: TensorLike) -> Tensor: ...
def sum(
    a: TensorLike,
    axis: int | tuple[int, ...] | None = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
    keepdims: bool = ...,
    initial: float = ...,
    where: ArrayLike = ...,
) -> Tensor: ...
def swapaxes(x: TensorLike, axis1: int, axis2: int) -> Tensor: ...
def take(
    a: TensorLike,
    indices: ArrayLike,
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    mode: str = ...,
) -> Tensor: ...
def take_along_axis(
    arr: TensorLike,
    indices: ArrayLike,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def tan(x: TensorLike) -> Tensor: ...
def tanh(x: TensorLike) -> Tensor: ...
def tensordot(
    a: TensorLike,
    b: TensorLike,
    axes: int | Sequence[int] | Sequence[Sequence[int]] = ...,
) -> Tensor: ...
def tile(A: TensorLike, reps: int | Sequence[int]) -> Tensor: ...
def trace(
    a: TensorLike,
    offset: int = ...,
    axis1: int = ...,
    axis2: int = ...,
    dtype: DTypeLike | None = ...,
    out: None = ...,
) -> Tensor: ...
def transpose(
    x: TensorLike,
    axes: int | Sequence[int] | Sequence[Sequence[int]] | None = ...,
    *more: int,
) -> Tensor: ...
def trapezoid(
    y: TensorLike,
    x: TensorLike | None = ...,
    dx: float = ...,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def tri(
    N: int,
    M: int | None = ...,
    k: int = ...,
    dtype: DTypeLike = ...,
    *,
    like: Any = ...,
) -> Tensor: ...
def tril(m: TensorLike, k: int = ...) -> Tensor: ...
def trim_zeros(
    filt: TensorLike,
    trim: str = ...,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
def triu(m: TensorLike, k: int = ...) -> Tensor: ...
def true_divide(a: TensorLike, b: TensorLike) -> Tensor: ...
def trunc(x: TensorLike) -> Tensor: ...
@overload
def unique(
    ar: TensorLike,
    return_index: Literal[False] = ...,
    return_inverse: Literal[False] = ...,
    return_counts: Literal[False] = ...,
    axis: int | None = ...,
    *,
    equal_nan: bool = ...,
    sorted: bool = ...,
) -> Tensor: ...
@overload
def unique(
    ar: TensorLike,
    *,
    return_index: Literal[True],
    return_inverse: Literal[False] = ...,
    return_counts: Literal[False] = ...,
    axis: int | None = ...,
    equal_nan: bool = ...,
    sorted: bool = ...,
) -> tuple[Tensor, NDArray[np.intp]]: ...
@overload
def unique(
    ar: TensorLike,
    *,
    return_index: Literal[False] = ...,
    return_inverse: Literal[True],
    return_counts: Literal[False] = ...,
    axis: int | None = ...,
    equal_nan: bool = ...,
    sorted: bool = ...,
) -> tuple[Tensor, NDArray[np.intp]]: ...
@overload
def unique(
    ar: TensorLike,
    *,
    return_index: Literal[False] = ...,
    return_inverse: Literal[False] = ...,
    return_counts: Literal[True],
    axis: int | None = ...,
    equal_nan: bool = ...,
    sorted: bool = ...,
) -> tuple[Tensor, NDArray[np.intp]]: ...
@overload
def unique(
    ar: TensorLike,
    return_index: bool = ...,
    return_inverse: bool = ...,
    return_counts: bool = ...,
    axis: int | None = ...,
    *,
    equal_nan: bool = ...,
    sorted: bool = ...,
) -> tuple[Any, ...]: ...
def unstack(
    x: TensorLike,
    /,
    *,
    axis: int | tuple[int, ...] | None = ...,
) -> tuple[Tensor, ...]: ...
def vander(x: TensorLike, N: int | None = ..., increasing: bool = ...) -> Tensor: ...
def var(
    a: TensorLike,
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
def vdot(a: TensorLike, b: TensorLike) -> Tensor: ...
def vecmat(x1: TensorLike, x2: TensorLike, /) -> Tensor: ...
def vsplit(ary: TensorLike, indices_or_sections: int | Sequence[int]) -> list[Tensor]: ...
def vstack(
    tup: Sequence[TensorLike],
    *,
    dtype: DTypeLike | None = ...,
    casting: str = ...,
) -> Tensor: ...
@overload
def where(cond: TensorLike) -> tuple[NDArray[np.intp], ...]: ...
@overload
def where(cond: TensorLike, a: TensorLike, b: TensorLike) -> Tensor: ...
def absolute(x: TensorLike) -> Tensor: ...
def acos(x: TensorLike) -> Tensor: ...
def acosh(x: TensorLike) -> Tensor: ...
def asin(x: TensorLike) -> Tensor: ...
def asinh(x: TensorLike) -> Tensor: ...
def atan(x: TensorLike) -> Tensor: ...
def atan2(a: TensorLike, b: TensorLike) -> Tensor: ...
def atanh(x: TensorLike) -> Tensor: ...
def concat(
    tensors: Sequence[TensorLike],
    axis: int | tuple[int, ...] | None = ...,
    out: None = ...,
    *,
    dtype: DTypeLike | None = ...,
    casting: str = ...,
) -> Tensor: ...
def conj(x: TensorLike) -> Tensor: ...
def conjugate(x: TensorLike) -> Tensor: ...
def fabs(x: TensorLike) -> Tensor: ...
def matrix_transpose(x: TensorLike, /) -> Tensor: ...
def mod(a: TensorLike, b: TensorLike) -> Tensor: ...
def permute_dims(
    x: TensorLike,
    axes: int | Sequence[int] | Sequence[Sequence[int]] | None = ...,
    *more: int,
) -> Tensor: ...
def pow(a: TensorLike, b: TensorLike) -> Tensor: ...
def real(x: TensorLike) -> Tensor: ...
def vecdot(
    x1: TensorLike,
    x2: TensorLike,
    /,
    *,
    axis: int | tuple[int, ...] | None = ...,
) -> Tensor: ...
