# Dispatch: a primitive applied to operands (included by tape.pyx).
#
# Why here, in C: every public function, operator and backend call ends in
# ``bind``, so recording, forward mode and observers are decided in one
# place, and the common case -- a kernel row on 0-d float operands -- never
# leaves C: the operands are read as C numbers, the row's scalar forward
# computes the result, and the node goes onto the tape's arrays.


@cython.no_gc
cdef class Primitive:
    """A registry entry (ops/_registry.py builds them): everything about one
    primitive.  The C fields are what the dispatch and the sweep read; the
    layers above derive the rest (public function, Tensor method, trace label
    and grammar, docs) from the attributes the registry sets on the
    instance.  Calling it applies it: ``prim(*operands, **params)``.

    A C type outside the cyclic collector: entries live as long as the
    program, and records holding one stay untracked."""

    def __init__(self, name, forward, vjp, jvp, nin=1, nout=1, saves=(), save_out=False,
                 kernel=0, label=None, linear=False, elementwise=False, batch=None,
                 namespace=""):
        self.name = name
        self.namespace = namespace
        self.forward = forward
        self.vjp = vjp
        self.jvp = jvp
        self.batch = batch
        self.nin = nin
        self.nout = nout
        self.saves = tuple(saves)
        self.save_out = save_out
        self.kernel = kernel
        self.reads = kernel_reads(kernel)
        kind = kernel_kind(kernel)
        # the C scalar path: kernel rows with a forward and a backward on numbers
        self.scalar = kind == K_UNARY or kind == K_BINARY
        self.label = label or (name + "({0})")
        self.linear = linear
        self.elementwise = elementwise
        self.code = -1

    def __call__(self, *args, **params):
        return bind(self, args, params)

    def __repr__(self):
        return f"<primitive {self.namespace + '.' if self.namespace else ''}{self.name}>"


# Hooks the layers above register (they sit above the core, which cannot
# import them): the type of a batched value and the batching rule runner
# (ops/batching.py), forward mode's tangent pusher (ops/backend.py).
cdef object _batched_type = None
cdef object _batch_hook = None
cdef object _tangent_hook = None


def set_hooks(batched_type=None, batch=None, tangents=None):
    global _batched_type, _batch_hook, _tangent_hook
    if batched_type is not None:
        _batched_type = batched_type
        _batch_hook = batch
    if tangents is not None:
        _tangent_hook = tangents


# ---- the C scalar path -----------------------------------------------------------
cdef enum:
    NOT_SCALAR = 0
    S_F64 = 1           # a 0-d float64 tensor
    S_F32 = 2           # a 0-d float32 tensor
    S_WEAK = 3          # a Python float or int exact as a double: NumPy's weak scalar


cdef inline int _scalar_kind(object x, double *v):
    cdef object d
    cdef int t
    if isinstance(x, TensorBase):
        d = (<TensorBase>x)._data
        if (not cnp.PyArray_CheckExact(d) or cnp.PyArray_NDIM(<cnp.ndarray>d) != 0
                or (<TensorBase>x)._tangents):
            return NOT_SCALAR
        t = cnp.PyArray_TYPE(<cnp.ndarray>d)
        if t == cnp.NPY_DOUBLE:
            v[0] = (<double*>cnp.PyArray_DATA(<cnp.ndarray>d))[0]
            return S_F64
        if t == cnp.NPY_FLOAT:
            v[0] = (<float*>cnp.PyArray_DATA(<cnp.ndarray>d))[0]
            return S_F32
        return NOT_SCALAR
    if type(x) is float:
        v[0] = <double>x
        return S_WEAK
    if type(x) is int and -9007199254740992 <= x <= 9007199254740992:
        v[0] = <double>x
        return S_WEAK
    return NOT_SCALAR


cdef inline bint _needs_grad(object x):
    return isinstance(x, TensorBase) and ((<TensorBase>x)._leaf or (<TensorBase>x)._tape is not None)


