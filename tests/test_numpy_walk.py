"""Every public NumPy callable, applied to a tensor being differentiated.

The walk goes through ``dir(numpy)``, ``numpy.linalg`` and ``numpy.fft``
(classes, constants, submodules and the names in SKIPPED, each with its
reason, left out) and calls each function with a handful of argument
patterns, the tensor standing for one array argument.  Where NumPy's own
function accepts the pattern (on plain arrays), the call on a variable
inside ``record()`` must either

* raise ``TypeError`` (tapegrad cannot differentiate it: the message names
  the function and the way out), or
* return results whose float values are recorded tensors, with the value of
  NumPy's function and a gradient equal to float64 central differences of
  NumPy's function (a random weighting of every float output), and whose
  other values carry no floats (integers, booleans, shapes: plain arrays).

A float ndarray (or float scalar) handed back while the input is being
differentiated fails the test -- unless central differences show it does
not depend on the input at all (then nothing was dropped).  So the walk
covers functions added to the registry later without an edit here.
"""
import inspect
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd, errors

# ---- what the walk leaves out, and why ------------------------------------------
SKIPPED = {
    # files and printing: side effects outside the process's arrays
    "load": "I/O", "loadtxt": "I/O", "save": "I/O", "savez": "I/O",
    "savez_compressed": "I/O", "savetxt": "I/O", "genfromtxt": "I/O", "fromfile": "I/O",
    "fromregex": "I/O", "fromstring": "I/O (parses text)", "info": "I/O (prints)",
    "show_config": "I/O (prints)", "show_runtime": "I/O (prints)",
    # process-wide state: changing it would leak into the other tests
    "seterr": "global state", "seterrcall": "global state", "setbufsize": "global state",
    "set_printoptions": "global state", "printoptions": "global state",
    "add_docstring": "writes docstrings", "add_newdoc": "writes docstrings",
    "add_newdoc_ufunc": "writes docstrings", "test": "runs NumPy's test suite",
    # the explicit ways out: conversion to NumPy, documented to drop history
    # (NumPy does not dispatch them: only like= would)
    "array": "explicit conversion (the way out)", "asarray": "explicit conversion (the way out)",
    "asanyarray": "explicit conversion (the way out)",
    "ascontiguousarray": "explicit conversion (the way out)",
    "asfortranarray": "explicit conversion (the way out)",
    "from_dlpack": "explicit conversion (DLPack)", "frombuffer": "explicit conversion (buffer)",
    "fromiter": "explicit conversion (iterates the tensor into floats)",
    "asarray_chkfinite": "explicit conversion (np.asarray with a check; not dispatched)",
    "require": "explicit conversion (np.asanyarray with flags; not dispatched)",
    "asmatrix": "explicit conversion to np.matrix (not dispatched)",
    "bmat": "builds an np.matrix from strings or nested lists (not dispatched)",
    # not array functions: NumPy reads ndarray internals or takes type codes
    "isfortran": "reads ndarray.flags (not dispatched); says nothing about values",
    "mintypecode": "takes type-code characters, not arrays",
    "empty_like": "uninitialized values: nothing to compare (tapegrad gives a constant "
                  "tensor, tested in test_protocols.py)",
    # deprecated in NumPy 2.x (warn on use)
    "row_stack": "deprecated (NumPy 2.0)",
}

# ---- where tapegrad's function is right but differs from NumPy's by design --------
#: Functions allowed to refuse a pattern with tapegrad's own explicit error
#: (a TapegradError naming the problem) where NumPy accepts it.
EXPLICIT_ERRORS = {
    name: "takes a complex spectrum: tapegrad holds complex arrays as real tensors with a "
          "last axis of size 2 (tg.fft's convention), so a real tensor is refused, naming it"
    for name in ("np.fft.hfft", "np.fft.irfft", "np.fft.irfft2", "np.fft.irfftn")
}
#: Functions of a symmetric matrix: NumPy reads one triangle (its central
#: differences put the whole derivative there), tapegrad's gradient is
#: symmetric (as JAX's): equal along every symmetric direction, so the
#: symmetric parts are compared.
SYMMETRIC = ("np.linalg.cholesky", "np.linalg.eigh", "np.linalg.eigvalsh")
#: (function, pattern) pairs not compared, with the reason.
NOT_COMPARED = {
    ("np.tril", "x,0.5"): "1-D input with a fractional k: NumPy's tri() receives (4, 0.5) "
                          "as (N, M), an undocumented corner; tapegrad's k is an integer",
    ("np.triu", "x,0.5"): "as np.tril",
}


