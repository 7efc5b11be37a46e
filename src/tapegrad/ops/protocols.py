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
* of ALIASES, the few NumPy names that differ from tapegrad's;
* for the ufunc methods: REDUCE (``np.add.reduce`` is ``sum``), ACCUMULATE
  (``np.add.accumulate`` is ``cumsum``; ``np.maximum.accumulate`` is built
  here from indexing), and ``outer`` of any binary elementwise entry.

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
"""
import inspect

import numpy as np

from .. import errors
from .._core.tape import TensorBase, wrap
from ._registry import REGISTRY, arg, public_entries

# ---- the names that differ (the one table of them) -----------------------------
#: NumPy name -> tapegrad entry name ('linalg.matmul': np.linalg.matmul).
#: Used only when the entry exists.
ALIASES = {
    "amax": "max", "amin": "min", "fabs": "abs", "around": "round", "true_divide": "divide",
    "positive": "copy", "conjugate": "copy", "real": "copy", "concat": "concatenate",
    "permute_dims": "transpose", "row_stack": "vstack",
    "linalg.matmul": "matmul", "linalg.outer": "outer", "linalg.tensordot": "tensordot",
    "linalg.vecdot": "vecdot", "linalg.cross": "cross",
    "linalg.matrix_transpose": "matrix_transpose",
}
#: NumPy keyword -> tapegrad keyword, per entry (NumPy 2.1's clip(min=, max=)).
KEYWORDS = {"clip": {"min": "a_min", "max": "a_max"}}
#: ufunc.reduce -> reduction entry; ufunc.accumulate -> scan entry.
REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
          "logaddexp": "logsumexp"}
ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}
#: What a masked-out element (``where=``) contributes to a reduction.
IDENTITY = {"sum": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf, "logsumexp": -np.inf}
#: NumPy functions whose float result does not depend on the values
#: (returned as constant tensors; ``full_like`` records a tensor fill value).
CONSTANT = ("zeros_like", "ones_like", "empty_like", "full_like", "imag")
#: NumPy functions that write into an argument: refused before they run
#: when a differentiated tensor is involved (the write would already be done).
WRITES = ("copyto", "put", "place", "putmask", "put_along_axis", "fill_diagonal")
#: Functions that only write values out (files): no result to lose a gradient.
SINKS = ("save", "savez", "savez_compressed", "savetxt", "tofile")

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
    main = public_entries()
    for np_name, tg_name in ALIASES.items():
        ns, _, short = np_name.rpartition(".")
        fn = getattr(np.linalg if ns == "linalg" else np, short, None)
        if fn is not None and tg_name in main:
            table.setdefault(fn, main[tg_name])
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
    qual = np_name(fn)
    ns = "linalg" if qual.startswith("np.linalg.") else "fft" if qual.startswith("np.fft.") \
        else "special" if qual.startswith("scipy.special.") else ""
    for n, e in ((ns, public_entries(ns).get(name)), ("", public_entries().get(name)),
                 ("", public_entries().get(ALIASES.get(name, "")))):
        if e is not None:
            return f"tg.{e.namespace + '.' if e.namespace else ''}{e.name}"
    return None


# ---- what is being differentiated ---------------------------------------------------
def is_live(t):
    """Whether a recording or a transform depends on tensor t: a variable, a
    tensor with recorded history, or one carrying forward-mode tangents."""
    return bool(t._leaf or t._tape is not None or t._tangents)


def _tensors(obj, depth=0):
    """The tensors in obj (itself, or inside nested lists/tuples/dicts)."""
    if isinstance(obj, TensorBase):
        yield obj
    elif depth < 32 and isinstance(obj, (list, tuple)):
        for e in obj:
            yield from _tensors(e, depth + 1)
    elif depth < 32 and isinstance(obj, dict):
        for e in obj.values():
            yield from _tensors(e, depth + 1)


def _any_live(*objs):
    return any(is_live(t) for o in objs for t in _tensors(o))


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
        return res.dtype.kind in "biuUSM" or res.dtype.kind == "m"
    if isinstance(res, (bool, int, str, np.dtype, type)):
        return True
    if isinstance(res, (tuple, list)):
        return all(value_free(r) for r in res)
    return False


def _refuse(fn, why=None):
    name = np_name(fn)
    alt = alternative(fn)
    reason = why or (f"tapegrad cannot differentiate {name}" + (
        f" (with these arguments: {alt} does not take them)" if alt and why is None
        and entry_for(fn) is not None else ""))
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
        return type(x)(_cast(e, dtype) for e in x) if not hasattr(x, "_fields") else x
    return x


# ---- results written into out= --------------------------------------------------------
def _write_out(fn, res, outs, mask=None):
    """NumPy's ``out=``: write res (a tensor or a tuple of them) into the
    given arrays or tensors and return them; refused when res is being
    differentiated (the arrays would hold it without its gradient)."""
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
_UFUNC_IGNORED = {"casting": "same_kind", "order": "K", "subok": True}


def _is_default_where(w):
    return w is True or (isinstance(w, np.bool_) and bool(w))


def _foreign(objs):
    """Whether an operand is some other library's array (it gets its turn)."""
    for o in objs:
        if isinstance(o, (TensorBase, np.ndarray, np.generic, int, float, bool, list, tuple,
                          type(None))):
            continue
        if getattr(type(o), "__array_ufunc__", None) is not None or hasattr(
                type(o), "__array_function__"):
            return True
    return False


