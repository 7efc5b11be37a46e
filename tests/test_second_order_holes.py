"""Second order without holes (issue 14, item 3).

* ``autograd.grad(..., create_graph=True)`` (and ``backward(create_graph=
  True)``) of a linear or piecewise-linear function returns a RECORDED
  gradient, a constant with zero derivative, so differentiating again gives
  zeros, never NotRecordedError -- at any order;
* ``power`` at its edge points (0 ** 0, 0 ** positive, a negative base with
  a whole exponent) has JAX's values at every order (whole exponents: JAX's
  integer power; so d^2/dx^2 x ** 0.0 at 0 is 0, not NaN);
* every primitive of the registry, found by the case tables (op_cases.py,
  the surface Specs of tests/test_surface_*.py) that exercise it -- so a
  primitive merged later is covered by its own cases -- gives through
  ``autograd.grad(create_graph=True)`` of a LINEAR functional <w, f(x)> a
  recorded gradient whose derivative equals central differences of the
  first gradient.
"""
import functools
import importlib
import pathlib

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad._core.tape import get_state
from tapegrad.ops import BY_CODE

import op_cases
import surface
from oracles import jax64

EPS = 1e-6


# ---- linear and piecewise-linear ops ------------------------------------------------
LINEAR = [
    ("relu", tg.relu), ("abs", tg.abs), ("clip", lambda x: tg.clip(x, -1.0, 1.0)),
    ("2*x", lambda x: 2 * x), ("x+1", lambda x: x + 1), ("-x", lambda x: -x),
    ("x-c", lambda x: x - np.arange(3.0)), ("x/2", lambda x: x / 2.0),
    ("maximum", lambda x: tg.maximum(x, 0.1)), ("minimum", lambda x: tg.minimum(0.1, x)),
    ("index", lambda x: x[1:]), ("fancy index", lambda x: x[[0, 0, 2]]),
    ("mask", lambda x: x[np.array([True, False, True])]),
    ("reshape", lambda x: tg.reshape(x, (3, 1))), ("transpose", lambda x: tg.transpose(x)),
    ("sum", tg.sum), ("mean", tg.mean), ("copy", tg.copy),
    ("where", lambda x: tg.where(np.array([True, False, True]), x, 0.0)),
    ("concatenate", lambda x: tg.concatenate([x, x])), ("stack", lambda x: tg.stack([x, x])),
    ("broadcast_to", lambda x: tg.broadcast_to(x, (2, 3))),
    ("cast", lambda x: tg.array(x, dtype="float32")),
    ("max", tg.max), ("dot const", lambda x: tg.dot(np.arange(3.0), x)),
]
X0 = np.array([0.5, -0.3, 1.7])


def _first_derivative_constant(f, x0):
    """d/dx sum(f(x)) as numbers (the gradient of a linear or piecewise-linear f)."""
    return tg.grad(lambda x: tg.sum(f(x)))(x0).asnumpy()


@pytest.mark.parametrize("name, f", LINEAR, ids=[n for n, _ in LINEAR])
def test_grad_create_graph_of_a_linear_op_is_recorded_and_differentiates_to_zero(name, f):
    x = tg.array(X0)
    x.attach_grad()
    with autograd.record():
        y = tg.sum(f(x))
        g, = autograd.grad(y, [x], create_graph=True)
        z = tg.sum(g * g)
        h, = autograd.grad(z, [x], create_graph=True)       # second order: zero
        w = tg.sum(h * h) + tg.sum(h)
    assert g._tape is not None, f"{name}: the create_graph gradient is not recorded"
    np.testing.assert_allclose(g.asnumpy(), _first_derivative_constant(f, X0))
    np.testing.assert_array_equal(h.asnumpy(), 0.0)
    assert h._tape is not None
    k, = autograd.grad(w, [x])                               # third order: zero
    np.testing.assert_array_equal(k.asnumpy(), 0.0)


