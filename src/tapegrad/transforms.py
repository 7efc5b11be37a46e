"""Function transforms: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp.

How they compose: every transform runs the function under ``record()`` on
its own copies of the inputs.  When the caller is recording (an outer
transform, or the user's ``record()`` block), the copies are recorded
functions of the caller's tensors and the inner gradients are computed with
``create_graph=True``, so the outer graph differentiates straight through
them.  Otherwise the results are detached and the caller's graph is never
touched.  ``.grad`` buffers are never written: everything goes through
``autograd.grad``.

Forward mode (``jvp``) opens a level: tensors carry tangents per level and
every primitive's forward rule (``ops``) pushes them along as it runs, so a
JVP costs about one extra evaluation and never forms a Jacobian.

Which mode for a Jacobian of f: R^n -> R^m: ``mode='fwd'`` pushes n
tangents (one per input column), ``mode='rev'`` m cotangents (one per output
row) after one recorded evaluation.  Outside ``record()`` they go through
each rule together, as one batch (``ops/batching.py``): one evaluation or one
sweep, whose width is n or m.  Inside ``record()`` (the Jacobian must stay
differentiable) they go one at a time.  Either way, pick forward when inputs
are few, reverse when outputs are few: gradients of scalar losses are
reverse mode's home ground.

Typing: a transformed function takes any arguments (``Callable[..., ...]``);
what it returns follows ``argnums`` (an int: one gradient; a tuple: a tuple
of them) and, for vjp and jvp, whether f returns one tensor or a tuple.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

import numpy as np

from . import autograd, errors
from . import functions as F
from ._core.tape import get_state, quiet_enter, quiet_leave, real_array
from .ops.backend import rule_operand
from .ops.batching import BATCH, Batched, BatchRunner, OneHot, batched_jvp
from .tensor import Tensor, TensorLike

#: a function to transform: called with tensors, returns a tensor (or a
#: number, or for vjp/jvp/jacobian a tuple of them)
Fn = Callable[..., Any]
#: one primal (tangent, cotangent...) or a tuple of them
Primals = TensorLike | Sequence[TensorLike]


def _requires(t):
    """Whether ops on t are recorded: a variable, or recorded history."""
    return t._leaf or t._tape is not None

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp"]


# ---- plumbing ---------------------------------------------------------------
def _as_tensor(a, what):
    if isinstance(a, Tensor):
        return a
    try:
        return Tensor(a)
    except TypeError as e:
        raise errors.DTypeError(f"{what}: {e}") from None


def _alias(t, history=False):
    """A new tensor over t's data (sharing its version counter) carrying a
    copy of its forward-mode tangents, and its recorded history if asked."""
    a = Tensor._wrap(t._data, t._ver)
    if history:
        a._tape, a._slot = t._tape, t._slot
    if t._tangents:
        a._tangents = dict(t._tangents)
    return a


def _link_args(args, nums, what="input"):
    """(args with those at ``nums`` replaced by their _link, the linked
    tensors in ``nums`` order); called inside the transform's record()."""
    a = list(args)
    xs = []
    for i in nums:
        a[i] = _link(args[i], what)
        xs.append(a[i])
    return a, xs


def _link(a, what="input"):
    """A fresh tensor holding a's values that the transform differentiates
    with respect to: a recorded copy of a when the caller is recording (so the
    caller's graph sees through the transform), else a new internal variable."""
    a = _as_tensor(a, what)
    if get_state().recording and _requires(a):
        return F.copy(a)
    x = _alias(a)
    x._leaf = True                      # a variable with no .grad buffer
    return x


def _release(t, keep_graph):
    """Results handed back to a caller that is not recording lose their history
    (but keep their forward-mode tangents)."""
    if keep_graph or not isinstance(t, Tensor):
        return t
    return _alias(t)


def _argnums(argnums, nargs):
    single = isinstance(argnums, (int, np.integer))
    nums = (int(argnums),) if single else tuple(int(a) for a in argnums)
    for a in nums:
        if not -nargs <= a < nargs:
            raise errors.ShapeError(
                f"argnums={argnums!r} but the function was called with {nargs} argument(s)")
    return single, tuple(a % nargs for a in nums)


def _needs_graph():
    """Whether results must stay differentiable: the caller records, or
    tangents (forward-over-reverse) must flow through the backward pass."""
    st = get_state()
    return st.recording or bool(st.open_levels)


