"""NumPy's protocols on tensors, and data holding tensors (issue 14, item 1).

* NumPy's ufuncs and functions on tensors (``np.exp(t)``, ``ndarray + t``,
  ``np.sum(t, axis=0)``, ``np.add.reduce``...) go through the shared surface
  checks (value, reverse and forward vs central differences, second order,
  batched Jacobians, float32), and record exactly the nodes the ``tg.`` call
  records;
* ``out=``, ``dtype=``, ``where=``, ``initial=`` and the ufunc methods;
* what cannot be differentiated raises TypeError naming the function, the
  ``tg.`` alternative and ``np.asarray(t)``; plain tensors (nothing being
  differentiated) give NumPy's arrays; integer and boolean results are plain
  arrays always;
* ``tg.array``/``tg.asarray``/``tg.full``/any ``tg.f`` given lists holding
  tensors record them (``stack``), and ``zeros_like``/``ones_like`` stay
  constants.
"""
import inspect

import numpy as np
import pytest
import scipy.special

import tapegrad as tg
from tapegrad import autograd, errors
from tapegrad.ops import REGISTRY, public_entries
from tapegrad.ops._registry import composite, unregister

from surface import Spec, check_all

C3 = np.array([0.7, -1.3, 2.1])
C3P = np.array([0.7, 1.3, 2.1])
C23 = np.array([[0.5, -1.0, 1.5], [0.3, 0.2, -0.7]])
MASK3 = np.array([True, False, True])
MASK23 = np.array([[True, False, True], [False, True, True]])


def _like(c, x):
    return c.astype(x.dtype)


def _distinct(rng, shape):
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n / 2) * 0.3 + rng.uniform(0, 0.05, n)).reshape(shape)


def _away_from_half(rng, shape):
    x = rng.uniform(-1.0, 1.0, shape)
    return np.where(np.abs(np.abs(x) - 0.5) < 0.05, 0.2, x)


