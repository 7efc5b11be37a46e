# The tape's types, shared with the dispatch (_engine.py cimports them, so
# recording an op sets C fields instead of looking up Python attributes).

cdef struct Node:
    int op              # primitive code; -1 for a custom autograd.Function
    int n_in
    int n_out
    int flags
    Py_ssize_t in_start
    Py_ssize_t out_start


cdef class Version:
    cdef public long long n


cdef class Saved:
    cdef public object _data
    cdef public Version ver
    cdef public Py_ssize_t slot


cdef class Meta:
    cdef public tuple shape
    cdef public object dtype


cdef class Primitive:
    """An op-table entry: see ops/_registry.py for what each field means."""
    cdef public str name
    cdef public int code            # index in the op table; -1 until registered
    cdef public int nin             # -1: variadic
    cdef public object forward, vjp, jvp
    cdef public object kernel       # name in kernels.KERNEL_IDS, or None
    cdef public tuple saves         # indices of the inputs the rules read
    cdef public bint save_out       # whether the rules read the output
    cdef public object label, doc, partials
    cdef public bint linear, elementwise


cdef class TensorBase:
    """The C fields of a Tensor (tensor.py adds the API)."""
    cdef public object _data        # the ndarray
    cdef public Tape _tape          # where it was recorded, or None
    cdef public Py_ssize_t _slot    # its slot there, -1 without history
    cdef public Version _ver        # shared with the tensors over its memory
    cdef public bint _leaf          # a variable (attach_grad)
    cdef public object _grad
    cdef public object _grad_req
    cdef public dict _tangents      # forward-mode level -> tangent, or None
    cdef object __weakref__


cdef class Tape:
    cdef Node *nodes
    cdef Py_ssize_t n_nodes, cap_nodes
    cdef Py_ssize_t *in_slots      # -1: a constant input (no gradient)
    cdef Py_ssize_t n_in, cap_in
    cdef Py_ssize_t *out_slots
    cdef Py_ssize_t n_out, cap_out
    cdef Py_ssize_t *producer      # slot -> node index, -1 for a leaf slot
    cdef Py_ssize_t n_slots, cap_slots
    cdef public list records       # node -> (prim, p, xs, out, versions), None once freed
    cdef public list slot_meta     # slot -> (shape, dtype)
    cdef public dict leaf_slots    # id(leaf tensor) -> slot
    cdef public dict slot_leaf     # slot -> leaf tensor
    cdef public object ops         # the op table, by code
    cdef public dict imports       # slot -> (older tape, slot there)
    cdef public dict import_slots  # (id(older tape), slot there) -> slot
    cdef public long long serial   # creation order: newer tapes sweep first
    cdef public object owner       # the thread that records on this tape
    cdef public bint big           # holds arrays the buffer cache serves (_core/buffers)
    cdef public bint rules         # holds nodes without a C kernel (Python rules)
    cdef object __weakref__        # the thread keeps only a weak reference

    cdef Py_ssize_t _new_slot(self, object shape, object dtype, Py_ssize_t node) except -1
    cdef Py_ssize_t _open_node(self, int op, list in_slots, Py_ssize_t m) except -1
    cdef Py_ssize_t _add_output(self, Py_ssize_t node, object shape, object dtype) except -1
    cdef int _close_node(self, object record) except -1
    cdef Py_ssize_t push1(self, int op, list in_slots, tuple record, object shape,
                          object dtype) except -1


cdef TensorBase new_tensor(type cls, object data, Version ver)
cdef Saved new_saved(object data, Version ver, Py_ssize_t slot)
cdef Meta new_meta(tuple shape, object dtype)