@pytest.mark.parametrize("name, f", LINEAR[:6], ids=[n for n, _ in LINEAR[:6]])
def test_backward_create_graph_of_a_linear_op_leaves_a_differentiable_grad(name, f):
    x = tg.array(X0)
    x.attach_grad()
    with autograd.record():
        y = tg.sum(f(x))
    y.backward(create_graph=True)
    first = x.grad.asnumpy()
    with autograd.record():
        z = tg.sum(x.grad * 3.0) + tg.sum(x * x)
    z.backward()
    np.testing.assert_allclose(first, _first_derivative_constant(f, X0))
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * X0)


def test_create_graph_gradient_of_an_unreached_variable_is_recorded_zeros():
    x, u = tg.array(X0), tg.array([1.0, 2.0])
    x.attach_grad()
    u.attach_grad()
    with autograd.record():
        y = tg.sum(tg.sin(x))
        gx, gu = autograd.grad(y, [x, u], create_graph=True)
        z = tg.sum(gu * gu) + tg.sum(gx)
    assert gu._tape is not None
    np.testing.assert_array_equal(gu.asnumpy(), 0.0)
    hu, = autograd.grad(z, [u])
    np.testing.assert_array_equal(hu.asnumpy(), 0.0)


def test_transforms_of_linear_functions_at_every_order():
    f = lambda x: tg.sum(tg.relu(2.0 * x) + tg.abs(x - 1.0))   # noqa: E731
    assert float(tg.grad(f)(0.5)) == 1.0
    assert float(tg.grad(tg.grad(f))(0.5)) == 0.0
    assert float(tg.grad(tg.grad(tg.grad(f)))(0.5)) == 0.0
    np.testing.assert_array_equal(tg.hessian(f)(np.array([0.5, 2.0])).asnumpy(), 0.0)
    _, t = tg.jvp(tg.grad(f), (0.5,), (1.0,))
    assert float(t) == 0.0


def test_float32_create_graph_constant_keeps_its_dtype():
    x = tg.array([0.5, 2.0], dtype="float32")
    x.attach_grad()
    with autograd.record():
        g, = autograd.grad(tg.sum(3.0 * x), [x], create_graph=True)
    assert g.dtype == np.float32 and g._tape is not None


# ---- power at its edge points: JAX's values -------------------------------------------
# JAX 0.10 (x64), jnp.power with an integer exponent (lax.integer_pow) for
# whole exponents and a float one otherwise: [f, f', f'', f'''] at x.
POWER_JAX = [
    (0.0, 0.0, [1.0, 0.0, 0.0, 0.0]),
    (0.0, 1.0, [0.0, 1.0, 0.0, 0.0]),
    (0.0, 2.0, [0.0, 0.0, 2.0, 0.0]),
    (0.0, 3.0, [0.0, 0.0, 0.0, 6.0]),
    (0.0, 0.5, [0.0, np.inf, -np.inf, np.inf]),
    (0.0, 1.5, [0.0, 0.0, np.inf, -np.inf]),
    (0.0, 2.5, [0.0, 0.0, 0.0, np.inf]),
    (0.0, -2.0, [np.inf, -np.inf, np.inf, -np.inf]),
    (-2.0, 3.0, [-8.0, 12.0, -12.0, 6.0]),
    (-2.0, 2.0, [4.0, -4.0, 2.0, 0.0]),
    (-2.0, -1.0, [-0.5, -0.25, -0.25, -0.375]),
    (-2.0, 0.0, [1.0, 0.0, 0.0, 0.0]),
    (1.5, 0.0, [1.0, 0.0, 0.0, 0.0]),
]


def _derivatives(f, x, n=3):
    out = [float(f(tg.array(x)))]
    g = f
    for _ in range(n):
        g = tg.grad(g)
        out.append(float(g(x)))
    return out


