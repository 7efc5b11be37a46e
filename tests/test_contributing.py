"""CONTRIBUTING.md's walk-through, done: a toy primitive defined in this
module by one entry gets its public function and method, reverse and forward
derivatives, second derivatives, batched Jacobians, trace label and trace
grammar, with no other edit anywhere."""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad.ops import REGISTRY
from tapegrad.ops._registry import unregister
from tapegrad.ops.elementwise import unary
from tapegrad.teaching.cli import main


def softsign_np(x):
    return x / (1 + np.abs(x))


def dsoftsign_np(x):
    return 1 / (1 + np.abs(x)) ** 2


def d2softsign_np(x):
    return -2 * np.sign(x) / (1 + np.abs(x)) ** 3


@pytest.fixture(scope="module")
def toy():
    prim = unary("softsign", lambda x: x / (1 + np.abs(x)),
                 lambda B, x, y: 1.0 / B.square(1.0 + B.abs(x)),
                 grammar=True, dlabels=("1/(1 + |{0}|)^2",))
    yield prim
    unregister(prim)
    assert "softsign" not in REGISTRY


X = np.array([-1.7, -0.3, 0.4, 2.5])


def test_public_function_and_method(toy):
    got = tg.softsign(tg.array(X))
    np.testing.assert_allclose(got.asnumpy(), softsign_np(X), rtol=1e-15)
    np.testing.assert_allclose(tg.array(X).softsign().asnumpy(), softsign_np(X), rtol=1e-15)


def test_reverse_and_forward_against_closed_form(toy):
    x = tg.array(X)
    x.attach_grad()
    with autograd.record():
        y = tg.softsign(x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), dsoftsign_np(X), rtol=1e-14)
    _, t = tg.jvp(tg.softsign, (tg.array(X),), (np.ones(4),))
    np.testing.assert_allclose(t.asnumpy(), dsoftsign_np(X), rtol=1e-14)
    assert tg.gradcheck(lambda v: tg.softsign(v).sum(), tg.array(X))


def test_second_derivative(toy):
    d2 = tg.grad(lambda v: tg.grad(lambda u: tg.softsign(u).sum())(v).sum())(tg.array(X))
    np.testing.assert_allclose(d2.asnumpy(), d2softsign_np(X), rtol=1e-13)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_batched_jacobian(toy, mode):
    A = np.arange(12.0).reshape(3, 4) / 7 - 0.8
    f = lambda v: tg.softsign(tg.matmul(A, v)) * 2.0
    J = tg.jacobian(f, mode=mode)(tg.array(X))
    want = (2 * dsoftsign_np(A @ X))[:, None] * A
    np.testing.assert_allclose(J.asnumpy(), want, rtol=1e-13)


def test_trace_label_and_grammar(toy, capsys):
    t = tg.evaluation_trace(lambda a: tg.softsign(a) * a, 0.5)
    assert t.rows[1].expr == "softsign(v_0)"
    assert "1/(1 + |v_0|)^2" in str(t)
    assert main(["trace", "softsign(x) * x", "--at", "x=0.5"]) == 0
    out = capsys.readouterr().out
    d = 0.5 * dsoftsign_np(0.5) + softsign_np(0.5)
    assert f"d y/d x = {d:.4f}" in out
