"""The tape: contiguous node arrays, and the reverse sweep over them.

Why this shape: nodes are appended in evaluation order, so walking the array
backwards is a topological order (no sort, no recursion; a 1,000,000-node
chain is a loop).  A node is a C struct (tape.pxd): its op, the offsets of
its input and output slot ids in two flat arrays, the version stamps of what
it saved, and either its saved values inline (a 0-d op of a kernel row: the
operands and the output as C doubles, ``SCALAR``) or one record object
(``(prim, params, xs, out)``) holding arrays.  Nothing the cyclic garbage
collector walks grows with the tape: records hold arrays, ``Saved`` values
and numbers, never tensors with history, and sit in C memory.  (A custom
Function's record may hold anything, so it lives in ``pyrecs``, a dict the
collector sees.)

A tape starts at each outermost ``record()``.  A tensor recorded on an older
tape enters a newer one through an import slot (``imports``: slot -> (older
tape, its slot)); backward sweeps the newest tape first and hands the
gradients of import slots on to the older tapes.  So a graph dies with its
own tensors, however long some other recorded tensor lives.

The sweep keeps per-slot gradients in C arrays: a double for a 0-d slot on
the native path (so a chain of scalar ops sweeps without one Python object),
an array otherwise.  An empty slot means zero and is skipped.  Nothing is
freed until the whole backward (the sweep and the writing of ``.grad``) has
succeeded, and pending signals are checked every few thousand nodes: an
interrupted or failed backward leaves the graph as it was.
"""
cimport cython
import threading

import numpy as np
cimport numpy as cnp
from cpython.exc cimport PyErr_CheckSignals
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from cpython.pythread cimport (PyThread_get_thread_ident, PyThread_tss_create, PyThread_tss_get,
                               PyThread_tss_set)
from cpython.weakref cimport PyWeakref_NewRef
from cpython.ref cimport Py_DECREF, Py_INCREF, Py_XDECREF
from libc.math cimport isfinite
from libc.string cimport memset

from tapegrad._core cimport buffers
from tapegrad._core.kernels cimport (accumulate, binary_bwd, clip_bwd, kernel_kind, kernel_reads,
                                     scalar_bwd, scalar_fwd, unary_bwd, where_bwd)
from tapegrad._core import kernels as _kernels

from .. import errors

cnp.import_array()

# Thread-state mode bits: what apply must look at beyond computing.
RECORDING, LEVELS, OBSERVED = 1, 2, 4
cdef int M_RECORDING = 1, M_LEVELS = 2, M_OBSERVED = 4
cdef int K_UNARY = _kernels.UNARY, K_BINARY = _kernels.BINARY
cdef int K_CLIP = _kernels.CLIP, K_WHERE = _kernels.WHERE, K_ARRAY = _kernels.ARRAY
cdef int R_A = _kernels.READS_A, R_B = _kernels.READS_B, R_Y = _kernels.READS_Y

# Pending signals (Ctrl-C) are looked at every this many nodes of a sweep
# (a check costs a few ns when none is pending).
cdef Py_ssize_t SIGNAL_EVERY = 256


# ---- what a node keeps -------------------------------------------------------
# None of these can be part of a reference cycle (they hold arrays, numbers
# and tuples of numbers), so they opt out of the cyclic collector.

@cython.no_gc
cdef class Version:
    """A tensor's version counter, shared by the tensors over the same memory;
    bumped by every in-place change, compared by backward."""


@cython.no_gc
cdef class Saved:
    """A tensor recorded on the tape that saves it: its array, version
    counter and slot.  ``tensor(tape)`` rebuilds the tensor, history
    included, for rules run with create_graph."""
    def __init__(self, data, Version ver, Py_ssize_t slot):
        self._data = data
        self.ver = ver
        self.slot = slot

    def tensor(self, tape):
        t = new_tensor(self._data, self.ver)
        t._tape = tape
        t._slot = self.slot
        return t


@cython.no_gc
cdef class Meta:
    """Shape and dtype of an input the op did not save."""
    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        cdef Py_ssize_t n = 1
        for k in self.shape:
            n *= k
        return n


cdef class TensorBase:
    """The C fields of a tensor (tape.pxd).  The operators live on
    _core.tensor.CoreTensor, the Python API on tapegrad.Tensor."""


# The class of the tensors the core makes (tapegrad.Tensor, registered by
# tensor.py when it is defined: the core sits below it).
cdef type _tensor_type = TensorBase


def set_tensor_type(type cls):
    global _tensor_type
    if not issubclass(cls, TensorBase):
        raise TypeError("the tensor type must derive from TensorBase")
    _tensor_type = cls


def tensor_type():
    return _tensor_type


cdef extern from *:
    """
    /* tp_new of a type, called directly (no __new__ lookup, no args tuple) */
    static PyObject *tg_new_instance(PyTypeObject *type, PyObject *empty) {
        return type->tp_new(type, empty, NULL);
    }
    """
    object tg_new_instance(type cls, tuple empty)


cdef extern from *:
    """
    /* The object a weak reference points to (a new reference), or None once
       it is gone.  PyWeakref_GetObject (a borrowed reference) is deprecated
       from 3.13 and goes in 3.15; PyWeakref_GetRef replaces it there. */
    static PyObject *tg_weakref_target(PyObject *ref) {
    #if PY_VERSION_HEX >= 0x030D0000
        PyObject *obj;
        if (PyWeakref_GetRef(ref, &obj) < 0)
            return NULL;
        if (obj == NULL)
            Py_RETURN_NONE;
        return obj;
    #else
        PyObject *obj = PyWeakref_GetObject(ref);
        Py_XINCREF(obj);
        return obj;
    #endif
    }
    """
    object tg_weakref_target(object ref)


