"""Issue 13: a backward that fails or is interrupted loses nothing.

Whatever stops a backward (an error in a rule, an in-place check, Ctrl-C in
the middle of a long native sweep), the graph stays as it was (nothing
freed) and no ``.grad`` buffer changes, so a retry gives the right gradient
and no message claims the graph was freed.  Public API only.
"""
import _thread
import threading
import time

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad import errors


def variable(values, grad_req="write"):
    x = tg.array(values)
    x.attach_grad(grad_req)
    return x


class FailsOnce(autograd.Function):
    """3x, whose first backward raises ``exc`` (a rule failing, or Ctrl-C
    arriving while user code runs)."""

    def __init__(self, exc):
        super().__init__()
        self.exc = exc
        self.calls = 0

    def forward(self, x):
        return x * 3.0

    def backward(self, dy):
        self.calls += 1
        if self.calls == 1:
            raise self.exc
        return dy * 3.0


@pytest.mark.parametrize("exc", [RuntimeError("rule failed"), KeyboardInterrupt()],
                         ids=["error", "keyboard_interrupt"])
def test_failed_backward_over_two_tapes_leaves_graph_and_grads_intact(exc):
    x = variable([1.0, 2.0], "add")
    x.grad[...] = 7.0
    f = FailsOnce(exc)
    with autograd.record():          # older tape
        h = f(x)
    with autograd.record():          # newer tape: swept first
        y = (h * h).sum()
    with pytest.raises(type(exc)):
        y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [7.0, 7.0])
    y.backward()                     # 18 x, added to 7
    np.testing.assert_array_equal(x.grad.asnumpy(), [25.0, 43.0])
    with pytest.raises(errors.GraphFreedError, match="retain_graph=True"):
        y.backward()


def test_failed_autograd_grad_leaves_graph_intact():
    x = variable([1.0, 2.0])
    f = FailsOnce(RuntimeError("rule failed"))
    with autograd.record():
        h = f(x)
    with autograd.record():
        y = (h * h).sum()
    with pytest.raises(RuntimeError, match="rule failed"):
        autograd.grad(y, x)
    g, = autograd.grad(y, x)
    np.testing.assert_array_equal(g.asnumpy(), [18.0, 36.0])
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])


def test_inplace_error_on_older_tape_does_not_free_newer_tape():
    x = variable([1.0, 2.0])
    with autograd.record():
        h = x * x                    # saves x
    with autograd.record():
        y = (h * 2.0).sum()
    z = x.detach()
    z[0] = 5.0                       # x changed in place behind the older tape
    for _ in range(2):               # the retry names the same cause, not "freed"
        with pytest.raises(errors.InplaceModificationError, match="input 0 of 'multiply'"):
            y.backward()


def _interrupt_during(fn, delay):
    """Run fn() while another thread requests a KeyboardInterrupt after
    ``delay`` s.  Returns (whether fn raised it, seconds from the request to
    fn's return).  An interrupt that arrives only after fn returned is
    absorbed here, so it cannot escape into the test runner."""
    requested = []

    def fire():
        requested.append(time.perf_counter())
        _thread.interrupt_main()

    timer = threading.Timer(delay, fire)
    raised = False
    done = None
    try:
        timer.start()
        try:
            fn()
        except KeyboardInterrupt:
            raised = True
        done = time.perf_counter()
        timer.join()
        for _ in range(100000):      # a late interrupt lands in this loop
            pass
    except KeyboardInterrupt:
        pass
    return raised, (done - requested[0]) if requested and done else None


def _long_native_chain(n, size):
    x = variable(np.full(size, 2.0), "add")
    x.grad[...] = 7.0
    with autograd.record():
        y = x
        for _ in range(n):
            y = -y
        loss = y.sum()
    return x, loss


def test_interrupt_during_native_sweep_stops_it_and_loses_nothing():
    n, size = 6001, 400_000           # about 120 us a node: a sweep of ~0.7 s
    x, loss = _long_native_chain(n, size)
    x2, loss2 = _long_native_chain(200, size)
    t0 = time.perf_counter()
    loss2.backward()
    per_node = (time.perf_counter() - t0) / 200
    raised, latency = _interrupt_during(loss.backward, 0.05)
    assert raised, "the KeyboardInterrupt was not raised by backward()"
    np.testing.assert_array_equal(x.grad.asnumpy()[:3], [7.0, 7.0, 7.0])
    assert np.all(x.grad.asnumpy() == 7.0)
    # noticed within the sweep, long before it could have finished
    assert latency < 0.4 * n * per_node, (latency, n * per_node)
    loss.backward()                   # the retry: (-1)^6001 = -1, added to 7
    assert np.all(x.grad.asnumpy() == 6.0)
    with pytest.raises(errors.GraphFreedError, match="retain_graph=True"):
        loss.backward()

