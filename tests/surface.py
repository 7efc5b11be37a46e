"""The checks every function of the NumPy surface goes through (issue: "the
NumPy surface"), shared by the table-driven modules tests/test_surface_*.py.

A ``Spec`` names one function applied to inputs of given shapes on a domain
where it is differentiable; ``check_all(spec)`` then verifies, against
independent oracles:

* value: tapegrad's forward equals the NumPy/SciPy oracle (``ref``);
* reverse: the gradient with a random head gradient equals float64 central
  differences of ``ref``;
* forward: ``tg.jvp`` with a random tangent equals central differences too;
* second order: the gradient of <grad, w> (reverse over reverse) equals
  central differences of the first gradient (``second=True``);
* batched Jacobians (``tg.jacobian`` outside ``record()``, rev and fwd)
  equal the looped ones (inside ``record()``, one row or column at a time);
* float32: float32 inputs give float32 outputs close to float64.

``ref`` must be written with NumPy/SciPy/mpmath, never with tapegrad.
Failure messages print the function, the inputs and both sides.
"""
import zlib
from dataclasses import dataclass, field

import numpy as np

import tapegrad as tg
from tapegrad import autograd

EPS = 1e-6
FD_RTOL, FD_ATOL = 2e-5, 2e-6


@dataclass
class Spec:
    name: str                     # what the test id shows: 'arctan', 'linalg.inv.3x3'
    fn: object                    # f(*tensors) built with tapegrad
    ref: object                   # the same on float64 NumPy arrays (the oracle)
    shapes: tuple                 # one shape per input
    domain: object = (-2.0, 2.0)  # (low, high), or a list of them per input, or fn(rng, shape)
    grad: bool = True             # differentiable (False: only the value is checked)
    second: bool = True           # check second derivatives
    batch: bool = True            # check batched Jacobians
    f32_rtol: float = 2e-4
    rtol: float = 1e-10           # value vs ref (float64)
    fd_rtol: float = FD_RTOL
    fd_atol: float = FD_ATOL
    extra: dict = field(default_factory=dict)

    @property
    def id(self):
        return f"{self.name}-" + ",".join("x".join(map(str, s)) or "0d" for s in self.shapes)


def _rng(spec, salt=""):
    return np.random.default_rng(zlib.crc32((spec.id + salt).encode()))


def draw(spec, salt=""):
    """One input per shape, on the spec's domain (same draws every run)."""
    rng = _rng(spec, salt)
    out = []
    for k, shape in enumerate(spec.shapes):
        d = spec.domain
        if isinstance(d, list):
            d = d[k]
        if callable(d):
            out.append(np.asarray(d(rng, shape), dtype=np.float64))
        else:
            lo, hi = d
            out.append(rng.uniform(lo, hi, size=shape))
    return out


def _tensors(arrays, dtype=None):
    return [tg.array(a, dtype=dtype) for a in arrays]


def _fd_grad(f, arrays, head):
    """Central differences of <head, f(arrays)> with respect to each input."""
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        flat = g.reshape(-1)
        for i in range(a.size):
            xp = [x.copy() for x in arrays]
            xm = [x.copy() for x in arrays]
            xp[k].reshape(-1)[i] += EPS
            xm[k].reshape(-1)[i] -= EPS
            flat[i] = (np.sum(head * np.asarray(f(*xp))) - np.sum(head * np.asarray(f(*xm)))) / (2 * EPS)
        grads.append(g)
    return grads


def _close(what, spec, arrays, got, want, rtol, atol):
    got = np.asarray(got)
    want = np.asarray(want)
    if got.shape != want.shape or not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        raise AssertionError(
            f"{spec.id}: {what} differs (rtol={rtol}, atol={atol})\n"
            f"  inputs: {[np.asarray(a).tolist() for a in arrays]}\n"
            f"  tapegrad: {got.tolist() if got.size < 50 else got.shape}\n"
            f"  oracle:   {want.tolist() if want.size < 50 else want.shape}")


def check_value(spec):
    arrays = draw(spec)
    y = spec.fn(*_tensors(arrays))
    outs = y if isinstance(y, tuple) else (y,)
    refs = spec.ref(*arrays)
    refs = refs if isinstance(refs, tuple) else (refs,)
    for o, r in zip(outs, refs):
        assert isinstance(o, tg.Tensor), f"{spec.id}: returned {type(o).__name__}, not a Tensor"
        _close("value", spec, arrays, o.asnumpy(), r, spec.rtol, 1e-12)


def _scalar_of(spec, head):
    """The function as a scalar: <head, f(x)> (head fixed), for gradients."""
    def f(*xs):
        y = spec.fn(*xs)
        return (y * head).sum()
    return f


