"""Oracles and assertions shared by the test files: NumPy references for the
composite reductions, an allclose that reports inputs, both results and
the tolerance on failure, and a custom Function with known derivatives."""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd


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
