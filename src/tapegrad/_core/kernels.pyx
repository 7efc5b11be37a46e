"""Cython layer over csrc/tg_kernels.c.

Why: the C loops know nothing of NumPy; this layer checks dtype and layout
once per node, allocates the output and hands raw pointers to C with the GIL
released.  Anything that does not fit (mixed dtypes, non-contiguous data,
general broadcasting) returns None so the sweep falls back to the op's NumPy
rule; the two forms are tested against each other.
"""
import os
import warnings

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint8_t

from tapegrad.errors import ConfigWarning

cnp.import_array()

# The ufunc's loop table, read through its C struct (numpy/ufuncobject.h)
# rather than Cython's numpy declarations, whose view of it changed in
# NumPy 2.5 (``ufunc.types`` is no longer declared there).
cdef extern from *:
    """
    #include "numpy/ufuncobject.h"
    typedef void (*tg_ufunc_loop_ptr)(void);
    static int tg_uf_nin(PyObject *u) { return ((PyUFuncObject *)u)->nin; }
    static int tg_uf_nout(PyObject *u) { return ((PyUFuncObject *)u)->nout; }
    static int tg_uf_nargs(PyObject *u) { return ((PyUFuncObject *)u)->nargs; }
    static int tg_uf_ntypes(PyObject *u) { return ((PyUFuncObject *)u)->ntypes; }
    static int tg_uf_type(PyObject *u, int i) { return (int)((PyUFuncObject *)u)->types[i]; }
    static tg_ufunc_loop_ptr tg_uf_loop(PyObject *u, int i) {
        return (tg_ufunc_loop_ptr)((PyUFuncObject *)u)->functions[i];
    }
    static void *tg_uf_data(PyObject *u, int i) {
        PyUFuncObject *f = (PyUFuncObject *)u;
        return f->data != NULL ? (void *)f->data[i] : NULL;
    }
    """
    ctypedef void (*tg_ufunc_loop_ptr)() noexcept nogil
    int tg_uf_nin(object u)
    int tg_uf_nout(object u)
    int tg_uf_nargs(object u)
    int tg_uf_ntypes(object u)
    int tg_uf_type(object u, int i)
    tg_ufunc_loop_ptr tg_uf_loop(object u, int i)
    void *tg_uf_data(object u, int i)

cdef extern from "tg_kernels.h":
    ctypedef Py_ssize_t tg_intp
    ctypedef struct tg_kernel_info:
        const char *name
        int kind
        int reads
        int fwd_loop
    const tg_kernel_info tg_kernel_table[]
    const int tg_kernel_count
    int TG_KIND_UNARY, TG_KIND_BINARY, TG_KIND_CLIP, TG_KIND_WHERE, TG_KIND_ARRAY
    int TG_R_X, TG_R_A, TG_R_B, TG_R_Y
    int tg_unary_fwd_f64(int op, tg_intp n, const double *x, double *y) nogil
    int tg_unary_fwd_f32(int op, tg_intp n, const float *x, float *y) nogil
    int tg_binary_fwd_f64(int op, tg_intp n, const double *a, tg_intp sa, const double *b,
                          tg_intp sb, double *y) nogil
    int tg_binary_fwd_f32(int op, tg_intp n, const float *a, tg_intp sa, const float *b,
                          tg_intp sb, float *y) nogil
    int tg_unary_bwd_f64(int op, tg_intp n, const double *g, tg_intp sg, const double *x,
                         const double *y, double *gx, int acc) nogil
    int tg_unary_bwd_f32(int op, tg_intp n, const float *g, tg_intp sg, const float *x,
                         const float *y, float *gx, int acc) nogil
    int tg_binary_bwd_f64(int op, tg_intp n, const double *g, tg_intp sg, const double *a,
                          tg_intp sa, const double *b, tg_intp sb, const double *y,
                          double *ga, double *gb, int acc_a, int acc_b) nogil
    int tg_binary_bwd_f32(int op, tg_intp n, const float *g, tg_intp sg, const float *a,
                          tg_intp sa, const float *b, tg_intp sb, const float *y,
                          float *ga, float *gb, int acc_a, int acc_b) nogil
    int tg_scalar_fwd_f64(int op, double a, double b, double *out) nogil
    int tg_scalar_fwd_f32(int op, float a, float b, float *out) nogil
    int tg_scalar_bwd_f64(int op, double g, double a, double b, double y, double *ga,
                          double *gb) nogil
    int tg_scalar_bwd_f32(int op, float g, float a, float b, float y, float *ga,
                          float *gb) nogil
    void tg_clip_bwd_f64(tg_intp n, const double *g, const double *x, double lo, double hi,
                         double *gx) nogil
    void tg_clip_bwd_f32(tg_intp n, const float *g, const float *x, double lo, double hi,
                         float *gx) nogil
    void tg_where_bwd_f64(tg_intp n, const double *g, const uint8_t *cond, double *ga,
                          double *gb) nogil
    void tg_where_bwd_f32(tg_intp n, const float *g, const uint8_t *cond, float *ga,
                          float *gb) nogil


