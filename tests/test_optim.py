"""tg.optim.SGD and tg.optim.Adam against hand-written NumPy updates."""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd, errors

A = np.array([[3.0, 0.5], [0.5, 1.0]])
C = np.array([1.0, -2.0])


def loss_and_backward(w):
    """L(w) = 1/2 w'Aw - c'w + sum(sin w); returns the NumPy gradient too."""
    with autograd.record():
        loss = 0.5 * tg.dot(w, tg.matmul(tg.array(A), w)) - tg.dot(tg.array(C), w) \
            + tg.sin(w).sum()
    loss.backward()
    x = w.asnumpy()
    return A @ x - C + np.cos(x)


def fresh(dtype="float64"):
    w = tg.array([0.7, -0.3], dtype=dtype)
    w.attach_grad()
    return w


def test_sgd_step_is_w_minus_lr_grad():
    w = fresh()
    opt = tg.optim.SGD([w], lr=0.1)
    x0 = w.asnumpy()
    g = loss_and_backward(w)
    np.testing.assert_allclose(w.grad.asnumpy(), g, rtol=1e-12)
    opt.step()
    np.testing.assert_allclose(w.asnumpy(), x0 - 0.1 * g, rtol=1e-12)


def test_sgd_momentum_matches_numpy():
    w = fresh()
    opt = tg.optim.SGD([w], lr=0.05, momentum=0.9)
    x = w.asnumpy()
    buf = None
    for _ in range(5):
        g = loss_and_backward(w)
        opt.step()
        buf = g.copy() if buf is None else 0.9 * buf + g
        x = x - 0.05 * buf
        np.testing.assert_allclose(w.asnumpy(), x, rtol=1e-12)


def test_adam_matches_numpy():
    w = fresh()
    lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-6
    opt = tg.optim.Adam([w], lr=lr, betas=(b1, b2), eps=eps)
    x = w.asnumpy()
    m = np.zeros(2)
    v = np.zeros(2)
    for t in range(1, 6):
        g = loss_and_backward(w)
        opt.step()
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        x = x - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        np.testing.assert_allclose(w.asnumpy(), x, rtol=1e-12)


def test_adam_first_step_moves_each_coordinate_by_lr():
    # with bias correction, the first step is lr * g/|g| (up to eps)
    w = fresh()
    opt = tg.optim.Adam([w], lr=0.1)
    x0 = w.asnumpy()
    g = loss_and_backward(w)
    opt.step()
    np.testing.assert_allclose(w.asnumpy(), x0 - 0.1 * np.sign(g), rtol=1e-6)


def test_adam_converges_on_the_quadratic():
    w = fresh()
    opt = tg.optim.Adam([w], lr=0.05)
    for _ in range(600):
        loss_and_backward(w)
        opt.step()
    np.testing.assert_allclose(A @ w.asnumpy() - C + np.cos(w.asnumpy()), 0, atol=1e-4)


def test_step_updates_in_place_without_recording():
    w = fresh()
    data, grad = w._data, w.grad
    ver = w._ver.n
    opt = tg.optim.SGD([w], lr=0.1)
    loss_and_backward(w)
    with autograd.record():
        opt.step()
    assert w._data is data and w.grad is grad        # same buffers, same variable
    assert w._tape is None                           # not recorded
    assert w._ver.n == ver + 1                      # the version counter saw it


def test_graph_that_saved_the_old_value_refuses_backward():
    w = fresh()
    opt = tg.optim.SGD([w], lr=0.1)
    with autograd.record():
        y = (w * w).sum()                            # saves w
    y.backward(retain_graph=True)
    opt.step()
    with pytest.raises(errors.InplaceModificationError):
        y.backward()


def test_float32_parameters_stay_float32():
    w = fresh("float32")
    opt = tg.optim.Adam([w], lr=0.1)
    loss_and_backward(w)
    opt.step()
    assert w.dtype == np.float32 and w.grad.dtype == np.float32


def test_zero_grad():
    w = fresh()
    w.attach_grad(grad_req="add")
    opt = tg.optim.SGD([w], lr=0.1)
    g = loss_and_backward(w)
    loss_and_backward(w)
    np.testing.assert_allclose(w.grad.asnumpy(), 2 * g)   # 'add' accumulates
    opt.zero_grad()
    np.testing.assert_array_equal(w.grad.asnumpy(), [0.0, 0.0])


def test_several_parameters():
    a, b = tg.array([1.0]), tg.array([[2.0, 3.0]])
    a.attach_grad()
    b.attach_grad()
    opt = tg.optim.SGD((p for p in (a, b)), lr=0.5)   # any iterable
    with autograd.record():
        (a * b).sum().backward()
    opt.step()
    np.testing.assert_allclose(a.asnumpy(), [1.0 - 0.5 * 5.0])
    np.testing.assert_allclose(b.asnumpy(), [[1.5, 2.5]])


@pytest.mark.parametrize("make,match", [
    (lambda w: tg.optim.SGD([w], lr=0), r"lr must be in \(0.0, inf\], got lr=0"),
    (lambda w: tg.optim.SGD([w], lr=-0.1), "lr must be in"),
    (lambda w: tg.optim.SGD([w], lr=float("nan")), "lr must be in"),
    (lambda w: tg.optim.SGD([w], lr=0.1, momentum=1.0), r"momentum must be in \[0.0, 1.0\)"),
    (lambda w: tg.optim.Adam([w], lr=0), "lr must be in"),
    (lambda w: tg.optim.Adam([w], betas=(0.9, 1.0)), r"betas\[1\] must be in"),
    (lambda w: tg.optim.Adam([w], betas=0.9), "betas must be a pair"),
    (lambda w: tg.optim.Adam([w], eps=-1e-8), "eps must be in"),
    (lambda w: tg.optim.SGD([], lr=0.1), "empty list of parameters"),
    (lambda w: tg.optim.SGD([w, w], lr=0.1), "appears twice"),
])
def test_bad_arguments_are_value_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make(fresh())


def test_parameters_must_be_variables():
    with pytest.raises(ValueError, match=r"params\[1\].*call p.attach_grad\(\)"):
        tg.optim.SGD([fresh(), tg.array([1.0])], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[0\] is a ndarray, not a tensor"):
        tg.optim.Adam([np.zeros(2)])
    with pytest.raises(TypeError, match="lr must be a number"):
        tg.optim.SGD([fresh()], lr="fast")


def test_lr_can_be_changed_between_steps():
    w = fresh()
    opt = tg.optim.SGD([w], lr=0.1)
    opt.lr = 0.2
    x0 = w.asnumpy()
    g = loss_and_backward(w)
    opt.step()
    np.testing.assert_allclose(w.asnumpy(), x0 - 0.2 * g)
    opt.lr = 0.0
    with pytest.raises(ValueError, match="lr must be in"):
        opt.step()
