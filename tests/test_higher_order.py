"""Second and higher derivatives, op by op, and every transform per op.

One case table covers the functions of API.md (unary elementwise, binary
with broadcasting, operators, reductions with axis/keepdims, matmul/dot/
outer, shape ops, indexing, softmax/log_softmax/logsumexp/norm/prod/clip/
where/maximum).  For each case, with the case's function ``f`` and a scalar
``s(x) = sum(w * f(x)) + 0.5 * sum(f(x)**2)`` (the square makes the second
derivative of linear ops non-trivial: it needs the op's backward rule to be
recorded as a function of its incoming gradient), the tests check:

* the first gradient of ``s`` against float64 central differences of a
  NumPy reference of ``f`` (the base the second-order tests build on);
* grad-of-grad: reverse over reverse (``autograd.grad(create_graph=True)``
  then ``backward`` of <grad, v>) against mixed second central differences
  of the NumPy reference and against central differences of the first
  gradient along ``v``;
* forward over reverse (``tg.jvp`` of ``tg.grad``) and reverse over forward
  (``tg.grad`` of a ``tg.jvp`` tangent) against central differences;
* ``tg.jvp`` against central differences along a random direction;
* ``tg.jacobian`` mode='fwd' == mode='rev' == stacked central differences;
* the forward/reverse identity <u, J^T v> == <J u, v> (tg.jvp vs tg.vjp);
* ``tg.hessian`` symmetric, equal to central differences of the gradient
  and to ``torch.func.hessian`` where torch is installed.

Third-order derivatives through ``create_graph``, ``backward(create_graph=
True)`` and custom ``autograd.Function`` backward rules are at the end.
"""

import math
import zlib

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd

from oracles import Cube, arr, check
from oracles import np_logsumexp as _lse_np
from oracles import np_softmax as _softmax_np

# torch (an optional oracle) warns about torch.jit on import
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def fd_jacobian(fn, xs, i, h=1e-6):
    """Central-difference Jacobian of NumPy function fn(*xs) wrt xs[i]:
    shape out.shape + xs[i].shape."""
    xs = [np.array(x, dtype=np.float64) for x in xs]
    out0 = np.asarray(fn(*xs), dtype=np.float64)
    x = xs[i]
    J = np.zeros(out0.shape + x.shape)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        ap, am = list(xs), list(xs)
        ap[i], am[i] = xp, xm
        J[(Ellipsis,) + idx] = (np.asarray(fn(*ap)) - np.asarray(fn(*am))) / (2 * h)
    return J


def fd_directional(fn, xs, us, h=1e-6):
    """(fn(x + h u) - fn(x - h u)) / 2h for NumPy fn, all inputs moved together."""
    xp = [np.asarray(x, np.float64) + h * np.asarray(u) for x, u in zip(xs, us)]
    xm = [np.asarray(x, np.float64) - h * np.asarray(u) for x, u in zip(xs, us)]
    return (np.asarray(fn(*xp)) - np.asarray(fn(*xm))) / (2 * h)


def fd_hvp_numpy(s_np, xs, vs, h=1e-4):
    """(H v) by mixed second central differences of the scalar NumPy s:
    [s(x+h e_i+h v) - s(x-h e_i+h v) - s(x+h e_i-h v) + s(x-h e_i-h v)] / 4h^2."""
    xs = [np.array(x, np.float64) for x in xs]
    out = []
    for i, x in enumerate(xs):
        hv = np.zeros(x.shape)
        for idx in np.ndindex(x.shape):
            vals = []
            for si, sv in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
                ys = [np.array(xx + sv * h * np.asarray(v)) for xx, v in zip(xs, vs)]
                ys[i][idx] += si * h
                vals.append(float(s_np(*ys)))
            hv[idx] = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h * h)
        out.append(hv)
    return out


# --------------------------------------------------------------------------
# the case table
# --------------------------------------------------------------------------

class Case:
    def __init__(self, name, f_tg, f_np, f_torch, specs):
        self.name = name
        self.f_tg = f_tg
        self.f_np = f_np
        self.f_torch = f_torch
        self.specs = specs

    def inputs(self):
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        xs = []
        for kind, shape in self.specs:
            if isinstance(kind, np.ndarray):
                xs.append(kind.astype(np.float64))
            elif kind == "any":
                xs.append(rng.standard_normal(shape))
            elif kind == "pos":
                xs.append(rng.uniform(0.5, 2.0, shape))
            elif kind == "unit":
                xs.append(rng.uniform(-0.9, 0.9, shape))
            elif kind == "away0":
                xs.append(rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape))
            else:
                raise AssertionError(kind)
        return xs

    def directions(self, seed_offset=1):
        rng = np.random.default_rng(zlib.crc32(self.name.encode()) + seed_offset)
        return [rng.standard_normal(np.shape(x)) for x in self.inputs()]

    def out_shape(self):
        return np.shape(self.f_np(*self.inputs()))

    def weight(self):
        rng = np.random.default_rng(zlib.crc32(self.name.encode()) + 7)
        return rng.standard_normal(self.out_shape())

    # the scalar used for gradients and Hessians
    def s_tg(self):
        w = self.weight()

        def s(*xs):
            y = self.f_tg(*xs)
            return tg.sum(y * w + 0.5 * y * y)
        return s

    def s_np(self):
        w = self.weight()

        def s(*xs):
            y = np.asarray(self.f_np(*xs), np.float64)
            return np.sum(y * w + 0.5 * y * y)
        return s

    def s_torch(self):
        import torch
        w = torch.tensor(self.weight(), dtype=torch.float64)

        def s(*xs):
            y = self.f_torch(torch, *xs)
            return torch.sum(y * w + 0.5 * y * y)
        return s