@pytest.mark.parametrize("x, e, want", POWER_JAX, ids=[f"{x}**{e}" for x, e, _ in POWER_JAX])
@pytest.mark.filterwarnings("ignore:divide by zero")
def test_power_edge_points_have_jax_values_at_every_order(x, e, want):
    for f in (lambda t: tg.power(t, e), lambda t: t ** e):
        got = _derivatives(f, x)
        np.testing.assert_array_equal(got, want)
    # forward mode agrees (first order)
    _, t = tg.jvp(lambda t: tg.power(t, e), (x,), (1.0,))
    np.testing.assert_array_equal(float(t), want[1])


def test_issue_example_second_derivative_of_x_pow_zero():
    assert float(tg.grad(tg.grad(lambda x: tg.power(x, 0.0)))(0.0)) == 0.0


@pytest.mark.parametrize("ab, want", [
    ((0.0, 2.0), [[2.0, 0.0], [0.0, 0.0]]),
    ((2.0, 3.0), None),
])
def test_power_in_both_arguments_hessian(ab, want):
    f = lambda v: tg.power(v[0], v[1])     # noqa: E731
    h = tg.hessian(f)(np.array(ab)).asnumpy()
    if want is None:
        a, b = ab
        lg = np.log(a)
        want = [[b * (b - 1) * a ** (b - 2), a ** (b - 1) * (1 + b * lg)],
                [a ** (b - 1) * (1 + b * lg), a ** b * lg * lg]]
    np.testing.assert_allclose(h, want, rtol=1e-12)


def test_power_exponent_derivative_edges_as_jax():
    """d/db a ** b: 0 at a = 0 (b > 0, and b = 0); NaN for a negative base."""
    g = tg.grad(lambda b: tg.power(0.0, b))
    assert float(g(2.0)) == 0.0 and float(g(0.0)) == 0.0
    assert float(tg.grad(g)(2.0)) == 0.0
    assert np.isnan(float(tg.grad(lambda b: tg.power(-2.0, b))(3.0)))


def test_power_edges_against_jax_itself():
    jax = jax64()
    jnp = jax.numpy
    for x, e, _ in POWER_JAX:
        ee = int(e) if float(e).is_integer() else e
        f = lambda t, ee=ee: jnp.power(t, ee)          # noqa: E731
        want = [float(f(x))]
        g = f
        for _ in range(3):
            g = jax.grad(g)
            want.append(float(g(x)))
        with np.errstate(divide="ignore"):
            got = _derivatives(lambda t: tg.power(t, e), x)
        np.testing.assert_array_equal(got, want, err_msg=f"{x} ** {e}")


# ---- every primitive of the registry ----------------------------------------------------
def _surface_specs():
    """The Specs of every tests/test_surface_*.py module (any module-level
    list of them), so the surface tables of every area feed this test."""
    specs = []
    for path in sorted(pathlib.Path(__file__).parent.glob("test_surface_*.py")):
        mod = importlib.import_module(path.stem)
        for value in vars(mod).values():
            if isinstance(value, (list, tuple)):
                specs.extend(v for v in value if isinstance(v, surface.Spec))
    return specs


class _Item:
    """One function on drawn float64 inputs, from either table."""

    def __init__(self, ident, fn, arrays):
        self.id, self.fn, self.arrays = ident, fn, arrays


def _items():
    items = []
    for case in op_cases.CASES:
        rng = np.random.default_rng(abs(hash(case.id)) % 2 ** 32)
        items.append(_Item(f"op_cases:{case.id}",
                           functools.partial(lambda c, *xs: c.fn(op_cases.TG, *xs), case),
                           case.draw(rng)))
    for spec in _surface_specs():
        if spec.grad and spec.second:
            items.append(_Item(f"surface:{spec.id}", spec.fn, surface.draw(spec)))
    # internal primitives that only mixed dtypes reach (cast); linear in the
    # float32 part, so central differences stay float64-accurate
    items.append(_Item("mixed float32/float64",
                       lambda x: tg.array(x, dtype="float32") * 2.0 + tg.sin(x),
                       [np.array([0.3, -1.1, 0.8])]))
    return items


