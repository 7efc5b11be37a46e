"""The tape: contiguous node arrays and the reverse sweep over them.

Why this shape: nodes are appended in evaluation order, so walking the array
backwards is a topological order (no sort, no recursion; a 100,000-node chain
is a loop).  A node is a C struct: its op code and the offsets of its input
and output slot ids in two flat int arrays.  What a node saved for its
backward sits in ``records`` at the node's index and is dropped when a
backward that used it finishes, unless ``retain_graph``.

A tape starts at each outermost ``record()``.  A tensor recorded on an older
tape enters a newer one through an import slot (``imports``: slot -> (older
tape, its slot)); backward sweeps the newest tape first and hands the
gradients of import slots on to the older tapes.  So a graph dies with its
own tensors, however long some other recorded tensor lives.

Gradients live in a dict slot -> buffer while a sweep runs.  An empty slot
means zero and is skipped; a slot's buffer is popped once its producer has
consumed it; a second contribution is added in place when the sweep owns
the buffer.
"""
cimport cython
import numpy as np
cimport numpy as cnp
from cpython.mem cimport PyMem_Malloc, PyMem_Realloc, PyMem_Free
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM

from tapegrad._core.kernels cimport accumulate, unary_bwd, binary_bwd, clip_bwd, where_bwd
from tapegrad._core import kernels as _kernels

cnp.import_array()

cdef int FREED = 1


# ---- what a node keeps -------------------------------------------------------
# Why these small types: a long recording keeps one record per node alive, and
# CPython's cyclic collector walks every tracked container at each full
# collection.  Records used to hold the tensors themselves (and through them
# the tape: a cycle per node), so a 100,000-op chain spent 1.4 of its 1.9 s in
# the collector.  None of the three types below can be part of a cycle (they
# hold only arrays, numbers and tuples of numbers), so they opt out of the
# collector, and a record made of them is freed by reference counting alone.

@cython.no_gc
cdef class Version:
    """A tensor's version counter, shared by the tensors over the same memory;
    bumped by every in-place change, compared by backward."""


@cython.no_gc
cdef class Saved:
    """A tensor recorded on the tape that saves it (an input or output of a
    node): its array, version counter and slot.  ``tensor(tape)`` rebuilds
    the tensor, history included, for rules run with create_graph."""
    def __init__(self, data, Version ver, Py_ssize_t slot):
        self._data = data
        self.ver = ver
        self.slot = slot

    def tensor(self, tape, cls):
        t = cls._wrap(self._data, self.ver)
        t._tape = tape
        t._slot = self.slot
        return t


@cython.no_gc
cdef class Primitive:
    """An entry of the op table (ops/_registry.py builds and registers them).

    A C type outside the cyclic collector: entries live as long as the
    program, and a node's record holding one (and otherwise only arrays,
    numbers and Saved values) is untracked by the collector's first pass
    instead of being walked at every full collection."""

    def __init__(self, name, forward, vjp, jvp, nin=1, saves=(), save_out=False,
                 kernel=None, label=None, linear=False, elementwise=False, doc=""):
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.jvp = jvp
        self.nin = nin
        self.saves = tuple(saves)
        self.save_out = save_out
        self.kernel = kernel
        self.label = label or (name + "({0})")
        self.linear = linear
        self.elementwise = elementwise
        self.doc = doc
        self.partials = None
        self.code = -1

    def __repr__(self):
        return f"<primitive {self.name}>"


cdef class TensorBase:
    """The C fields of tapegrad.Tensor (see tape.pxd); the class in tensor.py
    derives from it and holds the whole API."""


cdef TensorBase new_tensor(type cls, object data, Version ver):
    """A tensor of class ``cls`` over ``data``, with no history."""
    cdef TensorBase t = TensorBase.__new__(cls)
    t._data = data
    t._slot = -1
    t._ver = Version.__new__(Version) if ver is None else ver
    return t


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


def _new_tensor(cls, data, ver=None):
    """new_tensor for Python callers (Tensor._wrap)."""
    return new_tensor(cls, data, ver)


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


