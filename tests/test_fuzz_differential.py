"""Differential fuzzing of whole programs (issue 13).

Hypothesis generates random programs: DAGs over the public differentiable
functions (elementwise, operators with scalars and arrays on either side,
reductions with axis/keepdims, matmul/dot/outer, reshape/transpose/
expand_dims/squeeze/broadcast_to/flatten, basic and advanced indexing,
concatenate/stack, where, clip, maximum/minimum, softmax...), on random
shapes that broadcast, reusing intermediates, with float32, float64 and
mixed inputs.  The scalar loss is a weighted sum of some of the nodes.
Each program is checked against independent oracles:

* forward values against NumPy (float64) and dtypes against NumPy's
  promotion (the same program run by NumPy on the same dtypes);
* the gradient against float64 central differences (4-point stencil) of
  the NumPy program;
* the gradient of scalar programs against tests/reference_engine.py;
* create_graph=True (the rules run as tapegrad ops) against the native
  sweep, and forward mode (tg.jvp) against <grad, u>;
* torch's float64 gradient, where torch is installed (tight tolerance);
* an in-place edit between record and backward: backward must raise
  InplaceModificationError, or give the gradient of the values recorded.
  It must raise when the edit changed an operand of a product that needs
  it (mul, matmul); an edit NumPy refuses (a read-only broadcast) must
  leave everything as it was.

Inputs are drawn where central differences are valid: every op checks its
operands' float64 values (log/sqrt of positive numbers, no kink of abs,
relu, clip, maximum or max within 1e-3, bounded magnitudes) and is left
out of the program where they are not.

CI runs a fixed, derandomized set (``TAPEGRAD_FUZZ_EXAMPLES`` unset: 1200
programs, and 400 against torch).  For a long hunt::

    TAPEGRAD_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz_differential.py \\
        --hypothesis-seed=1 -p no:cacheprovider

(random programs, reproducible from the seed; a failure prints the program).
"""
import operator
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import tapegrad as tg
from tapegrad import autograd, errors

import reference_engine as ref
from op_cases import NP, TG, torch_namespace

_N = os.environ.get("TAPEGRAD_FUZZ_EXAMPLES")
LONG = _N is not None
EXAMPLES = int(_N) if LONG else 1200
TORCH_EXAMPLES = int(_N) if LONG else 400

SETTINGS = dict(deadline=None, derandomize=not LONG, database=None, print_blob=True,
                suppress_health_check=list(HealthCheck))

MARGIN = 1e-3          # distance kept from every kink
BOUND = 1e3            # largest |value| a node may hold
MAX_ELEMS = 36         # elements of a node
F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


# ---------------------------------------------------------------------------
# The op table: how to apply each op in a namespace (NP, TG, torch), how to
# draw its parameters, and when its operands are valid
# ---------------------------------------------------------------------------

class Op:
    def __init__(self, name, apply, valid=None, ref_apply=None):
        self.name = name
        self.apply = apply            # apply(m, *operands, **params)
        self.valid = valid            # valid(*float64 operand values, **params) -> bool
        self.ref = ref_apply          # the reference engine's version, scalar programs


def _min_abs(x):
    return float(np.min(np.abs(x))) if np.size(x) else np.inf


UNARY = {
    "exp": Op("exp", lambda m, x: m.exp(x), lambda x: np.max(x) < 5,
              lambda x: x.exp()),
    "log": Op("log", lambda m, x: m.log(x), lambda x: np.min(x) > 0.05, lambda x: x.log()),
    "sin": Op("sin", lambda m, x: m.sin(x), None, lambda x: x.sin()),
    "cos": Op("cos", lambda m, x: m.cos(x), None, lambda x: x.cos()),
    "tan": Op("tan", lambda m, x: m.tan(x), lambda x: np.max(np.abs(x)) < 1.2),
    "tanh": Op("tanh", lambda m, x: m.tanh(x), None, lambda x: x.tanh()),
    "sqrt": Op("sqrt", lambda m, x: m.sqrt(x), lambda x: np.min(x) > 0.05,
               lambda x: x ** 0.5),
    "square": Op("square", lambda m, x: m.square(x), None, lambda x: x * x),
    "abs": Op("abs", lambda m, x: m.abs(x), lambda x: _min_abs(x) > MARGIN),
    "sigmoid": Op("sigmoid", lambda m, x: m.sigmoid(x), None,
                  lambda x: 1.0 / (1.0 + (-x).exp())),
    "relu": Op("relu", lambda m, x: m.relu(x), lambda x: _min_abs(x) > MARGIN),
    "neg": Op("neg", lambda m, x: -x, None, lambda x: -x),
    "copy": Op("copy", lambda m, x: m.copy(x), None, lambda x: x),
    "pow2": Op("pow2", lambda m, x: x ** 2, None, lambda x: x ** 2.0),
    "pow3": Op("pow3", lambda m, x: x ** 3, None, lambda x: x ** 3.0),
    "pow_half": Op("pow_half", lambda m, x: x ** 0.5, lambda x: np.min(x) > 0.05,
                   lambda x: x ** 0.5),
    "pow_m1": Op("pow_m1", lambda m, x: x ** -1.0, lambda x: _min_abs(x) > 0.1,
                 lambda x: x ** -1.0),
    "rsub1": Op("rsub1", lambda m, x: 1.0 - x, None, lambda x: 1.0 - x),
    "rdiv2": Op("rdiv2", lambda m, x: 2.0 / x, lambda x: _min_abs(x) > 0.1,
                lambda x: 2.0 / x),
}