cdef object _scalar_call(Primitive prim, object a, object b, ThreadState st):
    """prim on 0-d operands a (and b, None for a unary row) through the C
    scalar path, or None when they do not fit (the generic path then runs,
    and NumPy warns about a non-finite result as it does)."""
    cdef double av = 0, bv = 0, y = 0
    cdef int ka = _scalar_kind(a, &av), kb
    cdef bint f32
    if ka == NOT_SCALAR:
        return None
    if b is None:
        if ka == S_WEAK:
            return None
        f32 = ka == S_F32
    else:
        kb = _scalar_kind(b, &bv)
        if kb == NOT_SCALAR or (ka == S_WEAK and kb == S_WEAK):
            return None
        if ka != S_WEAK and kb != S_WEAK and ka != kb:
            return None                 # float32 with float64: NumPy promotes
        f32 = ka == S_F32 or kb == S_F32
        if f32:
            # a weak scalar outside float32's range: NumPy decides (it overflows)
            if ka == S_WEAK and not isfinite(<float>av) and isfinite(av):
                return None
            if kb == S_WEAK and not isfinite(<float>bv) and isfinite(bv):
                return None
    if scalar_fwd(prim.kernel, f32, av, bv, &y) != 0 or not isfinite(y):
        return None
    arr = cnp.PyArray_EMPTY(0, NULL, cnp.NPY_FLOAT if f32 else cnp.NPY_DOUBLE, 0)
    if f32:
        av = <float>av
        bv = <float>bv
        (<float*>cnp.PyArray_DATA(<cnp.ndarray>arr))[0] = <float>y
    else:
        (<double*>cnp.PyArray_DATA(<cnp.ndarray>arr))[0] = y
    cdef TensorBase res = new_tensor(arr, None)
    if st.mode & M_RECORDING and (_needs_grad(a) or _needs_grad(b)):
        tape = current_tape(st)
        tape.push_scalar(prim, f32, a, b, av, bv, y, res)
    return res


# ---- the generic path --------------------------------------------------------------
cpdef object bind(Primitive prim, tuple args, dict params):
    """Run ``prim`` on ``args`` (tensors, arrays, numbers) with ``params``:
    the forward on arrays, the result as tensor(s), recorded when an operand
    has history or is a variable and this thread records; tangents pushed
    under forward mode; observers told.  A batched operand (batched
    Jacobians) goes to the batching rules instead; with no tensor operand
    and ``array_mode`` set (a backend on plain arrays) the result stays an
    array."""
    cdef ThreadState st = state()
    cdef Py_ssize_t n = len(args)
    if prim.scalar and not params and not (st.mode & (M_LEVELS | M_OBSERVED)):
        if n == 1:
            r = _scalar_call(prim, args[0], None, st)
        elif n == 2:
            r = _scalar_call(prim, args[0], args[1], st)
        else:
            r = None
        if r is not None:
            return r
    return _generic(prim, args, params, st)


cdef object _generic(Primitive prim, tuple args, dict p, ThreadState st):
    cdef list arrays = []
    cdef bint has_tensor = False
    for a in args:
        if isinstance(a, TensorBase):
            arrays.append((<TensorBase>a)._data)
            has_tensor = True
        elif _batched_type is not None and isinstance(a, _batched_type):
            return _batch_hook(prim, args, p)
        else:
            arrays.append(a)
    cdef bint big = buffers.any_big(arrays)
    if big:
        # big temporaries come from (and go back to) the buffer cache
        previous = buffers.enter()
        try:
            out = prim.forward(*arrays, **p)
        finally:
            buffers.leave(previous)
    else:
        out = prim.forward(*arrays, **p)
    if not has_tensor and st.array_mode:
        return out
    cdef TensorBase t
    if prim.nout == 1:
        if not cnp.PyArray_CheckExact(out):
            out = np.asarray(out)
        res = new_tensor(out, _aliased_version(out, args)
                         if cnp.PyArray_BASE(<cnp.ndarray>out) != NULL else None)
    else:
        res = tuple([new_tensor(o if cnp.PyArray_CheckExact(o) else np.asarray(o), None)
                     for o in out])
    cdef int mode = st.mode
    cdef bint recorded = False
    cdef list needs
    if mode & M_RECORDING:
        needs = []
        for a in args:
            if isinstance(a, TensorBase):
                t = a
                recorded = recorded or t._leaf or t._tape is not None
                needs.append(t._leaf or t._tape is not None)
            else:
                needs.append(False)
        if recorded:
            _record(prim, args, arrays, p, res, needs, big, st,
                    not mode & (M_LEVELS | M_OBSERVED))
    if mode & M_LEVELS:
        _tangent_hook(prim, args, p, res)
    if mode & M_OBSERVED:
        for ob in st._observers:
            ob(prim, args, p, res)
    return res


