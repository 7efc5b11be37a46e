# Native elementwise gradient kernels, callable from the sweep (tape.pyx).
# Each returns None when the arrays do not fit a single fused pass
# (dtype, layout or general broadcasting): the caller then uses the op's
# NumPy rule, which computes the same derivative.  ``donor``: a gradient
# buffer nobody else holds, which the kernel may overwrite with its output
# (each element is read before it is written) instead of allocating.
# ``acc`` (``acc_a``/``acc_b``): a gradient the sweep already holds for that
# input, same shape and dtype, which the kernel adds into and returns.
cdef object unary_bwd(int kid, object g, object x, object y, object donor=*, object acc=*)
cdef object binary_bwd(int kid, object g, object a, object b, object y, bint need_a, bint need_b,
                       object donor=*, object acc_a=*, object acc_b=*)
cdef object clip_bwd(object g, object x, double lo, double hi)
cdef object where_bwd(object g, object cond, bint need_a, bint need_b)
# prev + g into prev (inplace) or a new array; None when they do not fit.
cdef object accumulate(object prev, object g, bint inplace)
# The kernel table (csrc/tg_kernels.def): a row's kind (UNARY, BINARY, CLIP,
# WHERE; 0 for no row) and what its backward reads (READS_* bits).
cdef int kernel_kind(int kid) noexcept nogil
cdef int kernel_reads(int kid) noexcept nogil
# 0-d operands as C numbers (computed in float when f32): a row's forward
# into *out and its backward into *ga, *gb; nonzero for an id without them.
cdef int scalar_fwd(int kid, bint f32, double a, double b, double *out) noexcept nogil
cdef int scalar_bwd(int kid, bint f32, double g, double a, double b, double y, double *ga,
                    double *gb) noexcept nogil