cdef TensorBase new_tensor(object data, Version ver):
    """A tensor over ``data`` with no history."""
    cdef TensorBase t = <TensorBase>tg_new_instance(_tensor_type, ())
    t._data = data
    t._slot = -1
    t._ver = Version.__new__(Version) if ver is None else ver
    return t


def wrap(data, ver=None):
    """new_tensor for Python callers: a tensor over ``data`` (no copy, no checks)."""
    return new_tensor(data, ver)


cdef Saved new_saved(object data, Version ver, Py_ssize_t slot):
    cdef Saved r = Saved.__new__(Saved)
    r._data = data
    r.ver = ver
    r.slot = slot
    return r


cdef Meta new_meta(tuple shape, object dtype):
    cdef Meta r = Meta.__new__(Meta)
    r.shape = shape
    r.dtype = dtype
    return r


# ---- per-thread state ----------------------------------------------------------
cdef class ThreadState:
    """What a thread records into: the recording and training flags, the
    forward-mode levels open (``tg.jvp`` nesting), observers (traces), its
    current tape.  ``mode`` sums up the first three in bits, so the dispatch
    reads one C int per op."""

    def __init__(self):
        self._recording = False
        self.training = False
        self.array_mode = False
        self._open_levels = frozenset()
        self._observers = ()
        self.tape_ref = None
        self.next_level = 1
        self.max_level = 1 << 30
        self.err_outside = None
        self.mode = 0

    cdef void _update(self):
        self.mode = ((M_RECORDING if self._recording else 0)
                     | (M_LEVELS if self._open_levels else 0)
                     | (M_OBSERVED if self._observers else 0))

    @property
    def recording(self):
        return self._recording

    @recording.setter
    def recording(self, v):
        self._recording = bool(v)
        self._update()

    @property
    def open_levels(self):
        """Forward-mode levels open (jvp nesting): a frozenset of ints."""
        return self._open_levels

    @open_levels.setter
    def open_levels(self, v):
        self._open_levels = frozenset(v)
        self._update()

    @property
    def observers(self):
        """Callables(prim, args, params, result) that see every op (traces)."""
        return self._observers

    @observers.setter
    def observers(self, v):
        self._observers = tuple(v)
        self._update()


cdef Py_tss_t _tss     # Cython initialises it
if PyThread_tss_create(&_tss) != 0:
    raise MemoryError("tapegrad: cannot create thread-local storage")
_keep = threading.local()       # owns each thread's state; the TSS slot borrows it


cdef ThreadState state():
    cdef void *p = PyThread_tss_get(&_tss)
    if p != NULL:
        return <ThreadState>p
    st = ThreadState()
    _keep.state = st
    PyThread_tss_set(&_tss, <void*>st)
    return st


def get_state():
    """This thread's ThreadState."""
    return state()


cdef object _ops = []        # the registry's BY_CODE (set_registry)


def set_registry(list by_code):
    """The op registry's list of primitives by code (ops/_registry.py)."""
    global _ops
    _ops = by_code


cdef long long _next_serial = 0


cdef Tape current_tape(ThreadState st):
    global _next_serial
    cdef object ref = st.tape_ref
    if ref is not None:
        live = tg_weakref_target(ref)
        if live is not None:
            return <Tape>live
    _next_serial += 1
    cdef Tape tape = Tape.__new__(Tape)
    tape._setup(_ops, _next_serial, PyThread_get_thread_ident())
    st.tape_ref = PyWeakref_NewRef(tape, None)
    return tape


def new_tape_on_next_record():
    """Called when an outermost record() starts: its graph gets its own tape."""
    state().tape_ref = None


cdef int _grow(void **buf, Py_ssize_t *cap, Py_ssize_t need, size_t item) except -1:
    """Capacity doubling; raises MemoryError instead of returning NULL."""
    cdef Py_ssize_t new_cap
    cdef void *p
    if need <= cap[0]:
        return 0
    new_cap = cap[0] * 2 if cap[0] else 64
    while new_cap < need:
        new_cap *= 2
    p = PyMem_Realloc(buf[0], new_cap * item)
    if p == NULL:
        raise MemoryError("tapegrad: cannot grow the tape")
    buf[0] = p   # pointer may have moved
    cap[0] = new_cap
    return 0


cdef tuple _EMPTY = ()
cdef dict _NO_DICT = {}         # what an empty lazy dict reads as (never written)


# The arrays of one dead tape, kept for the next: a training loop starts a
# tape per step, and a step's worth of arrays is then never allocated again.
cdef struct Spare:
    Node *nodes
    Py_ssize_t *in_slots
    Py_ssize_t *out_slots
    VerStamp *vers
    Py_ssize_t *producer
    PyObject **slot_shape
    unsigned char *slot_f32
    Py_ssize_t cap_nodes, cap_in, cap_out, cap_vers, cap_slots

cdef Spare _spare
cdef bint _have_spare = False
# Arrays above this many nodes are handed back to the allocator instead.
cdef Py_ssize_t SPARE_MAX_NODES = 1 << 14