# ---- NumPy calls on tensors, through the shared checks -----------------------------
# Each Spec's fn is the NumPy call (applied to tensors), its ref the same call
# on arrays: so check_value also asserts that the result is a Tensor.
SPECS = [
    # ufuncs
    Spec("np.exp", np.exp, np.exp, [(2, 3)]),
    Spec("np.log", np.log, np.log, [(3,)], domain=(0.5, 2.0)),
    Spec("np.sin", np.sin, np.sin, [(3,)]),
    Spec("np.tanh", np.tanh, np.tanh, [(3,)]),
    Spec("np.sqrt", np.sqrt, np.sqrt, [(3,)], domain=(0.5, 2.0)),
    Spec("np.square", np.square, np.square, [(3,)]),
    Spec("np.absolute", np.absolute, np.absolute, [(4,)], domain=(0.3, 2.0)),
    Spec("np.fabs", np.fabs, np.fabs, [(4,)], domain=(0.3, 2.0)),
    Spec("np.negative", np.negative, np.negative, [(3,)]),
    Spec("np.positive", np.positive, np.positive, [(3,)]),
    Spec("np.add", np.add, np.add, [(2, 3), (3,)]),
    Spec("np.subtract", np.subtract, np.subtract, [(3,), (2, 3)]),
    Spec("np.multiply.scalar", lambda x: np.multiply(x, 2), lambda x: np.multiply(x, 2),
         [(3,)]),
    Spec("np.true_divide", np.true_divide, np.true_divide, [(3,), (3,)],
         domain=[(-2, 2), (0.5, 2.0)]),
    Spec("np.power", np.power, np.power, [(3,), (3,)], domain=[(0.5, 2.0), (-1.5, 1.5)]),
    Spec("np.maximum", np.maximum, np.maximum, [(4,), (4,)], domain=_distinct),
    Spec("np.minimum", np.minimum, np.minimum, [(4,), (4,)], domain=_distinct),
    Spec("np.matmul", np.matmul, np.matmul, [(2, 3), (3, 2)]),
    # ndarray (op) tensor: NumPy calls the ufunc, which asks the tensor
    # (the constant in the tensor's dtype, so float32 stays float32 as NumPy does)
    Spec("ndarray+t", lambda x: _like(C3, x) + x, lambda x: C3 + x, [(2, 3)]),
    Spec("ndarray-t", lambda x: _like(C3, x) - x, lambda x: C3 - x, [(3,)]),
    Spec("ndarray*t", lambda x: _like(C23, x) * x, lambda x: C23 * x, [(2, 3)]),
    Spec("ndarray/t", lambda x: _like(C3, x) / x, lambda x: C3 / x, [(3,)], domain=(0.5, 2.0)),
    Spec("ndarray**t", lambda x: _like(C3P, x) ** x, lambda x: C3P ** x, [(3,)]),
    Spec("ndarray@t", lambda x: _like(C23, x) @ x, lambda x: C23 @ x, [(3, 2)]),
    Spec("float64*t", lambda x: np.float64(1.5) * x, lambda x: np.float64(1.5) * x, [(3,)]),
    # array functions
    Spec("np.sum.axis", lambda x: np.sum(x, axis=0), lambda x: np.sum(x, axis=0), [(2, 3)]),
    Spec("np.sum.keepdims", lambda x: np.sum(x, (0, 2), keepdims=True),
         lambda x: np.sum(x, (0, 2), keepdims=True), [(2, 3, 2)]),
    Spec("np.sum.initial", lambda x: np.sum(x, initial=1.5), lambda x: np.sum(x, initial=1.5),
         [(3,)]),
    Spec("np.sum.where", lambda x: np.sum(x, axis=1, where=MASK23),
         lambda x: np.sum(x, axis=1, where=MASK23), [(2, 3)]),
    Spec("np.mean", np.mean, np.mean, [(2, 3)]),
    Spec("np.mean.where", lambda x: np.mean(x, axis=1, where=MASK23),
         lambda x: np.mean(x, axis=1, where=MASK23), [(2, 3)]),
    Spec("np.prod.initial", lambda x: np.prod(x, axis=0, initial=2.0),
         lambda x: np.prod(x, axis=0, initial=2.0), [(2, 3)], domain=(0.5, 1.5)),
    Spec("np.max.axis", lambda x: np.max(x, axis=1), lambda x: np.max(x, axis=1), [(2, 3)],
         domain=_distinct),
    Spec("np.amin", np.amin, np.amin, [(2, 3)], domain=_distinct),
    Spec("np.max.where", lambda x: np.max(x, where=MASK3, initial=-9.0),
         lambda x: np.max(x, where=MASK3, initial=-9.0), [(3,)], domain=_distinct),
    Spec("np.dot.ndarray", lambda x: np.dot(_like(C23, x), x), lambda x: np.dot(C23, x),
         [(3,)]),
    Spec("np.dot", np.dot, np.dot, [(2, 3), (3,)]),
    Spec("np.outer", np.outer, np.outer, [(3,), (2,)]),
    Spec("np.concatenate", lambda x: np.concatenate([x, _like(C3, x)]),
         lambda x: np.concatenate([x, C3]), [(3,)]),
    Spec("np.concatenate.axis1", lambda a, b: np.concatenate((a, b), axis=1),
         lambda a, b: np.concatenate((a, b), axis=1), [(2, 1), (2, 3)]),
    Spec("np.stack", lambda a, b: np.stack([a, b], axis=-1),
         lambda a, b: np.stack([a, b], axis=-1), [(3,), (3,)]),
    Spec("np.where", lambda x: np.where(MASK3, x, 0), lambda x: np.where(MASK3, x, 0), [(3,)]),
    Spec("np.where.two", lambda a, b: np.where(MASK23, a, b),
         lambda a, b: np.where(MASK23, a, b), [(2, 3), (3,)]),
    Spec("np.reshape", lambda x: np.reshape(x, (3, 2)), lambda x: np.reshape(x, (3, 2)),
         [(2, 3)]),
    Spec("np.reshape.kw", lambda x: np.reshape(x, shape=-1), lambda x: np.reshape(x, shape=-1),
         [(2, 3)]),
    Spec("np.transpose", np.transpose, np.transpose, [(2, 3)]),
    Spec("np.transpose.axes", lambda x: np.transpose(x, (1, 2, 0)),
         lambda x: np.transpose(x, (1, 2, 0)), [(2, 3, 2)]),
    Spec("np.permute_dims", lambda x: np.permute_dims(x, (1, 0)),
         lambda x: np.permute_dims(x, (1, 0)), [(2, 3)]),
    Spec("np.swapaxes", lambda x: np.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2),
         [(2, 3, 2)]),
    Spec("np.expand_dims", lambda x: np.expand_dims(x, 1), lambda x: np.expand_dims(x, 1),
         [(3,)]),
    Spec("np.squeeze", np.squeeze, np.squeeze, [(1, 3, 1)]),
    Spec("np.broadcast_to", lambda x: np.broadcast_to(x, (2, 3)),
         lambda x: np.broadcast_to(x, (2, 3)), [(3,)]),
    Spec("np.clip", lambda x: np.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), [(4,)],
         domain=_away_from_half),
    Spec("np.clip.min_max", lambda x: np.clip(x, min=-0.5, max=0.5),
         lambda x: np.clip(x, min=-0.5, max=0.5), [(4,)], domain=_away_from_half),
    Spec("np.linalg.matmul", np.linalg.matmul, np.linalg.matmul, [(2, 3), (3, 2)]),
    Spec("np.copy", np.copy, np.copy, [(3,)]),
    Spec("np.real", np.real, np.real, [(3,)]),
    # ufunc methods
    Spec("np.add.reduce", lambda x: np.add.reduce(x, axis=1),
         lambda x: np.add.reduce(x, axis=1), [(2, 3)]),
    Spec("np.add.reduce.default_axis", np.add.reduce, np.add.reduce, [(2, 3)]),
    Spec("np.multiply.reduce", lambda x: np.multiply.reduce(x, axis=None),
         lambda x: np.multiply.reduce(x, axis=None), [(2, 3)], domain=(0.5, 1.5)),
    Spec("np.maximum.reduce", lambda x: np.maximum.reduce(x, axis=0, keepdims=True),
         lambda x: np.maximum.reduce(x, axis=0, keepdims=True), [(2, 3)], domain=_distinct),
    Spec("np.minimum.reduce.initial", lambda x: np.minimum.reduce(x, initial=0.0),
         lambda x: np.minimum.reduce(x, initial=0.0), [(4,)], domain=_distinct),
    Spec("np.logaddexp.reduce", lambda x: np.logaddexp.reduce(x, axis=1),
         lambda x: np.logaddexp.reduce(x, axis=1), [(2, 3)]),
    Spec("np.add.outer", np.add.outer, np.add.outer, [(3,), (2,)]),
    Spec("np.multiply.outer", np.multiply.outer, np.multiply.outer, [(2, 2), (3,)]),
    Spec("np.maximum.accumulate", lambda x: np.maximum.accumulate(x, axis=1),
         lambda x: np.maximum.accumulate(x, axis=1), [(2, 4)], domain=_distinct),
    Spec("np.minimum.accumulate", np.minimum.accumulate, np.minimum.accumulate, [(4, 2)],
         domain=_distinct),
    # where= on an elementwise ufunc: masked-out elements are 0 (NumPy leaves
    # them uninitialized) and get no gradient
    Spec("np.exp.where", lambda x: np.exp(x, where=MASK3),
         lambda x: np.where(MASK3, np.exp(x), 0.0), [(2, 3)]),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_numpy_call_on_tensors(spec):
    check_all(spec)


