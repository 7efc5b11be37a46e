"""The NumPy surface, shape functions: reshaping, joining, splitting, tiling,
flipping, rolling, rotating and padding, through the shared checks of
surface.py (value vs NumPy, reverse and forward vs central differences,
second order, batched vs looped Jacobians, float32), on many shapes and
arguments (negative axes, 0-d, size 0), plus torch and JAX as second oracles
and the argument errors NumPy raises.

Every function here is a composite of linear primitives, so its batched
Jacobian must come from the batching rules alone: the fixture below fails a
test if any rule fell back to running once per example."""
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad.ops import batching

from oracles import check, jax64
from surface import Spec, check_all


@pytest.fixture(autouse=True)
def no_per_example_fallback(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a rule fell back to running once per example")
    monkeypatch.setattr(batching, "_stacked", refuse)


W = np.linspace(0.5, 2.0, 7)      # weights that tell the pieces of a split apart


def weighted(pieces, stack):
    """The pieces of a split, each scaled by its own weight, joined flat."""
    return stack([p.reshape(-1) * W[i] for i, p in enumerate(pieces)]) if pieces else None


def tg_join(pieces):
    return weighted(pieces, tg.concatenate)


def np_join(pieces):
    return weighted(pieces, np.concatenate)


def _row_stack(tup):
    if not hasattr(np, "row_stack"):              # NumPy 2.5 removed the alias of vstack
        return np.vstack(tup)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # NumPy 2 deprecates the alias
        return np.row_stack(tup)


SPECS = [
    # ---- reshape, transpose, ravel, moveaxis, swapaxes, squeeze, expand_dims
    Spec("reshape.F", lambda x: tg.reshape(x, (3, 4), order="F"),
         lambda x: np.reshape(x, (3, 4), order="F"), [(2, 6)]),
    Spec("reshape.F.infer", lambda x: tg.reshape(x, (-1, 2, 3), order="F"),
         lambda x: np.reshape(x, (-1, 2, 3), order="F"), [(3, 4)]),
    Spec("reshape.shape_kw", lambda x: tg.reshape(x, shape=(6, -1)),
         lambda x: np.reshape(x, (6, -1)), [(2, 3, 2)]),
    Spec("reshape.method.F", lambda x: x.reshape(4, 3, order="F"),
         lambda x: x.reshape(4, 3, order="F"), [(2, 6)]),
    Spec("reshape.0d", lambda x: tg.reshape(x, (1, 1)), lambda x: np.reshape(x, (1, 1)), [()]),
    Spec("transpose.axes_kw", lambda x: tg.transpose(x, axes=(2, 0, 1)),
         lambda x: np.transpose(x, axes=(2, 0, 1)), [(2, 3, 4)]),
    Spec("transpose.negative", lambda x: tg.transpose(x, (-1, 0, -2)),
         lambda x: np.transpose(x, (-1, 0, -2)), [(2, 3, 4)]),
    Spec("transpose.method_varargs", lambda x: x.transpose(1, 0, 2),
         lambda x: x.transpose(1, 0, 2), [(2, 3, 4)]),
    Spec("transpose.method_tuple", lambda x: x.transpose((1, 0)), lambda x: x.transpose((1, 0)),
         [(2, 3)]),
    Spec("ravel", tg.ravel, np.ravel, [(2, 3, 2)]),
    Spec("ravel.F", lambda x: tg.ravel(x, order="F"), lambda x: np.ravel(x, order="F"),
         [(2, 3, 2)]),
    Spec("ravel.0d", tg.ravel, np.ravel, [()]),
    Spec("ravel.method", lambda x: x.ravel(), lambda x: x.ravel(), [(3, 2)]),
    Spec("flatten.F", lambda x: x.flatten("F"), lambda x: x.flatten("F"), [(3, 2)]),
    Spec("moveaxis", lambda x: tg.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1),
         [(2, 3, 4)]),
    Spec("moveaxis.tuples", lambda x: tg.moveaxis(x, (0, -1), (-1, 1)),
         lambda x: np.moveaxis(x, (0, -1), (-1, 1)), [(2, 3, 4, 1)]),
    Spec("swapaxes", lambda x: tg.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1),
         [(2, 3, 4)]),
    Spec("squeeze.tuple", lambda x: tg.squeeze(x, (0, -1)), lambda x: np.squeeze(x, (0, -1)),
         [(1, 3, 1, 1)]),
    Spec("squeeze.method", lambda x: x.squeeze(), lambda x: x.squeeze(), [(1, 3, 1)]),
    Spec("expand_dims.tuple", lambda x: tg.expand_dims(x, (0, 3)),
         lambda x: np.expand_dims(x, (0, 3)), [(2, 3)]),
    Spec("expand_dims.negative", lambda x: tg.expand_dims(x, (-1, 1)),
         lambda x: np.expand_dims(x, (-1, 1)), [(2, 3)]),
    Spec("expand_dims.0d", lambda x: tg.expand_dims(x, 0), lambda x: np.expand_dims(x, 0), [()]),
    # ---- atleast_nd, broadcast_arrays
    *[Spec(f"{f}", getattr(tg, f), getattr(np, f), [s])
      for f in ("atleast_1d", "atleast_2d", "atleast_3d") for s in [(), (3,), (2, 3), (2, 1, 2)]],
    Spec("atleast_3d.several", lambda a, b: tg.concatenate([t.reshape(-1) for t in
                                                            tg.atleast_3d(a, b * 2.0)]),
         lambda a, b: np.concatenate([t.reshape(-1) for t in np.atleast_3d(a, b * 2.0)]),
         [(3,), ()]),
    Spec("broadcast_arrays", lambda a, b: tg.stack(tg.broadcast_arrays(a, b * 3.0)),
         lambda a, b: np.stack(np.broadcast_arrays(a, b * 3.0)), [(3, 1), (4,)]),
    Spec("broadcast_arrays.0d", lambda a, b: tg.stack(tg.broadcast_arrays(a, b * 3.0)),
         lambda a, b: np.stack(np.broadcast_arrays(a, b * 3.0)), [(), (2, 2)]),
    # ---- joining
    Spec("concatenate.axis_None", lambda a, b: tg.concatenate([a, b], axis=None),
         lambda a, b: np.concatenate([a, b], axis=None), [(2, 3), (4,)]),
    Spec("concatenate.negative", lambda a, b: tg.concatenate([a, b], axis=-1),
         lambda a, b: np.concatenate([a, b], axis=-1), [(2, 3), (2, 1)]),
    Spec("concatenate.empty_part", lambda a, b: tg.concatenate([a, b]),
         lambda a, b: np.concatenate([a, b]), [(0, 3), (2, 3)]),
    Spec("stack.negative", lambda a, b: tg.stack([a, b], axis=-1),
         lambda a, b: np.stack([a, b], axis=-1), [(2, 3), (2, 3)]),
    *[Spec(f"{f}.{len(s)}d", (lambda f: lambda a, b: getattr(tg, f)([a, b * 2.0]))(f),
           (lambda f: lambda a, b: getattr(np, f)([a, b * 2.0]))(f), [s, s])
      for f in ("vstack", "hstack", "dstack", "column_stack")
      for s in [(), (3,), (2, 3), (2, 2, 2)] if not (f == "column_stack" and len(s) == 3)],
    Spec("row_stack", lambda a, b: tg.row_stack([a, b]), lambda a, b: _row_stack([a, b]),
         [(3,), (2, 3)]),
    Spec("hstack.mixed", lambda a, b: tg.hstack((a, b)), lambda a, b: np.hstack((a, b)),
         [(2, 1), (2, 3)]),
    Spec("vstack.tensor_rows", lambda a: tg.vstack(a), lambda a: np.vstack(a), [(3, 2)]),
    Spec("block.2x2", lambda a, b, c, d: tg.block([[a, b], [c, d]]),
         lambda a, b, c, d: np.block([[a, b], [c, d]]), [(2, 2), (2, 3), (1, 2), (1, 3)]),
    Spec("block.1d", lambda a, b: tg.block([a, b]), lambda a, b: np.block([a, b]), [(2,), (3,)]),
    Spec("block.mixed_ndim", lambda a, b: tg.block([[a], [b]]),
         lambda a, b: np.block([[a], [b]]), [(3,), (2, 3)]),
    Spec("block.3d", lambda a, b: tg.block([[[a]], [[b]]]),
         lambda a, b: np.block([[[a]], [[b]]]), [(1, 2, 2), (2, 2, 2)]),
    Spec("block.leaf", lambda a: tg.block(a), lambda a: np.block(a), [(2, 2)]),
    # ---- splitting (pieces weighted apart and joined)
    Spec("split.sections", lambda x: tg_join(tg.split(x, 3)),
         lambda x: np_join(np.split(x, 3)), [(6, 2)]),
    Spec("split.indices", lambda x: tg_join(tg.split(x, [1, 3], axis=-1)),
         lambda x: np_join(np.split(x, [1, 3], axis=-1)), [(2, 5)]),
    Spec("array_split.uneven", lambda x: tg_join(tg.array_split(x, 3, axis=1)),
         lambda x: np_join(np.array_split(x, 3, axis=1)), [(2, 7)]),
    Spec("array_split.more_than_n", lambda x: tg_join(tg.array_split(x, 5)),
         lambda x: np_join(np.array_split(x, 5)), [(3,)]),
    Spec("array_split.odd_indices", lambda x: tg_join(tg.array_split(x, [-2, 1, 9])),
         lambda x: np_join(np.array_split(x, [-2, 1, 9])), [(5,)]),
    Spec("hsplit.1d", lambda x: tg_join(tg.hsplit(x, 2)), lambda x: np_join(np.hsplit(x, 2)),
         [(4,)]),
    Spec("hsplit.2d", lambda x: tg_join(tg.hsplit(x, [1])), lambda x: np_join(np.hsplit(x, [1])),
         [(2, 3)]),
    Spec("vsplit", lambda x: tg_join(tg.vsplit(x, 2)), lambda x: np_join(np.vsplit(x, 2)),
         [(4, 3)]),
    Spec("dsplit", lambda x: tg_join(tg.dsplit(x, [1, 2])),
         lambda x: np_join(np.dsplit(x, [1, 2])), [(2, 1, 4)]),
    # ---- tile and repeat
    *[Spec(f"tile.{reps}", (lambda r: lambda x: tg.tile(x, r))(reps),
           (lambda r: lambda x: np.tile(x, r))(reps), [s])
      for reps, s in [(2, (3,)), ((2, 1), (3,)), ((1, 2, 3), (2, 2)), ((3,), (2, 2)),
                      (2, ()), ((0, 2), (2,)), ((), (2, 2))]],
    Spec("repeat.int", lambda x: tg.repeat(x, 3), lambda x: np.repeat(x, 3), [(2, 2)]),
    Spec("repeat.axis", lambda x: tg.repeat(x, 2, axis=-1), lambda x: np.repeat(x, 2, axis=-1),
         [(2, 3)]),
    Spec("repeat.counts", lambda x: tg.repeat(x, np.array([2, 0, 1]), axis=0),
         lambda x: np.repeat(x, np.array([2, 0, 1]), axis=0), [(3, 2)]),
    Spec("repeat.one_count", lambda x: tg.repeat(x, [2], axis=1),
         lambda x: np.repeat(x, [2], axis=1), [(3, 2)]),
    Spec("repeat.zero", lambda x: tg.repeat(x, 0, axis=0), lambda x: np.repeat(x, 0, axis=0),
         [(3, 2)]),
    Spec("repeat.0d", lambda x: tg.repeat(x, 3), lambda x: np.repeat(x, 3), [()]),
    Spec("repeat.method", lambda x: x.repeat(2, 0), lambda x: x.repeat(2, 0), [(2, 3)]),
    # ---- flip, roll, rot90
    *[Spec(f"flip.{ax}", (lambda a: lambda x: tg.flip(x, a))(ax),
           (lambda a: lambda x: np.flip(x, a))(ax), [(2, 3, 4)])
      for ax in (None, 0, -1, (0, 2))],
    Spec("flip.0d", tg.flip, np.flip, [()]),
    Spec("flip.size0", lambda x: tg.flip(x, 1), lambda x: np.flip(x, 1), [(0, 3)]),
    Spec("fliplr", tg.fliplr, np.fliplr, [(2, 3, 2)]),
    Spec("flipud", tg.flipud, np.flipud, [(3,)]),
    *[Spec(f"roll.{sh}.{ax}", (lambda s, a: lambda x: tg.roll(x, s, a))(sh, ax),
           (lambda s, a: lambda x: np.roll(x, s, a))(sh, ax), [(2, 3, 4)])
      for sh, ax in [(2, None), (-7, None), (1, 0), ((1, -2), (0, -1)), ((1, 1), (1, 1)),
                     (13, 2), (0, 1), (3, -2)]],
    Spec("roll.0d", lambda x: tg.roll(x, 2), lambda x: np.roll(x, 2), [()]),
    Spec("roll.size0", lambda x: tg.roll(x, 1, 0), lambda x: np.roll(x, 1, 0), [(0, 2)]),
    *[Spec(f"rot90.{k}.{axes}", (lambda k, a: lambda x: tg.rot90(x, k, a))(k, axes),
           (lambda k, a: lambda x: np.rot90(x, k, a))(k, axes), [s])
      for k, axes, s in [(1, (0, 1), (2, 3)), (2, (0, 1), (2, 3)), (3, (0, 1), (2, 3)),
                         (-1, (1, 2), (2, 3, 4)), (5, (-1, 0), (2, 3, 4)),
                         (0, (0, 1), (2, 3)), (1, (2, 0), (2, 3, 4))]],
    # ---- pad
    *[Spec(f"pad.{mode}.{kw}.{pw}", (lambda p, m, k: lambda x: tg.pad(x, p, m, **k))(pw, mode, kw),
           (lambda p, m, k: lambda x: np.pad(x, p, m, **k))(pw, mode, kw), [s])
      for mode, kw in [("constant", {}), ("constant", {"constant_values": 1.5}),
                       ("constant", {"constant_values": ((1, 2), (-3, 4))}),
                       ("edge", {}), ("reflect", {}), ("symmetric", {}), ("wrap", {}),
                       ("reflect", {"reflect_type": "odd"}),
                       ("symmetric", {"reflect_type": "odd"}),
                       ("linear_ramp", {"end_values": (1.0, -2.0)}), ("mean", {}),
                       ("mean", {"stat_length": ((1, 2), (3, 1))})]
      for pw, s in [(((1, 2), (4, 0)), (3, 2)), (2, (2, 3))]],
    Spec("pad.reflect.3d", lambda x: tg.pad(x, ((1, 2), (0, 1), (3, 0)), "reflect"),
         lambda x: np.pad(x, ((1, 2), (0, 1), (3, 0)), "reflect"), [(2, 3, 2)]),
    Spec("pad.wrap.wide", lambda x: tg.pad(x, (5, 7), "wrap"),
         lambda x: np.pad(x, (5, 7), "wrap"), [(3,)]),
    Spec("pad.0d", lambda x: tg.pad(x, 2), lambda x: np.pad(x, 2), [()]),
    Spec("pad.size0", lambda x: tg.pad(x, 1), lambda x: np.pad(x, 1), [(0, 2)]),
    Spec("pad.none", lambda x: tg.pad(x, 0, "edge"), lambda x: np.pad(x, 0, "edge"), [(2, 2)]),
    Spec("pad.tensor_value", lambda x, c: tg.pad(x, ((1, 0), (0, 2)), constant_values=c),
         lambda x, c: np.pad(x, ((1, 0), (0, 2)), constant_values=c), [(2, 2), ()]),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)


