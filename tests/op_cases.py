"""The op table the tests in test_ops.py are generated from.

Each ``Case`` is one public function (or operator) of API.md applied to
tensors of given shapes, written ONCE as ``fn(m, *inputs)`` against a
namespace ``m``:

* ``NP``    -- NumPy itself (plus the few functions NumPy lacks, written out
               here): the forward oracle, and the function whose float64
               central differences are the gradient oracle;
* ``TG``    -- tapegrad, the library under test;
* ``TORCH`` -- PyTorch, a second gradient oracle where it is installed.

``m.const(a)`` marks a NumPy constant operand: tapegrad and NumPy get the
raw ndarray (so ``ndarray + tensor`` is really tested), torch a tensor.

Each case also names a per-op *domain* for its inputs (positive numbers for
log/sqrt, values away from kinks for abs/relu/clip, no ties for max/min...),
so central differences are valid there.  The kinks themselves are tested
with exact expected values in test_ops.py.
"""
import operator
from dataclasses import dataclass

import numpy as np

import tapegrad as tg


# ---------------------------------------------------------------------------
# Namespaces
# ---------------------------------------------------------------------------

from oracles import np_logsumexp as _np_logsumexp  # noqa: E402
from oracles import np_softmax as _np_softmax  # noqa: E402


def _np_log_softmax(x, axis=-1):
    return x - _np_logsumexp(x, axis=axis, keepdims=True)


class _Namespace:
    """Attribute lookup falls back to ``base``; ``extra`` overrides it."""

    def __init__(self, name, base, **extra):
        self.name = name
        self._base = base
        self.__dict__.update(extra)

    def __getattr__(self, attr):
        return getattr(self._base, attr)

    def __repr__(self):
        return f"<namespace {self.name}>"


def _identity(a):
    return a


NP = _Namespace(
    "numpy", np,
    const=_identity, index=_identity,
    sigmoid=lambda x: 1.0 / (1.0 + np.exp(-x)),
    relu=lambda x: np.where(x > 0, x, np.zeros_like(x)),
    norm=lambda x: np.linalg.norm(np.ravel(x)),
    logsumexp=_np_logsumexp, softmax=_np_softmax, log_softmax=_np_log_softmax,
    flatten=np.ravel,
)

TG = _Namespace("tapegrad", tg, const=_identity, index=_identity)


def _torch_namespace():
    import torch

    def dims(x, axis):
        if axis is None:
            return tuple(range(x.ndim))
        return (axis,) if isinstance(axis, int) else tuple(axis)

    def as_t(a, like):
        return a if isinstance(a, torch.Tensor) else torch.as_tensor(a, dtype=like.dtype)

    def reduce(fn):
        def r(x, axis=None, keepdims=False):
            if x.ndim == 0:
                return fn(x.reshape(1), dim=(0,), keepdim=False)
            return fn(x, dim=dims(x, axis), keepdim=keepdims)
        return r

    def prod(x, axis=None, keepdims=False):
        if x.ndim == 0:
            return x.clone()
        d = sorted((a % x.ndim for a in dims(x, axis)), reverse=True)
        for a in d:
            x = torch.prod(x, dim=a, keepdim=True)
        return x if keepdims else x.squeeze(tuple(d))

    def dot(a, b):
        if a.ndim == 0 or b.ndim == 0:
            return a * b
        return torch.matmul(a, b)

    def transpose(x, axes=None):
        return x.permute(tuple(axes) if axes is not None else tuple(reversed(range(x.ndim))))

    def index(ix):
        if isinstance(ix, tuple):
            return tuple(index(i) for i in ix)
        return torch.from_numpy(ix) if isinstance(ix, np.ndarray) else ix

    return _Namespace(
        "torch", torch,
        const=lambda a: torch.from_numpy(np.asarray(a)), index=index,
        sum=reduce(torch.sum), mean=reduce(torch.mean), max=reduce(torch.amax),
        min=reduce(torch.amin), logsumexp=reduce(torch.logsumexp), prod=prod,
        norm=lambda x: torch.linalg.vector_norm(x),
        softmax=lambda x, axis=-1: torch.softmax(x, dim=axis),
        log_softmax=lambda x, axis=-1: torch.log_softmax(x, dim=axis),
        square=torch.square, relu=torch.relu, sigmoid=torch.sigmoid,
        maximum=lambda a, b: torch.maximum(as_t(a, b) if not isinstance(a, torch.Tensor) else a,
                                           as_t(b, a)),
        minimum=lambda a, b: torch.minimum(as_t(a, b) if not isinstance(a, torch.Tensor) else a,
                                           as_t(b, a)),
        clip=lambda x, lo=None, hi=None: torch.clamp(x, lo, hi),
        where=lambda c, a, b: torch.where(torch.as_tensor(np.asarray(c)), a, b),
        power=torch.pow, dot=dot,
        outer=lambda a, b: a.reshape(-1, 1) * b.reshape(1, -1),
        reshape=lambda x, shape: x.reshape(shape), transpose=transpose,
        expand_dims=torch.unsqueeze,
        squeeze=lambda x, axis=None: x.squeeze() if axis is None else x.squeeze(axis),
        broadcast_to=torch.broadcast_to,
        concatenate=lambda xs, axis=0: torch.cat(list(xs), dim=axis),
        stack=lambda xs, axis=0: torch.stack(list(xs), dim=axis),
        flatten=lambda x: x.reshape(-1), copy=lambda x: x.clone(),
    )


