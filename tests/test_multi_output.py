"""Primitives with several outputs (nout > 1: eigh, svd, qr, slogdet) through
every path of the core: reverse mode with some outputs unused, forward mode
(tg.jvp), batched Jacobians in both modes (batching rule and LOOP), second
derivatives.  A toy primitive ``sincos(x) -> (sin x, cos x)`` defined here
keeps the test independent of any linear algebra."""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad.ops import REGISTRY
from tapegrad.ops._registry import LOOP, arg, primitive, unregister
from tapegrad.ops.batching import BATCH, Batched


def _vjp(B, g, xs, out, p, needs):
    gs, gc = g
    s, c = out
    acc = None
    if gs is not None:
        acc = gs * c
    if gc is not None:
        acc = -gc * s if acc is None else acc - gc * s
    return (acc,)


def _jvp(B, ts, xs, out, p):
    s, c = out
    return (ts[0] * c, -ts[0] * s)


def _batch(args, p):
    x = args[0]
    return (type(x).wrap(np.sin(x.v)), type(x).wrap(np.cos(x.v)))


@pytest.fixture(scope="module", params=["rule", "loop"])
def sincos(request):
    prim = primitive("sincos", lambda x: (np.sin(x), np.cos(x)), _vjp, _jvp, nout=2,
                     save_out=True, batch=_batch if request.param == "rule" else LOOP,
                     public=lambda x: REGISTRY["sincos"](arg(x)), internal=True)
    yield prim.public
    unregister(prim)


X = np.array([-1.3, 0.2, 0.7, 2.1])


def f(sc, x):
    s, c = sc(x)
    return s * s * 3.0 + c * x


def df(x):
    return 6 * np.sin(x) * np.cos(x) - np.sin(x) * x + np.cos(x)


def test_value_and_reverse(sincos):
    x = tg.array(X)
    x.attach_grad()
    with autograd.record():
        s, c = sincos(x)
        y = (s * s * 3.0 + c * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), df(X), rtol=1e-14)


def test_one_output_unused(sincos):
    g = tg.grad(lambda x: sincos(x)[1].sum())(tg.array(X))
    np.testing.assert_allclose(g.asnumpy(), -np.sin(X), rtol=1e-14)


def test_forward_mode(sincos):
    _, t = tg.jvp(lambda x: f(sincos, x), (tg.array(X),), (np.ones(4),))
    np.testing.assert_allclose(t.asnumpy(), df(X), rtol=1e-14)
    (s, c), (ts, tc) = tg.jvp(sincos, (tg.array(X),), (np.ones(4),))
    np.testing.assert_allclose(ts.asnumpy(), np.cos(X), rtol=1e-14)
    np.testing.assert_allclose(tc.asnumpy(), -np.sin(X), rtol=1e-14)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_batched_jacobian(sincos, mode):
    J = tg.jacobian(lambda x: f(sincos, x), mode=mode)(tg.array(X))
    np.testing.assert_allclose(J.asnumpy(), np.diag(df(X)), rtol=1e-14, atol=1e-15)
    with autograd.record():
        J2 = tg.jacobian(lambda x: f(sincos, x), mode=mode)(tg.array(X))
    np.testing.assert_allclose(J2.asnumpy(), J.asnumpy(), rtol=1e-14, atol=1e-15)


def test_second_derivative(sincos):
    d2 = tg.grad(lambda x: tg.grad(lambda u: f(sincos, u).sum())(x).sum())(tg.array(X))
    want = 6 * np.cos(2 * X) - np.cos(X) * X - 2 * np.sin(X)
    np.testing.assert_allclose(d2.asnumpy(), want, rtol=1e-13)
    H = tg.hessian(lambda x: f(sincos, x).sum())(tg.array(X))
    np.testing.assert_allclose(H.asnumpy(), np.diag(want), rtol=1e-13, atol=1e-15)


def test_batching_rule_returns_one_batch_per_output(sincos):
    v = np.arange(6.0).reshape(3, 2)
    s, c = BATCH.bind(REGISTRY["sincos"], Batched(v))
    assert isinstance(s, Batched) and isinstance(c, Batched)
    np.testing.assert_array_equal(s.v, np.sin(v))
    np.testing.assert_array_equal(c.v, np.cos(v))
