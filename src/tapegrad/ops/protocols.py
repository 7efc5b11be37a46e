"""NumPy's protocols: which tapegrad function a NumPy call on tensors means.

Why: a scientist's code calls ``np.exp(t)``, ``np.sum(t, axis=0)``,
``np.concatenate([t, a])``, ``ndarray + t``.  NumPy hands each such call to
``Tensor.__array_ufunc__`` / ``__array_function__`` (tensor.py), which ask
this module.  The answer is derived from the op registry, so an entry
registered later (by a merge, or a user's own) is covered without an edit
here.  A NumPy callable means the entry

* whose ``numpy`` attribute it is (the NumPy function the entry mirrors), or
  whose name it has in the entry's namespace (``np.<name>``,
  ``np.linalg.<name>``, ``np.fft.<name>``; a SciPy ufunc of the name of a
  ``special`` entry);
* of ALIASES (ops/_registry.py), the NumPy names that differ from tapegrad's;
* for the ufunc methods: the reduction or scan entry whose NumPy function
  gives ``ufunc.reduce`` / ``ufunc.accumulate``'s results on a probe array
  (``np.add.reduce`` is ``sum``, ``np.fmax.reduce`` would be ``nanmax``,
  ``np.add.accumulate`` ``cumsum``); the accumulation of a ufunc that picks
  one of its operands (the running max, ``np.fmax.accumulate``...) built here
  as indexing;
  ``outer`` of any binary elementwise entry.

The call is translated by name from NumPy's signature to the entry's public
function (``a`` -> ``x``); ``out=`` (None, or a result written into an
array or tensor when nothing is being differentiated), ``dtype=`` (float32
or float64, else a TypeError), ``where=`` (elementwise: the masked-out
elements are zero and get no gradient; reductions: the masked-out elements
are left out) and ``initial=`` are handled here once for all entries.

Everything else is computed by NumPy on the values, and then:

* its result returned as NumPy gives it (an ndarray) when no argument is
  being differentiated (no variable, no recorded history, no forward-mode
  tangents): such a tensor is plain data, and nothing is lost;
* integer, boolean and other value-free results (``np.argmax``,
  ``np.isnan``, comparisons, ``np.shape``) returned as plain arrays, always;
* otherwise a ``TypeError`` (``errors.NotDifferentiableError``) naming the
  NumPy function, the ``tg.`` alternative if there is one, and
  ``np.asarray(t)`` as the explicit way to take the values without gradient.
  A gradient is never dropped silently.

One limit is NumPy's own: a list argument is converted by NumPy with
``np.asarray`` -- the explicit way out, which tensors cannot refuse -- before
any protocol is asked, unless the function's dispatcher looks into the list
(``np.concatenate``, ``np.stack``, ``np.block`` do; ufuncs, ``np.sum``,
``np.mean`` do not).  So ``np.exp([x, y])`` sees no tensor: write
``np.exp(tg.array([x, y]))`` or ``tg.exp([x, y])``, which record the list
(``stack``).
"""
import inspect
from typing import Any

import numpy as np

from .. import errors
from .._core.tape import TensorBase, wrap
from ._registry import ALIASES, REGISTRY, alias_entry, arg, public_entries

# ALIASES (the NumPy names that differ from the entries') is the registry's table.
#: NumPy keyword -> tapegrad keyword, per entry (NumPy 2.1's clip(min=, max=)).
KEYWORDS = {"clip": {"min": "a_min", "max": "a_max"}}
#: NumPy functions whose float result does not depend on the values
#: (returned as constant tensors; ``full_like`` records a tensor fill value).
CONSTANT = ("zeros_like", "ones_like", "empty_like", "full_like", "imag")
#: NumPy functions that write into an argument: refused before they run
#: when a differentiated tensor is involved (the write would already be done).
WRITES = ("copyto", "put", "place", "putmask", "put_along_axis", "fill_diagonal")
#: Functions that only write values out (files): no result to lose a gradient.
SINKS = ("save", "savez", "savez_compressed", "savetxt")

_NAMESPACES = (("", np), ("linalg", np.linalg), ("fft", np.fft))
_NOVALUE = np._NoValue
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class _Unsupported(Exception):
    """A NumPy call the mapped entry cannot take (an argument it lacks)."""


# ---- which entry a NumPy callable means ---------------------------------------------
_table = {}
_table_key = None


def _numpy_callable(fn):
    return isinstance(fn, np.ufunc) or (callable(fn) and str(
        getattr(fn, "__module__", "") or "").startswith("numpy"))


def numpy_table():
    """{NumPy callable: registry entry}, rebuilt when the registry changes."""
    global _table, _table_key
    key = (len(REGISTRY), next(reversed(REGISTRY), None))
    if key == _table_key:
        return _table
    table = {}
    for ns, mod in _NAMESPACES:
        for name, e in public_entries(ns).items():
            fn = getattr(e, "numpy", None)
            if _numpy_callable(fn):
                table.setdefault(fn, e)
            fn = getattr(mod, name, None)
            if callable(fn) and not isinstance(fn, type):
                table.setdefault(fn, e)
    for np_name in ALIASES:
        ns, _, short = np_name.rpartition(".")
        fn = getattr(np.linalg if ns == "linalg" else np, short, None)
        e = alias_entry(short, ns)
        if fn is not None and e is not None:
            table.setdefault(fn, e)
    _table, _table_key = table, key
    return table