cdef class Tape:
    # fields: see tape.pxd

    def __cinit__(self):
        global _have_spare
        self.n_nodes = self.n_in = self.n_out = self.n_vers = self.n_slots = 0
        if _have_spare:
            _have_spare = False
            self.nodes, self.cap_nodes = _spare.nodes, _spare.cap_nodes
            self.in_slots, self.cap_in = _spare.in_slots, _spare.cap_in
            self.out_slots, self.cap_out = _spare.out_slots, _spare.cap_out
            self.vers, self.cap_vers = _spare.vers, _spare.cap_vers
            self.producer, self.slot_shape = _spare.producer, _spare.slot_shape
            self.slot_f32, self.cap_slots = _spare.slot_f32, _spare.cap_slots
            return
        self.nodes = NULL
        self.in_slots = NULL
        self.out_slots = NULL
        self.vers = NULL
        self.producer = NULL
        self.slot_shape = NULL
        self.slot_f32 = NULL
        self.cap_nodes = self.cap_in = self.cap_out = self.cap_vers = self.cap_slots = 0

    def __init__(self, ops, serial=0, owner=None):
        self._setup(ops, serial, PyThread_get_thread_ident() if owner is None else owner)

    cdef void _setup(self, object ops, long long serial, unsigned long owner):
        self.ops = ops
        self.serial = serial
        self.owner_id = owner
        self.leaf_slots = {}
        self.slot_leaf = {}
        self._imports = None        # most tapes import nothing and hold no Function
        self._import_slots = None
        self._pyrecs = None

    @property
    def imports(self):
        """slot -> (older tape, its slot there), for the import slots (read only)."""
        return self._imports if self._imports is not None else _NO_DICT

    @property
    def pyrecs(self):
        return self._pyrecs if self._pyrecs is not None else _NO_DICT

    @property
    def owner(self):
        """The thread that records on this tape (threading.get_ident())."""
        return self.owner_id

    def __dealloc__(self):
        global _have_spare
        cdef Py_ssize_t i
        for i in range(self.n_nodes):
            Py_XDECREF(self.nodes[i].rec)
        for i in range(self.n_vers):
            Py_XDECREF(self.vers[i].ver)
        for i in range(self.n_slots):
            Py_XDECREF(self.slot_shape[i])
        if (not _have_spare and self.nodes != NULL and self.in_slots != NULL
                and self.out_slots != NULL and self.vers != NULL and self.producer != NULL
                and self.cap_nodes <= SPARE_MAX_NODES):
            _spare.nodes, _spare.cap_nodes = self.nodes, self.cap_nodes
            _spare.in_slots, _spare.cap_in = self.in_slots, self.cap_in
            _spare.out_slots, _spare.cap_out = self.out_slots, self.cap_out
            _spare.vers, _spare.cap_vers = self.vers, self.cap_vers
            _spare.producer, _spare.slot_shape = self.producer, self.slot_shape
            _spare.slot_f32, _spare.cap_slots = self.slot_f32, self.cap_slots
            _have_spare = True
            return
        PyMem_Free(self.nodes)
        PyMem_Free(self.in_slots)
        PyMem_Free(self.out_slots)
        PyMem_Free(self.vers)
        PyMem_Free(self.producer)
        PyMem_Free(self.slot_shape)
        PyMem_Free(self.slot_f32)

    @property
    def num_nodes(self):
        return self.n_nodes

    @property
    def num_slots(self):
        return self.n_slots

    def slot_meta(self, Py_ssize_t s):
        """(shape, dtype) of slot s."""
        if s < 0 or s >= self.n_slots:
            raise IndexError(s)
        return (<object>self.slot_shape[s],
                np.dtype(np.float32) if self.slot_f32[s] else np.dtype(np.float64))

    def widest_slot(self):
        """The most elements any slot holds (batched sweeps size their chunks by it)."""
        cdef Py_ssize_t s, n, widest = 0
        for s in range(self.n_slots):
            n = 1
            for k in <tuple>self.slot_shape[s]:
                n *= k
            widest = max(widest, n)
        return widest

    def nbytes(self):
        """Bytes of C memory the tape's arrays hold (capacity, not use)."""
        return (self.cap_nodes * sizeof(Node) + (self.cap_in + self.cap_out) * sizeof(Py_ssize_t)
                + self.cap_vers * sizeof(VerStamp)
                + self.cap_slots * (sizeof(Py_ssize_t) + sizeof(PyObject*) + 1))

    cdef Py_ssize_t new_slot(self, object shape, bint f32, Py_ssize_t node) except -1:
        cdef Py_ssize_t s = self.n_slots
        if s >= self.cap_slots:
            _grow(<void**>&self.producer, &self.cap_slots, s + 1, sizeof(Py_ssize_t))
            self.cap_slots = s      # grown one array at a time: same capacity for all
            _grow(<void**>&self.slot_shape, &self.cap_slots, s + 1, sizeof(PyObject*))
            self.cap_slots = s
            _grow(<void**>&self.slot_f32, &self.cap_slots, s + 1, 1)
        self.producer[s] = node
        Py_INCREF(shape)
        self.slot_shape[s] = <PyObject*>shape
        self.slot_f32[s] = f32
        self.n_slots = s + 1
        return s

    def leaf_slot(self, tensor):
        """The slot of a leaf (a variable) on this tape, created on first use."""
        return self._leaf_slot(tensor)

    cdef Py_ssize_t _leaf_slot(self, TensorBase t) except -1:
        key = id(t)
        s = self.leaf_slots.get(key)
        if s is not None:
            return s
        cdef Py_ssize_t slot = self.new_slot(t._data.shape,
                                             cnp.PyArray_TYPE(<cnp.ndarray>t._data) == cnp.NPY_FLOAT, -1)
        self.leaf_slots[key] = slot
        self.slot_leaf[slot] = t     # keeps id(t) unique while the tape lives
        return slot

    def import_slot(self, Tape older, Py_ssize_t slot, shape, dtype):
        """The slot standing for ``older``'s slot on this tape."""
        key = (id(older), slot)
        if self._imports is None:
            self._imports = {}
            self._import_slots = {}
        s = self._import_slots.get(key)
        if s is None:
            s = self.new_slot(tuple(shape), np.dtype(dtype) == np.float32, -1)
            self._import_slots[key] = s
            self._imports[s] = (older, slot)   # keeps the older tape alive
        return s

    cdef Py_ssize_t slot_for(self, TensorBase t) except -2:
        """t's slot on this tape: its own, its leaf slot, or an import slot."""
        cdef Tape older = t._tape
        if older is None:
            return self._leaf_slot(t)
        if older is self:
            return t._slot
        if older.owner_id != self.owner_id:
            raise errors.GraphError(
                "this tensor was recorded on another thread; each thread records on its own "
                "tapes. Pass t.detach() to this thread, or record the whole computation on "
                "one thread.")
        return self.import_slot(older, t._slot, t._data.shape, t._data.dtype)

    cdef Py_ssize_t open_node(self, int prim, int kernel, int flags, Py_ssize_t n_in,
                              Py_ssize_t n_out) except -1:
        """Append node n_nodes with room for its slots; the caller fills
        in_slots[in_start:], adds outputs and versions, and sets rec."""
        cdef Py_ssize_t node = self.n_nodes
        _grow(<void**>&self.nodes, &self.cap_nodes, node + 1, sizeof(Node))
        _grow(<void**>&self.in_slots, &self.cap_in, self.n_in + n_in, sizeof(Py_ssize_t))
        _grow(<void**>&self.out_slots, &self.cap_out, self.n_out + n_out, sizeof(Py_ssize_t))
        cdef Node *nd = &self.nodes[node]
        nd.prim = prim
        nd.kernel = kernel
        nd.flags = flags
        nd.n_in = <int>n_in
        nd.n_out = <int>n_out
        nd.n_ver = 0
        nd.in_start = self.n_in
        nd.out_start = self.n_out
        nd.ver_start = self.n_vers
        nd.rec = NULL
        self.n_in += n_in
        self.n_out += n_out
        self.n_nodes = node + 1
        return node

    cdef int add_version(self, Version v, int role) except -1:
        """Stamp the last node with v's current count (checked by backward)."""
        _grow(<void**>&self.vers, &self.cap_vers, self.n_vers + 1, sizeof(VerStamp))
        cdef VerStamp *vs = &self.vers[self.n_vers]
        Py_INCREF(v)
        vs.ver = <PyObject*>v
        vs.n = v.n
        vs.role = role
        self.n_vers += 1
        self.nodes[self.n_nodes - 1].n_ver += 1
        return 0

    cdef Py_ssize_t push_scalar(self, Primitive prim, bint f32, object a, object b,
                                double av, double bv, double y, TensorBase res) except -1:
        """A 0-d node of a kernel row: operands a and b (b None for a unary
        row; each a 0-d tensor or a Python number) and the output, kept as C
        numbers.  Sets res's tape and slot."""
        cdef int nin = 1 if b is None else 2
        cdef int reads = prim.reads
        cdef Py_ssize_t node = self.open_node(prim.code, prim.kernel, SCALAR | (F32 if f32 else 0),
                                              nin, 1)
        cdef Py_ssize_t k = self.nodes[node].in_start
        cdef Node *nd = &self.nodes[node]
        nd.sv[0] = av
        nd.sv[1] = bv
        nd.sv[2] = y
        self.in_slots[k] = self._scalar_slot(a)
        if reads & R_A and isinstance(a, TensorBase):
            self.add_version((<TensorBase>a)._ver, 0)
        if nin == 2:
            self.in_slots[k + 1] = self._scalar_slot(b)
            if reads & R_B and isinstance(b, TensorBase):
                self.add_version((<TensorBase>b)._ver, 1)
        if reads & R_Y:
            self.add_version(res._ver, -1)
        cdef Py_ssize_t s = self.new_slot(_EMPTY, f32, node)
        self.out_slots[self.nodes[node].out_start] = s
        res._tape = self
        res._slot = s
        return s

    cdef inline Py_ssize_t _scalar_slot(self, object x) except -2:
        cdef TensorBase t
        if not isinstance(x, TensorBase):
            return -1
        t = <TensorBase>x
        if t._tape is self:
            return t._slot
        if t._leaf or t._tape is not None:
            return self.slot_for(t)
        return -1

    def push(self, int prim_code, int kernel, list in_slots, record, list outs, list versions,
             bint gc_visible=False):
        """Append a node: ``in_slots`` (-1 for constants), ``record`` (what
        its backward reads), ``outs`` a list of (shape, dtype), ``versions`` a
        list of (Version, role) to stamp.  ``gc_visible``: the record may hold
        objects with history (tensors carrying tangents, a custom Function),
        so it goes where the cyclic collector sees it.  Returns the output
        slots."""
        cdef Py_ssize_t i, n_out = len(outs)
        cdef Py_ssize_t node = self.open_node(prim_code, kernel, PYREC if gc_visible else 0,
                                              len(in_slots), n_out)
        cdef Node *nd = &self.nodes[node]
        for i in range(len(in_slots)):
            self.in_slots[nd.in_start + i] = in_slots[i]
        for v, role in versions:
            self.add_version(v, role)
        if gc_visible:
            if self._pyrecs is None:
                self._pyrecs = {}
            self._pyrecs[node] = record
        else:
            Py_INCREF(record)
            self.nodes[node].rec = <PyObject*>record
        slots = []
        for i in range(n_out):
            shape, dtype = outs[i]
            s = self.new_slot(tuple(shape), np.dtype(dtype) == np.float32, node)
            self.out_slots[self.nodes[node].out_start + i] = s
            slots.append(s)
        return slots

    cdef object _record(self, Py_ssize_t i):
        """Node i's record (built on the fly for a scalar node), None once freed."""
        cdef Node *nd = &self.nodes[i]
        if nd.flags & FREED:
            return None
        if nd.flags & PYREC:
            return self._pyrecs.get(i)
        if nd.rec != NULL:
            return <object>nd.rec
        return self._scalar_record(i)

    cdef object _scalar_record(self, Py_ssize_t i):
        """(prim, None, xs, out) of scalar node i, its values as 0-d arrays
        and its inputs rebuilt as they were recorded (variables as
        themselves), for rules run with create_graph, traces and graphs."""
        cdef Node *nd = &self.nodes[i]
        cdef object dt = np.float32 if nd.flags & F32 else np.float64
        cdef Py_ssize_t j, s
        cdef Version v
        xs = []
        vers = {}
        for j in range(nd.n_ver):
            vers[self.vers[nd.ver_start + j].role] = <object>self.vers[nd.ver_start + j].ver
        for j in range(nd.n_in):
            s = self.in_slots[nd.in_start + j]
            arr = np.array(nd.sv[j], dtype=dt)
            leaf = self.slot_leaf.get(s) if s >= 0 else None
            if leaf is not None:
                xs.append(leaf)
            elif s >= 0 and self._imports is not None and s in self._imports:
                older, so = self._imports[s]
                t = new_tensor(arr, vers.get(j))
                t._tape = older
                t._slot = so
                xs.append(t)
            elif s >= 0:
                xs.append(new_saved(arr, vers.get(j), s))
            else:
                xs.append(arr)
        out = new_saved(np.array(nd.sv[2], dtype=dt), vers.get(-1),
                        self.out_slots[nd.out_start])
        return (self.ops[nd.prim], None, tuple(xs), out)

    def node(self, Py_ssize_t i):
        """(op code, input slots, output slots, record) of node i, for traces
        and graphs; the record is None once freed."""
        if i < 0 or i >= self.n_nodes:
            raise IndexError(i)
        cdef Node *nd = &self.nodes[i]
        ins = [self.in_slots[nd.in_start + j] for j in range(nd.n_in)]
        outs = [self.out_slots[nd.out_start + j] for j in range(nd.n_out)]
        return nd.prim, ins, outs, self._record(i)

    def producer_of(self, Py_ssize_t slot):
        return self.producer[slot]

    def free_nodes(self, visited):
        """Drop what the nodes in ``visited`` saved (after a backward that
        did not retain the graph)."""
        cdef Py_ssize_t i, j
        cdef Node *nd
        for i in visited:
            nd = &self.nodes[i]
            Py_XDECREF(nd.rec)
            nd.rec = NULL
            for j in range(nd.n_ver):
                Py_XDECREF(self.vers[nd.ver_start + j].ver)
                self.vers[nd.ver_start + j].ver = NULL
            nd.n_ver = 0
            if nd.flags & PYREC:
                self._pyrecs.pop(i, None)
            nd.flags |= FREED

    cdef int _check_versions(self, Py_ssize_t i) except -1:
        cdef Node *nd = &self.nodes[i]
        cdef Py_ssize_t j
        cdef VerStamp *vs
        for j in range(nd.n_ver):
            vs = &self.vers[nd.ver_start + j]
            if (<Version>vs.ver).n != vs.n:
                name = self._op_name(i)
                what = (f"input {vs.role} of '{name}'" if vs.role >= 0
                        else f"the output of '{name}'")
                raise errors.InplaceModificationError(
                    f"a tensor needed for the gradient ({what}, node {i}) was modified "
                    f"in-place after it was recorded (version {vs.n} -> "
                    f"{(<Version>vs.ver).n}). Compute the new value out of place "
                    f"(y = y + 1, not y += 1), or modify a copy (t.copy()) instead.")
        return 0

    cdef str _op_name(self, Py_ssize_t i):
        cdef int p = self.nodes[i].prim
        if p >= 0:
            return self.ops[p].name
        rec = self._pyrecs.get(i) if self._pyrecs is not None else None
        return type(rec[0]).__name__ if rec is not None else "Function"

    cdef int _freed_error(self, Py_ssize_t i) except -1:
        raise errors.GraphFreedError(
            f"Trying to backward through the graph a second time: the values node "
            f"{i} ('{self._op_name(i)}') saved were freed by an earlier backward. Pass "
            f"retain_graph=True to the first backward() if you need to backward "
            f"through the graph again.")

    def sweep(self, dict seeds, keep, bint native, object B, object runner):
        """Reverse sweep from ``seeds`` (slot -> gradient).

        Returns ({slot: gradient} for the slots in ``keep`` that received one,
        the list of visited nodes).  ``native``: gradients are plain arrays
        (Python floats for 0-d slots) and the C kernels run where they apply;
        otherwise every rule runs on backend ``B`` (recorded tensors for
        create_graph, batches for Jacobians).  ``runner`` supplies
        ``run_rule(tape, node, rec, g_outs, needs, B)`` and
        ``sum_to(g, shape, dtype, B)``.  Nothing is freed here (see
        free_nodes), so a failed or interrupted sweep leaves the graph usable.
        """
        cdef Py_ssize_t s, last = -1, n = self.n_slots
        cdef _Grads G = _Grads(n)
        for s in keep:
            if 0 <= s < n:
                G.kept[s] = 1
        for s, g in seeds.items():
            G.put(s, g, native and (<tuple>self.slot_shape[s]) == _EMPTY, False)
            if self.producer[s] > last:
                last = self.producer[s]
        visited = self._sweep(G, last, native, B, runner)
        out = {}
        for s in range(n):
            if G.kept[s] and G.has[s]:
                out[s] = G.value(s)
        return out, visited

    cdef list _sweep(self, _Grads G, Py_ssize_t last, bint native, object B, object runner):
        """The sweep's loop, from node ``last`` down; returns the visited nodes."""
        cdef Py_ssize_t i, j, s, n = self.n_slots, count = 0
        cdef Node nd     # a copy: rules may append to this tape and move the array
        cdef bint has_grad, f32, fresh
        cdef double g0, ga, gb
        cdef object flag, g, prev, acc_a, acc_b, donor, g_ins
        cdef tuple needs
        cdef unsigned char *kept = G.kept
        visited = []
        i = last
        while i >= 0:
            nd = self.nodes[i]
            has_grad = False
            for j in range(nd.n_out):
                if G.has[self.out_slots[nd.out_start + j]]:
                    has_grad = True
                    break
            if not has_grad:
                i -= 1
                continue
            count += 1
            if count % SIGNAL_EVERY == 0:
                PyErr_CheckSignals()
            if nd.flags & FREED:
                self._freed_error(i)
            if nd.n_ver:
                self._check_versions(i)
            visited.append(i)
            if native and nd.flags & SCALAR:
                # A 0-d kernel row: C numbers in, C numbers out.
                s = self.out_slots[nd.out_start]
                g0 = G.scalar(s)
                if not kept[s]:
                    G.clear(s)
                f32 = nd.flags & F32
                ga = gb = 0
                scalar_bwd(nd.kernel, f32, g0, nd.sv[0], nd.sv[1], nd.sv[2], &ga, &gb)
                s = self.in_slots[nd.in_start]
                if s >= 0:
                    G.add_scalar(s, ga, f32)
                if nd.n_in > 1:
                    s = self.in_slots[nd.in_start + 1]
                    if s >= 0:
                        G.add_scalar(s, gb, f32)
                i -= 1
                continue
            rec = self._record(i)
            if rec is None:
                self._freed_error(i)
            g_outs = []
            donor = None
            for j in range(nd.n_out):
                s = self.out_slots[nd.out_start + j]
                g = G.take(s, self.slot_f32[s], <object>self.slot_shape[s], kept[s])
                if G.owned[s] and not kept[s]:
                    G.owned[s] = 0                 # consumed and ours alone:
                    donor = g                      # the kernel may write into it
                g_outs.append(g)
            needs = tuple([self.in_slots[nd.in_start + j] >= 0 for j in range(nd.n_in)])
            g_ins = None
            fresh = False
            if native and nd.kernel and nd.n_out == 1:
                # A gradient this sweep already owns for an input takes the
                # kernel's output added in (one pass instead of write + sum).
                acc_a = acc_b = None
                s = self.in_slots[nd.in_start] if nd.n_in > 0 else -1
                if s >= 0 and G.owned[s]:
                    acc_a = G.obj(s)
                s = self.in_slots[nd.in_start + 1] if nd.n_in > 1 else -1
                if s >= 0 and G.owned[s]:
                    acc_b = G.obj(s)
                g_ins = _native(nd.kernel, rec, g_outs[0], needs, donor, acc_a, acc_b)
                if g_ins is _PASS:              # add: the gradient itself, shared
                    g_ins = (g_outs[0] if needs[0] else None, g_outs[0] if needs[1] else None)
                elif g_ins is not None:
                    fresh = _native_fresh
            if g_ins is None:
                g_ins = runner.run_rule(self, i, rec, g_outs, needs, B)
            for j in range(nd.n_in):
                s = self.in_slots[nd.in_start + j]
                if s < 0:
                    continue
                g = g_ins[j]
                if g is None:
                    continue
                if fresh and (g is acc_a or g is acc_b):
                    continue                    # the kernel added it in already
                shape = <object>self.slot_shape[s]
                dtype = np.float32 if self.slot_f32[s] else np.float64
                # A kernel's output is fresh and ours, and so is anything
                # sum_to derives from it; a rule's output may alias.
                if not native or g.shape != shape or g.dtype != dtype:
                    if native and runner is DEFAULT_RUNNER and cnp.PyArray_Check(g):
                        g = _reduce_to(g, shape, dtype)
                    else:
                        g = runner.sum_to(g, shape, dtype, B)
                if native:
                    if not cnp.PyArray_CheckExact(g):
                        g = np.asarray(g)       # NumPy returns scalars from 0-d math
                    if shape == _EMPTY:
                        G.add_scalar(s, (<double*>cnp.PyArray_DATA(<cnp.ndarray>g))[0]
                                     if not self.slot_f32[s]
                                     else (<float*>cnp.PyArray_DATA(<cnp.ndarray>g))[0],
                                     self.slot_f32[s])
                        continue
                    G.add_native(s, g, fresh)
                else:
                    prev = G.obj(s)
                    G.set_obj(s, g if prev is None else prev + g, False)
            i -= 1
        return visited


