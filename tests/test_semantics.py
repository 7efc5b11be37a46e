"""Recording semantics: what is recorded, where gradients go, and when.

Behaviour-named tests of the "Recording and gradients" part of API.md
(MXNet's autograd semantics).  Every expected value comes from a closed form
or from float64 central differences computed here with plain NumPy.
"""

import gc
import math
import threading

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd


def a(t):
    return t.asnumpy()


def variable(values, grad_req='write', dtype=None):
    t = tg.array(values, dtype=dtype) if dtype is not None else tg.array(values)
    t.attach_grad(grad_req=grad_req)
    return t


def central_diff(fn, x, eps=1e-6):
    """float64 central differences of a scalar NumPy function at x."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp = x.copy()
        xm = x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (fn(xp) - fn(xm)) / (2 * eps)
    return g


def state():
    return autograd.is_recording(), autograd.is_training()


# --------------------------------------------------------------------------
# Recording state: scopes, modes, threads
# --------------------------------------------------------------------------

def test_is_recording_returns_bool():
    assert autograd.is_recording() is False
    assert autograd.is_training() is False
    with autograd.record():
        assert autograd.is_recording() is True
        assert autograd.is_training() is True
    with autograd.record(train_mode=False):
        assert autograd.is_recording() is True
        assert autograd.is_training() is False
    assert autograd.is_recording() is False
    assert autograd.is_training() is False


def test_pause_inside_record():
    x = variable([1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
        with autograd.pause():
            assert state() == (False, False)
            c = x * 10  # not recorded: a constant for what follows
        assert state() == (True, True)
        z = y * c
    z.backward()
    # z = x**2 * c with c held constant: dz/dx = 2 x c = 20 x**2.
    np.testing.assert_array_equal(a(x.grad), [20.0, 80.0, 180.0])
    np.testing.assert_array_equal(a(c), [10.0, 20.0, 30.0])
    with pytest.raises(RuntimeError):
        c.backward()


def test_pause_train_mode_flag():
    with autograd.record():
        with autograd.pause(train_mode=True):
            assert state() == (False, True)
        with autograd.pause():
            assert state() == (False, False)
    with autograd.pause():
        assert state() == (False, False)
    assert state() == (False, False)


def test_nested_scopes():
    assert state() == (False, False)
    with autograd.record():
        assert state() == (True, True)
        with autograd.record(train_mode=False):
            assert state() == (True, False)
            with autograd.pause():
                assert state() == (False, False)
                with autograd.train_mode():
                    assert state() == (False, True)
                    with autograd.record():
                        assert state() == (True, True)
                    assert state() == (False, True)
                assert state() == (False, False)
            assert state() == (True, False)
        assert state() == (True, True)
        with autograd.predict_mode():
            assert state() == (True, False)
        with autograd.pause(train_mode=True):
            assert state() == (False, True)
        assert state() == (True, True)
    assert state() == (False, False)


def test_train_mode_predict_mode():
    with autograd.train_mode():
        assert state() == (False, True)
        with autograd.predict_mode():
            assert state() == (False, False)
        assert state() == (False, True)
    assert state() == (False, False)
    # The training flag does not stop recording: ops under predict_mode()
    # inside record() are still differentiated.
    x = variable([1.0, -2.0])
    with autograd.record():
        with autograd.predict_mode():
            assert state() == (True, False)
            y = x * x * x
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [3.0, 12.0])


def test_record_state_restored_after_exception():
    with pytest.raises(ZeroDivisionError):
        with autograd.record():
            1 / 0
    assert state() == (False, False)

    with autograd.record(train_mode=False):
        with pytest.raises(KeyError):
            with autograd.pause(train_mode=True):
                raise KeyError("inner")
        assert state() == (True, False)
    assert state() == (False, False)

    with pytest.raises(ValueError):
        with autograd.train_mode():
            raise ValueError("x")
    assert state() == (False, False)

    with autograd.record():
        with pytest.raises(ValueError):
            with autograd.predict_mode():
                raise ValueError("x")
        assert state() == (True, True)
    assert state() == (False, False)


def test_record_state_restored_after_a_failing_op():
    x = variable([1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        with autograd.record():
            x + tg.ones((2,))  # shapes (3,) and (2,) do not broadcast
    assert state() == (False, False)
    # Recording still works afterwards.
    with autograd.record():
        y = x * x
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [2.0, 4.0, 6.0])


def test_recording_state_is_per_thread():
    entered = threading.Event()
    release = threading.Event()
    seen = {}

    def worker():
        try:
            seen['start'] = state()
            with autograd.record():
                seen['inside'] = state()
                x = variable([3.0])
                y = x * x
                entered.set()
                release.wait(10)
            seen['after'] = state()
            y.backward()
            seen['grad'] = x.grad.item()
        except BaseException as e:  # reported below, in the main thread
            seen['error'] = e
            entered.set()

    with autograd.record():
        t = threading.Thread(target=worker)
        t.start()
        assert entered.wait(10)
        # The worker is inside record(), the main thread too.
        assert state() == (True, True)
    # Main thread left record(); the worker still is inside its own.
    assert state() == (False, False)
    x = variable([1.0])
    y = x * 2  # not recorded in this thread
    with pytest.raises(RuntimeError):
        y.backward()
    release.set()
    t.join(10)
    assert not t.is_alive()
    assert 'error' not in seen, seen.get('error')
    # The main thread was recording when the worker started: not inherited.
    assert seen['start'] == (False, False)
    assert seen['inside'] == (True, True)
    assert seen['after'] == (False, False)
    assert seen['grad'] == 6.0


def test_comparisons_are_numpy_bools_and_not_recorded():
    x = variable([0.5, 2.0, -1.0])
    with autograd.record():
        m = x > 1
        e = x == 2
    assert isinstance(m, np.ndarray) and m.dtype == np.bool_
    np.testing.assert_array_equal(m, [False, True, False])
    np.testing.assert_array_equal(e, [False, True, False])
    np.testing.assert_array_equal(x <= 0.5, [True, False, True])
    np.testing.assert_array_equal(x != 2, [True, False, True])
    assert bool(x.sum() > 1) is True


# --------------------------------------------------------------------------
# What is recorded
# --------------------------------------------------------------------------

def test_nothing_recorded_outside_record():
    x = variable([1.0, 2.0])
    y = x * x
    with pytest.raises(RuntimeError):
        y.backward()
    np.testing.assert_array_equal(a(x.grad), [0.0, 0.0])
    np.testing.assert_array_equal(a(y), [1.0, 4.0])


def test_ops_without_variables_are_not_recorded():
    c = tg.array([1.0, 2.0])
    with autograd.record():
        y = c * 3
    with pytest.raises(RuntimeError):
        y.backward()


def test_nonscalar_backward_sums():
    xv = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
    x = variable(xv)
    with autograd.record():
        y = x * x * x
    y.backward()
    from_vector = a(x.grad)
    with autograd.record():
        s = (x * x * x).sum()
    s.backward()
    np.testing.assert_array_equal(from_vector, a(x.grad))
    np.testing.assert_allclose(from_vector, 3 * xv ** 2, rtol=1e-15)


# --------------------------------------------------------------------------
# grad_req and the gradient buffer
# --------------------------------------------------------------------------

def test_grad_req_write_overwrites():
    x = variable([1.0, 2.0])
    assert x.grad_req == 'write'
    with autograd.record():
        y = x * x
    y.backward()
    with autograd.record():
        y = 3 * x
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [3.0, 3.0])


def test_grad_req_add_accumulates():
    x = variable([1.0, 2.0], grad_req='add')
    assert x.grad_req == 'add'
    np.testing.assert_array_equal(a(x.grad), [0.0, 0.0])
    with autograd.record():
        y = x * x
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [2.0, 4.0])
    with autograd.record():
        y = 3 * x
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [5.0, 7.0])
    x.grad.zero_()
    with autograd.record():
        y = 3 * x
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [3.0, 3.0])


def test_grad_req_null_has_no_grad():
    x = variable([1.0, 2.0], grad_req='null')
    assert x.grad_req == 'null'
    assert x.grad is None
    w = variable([3.0, -4.0])
    with autograd.record():
        y = x * w
    y.backward()
    assert x.grad is None
    np.testing.assert_array_equal(a(w.grad), [1.0, 2.0])


def test_attach_grad_again_resets_to_zero():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [2.0, 4.0])
    x.attach_grad()
    np.testing.assert_array_equal(a(x.grad), [0.0, 0.0])


def test_gradient_buffer_is_written_in_place():
    x = variable([1.0, 2.0, 3.0])
    g = x.grad
    np.testing.assert_array_equal(a(g), [0.0, 0.0, 0.0])
    with autograd.record():
        y = x * x
    y.backward()
    # A reference taken before backward sees the result.
    np.testing.assert_array_equal(a(g), [2.0, 4.0, 6.0])
    with autograd.record():
        y = 5 * x
    y.backward()
    np.testing.assert_array_equal(a(g), [5.0, 5.0, 5.0])
    assert x.grad is g or np.array_equal(a(x.grad), a(g))


def test_zero_():
    x = variable([1.0, 2.0, 3.0])
    with autograd.record():
        y = 4 * x
    y.backward()
    g = x.grad
    g.zero_()
    np.testing.assert_array_equal(a(x.grad), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(a(x), [1.0, 2.0, 3.0])
    t = tg.array([[1.0, -2.0], [3.0, 4.0]])
    t.zero_()
    np.testing.assert_array_equal(a(t), np.zeros((2, 2)))
    assert t.shape == (2, 2)


# --------------------------------------------------------------------------
# backward
# --------------------------------------------------------------------------

def test_retain_graph_allows_second_backward():
    xv = np.array([0.5, -1.0, 2.0])
    x = variable(xv)
    with autograd.record():
        y = tg.sin(x) * x
    y.backward(retain_graph=True)
    first = a(x.grad)
    np.testing.assert_allclose(first, np.cos(xv) * xv + np.sin(xv), rtol=1e-14)
    y.backward()
    np.testing.assert_array_equal(a(x.grad), first)


def test_retain_graph_with_grad_req_add_doubles():
    xv = np.array([0.5, -1.0, 2.0])
    x = variable(xv, grad_req='add')
    with autograd.record():
        y = tg.exp(x) * x
    y.backward(retain_graph=True)
    first = a(x.grad)
    y.backward()
    np.testing.assert_array_equal(a(x.grad), 2 * first)
    np.testing.assert_allclose(first, np.exp(xv) * (xv + 1), rtol=1e-14)


def test_head_grad_scales_gradient():
    xv = np.array([0.3, -1.2, 2.5])
    h = np.array([1.0, -2.0, 0.5])
    x = variable(xv)
    with autograd.record():
        y = tg.sin(x)
    y.backward(tg.array(h))
    np.testing.assert_allclose(a(x.grad), h * np.cos(xv), rtol=1e-14)
    # A scalar head gradient scales a scalar output.
    with autograd.record():
        s = (x * x).sum()
    s.backward(tg.array(3.0))
    np.testing.assert_allclose(a(x.grad), 6 * xv, rtol=1e-15)


def test_shared_subexpression_accumulates():
    xv = np.array([0.5, -1.5, 2.0])
    x = variable(xv)
    with autograd.record():
        y = x * x
        z = y + y * y
    z.backward()
    # z = x**2 + x**4
    np.testing.assert_allclose(a(x.grad), 2 * xv + 4 * xv ** 3, rtol=1e-14)


def test_same_variable_used_twice_in_one_op():
    x = variable([3.0, -0.5])
    with autograd.record():
        y = x * x + x / x
    y.backward()
    np.testing.assert_allclose(a(x.grad), [6.0, -1.0], rtol=1e-15, atol=1e-15)


def test_detach_shares_values_and_stops_gradient():
    xv = np.array([1.0, 2.0, 3.0])
    x = variable(xv)
    with autograd.record():
        y = x * x * x
        d = y.detach()
        z = d * x
    np.testing.assert_array_equal(a(d), a(y))
    assert d.shape == y.shape and d.dtype == y.dtype
    z.backward()
    # d is a constant: dz/dx = d, not 4 x**3.
    np.testing.assert_array_equal(a(x.grad), xv ** 3)
    # d has no history ...
    with pytest.raises(RuntimeError):
        d.backward()
    # ... and the graph of y is untouched.
    y.backward()
    np.testing.assert_array_equal(a(x.grad), 3 * xv ** 2)


def test_detach_of_a_variable_is_a_constant():
    x = variable([2.0, 5.0])
    with autograd.record():
        y = x.detach() * x
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [2.0, 5.0])


def test_attach_grad_on_intermediate_detaches():
    xv = np.array([1.0, 2.0, 3.0])
    wv = np.array([2.0, -1.0, 0.5])
    x = variable(xv)
    w = variable(wv)
    with autograd.record():
        u = x * w
        u.attach_grad()
        z = u * u + x
    z.backward()
    np.testing.assert_array_equal(a(u.grad), 2 * xv * wv)
    np.testing.assert_array_equal(a(x.grad), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(a(w.grad), [0.0, 0.0, 0.0])


def test_in_place_update_of_a_variable_after_backward():
    # The usual training step: backward, then update the weights in place.
    x = variable([1.0, 2.0])
    for expected in ([2.0, 4.0], [1.6, 3.2]):
        with autograd.record():
            y = x * x
        y.backward()
        np.testing.assert_allclose(a(x.grad), expected, rtol=1e-15)
        with autograd.pause():
            x[...] = x - 0.1 * x.grad
    np.testing.assert_allclose(a(x), [0.64, 1.28], rtol=1e-15)


# --------------------------------------------------------------------------
# autograd.backward and autograd.grad
# --------------------------------------------------------------------------

def test_autograd_backward_several_heads():
    xv = np.array([0.2, -0.7, 1.9])
    x = variable(xv)
    with autograd.record():
        y1 = x * x
        y2 = tg.sin(x).sum()
    autograd.backward([y1, y2])
    np.testing.assert_allclose(a(x.grad), 2 * xv + np.cos(xv), rtol=1e-14)

    h = np.array([1.0, 3.0, -2.0])
    with autograd.record():
        y1 = x * x
        y2 = tg.sin(x).sum()
    autograd.backward([y1, y2], head_grads=[tg.array(h), tg.array(2.0)])
    np.testing.assert_allclose(a(x.grad), h * 2 * xv + 2 * np.cos(xv), rtol=1e-14)


def test_autograd_backward_heads_sharing_a_subgraph():
    xv = np.array([1.0, -2.0])
    x = variable(xv)
    with autograd.record():
        s = x * x
        y1 = s * 2
        y2 = s * 3
    autograd.backward([y1, y2])
    np.testing.assert_array_equal(a(x.grad), 10 * xv)


def test_autograd_grad_does_not_touch_dot_grad():
    xv = np.array([1.0, -2.0, 0.5])
    x = variable(xv)
    with autograd.record():
        y0 = 5 * x
    y0.backward()
    with autograd.record():
        y = (x * x * x).sum()
    grads = autograd.grad([y], [x])
    assert isinstance(grads, list) and len(grads) == 1
    np.testing.assert_allclose(a(grads[0]), 3 * xv ** 2, rtol=1e-15)
    np.testing.assert_array_equal(a(x.grad), [5.0, 5.0, 5.0])


def test_autograd_grad_zero_for_unused_variable():
    x = variable([1.0, 2.0])
    w = variable([[1.0, 2.0, 3.0]])
    with autograd.record():
        y = (x * x).sum()
    gx, gw = autograd.grad([y], [x, w])
    np.testing.assert_array_equal(a(gx), [2.0, 4.0])
    assert gw.shape == (1, 3)
    np.testing.assert_array_equal(a(gw), np.zeros((1, 3)))
    np.testing.assert_array_equal(a(w.grad), np.zeros((1, 3)))


def test_autograd_grad_create_graph_second_derivative():
    xv = np.array([0.5, -1.0, 2.0])
    x = variable(xv)
    with autograd.record():
        y = (x * x * x).sum()
        (dy,) = autograd.grad([y], [x], create_graph=True)
        s = dy.sum()
    np.testing.assert_allclose(a(dy), 3 * xv ** 2, rtol=1e-15)
    s.backward()
    np.testing.assert_allclose(a(x.grad), 6 * xv, rtol=1e-15)


# --------------------------------------------------------------------------
# Custom Function
# --------------------------------------------------------------------------

def test_custom_function_backward_is_used():
    received = []

    class StraightThrough(autograd.Function):
        def forward(self, x):
            return x * 0 + 1  # its own derivative would be 0

        def backward(self, dy):
            received.append(a(dy))
            return dy * 5

    x = variable([1.0, 2.0, 3.0])
    h = np.array([1.0, -1.0, 2.0])
    with autograd.record():
        y = StraightThrough()(x) * 2
    y.backward(tg.array(h))
    np.testing.assert_array_equal(a(y), [2.0, 2.0, 2.0])
    assert len(received) == 1
    np.testing.assert_array_equal(received[0], 2 * h)
    np.testing.assert_array_equal(a(x.grad), 10 * h)


def test_custom_function_two_inputs_in_order():
    class Mul(autograd.Function):
        def forward(self, x, y):
            self.save_for_backward(x, y)
            return x * y

        def backward(self, dz):
            x, y = self.saved_tensors
            return dz * y * 10, dz * x * 100

    x = variable([1.0, 2.0])
    y = variable([3.0, 4.0])
    with autograd.record():
        z = Mul()(x, y)
    np.testing.assert_array_equal(a(z), [3.0, 8.0])
    z.backward()
    np.testing.assert_array_equal(a(x.grad), [30.0, 40.0])
    np.testing.assert_array_equal(a(y.grad), [100.0, 200.0])


def test_custom_function_inside_a_larger_graph():
    class Exp(autograd.Function):
        def forward(self, x):
            y = tg.exp(x)
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            (y,) = self.saved_tensors
            return dy * y

    xv = np.array([0.1, -0.4, 1.3])
    x = variable(xv)
    with autograd.record():
        z = (Exp()(x * 2) * 3).sum()
    z.backward()
    np.testing.assert_allclose(a(x.grad), 6 * np.exp(2 * xv), rtol=1e-14)


# --------------------------------------------------------------------------
# A long chain
# --------------------------------------------------------------------------

def test_chain_of_100000_nodes():
    c = 1.0000001
    x = variable(1.5)
    with autograd.record():
        y = x
        for _ in range(100_000):
            y = y * c
    y.backward()
    expected = c ** 100_000
    np.testing.assert_allclose(x.grad.item(), expected, rtol=1e-9)
    np.testing.assert_allclose(y.item(), 1.5 * expected, rtol=1e-9)
    del y
    gc.collect()


def test_chain_of_100000_sin_mul_add_nodes():
    n = 35_000  # three nodes per step
    x = variable(0.7)
    with autograd.record():
        y = x
        for _ in range(n):
            y = y + tg.sin(y) * 1e-5
    y.backward()
    # Oracle: the chain rule by hand, in float64.
    v, d = 0.7, 1.0
    for _ in range(n):
        d *= 1.0 + 1e-5 * math.cos(v)
        v = v + math.sin(v) * 1e-5
    np.testing.assert_allclose(y.item(), v, rtol=1e-10)
    np.testing.assert_allclose(x.grad.item(), d, rtol=1e-9)
    assert d > 1.1  # the oracle is far from the trivial 1
    del y
    gc.collect()


def test_chain_of_100000_exp_log_nodes_is_identity():
    x = variable([0.3, -1.2])
    with autograd.record():
        y = x
        for _ in range(50_000):
            y = tg.log(tg.exp(y))
    y.backward()
    np.testing.assert_allclose(a(y), [0.3, -1.2], rtol=1e-9)
    np.testing.assert_allclose(a(x.grad), [1.0, 1.0], rtol=1e-9)


# --------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------

def test_default_dtype_and_input_conversion():
    assert tg.array([1, 2, 3]).dtype == np.float64
    assert tg.array([True, False]).dtype == np.float64
    np.testing.assert_array_equal(a(tg.array([True, False])), [1.0, 0.0])
    assert tg.array(np.arange(3, dtype=np.int32)).dtype == np.float64
    assert tg.array(np.arange(3, dtype=np.float32)).dtype == np.float32
    assert tg.array([1, 2], dtype=np.float32).dtype == np.float32
    assert tg.zeros((2, 3)).dtype == np.float64
    assert tg.arange(3).dtype == np.float64
    assert repr(tg.arange(3, dtype=np.float32)) == "tensor([0., 1., 2.], dtype=float32)"


def test_float32_times_python_scalar_stays_float32():
    x = tg.array(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    for r in (x * 2.5, 2.5 * x, x + 1, 1 - x, x / 3.0, 3.0 / x, x ** 2, -x):
        assert r.dtype == np.float32
    np.testing.assert_array_equal(a(x * 2.5), np.array([2.5, 5.0, 7.5], dtype=np.float32))


def test_float32_with_float64_promotes_to_float64():
    x32 = tg.array(np.array([1.0, 2.0], dtype=np.float32))
    x64 = tg.array([3.0, 4.0])
    assert (x32 + x64).dtype == np.float64
    assert (x64 * x32).dtype == np.float64
    assert (x32 * np.ones(2)).dtype == np.float64
    assert (x32 * np.ones(2, dtype=np.float32)).dtype == np.float32


def test_gradients_have_each_inputs_dtype():
    x32 = variable(np.array([1.0, 2.0], dtype=np.float32))
    x64 = variable([3.0, 4.0])
    assert x32.grad.dtype == np.float32
    with autograd.record():
        y = x32 * x64
    assert y.dtype == np.float64
    y.backward()
    assert x32.grad.dtype == np.float32
    assert x64.grad.dtype == np.float64
    np.testing.assert_array_equal(a(x32.grad), np.array([3.0, 4.0], dtype=np.float32))
    np.testing.assert_array_equal(a(x64.grad), [1.0, 2.0])


def test_float32_chain_gradient():
    xv = np.array([0.5, 1.5], dtype=np.float32)
    x = variable(xv)
    with autograd.record():
        y = (tg.exp(x) * 2.0).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(a(x.grad), 2 * np.exp(xv.astype(np.float64)), rtol=1e-6)


# --------------------------------------------------------------------------
# Broadcasting: gradients summed back to each input's shape
# --------------------------------------------------------------------------

def test_broadcast_gradients_summed_back_to_input_shape():
    av = np.array([[1.0], [2.0], [3.0]])
    bv = np.array([[1.0, 2.0, 3.0, 4.0]])
    x = variable(av)
    w = variable(bv)
    with autograd.record():
        y = x * w
    assert y.shape == (3, 4)
    y.backward()
    assert x.grad.shape == (3, 1)
    assert w.grad.shape == (1, 4)
    np.testing.assert_array_equal(a(x.grad), [[10.0], [10.0], [10.0]])
    np.testing.assert_array_equal(a(w.grad), [[6.0, 6.0, 6.0, 6.0]])


def test_broadcast_gradients_with_head_grad_and_rank_change():
    rng = np.random.default_rng(0)
    mv = rng.normal(size=(2, 4, 3))
    vv = rng.normal(size=(4, 1))
    sv = np.array(1.7)
    h = rng.normal(size=(2, 4, 3))
    m = variable(mv)
    v = variable(vv)
    s = variable(sv)
    with autograd.record():
        y = (m - v) / s
    y.backward(tg.array(h))
    np.testing.assert_allclose(a(m.grad), h / sv, rtol=1e-14)
    np.testing.assert_allclose(a(v.grad), (-h / sv).sum(axis=(0, 2))[:, None], rtol=1e-13)
    np.testing.assert_allclose(a(s.grad), (-h * (mv - vv) / sv ** 2).sum(), rtol=1e-13)
    assert s.grad.shape == ()


def test_broadcast_with_numpy_and_scalar_operands():
    xv = np.array([1.0, -2.0, 3.0])
    x = variable(xv)
    other = np.array([[1.0], [2.0]])
    with autograd.record():
        y = (other * x + 2.0) ** 2  # shape (2, 3)
    y.backward()
    expected = (2 * (other * xv + 2.0) * other).sum(axis=0)
    np.testing.assert_allclose(a(x.grad), expected, rtol=1e-15)


def test_broadcast_chain_against_central_differences():
    rng = np.random.default_rng(1)
    xv = rng.normal(size=(3, 1))
    wv = rng.normal(size=(4,))

    def fn(xw):
        x_, w_ = xw[:3].reshape(3, 1), xw[3:]
        return np.sum(np.tanh(x_ * w_ + w_) ** 2)

    x = variable(xv)
    w = variable(wv)
    with autograd.record():
        y = (tg.tanh(x * w + w) ** 2).sum()
    y.backward()
    num = central_diff(fn, np.concatenate([xv.ravel(), wv]))
    np.testing.assert_allclose(a(x.grad).ravel(), num[:3], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(a(w.grad), num[3:], rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------
# Indexing: gradients scatter back
# --------------------------------------------------------------------------

def test_integer_array_index_repeated_indices_add():
    x = variable([10.0, 20.0, 30.0, 40.0, 50.0])
    idx = np.array([0, 0, 2, 4, 4, 4])
    h = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    with autograd.record():
        y = x[idx]
    np.testing.assert_array_equal(a(y), [10.0, 10.0, 30.0, 50.0, 50.0, 50.0])
    y.backward(tg.array(h))
    np.testing.assert_array_equal(a(x.grad), [3.0, 0.0, 3.0, 0.0, 15.0])


def test_list_index_repeated_indices_add():
    x = variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with autograd.record():
        y = x[[2, 0, 2]]
    assert y.shape == (3, 2)
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]])


def test_boolean_mask_index():
    xv = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    x = variable(xv)
    with autograd.record():
        y = x[x > 0]
    np.testing.assert_array_equal(a(y), [1.0, 3.0, 5.0])
    y.backward(tg.array([7.0, 8.0, 9.0]))
    np.testing.assert_array_equal(a(x.grad), [[7.0, 0.0, 8.0], [0.0, 9.0, 0.0]])


def test_slice_index():
    xv = np.arange(20.0).reshape(4, 5)
    x = variable(xv)
    with autograd.record():
        y = x[1:3, ::2] * 2 + x[::-1, -1].sum()
    assert y.shape == (2, 3)
    y.backward()
    expected = np.zeros((4, 5))
    expected[1:3, ::2] += 2
    expected[:, -1] += 6  # the sum is broadcast over the 6 elements of y
    np.testing.assert_array_equal(a(x.grad), expected)


def test_none_and_ellipsis_index():
    rng = np.random.default_rng(2)
    xv = rng.normal(size=(2, 3, 4))
    h = rng.normal(size=(1, 2, 3))
    x = variable(xv)
    with autograd.record():
        y = x[None, ..., 1]
    assert y.shape == (1, 2, 3)
    np.testing.assert_array_equal(a(y), xv[None, ..., 1])
    y.backward(tg.array(h))
    expected = np.zeros((2, 3, 4))
    expected[..., 1] = h[0]
    np.testing.assert_array_equal(a(x.grad), expected)


def test_integer_index_of_a_row():
    x = variable([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        y = x[1] * x[1]
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [[0.0, 0.0], [6.0, 8.0]])


# --------------------------------------------------------------------------
# Derivatives where they are not unique (API.md conventions)
# --------------------------------------------------------------------------

def test_kinks_take_zero_at_zero():
    x = variable([-1.0, 0.0, 2.0])
    with autograd.record():
        y = tg.abs(x)
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [-1.0, 0.0, 1.0])
    with autograd.record():
        y = tg.relu(x)
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [0.0, 0.0, 1.0])


def test_clip_passes_gradient_on_closed_interval():
    x = variable([-1.0, 0.0, 0.5, 1.0, 2.0])
    with autograd.record():
        y = tg.clip(x, 0.0, 1.0)
    y.backward()
    np.testing.assert_array_equal(a(x.grad), [0.0, 1.0, 1.0, 1.0, 0.0])


def test_ties_split_the_gradient_evenly():
    x = variable([1.0, 3.0, 3.0, 3.0])
    with autograd.record():
        y = tg.max(x)
    y.backward()
    np.testing.assert_allclose(a(x.grad), [0.0, 1 / 3, 1 / 3, 1 / 3], rtol=1e-15)
    p = variable([1.0, 2.0, 5.0])
    q = variable([1.0, 3.0, 4.0])
    with autograd.record():
        y = tg.maximum(p, q)
    y.backward()
    np.testing.assert_array_equal(a(p.grad), [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(a(q.grad), [0.5, 1.0, 0.0])
    with autograd.record():
        y = tg.min(q)  # unique minimum
    y.backward()
    np.testing.assert_array_equal(a(q.grad), [1.0, 0.0, 0.0])