_TORCH = []


def torch_namespace():
    """The torch namespace (built once; importing torch is slow)."""
    if not _TORCH:
        _TORCH.append(_torch_namespace())
    return _TORCH[0]


# ---------------------------------------------------------------------------
# Domains: float64 inputs on which the op is smooth
# ---------------------------------------------------------------------------

def _away(lo, hi, kinks, gap=0.05):
    """uniform(lo, hi), at least ``gap`` from every kink."""
    def draw(rng, shape):
        x = rng.uniform(lo, hi, shape)
        for _ in range(1000):
            bad = np.zeros(np.shape(x), dtype=bool)
            for k in kinks:
                bad |= np.abs(x - k) < gap
            if not bad.any():
                return x
            x = np.where(bad, rng.uniform(lo, hi, shape), x)
        raise RuntimeError("domain: could not avoid the kinks")
    return draw


def _signed(lo, hi):
    """+-uniform(lo, hi): nonzero, of both signs."""
    def draw(rng, shape):
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, shape)
    return draw


def _distinct(rng, shape):
    """All elements at least 0.2 apart (no ties for max/min)."""
    n = int(np.prod(shape, dtype=np.int64))
    v = (rng.permutation(n) - n / 2.0) * 0.25 + rng.uniform(0.0, 0.05, n)
    return v.reshape(shape)


DOMAINS = {
    "real": lambda rng, shape: rng.uniform(-2.0, 2.0, shape),
    "pos": lambda rng, shape: rng.uniform(0.5, 2.0, shape),
    "nonzero": _signed(0.5, 2.0),          # denominators, abs/relu away from 0
    "tan": lambda rng, shape: rng.uniform(-1.2, 1.2, shape),
    "prod": _signed(0.5, 1.5),
    "clip": _away(-1.0, 1.0, (-0.5, 0.5)),
    "distinct": _distinct,
    "expo": lambda rng, shape: rng.uniform(-2.0, 2.0, shape),   # exponents
}


def no_ties(*xs):
    """Pairwise (broadcast) elements of the operands at least 0.05 apart."""
    a, b = np.broadcast_arrays(xs[0], xs[1])
    return bool(np.all(np.abs(a - b) > 0.05))


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    op: str                      # names the op (first part of the pytest id)
    fn: object                   # fn(m, *inputs) -> output, m one of NP/TG/TORCH
    shapes: tuple                # one shape per tensor input
    domain: tuple                # per input: a DOMAINS key or a draw(rng, shape)
    valid: object = None         # valid(*float64 inputs) -> bool, else redraw
    torch: bool = True           # whether the torch namespace can run fn
    f32_rtol: float = 1e-4

    @property
    def id(self):
        return f"{self.op}-" + ",".join(_shape_str(s) for s in self.shapes)

    @property
    def nin(self):
        return len(self.shapes)

    def draw(self, rng):
        for _ in range(100):
            xs = [(d if callable(d) else DOMAINS[d])(rng, s)
                  for d, s in zip(self.domain, self.shapes)]
            xs = [np.asarray(x, dtype=np.float64) for x in xs]
            if self.valid is None or self.valid(*xs):
                return xs
        raise RuntimeError(f"{self.id}: no valid inputs drawn")