# ---- exactly the tg. call's recording ------------------------------------------------
PAIRS = [
    ("np.exp", lambda x: np.exp(x), lambda x: tg.exp(x)),
    ("np.sum", lambda x: np.sum(x, axis=0), lambda x: tg.sum(x, axis=0)),
    ("np.dot", lambda x: np.dot(C23, x), lambda x: tg.dot(C23, x)),
    ("np.concatenate", lambda x: np.concatenate([x, C3]), lambda x: tg.concatenate([x, C3])),
    ("np.where", lambda x: np.where(MASK3, x, 0), lambda x: tg.where(MASK3, x, 0)),
    ("np.reshape", lambda x: np.reshape(x, (3, 1)), lambda x: tg.reshape(x, (3, 1))),
    ("np.clip", lambda x: np.clip(x, 0, 1), lambda x: tg.clip(x, 0, 1)),
    ("np.multiply", lambda x: np.multiply(x, 2), lambda x: tg.multiply(x, 2)),
    ("ndarray+t", lambda x: C3 + x, lambda x: tg.add(C3, x)),
    ("np.mean", lambda x: np.mean(x), lambda x: tg.mean(x)),
    ("np.add.reduce", lambda x: np.add.reduce(x), lambda x: tg.sum(x, axis=0)),
]


@pytest.mark.parametrize("name, np_call, tg_call", PAIRS, ids=[p[0] for p in PAIRS])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_numpy_call_records_what_the_tg_call_records(name, np_call, tg_call, dtype):
    grads, nodes, outs = [], [], []
    for call in (np_call, tg_call):
        x = tg.array([0.3, 1.2, 0.8], dtype=dtype)
        x.attach_grad()
        with autograd.record():
            y = call(x)
            s = (y * y).sum()
        nodes.append(s._tape.num_nodes)
        outs.append((y.asnumpy(), y.dtype))
        s.backward()
        grads.append(x.grad.asnumpy())
    assert nodes[0] == nodes[1], f"{name}: {nodes[0]} nodes recorded, the tg. call {nodes[1]}"
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    assert outs[0][1] == outs[1][1]
    np.testing.assert_array_equal(grads[0], grads[1])


