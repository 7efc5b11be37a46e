"""Dispatch: run an op's forward, append it to the tape, push tangents.

Why here and not in Tensor: every public op, operator and backend call goes
through ``apply``, so recording and forward mode are decided in one place.
Recording state and forward-mode levels are per thread (``STATE``); each
thread appends to its own tape, which lives as long as a tensor recorded on
it does.
"""
import itertools
import threading
import weakref

import cython
import numpy as np
from cython.cimports.tapegrad._core import buffers
from cython.cimports.tapegrad._core.tape import (Saved, Tape, TensorBase, Version, new_meta,
                                                 new_saved, new_tensor)

from . import errors
from .ops import BY_CODE, Meta


RECORDING, LEVELS, OBSERVED = 1, 2, 4     # bits of _State.mode


class _State(threading.local):
    """Per-thread state.  ``mode`` sums up recording / forward-mode levels /
    observers in one attribute, so ``apply`` reads the thread-local once per
    op (each read is a dict swap; three of them were 6% of a scalar op)."""

    def __init__(self):
        self._recording = False
        self._open_levels = frozenset()
        self._observers = ()
        self.mode = 0
        self.training = False
        self.tape_ref = None        # weakref to this thread's current tape
        self.next_level = 1         # level ids are never reused
        self.max_level = 1 << 30    # tangents above this level are not pushed
        self.err_outside = None     # np.geterr() of the caller while a sweep runs

    def _set(self, name, value):
        setattr(self, name, value)
        self.mode = ((RECORDING if self._recording else 0) | (LEVELS if self._open_levels else 0)
                     | (OBSERVED if self._observers else 0))

    recording = property(lambda self: self._recording,
                         lambda self, v: self._set("_recording", bool(v)),
                         doc="whether ops are recorded")
    open_levels = property(lambda self: self._open_levels,
                           lambda self, v: self._set("_open_levels", frozenset(v)),
                           doc="forward-mode levels open (jvp nesting)")
    observers = property(lambda self: self._observers,
                         lambda self, v: self._set("_observers", tuple(v)),
                         doc="callables(prim, args, params, result): traces")


STATE = _State()
Tensor = None   # set by tensor.py (import cycle)


_serial = itertools.count(1)
_NO_PARAMS = {}     # the parameters of a record saved without any (never mutated)


def current_tape():
    st = STATE
    tape = st.tape_ref() if st.tape_ref is not None else None
    if tape is None:
        tape = Tape(BY_CODE, next(_serial), threading.get_ident())
        st.tape_ref = weakref.ref(tape)
    return tape


def new_tape_on_next_record():
    """Called when an outermost record() starts: its graph gets its own tape."""
    STATE.tape_ref = None


def requires(t):
    """Whether ops on t must be recorded: a variable, or recorded history."""
    return t._leaf or t._tape is not None


def _slot_on(tape, t):
    older = t._tape
    if older is None:
        return tape.leaf_slot(t)
    if older is tape:
        return t._slot
    if older.owner != tape.owner:
        raise errors.GraphError(
            "this tensor was recorded on another thread; each thread records on its own "
            "tapes. Pass t.detach() to this thread, or record the whole computation on "
            "one thread.")
    return tape.import_slot(older, t._slot, t.shape, t.dtype)


# NumPy 1.x promoted by value where 0-d arrays take part (a float64 0-d
# array beside a float32 array gave float32; a Python number beside 0-d
# float32 gave float64).  API.md promises NumPy 2's rules (NEP 50): on NumPy
# 1.x, apply() decides the result dtype from the operands' dtypes alone.
NUMPY1 = int(np.__version__.split(".")[0]) < 2


def _numpy1_operands(arrays):
    """(operands, result dtype or None) as NumPy 2 would promote them."""
    f32 = f64 = zero_d = False
    for a in arrays:
        if isinstance(a, (np.ndarray, np.generic)):
            k = a.dtype.kind
            if k == "f":
                f32 = f32 or a.dtype == np.float32
                f64 = f64 or a.dtype == np.float64
                zero_d = zero_d or a.ndim == 0
            elif k != "b":
                return arrays, None         # integer operands: NumPy decides
    if not (f32 or f64):
        return arrays, None
    if f32 and f64 and zero_d:
        arrays = [a.astype(np.float64) if isinstance(a, (np.ndarray, np.generic))
                  and a.dtype == np.float32 else a for a in arrays]
    return arrays, np.dtype(np.float64 if f64 else np.float32)