_BIN = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
        "div": operator.truediv, "pow": operator.pow}


def _binary_valid(name):
    def valid(a, b):
        a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
        if name == "div":
            return _min_abs(b) > 0.1
        if name in ("pow", "power"):
            return np.min(a) > 0.1 and np.max(np.abs(b)) <= 3
        if name in ("maximum", "minimum"):
            return _min_abs(a - b) > MARGIN
        return True
    return valid


BINARY = {}
for _name, _fn in _BIN.items():
    BINARY[_name] = Op(_name, (lambda f: lambda m, a, b: f(a, b))(_fn), _binary_valid(_name),
                       (lambda f: lambda a, b: f(a, b))(_fn))
for _name in ("maximum", "minimum", "power"):
    BINARY[_name] = Op(_name, (lambda n: lambda m, a, b: getattr(m, n)(a, b))(_name),
                       _binary_valid(_name),
                       (lambda a, b: a ** b) if _name == "power" else None)


def _clip_valid(x, lo, hi):
    x = np.asarray(x)
    return ((lo is None or _min_abs(x - lo) > MARGIN)
            and (hi is None or _min_abs(x - hi) > MARGIN))


CLIP = Op("clip", lambda m, x, lo, hi: m.clip(x, lo, hi), _clip_valid)
WHERE = Op("where", lambda m, a, b, cond: m.where(cond, a, b))