def test_issue_example_gradient_of_numpy_code():
    """The issue's example: (np.exp(t) * t).sum() differentiates fully."""
    t = tg.array([1.0, 2.0])
    t.attach_grad()
    with autograd.record():
        y = (np.exp(t) * t).sum()
    y.backward()
    np.testing.assert_allclose(t.grad.asnumpy(), np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))
    np.testing.assert_allclose(t.grad.asnumpy(), [5.43656366, 22.1671683], rtol=1e-8)


def test_transforms_see_through_numpy_calls():
    def f(x):
        return np.sum(np.sin(x) * np.concatenate([x[1:], np.ones(1)]))
    x0 = np.array([0.3, -0.7, 1.1])
    g = tg.grad(f)(x0)
    want = np.cos(x0) * np.r_[x0[1:], 1.0] + np.r_[0.0, np.sin(x0[:-1])]
    np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-12)
    jr = tg.jacobian(lambda x: np.exp(x) * C3, mode="rev")(x0)
    jf = tg.jacobian(lambda x: np.exp(x) * C3, mode="fwd")(x0)
    np.testing.assert_allclose(jr.asnumpy(), np.diag(np.exp(x0) * C3), rtol=1e-12)
    np.testing.assert_allclose(jf.asnumpy(), np.diag(np.exp(x0) * C3), rtol=1e-12)
    _, t = tg.jvp(lambda x: np.tanh(x).sum(), (x0,), (np.ones(3),))
    np.testing.assert_allclose(float(t), np.sum(1 - np.tanh(x0) ** 2), rtol=1e-12)


# ---- out=, dtype=, where= -----------------------------------------------------------
def _var(values=(0.3, 1.2, 0.8), dtype=None):
    x = tg.array(list(values), dtype=dtype)
    x.attach_grad()
    return x


def test_out_none_is_the_plain_call():
    x = _var()
    with autograd.record():
        y = np.exp(x, out=None)
        z = np.sum(x, out=None)
    assert y._tape is not None and z._tape is not None


@pytest.mark.parametrize("call", [lambda x, o: np.exp(x, out=o),
                                  lambda x, o: np.multiply(x, 2.0, o),
                                  lambda x, o: np.sum(x, axis=0, out=o[0:1].reshape(()))])
def test_out_array_of_a_differentiated_tensor_is_refused(call):
    x = _var()
    out = np.zeros(3)
    with autograd.record():
        with pytest.raises(TypeError, match="out=") as e:
            call(x, out)
    assert "gradient" in str(e.value)
    np.testing.assert_array_equal(out, 0.0)         # refused before writing


def test_out_of_a_plain_tensor_is_written():
    x = tg.array([0.3, 1.2, 0.8])
    out = np.zeros(3)
    r = np.exp(x, out=out)
    assert r is out
    np.testing.assert_allclose(out, np.exp([0.3, 1.2, 0.8]))
    t = tg.zeros(3)
    ver = t._ver.n
    r = np.multiply(x, 2.0, out=t)
    assert r is t and t._ver.n > ver
    np.testing.assert_allclose(t.asnumpy(), [0.6, 2.4, 1.6])
    r = np.floor(x, out=t)                           # not differentiable, plain: NumPy's
    assert r is t
    np.testing.assert_allclose(t.asnumpy(), [0.0, 1.0, 0.0])


def test_out_into_a_differentiated_tensor_is_refused():
    x = _var()
    with autograd.record():
        with pytest.raises(TypeError, match="in place"):
            np.exp(np.ones(3), out=x)
        with pytest.raises(TypeError, match="in place"):
            np.abs(C3, x)                            # out by position
    np.testing.assert_array_equal(x.asnumpy(), [0.3, 1.2, 0.8])


def test_inplace_operator_on_ndarray_with_a_differentiated_tensor_is_refused():
    x = _var()
    a = np.ones(3)
    with autograd.record():
        with pytest.raises(TypeError, match="out="):
            a += x
    np.testing.assert_array_equal(a, 1.0)
    b = np.ones(3)
    b += tg.array([1.0, 2.0, 3.0])                   # plain tensor: NumPy's in-place add
    np.testing.assert_array_equal(b, [2.0, 3.0, 4.0])


