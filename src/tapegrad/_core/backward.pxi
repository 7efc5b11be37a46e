# Backward: from heads to gradients and the variables' .grad (included by
# tape.pyx).  Every tape the heads reach is swept, newest first, gradients
# handed on through import slots; the sweep frees nothing, and the graph's
# saved values are dropped only after every gradient has been written.

# The backends rules run on (ops/backend.py registers them): NP on arrays for
# the ordinary sweep, TG on recorded tensors for create_graph.
cdef object _NP = None
cdef object _TG = None


def set_backends(NP, TG):
    global _NP, _TG
    _NP = NP
    _TG = TG


def backends():
    return _NP, _TG


def quiet_enter():
    """Floating-point warnings off for a sweep that will run rules (a rule's
    0 * inf is the derivative's business, not the user's): set once per
    sweep instead of an errstate per rule.  Returns whether this call
    switched them off; pass that to quiet_leave()."""
    cdef ThreadState st = state()
    if st.err_outside is not None:
        return False
    st.err_outside = np.seterr(all="ignore")     # the caller's settings, for Functions
    return True


def quiet_leave(entered):
    cdef ThreadState st
    if entered:
        st = state()
        np.seterr(**st.err_outside)
        st.err_outside = None


cdef dict _NO_PARAMS = {}       # the parameters of a record saved without any (never mutated)


cdef class Runner:
    """How a sweep runs a node that no C kernel handles, and how a gradient
    is summed back to its input's shape (the only place broadcasting is
    undone).  ops/batching.py derives the batched variant."""

    def run_rule(self, Tape tape, Py_ssize_t i, tuple rec, list g_outs, tuple needs, B):
        """Node i's reverse rule on backend B; on a recording backend its
        saved tensors are rebuilt with their history."""
        prim, p, xs, out = rec
        cdef ThreadState st
        if type(prim) is not Primitive:            # a custom autograd.Function
            # the user's backward runs under the user's floating-point settings
            st = state()
            if st.err_outside is None:
                return prim._run_backward(g_outs, needs, B)
            with np.errstate(**st.err_outside):
                return prim._run_backward(g_outs, needs, B)
        if p is None:
            p = _NO_PARAMS
        if B.native:
            xs = tuple([x._data if isinstance(x, (TensorBase, Saved)) else x for x in xs])
            if out is not None:
                out = (tuple([o._data for o in out]) if type(out) is tuple else out._data)
        else:
            xs = tuple([x.tensor(tape) if type(x) is Saved else x for x in xs])
            if type(out) is Saved:
                out = out.tensor(tape)
            elif type(out) is tuple:
                out = tuple([o.tensor(tape) if type(o) is Saved else o for o in out])
        g = g_outs[0] if (<Primitive>prim).nout == 1 else tuple(g_outs)
        if state().err_outside is not None:      # the sweep silenced warnings already
            return prim.vjp(B, g, xs, out, p, needs)
        with np.errstate(all="ignore"):
            return prim.vjp(B, g, xs, out, p, needs)

    def sum_to(self, g, shape, dtype, B):
        if g.shape != shape:
            g = B.sum_to(g, shape)
        if g.dtype != dtype:
            g = B.cast(g, dtype)
        return g


DEFAULT_RUNNER = Runner()


def real_array(hg, what="head_grad"):
    """A head gradient (or cotangent) that is not a tensor, as an array of
    real numbers; anything else (None, strings, complex, objects, ragged
    lists) is a DTypeError (a TypeError): never silently NaN or a parsed
    string."""
    try:
        arr = None if isinstance(hg, (str, bytes)) else np.asarray(hg)
    except (ValueError, TypeError):
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        got = f"dtype {arr.dtype}" if arr is not None else "a string or a ragged sequence"
        raise errors.DTypeError(
            f"{what} must hold real numbers (a tensor, a float array or a nested list of "
            f"numbers), got {type(hg).__name__} of {got}: {hg!r:.80}; pass e.g. "
            f"np.ones(y.shape)" + (" or None for ones." if what == "head_grad" else "."))
    return arr


