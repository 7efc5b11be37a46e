"""The buffer cache (_core/buffers.pyx, csrc/tg_buffers.c): NumPy's allocator
while tapegrad computes on big arrays, never outside."""
import threading

import numpy as np
import pytest
from numpy._core.multiarray import get_handler_name

import tapegrad as tg
from tapegrad import autograd
from tapegrad._core import buffers

CACHE = "tapegrad_buffer_cache"
N = 400_000                      # 3.2 MB of float64: above buffers.MIN_BYTES


@pytest.fixture
def limit():
    old = buffers.limit()
    yield
    buffers.set_limit(old)


def chain(xv):
    x = tg.array(xv)
    x.attach_grad()
    with autograd.record():
        y = tg.sum(tg.tanh(tg.sin(x) * x + tg.exp(-x * x)) * tg.cos(x))
    return x, y


def expected_grad(xv):
    u = np.sin(xv) * xv + np.exp(-xv * xv)
    du = np.cos(xv) * xv + np.sin(xv) - 2 * xv * np.exp(-xv * xv)
    t = np.tanh(u)
    return (1 - t * t) * du * np.cos(xv) - t * np.sin(xv)


def test_big_results_come_from_the_cache_and_user_arrays_do_not():
    assert N * 8 >= buffers.MIN_BYTES
    x = tg.array(np.linspace(-2, 2, N))
    y = tg.sin(x) * x
    assert get_handler_name(y.asnumpy()) != CACHE      # a copy made by the user's call
    assert get_handler_name(y._data) == CACHE
    small = tg.sin(tg.array(np.linspace(-2, 2, 10)))
    assert get_handler_name(small._data) != CACHE      # small ops leave NumPy alone
    assert get_handler_name(np.empty(N)) != CACHE      # the user's context is restored


def test_gradients_through_reused_buffers_are_exact():
    xv = np.random.default_rng(3).uniform(-3, 3, N)
    want = expected_grad(xv)
    for _ in range(3):                                  # later rounds reuse freed blocks
        x, y = chain(xv)
        y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-12, atol=1e-14)
    assert buffers.cached_blocks() > 0
    assert 0 < buffers.cached_bytes() <= buffers.limit()


def test_limit_bounds_the_cache_and_zero_turns_it_off(limit):
    xv = np.linspace(-1, 1, N)
    buffers.set_limit(2 * N * 8)
    x, y = chain(xv)
    y.backward()
    assert buffers.cached_bytes() <= 2 * N * 8
    buffers.set_limit(0)
    assert buffers.cached_bytes() == 0 and buffers.cached_blocks() == 0
    x, y = chain(xv)
    assert get_handler_name(tg.sin(x)._data) != CACHE
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), expected_grad(xv), rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="bytes >= 0"):
        buffers.set_limit(-1)


def test_empty_cache_returns_everything():
    x, y = chain(np.linspace(-1, 1, N))
    y.backward()
    del x, y
    buffers.empty_cache()
    assert buffers.cached_bytes() == 0


def test_a_failing_forward_restores_numpy_allocator():
    x = tg.array(np.ones(N))
    with pytest.raises(tg.errors.ShapeError):
        tg.reshape(x, (7, 3))
    assert get_handler_name(np.empty(N)) != CACHE


def test_other_threads_keep_their_allocator():
    names = []

    def work():
        x = tg.array(np.linspace(0, 1, N))
        names.append((get_handler_name(tg.exp(x)._data), get_handler_name(np.empty(N))))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert names == [(CACHE, names[0][1])] and names[0][1] != CACHE