cdef class Tape:
    # fields: see tape.pxd

    def __cinit__(self):
        self.nodes = NULL
        self.in_slots = NULL
        self.out_slots = NULL
        self.producer = NULL
        self.n_nodes = self.cap_nodes = 0
        self.n_in = self.cap_in = 0
        self.n_out = self.cap_out = 0
        self.n_slots = self.cap_slots = 0

    def __init__(self, ops, serial=0, owner=None):
        self.ops = ops
        self.serial = serial
        self.owner = owner
        self.imports = {}
        self.import_slots = {}
        self.records = []
        self.slot_meta = []
        self.leaf_slots = {}
        self.slot_leaf = {}

    def __dealloc__(self):
        PyMem_Free(self.nodes)
        PyMem_Free(self.in_slots)
        PyMem_Free(self.out_slots)
        PyMem_Free(self.producer)

    @property
    def num_nodes(self):
        return self.n_nodes

    @property
    def num_slots(self):
        return self.n_slots

    cdef Py_ssize_t _new_slot(self, object shape, object dtype, Py_ssize_t node) except -1:
        _grow(<void**>&self.producer, &self.cap_slots, self.n_slots + 1, sizeof(Py_ssize_t))
        self.producer[self.n_slots] = node
        self.slot_meta.append((shape, dtype))
        self.n_slots += 1
        return self.n_slots - 1

    def leaf_slot(self, tensor):
        """The slot of a leaf (a variable) on this tape, created on first use."""
        key = id(tensor)
        s = self.leaf_slots.get(key)
        if s is None:
            s = self._new_slot(tensor.shape, tensor.dtype, -1)
            self.leaf_slots[key] = s
            self.slot_leaf[s] = tensor   # keeps id(tensor) unique while the tape lives
        return s

    def import_slot(self, Tape older, Py_ssize_t slot, shape, dtype):
        """The slot standing for ``older``'s slot on this tape."""
        key = (id(older), slot)
        s = self.import_slots.get(key)
        if s is None:
            s = self._new_slot(shape, dtype, -1)
            self.import_slots[key] = s
            self.imports[s] = (older, slot)   # keeps the older tape alive
        return s

    cdef Py_ssize_t _open_node(self, int op, list in_slots, Py_ssize_t m) except -1:
        """Write node n_nodes's op and input slots, with room for its m
        outputs; the caller adds them (_add_output), then _close_node."""
        cdef Py_ssize_t i, k = len(in_slots)
        cdef Py_ssize_t node = self.n_nodes
        _grow(<void**>&self.nodes, &self.cap_nodes, node + 1, sizeof(Node))
        _grow(<void**>&self.in_slots, &self.cap_in, self.n_in + k, sizeof(Py_ssize_t))
        _grow(<void**>&self.out_slots, &self.cap_out, self.n_out + m, sizeof(Py_ssize_t))
        self.nodes[node].op = op
        self.nodes[node].n_in = <int>k
        self.nodes[node].n_out = <int>m
        self.nodes[node].flags = 0
        self.nodes[node].in_start = self.n_in
        self.nodes[node].out_start = self.n_out
        for i in range(k):
            self.in_slots[self.n_in + i] = in_slots[i]
        self.n_in += k
        return node

    cdef Py_ssize_t _add_output(self, Py_ssize_t node, object shape, object dtype) except -1:
        cdef Py_ssize_t s = self._new_slot(shape, dtype, node)
        self.out_slots[self.n_out] = s
        self.n_out += 1
        return s

    cdef int _close_node(self, object record) except -1:
        self.records.append(record)
        self.n_nodes += 1
        return 0

    def push(self, int op, list in_slots, record, list out_metas):
        """Append a node; return the list of its new output slots."""
        cdef Py_ssize_t node = self._open_node(op, in_slots, len(out_metas))
        outs = [self._add_output(node, shape, dtype) for shape, dtype in out_metas]
        self._close_node(record)
        return outs

    cdef Py_ssize_t push1(self, int op, list in_slots, tuple record, object shape,
                          object dtype) except -1:
        """push() for the common node with one output; returns its slot."""
        cdef Py_ssize_t node = self._open_node(op, in_slots, 1)
        cdef Py_ssize_t s = self._add_output(node, shape, dtype)
        self._close_node(record)
        return s

    def node(self, Py_ssize_t i):
        """(op, input slots, output slots, record) of node i, for traces and graphs."""
        if i < 0 or i >= self.n_nodes:
            raise IndexError(i)
        cdef Node *nd = &self.nodes[i]
        ins = [self.in_slots[nd.in_start + j] for j in range(nd.n_in)]
        outs = [self.out_slots[nd.out_start + j] for j in range(nd.n_out)]
        return nd.op, ins, outs, self.records[i]

    def producer_of(self, Py_ssize_t slot):
        return self.producer[slot]

    def sweep(self, dict seeds, keep, bint retain, bint create_graph, object backend,
              object engine):
        """Reverse sweep from ``seeds`` (slot -> gradient).

        Returns {slot: gradient} for the slots in ``keep`` that received one.
        ``engine`` supplies the Python-side pieces: ``check_versions(rec,
        node)``, ``run_rule(rec, g_outs, needs, backend)``, ``sum_to(g, meta,
        backend)`` and ``freed_error(rec)``.  Nothing is freed unless the
        whole sweep succeeds, so a failed backward leaves the graph usable.
        """
        cdef Py_ssize_t i, j, s, last = -1, n = self.n_slots
        cdef Node nd     # a copy: rules may append to this tape and move the array
        cdef bint native = not create_graph
        cdef bint has_grad
        cdef object flag, g, prev
        cdef tuple needs
        # Per slot, indexed directly (slots a rule appends during the sweep
        # are never swept by it): the gradient so far (None: zero), whether
        # the sweep owns that buffer, whether the caller keeps it.
        cdef list grads = [None] * n
        cdef bytearray owned_b = bytearray(n), keep_b = bytearray(n)
        cdef unsigned char[::1] owned = owned_b, kept = keep_b
        cdef list visited = []
        for s in keep:
            kept[s] = 1
        for s, g in seeds.items():
            grads[s] = g
            if 0 <= self.producer[s] and self.producer[s] > last:
                last = self.producer[s]
        i = last
        while i >= 0:
            nd = self.nodes[i]
            has_grad = False
            for j in range(nd.n_out):
                if grads[self.out_slots[nd.out_start + j]] is not None:
                    has_grad = True
                    break
            if not has_grad:
                i -= 1
                continue
            rec = self.records[i]
            if rec is None or nd.flags & FREED:
                engine.freed_error(self, i)
            if not _versions_unchanged(rec):
                engine.check_versions(rec, i)      # raises, naming the tensor
            g_outs = []
            donor = None
            for j in range(nd.n_out):
                s = self.out_slots[nd.out_start + j]
                g = grads[s]
                g_outs.append(g)
                if not kept[s]:
                    grads[s] = None
                    if owned[s]:                # consumed and ours alone:
                        owned[s] = 0            # the kernel may write into it
                        donor = g
            needs = PyTuple_New(nd.n_in)
            for j in range(nd.n_in):
                flag = self.in_slots[nd.in_start + j] >= 0
                Py_INCREF(flag)
                PyTuple_SET_ITEM(needs, j, flag)
            g_ins = None
            fresh = False
            acc_a = acc_b = None
            if native and nd.op >= 0:
                # A gradient this sweep already owns for an input takes the
                # kernel's output added in (one pass instead of write + sum).
                s = self.in_slots[nd.in_start] if nd.n_in > 0 else -1
                if s >= 0 and owned[s]:
                    acc_a = grads[s]
                s = self.in_slots[nd.in_start + 1] if nd.n_in > 1 else -1
                if s >= 0 and owned[s]:
                    acc_b = grads[s]
                g_ins = _native(rec, g_outs[0], needs, donor, acc_a, acc_b)
                if g_ins is _PASS:              # add: the gradient itself, shared
                    g_ins = (g_outs[0] if needs[0] else None, g_outs[0] if needs[1] else None)
                else:
                    fresh = g_ins is not None
            if g_ins is None:
                g_ins = engine.run_rule(rec, g_outs, needs, backend, self)
            for j in range(nd.n_in):
                s = self.in_slots[nd.in_start + j]
                if s < 0:
                    continue
                g = g_ins[j]
                if g is None:
                    continue
                if fresh and (g is acc_a or g is acc_b):
                    continue                    # the kernel added it in already
                meta = self.slot_meta[s]
                # A kernel's output is fresh and ours, and so is anything
                # sum_to derives from it; a rule's output may alias.
                if not native or g.shape != (<tuple>meta)[0] or g.dtype != (<tuple>meta)[1]:
                    g = engine.sum_to(g, meta, backend)
                if native and type(g) is not np.ndarray:
                    g = np.asarray(g)       # NumPy returns scalars from 0-d math
                prev = grads[s]
                if prev is None:
                    grads[s] = g
                    if fresh and native:
                        owned[s] = 1
                elif native and owned[s]:
                    if accumulate(prev, g, True) is None:
                        np.add(prev, g, out=prev)
                elif native:
                    acc = accumulate(prev, g, False)
                    grads[s] = acc if acc is not None else np.add(prev, g, out=np.empty_like(prev))
                    owned[s] = 1
                else:
                    grads[s] = prev + g
            visited.append(i)
            i -= 1
        if not retain:
            for i in visited:
                self.records[i] = None
                self.nodes[i].flags |= FREED
        return {s: grads[s] for s in keep if grads[s] is not None}


