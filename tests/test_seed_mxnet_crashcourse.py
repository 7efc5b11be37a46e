"""Seed 001: "4.3 Automatic Differentiation" (an MXNet crash course), ported.

Every code cell of ``shared/seeds/001_db9eb72d47ee40a5.txt`` is replayed with
tapegrad in place of ``mxnet.nd``.  The seed's printed outputs are the oracle.
Two translations are deliberate: MXNet's ``dot`` and ``sum`` of vectors give a
shape-(1,) array where tapegrad (like NumPy) gives a 0-d tensor, and
``str(tensor)`` is ``str(tensor.asnumpy())``, so ``[28.]`` prints as ``28.0``.
Each test rebuilds the state the previous cells left behind, so the tests are
independent of one another.
"""

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd


def a(t):
    """The values of a tensor as a NumPy array (the assertions' currency)."""
    return t.asnumpy()


def make_x():
    """Cells 3 and 4: ``x = nd.arange(4); x.attach_grad()``."""
    x = tg.arange(4)
    x.attach_grad()
    return x


# In [3] -------------------------------------------------------------------

def test_cell03_arange_values_and_display():
    x = tg.arange(4)
    assert x.shape == (4,)
    assert x.dtype == np.float64
    np.testing.assert_array_equal(a(x), [0.0, 1.0, 2.0, 3.0])
    # The seed displays "[0. 1. 2. 3.]"; repr adds the type name.
    assert str(x) == "[0. 1. 2. 3.]"
    assert repr(x) == "tensor([0., 1., 2., 3.])"


# In [4] -------------------------------------------------------------------

def test_cell04_attach_grad_allocates_zero_gradient():
    x = tg.arange(4)
    assert x.grad is None
    x.attach_grad()
    assert x.grad is not None
    assert x.grad.shape == (4,)
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(a(x.grad), np.zeros(4))


# In [5] -------------------------------------------------------------------

def test_cell05_record_two_x_dot_x():
    x = make_x()
    with autograd.record():
        y = 2 * tg.dot(x, x)
    # Seed: [28.]
    assert y.shape == ()
    assert y.item() == 28.0
    assert str(y) == "28.0"


# In [6], [7] --------------------------------------------------------------

def test_cell06_07_backward_gives_four_x(capsys):
    x = make_x()
    with autograd.record():
        y = 2 * tg.dot(x, x)
    y.backward()
    print(x)
    print(x.grad)
    print(x.grad - 4 * x)
    out = capsys.readouterr().out
    assert out == "[0. 1. 2. 3.]\n[ 0.  4.  8. 12.]\n[0. 0. 0. 0.]\n"
    np.testing.assert_array_equal(a(x.grad), [0.0, 4.0, 8.0, 12.0])
    np.testing.assert_array_equal(a(x.grad - 4 * x), np.zeros(4))


# In [8] -------------------------------------------------------------------

def test_cell08_norm_gradient_overwrites_previous_gradient():
    x = make_x()
    with autograd.record():
        y = 2 * tg.dot(x, x)
    y.backward()
    with autograd.record():
        y = x.norm()
    y.backward()
    # Seed (float32): [0. 0.26726124 0.5345225 0.80178374]
    np.testing.assert_allclose(
        a(x.grad), [0.0, 0.26726124, 0.5345225, 0.80178374], rtol=1e-6, atol=0
    )
    # Closed form, float64: x / ||x|| = x / sqrt(14).
    np.testing.assert_allclose(
        a(x.grad), np.arange(4.0) / np.sqrt(14.0), rtol=1e-14, atol=0
    )
    assert x.grad[0].item() == 0.0


# In [9] -------------------------------------------------------------------