def entry_for(fn):
    """The registry entry a NumPy function or ufunc means, or None."""
    try:
        e = numpy_table().get(fn)
    except TypeError:            # unhashable callable
        return None
    if e is None and isinstance(fn, np.ufunc) and getattr(np, fn.__name__, None) is not fn:
        e = public_entries("special").get(fn.__name__)     # scipy.special's ufuncs
    return e


def np_name(fn):
    """'np.sum', 'np.linalg.norm', 'np.add.reduce' for messages."""
    name = getattr(fn, "__name__", None) or repr(fn)
    if isinstance(fn, np.ufunc):
        if getattr(np, name, None) is fn:
            return f"np.{name}"
        return (f"scipy.special.{name}" if public_entries("special").get(name)
                else f"the ufunc {name}")
    mod = str(getattr(fn, "__module__", "") or "")
    for ns in ("linalg", "fft"):
        if f".{ns}" in mod:
            return f"np.{ns}.{name}"
    return f"np.{name}" if mod.startswith("numpy") else f"{mod}.{name}"


def alternative(fn):
    """'tg.sort' (the tapegrad function of that name), or None."""
    name = getattr(fn, "__name__", "")
    if isinstance(fn, _Named):               # np.add.accumulate -> tg.cumsum
        e = method_entry(fn.ufunc, fn.method) if fn.method in ("reduce", "accumulate") else None
        return f"tg.{e.name}" if e is not None else None
    qual = np_name(fn)
    ns = "linalg" if qual.startswith("np.linalg.") else "fft" if qual.startswith("np.fft.") \
        else "special" if qual.startswith("scipy.special.") else ""
    for e in (public_entries(ns).get(name), public_entries().get(name),
              alias_entry(name, ns), alias_entry(name)):
        if e is not None:
            return f"tg.{e.namespace + '.' if e.namespace else ''}{e.name}"
    return None


# ---- what is being differentiated ---------------------------------------------------
def is_live(t):
    """Whether a recording or a transform depends on tensor t: a variable, a
    tensor with recorded history, or one carrying forward-mode tangents."""
    return bool(t._leaf or t._tape is not None or t._tangents)


def _tensors(obj, depth=0, found=None):
    """The tensors in obj (itself, or inside nested lists/tuples/dicts), as a list."""
    if found is None:
        found = []
    if isinstance(obj, TensorBase):
        found.append(obj)
    elif depth < 32 and isinstance(obj, (list, tuple)):
        for e in obj:
            if not (type(e) is float or type(e) is int or type(e) is np.ndarray):
                _tensors(e, depth + 1, found)
    elif depth < 32 and isinstance(obj, dict):
        for e in obj.values():
            _tensors(e, depth + 1, found)
    return found


def _any_live(*objs):
    for t in _tensors(objs):
        if t._leaf or t._tape is not None or t._tangents:
            return True
    return False


def _values(obj, depth=0, writable=False):
    """obj with every tensor replaced by its array (read-only views, or the
    tensor's own array for an ``out`` argument)."""
    if isinstance(obj, TensorBase):
        return obj._data if writable else obj.__array__()
    if depth < 32 and isinstance(obj, (list, tuple)):
        vals = [_values(e, depth + 1, writable) for e in obj]
        if type(obj) is list:
            return vals
        return type(obj)(*vals) if hasattr(obj, "_fields") else type(obj)(vals)
    if depth < 32 and isinstance(obj, dict):
        return {k: _values(v, depth + 1, writable) for k, v in obj.items()}
    return obj


def value_free(res):
    """Whether a result carries no float values (integers, booleans, shapes,
    dtypes, strings): such results are returned as NumPy gives them."""
    if isinstance(res, (np.ndarray, np.generic)):
        return res.dtype.kind in "biuUSMm"
    if isinstance(res, (bool, int, str, np.dtype, type)):
        return True
    if isinstance(res, (tuple, list)):
        return all(value_free(r) for r in res)
    return False


def _refuse(fn, why=None):
    """The TypeError for a NumPy call that would drop a gradient."""
    name = np_name(fn)
    alt = alternative(fn)
    reason = why or f"tapegrad cannot differentiate {name}"
    fix = (f"Use {alt}(...), or take the values explicitly" if alt
           else "Write it with tapegrad's functions (tg.<name>), or take the values explicitly")
    raise errors.NotDifferentiableError(
        f"{name} was given a tensor that is being differentiated (a variable, or a tensor "
        f"with recorded history or forward-mode tangents), but {reason}: its result would "
        f"silently lose the gradient. {fix} with np.asarray(t) (no gradient flows through "
        f"them).")


