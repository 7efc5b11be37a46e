"""Fitting with SciPy: ``tapegrad.optimize.minimize``.

    import tapegrad as tg
    from tapegrad.optimize import minimize

    def loss(p, X, y):                      # p arrives as a dict of tensors
        z = X @ p["w"] + p["b"]
        return tg.sum(tg.log(1 + tg.exp(-tg.abs(z))) + tg.maximum(z, 0) - y * z)

    res = minimize(loss, {"w": np.zeros(30), "b": 0.0}, args=(X, y))
    res.x["w"], res.fun, res.nfev

Why it is built this way:

* SciPy works on one flat float64 vector; the caller's parameters are an
  array or a tuple/list/dict of arrays (nested freely).  ``_Tree`` records
  that structure once, so every evaluation splits the flat vector into
  float64 leaves, ``fun`` sees the caller's structure as tensors, and
  ``result.x`` comes back in that structure and in each leaf's own dtype.
* SciPy asks for the value and the gradient at the same point through two
  calls.  ``_Objective`` keeps the last point's value and gradient, both from
  one ``tg.value_and_grad`` sweep, so the second call is free: SciPy's
  ``nfev`` is the number of sweeps.
* Second derivatives come from the tape too: ``hessp`` from ``tg.hvp`` for
  Newton-CG, trust-ncg, trust-krylov and trust-constr, ``hess`` from
  ``tg.hessian`` for dogleg and trust-exact (they need the matrix), and the
  Jacobians of nonlinear constraints from ``tg.jacobian``.
* What evaluates the function is an "evaluator" (``_Local`` here); the
  chunked objective of ``tapegrad.dask`` is another one, so both share this
  module's flattening, caching, checks and progress reports.

SciPy is imported at the top: this module is imported only by users who ask
for it (extra ``tapegrad[optimize]``); ``import tapegrad`` never imports it.
"""
from __future__ import annotations

import inspect
import logging
import numbers
import sys
from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import scipy.optimize as _sopt
from scipy.optimize import (HessianUpdateStrategy, LinearConstraint, NonlinearConstraint,
                            OptimizeResult)

import tapegrad as tg
from tapegrad.errors import DTypeError, ShapeError, TapegradError

__all__ = ["minimize", "NonFiniteError", "METHODS"]

#: the parameters: an array (a tensor, a NumPy array, a list of numbers), or
#: a tuple, list or dict of them, nested as you like; checked at run time
#: (``_Tree``).  Any for type checkers: a dict literal mixing arrays and
#: numbers, ``{"w": np.zeros(3), "b": 0.0}``, is inferred as
#: ``dict[str, object]``, which no precise alias would accept.
Params: TypeAlias = Any

log = logging.getLogger(__name__)

#: Every ``method`` that ``minimize`` accepts (SciPy's names); a callable
#: (a custom SciPy method) is accepted too and gets ``jac`` and ``hessp``.
METHODS = ("L-BFGS-B", "BFGS", "CG", "Newton-CG", "TNC", "SLSQP", "trust-constr",
           "dogleg", "trust-ncg", "trust-exact", "trust-krylov",
           "Nelder-Mead", "Powell", "COBYLA", "COBYQA")
_VALUE_ONLY = {"nelder-mead", "powell", "cobyla", "cobyqa"}     # no derivatives used
_HESSP = {"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"}
_HESS = {"dogleg", "trust-exact"}                               # need the whole matrix


class NonFiniteError(TapegradError, FloatingPointError):
    """The loss, its gradient or its Hessian is NaN or infinite during a fit."""


_HINT = ("Check the model's domain (log or sqrt of a non-positive number, overflow in exp), "
         "add bounds, or start closer to the solution")


# ---- the caller's parameter structure -------------------------------------------
def _is_number_list(node):
    """A list/tuple of numbers (nested: a matrix as lists) is one array, as in
    SciPy's ``x0=[-1.2, 1.0]``; a list/tuple holding arrays is a structure."""
    return isinstance(node, (list, tuple)) and len(node) > 0 and all(
        isinstance(e, numbers.Number) or _is_number_list(e) for e in node)


def _leaf_array(node, path):
    data = node.asnumpy() if isinstance(node, tg.Tensor) else np.asarray(node)
    if data.dtype.kind in "biu":
        return data.astype(np.float64)
    if data.dtype not in (np.float32, np.float64):
        raise DTypeError(f"parameter {path} has dtype {data.dtype}: tapegrad fits float32 or "
                         f"float64 parameters (integers and booleans become float64)")
    return data