def test_cell09_backward_for_non_scalar_variable(capsys):
    x = make_x()
    print('x vector : ', x)
    with autograd.record():  # y is a vector
        y = x * x
    print('y vector : ', y)
    y.backward()
    print('x.grad : ', x.grad)

    u = x.copy()
    u.attach_grad()
    with autograd.record():  # v is scalar
        v = (u * u).sum()
    print('v scalar : ', v)
    v.backward()
    print('u.grad : ', u.grad)

    diff = x.grad - u.grad
    out = capsys.readouterr().out
    assert out == (
        "x vector :  [0. 1. 2. 3.]\n"
        "y vector :  [0. 1. 4. 9.]\n"
        "x.grad :  [0. 2. 4. 6.]\n"
        "v scalar :  14.0\n"
        "u.grad :  [0. 2. 4. 6.]\n"
    )
    np.testing.assert_array_equal(a(x.grad), [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(a(u.grad), [0.0, 2.0, 4.0, 6.0])
    assert v.item() == 14.0
    np.testing.assert_array_equal(a(diff), np.zeros(4))


def test_cell09_copy_is_independent_of_original():
    x = make_x()
    u = x.copy()
    u.attach_grad()
    # x keeps its own gradient buffer and values.
    assert u.grad is not x.grad
    with autograd.record():
        v = (u * u).sum()
    v.backward()
    np.testing.assert_array_equal(a(u.grad), [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(a(x.grad), np.zeros(4))


# In [10] ------------------------------------------------------------------

def run_cell10(x):
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
    return y, u, z


def test_cell10_detach_computations(capsys):
    x = make_x()
    y, u, z = run_cell10(x)
    print('x : ', x)
    print('u : ', u)
    print('z : ', z)
    z.backward()
    print('x.grad : ', x.grad)
    print('u : ', u)
    diff = x.grad - u
    out = capsys.readouterr().out
    assert out == (
        "x :  [0. 1. 2. 3.]\n"
        "u :  [0. 1. 4. 9.]\n"
        "z :  [ 0.  1.  8. 27.]\n"
        "x.grad :  [0. 1. 4. 9.]\n"
        "u :  [0. 1. 4. 9.]\n"
    )
    # dz/dx with u held constant is u, not 3 x**2.
    np.testing.assert_array_equal(a(x.grad), [0.0, 1.0, 4.0, 9.0])
    np.testing.assert_array_equal(a(diff), np.zeros(4))


# In [11] ------------------------------------------------------------------

def test_cell11_graph_of_y_survives_backward_of_z(capsys):
    x = make_x()
    y, u, z = run_cell10(x)
    z.backward()
    y.backward()
    print('y : ', y)
    print('x.grad : ', x.grad)
    print('x : ', x)
    diff = x.grad - 2 * x
    out = capsys.readouterr().out
    assert out == (
        "y :  [0. 1. 4. 9.]\n"
        "x.grad :  [0. 2. 4. 6.]\n"
        "x :  [0. 1. 2. 3.]\n"
    )
    np.testing.assert_array_equal(a(x.grad), [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(a(diff), np.zeros(4))


# In [12] ------------------------------------------------------------------

def test_cell12_attach_grad_to_internal_variable():
    x = make_x()
    y = tg.ones(4) * 2
    y.attach_grad()
    with autograd.record():
        u = x * y
        u.attach_grad()  # implicitly run u = u.detach()
        z = u + x
    z.backward()
    # Seed: x.grad [1 1 1 1], u.grad [1 1 1 1], y.grad [0 0 0 0]
    np.testing.assert_array_equal(a(x.grad), np.ones(4))
    np.testing.assert_array_equal(a(u.grad), np.ones(4))
    np.testing.assert_array_equal(a(y.grad), np.zeros(4))
    # u kept its values when it became a variable.
    np.testing.assert_array_equal(a(u), [0.0, 2.0, 4.0, 6.0])


# In [13], [14] ------------------------------------------------------------

def test_cell13_14_head_gradients():
    x = make_x()
    y = tg.ones(4) * 2
    y.attach_grad()
    with autograd.record():
        u = x * y
        v = u.detach()  # u still keeps the computation graph
        v.attach_grad()
        z = v + x
    z.backward()
    # Seed In [13]: x.grad [1 1 1 1], y.grad [0 0 0 0]
    np.testing.assert_array_equal(a(x.grad), np.ones(4))
    np.testing.assert_array_equal(a(y.grad), np.zeros(4))
    np.testing.assert_array_equal(a(v.grad), np.ones(4))

    u.backward(v.grad)
    # Seed In [14]: x.grad [2 2 2 2], y.grad [0 1 2 3]
    np.testing.assert_array_equal(a(x.grad), [2.0, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(a(y.grad), [0.0, 1.0, 2.0, 3.0])


def test_cell14_head_gradient_values_are_used_not_just_ones():
    # The same cell with a head gradient that is not all ones: the
    # result is head * y for x and head * x for y.
    x = make_x()
    y = tg.ones(4) * 2
    y.attach_grad()
    with autograd.record():
        u = x * y
    u.backward(tg.array([1.0, -2.0, 0.5, 3.0]))
    np.testing.assert_array_equal(a(x.grad), [2.0, -4.0, 1.0, 6.0])
    np.testing.assert_array_equal(a(y.grad), [0.0, -2.0, 1.0, 9.0])


# In [15] - [18] -----------------------------------------------------------

def f(a_):
    b = a_ * 2
    while b.norm().asscalar() < 1000:
        b = b * 2
    if b.sum().asscalar() > 0:
        c = b
    else:
        c = 100 * b
    return c


def expected_scale(value):
    """Oracle for f: the factor f(a) / a, by the same control flow on floats."""
    b = value * 2.0
    scale = 2.0
    while abs(b) < 1000:
        b *= 2.0
        scale *= 2.0
    return scale if b > 0 else 100.0 * scale


def test_cell15_18_control_flow_with_the_seeds_value(capsys):
    # The seed printed a = [1.1630787], d = [1190.9926], a.grad = [1024.].
    a_ = tg.array([1.1630787])
    a_.attach_grad()
    with autograd.record():
        d = f(a_)
    d.backward()
    np.testing.assert_allclose(a(d), [1190.9926], rtol=1e-6)
    np.testing.assert_array_equal(a(a_.grad), [1024.0])
    print(a_.grad == (d / a_))
    assert capsys.readouterr().out == "[ True]\n"
    cmp = a_.grad == (d / a_)
    assert isinstance(cmp, np.ndarray) and cmp.dtype == np.bool_
    np.testing.assert_array_equal(cmp, [True])


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_cell16_control_flow_random_input(seed):
    tg.random.seed(seed)
    a_ = tg.random.normal(size=1)
    assert a_.shape == (1,)
    a_.attach_grad()
    with autograd.record():
        d = f(a_)
    d.backward()
    value = a_.item()
    scale = expected_scale(value)
    # f is linear in a with a piecewise scale: the gradient is that scale.
    assert a_.grad.item() == scale
    np.testing.assert_allclose(a(d), [scale * value], rtol=1e-15)
    if value > 0:
        # Doubling is exact, so the seed's equality holds bit for bit.
        np.testing.assert_array_equal(a_.grad == (d / a_), [True])
    else:
        np.testing.assert_allclose(a(a_.grad), a(d / a_), rtol=1e-14)


def test_cell16_control_flow_negative_branch():
    a_ = tg.array([-0.5])
    a_.attach_grad()
    with autograd.record():
        d = f(a_)
    d.backward()
    # b = -0.5 * 2**11 = -1024 (norm >= 1000), sum < 0, so c = 100 * b.
    np.testing.assert_array_equal(a(d), [-102400.0])
    np.testing.assert_array_equal(a(a_.grad), [204800.0])


# In [19] ------------------------------------------------------------------

def test_cell19_training_mode_and_prediction_mode(capsys):
    print(autograd.is_training())
    with autograd.record():
        print(autograd.is_training())
    assert capsys.readouterr().out == "False\nTrue\n"
