"""The threads tapegrad computes with.

Two pools do the work of big arrays: tapegrad's own (``set_num_threads``:
the elementwise kernels and NumPy's ufunc loops over at least 2^17 elements,
split over workers that sleep between jobs) and the BLAS NumPy calls for
matrix products (``set_blas_threads``).  OpenBLAS's workers spin while they
wait, so on a machine where another process holds a core they can make a
matrix-heavy step many times slower than on one thread; tapegrad's own
workers sleep and do not.  ``set_blas_threads(1)`` (or
``TAPEGRAD_BLAS_THREADS=1`` in the environment, read at import) keeps BLAS
on the calling thread; it needs the optional package threadpoolctl
(``pip install tapegrad[speed]``) and applies to the whole process, as
NumPy's BLAS is one library.
"""
from __future__ import annotations

import os
import warnings
from typing import Any

from ._core import kernels
from .errors import ConfigWarning

__all__ = ["num_threads", "set_num_threads", "blas_threads", "set_blas_threads"]

_blas_limits: Any = None          # threadpoolctl's limiter while a BLAS setting is in force


def num_threads() -> int:
    """Threads a big elementwise kernel is split over (1: not split)."""
    return kernels.num_threads()


def set_num_threads(n: int) -> None:
    """Split big elementwise kernels over ``n`` threads (1 turns splitting
    off); the TAPEGRAD_NUM_THREADS environment variable sets the default."""
    kernels.set_num_threads(n)


def _threadpoolctl() -> Any:
    try:
        import threadpoolctl      # optional: tapegrad[speed]
    except ImportError:
        raise ImportError(
            "setting the BLAS thread count needs the package threadpoolctl: "
            "pip install threadpoolctl (or tapegrad[speed])") from None
    return threadpoolctl


def blas_threads() -> int | None:
    """Threads NumPy's BLAS uses now (the first BLAS library found), or None
    if threadpoolctl is not installed to ask."""
    try:
        tpc = _threadpoolctl()
    except ImportError:
        return None
    info = [i for i in tpc.threadpool_info() if i.get("user_api") == "blas"]
    return info[0]["num_threads"] if info else None


def set_blas_threads(n: int | None) -> None:
    """Run NumPy's BLAS (matrix products) on ``n`` threads, process-wide;
    ``None`` restores what it was before the first call."""
    global _blas_limits
    tpc = _threadpoolctl()
    if _blas_limits is not None:
        _blas_limits.restore_original_limits()
        _blas_limits = None
    if n is None:
        return
    n = int(n)
    if n < 1:
        raise ValueError(f"set_blas_threads needs n >= 1 (or None), got {n}")
    _blas_limits = tpc.threadpool_limits(n, user_api="blas")


def _blas_from_env() -> None:
    value = os.environ.get("TAPEGRAD_BLAS_THREADS")
    if value is None:
        return
    try:
        n = int(value.strip())
    except ValueError:
        n = 0
    if n < 1:
        warnings.warn(f"TAPEGRAD_BLAS_THREADS={value!r} is not usable: it must be a whole "
                      f"number >= 1; NumPy's BLAS keeps its own setting.", ConfigWarning,
                      stacklevel=2)
        return
    try:
        set_blas_threads(n)
    except ImportError as e:
        warnings.warn(f"TAPEGRAD_BLAS_THREADS={value!r} is ignored: {e}", ConfigWarning,
                      stacklevel=2)


_blas_from_env()
