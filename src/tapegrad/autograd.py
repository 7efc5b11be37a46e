"""Recording scopes, backward, grad and custom Functions (MXNet semantics).

The recording flag and the training flag are per thread (the core's
ThreadState) and every scope (the core's Scope) restores what it found, also
when an exception passes; a scope object entered again while open (nested)
keeps a stack of what it found.  backward and grad are the core's
(_core/backward.pxi).
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import errors
from ._core import tape as _tape
from ._core.tape import (Scope, get_state, is_batched, is_recording, is_training, pause,
                         predict_mode, record, train_mode)
from .ops.batching import Unbatchable
from .tensor import GradReq, Tensor, TensorLike

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "backward", "grad", "Function", "mark_variables"]


def backward(heads: Tensor | Sequence[Tensor],
             head_grads: TensorLike | Sequence[TensorLike | None] | None = None,
             retain_graph: bool = False, create_graph: bool = False) -> None:
    """Backward from several heads at once, into the ``.grad`` of the variables.

    Saved values are freed afterwards unless ``retain_graph``; with
    ``create_graph=True`` they are kept, since the recorded gradients in
    ``.grad`` are functions of them and can be differentiated again.  A
    backward that fails or is interrupted leaves the graph and ``.grad`` as
    they were."""
    _tape.backward(heads, head_grads, retain_graph, create_graph)


def grad(heads: Tensor | Sequence[Tensor], variables: Tensor | Sequence[Tensor],
         head_grads: TensorLike | Sequence[TensorLike | None] | None = None,
         retain_graph: bool | None = None, create_graph: bool = False) -> list[Tensor]:
    """Gradients of ``heads`` with respect to ``variables``, returned as a list
    (zeros for a variable the heads do not depend on); ``.grad`` untouched.
    With ``create_graph=True`` the results are recorded, so they can be
    differentiated again."""
    return _tape.grad(heads, variables, head_grads, retain_graph, create_graph)


def mark_variables(variables: Sequence[Tensor],
                   grad_reqs: GradReq | Sequence[GradReq] = "write") -> None:
    """MXNet's helper: attach_grad on each variable."""
    reqs = grad_reqs if isinstance(grad_reqs, (list, tuple)) else [grad_reqs] * len(variables)
    for v, r in zip(variables, reqs):
        v.attach_grad(r)