# ---- a sweep's gradients --------------------------------------------------------
@cython.final
cdef class _Grads:
    """Per slot: nothing (zero), a C double (0-d slots on the native path),
    or an array; whether the sweep owns the array's buffer (may write into
    it); whether the caller keeps it."""
    def __cinit__(self, Py_ssize_t n):
        # one block: the object pointers, the doubles, then three flag arrays
        cdef Py_ssize_t m = n if n > 0 else 1
        cdef char *block = <char*>PyMem_Malloc(m * (sizeof(PyObject*) + sizeof(double) + 3))
        if block == NULL:
            raise MemoryError("tapegrad: no memory for a backward sweep")
        self.n = n
        self.ob = <PyObject**>block
        self.sc = <double*>(block + m * sizeof(PyObject*))
        self.has = <unsigned char*>(block + m * (sizeof(PyObject*) + sizeof(double)))
        self.owned = self.has + m
        self.kept = self.owned + m
        memset(self.ob, 0, m * sizeof(PyObject*))
        memset(self.has, 0, 3 * m)

    def __dealloc__(self):
        cdef Py_ssize_t s
        if self.ob != NULL:
            for s in range(self.n):
                Py_XDECREF(self.ob[s])
        PyMem_Free(self.ob)

    cdef inline void put(self, Py_ssize_t s, object g, bint as_scalar, bint owned):
        if as_scalar and cnp.PyArray_CheckExact(g) and cnp.PyArray_SIZE(<cnp.ndarray>g) == 1:
            self.sc[s] = float(g.reshape(-1)[0]) if cnp.PyArray_NDIM(<cnp.ndarray>g) else float(g)
            self.has[s] = 1
            return
        self.set_obj(s, g, owned)

    cdef inline void set_obj(self, Py_ssize_t s, object g, bint owned):
        Py_XDECREF(self.ob[s])
        Py_INCREF(g)
        self.ob[s] = <PyObject*>g
        self.has[s] = 2
        self.owned[s] = owned

    cdef inline object obj(self, Py_ssize_t s):
        if self.has[s] == 2:
            return <object>self.ob[s]
        return None

    cdef inline void clear(self, Py_ssize_t s):
        if self.has[s] == 2:
            Py_XDECREF(self.ob[s])
            self.ob[s] = NULL
        self.has[s] = 0
        self.owned[s] = 0

    cdef inline double scalar(self, Py_ssize_t s):
        """The gradient of a 0-d slot as a C double (0 when none)."""
        if self.has[s] == 1:
            return self.sc[s]
        if self.has[s] == 2:
            return float(<object>self.ob[s])
        return 0.0

    cdef inline void add_scalar(self, Py_ssize_t s, double v, bint f32):
        if self.has[s] == 1:
            self.sc[s] = <float>(self.sc[s] + v) if f32 else self.sc[s] + v
        elif self.has[s] == 2:
            self.sc[s] = float(<object>self.ob[s]) + v
            if f32:
                self.sc[s] = <float>self.sc[s]
            Py_XDECREF(self.ob[s])
            self.ob[s] = NULL
            self.has[s] = 1
        else:
            self.sc[s] = v
            self.has[s] = 1

    cdef object take(self, Py_ssize_t s, bint f32, object shape, bint kept):
        """Slot s's gradient for a rule (an array; None for zero); cleared
        unless the caller keeps it (its owned flag stays for the caller)."""
        cdef object g
        if self.has[s] == 0:
            return None
        if self.has[s] == 1:
            g = cnp.PyArray_EMPTY(0, NULL, cnp.NPY_FLOAT if f32 else cnp.NPY_DOUBLE, 0)
            if f32:
                (<float*>cnp.PyArray_DATA(<cnp.ndarray>g))[0] = <float>self.sc[s]
            else:
                (<double*>cnp.PyArray_DATA(<cnp.ndarray>g))[0] = self.sc[s]
            if not kept:
                self.has[s] = 0
            return g
        g = <object>self.ob[s]
        if not kept:
            self.ob[s] = NULL
            self.has[s] = 0
            Py_DECREF(g)        # the local reference g keeps it alive
        return g

    cdef void add_native(self, Py_ssize_t s, object g, bint fresh):
        """Add array gradient g into slot s (native sweep)."""
        cdef object prev
        if self.has[s] == 0:
            self.set_obj(s, g, fresh)
            return
        prev = <object>self.ob[s]
        if self.owned[s]:
            if accumulate(prev, g, True) is None:
                np.add(prev, g, out=prev)
        else:
            acc = accumulate(prev, g, False)
            self.set_obj(s, acc if acc is not None else np.add(prev, g, out=np.empty_like(prev)),
                         True)

    cdef object value(self, Py_ssize_t s):
        if self.has[s] == 1:
            return self.sc[s]          # a Python float: the caller knows the slot's dtype
        return <object>self.ob[s]