class KernelInfo(tuple):
    """(id, kind, reads, fwd_loop) of a row of csrc/tg_kernels.def."""
    __slots__ = ()
    id = property(lambda self: self[0])
    kind = property(lambda self: self[1])
    reads = property(lambda self: self[2])
    fwd_loop = property(lambda self: bool(self[3]))


#: The kinds of rows and the bits of ``reads`` (what a backward reads).
UNARY, BINARY, CLIP, WHERE, ARRAY = (TG_KIND_UNARY, TG_KIND_BINARY, TG_KIND_CLIP, TG_KIND_WHERE,
                                     TG_KIND_ARRAY)
READS_X, READS_A, READS_B, READS_Y = TG_R_X, TG_R_A, TG_R_B, TG_R_Y

#: row name -> KernelInfo, read from the C table (the op registry refers to
#: kernels by these names; nothing else spells them).
KERNELS = {}
cdef int _k
for _k in range(1, tg_kernel_count):
    KERNELS[tg_kernel_table[_k].name.decode()] = KernelInfo(
        (_k, tg_kernel_table[_k].kind, tg_kernel_table[_k].reads, tg_kernel_table[_k].fwd_loop))
#: row name -> id
KERNEL_IDS = {name: info[0] for name, info in KERNELS.items()}


cdef int kernel_kind(int kid) noexcept nogil:
    return tg_kernel_table[kid].kind if 0 < kid < tg_kernel_count else 0


cdef int kernel_reads(int kid) noexcept nogil:
    return tg_kernel_table[kid].reads if 0 < kid < tg_kernel_count else 0


cdef int scalar_fwd(int kid, bint f32, double a, double b, double *out) noexcept nogil:
    cdef float r
    cdef int rc
    if f32:
        rc = tg_scalar_fwd_f32(kid, <float>a, <float>b, &r)
        out[0] = r
        return rc
    return tg_scalar_fwd_f64(kid, a, b, out)


cdef int scalar_bwd(int kid, bint f32, double g, double a, double b, double y, double *ga,
                    double *gb) noexcept nogil:
    cdef float ra = 0, rb = 0
    cdef int rc
    if f32:
        rc = tg_scalar_bwd_f32(kid, <float>g, <float>a, <float>b, <float>y, &ra, &rb)
        ga[0] = ra
        gb[0] = rb
        return rc
    return tg_scalar_bwd_f64(kid, g, a, b, y, ga, gb)


# ---- splitting big loops over the cores (csrc/tg_parallel.c) -----------------
cdef extern from "tg_parallel.h":
    ctypedef Py_ssize_t tg_pintp
    ctypedef void (*tg_range_fn)(void *args, tg_pintp start, tg_pintp stop) noexcept nogil
    void tg_parallel_for(tg_pintp n, tg_range_fn fn, void *args) nogil
    int tg_parallel_threads() nogil
    void tg_parallel_set_threads(int n) nogil
    tg_pintp TG_PAR_MIN
    int TG_PAR_MAX_THREADS

