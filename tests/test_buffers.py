"""The buffer cache (_core/buffers.pyx, csrc/tg_buffers.c): NumPy's allocator
while tapegrad computes on big arrays, never outside."""
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

try:
    from numpy._core.multiarray import get_handler_name      # NumPy 2
except ImportError:
    from numpy.core.multiarray import get_handler_name       # NumPy 1.x

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


# ---- fork (issue 13) --------------------------------------------------------------
def _child_uses_the_cache(q):
    xv = np.random.default_rng(5).uniform(-3, 3, N)
    inherited = buffers.cached_blocks()
    x, y = chain(xv)
    y.backward()
    err = float(np.max(np.abs(x.grad.asnumpy() - expected_grad(xv))))
    q.put((inherited, get_handler_name(tg.exp(x)._data), err))


# Forking a process with threads is the point (Python >= 3.12 warns about it).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_allocates_through_the_inherited_cache():
    x, y = chain(np.linspace(-1, 1, N))
    y.backward()
    del x, y
    held = buffers.cached_blocks()
    assert held > 0
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child_uses_the_cache, args=(q,))
    p.start()
    p.join(timeout=60)
    assert p.exitcode == 0, "the forked child hung or crashed allocating from the cache"
    inherited, handler, err = q.get(timeout=5)
    assert inherited == held
    assert handler == CACHE
    assert err <= 1e-12


# The deterministic form: a C program built from tg_buffers.c holds the
# cache's lock in a second thread while the main thread forks; the child
# then allocates.  Without the fork handlers the child's copy of the lock is
# held by a thread that does not exist in the child, and it hangs.  The
# holder lets go only when told: after fork() returns (control run), or from
# a prepare handler that runs just before the cache's own (run with the
# handlers), which then waits for the lock, as a real fork would.
HARNESS = r"""
#include "tg_buffers.c"
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready[2], release[2];

static void *holder(void *arg)
{
    char c;
    (void)arg;
    tg_mutex_lock(&lock);
    if (write(ready[1], "x", 1) != 1 || read(release[0], &c, 1) != 1)
        _exit(3);
    tg_mutex_unlock(&lock);
    return NULL;
}

static void let_go(void)
{
    if (write(release[1], "x", 1) != 1)
        _exit(3);
}

int main(int argc, char **argv)
{
    char c;
    pthread_t t;
    pid_t pid;
    int status, handlers = argc > 1 && strcmp(argv[1], "register") == 0;
    if (handlers && (tg_buf_init() != 0 || pthread_atfork(let_go, NULL, NULL) != 0))
        return 4;           /* prepare handlers run last registered first */
    if (pipe(ready) != 0 || pipe(release) != 0 || pthread_create(&t, NULL, holder, NULL) != 0)
        return 5;
    if (read(ready[0], &c, 1) != 1)
        return 6;
    pid = fork();
    if (pid == 0) {
        void *p;
        alarm(5);                   /* a deadlocked child dies of SIGALRM */
        p = tg_buf_malloc(NULL, TG_BUF_MIN_BYTES);
        tg_buf_free(NULL, p, TG_BUF_MIN_BYTES);
        _exit(tg_buf_cached_blocks() == 1 ? 0 : 7);
    }
    if (!handlers)
        let_go();
    pthread_join(t, NULL);
    if (waitpid(pid, &status, 0) != pid)
        return 8;
    if (WIFSIGNALED(status)) {
        printf("child killed by signal %d\n", WTERMSIG(status));
        return 9;
    }
    printf("child exit %d\n", WEXITSTATUS(status));
    return WEXITSTATUS(status);
}
"""
CSRC = Path(__file__).resolve().parent.parent / "csrc"


@pytest.fixture(scope="module")
def fork_harness(tmp_path_factory):
    cc = (sysconfig.get_config_var("CC") or "cc").split()
    if sys.platform == "win32" or shutil.which(cc[0]) is None \
            or not (CSRC / "tg_buffers.c").exists():
        pytest.skip("needs POSIX, a C compiler and the csrc/ sources")
    d = tmp_path_factory.mktemp("fork")
    (d / "harness.c").write_text(HARNESS)
    exe = d / "harness"
    subprocess.run(cc + ["-O1", "-Wall", "-pthread", f"-I{CSRC}", str(d / "harness.c"),
                         "-o", str(exe)], check=True, capture_output=True, text=True)
    return exe


def test_fork_while_another_thread_holds_the_cache_lock(fork_harness):
    proc = subprocess.run([str(fork_harness), "register"], capture_output=True, text=True,
                          timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "child exit 0\n")


def test_without_the_fork_handlers_the_child_deadlocks(fork_harness):
    """The control: the harness does detect the bug the handlers fix."""
    proc = subprocess.run([str(fork_harness)], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (9, f"child killed by signal {signal.SIGALRM}\n")