@pytest.mark.parametrize("call", [lambda x, d: np.exp(x, dtype=d),
                                  lambda x, d: np.sum(x, dtype=d),
                                  lambda x, d: np.mean(x, axis=0, dtype=d),
                                  lambda x, d: np.add.reduce(x, dtype=d),
                                  lambda x, d: np.concatenate([x, x], dtype=d)])
@pytest.mark.parametrize("src, dst", [("float64", "float32"), ("float32", "float64")])
def test_dtype_float_is_recorded(call, src, dst):
    x = _var(dtype=src)
    with autograd.record():
        y = call(x, np.dtype(dst))
        s = y.sum()
    assert y.dtype == np.dtype(dst)
    s.backward()
    assert x.grad.dtype == np.dtype(src)
    assert np.all(x.grad.asnumpy() != 0)


@pytest.mark.parametrize("dtype", [np.int64, "int32", bool, np.complex128, np.float16])
def test_dtype_other_than_float32_float64_is_a_clear_error(dtype):
    x = _var()
    for call in (lambda: np.exp(x, dtype=dtype), lambda: np.sum(x, dtype=dtype)):
        with pytest.raises(TypeError, match="float32 or float64") as e:
            call()
        assert isinstance(e.value, errors.DTypeError)
        assert "dtype=" in str(e.value)


def test_where_elementwise_masked_elements_get_no_gradient_and_no_nan():
    x = _var((0.0, 2.0, -1.0))
    with autograd.record():
        y = np.log(x, where=np.asarray(x) > 0)
        s = y.sum()
    np.testing.assert_array_equal(y.asnumpy(), [0.0, np.log(2.0), 0.0])
    s.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.5, 0.0])


def test_where_with_out_keeps_the_unmasked_values_of_a_plain_call():
    x = tg.array([1.0, 2.0, 3.0])
    out = np.full(3, -5.0)
    np.exp(x, where=MASK3, out=out)
    np.testing.assert_allclose(out, [np.e, -5.0, np.exp(3.0)])


def test_where_reduction_without_identity_needs_initial():
    x = _var()
    with pytest.raises(ValueError, match="initial"):
        np.max(x, where=MASK3)
    with pytest.raises(ValueError, match="initial"):
        np.max(np.asarray(x), where=MASK3)           # as NumPy


def test_unsupported_keyword_of_a_mapped_function():
    """A NumPy keyword the tapegrad function lacks: TypeError naming it and
    the tg. function; NumPy's default given explicitly is fine; a plain
    tensor goes to NumPy."""
    name = _unregistered(["ediff1d", "trim_zeros", "nanprod", "sinc", "fix", "fliplr",
                          "unwrap", "histogram_bin_edges"])

    def toy(x):
        return tg.multiply(x, 3.0)
    composite(name)(toy)
    try:
        params = list(inspect.signature(getattr(np, name)).parameters.values())[1:]
        kw = next(p for p in params if p.default is not inspect.Parameter.empty)
        other = 1 if kw.default is None or kw.default is np._NoValue else None
        x = _var()
        with autograd.record():
            with pytest.raises(TypeError, match=rf"np\.{name}") as e:
                getattr(np, name)(x, **{kw.name: other})
            assert kw.name in str(e.value) and f"tg.{name}" in str(e.value)
            if kw.default is not np._NoValue:
                y = getattr(np, name)(x, **{kw.name: kw.default})
                assert y._tape is not None
    finally:
        unregister(REGISTRY[name])
    with autograd.record():
        with pytest.raises(TypeError, match=r"np\.matmul"):
            np.matmul(x, x, axes=[(0,), (0,), ()])
    r = np.matmul(tg.array([1.0, 2.0]), tg.array([1.0, 2.0]), axes=[(0,), (0,), ()])
    assert not isinstance(r, tg.Tensor) and r == 5.0


# ---- ufunc methods --------------------------------------------------------------------
def test_maximum_accumulate_ties_and_nan():
    """The gradient of a running maximum goes to the first position among
    ties; a NaN, once met, stays the maximum (as NumPy)."""
    x = _var((1.0, 3.0, 3.0, 2.0, 5.0))
    with autograd.record():
        y = np.maximum.accumulate(x)
    np.testing.assert_array_equal(y.asnumpy(), [1, 3, 3, 3, 5])
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1, 3, 0, 0, 1])
    z = np.minimum.accumulate(tg.array([2.0, np.nan, 1.0]))
    np.testing.assert_array_equal(z.asnumpy(), np.minimum.accumulate([2.0, np.nan, 1.0]))