def _float_dtype(fn, dtype):
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in _FLOATS:
        raise errors.DTypeError(
            f"{np_name(fn)}(..., dtype={dtype!r}) on a tensor: tapegrad computes in float32 "
            f"or float64 only; pass dtype=np.float32 or np.float64, or compute on "
            f"np.asarray(t) for other dtypes.")
    return dt


def _cast(x, dtype):
    """x (a tensor, an array, or a sequence of them) converted to dtype."""
    if isinstance(x, TensorBase):
        return x if x._data.dtype == dtype else REGISTRY["cast"].public(x, dtype)
    if isinstance(x, np.ndarray):
        return x.astype(dtype, copy=False)
    if isinstance(x, (list, tuple)):
        return [_cast(e, dtype) for e in x]
    return x


# ---- results written into out= --------------------------------------------------------
def _check_out(fn, outs):
    """Refuse writing into a tensor that is being differentiated."""
    for o in outs or ():
        if isinstance(o, TensorBase) and is_live(o):
            raise errors.NotDifferentiableError(
                f"{np_name(fn)}(..., out=t) with a tensor t that is being differentiated: "
                f"writing into it in place is not recorded. Use the returned value instead "
                f"(t2 = {np_name(fn)}(...)).")


def _write_out(fn, res, outs, mask=None):
    """NumPy's ``out=``: write res (a tensor or a tuple of them) into the
    given arrays or tensors and return them; refused when res is being
    differentiated (the arrays would hold it without its gradient)."""
    _check_out(fn, outs)
    results = res if isinstance(res, tuple) else (res,)
    if len(outs) != len(results):
        raise ValueError(f"{np_name(fn)}: {len(outs)} out= arrays for {len(results)} results")
    for r in results:
        if isinstance(r, TensorBase) and is_live(r):
            raise errors.NotDifferentiableError(
                f"{np_name(fn)}(..., out=...) of a tensor that is being differentiated: writing "
                f"the result into out would drop its gradient. Use the returned value instead "
                f"(y = {np_name(fn)}(...)), or pass np.asarray(t) to compute without gradient.")
    done = []
    for r, o in zip(results, outs):
        if o is None:
            done.append(r)
            continue
        vals = r._data if isinstance(r, TensorBase) else np.asarray(r)
        if isinstance(o, TensorBase):
            if mask is None:
                o[...] = vals
            else:
                m = np.broadcast_to(mask, o.shape)
                o[m] = np.broadcast_to(vals, o.shape)[m]
        else:
            np.copyto(o, vals, casting="same_kind", where=True if mask is None else mask)
        done.append(o)
    return done[0] if len(done) == 1 else tuple(done)


def _given_out(out):
    """out= as a tuple of arrays/tensors, or None when nothing is given."""
    if out is None:
        return None
    outs = out if isinstance(out, tuple) else (out,)
    return outs if any(o is not None for o in outs) else None


# ---- __array_ufunc__ ----------------------------------------------------------------
#: ufunc keywords that change nothing for float32/float64 tensors.
_UFUNC_IGNORED = ("casting", "order", "subok")


def _is_default_where(w):
    return w is True or (isinstance(w, np.bool_) and bool(w))


def _foreign(objs):
    """Whether an operand is some other library's array (it gets its turn)."""
    for o in objs:
        t = type(o)
        if t is np.ndarray or t is float or t is int or isinstance(o, TensorBase):
            continue
        if isinstance(o, (np.ndarray, np.generic, bool, complex, list, tuple, type(None))):
            continue
        if getattr(t, "__array_ufunc__", None) is not None or hasattr(t, "__array_function__"):
            return True
    return False


#: An entry's binary ``operator`` -> the Tensor method that applies it (the
#: core's fast path for ``ndarray + t``: the same primitive as tg.add).
_OPERATOR_METHODS = {op: (f"__{m}__", f"__r{m}__") for op, m in (
    ("add", "add"), ("sub", "sub"), ("mul", "mul"), ("div", "truediv"), ("pow", "pow"),
    ("matmul", "matmul"))}


_fast = {}
_fast_key = None


def _fast_calls():
    """{ufunc: (public function, operator methods or None)} for the plain
    call of every ufunc the registry maps (rebuilt with the table)."""
    global _fast, _fast_key
    key = (len(REGISTRY), next(reversed(REGISTRY), None))
    if key != _fast_key:
        fast = {}
        for fn, e in numpy_table().items():
            if isinstance(fn, np.ufunc):
                op = _OPERATOR_METHODS.get(getattr(e, "operator", None)) if fn.nin == 2 else None
                fast[fn] = (e.public, op)
        _fast, _fast_key = fast, key
    return _fast