def check_reverse(spec):
    arrays = draw(spec)
    head = _rng(spec, "head").standard_normal(np.shape(spec.ref(*arrays)))
    xs = _tensors(arrays)
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = spec.fn(*xs)
    y.backward(tg.array(head))
    want = _fd_grad(spec.ref, arrays, head)
    for k, (x, w) in enumerate(zip(xs, want)):
        _close(f"reverse gradient of input {k}", spec, arrays, x.grad.asnumpy(), w,
               spec.fd_rtol, spec.fd_atol)


def check_forward(spec):
    arrays = draw(spec)
    rng = _rng(spec, "tangent")
    tangents = [rng.standard_normal(a.shape) for a in arrays]
    _, t = tg.jvp(spec.fn, tuple(_tensors(arrays)), tuple(tangents))
    # directional derivative by central differences
    yp = spec.ref(*[a + EPS * t_ for a, t_ in zip(arrays, tangents)])
    ym = spec.ref(*[a - EPS * t_ for a, t_ in zip(arrays, tangents)])
    want = (np.asarray(yp) - np.asarray(ym)) / (2 * EPS)
    _close("forward-mode tangent", spec, arrays, t.asnumpy(), want, spec.fd_rtol, spec.fd_atol)


def check_second(spec):
    """d/dx <w, grad_x <head, f(x)>>: reverse over reverse, against central
    differences of tapegrad's own (already checked) first gradient."""
    arrays = draw(spec)
    head = _rng(spec, "head2").standard_normal(np.shape(spec.ref(*arrays)))
    w = [_rng(spec, f"w{k}").standard_normal(a.shape) for k, a in enumerate(arrays)]
    f = _scalar_of(spec, head)
    nums = tuple(range(len(arrays)))

    def gw(*xs):
        gs = tg.grad(f, argnums=nums)(*xs)
        return sum((g * wk).sum() for g, wk in zip(gs, w))

    got = tg.grad(gw, argnums=nums)(*_tensors(arrays))

    def gw_np(*arrs):
        gs = tg.grad(f, argnums=nums)(*_tensors(arrs))
        return np.asarray(sum(float((g.asnumpy() * wk).sum()) for g, wk in zip(gs, w)))
    want = _fd_grad(gw_np, arrays, np.asarray(1.0))
    for k, (g, wk) in enumerate(zip(got, want)):
        _close(f"second derivative (input {k})", spec, arrays, g.asnumpy(), wk,
               max(spec.fd_rtol, 1e-4), max(spec.fd_atol, 1e-5))


def check_batched(spec):
    arrays = draw(spec)
    nums = tuple(range(len(arrays)))
    for mode in ("rev", "fwd"):
        got = tg.jacobian(spec.fn, argnums=nums, mode=mode)(*_tensors(arrays))
        with autograd.record():       # recording: the looped path, one row/column at a time
            want = tg.jacobian(spec.fn, argnums=nums, mode=mode)(*_tensors(arrays))
        for k, (g, w_) in enumerate(zip(got, want)):
            _close(f"batched jacobian ({mode}) of input {k}", spec, arrays, g.asnumpy(),
                   w_.asnumpy(), 1e-10, 1e-12)


def check_float32(spec):
    arrays = draw(spec)
    y32 = spec.fn(*_tensors(arrays, "float32"))
    outs = y32 if isinstance(y32, tuple) else (y32,)
    refs = spec.ref(*arrays)
    refs = refs if isinstance(refs, tuple) else (refs,)
    for o, r in zip(outs, refs):
        assert o.dtype == np.float32, f"{spec.id}: float32 inputs gave {o.dtype}"
        _close("float32 value", spec, arrays, o.asnumpy(), r, spec.f32_rtol, 1e-5)
    if spec.grad:
        xs = _tensors(arrays, "float32")
        for x in xs:
            x.attach_grad()
        with autograd.record():
            y = spec.fn(*xs)
            y = y[0] if isinstance(y, tuple) else y
            s = y.sum()
        s.backward()
        xs64 = _tensors(arrays)
        for x in xs64:
            x.attach_grad()
        with autograd.record():
            y = spec.fn(*xs64)
            y = y[0] if isinstance(y, tuple) else y
            s = y.sum()
        s.backward()
        for k, (a, b) in enumerate(zip(xs, xs64)):
            assert a.grad.dtype == np.float32, f"{spec.id}: float32 gradient is {a.grad.dtype}"
            _close(f"float32 gradient of input {k}", spec, arrays, a.grad.asnumpy(),
                   b.grad.asnumpy(), spec.f32_rtol * 10, 1e-4)


def check_all(spec):
    check_value(spec)
    if spec.grad:
        check_reverse(spec)
        check_forward(spec)
        if spec.second:
            check_second(spec)
        if spec.batch:
            check_batched(spec)
    check_float32(spec)
