"""Recording scopes, backward, grad and custom Functions (MXNet semantics).

The recording flag and the training flag are per thread (``_engine.STATE``)
and every scope restores what it found, also when an exception passes.
"""
import numpy as np

from . import _engine, errors
from ._engine import STATE
from .tensor import Tensor

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "backward", "grad", "Function", "mark_variables"]


class _Scope:
    """Sets (recording, training) on entry and restores the previous pair on exit."""

    __slots__ = ("_rec", "_train", "_saved")

    def __init__(self, recording, training):
        self._rec = recording
        self._train = training

    def __enter__(self):
        st = STATE
        self._saved = (st.recording, st.training)
        if self._rec and not st.recording:
            _engine.new_tape_on_next_record()
        if self._rec is not None:
            st.recording = self._rec
        if self._train is not None:
            st.training = self._train
        return self

    def __exit__(self, *exc):
        STATE.recording, STATE.training = self._saved
        return False


def record(train_mode=True):
    """Record operations on variables inside the ``with`` block.

    >>> x = tg.arange(4); x.attach_grad()
    >>> with autograd.record():
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad
    tensor([0., 2., 4., 6.])
    """
    return _Scope(True, bool(train_mode))


def pause(train_mode=False):
    """Stop recording inside a ``record()`` block (e.g. for parameter updates)."""
    return _Scope(False, bool(train_mode))


def train_mode():
    """Set the training flag only (layers like dropout read ``is_training()``)."""
    return _Scope(None, True)


def predict_mode():
    return _Scope(None, False)


def is_recording():
    return bool(STATE.recording)


def is_training():
    return bool(STATE.training)


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def backward(heads, head_grads=None, retain_graph=False, create_graph=False):
    """Backward from several heads at once, into the ``.grad`` of the variables.

    Saved values are freed afterwards unless ``retain_graph``; with
    ``create_graph=True`` they are kept, since the recorded gradients in
    ``.grad`` are functions of them and can be differentiated again."""
    heads = _as_list(heads)
    hgs = _as_list(head_grads)
    if hgs is None:
        hgs = [None] * len(heads)
    if len(hgs) != len(heads):
        raise errors.ShapeError(f"got {len(heads)} heads but {len(hgs)} head gradients")
    if create_graph:
        # The recorded gradients refer to this graph's saved values, so they
        # stay (as in PyTorch): x.grad can be differentiated again.
        with _Scope(True, None):
            grads = _engine.run_backward(heads, hgs, True, True)
    else:
        grads = _engine.run_backward(heads, hgs, retain_graph, False)
    for var, g in grads:
        if var._grad is None:          # an internal variable of a transform
            continue
        garr = g._data if isinstance(g, Tensor) else g
        buf = var._grad._data
        if var._grad_req == "add":
            buf += garr
        else:
            np.copyto(buf, garr, casting="same_kind")
        var._grad._bump()
        if create_graph and isinstance(g, Tensor):
            # keep the recorded gradient so it can be differentiated again
            var._grad._tape, var._grad._slot = g._tape, g._slot


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False):
    """Gradients of ``heads`` with respect to ``variables``, returned as a list
    (zeros for a variable the heads do not depend on); ``.grad`` untouched.
    With ``create_graph=True`` the results are recorded, so they can be
    differentiated again."""
    heads = _as_list(heads)
    variables = _as_list(variables)
    hgs = _as_list(head_grads) or [None] * len(heads)
    if retain_graph is None:
        retain_graph = create_graph
    for v in variables:
        if not isinstance(v, Tensor):
            raise TypeError(f"grad() variables must be tensors, got {type(v).__name__}")
    with _Scope(bool(create_graph), None):
        grads = _engine.run_backward(heads, hgs, retain_graph, create_graph, wanted=variables)
    out = []
    for v, g in zip(variables, grads):
        if g is None:
            out.append(Tensor._wrap(np.zeros(v.shape, dtype=v.dtype)))
        elif isinstance(g, Tensor):
            out.append(g)
        else:
            out.append(Tensor._wrap(g if g.flags.owndata else g.copy()))
    return out


def mark_variables(variables, grad_reqs="write"):
    """MXNet's helper: attach_grad on each variable."""
    reqs = grad_reqs if isinstance(grad_reqs, (list, tuple)) else [grad_reqs] * len(variables)
    for v, r in zip(variables, reqs):
        v.attach_grad(r)


class Function:
    """A custom differentiable operation.

    Subclass it with ``forward(self, *inputs)`` returning a tensor or a tuple
    of tensors, and ``backward(self, *output_grads)`` returning one gradient
    per input; ``self.save_for_backward(*tensors)`` keeps values for
    backward.  Apply it with ``MyOp()(x, y)``.  A backward written with
    tapegrad ops is differentiable again (create_graph=True).

    >>> class Square(autograd.Function):
    ...     def forward(self, x):
    ...         self.save_for_backward(x)
    ...         return x * x
    ...     def backward(self, dy):
    ...         x, = self.saved_tensors
    ...         return 2 * x * dy
    """

    def __init__(self):
        self._saved = ()
        self._n_in = 0

    def save_for_backward(self, *tensors):
        self._saved = tensors

    @property
    def saved_tensors(self):
        return self._saved

    def forward(self, *inputs):
        raise NotImplementedError("autograd.Function subclasses define forward(self, *inputs)")

    def backward(self, *output_grads):
        raise NotImplementedError("autograd.Function subclasses define backward(self, *output_grads)")

    def __call__(self, *inputs):
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
        _engine.record_function(self, inputs, outs)
        if STATE.open_levels and any(x._tangents for x in inputs):
            self._push_tangents(inputs, outs)
        return outs[0] if single else outs

    @property
    def name(self):
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

    def _run_backward(self, g_outs, needs, B):
        outs_meta = self._out_meta
        gs = []
        for g, (shape, dtype) in zip(g_outs, outs_meta):
            if g is None:
                g = np.zeros(shape, dtype=dtype)
            gs.append(g if isinstance(g, Tensor) else Tensor._wrap(g))
        with pause(train_mode=is_training()) if B.native else _Scope(True, None):
            res = self.backward(*gs)
        res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
        if len(res) != self._n_in:
            raise errors.FunctionError(
                f"{type(self).__name__}.backward returned {len(res)} gradient(s) but forward "
                f"took {self._n_in} input(s): return one gradient per input (None for none).")
        out = []
        for r in res:
            if r is None:
                out.append(None)
            elif B.native:
                arr = r._data if isinstance(r, Tensor) else np.asarray(r)
                out.append(np.array(arr, copy=True))   # never alias a saved tensor
            else:
                out.append(r if isinstance(r, Tensor) else Tensor._wrap(np.asarray(r)))
        return tuple(out)