def array_ufunc(ufunc, method, inputs, kwargs):
    """Tensor.__array_ufunc__: see the module doc."""
    outs = _given_out(kwargs.get("out"))
    if _foreign(inputs + (outs or ())):
        return NotImplemented
    live = _any_live(inputs)
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
    # NumPy computes it on the values
    if live:
        if outs is not None or not _ufunc_value_free(ufunc, method):
            _refuse(_method_name(ufunc, method), _why(ufunc, method, why))
    return _on_values(ufunc if method == "__call__" else getattr(ufunc, method), inputs, kwargs)


class _Named:
    """A stand-in callable for messages about a ufunc method (np.add.reduce)."""

    def __init__(self, ufunc, method):
        self.__name__ = f"{ufunc.__name__}.{method}"
        self.__module__ = "numpy" if getattr(np, ufunc.__name__, None) is ufunc else ""


def _method_name(ufunc, method):
    return ufunc if method == "__call__" else _Named(ufunc, method)


def _why(ufunc, method, why):
    if why is None or why == method:
        return None
    return f"tapegrad cannot differentiate {np_name(_method_name(ufunc, method))} with {why}"


def _ufunc_value_free(ufunc, method):
    """Whether the ufunc's results on float64 operands are integers or booleans
    (np.isnan, np.greater: computed on the values, never recorded)."""
    if method not in ("__call__", "outer", "accumulate", "reduce", "reduceat"):
        return False
    for t in ufunc.types:
        ins, _, outs = t.partition("->")
        if ins == "d" * ufunc.nin:
            return all(c in "?bBhHiIlLqQ" for c in outs)
    return True          # no float loop: NumPy refuses the floats itself


def _ufunc_kwargs(ufunc, kw, allowed=()):
    """Pop and check the keywords every ufunc method shares."""
    out = _given_out(kw.pop("out", None))
    dtype = _float_dtype(ufunc, kw.pop("dtype", None))
    for k, default in _UFUNC_IGNORED.items():
        if k in kw and kw[k] != default and k != "order" and k != "casting":
            raise _Unsupported(f"{k}={kw[k]!r}")
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


def _ufunc_reduce(ufunc, inputs, kw):
    name = REDUCE.get(ufunc.__name__)
    if name is None or getattr(np, ufunc.__name__, None) is not ufunc \
            or public_entries().get(name) is None:
        raise _Unsupported("reduce")
    axis = _axis_arg(kw)
    keepdims = bool(kw.pop("keepdims", False))
    out, dtype, extra = _ufunc_kwargs(ufunc, kw, ("initial", "where"))
    res = reduction(ufunc, name, inputs[0], axis, keepdims, dtype,
                    extra.get("initial", _NOVALUE), extra.get("where", True))
    return _write_out(ufunc, res, out) if out is not None else res