def _shape_str(s):
    return "(" + ",".join(str(n) for n in s) + ("," if len(s) == 1 else "") + ")"


CASES = []


def add(op, fn, shape_sets, domain="real", **kw):
    for shapes in shape_sets:
        dom = domain if isinstance(domain, tuple) else (domain,) * len(shapes)
        CASES.append(Case(op, fn, tuple(tuple(s) for s in shapes), dom, **kw))


UNARY_SHAPES = [((),), ((3,),), ((2, 3),)]
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((3, 1), (1, 4)),
                 ((4,), (2, 3, 4)), ((2, 3, 4), (4,)), ((), (2, 3)), ((2, 1, 3), (2, 1))]

# ---- elementwise unary -----------------------------------------------------
for _name, _dom in [("exp", "real"), ("log", "pos"), ("sin", "real"), ("cos", "real"),
                    ("tan", "tan"), ("tanh", "real"), ("sqrt", "pos"), ("square", "real"),
                    ("abs", "nonzero"), ("sigmoid", "real"), ("relu", "nonzero")]:
    add(_name, (lambda name: lambda m, x: getattr(m, name)(x))(_name), UNARY_SHAPES, _dom)

# methods mirroring NumPy's (t.exp() etc.); NumPy arrays lack most, so these
# run where the method exists on all three namespaces' arrays
add("builtin.abs", lambda m, x: abs(x), [((2, 3),)], "nonzero")
add("method.exp", lambda m, x: x.exp() if not isinstance(x, np.ndarray) else np.exp(x),
    [((2, 3),)])
add("neg", lambda m, x: -x, UNARY_SHAPES)
add("pos", lambda m, x: +x * 1.0, [((3,),)])

# ---- clip ------------------------------------------------------------------
add("clip", lambda m, x: m.clip(x, -0.5, 0.5), UNARY_SHAPES, "clip")
add("clip.lo_only", lambda m, x: m.clip(x, -0.5, None), [((2, 3),)], "clip")
add("clip.hi_only", lambda m, x: m.clip(x, None, 0.5), [((2, 3),)], "clip")
add("clip.int_bounds", lambda m, x: m.clip(x, 0, 1), [((2, 3),)], _away(-0.6, 1.6, (0.0, 1.0)))
add("method.clip", lambda m, x: x.clip(-0.5, 0.5), [((2, 3),)], "clip")

# ---- elementwise binary (functions) ----------------------------------------
add("maximum", lambda m, a, b: m.maximum(a, b), BINARY_SHAPES, valid=no_ties)
add("minimum", lambda m, a, b: m.minimum(a, b), BINARY_SHAPES, valid=no_ties)
add("maximum.scalar", lambda m, x: m.maximum(x, 0.3), UNARY_SHAPES,
    _away(-2.0, 2.0, (0.3,)))
add("minimum.scalar_left", lambda m, x: m.minimum(0.3, x), UNARY_SHAPES,
    _away(-2.0, 2.0, (0.3,)))
add("power", lambda m, a, b: m.power(a, b), BINARY_SHAPES, ("pos", "expo"))
add("power.int_exponent", lambda m, x: m.power(x, 3), UNARY_SHAPES)
add("where", lambda m, a, b: m.where(np.array([True, False, True, False]), a, b),
    [((4,), (4,)), ((2, 4), (4,)), ((), (4,))])
add("where.cond2d", lambda m, a, b: m.where(np.array([[True], [False]]), a, b),
    [((2, 3), (3,)), ((1, 3), (2, 1))])
add("where.scalar", lambda m, a: m.where(np.array([True, False, True]), a, 0.5),
    [((3,),)])

# ---- operators: tensor with tensor, Python scalar and ndarray on each side --
C3 = np.array([0.7, -1.3, 2.1])               # an ndarray operand, shape (3,)
C3_POS = np.array([0.7, 1.3, 2.1])
C34 = np.array([[0.5, -1.0, 1.5, 2.0], [0.3, 0.2, -0.7, 1.1], [1.0, -0.4, 0.6, 0.9]])