@cython.locals(t=TensorBase, res=TensorBase)
def apply(prim, *args, **p):
    """Run primitive ``prim`` on tensors/constants ``args`` with parameters ``p``."""
    arrays = []
    for a in args:
        if isinstance(a, TensorBase):
            t = a
            arrays.append(t._data)
        else:
            arrays.append(a)
    operands = arrays
    want = None
    if NUMPY1:
        operands, want = _numpy1_operands(arrays)
    big = buffers.any_big(operands)
    if big:
        # big temporaries come from (and go back to) the buffer cache
        previous = buffers.enter()
        try:
            out = prim.forward(*operands, **p)
        finally:
            buffers.leave(previous)
    else:
        out = prim.forward(*operands, **p)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if want is not None and out.dtype != want and out.dtype.kind == "f":
        out = out.astype(want)
    res = new_tensor(Tensor, out, None)
    mode = STATE.mode
    if mode & RECORDING:
        # requires(a), inlined: the call costs 4% of a scalar op (callgrind)
        needs = []
        recorded = False
        for a in args:
            n = False
            if isinstance(a, TensorBase):
                t = a
                n = t._leaf or t._tape is not None
                recorded = recorded or n
            needs.append(n)
        if recorded:
            _record(prim, args, arrays, p, res, needs, big, not mode & (LEVELS | OBSERVED))
    if mode & LEVELS:
        _push_tangents(prim, args, p, res)
    if mode & OBSERVED:
        for ob in STATE.observers:
            ob(prim, args, p, res)
    return res


@cython.cfunc
@cython.locals(tape=Tape, t=TensorBase, res=TensorBase, v=Version, i=cython.Py_ssize_t,
               slot=cython.Py_ssize_t)
def _record(prim, args: tuple, arrays: list, p, res, needs: list, big: cython.bint,
            plain: cython.bint):
    tape = current_tape()
    if big or buffers.is_big(res._data):
        tape.big = True
    if prim.kernel is None:
        tape.rules = True       # its backward runs Python rules (see quiet_enter)
    in_slots = []
    xs = []
    versions = []
    saves = prim.saves
    every = prim.nin == -1
    # The record keeps arrays, not tensors (see Saved in _core/tape.pyx), except
    # where the tensor's identity matters: a variable (its leaf slot), a tensor
    # from an older tape, and any tensor while forward mode runs (its tangents
    # must reach rules run with create_graph) or an observer watches (traces
    # and batched forward Jacobians know tensors by identity).
    for i in range(len(args)):
        a = args[i]
        if not needs[i]:
            in_slots.append(-1)
        else:
            t = a
            in_slots.append(t._slot if t._tape is tape else _slot_on(tape, a))
        if every or i in saves:
            if isinstance(a, TensorBase):
                t = a
                v = t._ver
                versions.append((v, v.n, i))
                if plain and not t._leaf and not t._tangents:
                    if t._tape is tape:
                        a = new_saved(t._data, v, t._slot)
                    elif t._tape is None:
                        a = t._data
                xs.append(a)
            else:
                xs.append(a if isinstance(a, np.ndarray) else np.asarray(a, dtype=res._data.dtype))
        else:
            arr = arrays[i]
            if type(arr) is np.ndarray:
                xs.append(new_meta(arr.shape, arr.dtype))
            else:
                xs.append(new_meta(np.shape(arr), getattr(arr, "dtype", res._data.dtype)))
    v = res._ver
    versions.append((v, v.n, -1))
    out = None
    if prim.save_out:
        out = new_saved(res._data, v, -1) if plain else res
    data = res._data
    # No dict for an op without parameters: a tuple holding a dict stays
    # tracked by the cyclic collector, one holding None is untracked.
    slot = tape.push1(prim.code, in_slots, (prim, p or None, tuple(xs), out, tuple(versions)),
                      data.shape, data.dtype)
    if out is not None and plain:
        cython.cast(Saved, out).slot = slot
    res._tape = tape
    res._slot = slot


def record_function(fn, inputs, outputs):
    """Append a custom autograd.Function node with several outputs."""
    st = STATE
    if not st.recording:
        return
    needs = [requires(a) for a in inputs]
    if True not in needs:
        return
    tape = current_tape()
    tape.rules = True
    for o in outputs:
        if buffers.is_big(o._data):
            tape.big = True
    in_slots = [_slot_on(tape, a) if n else -1 for a, n in zip(inputs, needs)]
    xs = tuple(Meta(a.shape, a.dtype) for a in inputs)
    versions = tuple((o._ver, o._ver.n, -1) for o in outputs)
    rec = (fn, {}, xs, tuple(outputs), versions)
    slots = tape.push(-1, in_slots, rec, [(o.shape, o.dtype) for o in outputs])
    for o, s in zip(outputs, slots):
        o._tape = tape
        o._slot = s


