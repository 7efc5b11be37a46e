"""The function transforms of API.md: grad, value_and_grad, vjp, jvp,
jacobian, hessian, hvp.

What a transform promises beyond its numbers: inputs may be tensors, NumPy
arrays or Python floats; ``argnums`` takes an int or a tuple; transforms
nest; inside ``record()`` a transform's result is a recorded function of its
inputs, so the outer graph differentiates through it; ``.grad`` buffers are
never touched; the recording state is restored, also when ``f`` raises.
Expected values are closed forms, float64 central differences, or PyTorch
(``torch.func``) where it is installed.  Op-by-op checks of every transform
are in test_higher_order.py.
"""

import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

from oracles import arr, check

# torch (an optional oracle) warns about torch.jit on import
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")


def fd_grad(fn, x, h=1e-6):
    x = np.array(x, dtype=np.float64)
    g = np.zeros(np.shape(np.asarray(fn(x))) + x.shape)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[(Ellipsis,) + i] = (np.asarray(fn(xp)) - np.asarray(fn(xm))) / (2 * h)
    return g


def state():
    return autograd.is_recording(), autograd.is_training()


# A function with a closed-form gradient and Hessian, non-diagonal:
# f(x) = 0.5 x^T A x + sum(x^4)/4 + sum(sin x)
# grad = S x + x^3 + cos x, H = S + diag(3 x^2 - sin x), S = (A + A^T)/2
A4 = np.array([[2.0, 0.5, -1.0, 0.0],
               [0.3, 1.0, 0.2, -0.4],
               [0.0, -0.7, 3.0, 0.1],
               [0.6, 0.0, 0.2, 1.5]])
S4 = 0.5 * (A4 + A4.T)
X4 = np.array([0.3, -0.8, 1.1, -0.2])


def quartic(x):
    return 0.5 * tg.dot(x, tg.matmul(A4, x)) + tg.sum(x ** 4) / 4.0 + tg.sum(tg.sin(x))


def quartic_grad(x):
    return S4 @ x + x ** 3 + np.cos(x)


def quartic_hess(x):
    return S4 + np.diag(3 * x ** 2 - np.sin(x))


def quartic_third(x, u, v):
    """d/dx of u^T H(x) v: the third derivative contracted twice (diagonal)."""
    return (6 * x - np.cos(x)) * u * v


# --------------------------------------------------------------------------
# grad / value_and_grad: inputs, argnums, errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["tensor", "numpy", "list"])
def test_grad_accepts_tensors_and_numpy_arrays(kind):
    x = {"tensor": tg.array(X4), "numpy": X4.copy(), "list": list(X4)}[kind]
    g = tg.grad(quartic)(x)
    assert isinstance(g, tg.Tensor)
    check(f"grad of quartic, input as {kind}", g, quartic_grad(X4), x=X4)


def test_grad_accepts_python_floats():
    g = tg.grad(lambda x: x * tg.sin(x))(0.7)
    assert isinstance(g, tg.Tensor) and g.shape == ()
    check("d/dx x sin x at 0.7", g, math.sin(0.7) + 0.7 * math.cos(0.7), x=0.7)
    g2 = tg.grad(lambda x, y: x * y ** 2, argnums=(0, 1))(1.5, -2.0)
    check("grad of x y^2 at (1.5, -2) with float inputs", [g2[0].item(), g2[1].item()],
          [4.0, 2 * 1.5 * -2.0])


def test_grad_of_integer_input_is_default_float():
    g = tg.grad(lambda x: tg.sum(x * x))(np.array([1, 2, 3]))
    assert g.dtype == np.float64
    check("grad of sum x^2 at int input", g, [2.0, 4.0, 6.0])


def test_grad_keeps_float32():
    x = tg.array(X4, dtype="float32")
    g = tg.grad(lambda t: tg.sum(tg.sin(t) * t))(x)
    assert g.dtype == np.float32, g.dtype
    check("float32 grad", g, np.sin(X4) + X4 * np.cos(X4), rtol=1e-5, atol=1e-6)