class Function:
    """A custom differentiable operation.

    Subclass it with ``forward(self, *inputs)`` returning a tensor or a tuple
    of tensors, and ``backward(self, *output_grads)`` returning one gradient
    per input; ``self.save_for_backward(*tensors)`` keeps values for
    backward.  Apply it with ``MyOp()(x, y)``.  One instance may be applied
    several times: each application runs on its own copy of the instance, so
    it keeps its own saved tensors (and attributes set in forward).  Saved
    tensors are covered by the in-place check: modifying one after the
    forward makes backward raise.  A backward written with tapegrad ops is
    differentiable again (create_graph=True).

    >>> class Square(autograd.Function):
    ...     def forward(self, x):
    ...         self.save_for_backward(x)
    ...         return x * x
    ...     def backward(self, dy):
    ...         x, = self.saved_tensors
    ...         return 2 * x * dy
    """

    def __init__(self) -> None:
        self._saved: tuple[Any, ...] = ()
        self._saved_versions: tuple[Any, ...] = ()
        self._n_in = 0

    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tensors
        self._saved_versions = tuple((t._ver, t._ver.n) if isinstance(t, Tensor) else None
                                     for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        return self._saved

    # forward, backward (and jvp): what subclasses define; Any, so that a
    # subclass may declare its own parameters and results
    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError("autograd.Function subclasses define forward(self, *inputs)")

    def backward(self, *output_grads: Any) -> Any:
        raise NotImplementedError("autograd.Function subclasses define backward(self, *output_grads)")

    def __call__(self, *inputs: TensorLike) -> Any:
        ctx = copy.copy(self)           # this application's own state
        ctx._saved = ()
        ctx._saved_versions = ()
        return ctx._apply(inputs)

    def _apply(self, inputs: tuple[Any, ...]) -> Any:
        inputs = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
        self._n_in = len(inputs)
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = not isinstance(outputs, (tuple, list))
        outs = (outputs,) if single else tuple(outputs)
        for o in outs:
            if not isinstance(o, Tensor):
                raise errors.FunctionError(
                    f"{type(self).__name__}.forward must return tensors, got {type(o).__name__}")
        # outputs get their own history: fresh tensors over the same data
        outs = tuple(Tensor._wrap(o._data) for o in outs)
        self._out_meta = [(o.shape, o.dtype) for o in outs]
        self._in_meta = [(x.shape, x.dtype) for x in inputs]
        _tape.record_function(self, inputs, outs)
        st = get_state()
        if st.open_levels and any(x._tangents for x in inputs):
            self._push_tangents(inputs, outs)
        return outs[0] if single else outs

    @property
    def name(self) -> str:
        return type(self).__name__

    def _push_tangents(self, inputs, outs):
        jvp = getattr(self, "jvp", None)
        if jvp is None:
            raise errors.FunctionError(
                f"forward mode (tg.jvp, jacobian(mode='fwd')) reached the custom Function "
                f"{type(self).__name__}, which has no jvp(self, *input_tangents) method: "
                f"define one, or use reverse mode (tg.vjp, jacobian(mode='rev')).")
        for level in sorted({L for x in inputs if x._tangents for L in x._tangents}):
            ts = [x._tangents.get(level) if x._tangents else None for x in inputs]
            ts = [t if t is not None else Tensor._wrap(np.zeros(x.shape, x.dtype))
                  for t, x in zip(ts, inputs)]
            res = jvp(*ts)
            res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
            for o, t in zip(outs, res):
                if o._tangents is None:
                    o._tangents = {}
                o._tangents[level] = t if isinstance(t, Tensor) else Tensor(t)

    def _check_saved(self):
        for k, (t, stamp) in enumerate(zip(self._saved, self._saved_versions)):
            if stamp is not None and stamp[0].n != stamp[1]:
                raise errors.InplaceModificationError(
                    f"saved tensor {k} of the custom Function {type(self).__name__} was "
                    f"modified in-place after forward saved it (version {stamp[1]} -> "
                    f"{stamp[0].n}), so its backward would use the new values. Modify a copy "
                    f"(t.copy()) or compute the new value out of place.")

    def _run_backward(self, g_outs, needs, B):
        self._check_saved()
        gs = []
        for g, (shape, dtype) in zip(g_outs, self._out_meta):
            if is_batched(g):
                # backward is written for one example: the batched sweep runs
                # it once per example instead
                raise Unbatchable(f"the custom Function {type(self).__name__}")
            if g is None:
                g = np.zeros(shape, dtype=dtype)
            gs.append(g if isinstance(g, Tensor) else Tensor._wrap(g))
        with pause(train_mode=is_training()) if B.native else Scope(1, -1):
            res = self.backward(*gs)
        res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
        if len(res) != self._n_in:
            raise errors.FunctionError(
                f"{type(self).__name__}.backward returned {len(res)} gradient(s) but forward "
                f"took {self._n_in} input(s): return one gradient per input (None for none).")
        out = []
        for k, r in enumerate(res):
            if r is None:
                out.append(None)
                continue
            shape, dtype = self._in_meta[k]
            rshape = tuple(np.shape(r._data if isinstance(r, Tensor) else r))
            if rshape != tuple(shape):
                try:
                    np.broadcast_shapes(rshape, tuple(shape))
                    ok = len(rshape) >= len(shape) and np.broadcast_shapes(rshape, shape) == rshape
                except ValueError:
                    ok = False
                if not ok:
                    raise errors.FunctionError(
                        f"{type(self).__name__}.backward returned a gradient of shape {rshape} "
                        f"for input {k}, which has shape {tuple(shape)}: return a gradient of "
                        f"the input's shape (or one that broadcasts to the output's shape).")
            if B.native:
                arr = r._data if isinstance(r, Tensor) else np.asarray(r)
                out.append(np.array(arr, copy=True))   # never alias a saved tensor
            else:
                out.append(r if isinstance(r, Tensor) else Tensor._wrap(np.asarray(r)))
        return tuple(out)