_OPS = [("add", operator.add, "real", "real"), ("sub", operator.sub, "real", "real"),
        ("mul", operator.mul, "real", "real"), ("div", operator.truediv, "real", "nonzero"),
        ("pow", operator.pow, "pos", "expo")]
for _name, _op, _dl, _dr in _OPS:
    add(f"op.{_name}", (lambda op: lambda m, a, b: op(a, b))(_op), BINARY_SHAPES, (_dl, _dr))
    _sl, _sr = (1.7, 1.3) if _name != "pow" else (1.7, 2.5)
    add(f"op.{_name}.scalar_right", (lambda op, s: lambda m, x: op(x, s))(_op, _sr),
        UNARY_SHAPES, _dl)
    add(f"op.{_name}.scalar_left", (lambda op, s: lambda m, x: op(s, x))(_op, _sl),
        UNARY_SHAPES, _dr)
    _cl = C3_POS if _name == "pow" else C3
    _cr = C3_POS if _name == "div" else C3
    add(f"op.{_name}.ndarray_right", (lambda op, c: lambda m, x: op(x, m.const(c)))(_op, _cr),
        [((3,),), ((2, 3),)], _dl)
    add(f"op.{_name}.ndarray_left", (lambda op, c: lambda m, x: op(m.const(c), x))(_op, _cl),
        [((3,),), ((2, 3),)], _dr)
add("op.pow.int2", lambda m, x: x ** 2, UNARY_SHAPES)
add("op.pow.sqrt", lambda m, x: x ** 0.5, UNARY_SHAPES, "pos")
add("op.pow.neg_exponent", lambda m, x: x ** -1.5, UNARY_SHAPES, "pos")
add("op.add.int_scalar", lambda m, x: 2 + x - 3, UNARY_SHAPES)
add("op.chain", lambda m, a, b: (a * b - a / (b * b + 1.0)) ** 2 + -a,
    [((2, 3), (3,))])

# ---- reductions ---------------------------------------------------------------
_AXES = [(None, False), (None, True), (0, False), (-1, True), ((0, 2), False),
         ((0, 2), True), (1, False)]


def _reduction(name, dom, shape_axes=None, **kw):
    add(name, lambda m, x: getattr(m, name)(x), [((),), ((5,),), ((2, 3),)], dom, **kw)
    for axis, keep in _AXES:
        add(f"{name}.axis={str(axis).replace(' ', '')}{'.keepdims' if keep else ''}",
            (lambda ax, kd: lambda m, x: getattr(m, name)(x, axis=ax, keepdims=kd))(axis, keep),
            [((2, 3, 4),)], dom, **kw)
    add(f"{name}.axis=0", lambda m, x: getattr(m, name)(x, axis=0), [((4,),), ((3, 2),)], dom, **kw)


_reduction("sum", "real")
_reduction("mean", "real")
_reduction("max", "distinct")
_reduction("min", "distinct")
_reduction("prod", "prod")
_reduction("logsumexp", "real")
add("method.sum", lambda m, x: x.sum(axis=1, keepdims=True), [((2, 3),)])
add("method.max", lambda m, x: x.max(axis=0) if not hasattr(x, "mm") else x.amax(0),
    [((3, 2),)], "distinct")
add("method.mean", lambda m, x: x.mean(), [((2, 3),)])
add("norm", lambda m, x: m.norm(x), [((),), ((4,),), ((2, 3),), ((2, 1, 3),)], "nonzero")
add("method.norm", lambda m, x: x.norm() if not isinstance(x, np.ndarray) else NP.norm(x),
    [((3,),)], "nonzero")
for _name in ("softmax", "log_softmax"):
    add(_name, (lambda n: lambda m, x: getattr(m, n)(x))(_name), [((4,),), ((2, 3),),
                                                                    ((2, 3, 4),)])
    for _axis in (0, 1, -2):
        add(f"{_name}.axis={_axis}",
            (lambda n, a: lambda m, x: getattr(m, n)(x, axis=a))(_name, _axis),
            [((2, 3, 4),)])
# the primitives of tests/test_surface_reductions.py (fully tested there)
add("cumsum", lambda m, x: m.cumsum(x, axis=1), [((2, 3),)], torch=False)
add("cumprod", lambda m, x: m.cumprod(x, axis=0), [((3, 2),)], "prod", torch=False)

