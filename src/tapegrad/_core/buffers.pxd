# The buffer cache (csrc/tg_buffers.c) as NumPy's allocator while tapegrad
# computes: enter() installs it for this thread's context and returns what
# leave() restores.
cdef object enter()
cdef void leave(object previous)
# Whether any ndarray among ``arrays`` is big enough for the cache to matter.
cdef bint any_big(object arrays)
cdef bint is_big(object a)