def tensor_array_ufunc(self: TensorBase, ufunc: np.ufunc, method: str, *inputs: Any,
                       **kwargs: Any) -> Any:
    """NumPy's ufuncs on tensors (``np.exp(t)``, ``ndarray + t``,
    ``np.add.reduce(t)``): the tapegrad function of the registry the ufunc
    mirrors, recorded exactly as the ``tg.`` call (``out=``, ``dtype=``
    float32/float64, ``where=`` taken).  A ufunc tapegrad cannot
    differentiate runs on the values: its result is a plain ndarray when no
    operand is being differentiated (a variable, or a tensor with history or
    tangents) or when it holds integers or booleans (``np.isnan``,
    comparisons); otherwise it is a TypeError naming the ufunc and the way
    out, ``np.asarray(t)``.  (Tensor.__array_ufunc__ itself: its common case,
    ``ndarray + t``, costs one Python frame.)"""
    if method == "__call__" and not kwargs:
        fast = _fast_calls().get(ufunc)
        if fast is not None and len(inputs) == ufunc.nin:
            for o in inputs:
                t = type(o)
                if not (t is np.ndarray or t is float or t is int or isinstance(o, TensorBase)):
                    if _foreign(inputs):
                        return NotImplemented
                    break
            public, op = fast
            if op is not None:
                a, b = inputs
                if isinstance(a, TensorBase):
                    return getattr(a, op[0])(b)
                return getattr(b, op[1])(a)
            return public(*inputs)
    return array_ufunc(ufunc, method, inputs, kwargs)


def array_ufunc(ufunc, method, inputs, kwargs):
    """Tensor.__array_ufunc__ (after its common case): see the module doc."""
    outs = _given_out(kwargs.get("out"))
    if _foreign(inputs + (outs or ())):
        return NotImplemented
    live = _any_live(inputs)
    _check_out(ufunc, outs)
    try:
        if method == "__call__":
            entry = entry_for(ufunc)
            if entry is not None:
                return _ufunc_call(ufunc, entry, inputs, dict(kwargs))
        elif method == "reduce":
            return _ufunc_reduce(ufunc, inputs, dict(kwargs))
        elif method == "accumulate":
            return _ufunc_accumulate(ufunc, inputs, dict(kwargs))
        elif method == "outer":
            return _ufunc_outer(ufunc, inputs, dict(kwargs))
        elif method == "at":
            return _ufunc_at(ufunc, inputs, kwargs)
        raise _Unsupported(method)
    except _Unsupported as e:
        why = e.args[0] if e.args else None
    # NumPy computes it on the values; integer and boolean results come back
    if live and (outs is not None or method == "at"):
        _refuse(_method_name(ufunc, method), _why(ufunc, method, why))
    res = _on_values(ufunc if method == "__call__" else getattr(ufunc, method), inputs, kwargs)
    if live and not value_free(res):
        _refuse(_method_name(ufunc, method), _why(ufunc, method, why))
    return res


class _Named:
    """A stand-in callable for messages about a ufunc method (np.add.reduce)."""

    def __init__(self, ufunc, method):
        self.ufunc, self.method = ufunc, method
        self.__name__ = f"{ufunc.__name__}.{method}"
        self.__module__ = "numpy" if getattr(np, ufunc.__name__, None) is ufunc else ""


def _method_name(ufunc, method):
    return ufunc if method == "__call__" else _Named(ufunc, method)


def _why(ufunc, method, why):
    if why is None or why == method:
        return None
    return f"tapegrad cannot differentiate {np_name(_method_name(ufunc, method))} with {why}"


def _ufunc_kwargs(ufunc, kw, allowed=()):
    """Pop and check the keywords every ufunc method shares."""
    if not kw:
        return None, None, {}
    out = _given_out(kw.pop("out", None))
    dtype = _float_dtype(ufunc, kw.pop("dtype", None))
    for k in _UFUNC_IGNORED:
        kw.pop(k, None)
    extra = {k: kw.pop(k) for k in allowed if k in kw}
    if kw:
        k = next(iter(kw))
        raise _Unsupported(f"{k}={kw[k]!r}")
    return out, dtype, extra


def _ufunc_call(ufunc, entry, inputs, kw):
    out, dtype, extra = _ufunc_kwargs(ufunc, kw, ("where",))
    where = extra.get("where", True)
    xs = [_cast(arg(x) if isinstance(x, (list, tuple)) else x, dtype) for x in inputs] \
        if dtype is not None else list(inputs)
    if len(xs) != ufunc.nin:
        raise _Unsupported(f"{len(xs)} operands")
    if _is_default_where(where):
        res = entry.public(*xs)
        mask = None
    else:
        mask = np.asarray(_values(where), dtype=bool)
        res = _masked(entry, xs, mask)
    if dtype is not None:
        res = _cast(res, dtype)
    if out is not None:
        return _write_out(ufunc, res, out, mask)
    return res


def _masked(entry, xs, mask):
    """entry on the elements where mask is True; zeros (and no gradient)
    elsewhere: the masked-out elements are never computed, so they cannot
    put a NaN into the gradient."""
    xs = [x if isinstance(x, (int, float)) else arg(x) for x in xs]
    shape = np.broadcast_shapes(mask.shape, *[np.shape(x) if not isinstance(x, TensorBase)
                                              else x.shape for x in xs])
    m = np.broadcast_to(mask, shape)
    idx = np.nonzero(m)
    bcast = REGISTRY["broadcast_to"].public
    getitem = REGISTRY["getitem"].public
    parts = [x if isinstance(x, (int, float)) else getitem(bcast(x, shape), idx) for x in xs]
    y = entry.public(*parts)
    return REGISTRY["index_add"].public(y, idx, shape)