# ---- linear algebra -----------------------------------------------------------
MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                 ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)),
                 ((2, 1, 2, 3), (3, 3, 2)), ((1, 2, 3), (2, 3, 2))]
add("matmul", lambda m, a, b: m.matmul(a, b), MATMUL_SHAPES)
add("op.matmul", lambda m, a, b: a @ b, MATMUL_SHAPES[:4] + [((2, 1, 2, 3), (3, 3, 2))])
add("op.matmul.ndarray_right", lambda m, x: x @ m.const(C34), [((3,),), ((2, 3),)])
add("op.matmul.ndarray_left", lambda m, x: m.const(C34.T) @ x, [((3,),), ((3, 2),)])
add("dot", lambda m, a, b: m.dot(a, b), [((), (3,)), ((2, 3), ()), ((3,), (3,)),
                                         ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4))])
add("method.dot", lambda m, a, b: a.dot(b) if not hasattr(a, "mm") else m.dot(a, b),
    [((2, 3), (3,))])
add("outer", lambda m, a, b: m.outer(a, b), [((3,), (4,)), ((1,), (2,)), ((2, 2), (3,))])
# the primitives of tests/test_surface_contractions.py (fully tested there)
add("einsum", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [((2, 3), (3, 4))])


# tg.linalg's primitives (fully tested in tests/test_surface_linalg.py)
def _well_conditioned(rng, shape):
    return rng.uniform(-1.0, 1.0, shape) + 2.0 * np.eye(shape[-1])


def _sym(m, x):
    return x + m.swapaxes(x, -1, -2)


for _name, _fn, _shapes, _dom in [
        ("inv", lambda m, x: m.linalg.inv(x), [((3, 3),)], _well_conditioned),
        ("solve", lambda m, a, b: m.linalg.solve(a, b), [((3, 3), (3,))],
         (_well_conditioned, "real")),
        ("det", lambda m, x: m.linalg.det(x), [((3, 3),)], _well_conditioned),
        ("slogdet", lambda m, x: m.linalg.slogdet(x)[1], [((3, 3),)], _well_conditioned),
        ("cholesky", lambda m, x: m.linalg.cholesky(m.matmul(x, m.swapaxes(x, -1, -2))
                                                    + m.const(3.0 * np.eye(3))), [((3, 3),)],
         "real"),
        ("eigh", lambda m, x: m.linalg.eigh(_sym(m, x))[1] ** 2, [((3, 3),)], "real"),
        ("eigvalsh", lambda m, x: m.linalg.eigvalsh(_sym(m, x)), [((3, 3),)], "real"),
        ("svd", lambda m, x: m.linalg.svd(x, full_matrices=False)[0] ** 2, [((3, 2),)], "real"),
        ("svdvals", lambda m, x: m.linalg.svdvals(x), [((2, 3),)], "real"),
        ("qr", lambda m, x: m.linalg.qr(x)[1], [((3, 2),)], "real"),
        ("pinv", lambda m, x: m.linalg.pinv(x), [((3, 2),)], "real"),
        ("norm", lambda m, x: m.linalg.norm(x, 3), [((4,),)], "nonzero")]:
    add("linalg." + _name, _fn, _shapes, _dom, torch=False)



# tg.fft's primitives (fully tested in tests/test_surface_fft.py): complex
# values as a trailing axis of 2 (real, imaginary), NumPy's converted to it
def _fft_out(m, c):
    return np.stack([c.real, c.imag], axis=-1) if m.name == "numpy" else c


def _fft_in(m, z):
    return z[..., 0] + 1j * z[..., 1] if m.name == "numpy" else z


add("fft.rfft", lambda m, x: _fft_out(m, m.fft.rfft(x)), [((2, 6),)], torch=False)
add("fft.irfft", lambda m, z: m.fft.irfft(_fft_in(m, z), 7), [((4, 2),)], torch=False)
add("fft.fft", lambda m, x: _fft_out(m, m.fft.fft(x, axis=0)), [((3, 2),)], torch=False)