# One struct per loop shape; a range function runs the C kernel on elements
# [start, stop) (a stride-0 operand stays at its one value).
cdef struct Job:
    int kid
    int k                  # 1: float64, 2: float32
    const void *g
    tg_intp sg
    const void *a
    tg_intp sa
    const void *b
    tg_intp sb
    const void *y
    void *out
    void *out2
    int acc                # add into out (and acc2: into out2) instead of writing
    int acc2
    int rc


cdef void _unary_fwd_range(void *p, tg_pintp s, tg_pintp e) noexcept nogil:
    cdef Job *j = <Job*>p
    cdef int rc
    if j.k == 1:
        rc = tg_unary_fwd_f64(j.kid, e - s, <const double*>j.a + s, <double*>j.out + s)
    else:
        rc = tg_unary_fwd_f32(j.kid, e - s, <const float*>j.a + s, <float*>j.out + s)
    if rc != 0:
        j.rc = rc


cdef void _binary_fwd_range(void *p, tg_pintp s, tg_pintp e) noexcept nogil:
    cdef Job *j = <Job*>p
    cdef int rc
    if j.k == 1:
        rc = tg_binary_fwd_f64(j.kid, e - s, <const double*>j.a + s * j.sa, j.sa,
                               <const double*>j.b + s * j.sb, j.sb, <double*>j.out + s)
    else:
        rc = tg_binary_fwd_f32(j.kid, e - s, <const float*>j.a + s * j.sa, j.sa,
                               <const float*>j.b + s * j.sb, j.sb, <float*>j.out + s)
    if rc != 0:
        j.rc = rc


cdef void _unary_bwd_range(void *p, tg_pintp s, tg_pintp e) noexcept nogil:
    cdef Job *j = <Job*>p
    cdef int rc
    if j.k == 1:
        rc = tg_unary_bwd_f64(j.kid, e - s, <const double*>j.g + s * j.sg, j.sg,
                              <const double*>j.a + s, <const double*>j.y + s, <double*>j.out + s,
                              j.acc)
    else:
        rc = tg_unary_bwd_f32(j.kid, e - s, <const float*>j.g + s * j.sg, j.sg,
                              <const float*>j.a + s, <const float*>j.y + s, <float*>j.out + s,
                              j.acc)
    if rc != 0:
        j.rc = rc


cdef void _binary_bwd_range(void *p, tg_pintp s, tg_pintp e) noexcept nogil:
    cdef Job *j = <Job*>p
    cdef int rc
    if j.k == 1:
        rc = tg_binary_bwd_f64(j.kid, e - s, <const double*>j.g + s * j.sg, j.sg,
                               <const double*>j.a + s * j.sa,
                               j.sa, <const double*>j.b + s * j.sb, j.sb,
                               <const double*>j.y + s if j.y != NULL else NULL,
                               <double*>j.out + s if j.out != NULL else NULL,
                               <double*>j.out2 + s if j.out2 != NULL else NULL, j.acc, j.acc2)
    else:
        rc = tg_binary_bwd_f32(j.kid, e - s, <const float*>j.g + s * j.sg, j.sg,
                               <const float*>j.a + s * j.sa,
                               j.sa, <const float*>j.b + s * j.sb, j.sb,
                               <const float*>j.y + s if j.y != NULL else NULL,
                               <float*>j.out + s if j.out != NULL else NULL,
                               <float*>j.out2 + s if j.out2 != NULL else NULL, j.acc, j.acc2)
    if rc != 0:
        j.rc = rc


cdef void _add_range(void *p, tg_pintp s, tg_pintp e) noexcept nogil:
    cdef Job *j = <Job*>p
    cdef tg_pintp i
    cdef const double *ad
    cdef const double *bd
    cdef double *od
    cdef const float *af
    cdef const float *bf
    cdef float *of
    if j.k == 1:
        ad = <const double*>j.a
        bd = <const double*>j.b
        od = <double*>j.out
        for i in range(s, e):
            od[i] = ad[i] + bd[i]
    else:
        af = <const float*>j.a
        bf = <const float*>j.b
        of = <float*>j.out
        for i in range(s, e):
            of[i] = af[i] + bf[i]