cdef Version _aliased_version(object out, tuple args):
    """A view's version counter is its base's: the counter of the tensor
    operand whose memory ``out`` views (the same root array), or None.  So
    writing through a reshape/transpose/broadcast view, or into its base,
    after a graph saved the other, makes that backward raise."""
    cdef object root = out
    cdef object r
    while cnp.PyArray_Check(root) and cnp.PyArray_BASE(<cnp.ndarray>root) != NULL \
            and cnp.PyArray_Check(<object>cnp.PyArray_BASE(<cnp.ndarray>root)):
        root = <object>cnp.PyArray_BASE(<cnp.ndarray>root)
    for a in args:
        if isinstance(a, TensorBase):
            r = (<TensorBase>a)._data
            while cnp.PyArray_Check(r) and cnp.PyArray_BASE(<cnp.ndarray>r) != NULL \
                    and cnp.PyArray_Check(<object>cnp.PyArray_BASE(<cnp.ndarray>r)):
                r = <object>cnp.PyArray_BASE(<cnp.ndarray>r)
            if r is root:
                return (<TensorBase>a)._ver
    return None


cdef void _record(Primitive prim, tuple args, list arrays, dict p, object res, list needs,
                  bint big, ThreadState st, bint plain) except *:
    cdef Tape tape = current_tape(st)
    cdef TensorBase t
    cdef Py_ssize_t i
    outs = (res,) if prim.nout == 1 else res
    if big:
        tape.big = True
    else:
        for o in outs:
            if buffers.is_big((<TensorBase>o)._data):
                tape.big = True
    if not prim.kernel or kernel_kind(prim.kernel) == K_ARRAY:
        tape.rules = True       # its backward may run Python rules (see quiet_enter)
    in_slots = []
    xs = []
    versions = []
    saves = prim.saves
    every = prim.nin == -1
    # The record keeps arrays, not tensors (see Saved), except where the
    # tensor's identity matters: a variable (its leaf slot), a tensor from an
    # older tape, and any tensor while forward mode runs (its tangents must
    # reach rules run with create_graph) or an observer watches (traces and
    # batched forward Jacobians know tensors by identity).
    for i in range(len(args)):
        a = args[i]
        if not needs[i]:
            in_slots.append(-1)
        else:
            t = a
            in_slots.append(t._slot if t._tape is tape else tape.slot_for(t))
        if every or i in saves:
            if isinstance(a, TensorBase):
                t = a
                versions.append((t._ver, i))
                if plain and not t._leaf and not t._tangents:
                    if t._tape is tape:
                        a = new_saved(t._data, t._ver, t._slot)
                    elif t._tape is None:
                        a = t._data
                xs.append(a)
            else:
                ref = (<TensorBase>outs[0])._data
                xs.append(a if cnp.PyArray_Check(a) else np.asarray(a, dtype=ref.dtype))
        else:
            arr = arrays[i]
            if cnp.PyArray_CheckExact(arr):
                xs.append(new_meta(arr.shape, arr.dtype))
            else:
                ref = (<TensorBase>outs[0])._data
                xs.append(new_meta(np.shape(arr), getattr(arr, "dtype", ref.dtype)))
    out = None
    if prim.save_out:
        for o in outs:
            versions.append(((<TensorBase>o)._ver, -1))
        if plain:
            saved = [new_saved((<TensorBase>o)._data, (<TensorBase>o)._ver, -1) for o in outs]
        else:
            saved = list(outs)
        out = saved[0] if prim.nout == 1 else tuple(saved)
    # No dict for an op without parameters: a tuple holding a dict stays
    # tracked by the cyclic collector, one holding None is untracked.
    rec = (prim, p or None, tuple(xs), out)
    slots = tape.push(prim.code, prim.kernel, in_slots, rec,
                      [((<TensorBase>o)._data.shape, (<TensorBase>o)._data.dtype) for o in outs],
                      versions, not plain)
    for k in range(len(outs)):
        t = outs[k]
        t._tape = tape
        t._slot = slots[k]
        if prim.save_out and plain:
            (<Saved>(saved[k])).slot = slots[k]