# ---- argument patterns: (label, input array, build(x) -> (args, kwargs)) --------
_V = np.array([0.31, 0.47, 0.62, 0.78])          # positive, < 1, distinct: most domains
_M = np.array([[1.9, 0.2, 0.1], [0.2, 1.6, 0.3], [0.1, 0.3, 1.2]])   # SPD, distinct eigenvalues


def _c4():
    return np.array([0.53, -0.21, 0.34, 0.12])


def _v3():
    return np.array([0.4, -0.7, 0.25])


PATTERNS = [
    ("x", _V, lambda x: ((x,), {})),
    ("x,x", _V, lambda x: ((x, x), {})),
    ("x,c", _V, lambda x: ((x, _c4()), {})),
    ("c,x", _V, lambda x: ((_c4(), x), {})),
    ("x,2", _V, lambda x: ((x, 2), {})),
    ("x,0.5", _V, lambda x: ((x, 0.5), {})),
    ("x,axis=0", _V, lambda x: ((x,), {"axis": 0})),
    ("[x,c]", _V, lambda x: (([x, _c4()],), {})),
    ("cond,x,c", _V, lambda x: ((np.array([True, False, True, False]), x, _c4()), {})),
    ("subscripts,x,x", _V, lambda x: (("i,i", x, x), {})),
    ("M", _M, lambda x: ((x,), {})),
    ("M,M", _M, lambda x: ((x, x), {})),
    ("M,v", _M, lambda x: ((x, _v3()), {})),
    ("M,2", _M, lambda x: ((x, 2), {})),
    ("M,axis=1", _M, lambda x: ((x,), {"axis": 1})),
    ("[M,M]", _M, lambda x: (([x, x],), {})),
]


#: Patterns whose tensor sits inside a list: NumPy hands such a list to
#: np.asarray itself unless the function's dispatcher looks into it
#: (concatenate, stack, block... do; ufuncs, sum, mean... do not), and
#: np.asarray(t) is the documented explicit way out, so those calls never
#: reach tapegrad (a limitation of NumPy's protocols, documented in
#: ops/protocols.py; tg.array([x, c]) is the recorded way).
LIST_PATTERNS = ("[x,c]", "[M,M]")


class _Consulted:
    """Counts the calls of the tensor's NumPy protocols inside the block."""

    def __enter__(self):
        self.n = 0
        self._saved = (tg.Tensor.__array_ufunc__, tg.Tensor.__array_function__)
        ufunc, function = self._saved

        def counted_ufunc(*a, **kw):
            self.n += 1
            return ufunc(*a, **kw)

        def counted_function(*a):
            self.n += 1
            return function(*a)
        tg.Tensor.__array_ufunc__, tg.Tensor.__array_function__ = counted_ufunc, counted_function
        return self

    def __exit__(self, *exc):
        tg.Tensor.__array_ufunc__, tg.Tensor.__array_function__ = self._saved
        return False


def _public(mod, prefix):
    for name in sorted(dir(mod)):
        if name.startswith("_") or name in SKIPPED:
            continue
        obj = getattr(mod, name)
        if isinstance(obj, type) or inspect.ismodule(obj) or not callable(obj):
            continue        # classes (dtypes, scalar types, vectorize...), submodules, constants
        yield prefix + name, obj


FUNCTIONS = (list(_public(np, "np.")) + list(_public(np.linalg, "np.linalg."))
             + list(_public(np.fft, "np.fft.")))


# ---- flattening results --------------------------------------------------------
def _leaves(res):
    if isinstance(res, (tuple, list)):
        out = []
        for r in res:
            out.extend(_leaves(r))
        return out
    return [res]


def _is_float(v):
    if isinstance(v, tg.Tensor):
        return True
    if isinstance(v, (np.ndarray, np.generic)):
        return v.dtype.kind in "fc"
    return isinstance(v, (float, complex))