# NumPy's own inner loop for a ufunc, run over pieces of a big array on the
# pool: the same code NumPy runs (its SIMD dispatch included), so the same
# bits, on every core.  Only for C-contiguous float operands of one dtype
# (a 0-d operand is broadcast with stride 0).
ctypedef void (*ufunc_loop)(char **args, const cnp.npy_intp *dims, const cnp.npy_intp *steps,
                           void *data) noexcept nogil


cdef struct UfuncJob:
    ufunc_loop loop
    void *data
    int nargs
    char *ptrs[4]
    cnp.npy_intp steps[4]


cdef void _ufunc_range(void *p, tg_pintp s, tg_pintp e) noexcept nogil:
    cdef UfuncJob *j = <UfuncJob*>p
    cdef char *args[4]
    cdef cnp.npy_intp count = e - s
    cdef int i
    for i in range(j.nargs):
        args[i] = j.ptrs[i] + s * j.steps[i]
    j.loop(args, &count, j.steps, j.data)


cdef dict _LOOP_INDEX = {}


cdef int _loop_for(cnp.ufunc uf, int kind) except -2:
    """Index of uf's loop taking and giving ``kind`` (NPY_DOUBLE/NPY_FLOAT)
    throughout, -1 if none; cached per ufunc and dtype."""
    key = (id(uf), kind)
    found = _LOOP_INDEX.get(key)
    if found is not None:
        return found
    cdef int t, i, idx = -1
    cdef int nargs = tg_uf_nargs(uf)
    for t in range(tg_uf_ntypes(uf)):
        for i in range(nargs):
            if tg_uf_type(uf, t * nargs + i) != kind:
                break
        else:
            idx = t
            break
    if idx >= 0 and tg_uf_loop(uf, idx) == NULL:
        idx = -1
    _LOOP_INDEX[key] = idx
    return idx


def ufunc_split(cnp.ufunc uf, tuple operands):
    """uf(*operands) into a new array, NumPy's loop split over the pool, or
    None when the operands do not fit (the caller then calls uf itself)."""
    cdef int nin = tg_uf_nin(uf), i, t, kind = 0, typenum
    cdef cnp.npy_intp n = -1
    if tg_uf_nout(uf) != 1 or nin != len(operands) or nin > 3:
        return None
    shape_of = None
    for x in operands:
        if not cnp.PyArray_Check(x) or not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>x):
            return None
        typenum = cnp.PyArray_TYPE(<cnp.ndarray>x)
        if typenum != cnp.NPY_DOUBLE and typenum != cnp.NPY_FLOAT:
            return None
        if kind == 0:
            kind = typenum
        elif kind != typenum:
            return None
        if cnp.PyArray_NDIM(<cnp.ndarray>x) > 0:
            if shape_of is None:
                shape_of = x
                n = cnp.PyArray_SIZE(<cnp.ndarray>x)
            elif not _same_shape(x, shape_of):
                return None
    if shape_of is None or n < TG_PAR_MIN or tg_parallel_threads() < 2:
        return None
    cdef int found = _loop_for(uf, kind)
    if found < 0:
        return None
    out = _empty(shape_of)
    cdef UfuncJob job
    # NumPy runs its float loops without the GIL too (they call no Python)
    job.loop = <ufunc_loop>tg_uf_loop(uf, found)
    job.data = tg_uf_data(uf, found)
    job.nargs = nin + 1
    cdef cnp.npy_intp item = cnp.PyArray_ITEMSIZE(<cnp.ndarray>shape_of)
    for i in range(nin):
        x = operands[i]
        job.ptrs[i] = <char*>cnp.PyArray_DATA(<cnp.ndarray>x)
        job.steps[i] = item if cnp.PyArray_NDIM(<cnp.ndarray>x) > 0 else 0
    job.ptrs[nin] = <char*>cnp.PyArray_DATA(<cnp.ndarray>out)
    job.steps[nin] = item
    with nogil:
        tg_parallel_for(n, _ufunc_range, &job)
    return out


def num_threads():
    """Threads a big elementwise kernel is split over (1: not split)."""
    return tg_parallel_threads()


