"""Large array buffers kept for reuse while tapegrad runs (NEP 49 hook).

Why: see csrc/tg_buffers.h.  The cache is NumPy's allocator only inside
tapegrad's own work: the forward of an op with a big input and the backward
sweep.  Arrays allocated there are freed through it wherever they die; the
user's own NumPy code is untouched.  ``set_limit(0)`` turns it off.
"""
import os
import warnings

from tapegrad.errors import ConfigWarning

cimport numpy as cnp
from cpython.pycapsule cimport PyCapsule_New
from libc.string cimport strncpy

cnp.import_array()

cdef extern from "numpy/ndarraytypes.h":
    ctypedef struct PyDataMemAllocator:
        void *ctx
        void *(*malloc)(void *ctx, size_t size) noexcept
        void *(*calloc)(void *ctx, size_t nelem, size_t elsize) noexcept
        void *(*realloc)(void *ctx, void *ptr, size_t size) noexcept
        void (*free)(void *ctx, void *ptr, size_t size) noexcept
    ctypedef struct PyDataMem_Handler:
        char name[127]
        unsigned char version
        PyDataMemAllocator allocator

cdef extern from "numpy/arrayobject.h":
    object PyDataMem_SetHandler(object handler)

cdef extern from "tg_buffers.h":
    size_t TG_BUF_MIN_BYTES
    int tg_buf_init() noexcept
    void *tg_buf_malloc(void *ctx, size_t size) noexcept
    void *tg_buf_calloc(void *ctx, size_t nelem, size_t elsize) noexcept
    void *tg_buf_realloc(void *ctx, void *ptr, size_t size) noexcept
    void tg_buf_free(void *ctx, void *ptr, size_t size) noexcept
    void tg_buf_set_limit(size_t nbytes) noexcept
    size_t tg_buf_limit() noexcept
    size_t tg_buf_cached_bytes() noexcept
    int tg_buf_cached_blocks() noexcept
    void tg_buf_clear() noexcept

_rc = tg_buf_init()
if _rc != 0:
    raise OSError(_rc, "tapegrad: cannot register the buffer cache's fork handlers")

cdef PyDataMem_Handler _handler
strncpy(_handler.name, b"tapegrad_buffer_cache", 127)
_handler.version = 1
_handler.allocator.ctx = NULL
_handler.allocator.malloc = tg_buf_malloc
_handler.allocator.calloc = tg_buf_calloc
_handler.allocator.realloc = tg_buf_realloc
_handler.allocator.free = tg_buf_free
cdef object _capsule = PyCapsule_New(&_handler, "mem_handler", NULL)

#: Blocks from this size up are kept for reuse.
MIN_BYTES = TG_BUF_MIN_BYTES

cdef bint _on = True


cdef object enter():
    if not _on:
        return None
    return PyDataMem_SetHandler(_capsule)


cdef void leave(object previous):
    if previous is not None:
        PyDataMem_SetHandler(previous)


cdef bint is_big(object a):
    return (_on and cnp.PyArray_Check(a)
            and <size_t>cnp.PyArray_NBYTES(<cnp.ndarray>a) >= TG_BUF_MIN_BYTES)


cdef bint any_big(object arrays):
    if not _on:
        return False
    for a in arrays:
        if is_big(a):
            return True
    return False


def set_limit(nbytes):
    """Keep at most ``nbytes`` of freed large buffers (0: keep none and stop
    installing the cache)."""
    global _on
    n = int(nbytes)
    if n < 0:
        raise ValueError(f"set_limit needs a number of bytes >= 0, got {nbytes!r}")
    tg_buf_set_limit(n)
    _on = n > 0


def limit():
    return tg_buf_limit()


def cached_bytes():
    """Bytes of freed buffers kept for reuse right now."""
    return tg_buf_cached_bytes()


def cached_blocks():
    return tg_buf_cached_blocks()


def empty_cache():
    """Return every kept buffer to the C library."""
    tg_buf_clear()


def _init_from_env():
    """TAPEGRAD_BUFFER_CACHE_MB: the cache's limit in MiB (a number >= 0; 0
    turns the cache off).  Anything else warns (errors.ConfigWarning) and
    the default stays, as for TAPEGRAD_NUM_THREADS: a tuning knob never
    stops ``import tapegrad``."""
    mb = os.environ.get("TAPEGRAD_BUFFER_CACHE_MB")
    if mb is None:
        return
    try:
        n = float(mb)
    except ValueError:
        n = float("nan")
    if not 0 <= n * (1 << 20) < (1 << 62):          # also nan, inf
        warnings.warn(
            f"TAPEGRAD_BUFFER_CACHE_MB={mb!r} is not usable: it must be a number of MiB "
            f">= 0 (e.g. 256; 0 turns the buffer cache off); using the default "
            f"({limit() / (1 << 20):g} MiB).", ConfigWarning, stacklevel=2)
        return
    set_limit(int(n * (1 << 20)))


_init_from_env()