def _sigmoid_np(x):
    return 1.0 / (1.0 + np.exp(-x))


def _unary(name, kind="any", shape=(2, 3), np_fn=None, torch_name=None):
    tgf = getattr(tg, name)
    npf = np_fn or getattr(np, name)
    tname = torch_name or name
    return Case(name, lambda x: tgf(x), lambda x: npf(x),
                lambda T, x: getattr(T, tname)(x), [(kind, shape)])


CLIP_X = np.array([[-1.2, -0.3, 0.2], [0.8, 0.45, -0.7]])
MASK = np.array([[True, False, True], [False, True, True]])
ROWS = np.array([0, 2, 0, 1])                       # repeated row index
PAIRS = (np.array([0, 1, 1, 0]), np.array([2, 0, 2, 2]))   # repeated pairs

CASES = [
    # ---- unary elementwise
    _unary("exp"),
    _unary("log", "pos"),
    _unary("sin"),
    _unary("cos"),
    _unary("tan", "unit"),
    _unary("tanh"),
    _unary("sqrt", "pos"),
    _unary("square"),
    _unary("abs", "away0"),
    _unary("sigmoid", np_fn=_sigmoid_np),
    _unary("relu", "away0", np_fn=lambda x: np.maximum(x, 0.0)),
    _unary("negative", torch_name="neg"),
    Case("copy", lambda x: tg.copy(x), np.copy, lambda T, x: T.clone(x), [("any", (2, 3))]),
    Case("op_neg", lambda x: -x, lambda x: -x, lambda T, x: -x, [("any", (3,))]),
    Case("op_abs", lambda x: abs(x), np.abs, lambda T, x: abs(x), [("away0", (3,))]),
    Case("sin_of_exp", lambda x: tg.sin(tg.exp(x)), lambda x: np.sin(np.exp(x)),
         lambda T, x: T.sin(T.exp(x)), [("unit", (4,))]),
    # ---- binary, with broadcasting
    Case("add_bcast", tg.add, np.add, lambda T, a, b: a + b, [("any", (2, 3)), ("any", (3,))]),
    Case("subtract_bcast", tg.subtract, np.subtract, lambda T, a, b: a - b,
         [("any", (2, 1)), ("any", (1, 3))]),
    Case("multiply_bcast", tg.multiply, np.multiply, lambda T, a, b: a * b,
         [("any", (2, 3)), ("any", (2, 1))]),
    Case("divide_bcast", tg.divide, np.divide, lambda T, a, b: a / b,
         [("any", (2, 3)), ("away0", (3,))]),
    Case("power_bcast", tg.power, np.power, lambda T, a, b: T.pow(a, b),
         [("pos", (2, 3)), ("any", (3,))]),
    Case("maximum_bcast", tg.maximum, np.maximum, lambda T, a, b: T.maximum(a, b),
         [("any", (2, 3)), ("any", (3,))]),
    Case("minimum_bcast", tg.minimum, np.minimum, lambda T, a, b: T.minimum(a, b),
         [("any", (2, 1)), ("any", (2, 3))]),
    Case("multiply_scalar_shape", tg.multiply, np.multiply, lambda T, a, b: a * b,
         [("any", ()), ("any", (2, 3))]),
    # ---- operators (with constants on either side)
    Case("op_add_sub", lambda a, b: a + b - 2.0 * a, lambda a, b: a + b - 2.0 * a,
         lambda T, a, b: a + b - 2.0 * a, [("any", (3,)), ("any", (2, 3))]),
    Case("op_mul_div", lambda a, b: a * b / (b + 3.0), lambda a, b: a * b / (b + 3.0),
         lambda T, a, b: a * b / (b + 3.0), [("any", (2, 3)), ("pos", (2, 3))]),
    Case("op_rtruediv", lambda a: 1.0 / a, lambda a: 1.0 / a, lambda T, a: 1.0 / a,
         [("away0", (4,))]),
    Case("op_pow_const", lambda a: a ** 3, lambda a: a ** 3, lambda T, a: a ** 3,
         [("any", (4,))]),
    Case("op_pow_tensor", lambda a, b: a ** b, lambda a, b: a ** b, lambda T, a, b: a ** b,
         [("pos", (3,)), ("any", (3,))]),
    Case("op_rpow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, lambda T, a: 2.0 ** a,
         [("any", (4,))]),
    # ---- reductions
    Case("sum_all", lambda x: tg.sum(x), np.sum, lambda T, x: T.sum(x), [("any", (2, 3))]),
    Case("sum_axis0_keepdims", lambda x: tg.sum(x, axis=0, keepdims=True),
         lambda x: np.sum(x, axis=0, keepdims=True),
         lambda T, x: T.sum(x, dim=0, keepdim=True), [("any", (2, 3, 2))]),
    Case("sum_axes02", lambda x: x.sum(axis=(0, 2)), lambda x: np.sum(x, axis=(0, 2)),
         lambda T, x: T.sum(x, dim=(0, 2)), [("any", (2, 3, 2))]),
    Case("mean_axis1", lambda x: tg.mean(x, axis=1), lambda x: np.mean(x, axis=1),
         lambda T, x: T.mean(x, dim=1), [("any", (3, 4))]),
    Case("mean_all", lambda x: x.mean(), np.mean, lambda T, x: T.mean(x), [("any", (2, 3))]),
    Case("max_all", lambda x: tg.max(x), np.max, lambda T, x: T.amax(x), [("any", (2, 3))]),
    Case("max_axis1_keepdims", lambda x: tg.max(x, axis=1, keepdims=True),
         lambda x: np.max(x, axis=1, keepdims=True),
         lambda T, x: T.amax(x, dim=1, keepdim=True), [("any", (3, 4))]),
    Case("min_axis0", lambda x: tg.min(x, axis=0), lambda x: np.min(x, axis=0),
         lambda T, x: T.amin(x, dim=0), [("any", (3, 4))]),
    Case("prod_all", lambda x: tg.prod(x), np.prod, lambda T, x: T.prod(x), [("away0", (2, 3))]),
    Case("prod_axis1_keepdims", lambda x: tg.prod(x, axis=1, keepdims=True),
         lambda x: np.prod(x, axis=1, keepdims=True),
         lambda T, x: T.prod(x, dim=1, keepdim=True), [("away0", (3, 3))]),
    Case("norm", lambda x: tg.norm(x), lambda x: np.sqrt(np.sum(x * x)),
         lambda T, x: T.sqrt(T.sum(x * x)), [("any", (2, 3))]),
    Case("logsumexp_all", lambda x: tg.logsumexp(x), _lse_np,
         lambda T, x: T.logsumexp(x.reshape(-1), dim=0), [("any", (2, 3))]),
    Case("logsumexp_axis1", lambda x: tg.logsumexp(x, axis=1),
         lambda x: _lse_np(x, axis=1), lambda T, x: T.logsumexp(x, dim=1), [("any", (3, 4))]),
    Case("logsumexp_axis0_keepdims", lambda x: x.logsumexp(axis=0, keepdims=True),
         lambda x: _lse_np(x, axis=0, keepdims=True),
         lambda T, x: T.logsumexp(x, dim=0, keepdim=True), [("any", (3, 4))]),
    Case("softmax_default", lambda x: tg.softmax(x), _softmax_np,
         lambda T, x: T.softmax(x, dim=-1), [("any", (3, 4))]),
    Case("softmax_axis0", lambda x: tg.softmax(x, axis=0), lambda x: _softmax_np(x, axis=0),
         lambda T, x: T.softmax(x, dim=0), [("any", (3, 4))]),
    Case("log_softmax", lambda x: tg.log_softmax(x),
         lambda x: x - _lse_np(x, axis=-1, keepdims=True),
         lambda T, x: T.log_softmax(x, dim=-1), [("any", (3, 4))]),
    # ---- linear algebra
    Case("matmul_2d", tg.matmul, np.matmul, lambda T, a, b: a @ b,
         [("any", (3, 4)), ("any", (4, 2))]),
    Case("matmul_batch_vec", tg.matmul, np.matmul, lambda T, a, b: T.matmul(a, b),
         [("any", (2, 3, 2)), ("any", (2,))]),
    Case("matmul_vec_batch", tg.matmul, np.matmul, lambda T, a, b: T.matmul(a, b),
         [("any", (3,)), ("any", (2, 3, 2))]),
    Case("matmul_batch_bcast", tg.matmul, np.matmul, lambda T, a, b: T.matmul(a, b),
         [("any", (2, 2, 3)), ("any", (3, 2))]),
    Case("op_matmul", lambda a, b: a @ b, lambda a, b: a @ b, lambda T, a, b: a @ b,
         [("any", (2, 3)), ("any", (3, 3))]),
    Case("dot_vec_vec", tg.dot, np.dot, lambda T, a, b: T.dot(a, b),
         [("any", (5,)), ("any", (5,))]),
    Case("dot_mat_vec", tg.dot, np.dot, lambda T, a, b: T.mv(a, b),
         [("any", (3, 4)), ("any", (4,))]),
    Case("dot_mat_mat", tg.dot, np.dot, lambda T, a, b: T.mm(a, b),
         [("any", (2, 3)), ("any", (3, 2))]),
    Case("outer", tg.outer, np.outer, lambda T, a, b: T.outer(a, b),
         [("any", (3,)), ("any", (4,))]),
    # ---- shape ops
    Case("reshape", lambda x: tg.reshape(x, (3, 2)), lambda x: np.reshape(x, (3, 2)),
         lambda T, x: x.reshape(3, 2), [("any", (2, 3))]),
    Case("reshape_method_minus1", lambda x: x.reshape(-1, 4), lambda x: x.reshape(-1, 4),
         lambda T, x: x.reshape(-1, 4), [("any", (2, 2, 2))]),
    Case("transpose_axes", lambda x: tg.transpose(x, (2, 0, 1)),
         lambda x: np.transpose(x, (2, 0, 1)), lambda T, x: x.permute(2, 0, 1),
         [("any", (2, 3, 2))]),
    Case("transpose_default", lambda x: tg.transpose(x), np.transpose,
         lambda T, x: x.permute(2, 1, 0), [("any", (2, 3, 2))]),
    Case("T", lambda x: x.T, lambda x: x.T, lambda T, x: x.T, [("any", (2, 3))]),
    Case("expand_dims", lambda x: tg.expand_dims(x, 1), lambda x: np.expand_dims(x, 1),
         lambda T, x: x.unsqueeze(1), [("any", (2, 3))]),
    Case("squeeze", lambda x: tg.squeeze(x, axis=1), lambda x: np.squeeze(x, axis=1),
         lambda T, x: x.squeeze(1), [("any", (2, 1, 3))]),
    Case("broadcast_to", lambda x: tg.broadcast_to(x, (2, 3)),
         lambda x: np.broadcast_to(x, (2, 3)), lambda T, x: T.broadcast_to(x, (2, 3)),
         [("any", (2, 1))]),
    Case("concatenate_axis0", lambda a, b: tg.concatenate([a, b], axis=0),
         lambda a, b: np.concatenate([a, b], axis=0), lambda T, a, b: T.cat([a, b], dim=0),
         [("any", (2, 3)), ("any", (1, 3))]),
    Case("concatenate_axis1", lambda a, b: tg.concatenate([a, b], axis=1),
         lambda a, b: np.concatenate([a, b], axis=1), lambda T, a, b: T.cat([a, b], dim=1),
         [("any", (2, 2)), ("any", (2, 1))]),
    Case("stack_axis1", lambda a, b: tg.stack([a, b], axis=1),
         lambda a, b: np.stack([a, b], axis=1), lambda T, a, b: T.stack([a, b], dim=1),
         [("any", (2, 3)), ("any", (2, 3))]),
    Case("flatten", lambda x: tg.flatten(x), lambda x: x.reshape(-1),
         lambda T, x: x.flatten(), [("any", (2, 3))]),
    # ---- indexing
    Case("index_int", lambda x: x[1], lambda x: x[1], lambda T, x: x[1], [("any", (3, 3))]),
    Case("index_slices", lambda x: x[:, 1:3], lambda x: x[:, 1:3], lambda T, x: x[:, 1:3],
         [("any", (2, 4))]),
    Case("index_none_ellipsis", lambda x: x[None, ..., 0], lambda x: x[None, ..., 0],
         lambda T, x: x[None, ..., 0], [("any", (2, 3))]),
    Case("index_int_array_repeated", lambda x: x[ROWS], lambda x: x[ROWS],
         lambda T, x: x[T.as_tensor(ROWS)], [("any", (3, 2))]),
    Case("index_int_array_pairs", lambda x: x[PAIRS], lambda x: x[PAIRS],
         lambda T, x: x[T.as_tensor(PAIRS[0]), T.as_tensor(PAIRS[1])], [("any", (2, 3))]),
    Case("index_bool_mask", lambda x: x[MASK], lambda x: x[MASK],
         lambda T, x: x[T.as_tensor(MASK)], [("any", (2, 3))]),
    # ---- clip / where / maximum with constants
    Case("clip_both", lambda x: tg.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
         lambda T, x: T.clamp(x, -0.5, 0.5), [(CLIP_X, None)]),
    Case("clip_lower_only", lambda x: x.clip(-0.5), lambda x: np.clip(x, -0.5, None),
         lambda T, x: T.clamp(x, min=-0.5), [(CLIP_X, None)]),
    Case("where_bcast", lambda a, b: tg.where(MASK, a, b), lambda a, b: np.where(MASK, a, b),
         lambda T, a, b: T.where(T.as_tensor(MASK), a, b), [("any", (2, 3)), ("any", (3,))]),
    Case("maximum_const", lambda x: tg.maximum(x, 0.1), lambda x: np.maximum(x, 0.1),
         lambda T, x: T.clamp(x, min=0.1), [(CLIP_X, None)]),
    # ---- a composite: everything at once
    Case("mlp_like", lambda W, x: tg.log_softmax(tg.tanh(W @ x) * x[:3]).sum()
         + tg.norm(W) * tg.sigmoid(x).prod(),
         lambda W, x: np.sum(np.tanh(W @ x) * x[:3] - _lse_np(np.tanh(W @ x) * x[:3]))
         + np.sqrt(np.sum(W * W)) * np.prod(_sigmoid_np(x)),
         lambda T, W, x: T.log_softmax(T.tanh(W @ x) * x[:3], dim=-1).sum()
         + T.sqrt((W * W).sum()) * T.sigmoid(x).prod(),
         [("any", (3, 4)), ("any", (4,))]),
]