def set_num_threads(int n):
    """Split big elementwise kernels over n threads (1 turns splitting off);
    the TAPEGRAD_NUM_THREADS environment variable sets the default."""
    if n < 1:
        raise ValueError(f"set_num_threads needs n >= 1, got {n}")
    tg_parallel_set_threads(n)


def _threads_from_env():
    """TAPEGRAD_NUM_THREADS: a whole number >= 1 (at most TG_PAR_MAX_THREADS
    are used).  csrc/tg_parallel.c reads it with atoi, which took "3abc" as
    3 and ignored "abc" without a word; anything but a whole number >= 1
    warns (errors.ConfigWarning) and the default (the CPUs this process may
    run on) applies, as for TAPEGRAD_BUFFER_CACHE_MB."""
    value = os.environ.get("TAPEGRAD_NUM_THREADS")
    if value is None:
        return
    try:
        ok = int(value.strip()) >= 1
    except ValueError:
        ok = False
    if ok:
        return
    try:
        default = len(os.sched_getaffinity(0))
    except AttributeError:                  # not on Linux
        default = os.cpu_count() or 1
    default = max(1, min(default, TG_PAR_MAX_THREADS))
    warnings.warn(
        f"TAPEGRAD_NUM_THREADS={value!r} is not usable: it must be a whole number >= 1 "
        f"(threads a big elementwise kernel is split over, at most {TG_PAR_MAX_THREADS}); "
        f"using the default ({default}, the CPUs this process may run on).",
        ConfigWarning, stacklevel=2)
    tg_parallel_set_threads(default)


_threads_from_env()


#: Loops shorter than this run on the calling thread alone.
PARALLEL_MIN = TG_PAR_MIN


cdef inline int _kind(object a):
    """1 for float64, 2 for float32, 0 for anything a kernel cannot take."""
    if not cnp.PyArray_Check(a) or not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>a):
        return 0
    cdef int t = cnp.PyArray_TYPE(<cnp.ndarray>a)
    if t == cnp.NPY_DOUBLE:
        return 1
    if t == cnp.NPY_FLOAT:
        return 2
    return 0


cdef inline void* _ptr(object a):
    return cnp.PyArray_DATA(<cnp.ndarray>a)


def unary_fwd(int kid, object x):
    """y = f(x) in one native pass, or None when x does not fit (the caller
    then uses NumPy)."""
    cdef int k = _kind(x)
    if k == 0:
        return None
    cdef tg_intp n = cnp.PyArray_SIZE(<cnp.ndarray>x)
    out = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(<cnp.ndarray>x), cnp.PyArray_DIMS(<cnp.ndarray>x),
                            cnp.NPY_DOUBLE if k == 1 else cnp.NPY_FLOAT, 0)
    cdef Job job
    job.kid = kid
    job.k = k
    job.a = _ptr(x)
    job.out = _ptr(out)
    job.rc = 0
    with nogil:
        tg_parallel_for(n, _unary_fwd_range, &job)
    if job.rc != 0:
        raise ValueError(f"tapegrad internal error: no unary forward kernel with id {kid}")
    return out


def binary_fwd(int kid, object a, object b):
    """y = f(a, b) in one native pass for a binary row with its own forward
    loop (TG_BINARY_LOOP), or None when the operands do not fit: they must be
    C-contiguous arrays of one float dtype, of one shape or one of them of
    size 1 (the caller broadcasts anything else first)."""
    cdef int k = _kind(a)
    if k == 0 or _kind(b) != k:
        return None
    cdef tg_intp na = cnp.PyArray_SIZE(<cnp.ndarray>a), nb = cnp.PyArray_SIZE(<cnp.ndarray>b)
    cdef tg_intp sa = 1, sb = 1
    if _same_shape(a, b):
        shape_of = a
    elif nb == 1 and cnp.PyArray_NDIM(<cnp.ndarray>b) <= cnp.PyArray_NDIM(<cnp.ndarray>a):
        shape_of = a
        sb = 0
    elif na == 1 and cnp.PyArray_NDIM(<cnp.ndarray>a) <= cnp.PyArray_NDIM(<cnp.ndarray>b):
        shape_of = b
        sa = 0
    else:
        return None
    out = _empty(shape_of)
    cdef Job job
    job.kid = kid
    job.k = k
    job.a = _ptr(a)
    job.sa = sa
    job.b = _ptr(b)
    job.sb = sb
    job.out = _ptr(out)
    job.rc = 0
    with nogil:
        tg_parallel_for(cnp.PyArray_SIZE(<cnp.ndarray>shape_of), _binary_fwd_range, &job)
    if job.rc != 0:
        raise ValueError(f"tapegrad internal error: no binary forward kernel with id {kid}")
    return out