class _Tree:
    """The structure of the caller's parameters (metadata only, picklable).

    Leaves are numbered in order: tuple/list order, dict insertion order,
    depth first; the flat vector is each leaf raveled in C order, one after
    another (this is also the order of SciPy's flat ``bounds``, ``jac`` and
    ``hess_inv``)."""

    def __init__(self, x0, name="x"):
        self.paths, self.shapes, self.dtypes, leaves = [], [], [], []
        self.spec = self._build(x0, name, leaves)
        if not leaves:
            raise ValueError(f"{name} holds no parameters: give an array, or a tuple, list "
                             f"or dict of arrays")
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self.size = int(self.offsets[-1])
        self.x0 = self.flatten(leaves)

    def _build(self, node, path, leaves):
        if isinstance(node, dict):
            return ("dict", type(node), [(k, self._build(v, f"{path}[{k!r}]", leaves))
                                         for k, v in node.items()])
        if isinstance(node, (list, tuple)) and not _is_number_list(node):
            return ("seq", type(node), [self._build(v, f"{path}[{i}]", leaves)
                                        for i, v in enumerate(node)])
        data = _leaf_array(node, path)
        leaves.append(data)
        self.paths.append(path)
        self.shapes.append(data.shape)
        self.dtypes.append(data.dtype)
        return ("leaf", len(leaves) - 1)

    @property
    def n_leaves(self):
        return len(self.paths)

    def rebuild(self, leaves, spec=None):
        """The caller's structure with these leaves (tensors or arrays) in it."""
        kind, *rest = spec or self.spec
        if kind == "leaf":
            return leaves[rest[0]]
        cls, children = rest
        if kind == "dict":
            return cls((k, self.rebuild(leaves, c)) for k, c in children)
        built = [self.rebuild(leaves, c) for c in children]
        return cls(*built) if hasattr(cls, "_fields") else cls(built)   # namedtuples too

    def leaves_of(self, struct, what, spec=None, out=None):
        """The leaves of ``struct``, which must have this structure."""
        spec, out = spec or self.spec, [] if out is None else out
        kind, *rest = spec
        if kind == "leaf":
            out.append(struct)
        elif kind == "dict":
            if not isinstance(struct, dict) or list(struct) != [k for k, _ in rest[1]]:
                raise ShapeError(f"{what} must be a dict with the keys {[k for k, _ in rest[1]]}")
            for k, c in rest[1]:
                self.leaves_of(struct[k], what, c, out)
        else:
            if not isinstance(struct, (list, tuple)) or len(struct) != len(rest[1]):
                raise ShapeError(f"{what} must be a {rest[0].__name__} of {len(rest[1])} entries")
            for s, c in zip(struct, rest[1]):
                self.leaves_of(s, what, c, out)
        return out

    def split(self, flat):
        """Float64 leaves (views of ``flat``) in their shapes."""
        flat = np.asarray(flat, dtype=np.float64)
        return [flat[a:b].reshape(s) for a, b, s in zip(self.offsets, self.offsets[1:],
                                                         self.shapes)]

    def flatten(self, leaves):
        return np.concatenate([np.asarray(l, dtype=np.float64).ravel() for l in leaves]) \
            if leaves else np.zeros(0)

    def unflatten(self, flat):
        """The caller's structure of NumPy arrays, each leaf in its own dtype."""
        return self.rebuild([l.astype(d) if l.ndim else d.type(l)
                             for l, d in zip(self.split(np.array(flat, dtype=np.float64)),
                                             self.dtypes)])

    def where(self, flat_index):
        """'x['w'][2, 1]' for an index into the flat vector."""
        k = int(np.searchsorted(self.offsets, flat_index, side="right") - 1)
        if not self.shapes[k]:
            return self.paths[k]
        idx = np.unravel_index(flat_index - self.offsets[k], self.shapes[k])
        return f"{self.paths[k]}[{', '.join(str(int(i)) for i in idx)}]"

    def bad_entries(self, flat):
        """Text naming the parameters whose entries of ``flat`` are NaN/inf."""
        bad = np.flatnonzero(~np.isfinite(flat))
        parts = []
        for k, (a, b) in enumerate(zip(self.offsets, self.offsets[1:])):
            mine = bad[(bad >= a) & (bad < b)]
            if mine.size:
                parts.append(f"{self.where(mine[0])} ({flat[mine[0]]}"
                             + (f"; {mine.size} of {b - a} entries of {self.paths[k]})"
                                if mine.size > 1 else ")"))
        return ", ".join(parts)