class _Seen:
    def __init__(self):
        self.names = set()

    def __call__(self, prim, args, p, res):
        self.names.add(prim.name)


def _observed(fn):
    """Run fn() while noting every primitive applied; returns (result, names)."""
    seen = _Seen()
    st = get_state()
    saved = st.observers
    st.observers = saved + (seen,)
    try:
        return fn(), seen.names
    finally:
        st.observers = saved


def _linear_functional(item, xs, rng_seed=0):
    y = item.fn(*xs)
    y = y[0] if isinstance(y, tuple) else y
    w = np.random.default_rng(rng_seed).standard_normal(y.shape)
    return tg.sum(y * w)


def _first_grad(item, arrays):
    xs = [tg.array(a) for a in arrays]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        s = _linear_functional(item, xs)
    return [g.asnumpy() for g in autograd.grad(s, xs)]


def _second_order(item):
    """autograd.grad(create_graph=True) of <w, f(x)>, then the gradient of
    <v, g>: recorded, and equal to central differences of the first
    gradient.  Returns the primitives used (forward and rules)."""
    arrays = item.arrays
    rng = np.random.default_rng(1)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    xs = [tg.array(a) for a in arrays]
    for x in xs:
        x.attach_grad()

    def run():
        with autograd.record():
            s = _linear_functional(item, xs)
            gs = autograd.grad(s, xs, create_graph=True)
            d = sum(tg.sum(g * v) for g, v in zip(gs, vs))
        return gs, d, autograd.grad(d, xs)
    (gs, d, hs), names = _observed(run)
    for k, g in enumerate(gs):
        assert g._tape is not None, f"{item.id}: create_graph gradient {k} is not recorded"
    for k, (a, h) in enumerate(zip(arrays, hs)):
        want = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            plus = [b.copy() for b in arrays]
            minus = [b.copy() for b in arrays]
            plus[k][i] += EPS
            minus[k][i] -= EPS
            dp = sum(float(np.sum(g * v)) for g, v in zip(_first_grad(item, plus), vs))
            dm = sum(float(np.sum(g * v)) for g, v in zip(_first_grad(item, minus), vs))
            want[i] = (dp - dm) / (2 * EPS)
        scale = 1.0 + float(np.max(np.abs(want), initial=0.0))
        np.testing.assert_allclose(h.asnumpy(), want, rtol=1e-4, atol=1e-5 * scale,
                                   err_msg=f"{item.id}: second derivative of input {k}")
    return names


@functools.lru_cache(maxsize=1)
def _cases_by_primitive():
    """primitive name -> the items whose forward applies it, then those whose
    create_graph rules do (index_add and cast come from rules)."""
    fwd, rules = {}, {}
    for item in _items():
        xs = [tg.array(a) for a in item.arrays]
        for x in xs:
            x.attach_grad()
        with autograd.record():
            s, f_names = _observed(lambda: _linear_functional(item, xs))
            _, r_names = _observed(lambda: autograd.grad(s, xs, create_graph=True))
        for n in f_names:
            fwd.setdefault(n, []).append(item)
        for n in r_names - f_names:
            rules.setdefault(n, []).append(item)
    return {n: fwd.get(n, []) + rules.get(n, []) for n in set(fwd) | set(rules)}


PRIMITIVES = sorted(p.name for p in BY_CODE)


@pytest.mark.parametrize("name", PRIMITIVES)
def test_every_primitive_grad_of_grad_is_recorded_and_right(name):
    items = _cases_by_primitive().get(name)
    assert items, (f"no case of op_cases.py or of a surface Spec exercises primitive {name!r}: "
                   f"add one")
    # the first three cases that apply it (the table's plain case first)
    for item in items[:3]:
        names = _second_order(item)
        assert name in names
