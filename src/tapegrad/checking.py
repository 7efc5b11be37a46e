"""Numerical gradients and gradient checks.

Why central differences in float64: (f(x + h) - f(x - h)) / 2h has a
truncation error of order h^2 (the forward difference only h), and float64
round-off stays near 1e-16 / h, so h = 1e-6 leaves about 1e-10 of error on
well-scaled functions: far below the tolerances a wrong derivative breaks.
Inputs are therefore copied to float64 for both sides of the comparison.

``gradcheck`` works on copies: the caller's tensors, their ``.grad`` and
whatever graph they belong to are never touched.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

import numpy as np

from . import autograd, errors
from .tensor import Tensor, TensorLike

__all__ = ["numerical_grad", "gradcheck", "GradcheckError"]


class GradcheckError(errors.TapegradError, AssertionError):
    """``gradcheck`` found a reverse-mode gradient that disagrees with central
    differences.  An AssertionError, like ``numpy.testing``'s failures: it
    reports a failed check, not a bad argument (bad arguments raise
    ValueError/TypeError)."""


def _float64_inputs(inputs, fname):
    if not inputs:
        raise ValueError(f"{fname} needs at least one input to differentiate with respect to")
    arrays = []
    for i, x in enumerate(inputs):
        a = x._data if isinstance(x, Tensor) else x
        try:
            a = np.array(a, dtype=np.float64)
        except (TypeError, ValueError):
            raise errors.DTypeError(
                f"{fname}: input {i} is a {type(x).__name__}, not a number, array or tensor"
            ) from None
        arrays.append(a)
    return arrays


def _scalar_value(out, fname, f):
    name = getattr(f, "__name__", "f")
    data = out._data if isinstance(out, Tensor) else np.asarray(out)
    if data.size != 1:
        raise errors.ShapeError(
            f"{fname} needs a function with a scalar output; {name} returned shape "
            f"{tuple(data.shape)}: reduce it first (e.g. lambda x: f(x).sum()).")
    return float(data.reshape(-1)[0])


@overload
def numerical_grad(f: Callable[..., Any], x: TensorLike, /, *, eps: float = 1e-6) -> Tensor: ...
@overload
def numerical_grad(f: Callable[..., Any], x1: TensorLike, x2: TensorLike, /, *inputs: TensorLike,
                   eps: float = 1e-6) -> tuple[Tensor, ...]: ...


def numerical_grad(f: Callable[..., Any], *inputs: TensorLike,
                   eps: float = 1e-6) -> Tensor | tuple[Tensor, ...]:
    """Central-difference gradient of scalar-valued ``f`` at ``inputs``.

    ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element of
    every input, evaluated in float64 with recording paused (2 calls of f
    per element).  Returns a float64 tensor shaped like the input for one
    input, a tuple of them for several.

    >>> tg.numerical_grad(lambda x: (x ** 3).sum(), tg.array([1.0, 2.0]))
    tensor([ 3., 12.])
    """
    if not eps > 0:
        raise ValueError(f"eps must be a positive step, got eps={eps!r}")
    xs = _float64_inputs(inputs, "numerical_grad")
    grads = []
    with autograd.pause(train_mode=autograd.is_training()):
        for i, x in enumerate(xs):
            g = np.zeros_like(x)
            flat = x.reshape(-1)          # a view: perturbs x in place
            gflat = g.reshape(-1)
            for k in range(flat.size):
                orig = flat[k]
                flat[k] = orig + eps
                plus = _scalar_value(f(*[Tensor(a) for a in xs]), "numerical_grad", f)
                flat[k] = orig - eps
                minus = _scalar_value(f(*[Tensor(a) for a in xs]), "numerical_grad", f)
                flat[k] = orig
                gflat[k] = (plus - minus) / (2 * eps)
            grads.append(Tensor._wrap(g))
    return grads[0] if len(grads) == 1 else tuple(grads)


def _reverse_grads(f, xs):
    copies = [Tensor(a) for a in xs]
    for c in copies:
        c.attach_grad()
    with autograd.pause(train_mode=autograd.is_training()):   # a fresh tape of our own
        with autograd.record(train_mode=autograd.is_training()):
            out = f(*copies)
    _scalar_value(out, "gradcheck", f)
    if not isinstance(out, Tensor) or out._tape is None:
        return [np.zeros_like(a) for a in xs]        # f does not depend on its inputs
    return [np.array(g._data, dtype=np.float64) for g in autograd.grad([out], copies)]


def gradcheck(f: Callable[..., Any], *inputs: TensorLike, atol: float = 1e-5, rtol: float = 1e-4,
              eps: float = 1e-6, raise_exception: bool = True) -> bool:
    """Check reverse mode against central differences; return True.

    Element by element, ``|reverse - numerical| <= atol + rtol * |numerical|``
    must hold (both in float64, on copies of ``inputs``; the caller's
    ``.grad`` is never touched).  Otherwise raises :class:`GradcheckError`
    (an AssertionError) naming the worst element: the input, its index, both
    values and the tolerance there; with ``raise_exception=False`` returns
    False instead.

    >>> tg.gradcheck(lambda x, y: (tg.sin(x) * y).sum(), tg.array([0.5, 1.0]), 2.0)
    True
    """
    xs = _float64_inputs(inputs, "gradcheck")
    name = getattr(f, "__name__", "f")
    analytic = _reverse_grads(f, xs)
    numeric: Any = numerical_grad(f, *xs, eps=eps)
    numeric = (numeric,) if len(xs) == 1 else numeric
    worst: Any = None              # (excess over tolerance, input, index, a, n, tol)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        n = n._data
        tol = atol + rtol * np.abs(n)
        diff = np.abs(a - n)
        bad = ~(diff <= tol)       # also catches NaN on either side
        if not bad.any():
            continue
        excess = np.where(np.isnan(diff), np.inf, diff / tol)
        k = int(np.argmax(np.where(bad, excess, -1.0)))
        idx = np.unravel_index(k, a.shape) if a.ndim else ()
        e = float(excess.reshape(-1)[k])
        if worst is None or e > worst[0]:
            worst = (e, i, idx, float(a.reshape(-1)[k]), float(n.reshape(-1)[k]),
                     float(np.asarray(tol).reshape(-1)[k]), int(bad.sum()), a.size)
    if worst is None:
        return True
    if not raise_exception:
        return False
    _, i, idx, a, n, tol, nbad, size = worst
    where = f"input {i}" + (f" at index {tuple(int(j) for j in idx)}" if idx != () else "")
    raise GradcheckError(
        f"gradcheck failed for {name}: {where}: reverse mode gives {a:.10g} but central "
        f"differences (eps={eps:g}) give {n:.10g}; |difference| = {abs(a - n):.3g} > "
        f"tolerance {tol:.3g} (atol={atol:g} + rtol={rtol:g} * |numerical|). "
        f"{nbad} of {size} element(s) of input {i} disagree. Check the backward "
        f"(reverse rule) of the operations on that input.")
