"""Issue 13: a backward that fails or is interrupted loses nothing.

Whatever stops a backward (an error in a rule, an in-place check, Ctrl-C in
the middle of a long native sweep), the graph stays as it was (nothing
freed) and no ``.grad`` buffer changes, so a retry gives the right gradient
and no message claims the graph was freed.  Public API only.
"""
import os
import signal
import subprocess
import sys
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
    """Run fn() while another process sends this one SIGINT (Ctrl-C) after
    ``delay`` s.  Returns (whether fn raised KeyboardInterrupt, seconds from
    the signal to fn's return).

    Another process, not a thread: a thread needs the GIL to raise the
    interrupt, and the native sweep holds it, so on a loaded machine a
    thread's request could arrive only after the sweep.  The time is taken
    just after kill() returned: the signal is pending from then on, however
    long the other process waited for a core before sending it.

    Python's own Ctrl-C handler is installed for the call: a process started
    as a background job of a non-interactive shell (``cmd &`` in a script,
    as CI runs its second lane) inherits SIGINT ignored, and Python then
    leaves it ignored, so no KeyboardInterrupt could arrive at all.  An
    interrupt that arrives after fn returned is absorbed here, so it cannot
    escape into the test runner."""
    # the other process starts (slow on a loaded machine), says so, and
    # counts ``delay`` only from when fn is about to run
    killer = subprocess.Popen([sys.executable, "-c",
                               "import os, signal, sys, time\n"
                               "print('ready', flush=True)\n"
                               "sys.stdin.readline()\n"
                               "time.sleep(float(sys.argv[2]))\n"
                               "os.kill(int(sys.argv[1]), signal.SIGINT)\n"
                               "print(time.time(), flush=True)\n",
                               str(os.getpid()), str(delay)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert killer.stdout.readline().strip() == "ready"
    raised = False
    done = None
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        try:
            killer.stdin.write("go\n")
            killer.stdin.flush()
            fn()
        except KeyboardInterrupt:
            raised = True
        done = time.time()
        killer.wait(timeout=60)
        for _ in range(100000):      # a late interrupt lands in this loop
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, handler)
    sent = float(killer.stdout.read().strip() or "nan")
    killer.stdout.close()
    killer.stdin.close()
    return raised, (done - sent) if done is not None else None


def _long_native_chain(n, size):
    x = variable(np.full(size, 2.0), "add")
    x.grad[...] = 7.0
    with autograd.record():
        y = x
        for _ in range(n):
            y = -y
        loss = y.sum()
    return x, loss


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX signal from another process")
def test_interrupt_during_native_sweep_stops_it_and_loses_nothing():
    n, size = 6001, 400_000           # about 120 us a node: a sweep of ~0.7 s
    for _ in range(3):
        x, loss = _long_native_chain(n, size)
        raised, latency = _interrupt_during(loss.backward, 0.05)
        if raised or latency is None or latency > 0.05:
            break
        # the signal was pending only for the sweep's last ~50 ms or after it
        # had returned (a loaded machine delayed the other process): the
        # case was not exercised; run it again (the sweep consumed the graph)
    assert raised, ("the KeyboardInterrupt was not raised by backward(); seconds "
                    "between the signal and backward's return:", latency)
    np.testing.assert_array_equal(x.grad.asnumpy()[:3], [7.0, 7.0, 7.0])
    assert np.all(x.grad.asnumpy() == 7.0)
    t0 = time.perf_counter()
    loss.backward()                   # the retry: (-1)^6001 = -1, added to 7
    sweep = time.perf_counter() - t0
    assert np.all(x.grad.asnumpy() == 6.0)
    # noticed within the sweep (checked every 256 nodes, ~30 ms here), not
    # at its end: the whole sweep, timed just after, takes ~0.7 s.  A ratio
    # of two runs back to back, so a loaded machine slows both.
    assert latency < 0.5 * sweep, (latency, sweep)
    with pytest.raises(errors.GraphFreedError, match="retain_graph=True"):
        loss.backward()

