"""Optimisers: SGD (with momentum) and Adam.

Why in place and unrecorded: a step is not part of any model, so it runs
under ``autograd.pause()`` and writes into each parameter's own array; the
parameter stays the same variable (same ``.grad`` buffer, same identity in
the user's code), and ``_bump()`` tells the version counter, so a graph that
saved the old value refuses to backward through it instead of silently
using the new one.

    opt = tg.optim.Adam([w, b], lr=1e-2)
    for _ in range(100):
        with autograd.record():
            loss = model(w, b)
        loss.backward()
        opt.step()
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import autograd, errors
from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adam"]


def _check_number(name: str, value: float, lo: float | None = None, hi: float | None = None,
                  lo_open: bool = False, hi_open: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None
    bad = (not math.isfinite(v)
           or (lo is not None and (v <= lo if lo_open else v < lo))
           or (hi is not None and (v >= hi if hi_open else v > hi)))
    if bad:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        rng = f"{left}{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}{right}"
        raise ValueError(f"{name} must be in {rng}, got {name}={value!r}")
    return v


class Optimizer:
    """Base class: holds the parameters and zeroes their gradients."""

    def __init__(self, params: Tensor | Iterable[Tensor], lr: float) -> None:
        if isinstance(params, Tensor):
            params = [params]
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"params must be an iterable of tensors, got "
                            f"{type(params).__name__}") from None
        if not params:
            raise ValueError("the optimiser got an empty list of parameters")
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"params[{i}] is a {type(p).__name__}, not a tensor")
            if p.grad is None:
                raise ValueError(
                    f"params[{i}] ({errors.describe(p)}) has no gradient buffer: call "
                    f"p.attach_grad() on each parameter before giving it to the optimiser.")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter appears twice in params")
        self.params: list[Tensor] = params
        self.lr = _check_number("lr", lr, lo=0.0, lo_open=True)
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to zero (needed with grad_req='add')."""
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        lr = _check_number("lr", self.lr, lo=0.0, lo_open=True)
        self.steps += 1
        with autograd.pause():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    raise ValueError(f"params[{i}] lost its gradient buffer (attach_grad "
                                     f"with grad_req='null'?)")
                g = p.grad._data
                delta = self._update(i, p._data, g, lr)
                np.subtract(p._data, delta, out=p._data, casting="same_kind")
                p._bump()

    def _update(self, i: int, w: NDArray[Any], g: NDArray[Any], lr: float) -> NDArray[Any]:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (heavy-ball) momentum:

        buf = momentum * buf + grad        (buf = grad on the first step)
        param -= lr * buf

    ``momentum=0`` is plain ``param -= lr * grad``."""

    def __init__(self, params: Tensor | Iterable[Tensor], lr: float,
                 momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _check_number("momentum", momentum, lo=0.0, hi=1.0, hi_open=True)
        self._buf: list[NDArray[Any] | None] = [None] * len(self.params)

    def _update(self, i: int, w: NDArray[Any], g: NDArray[Any], lr: float) -> NDArray[Any]:
        if self.momentum:
            buf = self._buf[i]
            if buf is None:
                buf = self._buf[i] = np.array(g, dtype=w.dtype)
            else:
                buf *= self.momentum
                buf += g
            g = buf
        return lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with bias correction:

        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad ** 2
        param -= lr * (m / (1 - b1 ** t)) / (sqrt(v / (1 - b2 ** t)) + eps)
    """

    def __init__(self, params: Tensor | Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (_check_number("betas[0]", b1, lo=0.0, hi=1.0, hi_open=True),
                      _check_number("betas[1]", b2, lo=0.0, hi=1.0, hi_open=True))
        self.eps = _check_number("eps", eps, lo=0.0)
        self._m = [np.zeros_like(p._data) for p in self.params]
        self._v = [np.zeros_like(p._data) for p in self.params]

    def _update(self, i: int, w: NDArray[Any], g: NDArray[Any], lr: float) -> NDArray[Any]:
        b1, b2 = self.betas
        t = self.steps
        m, v = self._m[i], self._v[i]
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * np.square(g)
        m_hat = m / (1.0 - b1 ** t)
        v_hat = v / (1.0 - b2 ** t)
        return lr * m_hat / (np.sqrt(v_hat) + self.eps)
