"""Oracles and assertions shared by the test files: NumPy references for the
composite reductions, an allclose that reports inputs, both results and
the tolerance on failure, a custom Function with known derivatives,
NumPy 2's dtype promotion for references computed on NumPy 1.x, and JAX
in float64."""
import contextlib

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd


def jax64():
    """JAX with float64 on (the oracles compare float64 results); the test is
    skipped where JAX is not installed."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


@contextlib.contextmanager
def numpy2_promotion():
    """NumPy references computed with NumPy 2's promotion rules (NEP 50), the
    ones API.md promises, also on NumPy 1.x: there a Python number beside a
    0-d float32 array gave float64, and a 0-d float64 array beside a float32
    array gave float32 (value-based casting).  Only around the reference:
    tapegrad itself must get the dtypes right on its own."""
    if int(np.__version__.split(".")[0]) >= 2:
        yield
        return
    old, where = np._get_promotion_state(), np.where
    np._set_promotion_state("weak")
    np.where = _weak_where          # NumPy 1.x's preview of NEP 50 left where out
    try:
        yield
    finally:
        np._set_promotion_state(old)
        np.where = where


_np_where = np.where


def _weak_where(cond, *xy):
    """np.where with NEP 50's weak Python numbers (NumPy 1.x only)."""
    if len(xy) == 2:
        typed = [v for v in xy if type(v) not in (int, float)]
        if len(typed) == 1:
            dt = np.result_type(typed[0])
            xy = tuple(np.asarray(v, dtype=dt) if type(v) in (int, float) else v for v in xy)
    return _np_where(cond, *xy)


def arr(t):
    """A tensor's values (or anything array-like) as a float64 array."""
    if isinstance(t, tg.Tensor):
        return t.asnumpy()
    return np.asarray(t, dtype=np.float64)


def check(what, actual, expected, rtol=1e-10, atol=1e-12, **inputs):
    """assert_allclose with a message that shows the inputs, both results
    and the tolerance."""
    actual = arr(actual)
    expected = np.asarray(expected, dtype=np.float64)
    ok = actual.shape == expected.shape and np.allclose(actual, expected, rtol=rtol, atol=atol)
    if not ok:
        with np.printoptions(precision=12, suppress=False, linewidth=120):
            lines = [f"{what}: mismatch (rtol={rtol}, atol={atol})"]
            for k, v in inputs.items():
                shown = v if isinstance(v, (str, tuple)) else np.asarray(arr(v))
                lines.append(f"  input {k} = {shown!r}")
            lines.append(f"  got      shape={actual.shape}\n{actual}")
            lines.append(f"  expected shape={expected.shape}\n{expected}")
            if actual.shape == expected.shape:
                lines.append(f"  max |diff| = {np.max(np.abs(actual - expected), initial=0.0):.3e}")
        pytest.fail("\n".join(lines))


def np_logsumexp(x, axis=None, keepdims=False):
    x = np.asarray(x)
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


class Cube(autograd.Function):
    """x**3 as a custom Function: backward and jvp in tensor ops (so both are
    differentiable again), derivative 3x**2."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x * x

    def backward(self, dy):
        x, = self.saved_tensors
        return 3.0 * x * x * dy

    def jvp(self, tx):
        x, = self.saved_tensors
        return 3.0 * x * x * tx
