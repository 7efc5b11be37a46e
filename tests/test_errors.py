"""The text of every user-facing error of the recording API.

Each test pins the exception type API.md promises and the key phrases of the
message (what went wrong and the fix); the rest of the wording is free.
"""

import re
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd


def a(t):
    return t.asnumpy()


def variable(values, grad_req='write'):
    t = tg.array(values)
    t.attach_grad(grad_req=grad_req)
    return t


def contains_all(message, *parts):
    missing = [p for p in parts if p not in message]
    assert not missing, f"{missing} not in error message: {message!r}"


# --------------------------------------------------------------------------
# backward
# --------------------------------------------------------------------------

def test_second_backward_without_retain_graph_raises():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [2.0, 4.0])
    with pytest.raises(RuntimeError, match=re.escape("retain_graph=True")):
        y.backward()


def test_second_backward_through_a_freed_shared_subgraph_raises():
    # z's graph contains y's; after z.backward() y's saved values are gone.
    x = variable([1.0, 2.0])
    with autograd.record():
        y = tg.sin(x)
        z = y * y
    z.backward()
    with pytest.raises(RuntimeError, match=re.escape("retain_graph=True")):
        z.backward()


def test_second_backward_via_autograd_backward_raises():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    autograd.backward([y])
    with pytest.raises(RuntimeError, match=re.escape("retain_graph=True")):
        autograd.backward([y])


def test_backward_of_unrecorded_tensor_raises():
    x = variable([1.0, 2.0])
    y = x * x  # outside record()
    with pytest.raises(RuntimeError, match=re.escape("autograd.record()")):
        y.backward()


def test_backward_of_a_plain_tensor_raises():
    t = tg.array([1.0, 2.0])
    with pytest.raises(RuntimeError, match=re.escape("autograd.record()")):
        t.backward()
    x = variable([3.0])
    with pytest.raises(RuntimeError, match=re.escape("autograd.record()")):
        x.detach().backward()


def test_head_grad_of_wrong_shape_raises_and_graph_stays_usable():
    x = variable(np.arange(6.0).reshape(2, 3))
    with autograd.record():
        y = x * x
    with pytest.raises(ValueError) as info:
        y.backward(tg.ones(3))
    contains_all(str(info.value), "(2, 3)", "(3,)")
    # The rejected call did not consume the graph.
    y.backward(tg.full((2, 3), 0.5))
    np.testing.assert_array_equal(a(x.grad), np.arange(6.0).reshape(2, 3))


def test_head_grad_of_wrong_shape_for_a_scalar_output():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    with pytest.raises(ValueError) as info:
        y.backward(tg.ones((2,)))
    contains_all(str(info.value), "()", "(2,)")
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [2.0, 4.0])


def test_head_grads_of_wrong_shape_in_autograd_backward():
    x = variable([1.0, 2.0, 3.0])
    with autograd.record():
        y = x * 2
    with pytest.raises(ValueError) as info:
        autograd.backward([y], head_grads=[tg.ones((3, 1))])
    contains_all(str(info.value), "(3,)", "(3, 1)")
    autograd.backward([y], head_grads=[tg.array([1.0, 2.0, 3.0])])
    np.testing.assert_array_equal(a(x.grad), [2.0, 4.0, 6.0])


# --------------------------------------------------------------------------
# In-place modification of a saved tensor
# --------------------------------------------------------------------------

IN_PLACE_MUL = r"(?is)(in-place.*mul|mul.*in-place)"


def set_all(t):
    t[...] = 5.0


def set_one(t):
    t[0] = 5.0


def iadd(t):
    t += 1


def isub(t):
    t -= 1


def imul(t):
    t *= 2


IN_PLACE = [set_all, set_one, iadd, isub, imul]