def record_function(fn, inputs, outputs):
    """Append a custom autograd.Function node with several outputs; ``fn``
    keeps what its backward needs (its record is visible to the collector)."""
    cdef ThreadState st = state()
    if not st._recording:
        return
    needs = [_needs_grad(a) for a in inputs]
    if True not in needs:
        return
    cdef Tape tape = current_tape(st)
    tape.rules = True
    for o in outputs:
        if buffers.is_big(o._data):
            tape.big = True
    in_slots = [tape.slot_for(a) if n else -1 for a, n in zip(inputs, needs)]
    xs = tuple(new_meta(tuple(a.shape), a.dtype) for a in inputs)
    versions = [(o._ver, -1) for o in outputs]
    rec = (fn, None, xs, tuple(outputs))
    slots = tape.push(-1, 0, in_slots, rec, [(o.shape, o.dtype) for o in outputs], versions, True)
    for o, s in zip(outputs, slots):
        o._tape = tape
        o._slot = s


# ---- operators -----------------------------------------------------------------------
# Each operator's primitive and public function, registered by the op
# registry (ops/), which the core sits below.  The 0-d case of a kernel row
# runs the C scalar path right here; everything else goes to the public
# function, which converts the operands as NumPy would.
cdef dict _operators = {}
cdef Primitive _p_add = None, _p_sub = None, _p_mul = None, _p_div = None, _p_pow = None
cdef Primitive _p_neg = None, _p_matmul = None, _p_transpose = None
cdef object _f_add = None, _f_sub = None, _f_mul = None, _f_div = None, _f_pow = None
cdef object _f_neg = None, _f_matmul = None, _f_getitem = None, _f_abs = None


def set_operator(str op, Primitive prim, object public):
    """Operator ``op`` ('add', 'sub', 'mul', 'div', 'pow', 'neg', 'abs',
    'matmul', 'getitem', 'T') applies ``prim`` through ``public``."""
    global _p_add, _p_sub, _p_mul, _p_div, _p_pow, _p_neg, _p_matmul, _p_transpose
    global _f_add, _f_sub, _f_mul, _f_div, _f_pow, _f_neg, _f_matmul, _f_getitem, _f_abs
    if op == "add":
        _p_add, _f_add = prim, public
    elif op == "sub":
        _p_sub, _f_sub = prim, public
    elif op == "mul":
        _p_mul, _f_mul = prim, public
    elif op == "div":
        _p_div, _f_div = prim, public
    elif op == "pow":
        _p_pow, _f_pow = prim, public
    elif op == "neg":
        _p_neg, _f_neg = prim, public
    elif op == "abs":
        _f_abs = public
    elif op == "matmul":
        _p_matmul, _f_matmul = prim, public
    elif op == "T":
        _p_transpose = prim
    elif op == "getitem":
        _f_getitem = public
    else:
        raise ValueError(f"no operator {op!r}")
    _operators[op] = prim


def operators():
    """op -> primitive, as registered."""
    return dict(_operators)


cdef inline bint _plain_operand(object x):
    """A tensor, a float64/float32 ndarray or a Python float: an operand the
    dispatch takes as it is (the public function would not convert it)."""
    cdef int t
    if isinstance(x, TensorBase):
        return True
    if cnp.PyArray_CheckExact(x):
        t = cnp.PyArray_TYPE(<cnp.ndarray>x)
        return t == cnp.NPY_DOUBLE or t == cnp.NPY_FLOAT
    return type(x) is float


