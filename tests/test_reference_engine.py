"""tapegrad on 0-d tensors against the scalar reference engine (reference_engine.py).

Each expression is written once, as ``f(m, x, y, z)`` against a namespace
``m`` of elementary functions, and evaluated both with tapegrad 0-d tensors
and with reference ``Value``s; values and gradients must agree to 1e-12.
The reference engine is itself checked against central differences first.
"""
import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

from reference_engine import Value

TOL = 1e-12


def _method(name):
    return staticmethod(lambda v: getattr(v if isinstance(v, Value) else Value(v), name)())


class RefNS:
    """The reference engine's functions, named like tapegrad's (numbers are lifted)."""
    exp, log, sin, cos, tanh = (_method(n) for n in ("exp", "log", "sin", "cos", "tanh"))


class FloatNS:
    """Plain floats, for central differences of the same expressions."""
    exp, log, sin, cos, tanh = math.exp, math.log, math.sin, math.cos, math.tanh


HAND_WRITTEN = {
    # the tutorial's example (Griewank & Walther): ln(x1) + x1*x2 - sin(x2)
    "tutorial": lambda m, x, y, z: m.log(x) + x * y - m.sin(y),
    "tanh_ratio": lambda m, x, y, z: m.tanh(x * y + z) / (1 + y * y),
    "gaussian_wave": lambda m, x, y, z: m.exp(-x * x) * m.cos(3 * y),
    "poly_ratio": lambda m, x, y, z: (x ** 3 - 2 * x * y) / (z * z + 1),
    "variable_exponent": lambda m, x, y, z: x ** y + z ** 2.5,
    "constant_base": lambda m, x, y, z: 2 ** x - 0.5 ** (y * z),
    "reuse": lambda m, x, y, z: x * x * x + x / x - x + (x - y) * (x - y),
    "softplus_pair": lambda m, x, y, z: m.log(m.exp(x) + m.exp(y)),
    "nested": lambda m, x, y, z: m.sin(m.cos(m.tanh(x))) * y - z / x,
    "sigmoid_by_hand": lambda m, x, y, z: 1 / (1 + m.exp(-x)) + 1 - y - (3 - z),
}
POINT = (1.3, 0.7, 2.1)      # positive: log, fractional powers and x ** y are defined


def random_expression(seed, depth=4):
    """A random expression f(m, x, y, z) over the reference engine's ops,
    kept in the domain (log and ** of positive numbers, no division by 0)."""
    rng = np.random.default_rng(seed)

    def build(d):
        if d == 0 or rng.random() < 0.05:
            k = int(rng.integers(0, 4))
            if k == 3:
                c = float(np.round(rng.uniform(-2, 2), 2))
                return lambda m, v: c
            return lambda m, v, k=k: v[k]
        op = rng.choice(["add", "sub", "mul", "div", "pow_const", "pow_var", "exp", "log",
                         "sin", "cos", "tanh", "neg"])
        a = build(d - 1)
        if op in ("add", "sub", "mul", "div", "pow_var"):
            b = build(d - 1)
        c = float(np.round(rng.uniform(-2, 2), 2))
        return {
            "add": lambda m, v: a(m, v) + b(m, v),
            "sub": lambda m, v: a(m, v) - b(m, v),
            "mul": lambda m, v: a(m, v) * b(m, v),
            "div": lambda m, v: a(m, v) / (b(m, v) * b(m, v) + 1.0),
            "pow_const": lambda m, v: (a(m, v) * a(m, v) + 0.5) ** c,
            "pow_var": lambda m, v: (a(m, v) * a(m, v) + 0.5) ** m.tanh(b(m, v)),
            "exp": lambda m, v: m.exp(m.tanh(a(m, v))),
            "log": lambda m, v: m.log(a(m, v) * a(m, v) + 0.5),
            "sin": lambda m, v: m.sin(a(m, v)),
            "cos": lambda m, v: m.cos(a(m, v)),
            "tanh": lambda m, v: m.tanh(a(m, v)),
            "neg": lambda m, v: -a(m, v),
        }[str(op)]

    t1, t2 = build(depth), build(depth)
    # every variable appears at least once, so every gradient is exercised
    return lambda m, x, y, z: t1(m, (x, y, z)) - 0.5 * t2(m, (x, y, z)) + 0.1 * x * y * z


RANDOM = {f"random{s}": random_expression(s) for s in range(10)}
EXPRESSIONS = {**HAND_WRITTEN, **RANDOM}


def reference(f, point):
    vs = [Value(p) for p in point]
    out = f(RefNS, *vs)
    out = out if isinstance(out, Value) else Value(out)
    out.backward()
    return out.data, [v.grad for v in vs]


def tapegrad_0d(f, point):
    xs = [tg.array(p) for p in point]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        out = f(tg, *xs)
    assert out.shape == (), f"expected a 0-d result, got shape {out.shape}"
    out.backward()
    return out.item(), [x.grad.item() for x in xs]


def central(f, point, eps=1e-6):
    grads = []
    for i in range(len(point)):
        p, q = list(point), list(point)
        p[i] += eps
        q[i] -= eps
        grads.append((f(FloatNS, *p) - f(FloatNS, *q)) / (2 * eps))
    return grads


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_reference_engine_matches_central_differences(name):
    f = EXPRESSIONS[name]
    value, grads = reference(f, POINT)
    assert value == pytest.approx(f(FloatNS, *POINT), rel=1e-14, abs=1e-14)
    assert grads == pytest.approx(central(f, POINT), rel=1e-6, abs=1e-7), name


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_tapegrad_0d_gradients_equal_the_reference_engine(name):
    f = EXPRESSIONS[name]
    want_value, want = reference(f, POINT)
    value, got = tapegrad_0d(f, POINT)
    assert value == pytest.approx(want_value, rel=TOL, abs=TOL), (
        f"{name} at {POINT}: value {value!r}, reference {want_value!r}")
    for k, (g, w) in enumerate(zip(got, want)):
        assert g == pytest.approx(w, rel=TOL, abs=TOL), (
            f"{name} at {POINT}: d/d{'xyz'[k]} is {g!r} in tapegrad, {w!r} in the reference "
            f"engine (tolerance {TOL}); all gradients: {got} vs {want}")


def test_reference_engine_accumulates_over_reuse_and_resets():
    x = Value(3.0)
    y = x * x + x            # dy/dx = 2x + 1 = 7
    y.backward()
    assert x.grad == 7.0
    y.backward()             # a second backward recomputes, it does not add
    assert x.grad == 7.0