IDS = [c.name for c in CASES]


def test_case_table_is_well_formed():
    # the inputs stay away from kinks and ties, where the tests below would be ill-posed
    for c in CASES:
        xs = c.inputs()
        if c.name.startswith(("maximum", "minimum")) and len(xs) == 2:
            a, b = np.broadcast_arrays(*xs)
            assert np.min(np.abs(a - b)) > 1e-3, c.name
        if c.name.startswith(("max_", "min_")):
            x = xs[0]
            assert len(np.unique(x)) == x.size, c.name
        if c.name.startswith(("clip", "maximum_const")):
            assert np.min(np.abs(np.abs(xs[0]) - 0.5)) > 1e-2
            assert np.min(np.abs(xs[0] - 0.1)) > 1e-2
    assert len(set(IDS)) == len(IDS)


def _all(case):
    return tuple(range(len(case.specs)))


def _grad_tuple(case, xs):
    return tg.grad(case.s_tg(), argnums=_all(case))(*[tg.array(x) for x in xs])


def _fd_grad_of_tg_grad(case, xs, vs, h=1e-5):
    """Central differences of tapegrad's first gradient along v: H v."""
    gp = _grad_tuple(case, [x + h * v for x, v in zip(xs, vs)])
    gm = _grad_tuple(case, [x - h * v for x, v in zip(xs, vs)])
    return [(arr(p) - arr(m)) / (2 * h) for p, m in zip(gp, gm)]