def test_accumulate_and_reduce_without_a_tg_function():
    x = _var()
    if "cumsum" in public_entries():
        with autograd.record():
            assert np.add.accumulate(x)._tape is not None
    else:
        with pytest.raises(TypeError, match=r"np\.add\.accumulate"):
            np.add.accumulate(x)
    with pytest.raises(TypeError, match=r"np\.subtract\.reduce"):
        np.subtract.reduce(x)
    assert type(np.subtract.reduce(tg.array([3.0, 1.0]))) is np.float64


def test_ufunc_at_in_place():
    t = tg.zeros(4)
    ver = t._ver.n
    assert np.add.at(t, [0, 0, 2], 1.0) is None
    np.testing.assert_array_equal(t.asnumpy(), [2, 0, 1, 0])
    assert t._ver.n > ver
    x = _var()
    a = np.zeros(3)
    with autograd.record():
        with pytest.raises(TypeError, match=r"np\.add\.at"):
            np.add.at(a, [0], x[:1])
    np.testing.assert_array_equal(a, 0.0)


def test_ufunc_outer_of_a_differentiated_tensor():
    x = _var()
    with autograd.record():
        y = np.subtract.outer(x, C3)
    assert y.shape == (3, 3) and y._tape is not None
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [3.0, 3.0, 3.0])


# ---- what cannot be differentiated ----------------------------------------------------
def test_not_differentiable_raises_type_error_naming_the_way_out():
    x = _var()
    with autograd.record():
        with pytest.raises(TypeError) as e:
            np.histogram(x)
    msg = str(e.value)
    assert isinstance(e.value, errors.NotDifferentiableError)
    assert "np.histogram" in msg and "np.asarray(t)" in msg and "gradient" in msg


def test_not_differentiable_names_the_tg_alternative():
    """np.linalg.<f> without a tg.linalg entry, where tg.<f> exists: the
    message points to it."""
    name = next((n for n in ("eigvals", "eig", "tensorinv", "cond")
                 if n not in public_entries("linalg") and n not in public_entries()), None)
    if name is None:
        pytest.skip("every candidate name is registered")

    def toy(x):
        return tg.multiply(x, 2.0)
    composite(name)(toy)
    try:
        x = tg.array([[2.0, 0.5], [0.5, 1.0]])
        x.attach_grad()
        with pytest.raises(TypeError, match=rf"np\.linalg\.{name}.*tg\.{name}"):
            getattr(np.linalg, name)(x)
    finally:
        unregister(REGISTRY[name])


def test_not_differentiable_outside_record_on_a_variable_and_with_tangents():
    """A variable (even outside record()) and a tensor carrying forward-mode
    tangents are being differentiated: refused."""
    x = _var()
    name = _unregistered(("gradient", "ediff1d", "histogram_bin_edges", "unwrap", "ptp"))
    with pytest.raises(TypeError, match=f"np.{name}"):
        getattr(np, name)(x)
    with pytest.raises(TypeError, match="np.histogram"):
        tg.jvp(lambda t: np.histogram(t)[1], (np.array([0.1, 0.5]),), (np.ones(2),))
    with pytest.raises(TypeError, match="np.histogram"):
        tg.grad(lambda t: np.histogram(t)[1].sum())(np.array([0.1, 0.5]))


def test_plain_tensor_gives_numpy_results():
    """Nothing is being differentiated: a function tapegrad lacks is NumPy's
    own, on the values (a plain array); a mapped one still gives a tensor."""
    t = tg.array([3.0, 1.0, 2.0])
    r = np.histogram(t, bins=2)
    assert type(r[1]) is np.ndarray
    np.testing.assert_array_equal(r[0], [1, 2])
    assert type(np.exp(t)) is tg.Tensor and np.exp(t)._tape is None


def test_integer_and_boolean_results_are_plain_arrays():
    x = _var((0.3, np.nan, 0.8))
    with autograd.record():
        results = [np.argmax(np.nan_to_num(np.asarray(x))), np.isnan(x), x > 0.5,
                   np.greater(x, 0.5), np.argsort(x), np.nonzero(x), np.shape(x), np.ndim(x),
                   np.isfinite(x), np.signbit(x), np.equal(x, x), np.where(x), np.argmax(x)]
    for r in results:
        leaves = r if isinstance(r, tuple) else (r,)
        for leaf in leaves:
            assert not isinstance(leaf, tg.Tensor)
            assert np.asarray(leaf).dtype.kind in "biu", leaf
    np.testing.assert_array_equal(np.isnan(x), [False, True, False])