# ---- shapes -------------------------------------------------------------------
add("reshape", lambda m, x: m.reshape(x, (3, 2)), [((2, 3),), ((6,),)])
add("reshape.minus1", lambda m, x: m.reshape(x, (-1, 2)), [((2, 3, 2),)])
add("reshape.to0d", lambda m, x: m.reshape(x, ()), [((1, 1),)])
add("method.reshape", lambda m, x: x.reshape(4, 3), [((2, 6),)])
add("transpose", lambda m, x: m.transpose(x), [((2, 3),), ((2, 3, 4),), ((),)])
add("transpose.axes", lambda m, x: m.transpose(x, (1, 2, 0)), [((2, 3, 4),)])
add("transpose.neg_axes", lambda m, x: m.transpose(x, (-1, 0, 1)), [((2, 3, 4),)])
add("T", lambda m, x: x.T, [((2, 3),)])
add("expand_dims", lambda m, x: m.expand_dims(x, 0), [((3,),), ((),), ((2, 3),)])
add("expand_dims.neg", lambda m, x: m.expand_dims(x, -1), [((2, 3),)])
add("squeeze", lambda m, x: m.squeeze(x), [((1, 3, 1),), ((1,),)])
add("squeeze.axis", lambda m, x: m.squeeze(x, 0), [((1, 3, 1),)])
add("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 4)), [((3, 1),), ((4,),), ((),),
                                                                ((1, 3, 4),)])
add("concatenate", lambda m, a, b: m.concatenate([a, b], axis=0), [((2, 3), (1, 3)),
                                                                   ((2,), (3,))])
add("concatenate.axis1", lambda m, a, b, c: m.concatenate((a, b, c), axis=1),
    [((2, 1), (2, 3), (2, 2))])
add("concatenate.neg_axis", lambda m, a, b: m.concatenate([a, b], axis=-1),
    [((2, 2, 1), (2, 2, 3))])
add("concatenate.one", lambda m, a: m.concatenate([a], axis=0), [((3,),)])
add("concatenate.same_twice", lambda m, a: m.concatenate([a, a * 2.0], axis=0), [((3,),)])
add("stack", lambda m, a, b: m.stack([a, b]), [((3,), (3,)), ((), ()), ((2, 3), (2, 3))])
add("stack.axis", lambda m, a, b, c: m.stack((a, b, c), axis=-1), [((2, 3), (2, 3), (2, 3))])
add("flatten", lambda m, x: m.flatten(x), [((2, 3),), ((),), ((2, 1, 2),)])
add("method.flatten", lambda m, x: x.flatten(), [((2, 3),)])
add("copy", lambda m, x: m.copy(x), [((),), ((2, 3),)])
add("method.copy", lambda m, x: x.copy() if not hasattr(x, "mm") else x.clone(), [((3,),)])

# ---- indexing -----------------------------------------------------------------
IDX_REPEAT = np.array([0, 2, 2, 0, 3, 2])
IDX_2D = np.array([[0, 1], [1, 1]])
MASK_4 = np.array([True, False, True, True])
MASK_23 = np.array([[True, False, True], [False, False, True]])
_INDEXES = [
    ("int", 1, (4,)), ("neg_int", -1, (4,)), ("int", 1, (3, 4)), ("int_int", (1, 2), (3, 4)),
    ("slice", slice(1, 3), (4,)), ("slice_step", slice(None, None, 2), (5,)),
    ("slice_rev", slice(None, None, -1), (4,)), ("slice2d", (slice(0, 2), slice(1, None)), (3, 4)),
    ("none", None, (3,)), ("none_mid", (slice(None), None, 1), (2, 3)),
    ("ellipsis", (Ellipsis, 1), (2, 3, 4)), ("ellipsis_none", (Ellipsis, None), (2, 3)),
    ("intarray_repeat", IDX_REPEAT, (4,)), ("intarray_repeat_rows", IDX_REPEAT, (4, 2)),
    ("intarray_2d", IDX_2D, (3,)), ("intarray_pair", (np.array([0, 1, 1]), np.array([2, 0, 2])),
                                    (2, 3)),
    ("intarray_slice", (slice(None), np.array([1, 1, 0])), (2, 3)),
    ("mask", MASK_4, (4,)), ("mask_rows", MASK_4, (4, 2)), ("mask_2d", MASK_23, (2, 3)),
    ("ellipsis_0d", Ellipsis, ()),
]
for _name, _ix, _shape in _INDEXES:
    add(f"getitem.{_name}", (lambda ix: lambda m, x: x[m.index(ix)])(_ix), [(_shape,)],
        torch=_name != "slice_rev")    # torch has no negative slice steps