cdef inline object _contig(object a):
    """a as C-contiguous (a broadcast or transposed gradient is copied once)."""
    if cnp.PyArray_Check(a) and not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>a):
        return np.ascontiguousarray(a)
    return a


cdef inline object _empty(object like):
    """A new C-contiguous array of like's shape and dtype (no Python call)."""
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(<cnp.ndarray>like), cnp.PyArray_DIMS(<cnp.ndarray>like),
                             cnp.PyArray_TYPE(<cnp.ndarray>like), 0)


cdef inline bint _same_shape(object a, object b):
    cdef int d, nd = cnp.PyArray_NDIM(<cnp.ndarray>a)
    if cnp.PyArray_NDIM(<cnp.ndarray>b) != nd:
        return False
    for d in range(nd):
        if cnp.PyArray_DIM(<cnp.ndarray>a, d) != cnp.PyArray_DIM(<cnp.ndarray>b, d):
            return False
    return True


cdef object accumulate(object prev, object g, bint inplace):
    """prev + g for C-contiguous float arrays of one shape and dtype, written
    into prev when ``inplace`` (the sweep owns it), else into a new array;
    None when they do not fit (the sweep then calls NumPy)."""
    cdef int k = _kind(prev)
    if k == 0 or _kind(g) != k or not _same_shape(prev, g):
        return None
    out = prev if inplace else _empty(prev)
    cdef Job job
    job.k = k
    job.a = _ptr(prev)
    job.b = _ptr(g)
    job.out = _ptr(out)
    with nogil:
        tg_parallel_for(cnp.PyArray_SIZE(<cnp.ndarray>prev), _add_range, &job)
    return out


cdef inline bint _can_donate(object donor, object g, int k):
    return donor is not None and donor is g and _kind(donor) == k


cdef inline bint _one_value(object a):
    """a is one value broadcast over its shape (every stride 0)."""
    if not cnp.PyArray_Check(a) or cnp.PyArray_SIZE(<cnp.ndarray>a) == 0:
        return False
    cdef int d
    for d in range(cnp.PyArray_NDIM(<cnp.ndarray>a)):
        if cnp.PyArray_STRIDE(<cnp.ndarray>a, d) != 0:
            return False
    return True


cdef inline bint _fits(object target, object like, int k):
    """target can take a kernel's output in place: a C-contiguous array of
    like's dtype and shape."""
    return (target is not None and _kind(target) == k
            and cnp.PyArray_TYPE(<cnp.ndarray>target) == cnp.PyArray_TYPE(<cnp.ndarray>like)
            and _same_shape(target, like))


cdef object unary_bwd(int kid, object g, object x, object y, object donor=None,
                      object acc=None):
    cdef tg_intp sg = 1
    if _one_value(g) and not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>g):
        sg = 0                 # read the single value; no copy of the broadcast
    else:
        g = _contig(g)
    cdef int k = _kind(g) if sg else _kind(x)
    if k == 0 or _kind(x) != k or _kind(y) != k:
        return None
    if sg == 0 and cnp.PyArray_TYPE(<cnp.ndarray>g) != cnp.PyArray_TYPE(<cnp.ndarray>x):
        return None
    cdef tg_intp n = cnp.PyArray_SIZE(<cnp.ndarray>g)
    if cnp.PyArray_SIZE(<cnp.ndarray>x) != n or cnp.PyArray_SIZE(<cnp.ndarray>y) != n:
        return None
    cdef bint add_into = _fits(acc, x, k)
    if add_into:
        out = acc
    else:
        out = g if sg and _can_donate(donor, g, k) else _empty(g)
    cdef Job job
    job.kid = kid
    job.k = k
    job.g = _ptr(g)
    job.sg = sg
    job.a = _ptr(x)
    job.y = _ptr(y)
    job.out = _ptr(out)
    job.acc = add_into
    job.rc = 0
    with nogil:
        tg_parallel_for(n, _unary_bwd_range, &job)
    if job.rc != 0:
        raise ValueError(f"tapegrad internal error: no unary kernel with id {kid}")
    return out