def _scalar_check(out, who):
    shape = tuple(getattr(out, "shape", np.shape(out)))
    if int(np.prod(shape)) != 1:
        dtype = getattr(out, "dtype", type(out).__name__)
        raise ShapeError(
            f"{who}: fun must return a scalar (the loss to minimize), but it returned shape "
            f"{shape} ({dtype}): reduce it, e.g. return the sum of the squared residuals "
            f"(for a least-squares fit of a residual vector, scipy.optimize.least_squares "
            f"takes the vector itself)")
    return out


def _flat_fun(fun, tree, args, who):
    """fun as a function of the leaves (tensors), checked to return a scalar."""
    def g(*leaves):
        return _scalar_check(fun(tree.rebuild(list(leaves)), *args), who)
    return g


def _from_flat_tensor(g, tree):
    """g of the leaves, as a function of one flat tensor (for tg.hessian)."""
    def h(z):
        return g(*[z[a:b].reshape(s) for a, b, s in zip(tree.offsets, tree.offsets[1:],
                                                          tree.shapes)])
    return h


class _Local:
    """Evaluates fun(x, *args) in this process with tapegrad."""

    def __init__(self, fun, tree, args, who):
        self.tree = tree
        self.g = _flat_fun(fun, tree, args, who)
        self.vg = tg.value_and_grad(self.g, argnums=tuple(range(tree.n_leaves)))
        self._hvp_key = self._hvp_fn = None

    def _grads(self, *leaves):
        return tuple(self.vg(*leaves)[1])

    def value(self, leaves):
        return float(self.g(*[tg.array(l) for l in leaves]))

    def value_and_grad(self, leaves):
        value, grads = self.vg(*leaves)
        return float(value), [np.asarray(g) for g in grads]

    def hvp(self, leaves, vs):
        # Newton-type methods ask for many products at one point: record the
        # gradient there once (tg.vjp over tg.value_and_grad: reverse over
        # reverse, as tg.hvp does) and sweep its graph back once per vector
        # (H is symmetric, so v^T H = H v).
        key = self.tree.flatten(leaves).tobytes()
        if key != self._hvp_key:
            self._hvp_key = None
            # copies: the kept graph must not see SciPy reuse its x buffer
            _, self._hvp_fn = tg.vjp(self._grads, *[np.array(l) for l in leaves])
            self._hvp_key = key
        out = self._hvp_fn(tuple(vs))
        return [np.asarray(h) for h in out]

    def hessian(self, flat):
        return np.asarray(tg.hessian(_from_flat_tensor(self.g, self.tree))(flat))


# ---- the objective SciPy sees --------------------------------------------------------
class _Objective:
    """fun / jac / hessp / hess over SciPy's flat float64 vector, with one
    cached value-and-gradient sweep per point and NaN/inf checks that name
    the iteration and the parameter."""

    def __init__(self, evaluator, tree, who):
        self.ev, self.tree, self.who = evaluator, tree, who
        self.n_sweeps = self.n_values = self.n_hvp = self.n_hess = 0
        self.iterations = 0                 # completed, as counted by the callback
        self._key = self._cached = None

    # where an evaluation happens, for error messages
    def _where(self):
        evals = self.n_sweeps + self.n_values
        if evals <= 1 and self.iterations == 0:
            return "at x0 (the first evaluation)"
        return f"in iteration {self.iterations + 1} (evaluation {evals})"

    def _check(self, what, values):
        if np.all(np.isfinite(values)):
            return
        raise NonFiniteError(f"{self.who}: {what} is not finite {self._where()}: "
                             f"{self.tree.bad_entries(values)}. {_HINT}")

    def value_and_grad(self, x):
        key = x.tobytes()
        if key != self._key:
            self._key = None
            value, grads = self.ev.value_and_grad(self.tree.split(x))
            self.n_sweeps += 1
            grad = self.tree.flatten(grads)
            if not np.isfinite(value):
                bad = (f"; the gradient is not finite at {self.tree.bad_entries(grad)}"
                       if not np.all(np.isfinite(grad)) else "")
                raise NonFiniteError(f"{self.who}: the loss is {value} {self._where()}{bad}. "
                                     f"{_HINT}")
            self._check("the gradient", grad)
            self._key, self._cached = key, (value, grad)
        return self._cached

    def fun(self, x):
        return self.value_and_grad(x)[0]

    def jac(self, x):
        return self.value_and_grad(x)[1].copy()

    def value(self, x):
        """For derivative-free methods: the value alone, no sweep."""
        if x.tobytes() == self._key:
            return self._cached[0]
        value = self.ev.value(self.tree.split(x))
        self.n_values += 1
        if not np.isfinite(value):
            raise NonFiniteError(f"{self.who}: the loss is {value} {self._where()}. {_HINT}")
        return value

    def hessp(self, x, p):
        self.n_hvp += 1
        hp = self.tree.flatten(self.ev.hvp(self.tree.split(x), self.tree.split(p)))
        self._check("the Hessian-vector product", hp)
        return hp

    def hess(self, x):
        self.n_hess += 1
        h = self.ev.hessian(x).reshape(self.tree.size, self.tree.size)
        if not np.all(np.isfinite(h)):
            rows = np.flatnonzero(~np.all(np.isfinite(h), axis=1))
            raise NonFiniteError(f"{self.who}: the Hessian is not finite {self._where()} in the "
                                 f"rows of {', '.join(self.tree.where(r) for r in rows[:5])}. "
                                 f"{_HINT}")
        return h

    def grad_norm_at(self, x):
        if self._key is not None and np.asarray(x, dtype=np.float64).tobytes() == self._key:
            return float(np.linalg.norm(self._cached[1]))
        return None