def rule_operand(a, dtype):
    """A forward-mode rule's view of an operand: a Python number becomes an
    array of the result's dtype, as the reverse sweep saves it (it was a weak
    scalar to the forward); anything else as it is."""
    if type(a) is float or type(a) is int:
        return np.asarray(a, dtype=dtype)
    return a


def _push_tangents(prim, args, p, res):
    TG = _backends()[1]
    T = Tensor
    st = STATE
    levels = set()
    for a in args:
        if isinstance(a, T) and a._tangents:
            levels.update(L for L in a._tangents if L <= st.max_level and L in st.open_levels)
    if not levels:
        return
    args = tuple(rule_operand(a, res.dtype) for a in args)
    # Outer levels first: an inner level's rule may read the output (tanh from
    # tanh(x)), which must already carry the outer levels' tangents.
    for L in sorted(levels):
        ts = [a._tangents.get(L) if isinstance(a, T) and a._tangents else None for a in args]
        saved = st.max_level
        st.max_level = L - 1      # the tangent's own computation carries only outer levels
        try:
            t = prim.jvp(TG, ts, args, res, p)
        finally:
            st.max_level = saved
        if t is None:
            continue
        if not isinstance(t, T):
            t = T._wrap(np.asarray(t, dtype=res.dtype))
        if t.shape != res.shape:
            t = TG.broadcast_to(t, res.shape)
        if res._tangents is None:
            res._tangents = {}
        res._tangents[L] = t


# ---- pieces the native sweep calls back into ---------------------------------

class SweepHooks:
    """Python-side parts of Tape.sweep (see _core/tape.pyx)."""

    @staticmethod
    def freed_error(tape, i):
        op = tape.ops[tape.node(i)[0]].name if tape.node(i)[0] >= 0 else "Function"
        raise errors.GraphFreedError(
            f"Trying to backward through the graph a second time: the values node "
            f"{i} ('{op}') saved were freed by an earlier backward. Pass "
            f"retain_graph=True to the first backward() if you need to backward "
            f"through the graph again.")

    @staticmethod
    def check_versions(rec, i):
        for ver, seen, role in rec[4]:
            if ver.n != seen:
                name = rec[0].name if hasattr(rec[0], "name") else type(rec[0]).__name__
                what = (f"input {role} of '{name}'" if role >= 0 else f"the output of '{name}'")
                raise errors.InplaceModificationError(
                    f"a tensor needed for the gradient ({what}, node {i}) was modified "
                    f"in-place after it was recorded (version {seen} -> {ver.n}). "
                    f"Compute the new value out of place (y = y + 1, not y += 1), or "
                    f"modify a copy (t.copy()) instead.")

    @staticmethod
    def run_rule(rec, g_outs, needs, B, tape=None):
        """The node's reverse rule on backend B; ``tape`` (the node's own)
        rebuilds its saved tensors with their history when B records."""
        prim, p, xs, out, _ = rec
        if p is None:
            p = _NO_PARAMS
        if not hasattr(prim, "code"):          # a custom autograd.Function
            # the user's backward runs under the user's floating-point settings
            outside = STATE.err_outside
            if outside is None:
                return prim._run_backward(g_outs, needs, B)
            with np.errstate(**outside):
                return prim._run_backward(g_outs, needs, B)
        if B.native:
            xs = tuple(x._data if isinstance(x, (Tensor, Saved)) else x for x in xs)
            out = out._data if out is not None else None
        else:
            xs = tuple(x.tensor(tape, Tensor) if type(x) is Saved else x for x in xs)
            if type(out) is Saved:
                out = out.tensor(tape, Tensor)
        if STATE.err_outside is not None:      # the sweep silenced warnings already
            return prim.vjp(B, g_outs[0], xs, out, p, needs)
        with np.errstate(all="ignore"):
            return prim.vjp(B, g_outs[0], xs, out, p, needs)

    @staticmethod
    def sum_to(g, meta, B):
        shape, dtype = meta
        if g.shape != shape:
            g = B.sum_to(g, shape)
        if g.dtype != dtype:
            g = B.cast(g, dtype)
        return g