def _axis_arg(kw, default=0):
    axis = kw.pop("axis", default)
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis


# ---- ufunc methods: the entries, found by what they compute ----------------------------
#: A probe array: ufunc.reduce / ufunc.accumulate along axis 0 is the entry
#: whose NumPy function gives the same on it (the NaN tells sum from nansum,
#: max from nanmax).
_PROBE = np.array([[0.5, np.nan, 2.0, 1.25], [1.5, -0.7, 0.25, 1.25],
                   [3.0, 1.0, -2.0, 0.75]])
_methods = {}
_methods_key = None


def _numpy_of(e):
    fn = getattr(e, "numpy", None)
    return fn if callable(fn) else getattr(np, e.name, None)


def _has_params(fn, names):
    sig = _sig(fn)
    return sig is not None and all(n in sig.defaults for n in names)


def method_entry(ufunc, method):
    """The registry entry computing ``ufunc.reduce`` (a reduction with
    NumPy's axis and keepdims) or ``ufunc.accumulate`` (a scan with axis),
    found by comparing results on _PROBE; None when no entry does."""
    global _methods_key
    key = (len(REGISTRY), next(reversed(REGISTRY), None))
    if key != _methods_key:
        _methods.clear()
        _methods_key = key
    if (ufunc, method) in _methods:
        return _methods[ufunc, method]
    found = None
    if (getattr(np, ufunc.__name__, None) is ufunc and ufunc.nin == 2 and ufunc.nout == 1
            and ufunc.signature is None):
        params = ("axis", "keepdims") if method == "reduce" else ("axis",)
        with np.errstate(all="ignore"):
            try:
                want = getattr(ufunc, method)(_PROBE, axis=0)
            except (TypeError, ValueError):          # no float loop, no identity...
                want = None
            for e in public_entries().values() if want is not None else ():
                fn = _numpy_of(e)
                if fn is None or not _has_params(e.public, params):
                    continue
                try:
                    got = np.asarray(fn(_PROBE, axis=0))
                except (TypeError, ValueError):
                    continue
                if got.shape == want.shape and np.allclose(got, want, rtol=1e-12, atol=0,
                                                           equal_nan=True):
                    found = e
                    break
    _methods[ufunc, method] = found
    return found


_UFUNCS = tuple(u for u in vars(np).values() if isinstance(u, np.ufunc) and u.nin == 2)


def reduce_ufunc(entry):
    """The ufunc whose reduce ``entry`` computes (np.add for sum), or None."""
    return next((u for u in _UFUNCS if method_entry(u, "reduce") is entry), None)


def _ufunc_reduce(ufunc, inputs, kw):
    entry = method_entry(ufunc, "reduce")
    if entry is None:
        raise _Unsupported("reduce")
    axis = _axis_arg(kw)
    keepdims = bool(kw.pop("keepdims", False))
    out, dtype, extra = _ufunc_kwargs(ufunc, kw, ("initial", "where"))
    res = reduction(entry, inputs[0], axis, keepdims, dtype,
                    extra.get("initial", _NOVALUE), extra.get("where", True), ufunc)
    return _write_out(ufunc, res, out) if out is not None else res


def reduction(entry, x, axis, keepdims, dtype, initial=_NOVALUE, where=True, ufunc=None):
    """A reduction entry with NumPy's dtype=, initial= and where=: masked-out
    elements are replaced by the identity of its ufunc (or by ``initial``
    where it has none, as NumPy requires), left out of a mean; ``initial``
    is combined into the result by the ufunc's entry."""
    x = arg(x)
    if dtype is not None:
        x = _cast(x, dtype)
    plain_where = _is_default_where(where)
    if initial is _NOVALUE and plain_where:
        return entry.public(x, axis=axis, keepdims=keepdims)
    if entry.name == "mean":
        if initial is not _NOVALUE:
            raise _Unsupported("initial=")
        mask = np.broadcast_to(np.asarray(_values(where), dtype=bool), x.shape)
        total = REGISTRY["sum"].public(REGISTRY["where"].public(mask, x, 0.0), axis, keepdims)
        count = np.sum(mask, axis=axis, keepdims=keepdims).astype(x.dtype)
        return REGISTRY["divide"].public(total, count)
    ufunc = ufunc or reduce_ufunc(entry)
    if ufunc is None:
        raise _Unsupported("initial=" if initial is not _NOVALUE else "where=")
    if not plain_where:
        fill = ufunc.identity if initial is _NOVALUE else initial
        if fill is None:
            raise ValueError(f"reduction operation '{ufunc.__name__}' does not have an "
                             f"identity, so to use a where mask one has to specify 'initial'")
        mask = np.broadcast_to(np.asarray(_values(where), dtype=bool), x.shape)
        x = REGISTRY["where"].public(mask, x, float(fill))
    res = entry.public(x, axis=axis, keepdims=keepdims)
    if initial is _NOVALUE or initial is None:
        return res
    combine = entry_for(ufunc)
    if combine is None:
        raise _Unsupported("initial=")
    return combine.public(res, initial)