cdef object binary_bwd(int kid, object g, object a, object b, object y,
                       bint need_a, bint need_b, object donor=None, object acc_a=None,
                       object acc_b=None):
    cdef tg_intp sg = 1
    cdef bint y_is_g = y is g   # an op that saved no output passes g in its place
    if _one_value(g) and not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>g):
        sg = 0                  # read the single value; no copy of the broadcast
    else:
        g = _contig(g)
        if y_is_g:
            y = g
    cdef int k = _kind(a) if sg == 0 else _kind(g)
    if k == 0 or _kind(a) != k or _kind(b) != k:
        return None
    if sg == 0:
        if cnp.PyArray_TYPE(<cnp.ndarray>g) != cnp.PyArray_TYPE(<cnp.ndarray>a):
            return None
        if not y_is_g and _kind(y) != k:
            return None
    elif _kind(y) != k:
        return None
    cdef tg_intp n = cnp.PyArray_SIZE(<cnp.ndarray>g)
    cdef tg_intp na = cnp.PyArray_SIZE(<cnp.ndarray>a)
    cdef tg_intp nb = cnp.PyArray_SIZE(<cnp.ndarray>b)
    cdef tg_intp sa, sb
    if na == n and _same_shape(a, g):
        sa = 1
    elif na == 1:
        sa = 0
    else:
        return None
    if nb == n and _same_shape(b, g):
        sb = 1
    elif nb == 1:
        sb = 0
    else:
        return None
    # The C loops write ga completely before gb: only the last output written
    # may take over g's buffer.
    shape_of = g            # a broadcast g still has the output's shape
    cdef bint add_a = need_a and _fits(acc_a, shape_of, k)
    cdef bint add_b = need_b and _fits(acc_b, shape_of, k)
    # The C loops write ga completely before gb: only gb, the last output
    # written, may take over g's buffer (and not when gb adds into a buffer).
    cdef bint donate = sg == 1 and _can_donate(donor, g, k)
    ga = gb = None
    if need_b:
        if add_b:
            gb = acc_b
            donate = False
        else:
            gb = g if donate else _empty(shape_of)
    if need_a:
        if add_a:
            ga = acc_a
        else:
            ga = g if (donate and not need_b) else _empty(shape_of)
    cdef Job job
    job.kid = kid
    job.k = k
    job.g = _ptr(g)
    job.sg = sg
    job.a = _ptr(a)
    job.sa = sa
    job.b = _ptr(b)
    job.sb = sb
    # a broadcast g standing in for y is never read (only div and pow read
    # y, and they save their output): pass none rather than a short array
    job.y = NULL if (sg == 0 and y_is_g) else _ptr(y)
    job.out = _ptr(ga) if need_a else NULL
    job.out2 = _ptr(gb) if need_b else NULL
    job.acc = add_a
    job.acc2 = add_b
    job.rc = 0
    with nogil:
        tg_parallel_for(n, _binary_bwd_range, &job)
    if job.rc != 0:
        raise ValueError(f"tapegrad internal error: no binary kernel with id {kid}")
    return ga, gb


cdef object clip_bwd(object g, object x, double lo, double hi):
    g = _contig(g)
    cdef int k = _kind(g)
    if k == 0 or _kind(x) != k or x.shape != g.shape:
        return None
    cdef tg_intp n = cnp.PyArray_SIZE(<cnp.ndarray>g)
    out = _empty(g)
    cdef void *pg = _ptr(g)
    cdef void *px = _ptr(x)
    cdef void *po = _ptr(out)
    with nogil:
        if k == 1:
            tg_clip_bwd_f64(n, <double*>pg, <double*>px, lo, hi, <double*>po)
        else:
            tg_clip_bwd_f32(n, <float*>pg, <float*>px, lo, hi, <float*>po)
    return out


