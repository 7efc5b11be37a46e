"""What may become a tensor's array: float32 or float64, nothing else.

Plain Python in the core layer: the op registry's public functions and the
Tensor constructor both convert their operands with it.
"""
import numpy as np

from .. import errors

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
DEFAULT_DTYPE = np.dtype(np.float64)


def as_float_dtype(dtype, what="dtype"):
    dt = np.dtype(dtype)
    if dt not in FLOATS:
        raise errors.DTypeError(
            f"tapegrad tensors hold float32 or float64, got {what}={dt}; "
            f"pass dtype='float32' or dtype='float64'.")
    return dt


def to_array(data, dtype=None, copy=True):
    """data as a float32/float64 ndarray (TypeError for anything else);
    integers and booleans become float64 (or ``dtype``)."""
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
        target = dtype or (arr.dtype if arr.dtype in FLOATS else DEFAULT_DTYPE)
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