def _ufunc_accumulate(ufunc, inputs, kw):
    axis = _axis_arg(kw)
    out, dtype, _ = _ufunc_kwargs(ufunc, kw)
    x = arg(inputs[0])
    if dtype is not None:
        x = _cast(x, dtype)
    if len(x.shape) == 0:
        raise _Unsupported("a 0-d operand")
    entry = method_entry(ufunc, "accumulate")
    if entry is not None:
        res = entry.public(x, axis=axis)
    else:
        res = running_selection(ufunc, x, axis)
    return _write_out(ufunc, res, out) if out is not None else res


def running_selection(ufunc, x, axis):
    """``ufunc.accumulate`` of a ufunc whose result is always one of its
    operands (the elementwise max and min, np.fmax...), as indexing: element i
    takes the value at the position the running result last came from, so
    the gradient goes there (the first position among ties; a NaN, once it
    is the result, stays).  _Unsupported for any other ufunc."""
    v = x._data if isinstance(x, TensorBase) else np.asarray(x)
    axis = int(axis) % v.ndim
    if v.shape[axis] == 0:
        raise _Unsupported("an empty axis")
    with np.errstate(all="ignore"):
        run = ufunc.accumulate(v, axis=axis)
    prev = np.concatenate([np.take(v, [0], axis=axis), np.delete(run, -1, axis=axis)], axis=axis)
    same = (run == prev) | (np.isnan(run) & np.isnan(prev))
    shape = [1] * v.ndim
    shape[axis] = v.shape[axis]
    pos = np.arange(v.shape[axis]).reshape(shape)
    came_from = np.fmax.accumulate(np.where(same, 0, pos), axis=axis)
    index = list(np.indices(v.shape, sparse=True))
    index[axis] = came_from
    index = tuple(index)
    if not np.array_equal(v[index], run, equal_nan=True):
        raise _Unsupported("accumulate")            # not a ufunc that selects an operand
    return REGISTRY["getitem"].public(x, index)


def _ufunc_outer(ufunc, inputs, kw):
    entry = entry_for(ufunc)
    if entry is None or ufunc.nin != 2 or ufunc.signature is not None or len(inputs) != 2:
        raise _Unsupported("outer")
    out, dtype, _ = _ufunc_kwargs(ufunc, kw)
    a, b = (x if isinstance(x, TensorBase) else arg(x) for x in inputs)
    if dtype is not None:
        a, b = _cast(a, dtype), _cast(b, dtype)
    a = REGISTRY["reshape"].public(a, tuple(a.shape) + (1,) * len(b.shape))
    res = entry.public(a, b)
    return _write_out(ufunc, res, out) if out is not None else res


def _ufunc_at(ufunc, inputs, kw):
    """ufunc.at(target, indices, values): in place on the target's values (a
    tensor's version is bumped, as for ``t[idx] = v``); refused when the
    values are being differentiated (the target would hold them without
    their gradient)."""
    target, rest = inputs[0], inputs[1:]
    if _any_live(rest):
        _refuse(_Named(ufunc, "at"), "writing values in place is not recorded; build the "
                                     "result out of place (tg.where, indexing, arithmetic)")
    data = target._data if isinstance(target, TensorBase) else target
    getattr(ufunc, "at")(data, *_values(rest), **kw)
    if isinstance(target, TensorBase):
        target._ver.n += 1
    return None


def _on_values(fn, args, kwargs, out=None):
    """fn computed by NumPy on the values.  Tensors given as ``out`` (a
    keyword, or ``out`` the argument NumPy's signature binds it to) receive
    the result in place, their version bumped."""
    if out is None:
        out = _given_out(kwargs.get("out"))
    out_tensors = list(_tensors(out)) if out is not None else []
    if not out_tensors:
        return fn(*_values(args), **_values(kwargs))
    if "out" in kwargs:
        kw = _values(kwargs)
        kw["out"] = _values(kwargs["out"], writable=True)
        res = fn(*_values(args), **kw)
    else:                             # out given by position
        k = _sig(fn).positional.index("out")
        res = fn(*[_values(v, writable=(i == k)) for i, v in enumerate(args)],
                 **_values(kwargs))
    for t in out_tensors:
        t._ver.n += 1
    outs = out if isinstance(out, tuple) else (out,)
    return outs[0] if len(outs) == 1 else outs


def _bound_out(fn, args, kwargs):
    """The ``out`` argument of a NumPy function call, also when given by
    position (np.fix(x, x)); None when there is none."""
    if "out" in kwargs:
        return _given_out(kwargs["out"])
    sig = _sig(fn)
    if sig is None or "out" not in sig.positional:
        return None
    k = sig.positional.index("out")
    return _given_out(args[k]) if k < len(args) else None