def sum_to_shape(gshape, shape):
    """(axes to sum, keepdims reshape target) that reduce gshape to shape."""
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise errors.ShapeError(f"cannot sum a gradient of shape {gshape} to shape {shape}")
    axes = list(range(lead))
    for i, n in enumerate(shape):
        if n == 1 and gshape[lead + i] != 1:
            axes.append(lead + i)
    return tuple(axes)


def run_backward(heads, head_grads, retain_graph, create_graph, wanted=None):
    """Backward from ``heads`` over every tape they reach, newest tape first.

    Returns a list of (variable, gradient) for every leaf reached when
    ``wanted`` is None, else a list aligned with ``wanted`` (None where no
    gradient arrived)."""
    NP, TG = _backends()
    T = Tensor
    B = TG if create_graph else NP
    pending = {}                       # tape -> {slot: gradient}
    for h, hg in zip(heads, head_grads):
        if not isinstance(h, T):
            raise TypeError(f"backward() needs tensors as heads, got {type(h).__name__}")
        if h._tape is None:
            raise errors.NotRecordedError(
                f"cannot backward from a tensor with no recorded history ({errors.describe(h)}): "
                f"compute it inside `with autograd.record():` from a tensor on which "
                f"attach_grad() was called.")
        if h._tape.owner != threading.get_ident():
            raise errors.GraphError("backward() of a tensor recorded on another thread")
        g = _head_grad(h, hg, create_graph)
        seeds = pending.setdefault(h._tape, {})
        prev = seeds.get(h._slot)
        seeds[h._slot] = g if prev is None else prev + g
    results = {}                       # key -> [tensor, gradient]
    _sweep_tapes(pending, wanted, results, retain_graph, create_graph, B)
    if wanted is None:
        return [(var, g) for var, g in results.values() if g is not None]
    return [results[k][1] if k in results else None for k in range(len(wanted))]


def quiet_enter():
    """Floating-point warnings off for a sweep that will run rules (a rule's
    0 * inf is the derivative's business, not the user's): set once per
    sweep instead of an errstate per rule (1.25 us each).  Returns whether
    this call switched them off; pass that to quiet_leave()."""
    st = STATE
    if st.err_outside is not None:
        return False
    st.err_outside = np.seterr(all="ignore")     # the caller's settings, for Functions
    return True


def quiet_leave(entered):
    if entered:
        st = STATE
        np.seterr(**st.err_outside)
        st.err_outside = None


def _sweep_tapes(pending, wanted, results, retain_graph, create_graph, B):
    """The tapes of run_backward, newest first, gradients handed on to older
    tapes through their import slots."""
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
            grads = tape.sweep(seeds, keep, retain_graph, create_graph, B, SweepHooks)
        finally:
            quiet_leave(quiet)
            buffers.leave(previous)
        for s, g in grads.items():
            imp = tape.imports.get(s)
            if imp is not None:
                older, so = imp
                d = pending.setdefault(older, {})
                d[so] = g if so not in d else d[so] + g
            for k in want.get(s, ()):
                entry = results.setdefault(k, [None, None])
                entry[1] = g if entry[1] is None else entry[1] + g


_BACKENDS = None


def _backends():
    """(NP, TG), imported once (ops.backend imports this module)."""
    global _BACKENDS
    if _BACKENDS is None:
        from .ops.backend import NP, TG
        _BACKENDS = (NP, TG)
    return _BACKENDS


def _serial_of(tape):
    return tape.serial


def _slot_of(tape, v):
    """v's slot on ``tape``: its own slot if recorded there, its leaf slot."""
    if v._tape is not None:
        return v._slot if v._tape is tape else None
    s = tape.leaf_slots.get(id(v))
    if s is not None and tape.slot_leaf.get(s) is v:
        return s
    return None


def _head_grad(h, hg, create_graph):
    TG = _backends()[1]
    T = Tensor
    if hg is None:
        g = np.empty(h.shape, dtype=h.dtype)    # np.ones is Python-level: 4x the cost
        g.fill(1)
    else:
        garr = hg._data if isinstance(hg, T) else np.asarray(hg)
        if garr.shape != h.shape:
            raise errors.ShapeError(
                f"head_grad has shape {tuple(garr.shape)} but the head it belongs to has "
                f"shape {tuple(h.shape)}: pass a head gradient of shape {tuple(h.shape)} "
                f"(or None for ones).")
        if create_graph and isinstance(hg, T):
            return hg if hg.dtype == h.dtype else TG.cast(hg, h.dtype)
        g = np.array(garr, dtype=h.dtype, order="C")
    return T._wrap(g) if create_graph else g