# ---- bounds and constraints ---------------------------------------------------------
def _bounds(bounds, tree):
    """Bounds given in x0's structure (a (lb, ub) pair per leaf, None = no
    bound, scalars or arrays broadcast to the leaf) become scipy Bounds;
    anything else (a Bounds, or n flat (min, max) pairs) passes through."""
    if bounds is None or isinstance(bounds, _sopt.Bounds) or tree.spec[0] == "leaf":
        return bounds
    if tree.spec[0] == "seq" and len(bounds) != len(tree.spec[2]):
        return bounds                                # SciPy's flat sequence of pairs
    lb, ub = np.full(tree.size, -np.inf), np.full(tree.size, np.inf)
    pairs = _bound_pairs(bounds, tree.spec, "bounds", [])
    for k, pair in pairs:
        a, b, shape = tree.offsets[k], tree.offsets[k + 1], tree.shapes[k]
        if pair is None:
            continue
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise ShapeError(f"bounds for {tree.paths[k]} must be a (lower, upper) pair, "
                             f"got {pair!r}")
        for side, dest in zip(pair, (lb, ub)):
            if side is not None:
                dest[a:b] = np.broadcast_to(np.asarray(side, dtype=np.float64), shape).ravel()
    return _sopt.Bounds(lb, ub)


def _bound_pairs(bounds, spec, path, out):
    kind, *rest = spec
    if kind == "leaf":
        out.append((rest[0], bounds))
    elif kind == "dict":
        if not isinstance(bounds, dict):
            raise ShapeError(f"{path}: give bounds for a dict x0 as a dict with some of its keys")
        unknown = set(bounds) - {k for k, _ in rest[1]}
        if unknown:
            raise ShapeError(f"{path} has keys that x0 does not have: {sorted(map(repr, unknown))}")
        for k, c in rest[1]:
            _bound_pairs(bounds.get(k), c, f"{path}[{k!r}]", out)
    else:
        if bounds is None:
            bounds = [None] * len(rest[1])
        if len(bounds) != len(rest[1]):
            raise ShapeError(f"{path} must have {len(rest[1])} entries, like x0")
        for i, (b, c) in enumerate(zip(bounds, rest[1])):
            _bound_pairs(b, c, f"{path}[{i}]", out)
    return out


class _Constraint:
    """A constraint function of x0's structure, with its Jacobian (m, n) from the tape."""

    def __init__(self, fun, tree, args, who):
        self.tree, self.who = tree, who
        self.c = lambda *leaves: fun(tree.rebuild(list(leaves)), *args)
        self.jacobian = tg.jacobian(self.c, argnums=tuple(range(tree.n_leaves)))

    def fun(self, x):
        out = self.c(*[tg.array(l) for l in self.tree.split(x)])
        return np.asarray(out, dtype=np.float64).ravel() if np.ndim(out) else float(out)

    def jac(self, x):
        parts = self.jacobian(*self.tree.split(x))
        m = int(np.prod(np.shape(parts[0])[:np.ndim(parts[0]) - len(self.tree.shapes[0])]))
        return np.hstack([np.asarray(p, dtype=np.float64).reshape(m, s)
                          for p, s in zip(parts, self.tree.sizes)])