cdef object where_bwd(object g, object cond, bint need_a, bint need_b):
    g = _contig(g)
    cdef int k = _kind(g)
    if (k == 0 or not cnp.PyArray_Check(cond) or cnp.PyArray_TYPE(<cnp.ndarray>cond) != cnp.NPY_BOOL
            or not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>cond) or cond.shape != g.shape):
        return None
    cdef tg_intp n = cnp.PyArray_SIZE(<cnp.ndarray>g)
    ga = _empty(g) if need_a else None
    gb = _empty(g) if need_b else None
    cdef void *pg = _ptr(g)
    cdef void *pc = _ptr(cond)
    cdef void *pga = _ptr(ga) if need_a else NULL
    cdef void *pgb = _ptr(gb) if need_b else NULL
    with nogil:
        if k == 1:
            tg_where_bwd_f64(n, <double*>pg, <uint8_t*>pc, <double*>pga, <double*>pgb)
        else:
            tg_where_bwd_f32(n, <float*>pg, <uint8_t*>pc, <float*>pga, <float*>pgb)
    return ga, gb


def _unary_bwd(kid, g, x, y, acc=None):
    """Test hook: the native unary kernel, or None when it does not apply;
    ``acc``: an array to add the gradient into (returned) instead."""
    return unary_bwd(kid, g, x, y, None, acc)


def _binary_bwd(kid, g, a, b, y, need_a=True, need_b=True, acc_a=None, acc_b=None):
    """Test hook: the native binary kernel, or None when it does not apply;
    ``acc_a``/``acc_b``: arrays to add those gradients into instead."""
    return binary_bwd(kid, g, a, b, y, need_a, need_b, None, acc_a, acc_b)


def _scalar_fwd(int kid, bint f32, double a, double b=0.0):
    """Test hook: a row's 0-d forward on C numbers, or None if it has none."""
    cdef double y = 0
    if scalar_fwd(kid, f32, a, b, &y) != 0:
        return None
    return y


def _scalar_bwd(int kid, bint f32, double g, double a, double b, double y):
    """Test hook: a row's 0-d backward (ga, gb), or None if it has none."""
    cdef double ga = 0, gb = 0
    if scalar_bwd(kid, f32, g, a, b, y, &ga, &gb) != 0:
        return None
    return ga, gb


# ---- forwards the dispatch calls on every op: in C, not Python functions -------
cdef class SplitUfunc:
    """NumPy's ``ufunc`` as an op's forward, with its loop split over the
    cores when an operand is big (ufunc_split: the same loop, so the same
    bits); a plain ufunc call otherwise.  A Python number stays a weak
    scalar (the array's dtype)."""
    cdef readonly object ufunc
    cdef readonly str __name__

    def __init__(self, ufunc):
        self.ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *xs):
        cdef object big = None
        for x in xs:
            if cnp.PyArray_CheckExact(x) and cnp.PyArray_SIZE(<cnp.ndarray>x) >= TG_PAR_MIN:
                big = x
                break
        if big is not None and tg_parallel_threads() >= 2:
            ops = tuple([x if cnp.PyArray_CheckExact(x) else np.asarray(x, dtype=big.dtype)
                         for x in xs])
            y = ufunc_split(self.ufunc, ops)
            if y is not None:
                return y
        return self.ufunc(*xs)


def array_transpose(object x, object axes):
    """np.transpose(x, axes) through the C API (a view)."""
    cdef cnp.PyArray_Dims perm
    cdef cnp.npy_intp buf[32]
    cdef Py_ssize_t i, n
    if not cnp.PyArray_Check(x):
        return np.transpose(x, axes)
    if axes is None:
        return cnp.PyArray_Transpose(<cnp.ndarray>x, NULL)
    n = len(axes)
    if n > 32:
        return np.transpose(x, axes)
    for i in range(n):
        buf[i] = axes[i]
    perm.ptr = buf
    perm.len = <int>n
    return cnp.PyArray_Transpose(<cnp.ndarray>x, &perm)