# ---- __array_function__ -------------------------------------------------------------
class _Sig:
    """A signature's parameters, prepared once: binding a call with it is a
    few dict operations (inspect's bind costs tens of microseconds)."""

    def __init__(self, sig):
        P = inspect.Parameter
        params = list(sig.parameters.values())
        self.params = params
        self.positional = [p.name for p in params if p.kind in (P.POSITIONAL_ONLY,
                                                                P.POSITIONAL_OR_KEYWORD)]
        self.var_pos = next((p.name for p in params if p.kind is P.VAR_POSITIONAL), None)
        self.var_kw = next((p.name for p in params if p.kind is P.VAR_KEYWORD), None)
        self.keywords = {p.name for p in params if p.kind in (P.POSITIONAL_OR_KEYWORD,
                                                              P.KEYWORD_ONLY)}
        self.required = [p.name for p in params if p.default is P.empty
                         and p.kind not in (P.VAR_POSITIONAL, P.VAR_KEYWORD)]
        self.defaults = {p.name: p.default for p in params}

    def bind(self, args, kwargs):
        """{name: value} of a call (the keywords a ``**kwargs`` parameter
        takes included by their own names); TypeError as Python's."""
        n = len(self.positional)
        if len(args) > n and self.var_pos is None:
            raise TypeError(f"takes {n} positional arguments but {len(args)} were given")
        given = dict(zip(self.positional, args))
        if len(args) > n:
            given[self.var_pos] = tuple(args[n:])
        for k, v in kwargs.items():
            if k in given:
                raise TypeError(f"got multiple values for argument {k!r}")
            if k not in self.keywords and self.var_kw is None:
                raise TypeError(f"got an unexpected keyword argument {k!r}")
            given[k] = v
        for k in self.required:
            if k not in given:
                raise TypeError(f"missing a required argument: {k!r}")
        return given


_sigs = {}


def _sig(fn):
    """fn's _Sig (cached), None when it has no inspectable signature."""
    try:
        return _sigs[fn]
    except KeyError:
        pass
    except TypeError:                 # unhashable
        return None
    try:
        s = _Sig(inspect.signature(fn))
    except (TypeError, ValueError):
        stub = _C_SIGNATURES.get(getattr(fn, "__name__", None))
        s = _Sig(inspect.signature(stub)) if stub is not None and _numpy_callable(fn) else None
    _sigs[fn] = s
    return s


# NumPy < 2.3 gives its C-implemented functions no inspectable signature
# (NumPy 2.3+ does: these are its own text signatures).  Only the ones with
# a differentiable counterpart need one; the rest take the values path.
def _concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"): ...
def _dot(a, b, out=None): ...
def _inner(a, b, /): ...
def _vdot(a, b, /): ...
def _where(condition, x=None, y=None, /): ...


_C_SIGNATURES = {"concatenate": _concatenate, "concat": _concatenate, "dot": _dot,
                 "inner": _inner, "vdot": _vdot, "where": _where}


class _Plan:
    """How a NumPy function's arguments become an entry's public function's:
    NumPy's names, renamed where the entry's parameter at that position has
    another name (``a`` -> ``x``, ``arrays`` -> ``tensors``)."""

    def __init__(self, fn, public, entry_name):
        self.np = _sig(fn)
        self.tg = _sig(public)
        self.rename = {}
        self.first = None
        if self.np is None or self.tg is None:
            return
        P = inspect.Parameter
        tg_params = self.tg.params
        self.first = tg_params[0].name if tg_params else None
        tg_names = {p.name for p in tg_params}
        np_names = {p.name for p in self.np.params}
        tg_positional = [p.name for p in tg_params
                         if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD,
                                       P.VAR_POSITIONAL)]
        extra = KEYWORDS.get(entry_name, {})
        for i, p in enumerate(self.np.params):
            if p.kind is P.VAR_KEYWORD:
                continue
            if p.name in extra:
                self.rename[p.name] = extra[p.name]
            elif p.name in tg_names:
                self.rename[p.name] = p.name
            elif (p.kind is not P.KEYWORD_ONLY and i < len(tg_positional)
                  and tg_positional[i] not in np_names):
                self.rename[p.name] = tg_positional[i]
            elif self.tg.var_kw is not None:
                self.rename[p.name] = p.name
        # how the entry's parameters are passed: positionally while in order
        self.order = [(p.name, p.kind) for p in tg_params if p.kind is not P.VAR_KEYWORD]

    def bind(self, args, kwargs):
        """NumPy's arguments by NumPy's names."""
        if self.np is None or self.tg is None:
            raise _Unsupported("arguments")
        return self.np.bind(args, kwargs)

    def call(self, public, mapped):
        """public(...) with the mapped arguments: positionally while the
        entry's parameters come in order, by keyword after that."""
        P = inspect.Parameter
        pos, kw, in_order = [], {}, True
        left = dict(mapped)
        for name, kind in self.order:
            if name not in left:
                if kind is not P.VAR_POSITIONAL:
                    in_order = False
                continue
            v = left.pop(name)
            if kind is P.VAR_POSITIONAL:
                if not in_order:
                    raise _Unsupported(name)
                pos.extend(v if isinstance(v, (tuple, list)) else (v,))
            elif kind is P.POSITIONAL_ONLY or (in_order and kind is P.POSITIONAL_OR_KEYWORD):
                if not in_order:
                    raise _Unsupported(name)
                pos.append(v)
            else:
                kw[name] = v
        if left and self.tg.var_kw is None:
            raise _Unsupported(f"{next(iter(left))}=")
        kw.update(left)
        try:
            self.tg.bind(pos, kw)
        except TypeError:
            raise _Unsupported("these arguments") from None
        return public(*pos, **kw)