def reduction(fn, name, x, axis, keepdims, dtype, initial=_NOVALUE, where=True):
    """Reduction entry ``name`` with NumPy's dtype=, initial= and where=:
    masked-out elements are replaced by the reduction's identity (left out of
    a mean), ``initial`` combined into the result."""
    entry = public_entries()[name]
    x = arg(x)
    if dtype is not None:
        x = _cast(x, dtype)
    if not _is_default_where(where):
        mask = np.broadcast_to(np.asarray(_values(where), dtype=bool), x.shape)
        if name == "mean":
            if initial is not _NOVALUE:
                raise _Unsupported("initial=")
            total = REGISTRY["sum"].public(REGISTRY["where"].public(mask, x, 0.0), axis, keepdims)
            count = np.sum(mask, axis=axis, keepdims=keepdims).astype(x.dtype)
            return REGISTRY["divide"].public(total, count)
        if name not in IDENTITY:
            raise _Unsupported("where=")
        if name in ("max", "min") and initial is _NOVALUE:
            raise ValueError(f"reduction operation '{'maximum' if name == 'max' else 'minimum'}' "
                             f"does not have an identity, so to use a where mask one has to "
                             f"specify 'initial'")
        x = REGISTRY["where"].public(mask, x, IDENTITY[name])
    res = entry.public(x, axis=axis, keepdims=keepdims)
    if initial is _NOVALUE or initial is None:
        return res
    combine = {"sum": "add", "prod": "multiply", "max": "maximum", "min": "minimum"}.get(name)
    if combine is None:
        raise _Unsupported("initial=")
    return REGISTRY[combine].public(res, initial)


def _ufunc_accumulate(ufunc, inputs, kw):
    if getattr(np, ufunc.__name__, None) is not ufunc:
        raise _Unsupported("accumulate")
    axis = _axis_arg(kw)
    out, dtype, _ = _ufunc_kwargs(ufunc, kw)
    x = arg(inputs[0])
    if dtype is not None:
        x = _cast(x, dtype)
    if len(x.shape) == 0:
        raise _Unsupported("a 0-d operand")
    name = ACCUMULATE.get(ufunc.__name__)
    if name is not None and public_entries().get(name) is not None:
        res = public_entries()[name].public(x, axis=axis)
    elif ufunc.__name__ in ("maximum", "minimum"):
        res = running_extreme(x, axis, ufunc.__name__ == "maximum")
    else:
        raise _Unsupported("accumulate")
    return _write_out(ufunc, res, out) if out is not None else res


def running_extreme(x, axis, greatest):
    """np.maximum.accumulate (greatest) or np.minimum.accumulate along axis,
    as indexing: element i takes the value of the running extreme's
    position, so the gradient goes there (the first position among ties; a
    NaN, once met, stays the extreme as in NumPy)."""
    v = x._data if isinstance(x, TensorBase) else np.asarray(x)
    axis = int(axis) % v.ndim
    ext = (np.maximum if greatest else np.minimum).accumulate(v, axis=axis)
    first = np.full_like(np.take(v, [0], axis=axis), -np.inf if greatest else np.inf)
    prev = np.concatenate([first, np.delete(ext, -1, axis=axis)], axis=axis)
    better = (v > prev) if greatest else (v < prev)
    better |= np.isnan(v) & ~np.isnan(prev)
    shape = [1] * v.ndim
    shape[axis] = v.shape[axis]
    pos = np.arange(v.shape[axis]).reshape(shape)
    where = np.maximum.accumulate(np.where(better, pos, 0), axis=axis)
    index = list(np.indices(v.shape, sparse=True))
    index[axis] = where
    return REGISTRY["getitem"].public(x, tuple(index))


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


def _on_values(fn, args, kwargs):
    """fn computed by NumPy on the values (tensors in out= receive the result
    in place, their version bumped)."""
    kw = dict(kwargs)
    out_tensors = []
    if "out" in kw and kw["out"] is not None:
        out_tensors = list(_tensors(kw["out"]))
        kw["out"] = _values(kw["out"], writable=True)
    res = fn(*_values(args), **_values(kw))
    for t in out_tensors:
        t._ver.n += 1
    if out_tensors:
        outs = kwargs["out"]
        return outs[0] if isinstance(outs, tuple) and len(outs) == 1 else outs
    return res