def test_argnums_int_tuple_and_negative():
    def f(x, y, z):
        return tg.sum(x * tg.exp(y)) + tg.sum(z ** 2) * tg.sum(x)

    x, y, z = np.array([1.0, 2.0]), np.array([0.5, -0.5]), np.array([3.0])
    gx = np.exp(y) + np.sum(z ** 2)
    gy = x * np.exp(y)
    gz = 2 * z * np.sum(x)
    check("argnums=0 (default)", tg.grad(f)(x, y, z), gx)
    check("argnums=1", tg.grad(f, argnums=1)(x, y, z), gy)
    check("argnums=-1", tg.grad(f, argnums=-1)(x, y, z), gz)
    got = tg.grad(f, argnums=(2, 0))(x, y, z)
    assert isinstance(got, tuple) and len(got) == 2
    check("argnums=(2, 0)[0]", got[0], gz)
    check("argnums=(2, 0)[1]", got[1], gx)
    one = tg.grad(f, argnums=(1,))(x, y, z)
    assert isinstance(one, tuple) and len(one) == 1, "a 1-tuple argnums gives a 1-tuple"
    check("argnums=(1,)", one[0], gy)


def test_argnums_out_of_range_is_an_error():
    with pytest.raises((ValueError, IndexError)) as ei:
        tg.grad(lambda x: tg.sum(x), argnums=3)(tg.array([1.0]))
    assert "argnums" in str(ei.value)


def test_grad_wrt_unused_argument_is_zero():
    g = tg.grad(lambda x, y: tg.sum(x ** 2), argnums=1)(np.array([1.0, 2.0]),
                                                         np.array([[3.0, 4.0]]))
    assert g.shape == (1, 2)
    check("gradient wrt an unused argument", g, np.zeros((1, 2)))


def test_grad_of_constant_function_is_zero():
    g = tg.grad(lambda x: tg.array(3.0))(np.array([1.0, 2.0]))
    check("grad of a constant function", g, np.zeros(2))


def test_value_and_grad():
    v, g = tg.value_and_grad(quartic)(X4)
    f0 = 0.5 * X4 @ A4 @ X4 + np.sum(X4 ** 4) / 4 + np.sum(np.sin(X4))
    check("value of value_and_grad", v, f0, x=X4)
    check("grad of value_and_grad", g, quartic_grad(X4), x=X4)
    v2, (gx, gy) = tg.value_and_grad(lambda x, y: tg.sum(x * y), argnums=(0, 1))(
        np.array([1.0, 2.0]), np.array([3.0, -1.0]))
    check("value_and_grad argnums tuple: value", v2, 1.0)
    check("value_and_grad argnums tuple: d/dx", gx, [3.0, -1.0])
    check("value_and_grad argnums tuple: d/dy", gy, [1.0, 2.0])


@pytest.mark.parametrize("shape", [(3,), (2, 3), (4, 1)])
def test_grad_of_non_scalar_output_is_a_value_error_naming_the_shape(shape):
    x = np.ones(shape)
    with pytest.raises(ValueError) as ei:
        tg.grad(lambda t: t * 2.0)(x)
    msg = str(ei.value)
    assert str(shape) in msg, msg
    assert ".sum()" in msg, msg
    assert "vjp" in msg and "jacobian" in msg, msg


def test_value_and_grad_and_hessian_of_non_scalar_are_value_errors():
    with pytest.raises(ValueError) as ei:
        tg.value_and_grad(lambda t: tg.sin(t))(np.ones(3))
    assert "(3,)" in str(ei.value)
    with pytest.raises(ValueError) as ei:
        tg.hessian(lambda t: tg.sin(t))(np.ones(3))
    assert "(3,)" in str(ei.value)
    with pytest.raises(ValueError) as ei:
        tg.hvp(lambda t: tg.sin(t), (np.ones(3),), (np.ones(3),))
    assert "(3,)" in str(ei.value)


def test_grad_of_size_one_non_scalar_output_is_allowed():
    # a (1,)-shaped output holds one value: like MXNet/JAX's scalar check on size
    g = tg.grad(lambda t: tg.sum(t * t, keepdims=True))(np.array([1.0, 2.0]))
    check("grad of a (1,)-shaped output", g, [2.0, 4.0])