_plans = {}


def _plan(fn, entry):
    key = (fn, entry.public)
    p = _plans.get(key)
    if p is None:
        p = _plans[key] = _Plan(fn, entry.public, entry.name)
    return p


def _same(a, b):
    if a is b:
        return True
    try:
        return type(a) is type(b) and not isinstance(a, np.ndarray) and bool(a == b)
    except (TypeError, ValueError):
        return False


def array_function(func, types, args, kwargs):
    """Tensor.__array_function__: see the module doc."""
    if not all(issubclass(t, (TensorBase, np.ndarray)) for t in types):
        return NotImplemented
    name = getattr(func, "__name__", "")
    entry = entry_for(func)
    why = None
    if entry is not None:
        try:
            return _function_call(func, entry, args, kwargs)
        except _Unsupported as e:
            why = e.args[0] if e.args else None
    outs = _bound_out(func, args, kwargs)
    _check_out(func, outs)
    if entry is None and name in CONSTANT and _numpy_callable(func):
        return _constant(func, args, kwargs)
    live = _any_live(args, kwargs)
    if live and (name in WRITES or outs is not None):
        _refuse(func, "it writes into an array, which would hold the values without "
                      "their gradient" if name in WRITES else None)
    res = _on_values(func, args, kwargs, outs)
    if live and not value_free(res) and not (res is None and name in SINKS):
        _refuse(func, None if why is None else
                f"{alternative(func) or 'tapegrad'} does not take {why}")
    return res


def _function_call(func, entry, args, kwargs):
    plan = _plan(func, entry)
    given = plan.bind(args, kwargs)
    out = _given_out(given.pop("out", None))
    _check_out(func, out)
    # dtype= as a cast of the result, unless it is the function's required
    # argument (np.astype's), which the entry takes itself
    required = plan.np.defaults.get("dtype", None) is inspect.Parameter.empty
    dtype = None if required and "dtype" in plan.rename \
        else _float_dtype(func, given.pop("dtype", None))
    # a reduction's initial= and where= (which its public function lacks)
    initial = given.pop("initial", _NOVALUE) if "initial" not in plan.rename else _NOVALUE
    where = given.pop("where", True) if "where" not in plan.rename else True
    mapped = {}
    for k, v in given.items():
        t = plan.rename.get(k)
        if t is None:
            if _same(v, plan.np.defaults.get(k, _NOVALUE)):
                continue            # NumPy's default, which the entry's behaviour is
            raise _Unsupported(f"{k}=")
        mapped[t] = v
    if initial is not _NOVALUE or not _is_default_where(where):
        res = reduction(entry, mapped.pop(plan.first), mapped.pop("axis", None),
                        bool(mapped.pop("keepdims", False)), dtype, initial, where)
        if mapped:
            raise _Unsupported(f"{next(iter(mapped))}=")
    else:
        if dtype is not None:
            mapped = {k: _cast(v, dtype) if k == plan.first or isinstance(v, TensorBase) else v
                      for k, v in mapped.items()}
        res = plan.call(entry.public, mapped)
        if dtype is not None and isinstance(res, TensorBase):
            res = _cast(res, dtype)
    if out is not None:
        return _write_out(func, res, out)
    return res


def _constant(func, args, kwargs):
    """zeros_like, ones_like, empty_like, full_like, imag: their values do not
    depend on the tensor's, so the result is a constant tensor (a float
    one) -- except full_like's fill value, which is recorded when it is a
    tensor (broadcast)."""
    name = func.__name__
    if name == "full_like":
        sig = _sig(func).bind(args, kwargs)
        fill = sig.get("fill_value")
        if isinstance(fill, TensorBase) or (isinstance(fill, (list, tuple))
                                            and any(True for _ in _tensors(fill))):
            proto = sig.get("a")
            shape = sig.get("shape") or np.shape(_values(proto))
            dtype = sig.get("dtype") or (proto.dtype if hasattr(proto, "dtype") else None)
            v = arg(fill)
            if dtype is not None:
                v = _cast(v, _float_dtype(func, dtype))
            return REGISTRY["copy"].public(REGISTRY["broadcast_to"].public(v, tuple(
                np.atleast_1d(shape)) if not isinstance(shape, tuple) else shape))
    res = _on_values(func, args, kwargs)
    if isinstance(res, np.ndarray) and res.dtype in _FLOATS and res.base is None:
        return wrap(res)
    if isinstance(res, np.ndarray) and res.dtype in _FLOATS:
        return wrap(res.copy())
    return res