# ---- __array_function__ -------------------------------------------------------------
class _Plan:
    """How a NumPy function's arguments become an entry's public function's:
    NumPy's names, renamed where the entry's parameter at that position has
    another name (``a`` -> ``x``, ``arrays`` -> ``tensors``)."""

    def __init__(self, fn, public, entry_name):
        self.np_sig = _signature(fn)
        self.tg_sig = _signature(public)
        self.rename = {}
        self.defaults = {}
        if self.np_sig is None or self.tg_sig is None:
            return
        np_params = list(self.np_sig.parameters.values())
        tg_params = list(self.tg_sig.parameters.values())
        tg_names = {p.name for p in tg_params}
        np_names = {p.name for p in np_params}
        self.tg_var_kw = any(p.kind is p.VAR_KEYWORD for p in tg_params)
        tg_positional = [p.name for p in tg_params
                         if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                       p.VAR_POSITIONAL)]
        extra = KEYWORDS.get(entry_name, {})
        for i, p in enumerate(np_params):
            if p.kind is p.VAR_KEYWORD:
                continue
            self.defaults[p.name] = p.default
            if p.name in extra:
                self.rename[p.name] = extra[p.name]
            elif p.name in tg_names:
                self.rename[p.name] = p.name
            elif (p.kind is not p.KEYWORD_ONLY and i < len(tg_positional)
                  and tg_positional[i] not in np_names):
                self.rename[p.name] = tg_positional[i]
        self.tg_params = tg_params

    def bind(self, args, kwargs):
        """NumPy's arguments by NumPy's names, in its order (keywords of
        a ``**kwargs`` parameter included)."""
        if self.np_sig is None:
            raise _Unsupported("arguments")
        given = dict(self.np_sig.bind(*args, **kwargs).arguments)
        for p in self.np_sig.parameters.values():
            if p.kind is p.VAR_KEYWORD and p.name in given:
                given.update(given.pop(p.name))
        return given

    def call(self, public, mapped):
        """public(...) with the mapped arguments: positionally while the
        entry's parameters come in order, by keyword after that."""
        if self.tg_sig is None:
            raise _Unsupported("arguments")
        pos, kw, in_order = [], {}, True
        left = dict(mapped)
        for p in self.tg_params:
            if p.name not in left:
                if p.kind is not p.VAR_POSITIONAL:
                    in_order = False
                continue
            v = left.pop(p.name)
            if p.kind is p.VAR_POSITIONAL:
                if not in_order:
                    raise _Unsupported(p.name)
                pos.extend(v if isinstance(v, (tuple, list)) else (v,))
            elif p.kind is p.POSITIONAL_ONLY or (in_order and p.kind is p.POSITIONAL_OR_KEYWORD):
                if not in_order:
                    raise _Unsupported(p.name)
                pos.append(v)
            else:
                kw[p.name] = v
        kw.update(left)
        try:
            self.tg_sig.bind(*pos, **kw)
        except TypeError:
            raise _Unsupported("these arguments") from None
        return public(*pos, **kw)


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


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
    live = _any_live(args, kwargs)
    entry = entry_for(func)
    why = None
    if entry is not None:
        try:
            return _function_call(func, entry, args, kwargs)
        except _Unsupported as e:
            why = e.args[0] if e.args else None
    elif name in CONSTANT and _numpy_callable(func):
        return _constant(func, args, kwargs)
    if live:
        if name in WRITES or _given_out(kwargs.get("out")) is not None:
            _refuse(func, "it writes into an array, which would hold the values without "
                          "their gradient" if name in WRITES else None)
    res = _on_values(func, args, kwargs)
    if live and not value_free(res) and not (res is None and name in SINKS):
        _refuse(func, None if why is None else
                f"{alternative(func) or 'tapegrad'} does not take {why}")
    return res


def _function_call(func, entry, args, kwargs):
    plan = _plan(func, entry)
    given = plan.bind(args, kwargs)
    out = _given_out(given.pop("out", None))
    dtype = _float_dtype(func, given.pop("dtype", None))
    initial = given.pop("initial", _NOVALUE) if entry.name in IDENTITY or \
        entry.name == "mean" else _NOVALUE
    where = given.pop("where", True) if entry.name in IDENTITY or entry.name == "mean" else True
    mapped = {}
    for k, v in given.items():
        t = plan.rename.get(k)
        if t is None:
            if _same(v, plan.defaults.get(k, _NOVALUE)):
                continue            # NumPy's default, which the entry's behaviour is
            raise _Unsupported(f"{k}=")
        mapped[t] = v
    if initial is not _NOVALUE or not _is_default_where(where):
        first = plan.tg_params[0].name
        res = reduction(func, entry.name, mapped.pop(first), mapped.pop("axis", None),
                        bool(mapped.pop("keepdims", False)), dtype, initial, where)
        if mapped:
            raise _Unsupported(f"{next(iter(mapped))}=")
    else:
        if dtype is not None:
            first = plan.tg_params[0].name
            mapped = {k: _cast(v, dtype) if k == first or isinstance(v, TensorBase) else v
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
        sig = _signature(func).bind(*args, **kwargs).arguments
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