def _oracle(fn, build, xv):
    """NumPy's function on plain arrays (a fresh copy each call)."""
    args, kw = build(np.array(xv, dtype=np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return fn(*args, **kw)


def _fd(fn, build, xv, weights, eps=1e-6):
    """Central differences of sum_k <w_k, output k> of NumPy's function
    (``weights``: output index -> weight)."""
    def s(v):
        leaves = _leaves(_oracle(fn, build, v))
        total = 0.0
        for k, w in weights.items():
            leaf = np.asarray(leaves[k], dtype=np.float64)
            if leaf.shape != np.shape(w):
                return np.nan      # the output's shape jumps here (np.unique at a tie)
            total += float(np.sum(w * leaf))
        return total
    g = np.zeros_like(xv)
    for i in np.ndindex(xv.shape):
        xp, xm = xv.copy(), xv.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (s(xp) - s(xm)) / (2 * eps)
    return g


def _check_pattern(name, fn, label, xv, build):
    """None when the pattern passes (or NumPy rejects it), else a message."""
    if (name, label) in NOT_COMPARED:
        return None
    try:
        want = _oracle(fn, build, xv)
    except Exception:           # NumPy rejects this pattern: nothing to compare
        return None
    want_leaves = _leaves(want)
    complex_out = any(np.iscomplexobj(v) for v in want_leaves
                      if isinstance(v, (np.ndarray, np.generic, complex)))
    # outside the function's domain (NaN, inf): values and gradients are not
    # compared, but the result must still be recorded or refused
    finite = all(np.all(np.isfinite(v)) for v in want_leaves
                 if _is_float(v) and not np.iscomplexobj(v))
    x = tg.array(xv)
    x.attach_grad()
    rng = np.random.default_rng(len(name) + 7 * len(label))
    recorded, detached = {}, {}             # NumPy's output index -> weight
    s = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.record():
            args, kw = build(x)
            try:
                with _Consulted() as asked:
                    got = fn(*args, **kw)
            except TypeError:
                return None         # refused: nothing returned, nothing dropped
            except errors.TapegradError:
                if name in EXPLICIT_ERRORS:
                    return None     # refused explicitly, see EXPLICIT_ERRORS
                raise
            except Exception as e:  # noqa: BLE001  (reported, not swallowed)
                return (f"{label}: NumPy accepts this pattern but the tensor call raised "
                        f"{type(e).__name__}: {e}")
            if not asked.n and label in LIST_PATTERNS:
                # NumPy converted the list (np.asarray) before asking any
                # protocol: see test_protocols.py's test of this limitation.
                return None
            got_leaves = _leaves(got)
            if len(got_leaves) != len(want_leaves):
                return f"{label}: {len(got_leaves)} results, NumPy gives {len(want_leaves)}"
            for k, (g, w) in enumerate(zip(got_leaves, want_leaves)):
                if not _is_float(g):
                    if _is_float(w):
                        return f"{label}: output {k} is {type(g).__name__}, NumPy's is float"
                    continue
                wk = rng.standard_normal(np.shape(w))
                if not isinstance(g, tg.Tensor):
                    detached[k] = wk
                    continue
                recorded[k] = wk
                if complex_out or not finite:
                    continue
                if not np.allclose(g.asnumpy(), w, rtol=1e-9, atol=1e-12):
                    return f"{label}: output {k} value {g.asnumpy()} != NumPy's {w}"
                term = tg.sum(g * wk)
                s = term if s is None else s + term
    if complex_out or not finite:
        if detached:
            return f"{label}: outputs {sorted(detached)} returned as plain NumPy values"
        return None
    if detached:
        # plain float results: allowed only when they do not depend on x
        dep = _fd(fn, build, xv, detached)
        if not np.all(np.abs(dep) <= 1e-7):
            return (f"{label}: float outputs {sorted(detached)} came back as plain NumPy values "
                    f"although they depend on the differentiated input (silently detached)")
    want_grad = _fd(fn, build, xv, recorded)
    got_grad = np.zeros_like(xv)
    if s is not None and s._tape is not None:
        s.backward()
        got_grad = x.grad.asnumpy()
    if name in SYMMETRIC and xv.ndim == 2:
        got_grad, want_grad = got_grad + got_grad.T, want_grad + want_grad.T
    # where NumPy's output jumps (np.unique at a tie) central differences are
    # NaN: no derivative there to compare with
    defined = np.isfinite(want_grad)
    got_grad, want_grad = got_grad[defined], want_grad[defined]
    scale = 1.0 + float(np.max(np.abs(want_grad), initial=0.0))
    if not np.allclose(got_grad, want_grad, rtol=1e-5, atol=2e-6 * scale):
        return (f"{label}: gradient {got_grad.tolist()} != central differences of NumPy's "
                f"function {want_grad.tolist()}")
    return None


@pytest.mark.parametrize("name, fn", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_numpy_callable_records_or_raises(name, fn):
    problems = [p for label, xv, build in PATTERNS
                if (p := _check_pattern(name, fn, label, xv, build)) is not None]
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


def test_the_walk_covers_numpy():
    """The walk is not vacuous: it reaches hundreds of NumPy callables,
    including the ones tapegrad maps."""
    names = {n for n, _ in FUNCTIONS}
    assert len(names) > 400
    for n in ("np.exp", "np.sum", "np.dot", "np.concatenate", "np.where", "np.linalg.norm",
              "np.fft.rfft", "np.sort", "np.argmax"):
        assert n in names