cdef inline object _binop(Primitive prim, object public, object a, object b):
    cdef ThreadState st
    if prim is not None:
        st = state()
        if not (st.mode & (M_LEVELS | M_OBSERVED)):
            r = _scalar_call(prim, a, b, st)
            if r is not None:
                return r
        # arrays: straight to the dispatch; the public function's conversions
        # and its clearer error (broadcasting) only where they are needed
        if _plain_operand(a) and _plain_operand(b):
            try:
                return _generic(prim, (a, b), {}, st)
            except ValueError:
                pass
    if public is None:
        raise TypeError("tapegrad's operators are not set up: import tapegrad")
    return public(a, b)


cdef inline bint _matrix(object x):
    cdef object d = (<TensorBase>x)._data if isinstance(x, TensorBase) else x
    cdef int t
    if not cnp.PyArray_CheckExact(d) or cnp.PyArray_NDIM(<cnp.ndarray>d) != 2:
        return False
    t = cnp.PyArray_TYPE(<cnp.ndarray>d)
    return t == cnp.NPY_DOUBLE or t == cnp.NPY_FLOAT


cdef object _matmul_op(object a, object b):
    """a @ b: 2-D float operands whose inner dimensions agree go straight to
    the dispatch; the rest through the public function (1-D, stacks,
    conversions, its errors)."""
    cdef object da, db
    if _p_matmul is not None and _matrix(a) and _matrix(b):
        da = (<TensorBase>a)._data if isinstance(a, TensorBase) else a
        db = (<TensorBase>b)._data if isinstance(b, TensorBase) else b
        if cnp.PyArray_DIM(<cnp.ndarray>da, 1) == cnp.PyArray_DIM(<cnp.ndarray>db, 0):
            return _generic(_p_matmul, (a, b), {}, state())
    return _f_matmul(a, b)


cdef class CoreTensor(TensorBase):
    """The tensor type's operators (tapegrad.Tensor derives from it)."""

    def backward(self, head_grad=None, retain_graph=False, create_graph=False):
        """Gradients of this tensor (summed, for a non-scalar one, or weighted
        by ``head_grad``) into the ``.grad`` of every variable it depends on.
        A backward that fails or is interrupted leaves the graph and ``.grad``
        as they were; a retry works."""
        if (head_grad is None and not create_graph and self._tape is not None
                and self._tape._imports is None
                and self._tape.owner_id == PyThread_get_thread_ident()):
            _backward_one(self, retain_graph)
            return
        backward([self], None if head_grad is None else [head_grad],
                 retain_graph=retain_graph, create_graph=create_graph)

    def __add__(self, o):
        return _binop(_p_add, _f_add, self, o)

    def __radd__(self, o):
        return _binop(_p_add, _f_add, o, self)

    def __sub__(self, o):
        return _binop(_p_sub, _f_sub, self, o)

    def __rsub__(self, o):
        return _binop(_p_sub, _f_sub, o, self)

    def __mul__(self, o):
        return _binop(_p_mul, _f_mul, self, o)

    def __rmul__(self, o):
        return _binop(_p_mul, _f_mul, o, self)

    def __truediv__(self, o):
        return _binop(_p_div, _f_div, self, o)

    def __rtruediv__(self, o):
        return _binop(_p_div, _f_div, o, self)

    def __pow__(self, o, mod=None):
        if mod is not None:
            return NotImplemented
        return _binop(_p_pow, _f_pow, self, o)

    def __rpow__(self, o, mod=None):
        if mod is not None:
            return NotImplemented
        return _binop(_p_pow, _f_pow, o, self)

    def __matmul__(self, o):
        return _matmul_op(self, o)

    def __rmatmul__(self, o):
        return _matmul_op(o, self)

    @property
    def T(self):
        """The transpose (axes reversed), recorded."""
        return _generic(_p_transpose, (self,), {"axes": None}, state())

    def __neg__(self):
        cdef ThreadState st
        if _p_neg is not None:
            st = state()
            if not (st.mode & (M_LEVELS | M_OBSERVED)):
                r = _scalar_call(_p_neg, self, None, st)
                if r is not None:
                    return r
        return _f_neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _f_abs(self)

    def __getitem__(self, idx):
        return _f_getitem(self, idx)

    # -- array attributes (read on every rule and public call) --
    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return cnp.PyArray_NDIM(<cnp.ndarray>self._data)

    @property
    def size(self):
        return cnp.PyArray_SIZE(<cnp.ndarray>self._data)

    @property
    def dtype(self):
        return self._data.dtype