cdef object _head_grad(TensorBase h, object hg, bint create_graph):
    """The seed of head h: ones for None, else hg checked (real numbers of
    h's shape) and copied to h's dtype."""
    cdef object g
    if hg is None:
        g = cnp.PyArray_EMPTY(h._data.ndim, cnp.PyArray_DIMS(<cnp.ndarray>h._data),
                              cnp.PyArray_TYPE(<cnp.ndarray>h._data), 0)
        g.fill(1)
    else:
        garr = (<TensorBase>hg)._data if isinstance(hg, TensorBase) else real_array(hg)
        if garr.shape != h._data.shape:
            raise errors.ShapeError(
                f"head_grad has shape {tuple(garr.shape)} but the head it belongs to has "
                f"shape {tuple(h._data.shape)}: pass a head gradient of shape "
                f"{tuple(h._data.shape)} (or None for ones).")
        if create_graph and isinstance(hg, TensorBase):
            return hg if hg._data.dtype == h._data.dtype else _TG.cast(hg, h._data.dtype)
        g = np.array(garr, dtype=h._data.dtype, order="C")
    return new_tensor(g, None) if create_graph else g


cdef object _slot_of(Tape tape, TensorBase v):
    """v's slot on ``tape``: its own slot if recorded there, its leaf slot."""
    if v._tape is not None:
        return v._slot if v._tape is tape else None
    s = tape.leaf_slots.get(id(v))
    if s is not None and tape.slot_leaf.get(s) is v:
        return s
    return None


def run_backward(heads, head_grads, bint create_graph, wanted=None, runner=None):
    """Sweep back from ``heads`` over every tape they reach, newest first.

    Returns (results, swept): results is a list of (variable, gradient) for
    every variable reached when ``wanted`` is None, else a list aligned with
    ``wanted`` (None where no gradient arrived); a gradient is an array, a
    Python float (0-d, native sweep) or, with create_graph, a recorded
    tensor.  ``swept`` lists (tape, visited nodes) for free_swept()."""
    cdef TensorBase h
    cdef Tape tape
    B = _TG if create_graph else _NP
    if runner is None:
        runner = DEFAULT_RUNNER
    cdef unsigned long me = PyThread_get_thread_ident()
    pending = {}                       # tape -> {slot: gradient}
    for hh, hg in zip(heads, head_grads):
        if not isinstance(hh, TensorBase):
            raise TypeError(f"backward() needs tensors as heads, got {type(hh).__name__}")
        h = hh
        if h._tape is None:
            raise errors.NotRecordedError(
                f"cannot backward from a tensor with no recorded history ({errors.describe(h)}): "
                f"compute it inside `with autograd.record():` from a tensor on which "
                f"attach_grad() was called.")
        if h._tape.owner_id != me:
            raise errors.GraphError(
                "backward() of a tensor recorded on another thread: a graph belongs to the "
                "thread that recorded it. Record and differentiate on the same thread (pass "
                "t.detach() to move values between threads).")
        g = _head_grad(h, hg, create_graph)
        seeds = pending.setdefault(h._tape, {})
        prev = seeds.get(h._slot)
        seeds[h._slot] = g if prev is None else prev + g
    results = {}                       # key -> [tensor, gradient]
    swept = []
    while pending:
        tape = max(pending, key=_serial_of) if len(pending) > 1 else next(iter(pending))
        seeds = pending.pop(tape)
        keep = set(tape.imports)
        want = {}                      # slot -> keys
        if wanted is None:
            for s, var in tape.slot_leaf.items():
                keep.add(s)
                want[s] = [id(var)]
                results.setdefault(id(var), [var, None])
        else:
            for k, v in enumerate(wanted):
                s = _slot_of(tape, v)
                if s is not None:
                    keep.add(s)
                    want.setdefault(s, []).append(k)
        previous = buffers.enter() if tape.big else None
        quiet = quiet_enter() if (tape.rules or create_graph) else False
        try:
            grads, visited = tape.sweep(seeds, keep, not create_graph, B, runner)
        finally:
            quiet_leave(quiet)
            buffers.leave(previous)
        swept.append((tape, visited))
        for s, g in grads.items():
            imp = tape.imports.get(s)
            if imp is not None:
                older, so = imp
                d = pending.setdefault(older, {})
                if type(g) is float:
                    g = _as_array(g, tape.slot_f32[s])
                d[so] = g if so not in d else d[so] + g
            for k in want.get(s, ()):
                entry = results.setdefault(k, [None, None])
                entry[1] = g if entry[1] is None else entry[1] + g
    if wanted is None:
        return [(var, g) for var, g in results.values() if g is not None], swept
    return [results[k][1] if k in results else None for k in range(len(wanted))], swept


