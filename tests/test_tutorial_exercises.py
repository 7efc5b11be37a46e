"""Exercises 1, 5, 6 and 7 of the autodiff tutorial (seeds/, the d2l
"Automatic Differentiation" exercises) worked with tapegrad.

1. Second derivatives: why they cost more (the backward pass itself must be
   recorded, create_graph=True), computed by tg.grad(tg.grad(f)) and by
   autograd.grad(create_graph=True), against closed forms.
5. f(x) = log(x^2) sin(x) + 1/x and its dependency graph
   x -> a = x^2 -> b = log a;  x -> c = sin x;  d = b c;  x -> e = 1/x;  f = d + e.
6. The chain rule on that graph: local partials, tangents and adjoints of
   every intermediate, multiplied out to
   f'(x) = 2 sin(x)/x + log(x^2) cos(x) - 1/x^2.
7. Forward (x to f: tg.jvp, tangents) and backward (f to x: tg.grad,
   record/backward, adjoints) differentiation agree with each other and the
   closed form, at positive and negative x.
"""

import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

XS = [-3.0, -1.5, -0.5, 0.3, 1.0, 2.5, 7.0]


def check(what, actual, expected, rtol=1e-12, atol=1e-12, **inputs):
    actual = np.asarray(actual.asnumpy() if isinstance(actual, tg.Tensor) else actual,
                        dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    ok = actual.shape == expected.shape and np.allclose(actual, expected, rtol=rtol, atol=atol)
    if not ok:
        lines = [f"{what}: mismatch (rtol={rtol}, atol={atol})"]
        lines += [f"  input {k} = {v!r}" for k, v in inputs.items()]
        lines.append(f"  got      {actual!r}")
        lines.append(f"  expected {expected!r}")
        if actual.shape == expected.shape:
            lines.append(f"  max |diff| = {np.max(np.abs(actual - expected), initial=0.0):.3e}")
        pytest.fail("\n".join(lines))


# --------------------------------------------------------------------------
# Exercise 5: the function and its closed-form derivatives
# --------------------------------------------------------------------------

def f(x):
    """f(x) = log(x^2) * sin(x) + 1/x, written op by op as in the dependency graph."""
    return f_graph(x)["f"]


def f_graph(x):
    a = x ** 2
    b = tg.log(a)
    c = tg.sin(x)
    d = b * c
    e = 1.0 / x
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": d + e}


def f_closed(x):
    return math.log(x * x) * math.sin(x) + 1.0 / x


def df_closed(x):
    return 2 * math.sin(x) / x + math.log(x * x) * math.cos(x) - 1.0 / x ** 2


def d2f_closed(x):
    return (4 * math.cos(x) / x - 2 * math.sin(x) / x ** 2 - math.log(x * x) * math.sin(x)
            + 2.0 / x ** 3)


def d3f_closed(x):
    return (-6 * math.sin(x) / x - 6 * math.cos(x) / x ** 2 + 4 * math.sin(x) / x ** 3
            - math.log(x * x) * math.cos(x) - 6.0 / x ** 4)


def test_closed_forms_agree_with_central_differences():
    """Sanity of the oracles themselves (float64 central differences)."""
    h = 1e-5
    for x in XS:
        check("f' closed form vs FD", df_closed(x), (f_closed(x + h) - f_closed(x - h)) / (2 * h),
              rtol=1e-7, atol=1e-7, x=x)
        check("f'' closed form vs FD", d2f_closed(x),
              (df_closed(x + h) - df_closed(x - h)) / (2 * h), rtol=1e-7, atol=1e-7, x=x)
        check("f''' closed form vs FD", d3f_closed(x),
              (d2f_closed(x + h) - d2f_closed(x - h)) / (2 * h), rtol=1e-7, atol=1e-6, x=x)


@pytest.mark.parametrize("x0", XS)
def test_ex5_value_and_dependency_graph_nodes(x0):
    nodes = f_graph(tg.array(x0))
    expected = {"a": x0 ** 2, "b": math.log(x0 ** 2), "c": math.sin(x0),
                "d": math.log(x0 ** 2) * math.sin(x0), "e": 1 / x0, "f": f_closed(x0)}
    for k, v in expected.items():
        check(f"node {k} of the dependency graph", nodes[k], v, x=x0)


# --------------------------------------------------------------------------
# Exercise 7: forward and backward differentiation agree with f'
# --------------------------------------------------------------------------

@pytest.mark.parametrize("x0", XS)
def test_ex7_forward_mode_jvp(x0):
    out, t = tg.jvp(f, (x0,), (1.0,))
    check("f(x) from tg.jvp", out, f_closed(x0), x=x0)
    check("f'(x) by forward mode (tg.jvp)", t, df_closed(x0), x=x0)


@pytest.mark.parametrize("x0", XS)
def test_ex7_reverse_mode_grad(x0):
    check("f'(x) by reverse mode (tg.grad)", tg.grad(f)(x0), df_closed(x0), x=x0)
    v, g = tg.value_and_grad(f)(tg.array(x0))
    check("value_and_grad value", v, f_closed(x0), x=x0)
    check("value_and_grad gradient", g, df_closed(x0), x=x0)


@pytest.mark.parametrize("x0", XS)
def test_ex7_reverse_mode_record_backward(x0):
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward()
    check("f'(x) by record()/backward()", x.grad, df_closed(x0), x=x0)


def test_ex7_vectorized_forward_equals_backward():
    """On a vector of points f acts elementwise: the Jacobian is diagonal, one
    forward pass with tangent ones and one backward pass with head ones both
    give f' at every point."""
    xs = np.array(XS)
    expected = np.array([df_closed(x) for x in xs])
    _, t = tg.jvp(f, (xs,), (np.ones_like(xs),))
    check("forward mode on a vector of points", t, expected, x=xs)
    _, vjp_fn = tg.vjp(f, xs)
    check("reverse mode (vjp with ones) on a vector of points", vjp_fn(np.ones_like(xs))[0],
          expected, x=xs)
    x = tg.array(xs)
    x.attach_grad()
    with autograd.record():
        y = f(x)
    y.backward()                    # non-scalar head: as y.sum().backward()
    check("backward of a non-scalar head on a vector of points", x.grad, expected, x=xs)
    for mode in ("fwd", "rev"):
        J = tg.jacobian(f, mode=mode)(xs)
        check(f"jacobian mode={mode} is diag(f')", J, np.diag(expected), x=xs)


def test_ex7_tapegrad_agrees_with_torch():
    torch = pytest.importorskip("torch")
    xt = torch.tensor(XS, dtype=torch.float64, requires_grad=True)
    y = torch.log(xt ** 2) * torch.sin(xt) + 1 / xt
    (g,) = torch.autograd.grad(y.sum(), xt)
    _, t = tg.jvp(f, (np.array(XS),), (np.ones(len(XS)),))
    check("tg.jvp vs torch.autograd", t, g.numpy(), x=XS)


# --------------------------------------------------------------------------
# Exercise 6: the chain rule, piece by piece on the graph
# --------------------------------------------------------------------------

@pytest.mark.parametrize("x0", XS)
def test_ex6_local_partials_on_each_edge(x0):
    """Each edge of the graph carries a local derivative; autograd.grad of a
    node with respect to its parent gives it."""
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        n = f_graph(x)
    a, b, c = x0 ** 2, math.log(x0 ** 2), math.sin(x0)
    edges = [
        ("da/dx", n["a"], x, 2 * x0),
        ("db/da", n["b"], n["a"], 1 / a),
        ("dc/dx", n["c"], x, math.cos(x0)),
        ("dd/db", n["d"], n["b"], c),
        ("dd/dc", n["d"], n["c"], b),
        ("de/dx", n["e"], x, -1 / x0 ** 2),
        ("df/dd", n["f"], n["d"], 1.0),
        ("df/de", n["f"], n["e"], 1.0),
    ]
    for name, head, var, expected in edges:
        got, = autograd.grad(head, [var], retain_graph=True)
        check(f"local partial {name}", got, expected, x=x0)


@pytest.mark.parametrize("x0", XS)
def test_ex6_adjoints_of_intermediates_multiply_out_to_df(x0):
    """Backward differentiation (f to x): the adjoint of every node,
    f_bar(v) = df/dv, from autograd.grad with respect to the intermediates;
    the chain rule puts them together into f'(x)."""
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        n = f_graph(x)
    names = ["a", "b", "c", "d", "e"]
    adj = autograd.grad(n["f"], [n[k] for k in names] + [x], retain_graph=True)
    adj = dict(zip(names + ["x"], [g.item() for g in adj]))
    a, b, c = x0 ** 2, math.log(x0 ** 2), math.sin(x0)
    expected = {"d": 1.0, "e": 1.0, "b": c, "c": b, "a": c / a, "x": df_closed(x0)}
    for k, v in expected.items():
        check(f"adjoint of {k}", adj[k], v, x=x0)
    # the chain rule, by hand from the adjoints and local partials
    by_hand = adj["a"] * 2 * x0 + adj["c"] * math.cos(x0) + adj["e"] * (-1 / x0 ** 2)
    check("sum over the paths x->a, x->c, x->e of adjoint * local partial", by_hand,
          df_closed(x0), x=x0)
    check("adjoint of x equals f'", adj["x"], by_hand, x=x0)


@pytest.mark.parametrize("x0", XS)
def test_ex6_tangents_of_intermediates_multiply_out_to_df(x0):
    """Forward differentiation (x to f): the tangent of every node,
    v_dot = dv/dx, from one tg.jvp of the whole graph."""
    names = ["a", "b", "c", "d", "e", "f"]
    outs, tans = tg.jvp(lambda x: tuple(f_graph(x)[k] for k in names), (x0,), (1.0,))
    t = dict(zip(names, [v.item() for v in tans]))
    a_dot, b_dot, c_dot = 2 * x0, 2 / x0, math.cos(x0)
    b, c = math.log(x0 ** 2), math.sin(x0)
    expected = {"a": a_dot, "b": b_dot, "c": c_dot, "d": b_dot * c + b * c_dot,
                "e": -1 / x0 ** 2, "f": df_closed(x0)}
    for k, v in expected.items():
        check(f"tangent of {k}", t[k], v, x=x0)
    check("f_dot = d_dot + e_dot", t["f"], t["d"] + t["e"], x=x0)
    check("f_dot = (db/da)(da/dx) c + b (dc/dx) + de/dx",
          t["f"], (1 / x0 ** 2) * (2 * x0) * c + b * math.cos(x0) - 1 / x0 ** 2, x=x0)


def test_ex6_forward_and_backward_accumulations_visit_the_same_partials():
    """Forward accumulates dv/dx from x outward, backward accumulates df/dv from
    f inward; at every node v, tangent(v) * adjoint(v) summed over a cut of the
    graph is f'(x).  Cut {d, e} and cut {a, c, e}."""
    for x0 in XS:
        names = ["a", "b", "c", "d", "e"]
        _, tans = tg.jvp(lambda x: tuple(f_graph(x)[k] for k in names), (x0,), (1.0,))
        t = dict(zip(names, [v.item() for v in tans]))
        x = tg.array(x0)
        x.attach_grad()
        with autograd.record():
            n = f_graph(x)
        adj = dict(zip(names, [g.item() for g in
                               autograd.grad(n["f"], [n[k] for k in names], retain_graph=True)]))
        for cut in (("d", "e"), ("a", "c", "e"), ("b", "c", "e")):
            check(f"sum of tangent*adjoint over cut {cut}",
                  sum(t[k] * adj[k] for k in cut), df_closed(x0), x=x0)


# --------------------------------------------------------------------------
# Exercise 1: second derivatives
# --------------------------------------------------------------------------

SECOND = [
    ("sin", lambda x: tg.sin(x), lambda x: -math.sin(x)),
    ("x^3", lambda x: x ** 3, lambda x: 6 * x),
    ("exp(x^2)", lambda x: tg.exp(x * x), lambda x: (2 + 4 * x * x) * math.exp(x * x)),
    ("tanh", lambda x: tg.tanh(x), lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    ("ex5 f", f, d2f_closed),
]


@pytest.mark.parametrize("name,fn,d2", SECOND, ids=[s[0] for s in SECOND])
def test_ex1_second_derivative_by_nested_grad(name, fn, d2):
    for x0 in XS:
        if name == "exp(x^2)" and abs(x0) > 2:
            continue
        check(f"tg.grad(tg.grad({name}))", tg.grad(tg.grad(fn))(x0), d2(x0), rtol=1e-11,
              atol=1e-11, x=x0)


@pytest.mark.parametrize("name,fn,d2", SECOND, ids=[s[0] for s in SECOND])
def test_ex1_second_derivative_by_create_graph(name, fn, d2):
    for x0 in XS:
        if name == "exp(x^2)" and abs(x0) > 2:
            continue
        x = tg.array(x0)
        x.attach_grad()
        with autograd.record():
            y = fn(x)
            g, = autograd.grad(y, [x], create_graph=True)
        g.backward()
        check(f"backward of the recorded first derivative of {name}", x.grad, d2(x0),
              rtol=1e-11, atol=1e-11, x=x0)
        x2 = tg.array(x0)
        x2.attach_grad()
        with autograd.record():
            g2, = autograd.grad(fn(x2), [x2], create_graph=True)
            h, = autograd.grad(g2, [x2])
        check(f"autograd.grad twice for {name}", h, d2(x0), rtol=1e-11, atol=1e-11, x=x0)


def test_ex1_third_derivative_of_ex5_function():
    for x0 in XS:
        check("tg.grad three deep on f", tg.grad(tg.grad(tg.grad(f)))(x0), d3f_closed(x0),
              rtol=1e-10, atol=1e-10, x=x0)


def test_ex1_why_second_derivatives_cost_more():
    """The first derivative is a number unless the backward pass is itself
    recorded: without create_graph the gradient is a constant (differentiating
    it again gives nothing), with it the backward pass adds a second graph
    that must be stored and swept."""
    x0 = 1.3
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        y = f(x)
        g_const, = autograd.grad(y, [x], retain_graph=True)
        g_rec, = autograd.grad(y, [x], create_graph=True)
    check("both first derivatives agree", [g_const.item(), g_rec.item()],
          [df_closed(x0)] * 2, x=x0)
    with pytest.raises(RuntimeError):
        g_const.backward()           # a constant: nothing recorded to differentiate
    g_rec.backward()
    check("the recorded first derivative differentiates to f''", x.grad, d2f_closed(x0), x=x0)
    # the Hessian of an n-vector function needs n reverse sweeps over the
    # recorded gradient: check its value for f applied elementwise (diagonal)
    xs = np.array(XS)
    H = tg.hessian(lambda v: tg.sum(f(v)))(xs)
    check("hessian of sum f(x_i) is diag(f''(x_i))", H, np.diag([d2f_closed(v) for v in XS]),
          rtol=1e-11, atol=1e-11, x=xs)