def _constraints(constraints, tree, who):
    single = isinstance(constraints, (dict, NonlinearConstraint, LinearConstraint))
    out = []
    for i, con in enumerate([constraints] if single else list(constraints or ())):
        if isinstance(con, dict):
            if con.get("jac") is not None:
                raise TypeError(f"{who}: constraint {i} has a 'jac': tapegrad differentiates "
                                f"the constraint itself, so give only 'type', 'fun' and 'args'")
            c = _Constraint(con["fun"], tree, tuple(con.get("args", ())), who)
            out.append({"type": con["type"], "fun": c.fun, "jac": c.jac})
        elif isinstance(con, NonlinearConstraint):
            if callable(con.jac):
                raise TypeError(f"{who}: NonlinearConstraint {i} has a jac function: tapegrad "
                                f"differentiates the constraint itself; leave jac at its default")
            c = _Constraint(con.fun, tree, (), who)
            out.append(NonlinearConstraint(c.fun, con.lb, con.ub, jac=c.jac, hess=con.hess,
                                           keep_feasible=con.keep_feasible))
        else:                         # LinearConstraint (flat matrix): SciPy's own
            out.append(con)
    return out


# ---- callbacks and progress ----------------------------------------------------------
def _accepts_result(callback):
    return set(inspect.signature(callback).parameters) == {"intermediate_result"}


class _Callback:
    """Counts iterations (for error messages), reports progress, and calls
    the user's callback with x in the caller's structure."""

    def __init__(self, objective, user, meth, progress, logger):
        self.obj, self.user, self.meth = objective, user, meth
        self.progress, self.log = progress, logger
        self.new_style = user is not None and _accepts_result(user)

    def __call__(self, intermediate_result):
        # SciPy passes an OptimizeResult (by this parameter's name), TNC the bare x.
        res = intermediate_result
        if not isinstance(res, OptimizeResult):
            res = OptimizeResult(x=np.asarray(res), fun=None)
        self.obj.iterations += 1
        if self.progress or self.log.isEnabledFor(logging.INFO):
            self.report(res)
        if self.user is None:
            return None
        x = self.obj.tree.unflatten(res.x)
        if self.new_style:
            mine = OptimizeResult(res)
            mine.x = x
            return self.user(intermediate_result=mine)
        if self.meth == "trust-constr":
            return self.user(x, res)
        return self.user(x)

    def report(self, res):
        fun = res.get("fun")
        if fun is None and self.obj._key == np.asarray(res.x, dtype=np.float64).tobytes():
            fun = self.obj._cached[0]
        gnorm = self.obj.grad_norm_at(res.x)
        text = (f"iteration {self.obj.iterations}: loss "
                + ("-" if fun is None else f"{float(fun):.10g}")
                + ", |grad| " + ("-" if gnorm is None else f"{gnorm:.3e}")
                + f" ({self.obj.n_sweeps + self.obj.n_values} evaluations)")
        if self.progress:
            print(text, file=sys.stdout, flush=True)
        else:
            self.log.info(text)


# ---- minimize -------------------------------------------------------------------------
def _method_key(method, has_constraints, has_bounds, who):
    if callable(method):
        return "_custom"
    if method is None:                 # SciPy's own default choice
        return "slsqp" if has_constraints else ("l-bfgs-b" if has_bounds else "bfgs")
    if not isinstance(method, str) or method.lower() not in {m.lower() for m in METHODS}:
        raise ValueError(f"{who}: unknown method {method!r}; choose one of "
                         f"{', '.join(METHODS)} (or a callable, a custom SciPy method)")
    return method.lower()