add("getitem.list", lambda m, x: x[[0, 2, 2]], [((3,),)])
add("getitem.twice", lambda m, x: x[1:][IDX_2D], [((4,),)])


# ids must be unique: a duplicate would silently shadow a case
_seen = set()
for _c in CASES:
    if _c.id in _seen:
        raise ValueError(f"duplicate case id {_c.id}")
    _seen.add(_c.id)


# ---- the NumPy surface: elementwise math and tg.special (one case per
# primitive; tests/test_surface_elementwise.py and test_surface_special.py
# hold the full checks) ------------------------------------------------------
import scipy.special as _sc  # noqa: E402


def _uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def _np_polygamma(n, x):
    """scipy's polygamma is float64 whatever x is; keep x's dtype as the ufuncs do."""
    return np.asarray(_sc.polygamma(n, x), dtype=np.result_type(x, np.float32))


NP.special = _Namespace("scipy.special", _sc, polygamma=_np_polygamma)

_U = [((2, 3),)]
_B = [((2, 3), (3,))]
_SURFACE_UNARY = [
    # (name, domain, torch has it under that name)
    ("arcsin", _uniform(-0.9, 0.9), True), ("arccos", _uniform(-0.9, 0.9), True),
    ("arctan", "real", True), ("sinh", "real", True), ("cosh", "real", True),
    ("arcsinh", "real", True), ("arccosh", _uniform(1.1, 3.0), True),
    ("arctanh", _uniform(-0.9, 0.9), True), ("log1p", _uniform(-0.8, 2.0), True),
    ("expm1", "real", True), ("log2", "pos", True), ("log10", "pos", True),
    ("exp2", "real", True), ("cbrt", "nonzero", False), ("reciprocal", "nonzero", True),
    ("sinc", "real", True), ("sign", "nonzero", True), ("floor", _away(-2, 2, (-1, 0, 1)), True),
    ("ceil", _away(-2, 2, (-1, 0, 1)), True), ("trunc", _away(-2, 2, (-1, 0, 1)), True),
    ("rint", _away(-2, 2, (-1.5, -0.5, 0.5, 1.5)), False),
]
for _name, _dom, _torch in _SURFACE_UNARY:
    add(_name, (lambda name: lambda m, x: getattr(m, name)(x))(_name), _U, _dom, torch=_torch)
_SURFACE_BINARY = [
    ("arctan2", ("real", "nonzero"), True), ("hypot", ("real", "real"), True),
    ("logaddexp", ("real", "real"), True), ("logaddexp2", ("real", "real"), True),
    ("fmax", ("real", "real"), True), ("fmin", ("real", "real"), True),
    ("fmod", (_uniform(0.3, 0.9), _uniform(1.1, 2.0)), True),
    ("remainder", (_uniform(0.3, 0.9), _uniform(1.1, 2.0)), True),
    ("copysign", ("nonzero", "nonzero"), True),
]
for _name, _dom, _torch in _SURFACE_BINARY:
    add(_name, (lambda name: lambda m, a, b: getattr(m, name)(a, b))(_name), _B, _dom,
        torch=_torch, valid=no_ties if _name in ("fmax", "fmin") else None)
_SPECIAL_UNARY = [
    ("erf", "real", True), ("erfc", "real", True), ("erfinv", _uniform(-0.9, 0.9), True),
    ("erfcinv", _uniform(0.1, 1.9), False), ("erfcx", "real", True), ("ndtr", "real", True),
    ("ndtri", _uniform(0.05, 0.95), True), ("log_ndtr", _uniform(-6.0, 3.0), True),
    # torch's trigamma (digamma's derivative) is good to about 1e-9 only
    ("gammaln", "pos", True), ("gamma", "pos", False), ("digamma", "pos", False),
    ("gammasgn", _uniform(0.5, 2.0), False), ("i0", "real", True), ("i1", "real", True),
    ("i0e", "nonzero", True), ("i1e", "nonzero", True), ("logit", _uniform(0.1, 0.9), True),
    ("log_expit", "real", False), ("entr", "pos", True),
]
for _name, _dom, _torch in _SPECIAL_UNARY:
    add(f"special.{_name}", (lambda name: lambda m, x: getattr(m.special, name)(x))(_name), _U,
        _dom, torch=_torch)
