"""tg.grad, value_and_grad, jacobian and hessian pass keyword arguments
through to the function (issue 14, item 4); they are not differentiated."""
import functools

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd


def f(x, y=1.0, *, scale=1.0, shift=0.0):
    return scale * tg.sum((x - shift) ** 2 * y)


X = np.array([1.0, -2.0, 0.5])


def test_grad_passes_keywords():
    g = tg.grad(f)(X, scale=2.0, shift=0.5)
    np.testing.assert_allclose(g.asnumpy(), 2.0 * 2 * (X - 0.5))


def test_grad_with_argnums_and_keywords():
    gx, gy = tg.grad(f, argnums=(0, 1))(X, 3.0, scale=0.5)
    np.testing.assert_allclose(gx.asnumpy(), 0.5 * 2 * X * 3.0)
    assert float(gy) == pytest.approx(0.5 * np.sum(X ** 2))


def test_value_and_grad_passes_keywords():
    v, g = tg.value_and_grad(f)(X, scale=3.0)
    assert float(v) == pytest.approx(3.0 * np.sum(X ** 2))
    np.testing.assert_allclose(g.asnumpy(), 6.0 * X)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_passes_keywords(mode):
    def h(x, *, power=2.0):
        return x ** power
    j = tg.jacobian(h, mode=mode)(X, power=3.0)
    np.testing.assert_allclose(j.asnumpy(), np.diag(3 * X ** 2))
    with autograd.record():                         # the looped path too
        j = tg.jacobian(h, mode=mode)(X, power=3.0)
    np.testing.assert_allclose(j.asnumpy(), np.diag(3 * X ** 2))


def test_hessian_passes_keywords():
    h = tg.hessian(f)(X, scale=2.0, shift=1.0)
    np.testing.assert_allclose(h.asnumpy(), 4.0 * np.eye(3))


def test_nested_transforms_pass_keywords():
    d2 = tg.grad(tg.grad(lambda x, *, k: tg.sin(k * x)))(0.3, k=2.0)
    assert float(d2) == pytest.approx(-4.0 * np.sin(0.6))


def test_a_keyword_tensor_is_not_differentiated_but_stays_recorded():
    """A tensor passed by keyword is a constant to the transform; inside an
    outer record() it still carries its own history."""
    w = tg.array(2.0)
    w.attach_grad()
    with autograd.record():
        g = tg.grad(lambda x, *, w: w * x * x)(3.0, w=w)
    assert float(g) == 12.0
    g.backward()
    assert float(w.grad) == 6.0


def test_vjp_jvp_hvp_take_keywords_by_closure():
    h = functools.partial(f, scale=2.0)
    out, vjp_fn = tg.vjp(h, X)
    np.testing.assert_allclose(vjp_fn(1.0)[0].asnumpy(), 4.0 * X)
    _, t = tg.jvp(h, (X,), (np.ones(3),))
    assert float(t) == pytest.approx(4.0 * X.sum())
    _, hv = tg.hvp(h, (X,), (np.ones(3),))
    np.testing.assert_allclose(hv[0].asnumpy(), 4.0 * np.ones(3))
