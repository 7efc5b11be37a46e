"""Memory: a graph's saved values are freed by backward, and training loops
do not grow.

Measured with tracemalloc, which sees NumPy's data buffers (NumPy reports
them to it).  Each test first checks that the memory it expects to be freed
was visible to tracemalloc at all, so a test cannot pass by measuring
nothing.
"""

import gc
import time
import tracemalloc

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

N = 1_000_000          # elements per big array
MB = 1024 * 1024
BIG = N * 8            # bytes of one float64 array of N elements
STEPS = 10             # recorded ops, each saving a big array


def a(t):
    return t.asnumpy()


@pytest.fixture
def traced():
    gc.collect()
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def current():
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def record_sin_chain(x):
    """y = sin(sin(...sin(x))) (STEPS times); each sin saves its input or
    output, a big array; only the head is returned."""
    with autograd.record():
        y = x
        for _ in range(STEPS):
            y = tg.sin(y)
    return y


def sin_chain_gradient(xv):
    v, d = xv.copy(), np.ones_like(xv)
    for _ in range(STEPS):
        d *= np.cos(v)
        v = np.sin(v)
    return v, d


def test_backward_frees_saved_values(traced):
    xv = np.linspace(-2.0, 2.0, N)
    x = tg.array(xv)
    x.attach_grad()
    base = current()
    y = record_sin_chain(x)
    recorded = current()
    # The graph holds about one big array per op (the intermediates have
    # no Python reference left, only the graph keeps them).
    assert recorded - base >= (STEPS - 1) * BIG * 0.9, (recorded - base) / MB
    y.backward()
    after = current()
    # Left: the head y (one big array) and little else.
    assert after - base <= 2 * BIG, (after - base) / MB
    assert recorded - after >= (STEPS - 2) * BIG * 0.9, (recorded - after) / MB
    # And the gradient is right (the values were used before being freed).
    v, d = sin_chain_gradient(xv)
    idx = np.array([0, 1, N // 3, N // 2, N - 1])
    np.testing.assert_allclose(a(y)[idx], v[idx], rtol=1e-13)
    np.testing.assert_allclose(a(x.grad)[idx], d[idx], rtol=1e-12, atol=1e-15)


def test_retain_graph_keeps_saved_values_until_the_head_goes(traced):
    x = tg.array(np.linspace(-2.0, 2.0, N))
    x.attach_grad()
    base = current()
    y = record_sin_chain(x)
    recorded = current()
    y.backward(retain_graph=True)
    retained = current()
    # Still there: a second backward must be able to run.
    assert retained - base >= (STEPS - 1) * BIG * 0.9, (retained - base) / MB
    first = a(x.grad)[:5]
    y.backward()
    np.testing.assert_array_equal(a(x.grad)[:5], first)
    freed = current()
    assert recorded - freed >= (STEPS - 2) * BIG * 0.9, (recorded - freed) / MB


def test_graph_without_backward_is_freed_with_its_head(traced):
    x = tg.array(np.linspace(-2.0, 2.0, N))
    x.attach_grad()
    base = current()
    y = record_sin_chain(x)
    recorded = current()
    assert recorded - base >= (STEPS - 1) * BIG * 0.9, (recorded - base) / MB
    del y
    after = current()
    assert after - base <= 0.5 * BIG, (after - base) / MB


def test_graph_without_backward_is_freed_while_another_graph_lives(traced):
    # An unrelated recorded result that stays alive (a cached output, the
    # previous step's loss) must not keep later graphs' saved values.
    w = tg.array([1.0, 2.0])
    w.attach_grad()
    with autograd.record():
        keep = w * w
    x = tg.array(np.linspace(-2.0, 2.0, N))
    x.attach_grad()
    base = current()
    y = record_sin_chain(x)
    recorded = current()
    assert recorded - base >= (STEPS - 1) * BIG * 0.9, (recorded - base) / MB
    del y
    after = current()
    assert after - base <= 0.5 * BIG, (after - base) / MB
    keep.backward()
    np.testing.assert_array_equal(a(w.grad), [2.0, 4.0])


def test_autograd_grad_frees_saved_values(traced):
    xv = np.linspace(-2.0, 2.0, N)
    x = tg.array(xv)
    x.attach_grad()
    base = current()
    y = record_sin_chain(x)
    with autograd.record():
        s = y.sum()
    recorded = current()
    (g,) = autograd.grad([s], [x])
    del y
    after = current()
    # Left: the returned gradient and little else.
    assert after - base <= 2 * BIG, (after - base) / MB
    assert recorded - after >= (STEPS - 3) * BIG * 0.9, (recorded - after) / MB
    _, d = sin_chain_gradient(xv)
    np.testing.assert_allclose(a(g)[:3], d[:3], rtol=1e-12)


# --------------------------------------------------------------------------
# A long training loop does not grow
# --------------------------------------------------------------------------

def make_mlp(rng):
    w1 = tg.array(rng.normal(scale=0.5, size=(8, 16)))
    b1 = tg.zeros(16)
    w2 = tg.array(rng.normal(scale=0.5, size=(16, 1)))
    b2 = tg.zeros(1)
    params = [w1, b1, w2, b2]
    for p in params:
        p.attach_grad()
    return params


def mlp_loss(params, X, Y):
    w1, b1, w2, b2 = params
    h = tg.tanh(X @ w1 + b1)
    out = h @ w2 + b2
    return ((out - Y) ** 2).mean()


def mlp_loss_np(params, X, Y):
    w1, b1, w2, b2 = params
    h = np.tanh(X @ w1 + b1)
    out = h @ w2 + b2
    return np.mean((out - Y) ** 2)


def test_mlp_gradient_matches_central_differences():
    rng = np.random.default_rng(3)
    params = make_mlp(rng)
    Xv = rng.normal(size=(4, 8))
    Yv = rng.normal(size=(4, 1))
    with autograd.record():
        loss = mlp_loss(params, tg.array(Xv), tg.array(Yv))
    loss.backward()
    values = [a(p) for p in params]
    assert loss.item() == pytest.approx(mlp_loss_np(values, Xv, Yv), rel=1e-12)
    eps = 1e-6
    for k, p in enumerate(params):
        num = np.zeros_like(values[k])
        for i in np.ndindex(values[k].shape):
            plus = [v.copy() for v in values]
            minus = [v.copy() for v in values]
            plus[k][i] += eps
            minus[k][i] -= eps
            num[i] = (mlp_loss_np(plus, Xv, Yv) - mlp_loss_np(minus, Xv, Yv)) / (2 * eps)
        np.testing.assert_allclose(a(p.grad), num, rtol=1e-5, atol=1e-8)


def test_training_loop_memory_is_flat():
    """20,000 record/backward/update steps of a small MLP, written the way
    a script writes them (``loss`` of one step is still alive while the
    next is recorded): memory after step 20,000 is that after step 2,000.

    tracemalloc starts at step 2,000, so what it holds at the end is what
    steps 2,001-20,000 allocated and never freed; it is checked every 250
    steps, so a leak fails early instead of crawling to the end.
    """
    rng = np.random.default_rng(4)
    params = make_mlp(rng)
    X = tg.array(rng.normal(size=(4, 8)))
    Y = tg.array(rng.normal(size=(4, 1)))
    steps, checkpoint, every, lr = 20_000, 2_000, 250, 0.01
    initial = [a(p) for p in params]

    losses = []
    t0 = time.perf_counter()
    try:
        for step in range(1, steps + 1):
            with autograd.record():
                loss = mlp_loss(params, X, Y)
            loss.backward()
            with autograd.pause():
                for p in params:
                    p[...] = p - lr * p.grad
            if step == 1 or step == steps:
                losses.append(loss.item())
            if step == checkpoint:
                gc.collect()
                tracemalloc.start()
                at_checkpoint = current()
            if step > checkpoint and step % every == 0:
                grown = current() - at_checkpoint
                assert grown <= 1 * MB, (
                    f"grew by {grown / MB:.2f} MB from step {checkpoint} to {step}")
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - t0

    # The loop really trained: the same 20,000 steps of plain NumPy
    # gradient descent (gradients by hand) end at the same weights.
    w1, b1, w2, b2 = [v.copy() for v in initial]
    Xv, Yv = a(X), a(Y)
    for _ in range(steps):
        h = np.tanh(Xv @ w1 + b1)
        g = 2 * (h @ w2 + b2 - Yv) / Yv.size
        gh = (g @ w2.T) * (1 - h ** 2)
        w2 -= lr * (h.T @ g)
        b2 -= lr * g.sum(axis=0)
        w1 -= lr * (Xv.T @ gh)
        b1 -= lr * gh.sum(axis=0)
    for p, expected in zip(params, (w1, b1, w2, b2)):
        np.testing.assert_allclose(a(p), expected, rtol=1e-6, atol=1e-9)
    assert losses[1] < 1e-3 * losses[0], losses
    assert elapsed < 120, f"{steps} steps took {elapsed:.1f} s"


@pytest.mark.parametrize("save", ["input", "output"])
def test_tape_is_freed_by_reference_counting_alone(save):
    """A record keeps arrays, not the tensors recorded on its own tape, so a
    graph forms no reference cycle: dropping the head frees the tape at once,
    without the cyclic collector (which used to walk every node of a long
    tape at each full collection)."""
    import weakref
    op = tg.sin if save == "input" else tg.tanh     # sin saves x, tanh saves y
    x = tg.array(np.linspace(-1.0, 1.0, 5))
    x.attach_grad()
    gc.collect()
    gc.disable()
    try:
        with autograd.record():
            y = x
            for _ in range(50):
                y = op(y) * 1.5
        tape = weakref.ref(y._tape)
        assert tape() is not None and tape().num_nodes == 100
        del y
        assert tape() is None, "the tape outlived its head: a reference cycle"
    finally:
        gc.enable()


def test_recording_tracks_few_objects_for_the_cyclic_collector():
    """Records hold nothing the cyclic collector tracks (Primitive, Saved,
    Version and Meta are C types outside it), so after one collection they
    are untracked: the tape adds almost nothing for full collections to walk."""
    x = tg.array(0.5)
    x.attach_grad()
    gc.collect()
    before = len(gc.get_objects())
    with autograd.record():
        y = x
        for _ in range(2000):
            y = tg.sin(y * 1.0001)
    gc.collect()                 # untracks tuples that hold only numbers and arrays
    gc.collect()                 # (and those whose inner tuples were untracked after them)
    grown = len(gc.get_objects()) - before
    assert grown <= 0.1 * 4000, grown
    y.backward()
    expected = 1.0
    v = 0.5
    for _ in range(2000):
        v *= 1.0001
        expected *= 1.0001 * np.cos(v)
        v = np.sin(v)
    assert abs(x.grad.item() - expected) <= 1e-12 * abs(expected)


def test_tape_of_a_long_scalar_chain_is_small_and_untouched_by_the_collector():
    """A 0-d op's node is C memory (op, slots, version stamps, its operands and
    output as C numbers): at most 200 bytes of tape per op, and recording
    200,000 of them triggers no full collection (nothing the cyclic
    collector walks grows with the tape)."""
    x = tg.array(0.5)
    x.attach_grad()
    full = [0]

    def cb(phase, info):
        if phase == "start" and info["generation"] == 2:
            full[0] += 1
    gc.collect()
    gc.callbacks.append(cb)
    try:
        with autograd.record():
            y = x
            for _ in range(100_000):
                y = y * 1.0001
                y = tg.sin(y)
    finally:
        gc.callbacks.remove(cb)
    tape = y._tape
    assert tape.num_nodes == 200_000
    assert tape.nbytes() / tape.num_nodes <= 200, tape.nbytes() / tape.num_nodes
    assert full[0] == 0, f"{full[0]} full collections while recording"
    y.backward()
    want = 1.0
    v = 0.5
    for _ in range(100_000):           # d/dx of the chain, by the chain rule in floats
        v *= 1.0001
        want *= 1.0001 * np.cos(v)
        v = np.sin(v)
    np.testing.assert_allclose(x.grad.item(), want, rtol=1e-9)