cdef bint _versions_unchanged(tuple rec):
    """Whether no tensor the node saved (nor its output) changed in place."""
    cdef tuple entry
    for entry in rec[4]:
        if (<Version>entry[0]).n != <long long>entry[1]:
            return False
    return True


_PASS = object()
cdef int K_ADD = _kernels.KERNEL_IDS["add"]


cdef object _native(tuple rec, object g, tuple needs, object donor, object acc_a,
                    object acc_b):
    """The op's C kernel on raw arrays, or None when it does not apply;
    _PASS for add, whose inputs both receive g unchanged (no copy: the sweep
    never writes in place into a buffer it does not own)."""
    prim = rec[0]
    kname = prim.kernel
    if kname is None or g is None:
        return None
    cdef int kid = _kernels.KERNEL_IDS[kname]
    if kid == K_ADD:
        return _PASS
    xs = rec[2]
    out = rec[3]
    if kid < _kernels.UNARY_END:
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
    if kid < _kernels.BINARY_END:
        a, b = xs
        aa = _arr(a, g)
        ba = _arr(b, g)
        ya = out._data if out is not None else g
        if aa is None or ba is None:
            return None
        return binary_bwd(kid, g, aa, ba, ya, needs[0], needs[1], donor, acc_a, acc_b)
    p = rec[1]
    if prim.name == "clip":
        lo, hi = p["lo"], p["hi"]
        if not (lo is None or isinstance(lo, float)) or not (hi is None or isinstance(hi, float)):
            return None
        r = clip_bwd(g, xs[0]._data, -np.inf if lo is None else lo, np.inf if hi is None else hi)
        return None if r is None else (r,)
    if prim.name == "where":
        return where_bwd(g, p["cond"], needs[0], needs[1])
    return None


cdef inline object _arr(object x, object g):
    """A saved input's array; for an unsaved one (Meta) the gradient stands in
    (add/sub read neither input, only their sizes)."""
    d = getattr(x, "_data", None)
    if d is not None:
        return d
    if isinstance(x, np.ndarray):
        return x
    if x.shape == g.shape:
        return g
    if x.size == 1:
        return g.reshape(-1)[:1]
    return None