_PASS = object()
cdef int K_ADD = _kernels.KERNEL_IDS["add"]
cdef int K_MATMUL = _kernels.KERNEL_IDS["matmul"]
cdef int K_TRANSPOSE = _kernels.KERNEL_IDS["transpose"]
cdef int K_RESHAPE = _kernels.KERNEL_IDS["reshape"]
# Whether the arrays _native returned are new (the sweep may then write into
# them) or views of the gradient it was given (transposed, reshaped).
cdef bint _native_fresh = True
cdef object _add_reduce = np.add.reduce


cdef object _reduce_to(object g, tuple shape, object dtype):
    """g summed back to ``shape`` over its broadcast axes (the leading extra
    ones, and those where shape has 1), and cast to ``dtype``: the engine's
    one place that undoes broadcasting, on arrays."""
    cdef Py_ssize_t nd = cnp.PyArray_NDIM(<cnp.ndarray>g), n = len(shape)
    cdef Py_ssize_t lead = nd - n, i
    if lead < 0:
        raise errors.ShapeError(f"cannot sum a gradient of shape {g.shape} to shape {shape}")
    axes = list(range(lead))
    for i in range(n):
        if shape[i] == 1 and cnp.PyArray_DIM(<cnp.ndarray>g, lead + i) != 1:
            axes.append(lead + i)
    if axes:
        g = _add_reduce(g, axis=tuple(axes))
    if g.shape != shape:
        g = g.reshape(shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


cdef object _array_rule(int kid, tuple rec, object g, tuple needs):
    """The whole-array rules (rows TG_ARRAY of csrc/tg_kernels.def) through
    NumPy's C API, or None where they do not apply (the entry's Python rule
    then runs): the matrix product of 2-D operands, transpose, reshape."""
    global _native_fresh
    cdef object a, b, ga = None, gb = None
    cdef dict p
    if kid == K_TRANSPOSE:
        p = rec[1]
        axes = p["axes"] if p is not None else None
        _native_fresh = False                       # a view of g
        if axes is None:
            return (cnp.PyArray_Transpose(<cnp.ndarray>g, NULL),)
        inv = [0] * len(axes)
        for i, ax in enumerate(axes):
            inv[ax] = i
        return (g.transpose(inv),)
    if kid == K_RESHAPE:
        _native_fresh = False                       # a view of g where it can be
        return (g.reshape(rec[2][0].shape),)
    if kid == K_MATMUL:
        a = _arr(rec[2][0], g)
        b = _arr(rec[2][1], g)
        if (a is None or b is None or not cnp.PyArray_Check(g)
                or cnp.PyArray_NDIM(<cnp.ndarray>a) != 2 or cnp.PyArray_NDIM(<cnp.ndarray>b) != 2
                or cnp.PyArray_NDIM(<cnp.ndarray>g) != 2
                or cnp.PyArray_TYPE(<cnp.ndarray>a) != cnp.PyArray_TYPE(<cnp.ndarray>b)
                or cnp.PyArray_TYPE(<cnp.ndarray>g) != cnp.PyArray_TYPE(<cnp.ndarray>a)):
            return None
        if needs[0]:
            ga = cnp.PyArray_MatrixProduct(g, cnp.PyArray_Transpose(<cnp.ndarray>b, NULL))
        if needs[1]:
            gb = cnp.PyArray_MatrixProduct(cnp.PyArray_Transpose(<cnp.ndarray>a, NULL), g)
        _native_fresh = True
        return (ga, gb)
    return None


cdef object _native(int kid, tuple rec, object g, tuple needs, object donor, object acc_a,
                    object acc_b):
    """The node's C kernel on raw arrays, or None when it does not apply;
    _PASS for add, whose inputs both receive g unchanged (no copy: the sweep
    never writes in place into a buffer it does not own)."""
    global _native_fresh
    if g is None:
        return None
    if kid == K_ADD:
        return _PASS
    cdef int kind = kernel_kind(kid)
    if kind == K_ARRAY:
        return _array_rule(kid, rec, g, needs)
    _native_fresh = True
    xs = rec[2]
    out = rec[3]
    if kind == K_UNARY:
        x = xs[0]
        xa = x._data if hasattr(x, "_data") else None
        ya = out._data if out is not None else None
        if xa is None:
            xa = ya
        if ya is None:
            ya = xa
        if xa is None:
            # the op saved neither (neg, copy): any array of the right size
            xa = ya = g
        r = unary_bwd(kid, g, xa, ya, donor, acc_a)
        return None if r is None else (r,)
    if kind == K_BINARY:
        a, b = xs
        aa = _arr(a, g)
        ba = _arr(b, g)
        ya = out._data if out is not None else g
        if aa is None or ba is None:
            return None
        return binary_bwd(kid, g, aa, ba, ya, needs[0], needs[1], donor, acc_a, acc_b)
    p = rec[1]
    if kind == K_CLIP:
        lo, hi = p["lo"], p["hi"]
        if not (lo is None or isinstance(lo, float)) or not (hi is None or isinstance(hi, float)):
            return None
        r = clip_bwd(g, xs[0]._data, -np.inf if lo is None else lo, np.inf if hi is None else hi)
        return None if r is None else (r,)
    if kind == K_WHERE:
        return where_bwd(g, p["cond"], needs[0], needs[1])
    return None


cdef inline object _arr(object x, object g):
    """A saved input's array; for an unsaved one (Meta) the gradient stands in
    (add/sub read neither input, only their sizes)."""
    d = getattr(x, "_data", None)
    if d is not None:
        return d
    if cnp.PyArray_Check(x):
        return x
    if x.shape == g.shape:
        return g
    if x.size == 1:
        return g.reshape(-1)[:1]
    return None


include "dispatch.pxi"
include "backward.pxi"