def _minimize(evaluator, tree, method, who, *, progress=False, logger=log, **kwargs):
    """scipy.optimize.minimize over an evaluator (this module's or tapegrad.dask's)."""
    if "jac" in kwargs:
        raise TypeError(f"{who} computes jac from the tape: drop jac= (to use finite "
                        f"differences instead, call scipy.optimize.minimize directly)")
    hess, hessp = kwargs.pop("hess", None), kwargs.pop("hessp", None)
    if hessp is not None or not (hess is None or isinstance(hess, HessianUpdateStrategy)):
        raise TypeError(f"{who} computes hess and hessp from the tape: drop them (hess may be "
                        f"a scipy.optimize.HessianUpdateStrategy such as BFGS() for "
                        f"trust-constr)")
    constraints = kwargs.pop("constraints", ())
    bounds = _bounds(kwargs.pop("bounds", None), tree)
    meth = _method_key(method, bool(constraints), bounds is not None, who)
    obj = _Objective(evaluator, tree, who)
    options = dict(kwargs, bounds=bounds, method=method)
    if method is None:
        options["method"] = {"slsqp": "SLSQP", "l-bfgs-b": "L-BFGS-B", "bfgs": "BFGS"}[meth]
    if constraints:
        options["constraints"] = _constraints(constraints, tree, who)
    if meth in _VALUE_ONLY:
        fun = obj.value
    else:
        fun, options["jac"] = obj.fun, obj.jac
        if hess is not None:
            options["hess"] = hess
        elif meth in _HESS:
            options["hess"] = obj.hess
        elif meth in _HESSP or meth == "_custom":
            options["hessp"] = obj.hessp
    options["callback"] = _Callback(obj, kwargs.get("callback"), meth, progress, logger)
    res = _sopt.minimize(fun, tree.x0, **options)
    res.x = tree.unflatten(res.x)
    return res


def minimize(fun: Callable[..., Any], x0: Params, args: Any = (),
             method: str | Callable[..., Any] | None = "L-BFGS-B",
             **kwargs: Any) -> OptimizeResult:
    """Minimize ``fun(x, *args)`` with ``scipy.optimize.minimize``, its
    derivatives computed by tapegrad.

    ``fun`` returns a scalar (a tensor, or anything ``float()`` takes) and is
    written with tapegrad functions.  ``x0`` is an array (a tensor, a NumPy
    array, a list of numbers) or a tuple, list or dict of them, nested as
    you like; ``fun`` receives x in that structure, as float64 tensors, and
    ``result.x`` comes back in it, each leaf in its own dtype (float32
    parameters are optimised in float64 and returned as float32).

    What SciPy gets from the tape:

    * ``jac`` for every gradient method; the value and the gradient come from
      one ``tg.value_and_grad`` sweep per point (SciPy's separate value and
      gradient calls at a point share it), so ``result.nfev`` counts sweeps;
    * ``hessp`` from ``tg.hvp`` for Newton-CG, trust-ncg, trust-krylov and
      trust-constr; ``hess`` from ``tg.hessian`` for dogleg and trust-exact;
    * for each constraint (a dict with ``'type'``, ``'fun'`` and optional
      ``'args'``, or a ``NonlinearConstraint``), its Jacobian by
      ``tg.jacobian``; the constraint's fun receives x in x0's structure, like
      ``fun``.  ``LinearConstraint``\\ s pass through unchanged (flat order).

    Nelder-Mead, Powell, COBYLA and COBYQA use values only: no sweep is made.

    ``bounds``: a ``scipy.optimize.Bounds`` or SciPy's sequence of (min, max)
    pairs, over the flat vector (leaves in order, each raveled in C order);
    or, for a tuple/list/dict x0, the same structure with a (lower, upper)
    pair per leaf (scalars or arrays broadcast to the leaf; None for no
    bound; a dict may leave keys out).  Every other keyword (``tol``,
    ``options``, ``callback``, ...) goes to SciPy; a callback receives x in
    x0's structure.  Passing ``jac``, or a ``hess``/``hessp`` function, is a
    ``TypeError``: tapegrad computes them.

    Errors: a non-scalar ``fun`` is a ``ShapeError`` showing the shape; a NaN
    or infinite value, gradient or Hessian is a ``NonFiniteError`` naming the
    iteration and the parameter entries; an unknown ``method`` is a
    ``ValueError`` listing ``METHODS``.

    Returns SciPy's ``OptimizeResult`` with ``x`` in x0's structure (its
    other fields are SciPy's, over the flat vector).  Iterations are logged
    at INFO on the ``tapegrad.optimize`` logger.

    >>> rosen = lambda x: tg.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    >>> minimize(rosen, [-1.2, 1.0]).x
    array([0.99999..., 0.99999...])
    """
    who = "tapegrad.optimize.minimize"
    tree = _Tree(x0)
    args = args if isinstance(args, tuple) else (args,)
    return _minimize(_Local(fun, tree, args, who), tree, method, who, **kwargs)