def _serial_of(Tape tape):
    return tape.serial


cdef object _as_array(double v, bint f32):
    a = cnp.PyArray_EMPTY(0, NULL, cnp.NPY_FLOAT if f32 else cnp.NPY_DOUBLE, 0)
    if f32:
        (<float*>cnp.PyArray_DATA(<cnp.ndarray>a))[0] = <float>v
    else:
        (<double*>cnp.PyArray_DATA(<cnp.ndarray>a))[0] = v
    return a


def free_swept(swept):
    """Drop what the swept nodes saved (a backward without retain_graph)."""
    for tape, visited in swept:
        tape.free_nodes(visited)


cdef object _as_list(object x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


cdef int _backward_one(TensorBase h, bint retain) except -1:
    """backward() of one head with no head gradient on a tape that imports
    nothing: the common case, without the general path's dicts and lists."""
    cdef Tape tape = h._tape
    cdef _Grads G = _Grads(tape.n_slots)
    cdef Py_ssize_t s, slot = h._slot
    cdef TensorBase var, gbuf
    for s in tape.slot_leaf:
        G.kept[s] = 1
    if cnp.PyArray_NDIM(<cnp.ndarray>h._data) == 0:
        G.sc[slot] = 1.0
        G.has[slot] = 1
    else:
        G.set_obj(slot, _head_grad(h, None, False), False)
    previous = buffers.enter() if tape.big else None
    quiet = quiet_enter() if tape.rules else False
    try:
        visited = tape._sweep(G, tape.producer[slot], True, _NP, DEFAULT_RUNNER)
    finally:
        quiet_leave(quiet)
        buffers.leave(previous)
    # Written in one C loop: no signal lands between two variables' writes.
    for s, v in tape.slot_leaf.items():
        if G.has[s]:
            var = v
            if var._grad is None:          # an internal variable of a transform
                continue
            gbuf = var._grad
            _write_grad(gbuf._data, G.value(s), var._grad_req == "add")
            gbuf._ver.n += 1
    if not retain:
        tape.free_nodes(visited)
    return 0


def backward(heads, head_grads=None, retain_graph=False, create_graph=False):
    """Gradients of ``heads`` (weighted by ``head_grads``; None: ones) into
    the ``.grad`` of every variable they reach ('write' overwrites, 'add'
    accumulates).  Saved values are freed afterwards unless retain_graph;
    with create_graph they are kept (the recorded gradients refer to them)."""
    cdef ThreadState st = state()
    cdef TensorBase var, gbuf, h
    cdef bint was
    if not create_graph and head_grads is None and type(heads) is list and len(heads) == 1:
        h0 = heads[0]
        if isinstance(h0, TensorBase):
            h = h0
            if (h._tape is not None and h._tape._imports is None
                    and h._tape.owner_id == PyThread_get_thread_ident()):
                _backward_one(h, retain_graph)
                return
    heads = _as_list(heads)
    hgs = _as_list(head_grads)
    if hgs is None:
        hgs = [None] * len(heads)
    if len(hgs) != len(heads):
        raise errors.ShapeError(f"got {len(heads)} heads but {len(hgs)} head gradients")
    if create_graph:
        was = st._recording
        st.recording = True
        try:
            grads, swept = run_backward(heads, hgs, True)
            grads = [(v, _as_recorded(v, g)) for v, g in grads]
        finally:
            st.recording = was
        retain_graph = True
    else:
        grads, swept = run_backward(heads, hgs, False)
    # Written in one C loop: no signal lands between two variables' writes.
    for v, g in grads:
        var = v
        if var._grad is None:          # an internal variable of a transform
            continue
        gbuf = var._grad
        _write_grad(gbuf._data, g, var._grad_req == "add")
        gbuf._ver.n += 1
        if create_graph and isinstance(g, TensorBase):
            # keep the recorded gradient so it can be differentiated again
            gbuf._tape = (<TensorBase>g)._tape
            gbuf._slot = (<TensorBase>g)._slot
    if not retain_graph:
        free_swept(swept)


cdef object _as_recorded(TensorBase v, object g):
    """A create_graph gradient as a recorded function of its variable v.

    A gradient that no recorded op produced is a constant: the rules of
    linear and piecewise-linear ops (2 * x, x + 1, relu, abs, clip, indexing)
    give constants, and a variable the heads do not reach gets none.
    ``where(False, v, g)`` records it, with derivative zero, so
    differentiating it again gives zeros instead of NotRecordedError.
    (Called with recording on.)"""
    cdef object arr
    if isinstance(g, TensorBase) and (<TensorBase>g)._tape is not None:
        return g
    if not (v._leaf or v._tape is not None):
        return g                           # nothing to record it against
    if g is None:
        arr = np.zeros(v._data.shape, dtype=v._data.dtype)
    elif type(g) is float:
        arr = _as_array(g, v._data.dtype == np.float32)
    elif isinstance(g, TensorBase):
        arr = (<TensorBase>g)._data
    else:
        arr = g
    return _TG.where(np.zeros(v._data.shape, dtype=bool), v, new_tensor(arr, None))


cdef int _write_grad(object buf, object g, bint add) except -1:
    cdef int t = cnp.PyArray_TYPE(<cnp.ndarray>buf)
    cdef double v
    if type(g) is float:
        v = g
        if cnp.PyArray_SIZE(<cnp.ndarray>buf) == 1 and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>buf):
            if t == cnp.NPY_DOUBLE:
                if add:
                    (<double*>cnp.PyArray_DATA(<cnp.ndarray>buf))[0] += v
                else:
                    (<double*>cnp.PyArray_DATA(<cnp.ndarray>buf))[0] = v
                return 0
            if t == cnp.NPY_FLOAT:
                if add:
                    (<float*>cnp.PyArray_DATA(<cnp.ndarray>buf))[0] += <float>v
                else:
                    (<float*>cnp.PyArray_DATA(<cnp.ndarray>buf))[0] = <float>v
                return 0
        g = _as_array(v, t == cnp.NPY_FLOAT)
    elif isinstance(g, TensorBase):
        g = (<TensorBase>g)._data
    if add:
        if accumulate(buf, g, True) is None:
            np.add(buf, g, out=buf, casting="same_kind")
    else:
        np.copyto(buf, g, casting="same_kind")
    return 0


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False):
    """Gradients of ``heads`` with respect to ``variables``, returned as a list
    of tensors (zeros for a variable the heads do not depend on); ``.grad``
    untouched.  With ``create_graph=True`` the results are recorded, so they
    can be differentiated again."""
    cdef ThreadState st = state()
    cdef bint was
    heads = _as_list(heads)
    variables = _as_list(variables)
    hgs = _as_list(head_grads) or [None] * len(heads)
    if len(hgs) != len(heads):
        raise errors.ShapeError(f"got {len(heads)} heads but {len(hgs)} head gradients")
    if retain_graph is None:
        retain_graph = create_graph
    for v in variables:
        if not isinstance(v, TensorBase):
            raise TypeError(f"grad() variables must be tensors, got {type(v).__name__}")
    was = st._recording
    st.recording = bool(create_graph)
    try:
        grads, swept = run_backward(heads, hgs, bool(create_graph), wanted=variables)
        if create_graph:
            grads = [_as_recorded(v, g) for v, g in zip(variables, grads)]
    finally:
        st.recording = was
    out = []
    for v, g in zip(variables, grads):
        if g is None:
            out.append(new_tensor(np.zeros(v._data.shape, dtype=v._data.dtype), None))
        elif isinstance(g, TensorBase):
            out.append(g)
        elif type(g) is float:
            out.append(new_tensor(_as_array(g, v._data.dtype == np.float32), None))
        else:
            out.append(new_tensor(g if g.flags.owndata else g.copy(), None))
    if not retain_graph:
        free_swept(swept)
    return out