add("special.polygamma", lambda m, x: m.special.polygamma(1, x), _U, "pos", torch=False)
add("special.polygamma.3", lambda m, x: m.special.polygamma(3, x), _U, "pos")
for _name, _dom, _torch in [("xlogy", ("real", "pos"), True), ("xlog1py", ("real", "pos"), True),
                            ("betaln", ("pos", "pos"), False), ("beta", ("pos", "pos"), False)]:
    add(f"special.{_name}", (lambda name: lambda m, a, b: getattr(m.special, name)(a, b))(_name),
        _B, _dom, torch=_torch)
# ---- numpy_extra's primitive (convolve: 'full' is the primitive, modes slice it) ----------
add("convolve", lambda m, a, b: m.convolve(a, b), [((4,), (3,)), ((2,), (5,)), ((1,), (1,))],
    torch=False)
add("convolve.valid", lambda m, a, b: m.convolve(a, b, "valid"), [((5,), (3,))], torch=False)

# tg.special's Bessel functions of integer order, rgamma, gammainc/gammaincc
# (tests/test_surface_special2.py holds the full checks)
for _name, _dom in [("j0", "real"), ("j1", "real"), ("y0", "pos"), ("y1", "pos"),
                    ("rgamma", "real")]:
    add(f"special.{_name}", (lambda name: lambda m, x: getattr(m.special, name)(x))(_name), _U,
        _dom, torch=False)


def _keep_dtype(f):
    """scipy's yn, gammainc, gammaincc are float64 whatever x is with a Python
    number first; keep x's dtype as the ufuncs do."""
    return lambda a, x: np.asarray(f(a, x), dtype=np.result_type(x, np.float32))


NP.special = _Namespace("scipy.special", _sc, polygamma=_np_polygamma,
                        **{k: _keep_dtype(getattr(_sc, k)) for k in ("yn", "gammainc",
                                                                     "gammaincc", "iv", "ive")})
add("special.jn", lambda m, x: m.special.jn(3, x), _U, "real", torch=False)
add("special.yn", lambda m, x: m.special.yn(2, x), _U, "pos", torch=False)
add("special.gammainc", lambda m, x: m.special.gammainc(1.7, x), _U, "pos", torch=False)
add("special.gammaincc", lambda m, x: m.special.gammaincc(0.6, x), _U, "pos", torch=False)
# a as a tensor that is not differentiated (ones_like cuts the gradient): the
# guard primitive special.nondiff runs; a gradient reaching it would raise
add("special.gammainc.tensor_a", lambda m, x: m.special.gammainc(m.ones_like(x) * 1.7, x), _U,
    "pos", torch=False)
add("special.iv", lambda m, x: m.special.iv(1.5, x), _U, "pos", torch=False)
# betainc(a, b, x) on x in (0.1, 0.9); a and b constants (not differentiated)
add("special.betainc", lambda m, x: m.special.betainc(2.5, 1.5, x), _U,
    lambda rng, shape: rng.uniform(0.1, 0.9, shape), torch=False)
add("special.ive", lambda m, x: m.special.ive(2, x), _U, "nonzero", torch=False)
add("special.loggamma", lambda m, x: m.special.loggamma(x), _U, "pos", torch=False)
add("special.zeta", lambda m, x: m.special.zeta(2.5, x), _U, "pos", torch=False)
add("special.rel_entr", lambda m, a, b: m.special.rel_entr(a, b), _B, ("pos", "pos"),
    torch=False)
add("special.kl_div", lambda m, a, b: m.special.kl_div(a, b), _B, ("pos", "pos"), torch=False)
add("special.boxcox", lambda m, x: m.special.boxcox(x, 0.3), _U, "pos", torch=False)
add("special.boxcox1p", lambda m, x: m.special.boxcox1p(x, -0.4), _U, "pos", torch=False)
add("special.exp1", lambda m, x: m.special.exp1(x), _U, "pos", torch=False)
add("special.expi", lambda m, x: m.special.expi(x), _U, "nonzero", torch=False)