def test_asarray_stays_the_explicit_way_out():
    x = _var()
    with autograd.record():
        a = np.asarray(x)
    assert type(a) is np.ndarray and not a.flags.writeable
    np.testing.assert_array_equal(a, [0.3, 1.2, 0.8])
    with pytest.raises(ValueError):
        a[0] = 1.0


def test_like_functions_give_constants_full_like_records_a_tensor_fill():
    x = _var()
    with autograd.record():
        z, o, e = np.zeros_like(x), np.ones_like(x), np.empty_like(x)
        f = np.full_like(x, x[1])
        # NumPy does not dispatch full_like on its fill value: it copies it
        # with np.copyto, which refuses a differentiated source
        with pytest.raises(TypeError, match="np.copyto"):
            np.full_like(C3, x[1])
    for c, v in ((z, 0.0), (o, 1.0)):
        assert type(c) is tg.Tensor and c._tape is None
        np.testing.assert_array_equal(c.asnumpy(), v)
    assert type(e) is tg.Tensor and e.shape == (3,)
    assert f._tape is not None
    f.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 3.0, 0.0])
    assert np.zeros_like(x, dtype=int).dtype.kind == "i"


def test_numpy_converts_a_list_before_asking_any_protocol():
    """A known limit of NumPy's protocols (documented in ops/protocols.py):
    NumPy turns a list argument into an array with np.asarray -- the explicit
    way out -- before it asks any protocol, unless the function's dispatcher
    looks into the list (concatenate, stack do).  tg.array / tg.stack make
    the list a recorded tensor first."""
    x = _var()
    with autograd.record():
        assert np.concatenate([x, x])._tape is not None      # dispatcher looks inside
        y = np.exp(tg.array([x[0], x[1]]))
    assert y._tape is not None


def test_foreign_array_types_get_their_turn():
    class Other:
        def __array_ufunc__(self, ufunc, method, *inputs, **kw):
            return "other"

    assert np.add(tg.array([1.0]), Other()) == "other"


# ---- derived from the registry ----------------------------------------------------------
def _unregistered(candidates, namespace=""):
    for name in candidates:
        if name not in public_entries(namespace) and hasattr(
                np if not namespace else getattr(np, namespace, scipy.special), name):
            return name
    pytest.skip("every candidate name is registered")


def test_an_entry_registered_later_is_mapped_by_its_numpy_name():
    name = _unregistered(["ediff1d", "trim_zeros", "nanprod", "sinc", "fix", "unwrap",
                          "histogram_bin_edges"])
    x = _var()
    with autograd.record():
        with pytest.raises(TypeError):
            getattr(np, name)(x)

    def toy(x):
        """A toy: 3 * x, registered under a NumPy name."""
        return tg.multiply(x, 3.0)
    composite(name)(toy)
    try:
        with autograd.record():
            y = getattr(np, name)(x)
        assert y._tape is not None
        y.backward()
        np.testing.assert_array_equal(x.grad.asnumpy(), 3.0)
    finally:
        unregister(REGISTRY[name])
    with pytest.raises(TypeError):
        getattr(np, name)(x)


def test_scipy_special_ufunc_maps_to_a_special_entry():
    name = _unregistered(["expit", "erf", "ndtr", "dawsn", "spence", "exprel", "j0"], "special")
    x = _var()

    def toy(x):
        return tg.sigmoid(x)
    composite(name, namespace="special")(toy)
    try:
        with autograd.record():
            y = getattr(scipy.special, name)(x)
        assert y._tape is not None
    finally:
        unregister(REGISTRY[f"special.{name}"])
    with autograd.record():
        with pytest.raises(TypeError, match=f"{name}"):
            getattr(scipy.special, name)(x)


def test_every_public_entry_with_a_numpy_function_is_mapped():
    from tapegrad.ops import protocols
    table = protocols.numpy_table()
    for ns, mod in (("", np), ("linalg", np.linalg), ("fft", np.fft)):
        for name, e in public_entries(ns).items():
            fn = getattr(mod, name, None)
            if callable(fn) and not isinstance(fn, type):
                assert table.get(fn) is not None, f"{ns}.{name}"


# ---- lists holding tensors (item 2) --------------------------------------------------------
def test_array_of_a_list_holding_tensors_records():
    assert float(tg.grad(lambda x: tg.array([x, 2 * x]).sum())(3.0)) == 3.0
    g = tg.grad(lambda x: tg.mean([x, x + 2]))(3.0)
    assert float(g) == 1.0
    g = tg.grad(lambda x: (tg.array([[x, 1.0], [2.0, x * x]]) * C23[:, :2]).sum())(3.0)
    assert float(g) == pytest.approx(0.5 + 0.2 * 6.0)


