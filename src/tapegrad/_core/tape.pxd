# The tape's types (see tape.pyx), cimported by the tensor type (tensor.pyx),
# which records on it.
from cpython.object cimport PyObject

# Node flags
cdef enum:
    SCALAR = 1      # a 0-d node of a kernel row: values in sv, no record object
    F32 = 2         # ... computed in float32
    FREED = 4       # its saved values were freed by a backward
    PYREC = 8       # its record lives in Tape.pyrecs (custom Functions)


cdef struct Node:
    int prim                # registry code (Primitive.code); -1: a custom Function
    int kernel              # row of the C kernel table, 0: none
    int flags
    int n_in
    int n_out
    int n_ver
    Py_ssize_t in_start     # into Tape.in_slots
    Py_ssize_t out_start    # into Tape.out_slots
    Py_ssize_t ver_start    # into Tape.vers
    PyObject *rec           # owned: (prim, params, xs, out) of a non-scalar node, else NULL
    double sv[3]            # a scalar node's operands and output: a, b, y


cdef struct VerStamp:
    PyObject *ver           # owned reference to a Version
    long long n             # its count when the node was recorded
    int role                # the input's position, -1 for the output


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
    cdef dict __dict__              # what the layers above attach (public function, ...)
    cdef public str name
    cdef public str namespace
    cdef public int code            # index in the registry's BY_CODE; -1 until registered
    cdef public int kernel          # row of the C kernel table; 0: none
    cdef public int reads           # what the kernel's backward reads (kernels.READS_*)
    cdef public int nin             # inputs (-1: any number)
    cdef public int nout            # outputs
    cdef public object forward, vjp, jvp, batch
    cdef public tuple saves         # positions of the inputs the rules read
    cdef public bint save_out       # whether the rules read the output(s)
    cdef public bint linear, elementwise
    cdef public bint scalar         # 0-d operands may take the C scalar path
    cdef public object label        # trace/graph label: '{0} * {1}', 'ln({0})'
    cdef public object info         # everything the layers above derive things from
    cdef object __weakref__


cdef class TensorBase:
    cdef public object _data        # the ndarray
    cdef public Tape _tape          # where it was recorded, or None
    cdef public Py_ssize_t _slot    # its slot there, -1 without history
    cdef public Version _ver        # shared with the tensors over its memory
    cdef public bint _leaf          # a variable (attach_grad)
    cdef public object _grad
    cdef public object _grad_req
    cdef public dict _tangents      # forward-mode level -> tangent, or None
    cdef object __weakref__


cdef class ThreadState:
    cdef public int mode            # RECORDING | LEVELS | OBSERVED bits
    cdef bint _recording
    cdef public bint training
    cdef public bint array_mode     # bind() on plain arrays returns arrays (backends)
    cdef frozenset _open_levels
    cdef tuple _observers
    cdef public object tape_ref     # weak reference to the thread's current tape
    cdef public long long next_level
    cdef public long long max_level
    cdef public object err_outside  # np.geterr() of the caller while a sweep runs
    cdef void _update(self)


cdef class _Grads:
    cdef Py_ssize_t n
    cdef unsigned char *has          # 0 none, 1 a double in sc, 2 an object in ob
    cdef unsigned char *owned
    cdef unsigned char *kept
    cdef double *sc
    cdef PyObject **ob
    cdef inline void put(self, Py_ssize_t s, object g, bint as_scalar, bint owned)
    cdef inline void set_obj(self, Py_ssize_t s, object g, bint owned)
    cdef inline object obj(self, Py_ssize_t s)
    cdef inline void clear(self, Py_ssize_t s)
    cdef inline double scalar(self, Py_ssize_t s)
    cdef inline void add_scalar(self, Py_ssize_t s, double v, bint f32)
    cdef object take(self, Py_ssize_t s, bint f32, object shape, bint kept)
    cdef void add_native(self, Py_ssize_t s, object g, bint fresh)
    cdef object value(self, Py_ssize_t s)


cdef class Tape:
    cdef Node *nodes
    cdef Py_ssize_t n_nodes, cap_nodes
    cdef Py_ssize_t *in_slots       # -1: a constant input (no gradient)
    cdef Py_ssize_t n_in, cap_in
    cdef Py_ssize_t *out_slots
    cdef Py_ssize_t n_out, cap_out
    cdef VerStamp *vers
    cdef Py_ssize_t n_vers, cap_vers
    cdef Py_ssize_t *producer       # slot -> node, -1 for a leaf or import slot
    cdef PyObject **slot_shape      # slot -> shape tuple (owned)
    cdef unsigned char *slot_f32    # slot -> 1 for float32
    cdef Py_ssize_t n_slots, cap_slots
    cdef public dict leaf_slots     # id(leaf tensor) -> slot
    cdef public dict slot_leaf      # slot -> leaf tensor
    cdef dict _imports              # slot -> (older tape, slot there); None: none yet
    cdef dict _import_slots         # (id(older tape), slot there) -> slot
    cdef dict _pyrecs               # node -> record of a custom Function
    cdef public object ops          # the registry's BY_CODE list
    cdef public long long serial    # creation order: newer tapes sweep first
    cdef unsigned long owner_id     # the thread that records on this tape
    cdef public bint big            # holds arrays the buffer cache serves
    cdef public bint rules          # holds nodes whose backward runs Python rules
    cdef object __weakref__

    cdef void _setup(self, object ops, long long serial, unsigned long owner)
    cdef Py_ssize_t new_slot(self, object shape, bint f32, Py_ssize_t node) except -1
    cdef Py_ssize_t slot_for(self, TensorBase t) except -2
    cdef Py_ssize_t open_node(self, int prim, int kernel, int flags, Py_ssize_t n_in,
                              Py_ssize_t n_out) except -1
    cdef int add_version(self, Version v, int role) except -1
    cdef Py_ssize_t _leaf_slot(self, TensorBase t) except -1
    cdef Py_ssize_t _scalar_slot(self, object x) except -2
    cdef object _record(self, Py_ssize_t i)
    cdef object _scalar_record(self, Py_ssize_t i)
    cdef int _check_versions(self, Py_ssize_t i) except -1
    cdef str _op_name(self, Py_ssize_t i)
    cdef int _freed_error(self, Py_ssize_t i) except -1
    cdef list _sweep(self, _Grads G, Py_ssize_t last, bint native, object B, object runner)
    cdef Py_ssize_t push_scalar(self, Primitive prim, bint f32, object a, object b,
                                double av, double bv, double y, TensorBase res) except -1


cdef ThreadState state()
cdef TensorBase new_tensor(object data, Version ver)
cdef Saved new_saved(object data, Version ver, Py_ssize_t slot)
cdef Meta new_meta(tuple shape, object dtype)
cdef Tape current_tape(ThreadState st)