# --------------------------------------------------------------------------
# first order: the base everything else builds on
# --------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_first_gradient_matches_central_differences(case):
    xs = case.inputs()
    gs = _grad_tuple(case, xs)
    assert isinstance(gs, tuple) and len(gs) == len(xs)
    for i, (g, x) in enumerate(zip(gs, xs)):
        expected = fd_jacobian(case.s_np(), xs, i)
        check(f"{case.name}: d s / d x{i}", g, expected, rtol=1e-6, atol=1e-6,
              **{f"x{j}": x for j, x in enumerate(xs)})


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_value_matches_numpy(case):
    xs = case.inputs()
    out = case.f_tg(*[tg.array(x) for x in xs])
    check(f"{case.name}: forward value", out, case.f_np(*xs), rtol=1e-12, atol=1e-12,
          **{f"x{j}": x for j, x in enumerate(xs)})


# --------------------------------------------------------------------------
# grad of grad
# --------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reverse_over_reverse_hvp(case):
    """autograd.grad(create_graph=True), then backward of <grad, v>: x.grad = H v."""
    xs_np = case.inputs()
    vs = case.directions()
    xs = [tg.array(x) for x in xs_np]
    for x in xs:
        x.attach_grad()
    s = case.s_tg()
    with autograd.record():
        y = s(*xs)
        gs = autograd.grad(y, xs, create_graph=True)
        dot = None
        for g, v in zip(gs, vs):
            term = tg.sum(g * v)
            dot = term if dot is None else dot + term
    dot.backward()
    first = _grad_tuple(case, xs_np)
    by_fd_of_grad = _fd_grad_of_tg_grad(case, xs_np, vs)
    by_numpy = fd_hvp_numpy(case.s_np(), xs_np, vs)
    info = {f"x{j}": x for j, x in enumerate(xs_np)}
    info.update({f"v{j}": v for j, v in enumerate(vs)})
    for i, x in enumerate(xs):
        check(f"{case.name}: create_graph gradient of x{i} equals the plain gradient",
              gs[i], arr(first[i]), rtol=1e-12, atol=1e-12, **info)
        scale = 1.0 + np.max(np.abs(by_numpy[i]), initial=0.0)
        check(f"{case.name}: (H v)_x{i} vs central differences of the first gradient",
              x.grad, by_fd_of_grad[i], rtol=1e-6, atol=1e-6 * scale, **info)
        check(f"{case.name}: (H v)_x{i} vs mixed second differences of NumPy s",
              x.grad, by_numpy[i], rtol=1e-4, atol=1e-4 * scale, **info)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_over_reverse_hvp(case):
    """tg.jvp of tg.grad: the tangent of the gradient along v is H v."""
    xs = case.inputs()
    vs = case.directions()
    gfun = tg.grad(case.s_tg(), argnums=_all(case))
    g, hv = tg.jvp(gfun, tuple(tg.array(x) for x in xs), tuple(tg.array(v) for v in vs))
    expected = _fd_grad_of_tg_grad(case, xs, vs)
    first = _grad_tuple(case, xs)
    info = {f"x{j}": x for j, x in enumerate(xs)}
    info.update({f"v{j}": v for j, v in enumerate(vs)})
    assert len(hv) == len(xs)
    for i in range(len(xs)):
        check(f"{case.name}: primal out of jvp(grad) (x{i})", g[i], arr(first[i]),
              rtol=1e-12, atol=1e-12, **info)
        scale = 1.0 + np.max(np.abs(expected[i]), initial=0.0)
        check(f"{case.name}: jvp(grad(s)) tangent (x{i}) vs FD of the gradient", hv[i],
              expected[i], rtol=1e-6, atol=1e-6 * scale, **info)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reverse_over_forward(case):
    """tg.grad of phi(x) = <J(x) u, w>, the jvp tangent, against central differences."""
    xs = case.inputs()
    us = case.directions(seed_offset=3)
    w = case.weight()

    def phi(*x):
        _, t = tg.jvp(case.f_tg, x, tuple(tg.array(u) for u in us))
        return tg.sum(t * w)

    got = tg.grad(phi, argnums=_all(case))(*[tg.array(x) for x in xs])

    def phi_np(*x):
        # the jvp tangent by tapegrad at x (a plain forward-mode evaluation)
        _, t = tg.jvp(case.f_tg, tuple(tg.array(v) for v in x), tuple(tg.array(u) for u in us))
        return np.sum(arr(t) * w)

    info = {f"x{j}": x for j, x in enumerate(xs)}
    info.update({f"u{j}": u for j, u in enumerate(us)})
    for i in range(len(xs)):
        expected = fd_jacobian(phi_np, xs, i, h=1e-5)
        scale = 1.0 + np.max(np.abs(expected), initial=0.0)
        check(f"{case.name}: grad of <jvp tangent, w> (x{i})", got[i], expected,
              rtol=1e-6, atol=1e-6 * scale, **info)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_over_forward(case):
    """tg.jvp of a tg.jvp tangent: d/de <J(x + e u2) u1, w> = the second
    directional derivative, against central differences of the jvp tangent."""
    xs = case.inputs()
    u1 = case.directions(seed_offset=17)
    u2 = case.directions(seed_offset=19)
    w = case.weight()

    def phi(*x):
        _, t = tg.jvp(case.f_tg, x, tuple(tg.array(u) for u in u1))
        return tg.sum(t * w)

    _, got = tg.jvp(phi, tuple(tg.array(x) for x in xs), tuple(tg.array(u) for u in u2))

    def phi_np(*x):
        _, t = tg.jvp(case.f_tg, tuple(tg.array(v) for v in x), tuple(tg.array(u) for u in u1))
        return np.sum(arr(t) * w)

    expected = fd_directional(phi_np, xs, u2, h=1e-5)
    info = {f"x{j}": x for j, x in enumerate(xs)}
    info.update({f"u1_{j}": u for j, u in enumerate(u1)})
    info.update({f"u2_{j}": u for j, u in enumerate(u2)})
    check(f"{case.name}: jvp of <jvp tangent, w> (forward over forward)", got, expected,
          rtol=1e-6, atol=1e-6 * (1 + abs(float(expected))), **info)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hessian_symmetric_and_matches_fd_of_gradient(case):
    xs = case.inputs()
    s = case.s_tg()
    info = {f"x{j}": x for j, x in enumerate(xs)}
    for i, x in enumerate(xs):
        H = tg.hessian(s, argnums=i)(*[tg.array(v) for v in xs])
        assert H.shape == x.shape + x.shape, (case.name, i, H.shape)
        Hm = arr(H).reshape(x.size, x.size)
        check(f"{case.name}: hessian wrt x{i} is symmetric", Hm, Hm.T, rtol=1e-9, atol=1e-9,
              **info)

        def gi(*v, i=i):
            return arr(tg.grad(s, argnums=i)(*[tg.array(a) for a in v]))

        expected = fd_jacobian(gi, xs, i, h=1e-5)   # shape x.shape + x.shape
        scale = 1.0 + np.max(np.abs(expected), initial=0.0)
        check(f"{case.name}: hessian wrt x{i} vs FD of the gradient", H, expected,
              rtol=1e-6, atol=1e-6 * scale, **info)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hessian_matches_torch(case):
    torch = pytest.importorskip("torch")
    from torch.func import hessian as thessian
    xs = case.inputs()
    s = case.s_tg()
    st = case.s_torch()
    txs = [torch.tensor(x, dtype=torch.float64) for x in xs]
    info = {f"x{j}": x for j, x in enumerate(xs)}
    for i in range(len(xs)):
        H = tg.hessian(s, argnums=i)(*[tg.array(v) for v in xs])
        Ht = thessian(st, argnums=i)(*txs).numpy()
        check(f"{case.name}: hessian wrt x{i} vs torch.func.hessian", H, Ht,
              rtol=1e-9, atol=1e-9, **info)