@pytest.mark.parametrize("modify", IN_PLACE, ids=lambda f: f.__name__)
def test_in_place_change_of_a_saved_variable_raises(modify):
    x = variable([1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
    modify(x)
    with pytest.raises(RuntimeError, match=IN_PLACE_MUL):
        y.backward()


@pytest.mark.parametrize("modify", IN_PLACE, ids=lambda f: f.__name__)
def test_in_place_change_of_a_saved_intermediate_raises(modify):
    x = variable([1.0, 2.0, 3.0])
    with autograd.record():
        h = x + 1
        y = h * h
    with autograd.pause():
        modify(h)
    with pytest.raises(RuntimeError, match=IN_PLACE_MUL):
        y.backward()


def test_in_place_change_is_caught_on_a_retained_graph():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(a(x.grad), [2.0, 4.0])
    x[...] = 10.0
    with pytest.raises(RuntimeError, match=IN_PLACE_MUL):
        y.backward()


# --------------------------------------------------------------------------
# Custom Function
# --------------------------------------------------------------------------

def test_function_backward_returning_too_few_gradients():
    class ThreeInputs(autograd.Function):
        def forward(self, x, y, z):
            return x * y * z

        def backward(self, dout):
            return dout  # one gradient for three inputs

    x, y, z = variable([1.0]), variable([2.0]), variable([3.0])
    with autograd.record():
        out = ThreeInputs()(x, y, z)
    with pytest.raises((ValueError, RuntimeError)) as info:
        out.backward()
    message = str(info.value)
    assert re.search(r"\b3\b", message) and re.search(r"\b1\b", message), message


def test_function_backward_returning_too_many_gradients():
    class OneInput(autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dout):
            return dout * 2, dout, dout, dout

    x = variable([1.0, 2.0])
    with autograd.record():
        out = OneInput()(x)
    with pytest.raises((ValueError, RuntimeError)) as info:
        out.backward()
    message = str(info.value)
    assert re.search(r"\b4\b", message) and re.search(r"\b1\b", message), message


# --------------------------------------------------------------------------
# attach_grad
# --------------------------------------------------------------------------

def test_attach_grad_with_unknown_grad_req():
    x = tg.array([1.0, 2.0])
    with pytest.raises(ValueError) as info:
        x.attach_grad(grad_req='bogus')
    contains_all(str(info.value), "grad_req", "write", "add", "null")
    # Nothing was attached.
    assert x.grad is None


# --------------------------------------------------------------------------
# Construction and conversion
# --------------------------------------------------------------------------

def test_array_of_a_string_is_a_type_error():
    with pytest.raises(TypeError, match=r"(?i)str|abc"):
        tg.array('abc')


def test_array_of_strings_is_a_type_error():
    with pytest.raises(TypeError, match=r"(?i)str|<U|abc"):
        tg.array(['abc', 'def'])


@pytest.mark.parametrize("data", [[1 + 2j, 3.0], np.array([1j]), 2j])
def test_array_of_complex_is_a_type_error(data):
    with pytest.raises(TypeError, match=r"(?i)complex"):
        tg.array(data)


def test_array_of_objects_is_a_type_error():
    with pytest.raises(TypeError, match=r"(?i)object"):
        tg.array(np.array([object(), object()]))


@pytest.mark.parametrize("method", ["item", "asscalar"])
def test_item_of_a_tensor_with_more_than_one_element(method):
    t = tg.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        getattr(t, method)()
    # Size-1 tensors of any rank convert.
    assert getattr(tg.array([[4.5]]), method)() == 4.5
    value = getattr(tg.array(2.0), method)()
    assert type(value) is float and value == 2.0


class _DividesByZeroInBackward(autograd.Function):
    def forward(self, x):
        return x * 1.0

    def backward(self, dy):
        return dy / np.zeros_like(dy.asnumpy())


def test_sweep_silences_rule_warnings_once_and_restores_the_callers_settings():
    """Rules' floating-point warnings are off while a sweep runs (set once
    per sweep); afterwards, and after a failed backward, NumPy's settings
    are the caller's again, and a custom Function's backward runs under them."""
    before = np.geterr()
    x = tg.array([0.0, 4.0])
    x.attach_grad()
    with autograd.record():
        y = tg.sum(tg.sqrt(x) * tg.matmul(tg.reshape(x, (1, 2)), tg.reshape(x, (2, 1))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward()                      # d sqrt at 0 is inf: no warning
    assert np.isinf(x.grad.asnumpy()[0]) and np.geterr() == before
    with autograd.record():
        z = tg.sum(_DividesByZeroInBackward()(tg.sqrt(x) @ tg.reshape(x, (2, 1))))
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            z.backward()
        assert np.geterr()["divide"] == "raise"
    assert np.geterr() == before