def _gap_ok(x, axis, largest):
    """Along the reduced axes, the extreme is unique by MARGIN (no ties)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        return True
    ax = tuple(range(x.ndim)) if axis is None else axis
    ax = (ax,) if isinstance(ax, int) else tuple(a % x.ndim for a in ax)
    moved = np.moveaxis(x, ax, tuple(range(-len(ax), 0)))
    flat = moved.reshape(moved.shape[:moved.ndim - len(ax)] + (-1,))
    if flat.shape[-1] < 2:
        return True
    s = np.sort(flat, axis=-1)
    gap = s[..., -1] - s[..., -2] if largest else s[..., 1] - s[..., 0]
    return bool(np.all(gap > MARGIN))


REDUCE = {
    "sum": Op("sum", lambda m, x, axis, keepdims: m.sum(x, axis=axis, keepdims=keepdims)),
    "mean": Op("mean", lambda m, x, axis, keepdims: m.mean(x, axis=axis, keepdims=keepdims)),
    "prod": Op("prod", lambda m, x, axis, keepdims: m.prod(x, axis=axis, keepdims=keepdims)),
    "max": Op("max", lambda m, x, axis, keepdims: m.max(x, axis=axis, keepdims=keepdims),
              lambda x, axis, keepdims: _gap_ok(x, axis, True)),
    "min": Op("min", lambda m, x, axis, keepdims: m.min(x, axis=axis, keepdims=keepdims),
              lambda x, axis, keepdims: _gap_ok(x, axis, False)),
    "logsumexp": Op("logsumexp",
                    lambda m, x, axis, keepdims: m.logsumexp(x, axis=axis, keepdims=keepdims)),
}
SOFTMAX = {n: Op(n, (lambda n: lambda m, x, axis: getattr(m, n)(x, axis=axis))(n))
           for n in ("softmax", "log_softmax")}
NORM = Op("norm", lambda m, x: m.norm(x), lambda x: float(np.sqrt(np.sum(np.square(x)))) > 0.1)

LINALG = {
    "matmul": Op("matmul", lambda m, a, b: m.matmul(a, b)),
    "matmul_op": Op("matmul_op", lambda m, a, b: a @ b),
    "dot": Op("dot", lambda m, a, b: m.dot(a, b)),
    "outer": Op("outer", lambda m, a, b: m.outer(a, b)),
}

SHAPE = {
    "reshape": Op("reshape", lambda m, x, shape: m.reshape(x, shape)),
    "transpose": Op("transpose", lambda m, x, axes: m.transpose(x, axes)),
    "T": Op("T", lambda m, x: x.T),
    "expand_dims": Op("expand_dims", lambda m, x, axis: m.expand_dims(x, axis)),
    "squeeze": Op("squeeze", lambda m, x, axis: m.squeeze(x, axis)),
    "broadcast_to": Op("broadcast_to", lambda m, x, shape: m.broadcast_to(x, shape)),
    "flatten": Op("flatten", lambda m, x: m.flatten(x)),
    "getitem": Op("getitem", lambda m, x, idx: x[m.index(idx)]),
    "concatenate": Op("concatenate", lambda m, *xs, axis: m.concatenate(list(xs), axis=axis)),
    "stack": Op("stack", lambda m, *xs, axis: m.stack(list(xs), axis=axis)),
}

ALL_OPS = {**UNARY, **BINARY, **REDUCE, **SOFTMAX, **LINALG, **SHAPE,
           "clip": CLIP, "where": WHERE, "norm": NORM}


# ---------------------------------------------------------------------------
# Programs
# ---------------------------------------------------------------------------

class Program:
    """inputs: [(float64 values, dtype)]; steps: [(op name, args, params)]
    where each arg is ('n', node index) or ('c', constant); nodes 0..k-1 are
    the inputs, step j makes node k + j.  loss: [(node, weights)]."""

    def __init__(self):
        self.inputs = []
        self.steps = []
        self.loss = []

    @property
    def n_nodes(self):
        return len(self.inputs) + len(self.steps)

    def describe(self):
        lines = [f"x{i}: shape {v.shape} {dt}" for i, (v, dt) in enumerate(self.inputs)]
        k = len(self.inputs)
        for j, (name, args, params) in enumerate(self.steps):
            a = ", ".join(f"n{v}" if t == "n" else _short(v) for t, v in args)
            p = ", ".join(f"{key}={_short(val)}" for key, val in params.items())
            lines.append(f"n{k + j} = {name}({a}{', ' if p and a else ''}{p})")
        lines.append("loss = " + " + ".join(f"sum(n{n} * w{n})" for n, _ in self.loss))
        return "\n".join(lines)


def _short(v):
    if isinstance(v, np.ndarray):
        return f"array({v.tolist()}, {v.dtype})" if v.size <= 8 else f"array{v.shape}"
    return repr(v)


def run(prog, m, inputs, const=None):
    """Every node's value in namespace m, from the input values ``inputs``."""
    const = const or m.const
    nodes = list(inputs)
    for name, args, params in prog.steps:
        vals = [nodes[v] if t == "n" else (const(v) if isinstance(v, np.ndarray) else v)
                for t, v in args]
        nodes.append(ALL_OPS[name].apply(m, *vals, **params))
    return nodes


def loss_of(prog, m, nodes, weights_dtype=None):
    total = None
    for n, w in prog.loss:
        if weights_dtype is not None:
            w = w.astype(weights_dtype)
        term = m.sum(nodes[n] * m.const(w))
        total = term if total is None else total + term
    return total


def np_nodes(prog, values, dtypes=None):
    """The NumPy run: float64 by default, or on the given input dtypes."""
    ins = [np.asarray(v, dtype=dt or F64) for v, dt in zip(values, dtypes or [None] * len(values))]
    with np.errstate(all="ignore"):
        return run(prog, NP, ins)


# ---------------------------------------------------------------------------
# Drawing a program with Hypothesis (values drawn from a seeded generator,
# structure drawn by Hypothesis so it shrinks)
# ---------------------------------------------------------------------------

def _shape(draw):
    nd = draw(st.sampled_from([2, 3, 1, 2, 3, 0]))
    return tuple(draw(st.sampled_from([2, 3, 1])) for _ in range(nd))


