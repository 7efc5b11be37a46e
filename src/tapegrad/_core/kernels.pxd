# Native elementwise gradient kernels, callable from the sweep (tape.pyx).
# Each returns None when the arrays do not fit a single fused pass
# (dtype, layout or general broadcasting): the caller then uses the op's
# NumPy rule, which computes the same derivative.
cdef object unary_bwd(int kid, object g, object x, object y)
cdef object binary_bwd(int kid, object g, object a, object b, object y, bint need_a, bint need_b)
cdef object clip_bwd(object g, object x, double lo, double hi)
cdef object where_bwd(object g, object cond, bint need_a, bint need_b)