@pytest.mark.parametrize("make", [
    lambda x: tg.array([x, 2 * x]),
    lambda x: tg.asarray((x, 1.0)),
    lambda x: tg.Tensor([x, x * x]),
    lambda x: tg.array(x),
    lambda x: tg.asarray(x, dtype="float64"),
    lambda x: tg.full((2, 3), x),
    lambda x: tg.stack([[x, 1.0], [2.0, x]]),
    lambda x: tg.add(x, [x, 1.0]),
    lambda x: tg.maximum([x, 0.5], x * 0.0),
    lambda x: tg.concatenate([[x, x], np.ones(2)]),
    lambda x: tg.dot([x, 1.0], [2.0, x]),
    lambda x: tg.sum([[x, x], [x, 1.0]], axis=0),
    lambda x: tg.where([True, False], [x, x], 0.0),
])
def test_every_conversion_of_data_holding_tensors_records(make):
    """Reverse, forward and second order go through the stacked pieces."""
    def f(x):
        return (make(x) * make(x)).sum()
    x0 = 0.7
    g = tg.grad(f)(x0)
    eps = 1e-6
    fd = (float(f(tg.array(x0 + eps))) - float(f(tg.array(x0 - eps)))) / (2 * eps)
    assert float(g) == pytest.approx(fd, rel=1e-6)
    _, t = tg.jvp(f, (x0,), (1.0,))
    assert float(t) == pytest.approx(fd, rel=1e-6)
    h = tg.grad(tg.grad(f))(x0)
    fd2 = (float(tg.grad(f)(x0 + eps)) - float(tg.grad(f)(x0 - eps))) / (2 * eps)
    assert float(h) == pytest.approx(fd2, rel=1e-5, abs=1e-6)


def test_array_copies_asarray_does_not():
    x = _var()
    with autograd.record():
        a, b = tg.array(x), tg.asarray(x)
    assert a is not x and a._tape is not None
    assert b is x
    x2 = tg.array([1.0, 2.0])
    assert tg.asarray(x2) is x2
    assert tg.array(x2) is not x2 and tg.array(x2)._tape is None
    data = np.array([1.0, 2.0])
    t = tg.asarray(data)
    data[0] = 9.0
    assert t.asnumpy()[0] == 1.0            # an ndarray is copied: it cannot change behind a graph


def test_array_with_a_dtype_casts_recorded():
    x = _var(dtype="float64")
    with autograd.record():
        a = tg.array(x, dtype="float32")
        b = tg.asarray([x[0], 1.0], dtype="float32")
        s = a.sum() + b.sum()
    assert a.dtype == np.float32 and b.dtype == np.float32
    s.backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 1.0, 1.0])


def test_dtype_of_data_holding_tensors_follows_numpy():
    x32 = tg.array(1.0, dtype="float32")
    assert tg.array([x32, x32]).dtype == np.float32
    assert tg.array([x32, 2.0]).dtype == np.array([np.float32(1), 2.0]).dtype
    assert tg.array([x32, 2.0], dtype="float32").dtype == np.float32
    with pytest.raises(TypeError, match="float32 or float64"):
        tg.array([x32, 1.0], dtype=int)


def test_ragged_data_holding_tensors_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        tg.array([tg.array([1.0, 2.0]), 3.0])


def test_full_with_a_tensor_fill():
    x = tg.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = tg.full((3, 2), x)
        z = tg.full(2, x[0], dtype="float32")
        s = y.sum() + z.sum()
    assert y.shape == (3, 2) and y.dtype == np.float64 and y._tape is not None
    assert z.dtype == np.float32 and z.shape == (2,)
    s.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [5.0, 3.0])
    y[0, 0] = 5.0                             # a fresh, writable array


def test_zeros_like_ones_like_are_constants():
    x = _var()
    with autograd.record():
        z, o = tg.zeros_like(x), tg.ones_like(x)
    assert z._tape is None and o._tape is None
    assert float(tg.grad(lambda x: (tg.ones_like(x) * 2.0).sum() + x)(1.0)) == 1.0


def test_saving_a_variable_writes_its_values():
    """np.save and the like only write values out (no result to lose a
    gradient): allowed on a variable, as np.asarray would."""
    import io
    x = _var()
    buf = io.BytesIO()
    np.save(buf, x)
    buf.seek(0)
    np.testing.assert_array_equal(np.load(buf), [0.3, 1.2, 0.8])