def test_grad_through_python_control_flow():
    def f(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        if b.sum() > 0:
            c = b
        else:
            c = 100 * b
        return tg.sum(c)

    for a0 in (np.array([0.3, -0.2]), np.array([-1.1, 0.4])):
        d = tg.value_and_grad(f)(a0)
        # f is linear with a piecewise scale: f(a) / sum(a) is the gradient entry
        scale = d[0].item() / a0.sum()
        check("control-flow gradient = f(a)/sum(a)", d[1], np.full(2, scale), x=a0)


# --------------------------------------------------------------------------
# vjp / jvp
# --------------------------------------------------------------------------

def test_vjp_with_a_cotangent():
    # f(x) = (x0 * x1, sin(x2) + x0): J = [[x1, x0, 0], [1, 0, cos x2]]
    def f(x):
        return tg.stack([x[0] * x[1], tg.sin(x[2]) + x[0]])

    x0 = np.array([1.5, -2.0, 0.3])
    c = np.array([0.7, -1.3])
    out, vjp_fn = tg.vjp(f, x0)
    check("vjp primal output", out, [x0[0] * x0[1], math.sin(x0[2]) + x0[0]])
    J = np.array([[x0[1], x0[0], 0.0], [1.0, 0.0, math.cos(x0[2])]])
    g = vjp_fn(c)
    assert isinstance(g, tuple) and len(g) == 1
    check("vjp_fn(c) = c^T J", g[0], c @ J, x=x0, c=c)
    # vjp_fn is reusable, and accepts a tensor cotangent
    g2 = vjp_fn(tg.array([1.0, 0.0]))
    check("vjp_fn(e0) = first Jacobian row", g2[0], J[0], x=x0)


def test_vjp_several_primals_and_outputs():
    def f(a, b):
        return a * b, tg.sum(tg.exp(a))

    a0, b0 = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    outs, vjp_fn = tg.vjp(f, a0, tg.array(b0))
    assert isinstance(outs, tuple) and len(outs) == 2
    c1, c2 = np.array([1.0, -2.0]), 0.5
    ga, gb = vjp_fn((c1, np.array(c2)))
    check("vjp wrt a of (a*b, sum exp a)", ga, c1 * b0 + c2 * np.exp(a0))
    check("vjp wrt b of (a*b, sum exp a)", gb, c1 * a0)


def test_vjp_cotangent_shape_mismatch_is_a_value_error():
    _, vjp_fn = tg.vjp(lambda x: x * 2.0, np.ones(3))
    with pytest.raises(ValueError) as ei:
        vjp_fn(np.ones(4))
    assert "(4,)" in str(ei.value) and "(3,)" in str(ei.value)


def test_jvp_with_several_primals():
    # f(x, y) = x * sin(y) + y^2: df = sin(y) dx + (x cos y + 2 y) dy
    x0, y0 = np.array([1.0, -0.5, 2.0]), np.array([0.3, 1.2, -0.7])
    tx, ty = np.array([0.2, 1.0, -1.0]), np.array([1.0, 0.5, 0.25])
    out, t = tg.jvp(lambda x, y: x * tg.sin(y) + y ** 2, (x0, tg.array(y0)), (tx, tg.array(ty)))
    check("jvp primal", out, x0 * np.sin(y0) + y0 ** 2)
    check("jvp tangent with two primals", t, np.sin(y0) * tx + (x0 * np.cos(y0) + 2 * y0) * ty,
          x=x0, y=y0, tx=tx, ty=ty)


def test_jvp_python_floats_and_multiple_outputs():
    (a, b), (ta, tb) = tg.jvp(lambda x: (tg.exp(x), x * x), (0.5,), (2.0,))
    check("jvp of (exp x, x^2) values", [a.item(), b.item()], [math.exp(0.5), 0.25])
    check("jvp of (exp x, x^2) tangents", [ta.item(), tb.item()], [2 * math.exp(0.5), 2.0])


def test_jvp_is_forward_mode_without_recording():
    """tg.jvp runs f once; f sees its inputs outside any record() scope
    of its own making (forward mode, not reverse tricks)."""
    calls = []

    def f(x):
        calls.append(autograd.is_recording())
        return tg.sin(x) * x

    out, t = tg.jvp(f, (np.array([0.4, 1.0]),), (np.array([1.0, 1.0]),))
    assert calls == [False], calls
    x0 = np.array([0.4, 1.0])
    check("jvp of x sin x", t, np.sin(x0) + x0 * np.cos(x0))


def test_jvp_zero_tangent_for_output_independent_of_input():
    out, t = tg.jvp(lambda x: tg.array([1.0, 2.0]), (np.ones(3),), (np.ones(3),))
    check("tangent of a constant output", t, np.zeros(2))


def test_jvp_mismatched_tangents_are_value_errors():
    with pytest.raises(ValueError):
        tg.jvp(lambda x: x, (np.ones(3),), (np.ones(2),))
    with pytest.raises(ValueError):
        tg.jvp(lambda x, y: x + y, (np.ones(3), np.ones(3)), (np.ones(3),))


# --------------------------------------------------------------------------
# jacobian / hessian / hvp
# --------------------------------------------------------------------------

A10 = np.random.default_rng(10).standard_normal((10, 10)) / 3.0
X10 = np.random.default_rng(11).standard_normal(10)


def tanh_layer(x):
    return tg.tanh(tg.matmul(A10, x)) * x


def tanh_layer_jacobian(x):
    t = np.tanh(A10 @ x)
    return np.diag(t) + np.diag(x * (1 - t ** 2)) @ A10


def test_jacobian_of_tanh_layer_fwd_equals_rev_equals_closed_form():
    Jr = tg.jacobian(tanh_layer)(X10)
    Jf = tg.jacobian(tanh_layer, mode="fwd")(X10)
    assert Jr.shape == (10, 10) and Jf.shape == (10, 10)
    expected = tanh_layer_jacobian(X10)
    check("jacobian rev of tanh(A x) * x", Jr, expected, x=X10)
    check("jacobian fwd of tanh(A x) * x", Jf, expected, x=X10)
    fd = fd_grad(lambda x: np.tanh(A10 @ x) * x, X10)
    check("jacobian vs central differences", Jr, fd, rtol=1e-6, atol=1e-7)


def test_jacobian_of_tanh_layer_matches_torch_jacrev():
    torch = pytest.importorskip("torch")
    from torch.func import jacfwd, jacrev
    At = torch.tensor(A10)
    xt = torch.tensor(X10)
    Jt = jacrev(lambda x: torch.tanh(At @ x) * x)(xt).numpy()
    Jt_fwd = jacfwd(lambda x: torch.tanh(At @ x) * x)(xt).numpy()
    check("torch jacrev == jacfwd (oracle sanity)", Jt, Jt_fwd, rtol=1e-12, atol=1e-12)
    check("jacobian rev vs torch.func.jacrev", tg.jacobian(tanh_layer)(X10), Jt, x=X10)
    check("jacobian fwd vs torch.func.jacrev", tg.jacobian(tanh_layer, mode="fwd")(X10), Jt,
          x=X10)


def test_jacobian_shapes_for_matrix_input_and_output():
    W = np.random.default_rng(3).standard_normal((2, 3))

    def f(w):                       # (2, 3) -> (3, 2)
        return tg.transpose(tg.exp(w) * 2.0)

    for mode in ("rev", "fwd"):
        J = tg.jacobian(f, mode=mode)(W)
        assert J.shape == (3, 2, 2, 3), (mode, J.shape)
        expected = np.zeros((3, 2, 2, 3))
        for i in range(2):
            for j in range(3):
                expected[j, i, i, j] = 2 * np.exp(W[i, j])
        check(f"jacobian {mode} of transpose(2 exp w)", J, expected)
    # scalar output and scalar input
    check("jacobian of a scalar function is its gradient",
          tg.jacobian(lambda w: tg.sum(w ** 2))(W), 2 * W)
    check("jacobian of a scalar-input function (fwd)",
          tg.jacobian(lambda s: tg.stack([s, s * s]), mode="fwd")(1.5), [1.0, 3.0])


def test_jacobian_argnums_tuple_and_bad_mode():
    def f(a, b):
        return a * b + tg.sin(a)

    a0, b0 = np.array([0.2, 0.9]), np.array([1.5, -1.0])
    for mode in ("rev", "fwd"):
        Ja, Jb = tg.jacobian(f, argnums=(0, 1), mode=mode)(a0, b0)
        check(f"jacobian {mode} wrt a", Ja, np.diag(b0 + np.cos(a0)))
        check(f"jacobian {mode} wrt b", Jb, np.diag(a0))
    with pytest.raises(ValueError) as ei:
        tg.jacobian(f, mode="sideways")
    assert "sideways" in str(ei.value)


def test_hessian_closed_form_and_shape():
    H = tg.hessian(quartic)(X4)
    assert H.shape == (4, 4)
    check("hessian of quartic", H, quartic_hess(X4), x=X4)
    W = np.array([[0.5, -1.0], [2.0, 0.3]])
    Hm = tg.hessian(lambda w: tg.sum(w ** 3))(W)
    assert Hm.shape == (2, 2, 2, 2)
    expected = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for j in range(2):
            expected[i, j, i, j] = 6 * W[i, j]
    check("hessian of sum w^3 for a matrix w", Hm, expected)


def test_hessian_argnums():
    def f(x, y):
        return tg.sum(x ** 2 * y ** 3)

    x0, y0 = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    check("hessian wrt argnum 1", tg.hessian(f, argnums=1)(x0, y0), np.diag(6 * x0 ** 2 * y0))
    check("hessian wrt argnum 0", tg.hessian(f)(x0, y0), np.diag(2 * y0 ** 3))


def ext_rosenbrock(x):
    """Extended Rosenbrock (Moré, Garbow, Hillstrom), n even:
    sum_i 100 (x_{2i} - x_{2i-1}^2)^2 + (1 - x_{2i-1})^2."""
    odd, even = x[0::2], x[1::2]
    return tg.sum(100.0 * (even - odd ** 2) ** 2 + (1.0 - odd) ** 2)


def ext_rosenbrock_hessian(x):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(0, n, 2):
        a, b = x[i], x[i + 1]
        H[i, i] = 1200 * a ** 2 - 400 * b + 2
        H[i, i + 1] = H[i + 1, i] = -400 * a
        H[i + 1, i + 1] = 200
    return H


XR = np.array([-1.2, 1.0] * 5) + np.linspace(0, 0.45, 10)
VR = np.random.default_rng(12).standard_normal(10)


def test_hvp_equals_hessian_times_v_on_extended_rosenbrock():
    H = tg.hessian(ext_rosenbrock)(XR)
    check("hessian of extended Rosenbrock (n=10) vs closed form", H, ext_rosenbrock_hessian(XR),
          rtol=1e-12, atol=1e-9, x=XR)
    out, hv = tg.hvp(ext_rosenbrock, (XR,), (VR,))
    assert isinstance(hv, tuple) and len(hv) == 1
    check("hvp value is f(x)", out, arr(ext_rosenbrock(tg.array(XR))))
    check("hvp == hessian @ v (Rosenbrock n=10)", hv[0], ext_rosenbrock_hessian(XR) @ VR,
          rtol=1e-12, atol=1e-9, x=XR, v=VR)
    check("hvp == tg.hessian @ v", hv[0], arr(H) @ VR, rtol=1e-12, atol=1e-9)


def test_hvp_matches_torch_on_extended_rosenbrock():
    torch = pytest.importorskip("torch")
    from torch.func import grad as tgrad, jvp as tjvp

    def f(x):
        odd, even = x[0::2], x[1::2]
        return torch.sum(100.0 * (even - odd ** 2) ** 2 + (1.0 - odd) ** 2)

    _, hvt = tjvp(tgrad(f), (torch.tensor(XR),), (torch.tensor(VR),))
    _, hv = tg.hvp(ext_rosenbrock, (XR,), (VR,))
    check("hvp vs torch forward-over-reverse", hv[0], hvt.numpy(), rtol=1e-12, atol=1e-9,
          x=XR, v=VR)


def test_hvp_several_primals():
    def f(x, y):
        return tg.sum(x * x * y) + tg.sum(tg.sin(y))

    x0, y0 = np.array([1.0, -2.0]), np.array([0.5, 1.5])
    vx, vy = np.array([1.0, 0.5]), np.array([-1.0, 2.0])
    # H = [[diag(2y), diag(2x)], [diag(2x), diag(-sin y)]]
    _, (hx, hy) = tg.hvp(f, (x0, y0), (vx, vy))
    check("hvp wrt x (two primals)", hx, 2 * y0 * vx + 2 * x0 * vy)
    check("hvp wrt y (two primals)", hy, 2 * x0 * vx - np.sin(y0) * vy)
    with pytest.raises(ValueError):
        tg.hvp(f, (x0, y0), (vx,))


# --------------------------------------------------------------------------
# composition
# --------------------------------------------------------------------------

def test_grad_nested_three_deep():
    f = lambda x: tg.exp(x) * tg.sin(x)  # noqa: E731
    # (e^x sin x)''' = 2 e^x (cos x - sin x)
    for x0 in (-0.7, 0.0, 1.3):
        got = tg.grad(tg.grad(tg.grad(f)))(x0)
        check(f"third derivative of e^x sin x at {x0}", got,
              2 * math.exp(x0) * (math.cos(x0) - math.sin(x0)), x=x0)


def test_jacobian_of_grad_is_the_hessian():
    for mode in ("rev", "fwd"):
        check(f"jacobian(grad f, mode={mode})", tg.jacobian(tg.grad(quartic), mode=mode)(X4),
              quartic_hess(X4), x=X4)


def test_grad_of_hessian_contraction_third_order():
    u = np.array([1.0, -0.5, 0.25, 2.0])
    v = np.array([0.3, 0.3, -1.0, 0.5])
    got = tg.grad(lambda x: tg.sum(tg.matmul(tg.hessian(quartic)(x), v) * u))(X4)
    check("grad of u^T H(x) v", got, quartic_third(X4, u, v), x=X4)
    got2 = tg.grad(lambda x: tg.sum(tg.hvp(quartic, (x,), (v,))[1][0] * u))(X4)
    check("grad of u^T hvp(x, v)", got2, quartic_third(X4, u, v), x=X4)
    _, t = tg.jvp(lambda x: tg.hvp(quartic, (x,), (v,))[1][0], (X4,), (u,))
    check("jvp of hvp", t, quartic_third(X4, u, v), x=X4)


def test_value_and_grad_inside_grad():
    def inner_norm(x):
        v, g = tg.value_and_grad(quartic)(x)
        return v + 0.5 * tg.sum(g * g)

    # d/dx [f + |g|^2 / 2] = g + H g
    got = tg.grad(inner_norm)(X4)
    g = quartic_grad(X4)
    check("grad of f + |grad f|^2/2", got, g + quartic_hess(X4) @ g, x=X4)


def test_vjp_and_jvp_inside_grad():
    c = np.array([0.5, -1.0, 2.0, 0.1])

    def via_vjp(x):
        _, fn = tg.vjp(lambda t: tg.sin(t) * t, x)
        return tg.sum(fn(c)[0] ** 2)

    def via_jvp(x):
        _, t = tg.jvp(lambda t: tg.sin(t) * t, (x,), (c,))
        return tg.sum(t ** 2)

    # both are sum((c * (sin x + x cos x))^2); derivative 2 c^2 d (2 cos x - x sin x)
    d = np.sin(X4) + X4 * np.cos(X4)
    expected = 2 * c ** 2 * d * (2 * np.cos(X4) - X4 * np.sin(X4))
    check("grad through vjp", tg.grad(via_vjp)(X4), expected, x=X4)
    check("grad through jvp", tg.grad(via_jvp)(X4), expected, x=X4)


# --------------------------------------------------------------------------
# scope: transforms inside record(), .grad untouched, recording state
# --------------------------------------------------------------------------

def test_grad_inside_record_is_differentiated_by_the_outer_graph():
    x = tg.array(X4)
    x.attach_grad()
    with autograd.record():
        g = tg.grad(quartic)(x)
        loss = tg.sum(g * g)
    check("tg.grad value inside record", g, quartic_grad(X4), x=X4)
    loss.backward()
    expected = 2 * quartic_hess(X4) @ quartic_grad(X4)
    check("x.grad = 2 H g through tg.grad inside record", x.grad, expected, x=X4)


def test_transforms_on_recorded_intermediates_chain_to_the_variable():
    # z = 2x; g(z) = grad of sum(z^3) = 3 z^2; loss = sum(g) = 12 sum x^2 -> 24 x
    x = tg.array([0.5, -1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        z = 2.0 * x
        g = tg.grad(lambda t: tg.sum(t ** 3))(z)
        loss = tg.sum(g)
    loss.backward()
    check("chain through a transform of a recorded intermediate", x.grad, 24 * arr(x))


@pytest.mark.parametrize("which", ["value_and_grad", "vjp", "jvp", "jacobian_rev",
                                   "jacobian_fwd", "hessian", "hvp"])
def test_each_transform_inside_record_is_differentiable(which):
    """loss(x) built from a transform's result inside record(); x.grad from the
    outer backward against central differences of the same loss computed by
    the (non-recorded) transform."""
    c = np.array([0.4, -1.0, 0.7, 1.2])

    def f(t):
        return tg.sin(t) * tg.matmul(A4, t)

    def s(t):
        return tg.sum(tg.exp(0.3 * t) * t)

    def loss(x):
        if which == "value_and_grad":
            v, g = tg.value_and_grad(s)(x)
            return v * tg.sum(g * c)
        if which == "vjp":
            _, fn = tg.vjp(f, x)
            return tg.sum(fn(c)[0] ** 2)
        if which == "jvp":
            out, t = tg.jvp(f, (x,), (c,))
            return tg.sum(t * out)
        if which == "jacobian_rev":
            return tg.sum(tg.jacobian(f)(x) ** 2)
        if which == "jacobian_fwd":
            return tg.sum(tg.jacobian(f, mode="fwd")(x) ** 2)
        if which == "hessian":
            return tg.sum(tg.hessian(s)(x) * np.outer(c, c))
        if which == "hvp":
            return tg.sum(tg.hvp(s, (x,), (c,))[1][0] ** 2)
        raise AssertionError(which)

    x = tg.array(X4)
    x.attach_grad()
    with autograd.record():
        L = loss(x)
    L.backward()
    expected = fd_grad(lambda v: loss(tg.array(v)).item(), X4, h=1e-6)
    check(f"outer gradient through {which} inside record", x.grad, expected,
          rtol=1e-6, atol=1e-6, x=X4)


def _transform_calls(x):
    """Every transform, applied to x (a variable of shape (4,))."""
    f = lambda t: tg.sum(tg.sin(t) * t)  # noqa: E731
    h = lambda t: tg.sin(t) * t  # noqa: E731
    v = np.ones(4)
    return [
        ("grad", lambda: tg.grad(f)(x)),
        ("value_and_grad", lambda: tg.value_and_grad(f)(x)),
        ("vjp", lambda: tg.vjp(h, x)[1](v)),
        ("jvp", lambda: tg.jvp(h, (x,), (v,))),
        ("jacobian_rev", lambda: tg.jacobian(h)(x)),
        ("jacobian_fwd", lambda: tg.jacobian(h, mode="fwd")(x)),
        ("hessian", lambda: tg.hessian(f)(x)),
        ("hvp", lambda: tg.hvp(f, (x,), (v,))),
        ("grad3", lambda: tg.grad(tg.grad(tg.grad(lambda t: tg.sum(t ** 4))))(x[0])),
    ]


@pytest.mark.parametrize("inside_record", [False, True])
@pytest.mark.parametrize("grad_req", ["write", "add"])
def test_transforms_never_touch_the_callers_grad(inside_record, grad_req):
    x = tg.array(X4)
    x.attach_grad(grad_req=grad_req)
    # put a known, non-zero value in x.grad through a real backward
    with autograd.record():
        y = tg.sum(x * np.array([1.0, 2.0, 3.0, 4.0]))
    y.backward()
    before = arr(x.grad).copy()
    check("x.grad before the transforms", before, [1.0, 2.0, 3.0, 4.0])
    for name, call in _transform_calls(x):
        if inside_record:
            with autograd.record():
                call()
        else:
            call()
        check(f"x.grad after tg.{name} (inside_record={inside_record}, grad_req={grad_req})",
              x.grad, before)


def test_outer_backward_gets_only_the_outer_gradient():
    """A transform inside record() adds nothing of its own to x.grad: the outer
    backward writes exactly d loss / dx."""
    x = tg.array(X4)
    x.attach_grad()
    with autograd.record():
        y = tg.sum(x ** 3)
        g = tg.grad(lambda t: tg.sum(t ** 2))(x)     # 2x, recorded
        loss = y + tg.sum(g)
    loss.backward()
    check("x.grad = 3x^2 + 2", x.grad, 3 * X4 ** 2 + 2.0, x=X4)


def test_callers_graph_survives_a_transform():
    """A transform inside record() on the caller's variable does not free or
    alter the caller's own graph."""
    x = tg.array(X4)
    x.attach_grad()
    with autograd.record():
        y = tg.sum(tg.exp(x) * x)
        _ = tg.hessian(lambda t: tg.sum(tg.exp(t) * t))(x)
        _ = tg.grad(lambda t: tg.sum(tg.exp(t) * t))(x)
    y.backward()
    check("caller's gradient after transforms", x.grad, np.exp(X4) * (1 + X4), x=X4)


@pytest.mark.parametrize("scope", ["none", "record", "record_predict", "pause", "train_mode"])
def test_recording_state_restored_after_each_transform(scope):
    scopes = {
        "none": lambda: _NullScope(),
        "record": lambda: autograd.record(),
        "record_predict": lambda: autograd.record(train_mode=False),
        "pause": lambda: _Nested(autograd.record(), autograd.pause()),
        "train_mode": lambda: autograd.train_mode(),
    }
    x = tg.array(X4)
    x.attach_grad()
    with scopes[scope]():
        want = state()
        for name, call in _transform_calls(x):
            call()
            assert state() == want, (name, scope, state(), want)
            assert isinstance(autograd.is_recording(), bool)
    assert state() == (False, False)


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Nested:
    def __init__(self, *scopes):
        self.scopes = scopes

    def __enter__(self):
        for s in self.scopes:
            s.__enter__()
        return self

    def __exit__(self, *exc):
        for s in reversed(self.scopes):
            s.__exit__(*exc)
        return False


class _Boom(Exception):
    pass


def _raising(t):
    _ = tg.sin(t) * 2.0
    raise _Boom("f failed")


@pytest.mark.parametrize("scope", ["none", "record", "pause"])
def test_recording_state_restored_when_f_raises(scope):
    calls = [
        ("grad", lambda x: tg.grad(_raising)(x)),
        ("value_and_grad", lambda x: tg.value_and_grad(_raising)(x)),
        ("vjp", lambda x: tg.vjp(_raising, x)),
        ("jvp", lambda x: tg.jvp(_raising, (x,), (np.ones(4),))),
        ("jacobian_rev", lambda x: tg.jacobian(_raising)(x)),
        ("jacobian_fwd", lambda x: tg.jacobian(_raising, mode="fwd")(x)),
        ("hessian", lambda x: tg.hessian(_raising)(x)),
        ("hvp", lambda x: tg.hvp(_raising, (x,), (np.ones(4),))),
        ("grad_of_grad", lambda x: tg.grad(tg.grad(_raising))(x[0])),
        ("jvp_of_grad", lambda x: tg.jvp(tg.grad(_raising), (x,), (np.ones(4),))),
    ]
    scopes = {"none": _NullScope, "record": autograd.record,
              "pause": lambda: _Nested(autograd.record(), autograd.pause())}
    x = tg.array(X4)
    x.attach_grad()
    with scopes[scope]():
        want = state()
        for name, call in calls:
            with pytest.raises(_Boom):
                call(x)
            assert state() == want, (name, scope, state(), want)
    assert state() == (False, False)
    # and the library still works normally afterwards, in both modes
    check("grad after failed transforms", tg.grad(lambda t: tg.sum(t ** 2))(X4), 2 * X4)
    out = tg.sin(tg.array(X4))
    check("a plain op after failed transforms", out, np.sin(X4))
    _, t = tg.jvp(tg.sin, (X4,), (np.ones(4),))
    check("jvp after failed transforms", t, np.cos(X4))
    with autograd.record():
        y = tg.sum(x * x)
    y.backward()
    check("backward after failed transforms", x.grad, 2 * X4)


def test_results_outside_record_have_no_history():
    """Outside record() a transform's result is a plain tensor: backward on it
    is the not-recorded RuntimeError, and it leaks no forward-mode tangent."""
    g = tg.grad(lambda t: tg.sum(t ** 3))(X4)
    with pytest.raises(RuntimeError) as ei:
        g.backward()
    assert "record" in str(ei.value)
    out, t = tg.jvp(tg.exp, (X4,), (np.ones(4),))
    # using the results afterwards in a new jvp gives that jvp's tangent only
    _, t2 = tg.jvp(lambda a: a * out, (np.ones(4),), (np.ones(4),))
    check("no tangent leaks from an earlier jvp", t2, np.exp(X4))


def test_function_returning_its_input_passes_the_cotangent_through():
    """f(x) = x: the transform's input variable has no recorded history, yet
    the cotangent must reach it (it came back as zeros)."""
    x0 = np.array([1.0, -2.0])
    _, vjp_fn = tg.vjp(lambda x: x, x0)
    check("vjp of the identity", vjp_fn(np.array([3.0, 4.0]))[0], [3.0, 4.0])
    _, vjp_fn = tg.vjp(lambda x, y: (x, x * y), x0, x0)
    gx, gy = vjp_fn(np.array([3.0, 4.0]), np.array([1.0, 1.0]))
    check("vjp of (x, x*y) wrt x", gx, [3.0 + 1.0, 4.0 - 2.0])
    check("vjp of (x, x*y) wrt y", gy, x0)
    check("grad of the identity", tg.grad(lambda x: x)(2.0), 1.0)
    with autograd.record():          # the looped Jacobian
        J = tg.jacobian(lambda x: x)(x0)
    check("jacobian of the identity inside record()", J, np.eye(2))