def _zeros_like(x):
    return Tensor._wrap(np.zeros(x.shape, dtype=x.dtype))


def _grads(heads, xs, head_grads, create):
    live = [(h, hg) for h, hg in zip(heads, head_grads) if isinstance(h, Tensor) and h._tape is not None]
    if live:
        gs = autograd.grad([h for h, _ in live], xs, head_grads=[hg for _, hg in live],
                           retain_graph=True, create_graph=create)
    else:
        gs = [_zeros_like(x) for x in xs]
    for h, hg in zip(heads, head_grads):
        for k, x in enumerate(xs):
            if h is x and h._tape is None:
                # f returned its input variable itself, which has no recorded
                # history: the head's gradient reaches it unchanged.
                if not isinstance(hg, Tensor):
                    hg = Tensor._wrap(np.ones(x.shape, x.dtype) if hg is None
                                      else np.asarray(hg, dtype=x.dtype))
                gs[k] = gs[k] + hg
    return gs


# ---- grad / value_and_grad --------------------------------------------------
@overload
def value_and_grad(f: Fn, argnums: int = 0) -> Callable[..., tuple[Tensor, Tensor]]: ...
@overload
def value_and_grad(f: Fn, argnums: Sequence[int]
                   ) -> Callable[..., tuple[Tensor, tuple[Tensor, ...]]]: ...


