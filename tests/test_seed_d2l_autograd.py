"""Seed 000, d2l "Automatic Differentiation" (the PyTorch cells), ported.

The cells from "A Simple Function" to "Gradients and Python Control Flow" of
``shared/seeds/000_306b955de8d0acbd.txt``, with torch calls translated to
tapegrad: ``requires_grad_(True)`` becomes ``attach_grad()`` and the
computation is wrapped in ``autograd.record()``; ``backward(gradient=v)``
becomes ``backward(v)``.  Two differences are by design and pinned here:
after ``attach_grad`` the gradient is a zero tensor (torch: ``None``), and
the default ``grad_req='write'`` overwrites it (torch accumulates, which is
tapegrad's ``grad_req='add'``; the torch behaviour is replayed with it).
"""

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd


def a(t):
    return t.asnumpy()


def make_x(grad_req='write'):
    x = tg.arange(4.0)
    x.attach_grad(grad_req=grad_req)
    return x


def test_a_simple_function_x():
    x = tg.arange(4.0)
    assert repr(x) == "tensor([0., 1., 2., 3.])"
    assert x.grad is None
    x.attach_grad()
    # tapegrad differs from torch here: a zero gradient, not None.
    assert x.grad_req == 'write'
    np.testing.assert_array_equal(a(x.grad), np.zeros(4))


def test_a_simple_function_y_and_its_gradient():
    x = make_x()
    with autograd.record():
        y = 2 * tg.dot(x, x)
    # torch: tensor(28., grad_fn=<MulBackward0>)
    assert y.shape == ()
    assert y.item() == 28.0
    assert repr(y) == "tensor(28.)"
    y.backward()
    # torch: tensor([ 0.,  4.,  8., 12.])
    np.testing.assert_array_equal(a(x.grad), [0.0, 4.0, 8.0, 12.0])
    assert repr(x.grad) == "tensor([ 0.,  4.,  8., 12.])"
    # torch: x.grad == 4 * x -> tensor([True, True, True, True])
    cmp = x.grad == 4 * x
    assert isinstance(cmp, np.ndarray) and cmp.dtype == np.bool_
    np.testing.assert_array_equal(cmp, [True, True, True, True])


def test_zero_grad_then_gradient_of_sum():
    x = make_x()
    with autograd.record():
        y = 2 * tg.dot(x, x)
    y.backward()
    x.grad.zero_()  # Reset the gradient
    np.testing.assert_array_equal(a(x.grad), np.zeros(4))
    with autograd.record():
        y = x.sum()
    y.backward()
    # torch: tensor([1., 1., 1., 1.])
    np.testing.assert_array_equal(a(x.grad), np.ones(4))


def test_torch_accumulation_is_grad_req_add():
    # The torch text: gradients add up until x.grad.zero_().
    x = make_x('add')
    with autograd.record():
        y = 2 * tg.dot(x, x)
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [0.0, 4.0, 8.0, 12.0])
    with autograd.record():
        y = x.sum()
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [1.0, 5.0, 9.0, 13.0])
    x.grad.zero_()
    with autograd.record():
        y = x.sum()
    y.backward()
    np.testing.assert_array_equal(a(x.grad), np.ones(4))


@pytest.mark.parametrize("grad_req", ['write', 'add'])
def test_backward_for_non_scalar_variables(grad_req):
    x = make_x(grad_req)
    x.grad.zero_()
    with autograd.record():
        y = x * x
    y.backward(tg.ones(len(y)))  # Faster: y.sum().backward()
    # torch: tensor([0., 2., 4., 6.])
    np.testing.assert_array_equal(a(x.grad), [0.0, 2.0, 4.0, 6.0])


def test_non_scalar_backward_with_a_non_uniform_vector():
    # v^T dy/dx with v != ones: v * 2x.
    x = make_x()
    with autograd.record():
        y = x * x
    y.backward(tg.array([1.0, 0.5, -1.0, 2.0]))
    np.testing.assert_array_equal(a(x.grad), [0.0, 1.0, -4.0, 12.0])


@pytest.mark.parametrize("grad_req", ['write', 'add'])
def test_detaching_computation(grad_req):
    x = make_x(grad_req)
    x.grad.zero_()
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
        s = z.sum()
    s.backward()
    # torch: x.grad == u -> tensor([True, True, True, True])
    np.testing.assert_array_equal(x.grad == u, [True, True, True, True])
    np.testing.assert_array_equal(a(x.grad), [0.0, 1.0, 4.0, 9.0])

    # The graph leading to y persists.
    x.grad.zero_()
    with autograd.record():
        ys = y.sum()
    ys.backward()
    # torch: x.grad == 2 * x -> tensor([True, True, True, True])
    np.testing.assert_array_equal(x.grad == 2 * x, [True, True, True, True])
    np.testing.assert_array_equal(a(x.grad), [0.0, 2.0, 4.0, 6.0])


def f(a_):
    b = a_ * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def f_scale(value):
    """Oracle: f(a) / a for a float, by the same control flow."""
    b = value * 2.0
    scale = 2.0
    while abs(b) < 1000:
        b *= 2.0
        scale *= 2.0
    return scale if b > 0 else 100.0 * scale


@pytest.mark.parametrize("seed", range(8))
def test_gradients_and_python_control_flow(seed):
    tg.random.seed(seed)
    a_ = tg.random.normal(size=())
    assert a_.shape == ()
    a_.attach_grad()
    with autograd.record():
        d = f(a_)
    d.backward()
    value = a_.item()
    scale = f_scale(value)
    assert a_.grad.item() == scale
    if value > 0:
        # torch: a.grad == d / a -> tensor(True); exact, as doubling is exact.
        assert bool(a_.grad == d / a_) is True
    else:
        # 100 * b rounds, so d / a equals the gradient to rounding only.
        np.testing.assert_allclose(a_.grad.item(), (d / a_).item(), rtol=1e-14)


@pytest.mark.parametrize("value, scale", [
    (0.3, 4096.0),          # 0.3 * 2**12 = 1228.8
    (700.0, 2.0),           # already past 1000 after the first doubling
    (-3.0, 100.0 * 512.0),  # -3 * 2**9 = -1536 (sum <= 0: times 100)
])
def test_control_flow_both_branches(value, scale):
    a_ = tg.array(value)
    a_.attach_grad()
    with autograd.record():
        d = f(a_)
    d.backward()
    assert a_.grad.item() == scale
    assert d.item() == pytest.approx(value * scale, rel=1e-15)