class Builder:
    def __init__(self, draw, rng, scalar_only, dtype_mode):
        self.draw, self.rng = draw, rng
        self.scalar_only = scalar_only
        self.dtype_mode = dtype_mode
        self.prog = Program()
        self.vals = []                     # float64 value of each node

    # ---- nodes ----------------------------------------------------------------
    def new_input(self, shape, positive=False):
        lo, hi = (0.3, 2.0) if positive else (-2.0, 2.0)
        v = self.rng.uniform(lo, hi, shape)
        if self.dtype_mode == "f64":
            dt = F64
        elif self.dtype_mode == "f32":
            dt = F32
        else:
            dt = self.draw(st.sampled_from([F32, F64]))
        v = np.asarray(v.astype(dt).astype(F64))        # representable in its dtype
        self.prog.inputs.append((v, dt))
        self.vals.insert(len(self.prog.inputs) - 1, v)
        # inputs come first: later steps' node ids shift by one
        self._shift_steps(len(self.prog.inputs) - 1)
        return len(self.prog.inputs) - 1

    def _shift_steps(self, new):
        steps = []
        for name, args, params in self.prog.steps:
            args = tuple((t, v + 1 if t == "n" and v >= new else v) for t, v in args)
            steps.append((name, args, params))
        self.prog.steps = steps

    def pick(self, pred=lambda v: True):
        """A node (biased to recent ones) whose value satisfies pred, or None."""
        ok = [i for i, v in enumerate(self.vals) if pred(v)]
        if not ok:
            return None
        k = self.draw(st.integers(0, len(ok) - 1))
        return ok[-1 - k] if self.draw(st.booleans()) else ok[k]

    def add_step(self, name, args, params=None):
        """Append the step if its operands are valid and its result is sane."""
        params = params or {}
        op = ALL_OPS[name]
        vals = [self.vals[v] if t == "n" else v for t, v in args]
        if op.valid is not None:
            try:
                ok = op.valid(*vals, **params)
            except (ValueError, IndexError):
                ok = False
            if not ok:
                return False
        try:
            with np.errstate(all="ignore"):
                out = op.apply(NP, *[np.asarray(v) if not isinstance(v, float) else v
                                     for v in vals], **params)
        except (ValueError, IndexError, np.exceptions.AxisError):
            return False                    # shapes that do not fit: not this step
        out = np.asarray(out, dtype=np.float64)
        if out.size == 0 or out.size > MAX_ELEMS or not np.all(np.isfinite(out)) \
                or np.max(np.abs(out)) > BOUND:
            return False
        self.prog.steps.append((name, tuple(args), params))
        self.vals.append(out)
        return True

    # ---- one random step ------------------------------------------------------
    def step(self):
        draw = self.draw
        if self.scalar_only:
            family = draw(st.sampled_from(["unary", "binary", "binary"]))
        else:
            family = draw(st.sampled_from(
                ["unary", "unary", "binary", "binary", "binary", "reduce", "softmax", "norm",
                 "linalg", "shape", "shape", "getitem", "getitem", "join", "where", "clip"]))
        return getattr(self, "_" + family)()

    def _unary(self):
        name = self.draw(st.sampled_from(sorted(UNARY)))
        if self.scalar_only and UNARY[name].ref is None:
            name = "tanh"
        x = self.pick()
        return self.add_step(name, [("n", x)])

    def _operand(self, a):
        """The second operand for node a: a node that broadcasts with it, a
        Python number or a constant array (float64 or float32)."""
        kind = self.draw(st.sampled_from(["node", "node", "node", "scalar", "array"]))
        if self.scalar_only and kind == "array":
            kind = "scalar"
        sa = np.shape(self.vals[a])
        if kind == "node":
            def fits(v):
                try:
                    return (np.broadcast_shapes(sa, np.shape(v)) is not None
                            and (not self.scalar_only or np.ndim(v) == 0))
                except ValueError:
                    return False
            b = self.pick(fits)
            if b is not None:
                return ("n", b)
            kind = "scalar"
        if kind == "scalar":
            return ("c", float(self.draw(st.sampled_from([0.5, 1.5, 2.0, -0.7, 3.0]))))
        shape = sa[self.draw(st.integers(0, len(sa))):]   # a trailing part of a's shape
        dt = self.draw(st.sampled_from([F64, F32]))
        return ("c", self.rng.uniform(0.5, 1.5, shape).astype(dt))

    def _binary(self):
        name = self.draw(st.sampled_from(sorted(BINARY)))
        if self.scalar_only and BINARY[name].ref is None:
            name = "mul"
        a = self.pick()
        b = self._operand(a)
        args = [("n", a), b]
        if self.draw(st.booleans()):
            args.reverse()
        return self.add_step(name, args)

    def _axis(self, nd, single=False):
        if nd == 0:
            return None
        kind = self.draw(st.sampled_from(["none", "int", "neg", "tuple"] if not single
                                         else ["int", "neg"]))
        if kind == "none":
            return None
        if kind == "int":
            return self.draw(st.integers(0, nd - 1))
        if kind == "neg":
            return -self.draw(st.integers(1, nd))
        axes = self.draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
        return tuple(axes)

    def _reduce(self):
        name = self.draw(st.sampled_from(sorted(REDUCE)))
        x = self.pick()
        axis = self._axis(np.ndim(self.vals[x]))
        return self.add_step(name, [("n", x)], {"axis": axis, "keepdims": self.draw(st.booleans())})

    def _softmax(self):
        name = self.draw(st.sampled_from(sorted(SOFTMAX)))
        x = self.pick(lambda v: np.ndim(v) >= 1)
        if x is None:
            return False
        return self.add_step(name, [("n", x)], {"axis": self._axis(np.ndim(self.vals[x]), True)})

    def _norm(self):
        return self.add_step("norm", [("n", self.pick())])

    def _linalg(self):
        name = self.draw(st.sampled_from(sorted(LINALG)))
        a = self.pick(lambda v: np.ndim(v) >= 1 or name in ("dot", "outer"))
        if a is None:
            return False
        sa = np.shape(self.vals[a])
        if name == "outer":
            b = self.pick()
        else:
            k = sa[-1] if sa else 1
            want = (k,) if self.draw(st.booleans()) else (k, self.draw(st.integers(1, 3)))
            if name == "dot" and len(sa) > 2:
                return False
            b = self.pick(lambda v: np.shape(v) == want)
            if b is None:
                b = self.new_input(want)
                a = a + 1 if a >= b else a
        args = [("n", a), ("n", b)]
        return self.add_step(name, args)

    def _shape(self):
        name = self.draw(st.sampled_from(["reshape", "transpose", "T", "expand_dims",
                                          "squeeze", "broadcast_to", "flatten"]))
        x = self.pick()
        s = np.shape(self.vals[x])
        nd = len(s)
        if name == "reshape":
            n = int(np.prod(s))
            dims = [d for d in (1, 2, 3, 4, 6) if n % d == 0]
            first = self.draw(st.sampled_from(dims))
            shape = (first, n // first)
            if self.draw(st.booleans()):
                shape = (first, -1)
            return self.add_step(name, [("n", x)], {"shape": shape})
        if name == "transpose":
            # a permutation from the generator: Hypothesis's own would favour
            # the identity, whose transpose is its own inverse
            axes = (None if self.draw(st.integers(0, 3)) == 0
                    else tuple(int(a) for a in self.rng.permutation(nd)))
            return self.add_step(name, [("n", x)], {"axes": axes})
        if name == "T":
            return nd == 2 and self.add_step(name, [("n", x)])
        if name == "expand_dims":
            return self.add_step(name, [("n", x)], {"axis": self.draw(st.integers(-nd - 1, nd))})
        if name == "squeeze":
            ones = [i for i, d in enumerate(s) if d == 1]
            if not ones:
                return False
            axis = None if self.draw(st.booleans()) else self.draw(st.sampled_from(ones))
            return self.add_step(name, [("n", x)], {"axis": axis})
        if name == "broadcast_to":
            lead = tuple(self.draw(st.integers(1, 3)) for _ in range(self.draw(st.integers(0, 1))))
            shape = lead + tuple(self.draw(st.integers(1, 3)) if d == 1 else d for d in s)
            return self.add_step(name, [("n", x)], {"shape": shape})
        return self.add_step(name, [("n", x)])

    def _getitem(self):
        x = self.pick(lambda v: np.ndim(v) >= 1)
        if x is None:
            return False
        s = np.shape(self.vals[x])
        kind = self.draw(st.sampled_from(["basic", "basic", "intarray", "mask", "mixed"]))
        if kind == "basic":
            idx = []
            for d in s[:self.draw(st.integers(1, len(s)))]:
                c = self.draw(st.sampled_from(["int", "slice", "full", "none"]))
                if c == "int":
                    idx.append(self.draw(st.integers(-d, d - 1)))
                elif c == "slice":
                    start = self.draw(st.integers(0, d - 1))
                    step = self.draw(st.sampled_from([1, 1, 2, -1]))
                    idx.append(slice(start, None, step) if step > 0 else slice(start, None, -1))
                elif c == "none":
                    idx.append(None)
                    idx.append(slice(None))
                else:
                    idx.append(slice(None))
            if self.draw(st.booleans()):
                idx.append(Ellipsis)
            idx = tuple(idx)
        elif kind == "intarray":
            n = self.draw(st.integers(1, 5))
            idx = np.array([self.draw(st.integers(-s[0], s[0] - 1)) for _ in range(n)])
        elif kind == "mask":
            k = self.draw(st.integers(1, len(s)))
            mask = self.rng.random(s[:k]) < 0.6
            if not mask.any():
                mask.flat[0] = True
            idx = mask
        else:
            if len(s) < 2:
                return False
            col = np.array([self.draw(st.integers(0, s[1] - 1)) for _ in range(3)])
            idx = (slice(None), col)
        return self.add_step("getitem", [("n", x)], {"idx": idx})

    def _join(self):
        name = self.draw(st.sampled_from(["concatenate", "stack"]))
        x = self.pick(lambda v: np.ndim(v) >= 1 or name == "stack")
        if x is None:
            return False
        s = np.shape(self.vals[x])
        nd = len(s)
        if name == "concatenate":
            axis = self.draw(st.integers(-nd, nd - 1))
            ax = axis % nd

            def fits(v):
                t = np.shape(v)
                return len(t) == nd and all(a == b for i, (a, b) in enumerate(zip(s, t)) if i != ax)
        else:
            axis = self.draw(st.integers(-nd - 1, nd))

            def fits(v):
                return np.shape(v) == s
        others = [self.pick(fits) for _ in range(self.draw(st.integers(1, 2)))]
        args = [("n", x)] + [("n", o) for o in others]
        return self.add_step(name, args, {"axis": axis})

    def _where(self):
        a = self.pick()
        b = self._operand(a)
        if b[0] == "c" and isinstance(b[1], np.ndarray):
            b = ("c", float(np.mean(b[1])))
        bshape = np.shape(self.vals[b[1]]) if b[0] == "n" else ()
        out = np.broadcast_shapes(np.shape(self.vals[a]), bshape)
        cshape = out[self.draw(st.integers(0, len(out))):]
        cond = self.rng.random(cshape) < 0.5
        return self.add_step("where", [("n", a), b], {"cond": cond})

    def _clip(self):
        x = self.pick()
        lo = self.draw(st.sampled_from([None, -1.0, -0.3, 0.2]))
        hi = self.draw(st.sampled_from([None, 1.0, 0.6]))
        if lo is None and hi is None:
            hi = 1.0
        return self.add_step("clip", [("n", x)], {"lo": lo, "hi": hi})


@st.composite
def programs(draw, torch_ready=False):
    seed = draw(st.integers(0, 2 ** 32 - 1))
    scalar_only = draw(st.integers(0, 4)) == 0
    dtype_mode = "f64" if torch_ready else draw(st.sampled_from(["f64", "f64", "f32", "mixed"]))
    b = Builder(draw, np.random.default_rng(seed), scalar_only, dtype_mode)
    n_in = draw(st.integers(1, 3))
    base = () if scalar_only else _shape(draw)
    for _ in range(n_in):
        if scalar_only:
            shape = ()
        elif draw(st.booleans()):
            shape = base[draw(st.integers(0, len(base))):]     # broadcasts with base
        else:
            shape = _shape(draw)
        b.new_input(shape, positive=draw(st.integers(0, 3)) == 0)
    for _ in range(draw(st.integers(2, 12))):
        for _attempt in range(4):          # an invalid step is redrawn, not dropped
            if b.step():
                break
    prog = b.prog
    k = len(prog.inputs)
    chosen = [prog.n_nodes - 1] + [n for n in range(k, prog.n_nodes - 1)
                                   if draw(st.integers(0, 3)) == 0]
    if prog.n_nodes == k:
        chosen = [0]
    # the loss weights: fixed constants of each node's shape
    prog.loss = [(n, b.rng.uniform(-1.5, 1.5, np.shape(b.vals[n]))) for n in chosen]
    return prog


# ---------------------------------------------------------------------------
# Running the checks
# ---------------------------------------------------------------------------

def _scale(*arrays):
    return max([1.0] + [float(np.max(np.abs(a))) for a in arrays if np.size(a)])


def _assert_close(what, got, want, rtol, prog):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    scale = _scale(want)
    err = np.max(np.abs(got - want)) if got.size else 0.0
    assert got.shape == want.shape and err <= rtol * scale, (
        f"{what}: max |diff| {err:.3e} > {rtol:.1e} * {scale:.3e}\n{prog.describe()}\n"
        f"got {got}\nwant {want}")


def tg_inputs(prog):
    xs = []
    for v, dt in prog.inputs:
        x = tg.array(v, dtype=dt)
        x.attach_grad()
        xs.append(x)
    return xs


def recorded(prog):
    xs = tg_inputs(prog)
    with autograd.record():
        nodes = run(prog, TG, xs)
        loss = loss_of(prog, TG, nodes, _loss_dtype(prog))
    return xs, nodes, loss


def _loss_dtype(prog):
    return F32 if all(dt == F32 for _, dt in prog.inputs) else None


def central_differences(prog, values):
    """d loss / d input by a 4-point central-difference stencil on the float64
    NumPy program (error O(h^4) + roundoff)."""
    def f(vs):
        return float(loss_of(prog, NP, np_nodes(prog, vs)))

    grads = []
    for i, v in enumerate(values):
        g = np.zeros(v.shape)
        for j in np.ndindex(v.shape):
            h = 1e-5 * max(1.0, abs(v[j]))
            fs = []
            for d in (2, 1, -1, -2):
                vs = [u.copy() for u in values]
                vs[i][j] += d * h
                fs.append(f(vs))
            g[j] = (-fs[0] + 8 * fs[1] - 8 * fs[2] + fs[3]) / (12 * h)
        grads.append(g)
    return grads


def reference_grads(prog):
    """The reference engine's gradient, for a scalar program it can run."""
    if any(np.ndim(v) for v, _ in prog.inputs):
        return None
    for name, _, _ in prog.steps:
        if ALL_OPS[name].ref is None:
            return None
    xs = [ref.Value(float(v)) for v, _ in prog.inputs]
    nodes = list(xs)
    for name, args, params in prog.steps:
        vals = [nodes[v] if t == "n" else float(v) for t, v in args]
        nodes.append(ALL_OPS[name].ref(*vals))
    loss = None
    for n, w in prog.loss:
        term = nodes[n] * float(w)
        loss = term if loss is None else loss + term
    if not isinstance(loss, ref.Value):
        return None
    loss.backward()
    return [x.grad for x in xs]


def check_program(prog):
    note(prog.describe())
    values = [v for v, _ in prog.inputs]
    dtypes = [dt for _, dt in prog.inputs]
    all64 = all(dt == F64 for dt in dtypes)

    # forward: values (float64 programs) and dtypes (NumPy's promotion)
    xs, nodes, loss = recorded(prog)
    ref64 = np_nodes(prog, values)
    same_dt = np_nodes(prog, values, dtypes)
    for k, (t, want, want_dt) in enumerate(zip(nodes, ref64, same_dt)):
        assert t.dtype == np.asarray(want_dt).dtype, (
            f"node n{k}: dtype {t.dtype}, NumPy gives {np.asarray(want_dt).dtype}\n"
            f"{prog.describe()}")
        rtol = 1e-10 if all64 else 1e-3
        _assert_close(f"forward n{k}", t.asnumpy(), want, rtol, prog)

    # reverse: central differences, the reference engine
    loss.backward()
    grads = [x.grad.asnumpy() for x in xs]
    for x, g in zip(xs, grads):
        assert x.grad.dtype == x.dtype
    fd = central_differences(prog, values)
    for i, (g, d) in enumerate(zip(grads, fd)):
        _assert_close(f"gradient of x{i} vs central differences", g, d,
                      1e-5 if all64 else 2e-3, prog)
    if all64:
        rg = reference_grads(prog)
        if rg is not None:
            for i, (g, r) in enumerate(zip(grads, rg)):
                _assert_close(f"gradient of x{i} vs reference engine", g, r, 1e-12, prog)

    # create_graph=True runs the rules as tapegrad ops: the same gradient
    xs2, _, loss2 = recorded(prog)
    gs2 = autograd.grad(loss2, xs2, create_graph=True)
    for i, (g, g2) in enumerate(zip(grads, gs2)):
        _assert_close(f"create_graph gradient of x{i}", g2.asnumpy(), g,
                      1e-10 if all64 else 1e-5, prog)

    # forward mode: the directional derivative along u is <grad, u>
    rng = np.random.default_rng(len(prog.steps))
    us = [rng.uniform(-1, 1, v.shape).astype(dt) for v, dt in prog.inputs]

    def f(*ts):
        return loss_of(prog, TG, run(prog, TG, list(ts)), _loss_dtype(prog))

    prim = tuple(tg.array(v, dtype=dt) for v, dt in prog.inputs)
    _, tangent = tg.jvp(f, prim, tuple(tg.array(u) for u in us))
    want = sum(float(np.sum(g.astype(np.float64) * u)) for g, u in zip(grads, us))
    _assert_close("jvp vs <grad, u>", tangent.item(), want, 1e-9 if all64 else 1e-4, prog)
    return grads


# ---------------------------------------------------------------------------
# In-place edits between record and backward
# ---------------------------------------------------------------------------

PRODUCTS = ("mul", "matmul", "matmul_op", "dot", "outer")


def _ancestors(prog, roots):
    k = len(prog.inputs)
    seen = set(roots)
    stack = list(roots)
    while stack:
        n = stack.pop()
        if n >= k:
            for t, v in prog.steps[n - k][1]:
                if t == "n" and v not in seen:
                    seen.add(v)
                    stack.append(v)
    return seen


def check_inplace_edit(prog, target, how, grads):
    """Record, edit node ``target`` in place, backward: InplaceModificationError
    or the gradient of the recorded values; an error when the edit changed
    an operand a product needs."""
    xs, nodes, loss = recorded(prog)
    before = [t.asnumpy() for t in nodes]
    t = nodes[target]
    edited = True
    try:
        if how == "setitem":
            t[...] = before[target] * 0.5 + 1.0
        elif how == "iadd":
            t += 1.0
        elif how == "imul":
            t *= 3.0
        elif how == "zero":
            t.zero_()
        else:
            t[(0,) * t.ndim] = 7.0
    except ValueError as e:
        # NumPy refuses to write into a read-only view (a broadcast result):
        # nothing may have changed
        assert "read-only" in str(e), e
        edited = False
        for k, n in enumerate(nodes):
            np.testing.assert_array_equal(n.asnumpy(), before[k])
    changed = {k for k, n in enumerate(nodes) if not np.array_equal(n.asnumpy(), before[k])}
    k0 = len(prog.inputs)
    live = _ancestors(prog, [n for n, _ in prog.loss])
    must_raise = False
    for j, (name, args, _) in enumerate(prog.steps):
        if name in PRODUCTS and (k0 + j) in live:
            ops = [v for tt, v in args if tt == "n"]
            if len(ops) == 2 and any(o in changed for o in ops):
                must_raise = True
    note(f"edit n{target} by {how}: changed {sorted(changed)}, must raise: {must_raise}")
    try:
        loss.backward()
    except errors.InplaceModificationError as e:
        assert "in-place" in str(e)
        # an in-place op counts even where it left the values as they were
        # (t *= 3 on zeros): versions, not values, are compared
        assert edited, "InplaceModificationError after an edit NumPy refused"
        return
    assert not must_raise, (f"edit of n{target} ({how}) changed {sorted(changed)}, operands of a "
                            f"product, and backward did not raise\n{prog.describe()}")
    for i, (x, g) in enumerate(zip(xs, grads)):
        _assert_close(f"gradient of x{i} after an edit of n{target} ({how})",
                      x.grad.asnumpy(), g, 1e-12 if x.dtype == F64 else 1e-6, prog)


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------

@settings(max_examples=EXAMPLES, **SETTINGS)
@given(prog=programs(), edit=st.tuples(st.integers(0, 3), st.integers(0, 100),
                                       st.sampled_from(["setitem", "iadd", "imul", "zero",
                                                        "corner"])))
def test_random_programs_gradients_match_oracles(prog, edit):
    grads = check_program(prog)
    if edit[0] == 0:
        check_inplace_edit(prog, edit[1] % prog.n_nodes, edit[2], grads)


@settings(max_examples=TORCH_EXAMPLES, **SETTINGS)
@given(prog=programs(torch_ready=True))
def test_random_programs_match_torch(prog):
    torch = pytest.importorskip("torch")
    TORCH = torch_namespace()
    note(prog.describe())
    if any(name == "getitem" and _negative_step(params["idx"])
           for name, _, params in prog.steps):
        return                              # torch has no negative slice steps
    xs, _, loss = recorded(prog)
    loss.backward()
    txs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v, _ in prog.inputs]
    tnodes = run(prog, TORCH, txs)
    tloss = loss_of(prog, TORCH, tnodes)
    tloss.backward()
    for i, (x, tx) in enumerate(zip(xs, txs)):
        want = tx.grad.numpy() if tx.grad is not None else np.zeros(tx.shape)
        _assert_close(f"gradient of x{i} vs torch", x.grad.asnumpy(), want, 1e-10, prog)


def _negative_step(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return any(isinstance(i, slice) and (i.step or 1) < 0 for i in items)