def value_and_grad(f: Fn, argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """``value_and_grad(f)(*args, **kwargs)`` -> ``(f(*args, **kwargs),
    gradient)``; f returns a scalar.

    ``argnums`` (int or tuple) picks the positional arguments to
    differentiate; with a tuple the gradient is a tuple.  Keyword arguments
    are passed through to f and not differentiated.

    >>> tg.value_and_grad(lambda x: (x ** 2).sum())(tg.array([1.0, 2.0]))
    (tensor(5.), tensor([2., 4.]))
    """
    def vg(*args, **kwargs):
        single, nums = _argnums(argnums, len(args))
        keep = _needs_graph()
        with autograd.record(train_mode=autograd.is_training()):
            args, xs = _link_args(args, nums)
            y = f(*args, **kwargs)
            y = _as_tensor(y, "the function's output")
            if y.size != 1:
                raise errors.ShapeError(
                    f"grad needs a function with a scalar output, this one returned shape "
                    f"{y.shape}: reduce it (e.g. f(x).sum()), or use tg.vjp for a "
                    f"vector-Jacobian product or tg.jacobian for the full Jacobian.")
            gs = _grads([y], xs, [None], keep)
        gs = tuple(_release(g, keep) for g in gs)
        return _release(y, keep), (gs[0] if single else gs)

    vg.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return vg


@overload
def grad(f: Fn, argnums: int = 0) -> Callable[..., Tensor]: ...
@overload
def grad(f: Fn, argnums: Sequence[int]) -> Callable[..., tuple[Tensor, ...]]: ...


def grad(f: Fn, argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """``grad(f)(*args, **kwargs)``: the gradient of scalar-valued f at args
    (with respect to the positional arguments ``argnums``; keyword arguments
    are passed through to f).

    Composes: ``grad(grad(f))`` is the second derivative.

    >>> tg.grad(tg.grad(tg.sin))(0.5)     # -sin(0.5)
    tensor(-0.47942554)
    """
    vg = value_and_grad(f, argnums)

    def g(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    g.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return g


# ---- vjp / jvp ----------------------------------------------------------------
def _outputs(out):
    if isinstance(out, (tuple, list)):
        return [_as_tensor(o, "the function's output") for o in out], True
    return [_as_tensor(out, "the function's output")], False


@overload
def vjp(f: Callable[..., Tensor], *primals: TensorLike
        ) -> tuple[Tensor, Callable[..., tuple[Tensor, ...]]]: ...
@overload
def vjp(f: Callable[..., tuple[Any, ...] | list[Any]], *primals: TensorLike
        ) -> tuple[tuple[Tensor, ...], Callable[..., tuple[Tensor, ...]]]: ...
@overload
def vjp(f: Fn, *primals: TensorLike) -> tuple[Any, Callable[..., tuple[Tensor, ...]]]: ...


def vjp(f: Fn, *primals: TensorLike) -> tuple[Any, Callable[..., tuple[Tensor, ...]]]:
    """``out, vjp_fn = vjp(f, *primals)``; ``vjp_fn(cotangent)`` is the tuple
    of cotangent^T J, one entry per primal (reverse mode: one backward sweep
    per call, the function is evaluated once).  Like ``jvp`` and ``hvp`` it
    evaluates f at once on the primals alone: pass keyword arguments by
    closing over them (``functools.partial(f, scale=2.0)``), as in JAX."""
    keep = _needs_graph()
    with autograd.record(train_mode=autograd.is_training()):
        xs = [_link(p, "primal") for p in primals]
        out = f(*xs)
    outs, multi = _outputs(out)

    def vjp_fn(*cotangents):
        cts = cotangents[0] if (multi and len(cotangents) == 1
                                and isinstance(cotangents[0], (tuple, list))) else cotangents
        if len(cts) != len(outs):
            raise errors.ShapeError(f"vjp_fn takes {len(outs)} cotangent(s), got {len(cts)}")
        hgs = []
        for ct, o in zip(cts, outs):
            c = ct._data if isinstance(ct, Tensor) else real_array(ct, "cotangent").astype(
                o.dtype, copy=False)
            if c.shape != o.shape:
                raise errors.ShapeError(
                    f"cotangent of shape {c.shape} for an output of shape {o.shape}: they "
                    f"must match")
            hgs.append(ct if isinstance(ct, Tensor) and keep else c)
        need = keep or _needs_graph()
        scope = (autograd.record(train_mode=autograd.is_training()) if need
                 else contextlib.nullcontext())
        with scope:
            gs = _grads(outs, xs, hgs, need)
        return tuple(_release(g, need) for g in gs)

    res = [_release(o, keep) for o in outs]
    return (tuple(res) if multi else res[0]), vjp_fn


@overload
def jvp(f: Callable[..., Tensor], primals: Primals,
        tangents: Primals) -> tuple[Tensor, Tensor]: ...
@overload
def jvp(f: Callable[..., tuple[Any, ...] | list[Any]], primals: Primals,
        tangents: Primals) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...]]: ...
@overload
def jvp(f: Fn, primals: Primals, tangents: Primals) -> tuple[Any, Any]: ...


def jvp(f: Fn, primals: Primals, tangents: Primals) -> tuple[Any, Any]:
    """``out, tangent_out = jvp(f, primals, tangents)``: J @ tangents by
    forward mode (tangents ride along with the primals through every op; the
    function is evaluated once and no Jacobian is formed)."""
    primals = tuple(primals) if isinstance(primals, (tuple, list)) else (primals,)
    tangents = tuple(tangents) if isinstance(tangents, (tuple, list)) else (tangents,)
    if len(primals) != len(tangents):
        raise errors.ShapeError(
            f"jvp needs one tangent per primal: got {len(primals)} primal(s) and "
            f"{len(tangents)} tangent(s)")
    st = get_state()
    level = st.next_level
    st.next_level += 1
    saved = st.open_levels
    st.open_levels = st.open_levels | {level}
    try:
        xs = []
        for p, t in zip(primals, tangents):
            x = _as_tensor(p, "primal")
            if st.recording and _requires(x):
                x = F.copy(x)
            else:
                x = _alias(x)
            tt = _as_tensor(t, "tangent")
            if tt.shape != x.shape:
                raise errors.ShapeError(
                    f"tangent of shape {tt.shape} for a primal of shape {x.shape}: they must match")
            if tt.dtype != x.dtype:
                tt = Tensor._wrap(tt._data.astype(x.dtype))
            x._tangents = dict(x._tangents or {})
            x._tangents[level] = tt
            xs.append(x)
        out = f(*xs)
        outs, multi = _outputs(out)
        touts = []
        for o in outs:
            t = o._tangents.get(level) if o._tangents else None
            touts.append(t if t is not None else _zeros_like(o))
    finally:
        st.open_levels = saved
    keep = st.recording
    outs = [_strip(_release(o, keep), level) for o in outs]
    touts = [_strip(_release(t, keep), level) for t in touts]
    if multi:
        return tuple(outs), tuple(touts)
    return outs[0], touts[0]


def _strip(t, level):
    """Drop a closed level's tangent from a result (levels are never reused)."""
    if t._tangents and level in t._tangents:
        t = _alias(t, history=True)
        del t._tangents[level]
    return t


# ---- jacobian / hessian / hvp -------------------------------------------------
@overload
def jacobian(f: Fn, argnums: int = 0,
             mode: Literal["rev", "fwd"] = "rev") -> Callable[..., Tensor]: ...
@overload
def jacobian(f: Fn, argnums: Sequence[int],
             mode: Literal["rev", "fwd"] = "rev") -> Callable[..., tuple[Tensor, ...]]: ...


def jacobian(f: Fn, argnums: int | Sequence[int] = 0,
             mode: Literal["rev", "fwd"] = "rev") -> Callable[..., Any]:
    """``jacobian(f)(*args, **kwargs)``: shape ``out.shape + in.shape``
    (keyword arguments are passed through to f, not differentiated).

    ``mode='rev'`` evaluates f once and sweeps back the cotangents of all
    output elements (best when outputs are few); ``mode='fwd'`` pushes the
    tangents of all input elements (best when inputs are few).  Outside
    ``record()`` all of them go through each rule at once, as a batch; inside
    it (so the result stays differentiable) one at a time.

    >>> tg.jacobian(lambda x: x * x)(tg.array([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian mode must be 'rev' or 'fwd', got {mode!r}")

    def jac(*args, **kwargs):
        single, nums = _argnums(argnums, len(args))
        args = [_as_tensor(a, "input") for a in args]
        fk = functools.partial(f, **kwargs) if kwargs else f
        res = None
        if not _needs_graph():
            # Nothing outside needs the result differentiable: the whole
            # batch of (co)tangents goes through each rule at once.
            res = (_jac_rev_batched if mode == "rev" else _jac_fwd_batched)(fk, args, nums)
        if res is None:
            res = (_jac_rev if mode == "rev" else _jac_fwd)(fk, args, nums)
        return res[0] if single else tuple(res)

    jac.__name__ = f"jacobian({getattr(f, '__name__', 'f')}, mode={mode!r})"
    return jac


def _jac_rev(f, args, nums):
    reshape, stack = F.reshape, F.stack
    keep = _needs_graph()

    def fsel(*sel):
        a = list(args)
        for i, s in zip(nums, sel):
            a[i] = s
        return f(*a)

    out, vjp_fn = vjp(fsel, *[args[i] for i in nums])
    if isinstance(out, tuple):
        raise errors.ShapeError(_MULTI_OUT)
    rows = [[] for _ in nums]
    n_out = out.size
    for k in range(n_out):
        e = np.zeros(n_out, dtype=out.dtype)
        e[k] = 1.0
        gs = vjp_fn(e.reshape(out.shape))
        for r, g in zip(rows, gs):
            r.append(g)
    res = []
    for i, r in zip(nums, rows):
        x = args[i]
        if n_out == 0:
            res.append(Tensor._wrap(np.zeros(out.shape + x.shape, dtype=x.dtype)))
        elif keep:
            res.append(reshape(stack(r, 0), out.shape + x.shape))
        else:
            res.append(Tensor._wrap(np.stack([g._data for g in r]).reshape(out.shape + x.shape)))
    return res


def _jac_fwd(f, args, nums):
    reshape, stack = F.reshape, F.stack
    keep = _needs_graph()
    res = []
    for i in nums:
        x = args[i]
        cols = []
        out = None
        for k in range(x.size):
            e = np.zeros(x.size, dtype=x.dtype)
            e[k] = 1.0
            prim = list(args)
            tans = [np.zeros(a.shape, dtype=a.dtype) for a in args]
            tans[i] = e.reshape(x.shape)
            out, t = jvp(f, prim, tans)
            cols.append(t)
        if out is None:
            out = _as_tensor(f(*args), "the function's output")
        oshape = out.shape
        if not cols:
            res.append(Tensor._wrap(np.zeros(oshape + x.shape, dtype=out.dtype)))
        elif keep:
            # columns stacked last: (out..., n) -> out.shape + x.shape
            res.append(reshape(stack(cols, -1) if cols[0].ndim else stack(cols, 0), oshape + x.shape))
        else:
            res.append(Tensor._wrap(np.stack([c._data for c in cols], axis=-1)
                                    .reshape(oshape + x.shape)))
    return res


# ---- batched Jacobians: one pass with a batch axis instead of a loop -----------
# Used when the caller does not record and no forward-mode level is open, so
# the Jacobian is a plain array: the batch then never has to become part of
# a recorded graph.  Rules are the op table's own, run on ops/batching.BATCH;
# a rule it cannot run is looped over the batch for that node only.
_MULTI_OUT = "jacobian of a function with several outputs: take one at a time"


def _owned(a, taken=()):
    """a as an array the caller may keep and write: never a view (of the
    seed, a broadcast, a saved value), nor an array already handed out in
    ``taken`` (add's rule gives both inputs the same gradient)."""
    return a if a.base is None and a.flags.writeable and id(a) not in taken else a.copy()


def _seed(shape, dtype):
    """The identity as a batch: one unit array of the given shape per element,
    kept as a OneHot until a rule needs it dense."""
    return OneHot(np.ones(shape, dtype=dtype))


# The most elements a batched gradient may hold (128 MB of float64): a wider
# batch is swept in chunks of output rows, one sweep per chunk.
MAX_BATCH_ELEMENTS = 1 << 24


def _sweep_batched(tape, out, keep, m):
    """{slot: (m, *slot shape) array} for the slots in ``keep`` that the
    sweep back from ``out`` reaches, seeded with the identity: in one sweep,
    or in chunks of output rows if the widest value on the tape times m
    would exceed MAX_BATCH_ELEMENTS."""
    widest = tape.widest_slot()
    width = max(1, MAX_BATCH_ELEMENTS // max(widest, 1))
    if width >= m:
        chunks = [(_seed(out.shape, out.dtype), m)]
    else:
        eye = np.eye(m, dtype=out.dtype)
        chunks = [(Batched(eye[k:k + width].reshape((-1,) + out.shape)), min(width, m - k))
                  for k in range(0, m, width)]
    parts = {}
    for c, (seed, n) in enumerate(chunks):
        # Not native: the C kernels take one plain gradient, so every rule
        # runs on BATCH, which records nothing.  The sweep frees nothing: the
        # graph may be a caller's, and the next chunk sweeps it again.
        quiet = quiet_enter()
        try:
            grads, _ = tape.sweep({out._slot: seed}, keep, False, BATCH, BatchRunner(n))
        finally:
            quiet_leave(quiet)
        for s, g in grads.items():
            parts.setdefault(s, [None] * len(chunks))[c] = g.v
    res = {}
    taken = set()
    for s, vs in parts.items():
        if len(vs) == 1:
            v = _owned(vs[0], taken)
        else:
            ref = next(v for v in vs if v is not None)
            v = np.concatenate([np.zeros((n,) + ref.shape[1:], ref.dtype) if v is None else v
                                for v, (_, n) in zip(vs, chunks)])
        taken.add(id(v))
        res[s] = v
    return res


def _jac_rev_batched(f, args, nums):
    """f evaluated once under record, then ONE reverse sweep whose seed is the
    identity: the cotangents of all m output elements, stacked on a leading
    batch axis.  Returns None when the graph reaches older tapes (imports):
    the looped path handles those."""
    with autograd.record(train_mode=autograd.is_training()):
        a, xs = _link_args(args, nums)
        out = f(*a)
    if isinstance(out, (tuple, list)):
        raise errors.ShapeError(_MULTI_OUT)
    out = _as_tensor(out, "the function's output")
    m = out.size
    res = [None] * len(xs)
    tape = out._tape
    if tape is not None and m:
        if tape.imports:
            return None
        slots = {}
        for k, x in enumerate(xs):
            s = tape.leaf_slots.get(id(x))
            if s is not None and tape.slot_leaf.get(s) is x:
                slots[s] = k
        if slots:
            for s, v in _sweep_batched(tape, out, list(slots), m).items():
                x = xs[slots[s]]
                res[slots[s]] = v.reshape(out.shape + x.shape)
    for k, x in enumerate(xs):
        if res[k] is None:
            if out is x:                     # f returned its input
                res[k] = np.eye(m, dtype=x.dtype).reshape(out.shape + x.shape)
            else:                            # out does not depend on x
                res[k] = np.zeros(out.shape + x.shape, dtype=x.dtype)
    return [Tensor._wrap(r) for r in res]


class _TangentPush:
    """Observer (the thread state's ``observers``) that pushes a batch of n tangents through
    every op f runs, keyed by id of the op's result (the tensor is kept too,
    so the id is not reused while f runs)."""

    def __init__(self, x, seed):
        self.n = seed.size
        self.tangents = {id(x): (x, seed)}
        self.blind = False

    def __call__(self, prim, args, p, res):
        tan = self.tangents
        ts = []
        live = False
        for a in args:
            e = tan.get(id(a)) if isinstance(a, Tensor) else None
            if e is not None and e[0] is a:
                ts.append(e[1])
                live = True
                continue
            ts.append(None)
            if isinstance(a, Tensor) and _requires(a):
                # Recorded, yet not seen here: the output of a custom Function
                # (made outside apply), which may depend on x.
                self.blind = True
        if not live:
            return
        multi = isinstance(res, tuple)       # a primitive with several outputs
        outs = res if multi else (res,)
        xs = [a._data if isinstance(a, Tensor) else rule_operand(a, outs[0].dtype)
              for a in args]
        t = batched_jvp(prim, ts, xs, tuple(o._data for o in outs) if multi else res._data,
                        p, self.n)
        if t is not None:
            for o, to in zip(outs, t if multi else (t,)):
                if to is not None:
                    tan[id(o)] = (o, to)


def _jac_fwd_batched(f, args, nums):
    """Per input x: f evaluated once while an observer pushes the identity
    (one tangent per element of x, on a leading batch axis) through each op's
    forward rule.  f runs under record only so that an output made outside
    ``apply`` (a custom Function) shows up as recorded but unseen; then this
    returns None and the looped path (which calls the Function's jvp) runs."""
    res = []
    for i in nums:
        a = list(args)
        with autograd.record(train_mode=autograd.is_training()):
            x = a[i] = _link(args[i])
            push = _TangentPush(x, _seed(x.shape, x.dtype))
            st = get_state()
            saved = st.observers
            st.observers = saved + (push,)
            try:
                out = f(*a)
            finally:
                st.observers = saved
        if isinstance(out, (tuple, list)):
            raise errors.ShapeError(_MULTI_OUT)
        out = _as_tensor(out, "the function's output")
        e = push.tangents.get(id(out))
        if e is None or e[0] is not out:
            e = None
        if push.blind or (e is None and _requires(out)):
            return None
        if e is None:
            res.append(Tensor._wrap(np.zeros(out.shape + x.shape, dtype=out.dtype)))
            continue
        # (n, *out.shape) -> out.shape + x.shape: the batch axis goes last
        t = np.moveaxis(e[1].v, 0, -1).reshape(out.shape + x.shape)
        res.append(Tensor._wrap(_owned(t)))
    return res


def hessian(f: Fn, argnums: int = 0) -> Callable[..., Tensor]:
    """``hessian(f)(x, **kwargs)``: shape ``x.shape + x.shape`` for scalar f
    (keyword arguments passed through to f; reverse over reverse: the gradient is recorded, then its graph swept
    back with one cotangent per element, all at once outside ``record()``)."""
    if not isinstance(argnums, (int, np.integer)):
        raise ValueError("hessian takes a single argnum (an int)")
    return jacobian(grad(f, argnums), argnums, mode="rev")


def hvp(f: Fn, primals: Primals, v: Primals) -> tuple[Tensor, tuple[Tensor, ...]]:
    """``out, hvp = hvp(f, primals, v)``: the Hessian of scalar f at primals
    times v (a tuple shaped like primals), without forming the Hessian:
    one recorded gradient, then one more reverse sweep of <grad, v>."""
    primals = tuple(primals) if isinstance(primals, (tuple, list)) else (primals,)
    vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(vs) != len(primals):
        raise errors.ShapeError(f"hvp needs one v per primal: {len(primals)} primal(s), {len(vs)} v")
    keep = _needs_graph()
    with autograd.record(train_mode=autograd.is_training()):
        xs = [_link(p, "primal") for p in primals]
        y = _as_tensor(f(*xs), "the function's output")
        if y.size != 1:
            raise errors.ShapeError(
                f"hvp needs a scalar function, this one returned shape {y.shape}")
        gs = _grads([y], xs, [None], True)
        multiply, tsum = F.multiply, F.sum
        dot = None
        for g, vi, x in zip(gs, vs, xs):
            vt = _as_tensor(vi, "v")
            if vt.shape != x.shape:
                raise errors.ShapeError(f"v of shape {vt.shape} for a primal of shape {x.shape}")
            term = tsum(multiply(g, vt))
            dot = term if dot is None else dot + term
        hs = _grads([dot], xs, [None], keep)
    return _release(y, keep), tuple(_release(h, keep) for h in hs)