# --------------------------------------------------------------------------
# forward mode, jacobians, and the forward/reverse identity
# --------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_matches_central_differences(case):
    xs = case.inputs()
    us = case.directions(seed_offset=5)
    out, t = tg.jvp(case.f_tg, tuple(tg.array(x) for x in xs), tuple(tg.array(u) for u in us))
    info = {f"x{j}": x for j, x in enumerate(xs)}
    info.update({f"u{j}": u for j, u in enumerate(us)})
    check(f"{case.name}: jvp primal output", out, case.f_np(*xs), rtol=1e-12, atol=1e-12, **info)
    expected = fd_directional(case.f_np, xs, us)
    check(f"{case.name}: jvp tangent vs central differences along u", t, expected,
          rtol=1e-6, atol=1e-6 * (1 + np.max(np.abs(expected), initial=0.0)), **info)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jacobian_fwd_equals_rev_equals_fd(case):
    xs = case.inputs()
    nums = _all(case)
    args = [tg.array(x) for x in xs]
    Jr = tg.jacobian(case.f_tg, argnums=nums, mode="rev")(*args)
    Jf = tg.jacobian(case.f_tg, argnums=nums, mode="fwd")(*args)
    oshape = case.out_shape()
    info = {f"x{j}": x for j, x in enumerate(xs)}
    assert isinstance(Jr, tuple) and isinstance(Jf, tuple)
    for i, x in enumerate(xs):
        expected = fd_jacobian(case.f_np, xs, i)
        assert Jr[i].shape == oshape + x.shape, (case.name, Jr[i].shape)
        assert Jf[i].shape == oshape + x.shape, (case.name, Jf[i].shape)
        check(f"{case.name}: jacobian rev vs FD (x{i})", Jr[i], expected,
              rtol=1e-6, atol=1e-6, **info)
        check(f"{case.name}: jacobian fwd vs rev (x{i})", Jf[i], arr(Jr[i]),
              rtol=1e-12, atol=1e-12, **info)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_reverse_identity(case):
    """<u, J^T v> == <J u, v>, J u by tg.jvp and J^T v by tg.vjp."""
    xs = case.inputs()
    us = case.directions(seed_offset=11)
    v = np.random.default_rng(zlib.crc32(case.name.encode()) + 13).standard_normal(case.out_shape())
    _, ju = tg.jvp(case.f_tg, tuple(tg.array(x) for x in xs), tuple(tg.array(u) for u in us))
    out, vjp_fn = tg.vjp(case.f_tg, *[tg.array(x) for x in xs])
    jtv = vjp_fn(tg.array(v))
    assert isinstance(jtv, tuple) and len(jtv) == len(xs)
    lhs = sum(float(np.sum(u * arr(g))) for u, g in zip(us, jtv))
    rhs = float(np.sum(arr(ju) * v))
    check(f"{case.name}: <u, J^T v> vs <J u, v>", lhs, rhs, rtol=1e-10, atol=1e-10,
          **{f"x{j}": x for j, x in enumerate(xs)})
    # and each against the NumPy oracle
    check(f"{case.name}: <J u, v> vs central differences", rhs,
          float(np.sum(fd_directional(case.f_np, xs, us) * v)), rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------
# third order and beyond, create_graph, custom Functions
# --------------------------------------------------------------------------

# f, f', f'', f''' in closed form, for sin/exp/tanh/log compositions
THIRD_ORDER = [
    ("sin(exp(x))", lambda x: tg.sin(tg.exp(x)), 0.3,
     lambda x: [math.sin(math.exp(x)),
                math.cos(math.exp(x)) * math.exp(x),
                math.cos(math.exp(x)) * math.exp(x) - math.sin(math.exp(x)) * math.exp(2 * x),
                math.cos(math.exp(x)) * math.exp(x)
                - 3 * math.sin(math.exp(x)) * math.exp(2 * x)
                - math.cos(math.exp(x)) * math.exp(3 * x)]),
    ("tanh(x)", lambda x: tg.tanh(x), 0.4,
     lambda x: [math.tanh(x),
                1 - math.tanh(x) ** 2,
                -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
                (1 - math.tanh(x) ** 2) * (6 * math.tanh(x) ** 2 - 2)]),
    ("log(x)*sin(x)", lambda x: tg.log(x) * tg.sin(x), 1.7,
     lambda x: [math.log(x) * math.sin(x),
                math.sin(x) / x + math.log(x) * math.cos(x),
                -math.sin(x) / x ** 2 + 2 * math.cos(x) / x - math.log(x) * math.sin(x),
                2 * math.sin(x) / x ** 3 - 3 * math.cos(x) / x ** 2 - 3 * math.sin(x) / x
                - math.log(x) * math.cos(x)]),
    ("exp(tanh(x))", lambda x: tg.exp(tg.tanh(x)), -0.6,
     # u = tanh, u' = 1-u^2, u'' = -2u(1-u^2), u''' = (1-u^2)(6u^2-2)
     lambda x: (lambda u: (lambda d1, d2, d3: [
         math.exp(u), math.exp(u) * d1, math.exp(u) * (d1 ** 2 + d2),
         math.exp(u) * (d1 ** 3 + 3 * d1 * d2 + d3)])(
         1 - u * u, -2 * u * (1 - u * u), (1 - u * u) * (6 * u * u - 2)))(math.tanh(x))),
    ("log(1+exp(sin x))", lambda x: tg.log(1.0 + tg.exp(tg.sin(x))), 0.9, None),
]


def _softplus_sin_derivs(x):
    # g(s) = log(1+e^s), s = sin x; g' = sigma, g'' = sigma(1-sigma),
    # g''' = sigma(1-sigma)(1-2sigma); Faa di Bruno to third order.
    s = math.sin(x)
    sg = 1 / (1 + math.exp(-s))
    g1, g2, g3 = sg, sg * (1 - sg), sg * (1 - sg) * (1 - 2 * sg)
    s1, s2, s3 = math.cos(x), -math.sin(x), -math.cos(x)
    return [math.log1p(math.exp(s)), g1 * s1, g2 * s1 ** 2 + g1 * s2,
            g3 * s1 ** 3 + 3 * g2 * s1 * s2 + g1 * s3]


@pytest.mark.parametrize("label,f,x0,derivs", THIRD_ORDER, ids=[t[0] for t in THIRD_ORDER])
def test_third_order_via_create_graph(label, f, x0, derivs):
    expected = (derivs or _softplus_sin_derivs)(x0)
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        y = f(x)
        d1, = autograd.grad(y, x, create_graph=True)
        d2, = autograd.grad(d1, x, create_graph=True)
        d3, = autograd.grad(d2, x, create_graph=True)
    got = [y.item(), d1.item(), d2.item(), d3.item()]
    check(f"{label}: f, f', f'', f''' at x={x0} (autograd.grad create_graph)", got, expected,
          rtol=1e-10, atol=1e-12, x=x0)
    # and the third derivative is itself recorded: backward gives f''''
    d3.backward()
    h = 1e-4
    fourth_fd = (_third(f, x0 + h) - _third(f, x0 - h)) / (2 * h)
    check(f"{label}: f'''' (backward of the recorded f''') vs central differences of f'''",
          x.grad.item(), fourth_fd, rtol=1e-6, atol=1e-6, x=x0)


def _third(f, x0):
    return tg.grad(tg.grad(tg.grad(f)))(x0).item()


@pytest.mark.parametrize("label,f,x0,derivs", THIRD_ORDER, ids=[t[0] for t in THIRD_ORDER])
def test_third_order_via_nested_grad(label, f, x0, derivs):
    expected = (derivs or _softplus_sin_derivs)(x0)
    got = [tg.grad(f)(x0).item(), tg.grad(tg.grad(f))(x0).item(),
           tg.grad(tg.grad(tg.grad(f)))(x0).item()]
    check(f"{label}: f', f'', f''' at x={x0} by tg.grad nested", got, expected[1:],
          rtol=1e-10, atol=1e-12, x=x0)


@pytest.mark.parametrize("label,f,x0,derivs", THIRD_ORDER, ids=[t[0] for t in THIRD_ORDER])
def test_third_order_mixed_modes(label, f, x0, derivs):
    """forward over reverse over reverse, and reverse over forward over forward."""
    expected = (derivs or _softplus_sin_derivs)(x0)
    _, d3 = tg.jvp(tg.grad(tg.grad(f)), (tg.array(x0),), (tg.array(1.0),))
    check(f"{label}: jvp(grad(grad f)) at x={x0}", d3.item(), expected[3],
          rtol=1e-10, atol=1e-12, x=x0)

    def d1_fwd(x):
        return tg.jvp(f, (x,), (tg.ones_like(x),))[1]

    def d2_fwd(x):
        return tg.jvp(d1_fwd, (x,), (tg.ones_like(x),))[1]

    got = tg.grad(d2_fwd)(x0)
    check(f"{label}: grad(jvp(jvp f)) at x={x0}", got.item(), expected[3],
          rtol=1e-10, atol=1e-12, x=x0)


def test_backward_create_graph_leaves_x_grad_differentiable():
    """y.backward(create_graph=True, retain_graph=True): x.grad holds the
    recorded gradient, and a second backward through a function of x.grad
    differentiates it."""
    x0 = np.array([0.3, -1.2, 2.0])
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        y = tg.sum(tg.sin(x) * x)
    y.backward(create_graph=True, retain_graph=True)
    g0 = np.sin(x0) + x0 * np.cos(x0)
    check("x.grad after backward(create_graph=True)", x.grad, g0, rtol=1e-12, atol=1e-12, x=x0)
    with autograd.record():
        z = tg.sum(x.grad * x.grad)
    z.backward()
    # z = sum g(x)^2, dz/dx = 2 g g', g' = 2 cos x - x sin x
    expected = 2 * g0 * (2 * np.cos(x0) - x0 * np.sin(x0))
    check("d/dx sum(grad^2) via backward(create_graph=True)", x.grad, expected,
          rtol=1e-10, atol=1e-12, x=x0)


def test_backward_create_graph_keeps_the_graph_for_the_recorded_gradient():
    """backward(create_graph=True) keeps the graph even without retain_graph
    (as PyTorch, whose retain_graph defaults to create_graph): x.grad's
    history reaches into it (sin's output is a partial of the product), so
    differentiating x.grad works and gives the second derivative."""
    x0 = np.array([0.3, -1.2, 2.0])
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        y = tg.sum(tg.sin(x) * x)
    y.backward(create_graph=True)
    g0 = np.sin(x0) + x0 * np.cos(x0)
    check("x.grad after backward(create_graph=True)", x.grad, g0, rtol=1e-12, atol=1e-12, x=x0)
    with autograd.record():
        z = tg.sum(x.grad * x.grad)
    z.backward()
    expected = 2 * g0 * (2 * np.cos(x0) - x0 * np.sin(x0))
    check("d/dx sum(grad^2) via backward(create_graph=True)", x.grad, expected,
          rtol=1e-10, atol=1e-12, x=x0)


def test_autograd_backward_create_graph_several_heads():
    x0 = np.array([0.5, 1.5])
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        y1 = tg.sum(tg.exp(x))
        y2 = tg.sum(x ** 3)
    autograd.backward([y1, y2], create_graph=True, retain_graph=True)
    g = np.exp(x0) + 3 * x0 ** 2
    check("x.grad after autograd.backward(create_graph=True)", x.grad, g, rtol=1e-12,
          atol=1e-12, x=x0)
    with autograd.record():
        s = tg.sum(x.grad)
    d, = autograd.grad(s, x)
    check("d/dx sum(x.grad) = exp(x) + 6x", d, np.exp(x0) + 6 * x0, rtol=1e-12, atol=1e-12,
          x=x0)


def test_grad_create_graph_false_results_are_constants():
    """Without create_graph the returned gradient has no history: using it in a
    recorded expression contributes no second-order term."""
    x0 = np.array([0.7, -0.4])
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        y = tg.sum(x ** 3)
        g, = autograd.grad(y, x)
        z = tg.sum(g * x)          # g treated as a constant 3 x0^2
    z.backward()
    check("gradient through a create_graph=False gradient", x.grad, 3 * x0 ** 2,
          rtol=1e-12, atol=1e-12, x=x0)


class _MulSin(autograd.Function):
    """(a, b) -> a * sin(b), two inputs, backward in tensor ops."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * tg.sin(b)

    def backward(self, dy):
        a, b = self.saved_tensors
        return dy * tg.sin(b), dy * a * tg.cos(b)


def test_custom_function_backward_is_differentiable_again():
    x0 = np.array([0.5, -1.5, 2.0])
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        y = tg.sum(Cube()(x))
        g, = autograd.grad(y, x, create_graph=True)
        z = tg.sum(g * g)            # sum 9 x^4
    check("custom Function first derivative 3x^2", g, 3 * x0 ** 2, rtol=1e-12, atol=1e-12,
          x=x0)
    z.backward()
    check("d/dx sum((3x^2)^2) = 36 x^3 through the custom backward", x.grad, 36 * x0 ** 3,
          rtol=1e-12, atol=1e-12, x=x0)


def test_custom_function_second_derivative_by_transforms():
    x0 = 0.8
    d2 = tg.grad(tg.grad(lambda x: Cube()(x)))(x0)
    check("grad(grad(Cube)) = 6x", d2, 6 * x0, rtol=1e-12, atol=1e-12, x=x0)
    H = tg.hessian(lambda x: tg.sum(Cube()(x)))(tg.array([1.0, -2.0]))
    check("hessian of sum Cube = diag(6x)", H, np.diag([6.0, -12.0]), rtol=1e-12,
          atol=1e-12)


def test_custom_function_two_inputs_mixed_second_derivatives():
    a0, b0 = 1.3, 0.4
    a = tg.array(a0)
    b = tg.array(b0)
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = _MulSin()(a, b)
        ga, gb = autograd.grad(y, [a, b], create_graph=True)
        # d/da, d/db of gb = a cos b: (cos b, -a sin b)
        gba, gbb = autograd.grad(gb, [a, b], create_graph=True)
    check("custom Function d2/da db and d2/db2", [ga.item(), gb.item(), gba.item(), gbb.item()],
          [math.sin(b0), a0 * math.cos(b0), math.cos(b0), -a0 * math.sin(b0)],
          rtol=1e-12, atol=1e-12, a=a0, b=b0)


def test_hessian_of_extended_rosenbrock_and_hvp():
    """The hessian in closed form for n=4, and hvp == hessian @ v."""
    x0 = np.array([-1.2, 1.0, 0.5, 2.0])

    def rosen(x):
        return tg.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    n = len(x0)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x0[i] ** 2 - 400 * x0[i + 1] + 2
        H[i + 1, i + 1] += 200
        H[i, i + 1] += -400 * x0[i]
        H[i + 1, i] += -400 * x0[i]
    got = tg.hessian(rosen)(tg.array(x0))
    check("Rosenbrock hessian (closed form)", got, H, rtol=1e-12, atol=1e-9, x=x0)
    Hf = tg.jacobian(tg.grad(rosen), mode="fwd")(tg.array(x0))
    check("jacobian(grad(f), mode='fwd') == hessian", Hf, H, rtol=1e-12, atol=1e-9, x=x0)