def is_batched(x):
    """Whether x is a batched value (ops/batching.py's Batched)."""
    return _batched_type is not None and isinstance(x, _batched_type)


def call_array_mode(fn, tuple args, dict kw):
    """fn(*args, **kw) with this thread in array mode: a primitive applied to
    plain arrays returns an array, not a tensor (the backends' functions)."""
    cdef ThreadState st = state()
    cdef bint was = st.array_mode
    if was:
        return fn(*args, **kw)
    st.array_mode = True
    try:
        return fn(*args, **kw)
    finally:
        st.array_mode = False


@cython.final
cdef class Scope:
    """``with`` scope that sets this thread's recording and training flags
    and restores what it found on exit, also when an exception passes
    (autograd.record / pause / train_mode / predict_mode).  ``recording``
    and ``training``: 1 on, 0 off, -1 unchanged.  The same object may be
    entered again while open (nested): each entry keeps what it found."""
    cdef int rec, train, depth, saved0
    cdef list more

    def __cinit__(self, int recording, int training):
        self.rec = recording
        self.train = training
        self.depth = 0
        self.more = None

    def __enter__(self):
        cdef ThreadState st = state()
        cdef int found = (1 if st._recording else 0) | (2 if st.training else 0)
        if self.depth == 0:
            self.saved0 = found
        else:
            if self.more is None:
                self.more = []
            self.more.append(found)
        self.depth += 1
        if self.rec == 1 and not st._recording:
            st.tape_ref = None          # an outermost record(): its graph gets its own tape
        if self.rec >= 0:
            st._recording = self.rec
            st._update()
        if self.train >= 0:
            st.training = self.train
        return self

    def __exit__(self, *exc):
        cdef ThreadState st = state()
        cdef int found
        self.depth -= 1
        found = self.saved0 if self.depth == 0 else self.more.pop()
        st._recording = found & 1
        st.training = (found & 2) != 0
        st._update()
        return False


def record(train_mode=True):
    """Record operations on variables inside the ``with`` block.

    >>> x = tg.arange(4); x.attach_grad()
    >>> with autograd.record():
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad
    tensor([0., 2., 4., 6.])
    """
    return Scope(1, 1 if train_mode else 0)


def pause(train_mode=False):
    """Stop recording inside a ``record()`` block (e.g. for parameter updates)."""
    return Scope(0, 1 if train_mode else 0)


def train_mode():
    """Set the training flag only (layers like dropout read ``is_training()``)."""
    return Scope(-1, 1)


def predict_mode():
    """Clear the training flag only."""
    return Scope(-1, 0)


def is_recording():
    """Whether this thread records operations now."""
    return state()._recording


def is_training():
    """Whether this thread is in training mode."""
    return bool(state().training)


# ---- calling a primitive without building *args and **kwargs -------------------------
cdef object _arg = None          # ops/_registry.arg: converts a non-tensor operand


def set_arg_converter(fn):
    global _arg
    _arg = fn


def call1(Primitive prim, object x):
    """prim(x) for a public unary function: a tensor as it is, anything else
    converted (ops/_registry.arg)."""
    cdef ThreadState st
    cdef object r
    if isinstance(x, TensorBase):
        if prim.scalar:
            st = state()
            if not (st.mode & (M_LEVELS | M_OBSERVED)):
                r = _scalar_call(prim, x, None, st)
                if r is not None:
                    return r
        return _generic(prim, (x,), {}, state())
    return bind(prim, (_arg(x),), {})