def test_spec_ids_are_unique():
    ids = [s.id for s in SPECS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_pad_modes_against_numpy_on_many_widths():
    """Every supported mode, random widths up to three times the axis (where
    reflections repeat), 1- to 3-D: the values equal np.pad's exactly."""
    rng = np.random.default_rng(3)
    for trial in range(40):
        shape = tuple(rng.integers(1, 4, size=rng.integers(1, 4)))
        x = rng.standard_normal(shape)
        width = rng.integers(0, 3 * max(shape) + 1, size=(len(shape), 2))
        for mode, kw in [("constant", {"constant_values": 2.0}), ("edge", {}), ("reflect", {}),
                         ("symmetric", {}), ("wrap", {}), ("reflect", {"reflect_type": "odd"}),
                         ("linear_ramp", {"end_values": -1.0}), ("mean", {"stat_length": 2})]:
            got = tg.pad(tg.array(x), width, mode, **kw)
            check(f"pad {mode} {kw} width {width.tolist()}", got, np.pad(x, width, mode, **kw),
                  rtol=1e-12, atol=1e-12, x=x)


# ---- gradients with closed forms ---------------------------------------------------------
def grad_of(f, x, w):
    return tg.grad(lambda t: (f(t) * w).sum())(x).asnumpy()


def test_tile_and_repeat_gradients_sum_the_copies():
    x = np.arange(3.0)
    w = np.arange(12.0).reshape(2, 6)
    check("tile gradient", grad_of(lambda t: tg.tile(t, (2, 2)), x, w),
          w.reshape(2, 2, 3).sum(axis=(0, 1)))
    w = np.arange(6.0)
    check("repeat gradient", grad_of(lambda t: tg.repeat(t, [3, 0, 3]), x, w),
          [0 + 1 + 2, 0.0, 3 + 4 + 5])


def test_pad_gradient_counts_each_source_element():
    """edge padding copies the end elements: their gradient is 1 + the pad width."""
    x = np.arange(4.0)
    check("edge", grad_of(lambda t: tg.pad(t, (2, 3), "edge"), x, np.ones(9)), [3, 1, 1, 4])
    check("reflect", grad_of(lambda t: tg.pad(t, (2, 1), "reflect"), x, np.ones(7)),
          [1, 2, 3, 1])
    check("wrap", grad_of(lambda t: tg.pad(t, (5, 0), "wrap"), x, np.ones(9)), [2, 2, 2, 3])
    check("constant", grad_of(lambda t: tg.pad(t, 3, constant_values=7.0), x, np.ones(10)),
          np.ones(4))
    c = tg.array(0.5)
    g = tg.grad(lambda c: tg.pad(tg.array(x), (2, 1), constant_values=c).sum())(c)
    check("gradient of a tensor constant_values: one per padded place", g, 3.0)


def test_pad_keeps_infinities_that_numpy_keeps():
    """Constant padding scatters (no product with a mask): an inf inside stays
    inf and the padding stays finite, as np.pad gives."""
    x = np.array([1.0, np.inf, -np.inf])
    np.testing.assert_array_equal(tg.pad(tg.array(x), 2).asnumpy(), np.pad(x, 2))
    np.testing.assert_array_equal(tg.pad(tg.array(x), 2, "reflect").asnumpy(),
                                  np.pad(x, 2, "reflect"))


def test_split_returns_a_list_of_recorded_tensors():
    x = tg.array(np.arange(6.0))
    x.attach_grad()
    with autograd.record():
        parts = tg.split(x, 3)
        assert isinstance(parts, list) and len(parts) == 3
        y = parts[0].sum() + 2.0 * parts[2].sum()
    y.backward()
    check("gradient", x.grad, [1, 1, 0, 0, 2, 2])


def test_float32_stays_float32():
    x = tg.array(np.arange(6.0).reshape(2, 3), dtype="float32")
    for f in (lambda t: tg.pad(t, 1, "mean"), lambda t: tg.pad(t, 1, constant_values=2.0),
              lambda t: tg.tile(t, 2), lambda t: tg.roll(t, 1), lambda t: tg.rot90(t),
              lambda t: tg.vstack([t, t]), lambda t: tg.block([[t, t]]),
              lambda t: tg.reshape(t, -1, order="F")):
        assert f(x).dtype == np.float32


def test_dtype_keyword_of_the_joins():
    a = tg.array([1.0, 2.0], dtype="float32")
    assert tg.concatenate([a, a], dtype="float64").dtype == np.float64
    assert tg.stack([a, a], dtype=np.float64).dtype == np.float64
    assert tg.vstack([a, a], dtype="float64").dtype == np.float64
    with pytest.raises(TypeError, match="float32 or float64"):
        tg.hstack([a, a], dtype=int)


# ---- errors as NumPy raises them ------------------------------------------------------------
@pytest.mark.parametrize("call, exc, match", [
    (lambda x: tg.reshape(x, (4, 2)), ValueError, "cannot reshape"),
    (lambda x: tg.reshape(x, (3, 2), order="A"), ValueError, "memory layout"),
    (lambda x: tg.reshape(x, (3, 2), order="Q"), ValueError, "'C' .* or 'F'"),
    (lambda x: tg.reshape(x), TypeError, "missing the shape"),
    (lambda x: tg.transpose(x, (0, 2)), np.exceptions.AxisError, "axis 2 is out of bounds"),
    (lambda x: tg.transpose(x, (0, 0)), ValueError, "not a permutation"),
    (lambda x: tg.moveaxis(x, 0, 5), np.exceptions.AxisError, "moveaxis"),
    (lambda x: tg.moveaxis(x, (0, 0), (0, 1)), ValueError, "repeated axis"),
    (lambda x: tg.moveaxis(x, (0, 1), 0), ValueError, "same number of elements"),
    (lambda x: tg.split(x, 4, axis=1), ValueError, "equal division"),
    (lambda x: tg.split(x, 0), ValueError, "larger than 0"),
    (lambda x: tg.dsplit(x, 2), ValueError, "3 or more dimensions"),
    (lambda x: tg.hsplit(tg.array(1.0), 1), ValueError, "1 or more dimensions"),
    (lambda x: tg.tile(x, (-1,)), ValueError, "negative"),
    (lambda x: tg.repeat(x, -1), ValueError, "negative"),
    (lambda x: tg.repeat(x, 1.5), TypeError, "integers"),
    (lambda x: tg.repeat(x, 2, axis=2), np.exceptions.AxisError, "repeat"),
    (lambda x: tg.flip(x, 2), np.exceptions.AxisError, "flip"),
    (lambda x: tg.fliplr(tg.array([1.0])), ValueError, ">= 2-d"),
    (lambda x: tg.flipud(tg.array(1.0)), ValueError, ">= 1-d"),
    (lambda x: tg.roll(x, (1, 2), (0, 1, 0)), ValueError, "shape mismatch"),
    (lambda x: tg.rot90(x, 1, (0, 0)), ValueError, "different"),
    (lambda x: tg.rot90(x, 1, (0, 3)), ValueError, "out of range"),
    (lambda x: tg.rot90(x, 1, (0,)), ValueError, "len\\(axes\\) must be 2"),
    (lambda x: tg.pad(x, 1, "maximum"), NotImplementedError, "not supported"),
    (lambda x: tg.pad(x, 1, "edge", constant_values=1), ValueError, "unsupported keyword"),
    (lambda x: tg.pad(x, 1.5), TypeError, "integral"),
    (lambda x: tg.pad(x, -1), ValueError, "negative"),
    (lambda x: tg.pad(x, 1, constant_values=tg.array([1.0, 2.0])), TypeError, "one value"),
    (lambda x: tg.block([x, [x]]), ValueError, "depths are mismatched"),
    (lambda x: tg.block([]), ValueError, "cannot be empty"),
    (lambda x: tg.block((x, x)), TypeError, "tuple"),
    (lambda x: tg.concatenate([x, x], out=x), TypeError, "out= is not supported"),
    (lambda x: tg.broadcast_arrays(x, tg.ones(4)), ValueError, "do not broadcast"),
])
def test_argument_errors(call, exc, match):
    x = tg.array(np.arange(6.0).reshape(2, 3))
    with pytest.raises(exc, match=match):
        call(x)


# ---- second oracles ---------------------------------------------------------------------------
ORACLE_CASES = [
    # name, tapegrad, jax.numpy (jnp passed in), torch (torch passed in; None: skip), shape
    ("tile", lambda x: tg.tile(x, (2, 3)), lambda j, x: j.tile(x, (2, 3)),
     lambda t, x: x.tile((2, 3)), (2, 3)),
    ("repeat", lambda x: tg.repeat(x, [1, 3], axis=0),
     lambda j, x: j.repeat(x, np.array([1, 3]), axis=0),
     lambda t, x: x.repeat_interleave(t.tensor([1, 3]), dim=0), (2, 3)),
    ("flip", lambda x: tg.flip(x, (0, 2)), lambda j, x: j.flip(x, (0, 2)),
     lambda t, x: x.flip((0, 2)), (2, 3, 2)),
    ("roll", lambda x: tg.roll(x, (1, -4), (0, 1)), lambda j, x: j.roll(x, (1, -4), (0, 1)),
     lambda t, x: x.roll((1, -4), (0, 1)), (3, 5)),
    ("rot90", lambda x: tg.rot90(x, 3, (1, 2)), lambda j, x: j.rot90(x, 3, (1, 2)),
     lambda t, x: t.rot90(x, 3, (1, 2)), (2, 3, 4)),
    ("pad.reflect", lambda x: tg.pad(x, ((1, 2), (2, 1)), "reflect"),
     lambda j, x: j.pad(x, ((1, 2), (2, 1)), "reflect"),
     lambda t, x: t.nn.functional.pad(x[None], (2, 1, 1, 2), mode="reflect")[0], (3, 4)),
    ("pad.edge", lambda x: tg.pad(x, ((1, 2), (2, 1)), "edge"),
     lambda j, x: j.pad(x, ((1, 2), (2, 1)), "edge"),
     lambda t, x: t.nn.functional.pad(x[None], (2, 1, 1, 2), mode="replicate")[0], (3, 4)),
    ("pad.wrap", lambda x: tg.pad(x, ((1, 2), (2, 1)), "wrap"),
     lambda j, x: j.pad(x, ((1, 2), (2, 1)), "wrap"),
     lambda t, x: t.nn.functional.pad(x[None], (2, 1, 1, 2), mode="circular")[0], (3, 4)),
    ("pad.linear_ramp", lambda x: tg.pad(x, 2, "linear_ramp", end_values=1.0),
     lambda j, x: j.pad(x, 2, "linear_ramp", end_values=1.0), None, (3, 4)),
    ("pad.mean", lambda x: tg.pad(x, (1, 2), "mean", stat_length=2),
     lambda j, x: j.pad(x, (1, 2), "mean", stat_length=2), None, (3, 4)),
    ("moveaxis", lambda x: tg.moveaxis(x, (0, 1), (2, 0)),
     lambda j, x: j.moveaxis(x, (0, 1), (2, 0)),
     lambda t, x: t.movedim(x, (0, 1), (2, 0)), (2, 3, 4)),
    ("reshape.F", lambda x: tg.reshape(x, (4, 3), order="F"),
     lambda j, x: j.reshape(x, (4, 3), order="F"), None, (2, 6)),
    ("block", lambda x: tg.block([[x, 2 * x], [x[:1], x[:1]]]),
     lambda j, x: j.block([[x, 2 * x], [x[:1], x[:1]]]), None, (2, 2)),
    ("split", lambda x: tg_join(tg.array_split(x, 3, axis=1)),
     lambda j, x: weighted(j.array_split(x, 3, axis=1), j.concatenate),
     lambda t, x: weighted(t.tensor_split(x, 3, dim=1), t.cat), (2, 7)),
]


def _head(shape_out, seed=11):
    return np.random.default_rng(seed).standard_normal(shape_out)


@pytest.mark.parametrize("case", ORACLE_CASES, ids=[c[0] for c in ORACLE_CASES])
def test_against_jax(case):
    jax = jax64()
    jnp = jax.numpy
    name, f, fj, _, shape = case
    x = np.random.default_rng(5).standard_normal(shape)
    y = f(tg.array(x))
    check(f"{name}: value vs jax", y, np.asarray(fj(jnp, jnp.asarray(x))))
    w = _head(y.shape)
    got = grad_of(f, x, w)
    want = jax.grad(lambda z: jnp.sum(fj(jnp, z) * w))(jnp.asarray(x))
    check(f"{name}: gradient vs jax", got, np.asarray(want), x=x)
    hv = np.random.default_rng(6).standard_normal(shape)
    _, jt = tg.jvp(f, (tg.array(x),), (hv,))
    _, want_t = jax.jvp(lambda z: fj(jnp, z), (jnp.asarray(x),), (jnp.asarray(hv),))
    check(f"{name}: tangent vs jax", jt, np.asarray(want_t), x=x)


@pytest.mark.parametrize("case", [c for c in ORACLE_CASES if c[3] is not None],
                         ids=[c[0] for c in ORACLE_CASES if c[3] is not None])
def test_against_torch(case):
    torch = pytest.importorskip("torch")
    name, f, _, ft, shape = case
    x = np.random.default_rng(5).standard_normal(shape)
    y = f(tg.array(x))
    xt = torch.tensor(x, requires_grad=True)
    yt = ft(torch, xt)
    check(f"{name}: value vs torch", y, yt.detach().numpy())
    w = _head(y.shape)
    (yt * torch.tensor(w)).sum().backward()
    check(f"{name}: gradient vs torch", grad_of(f, x, w), xt.grad.numpy(), x=x)


def test_the_table_covers_0d_and_size_0_inputs():
    shapes = [s for spec in SPECS for s in spec.shapes]
    assert () in shapes and any(0 in s for s in shapes)
