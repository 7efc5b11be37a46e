"""NumPy's other names (the registry's ALIASES) and the main-namespace
functions of ops/numpy_extra.py, through the shared surface checks
(surface.py), plus targeted tests at the points where the derivative is a
convention, NumPy's protocols, and torch/JAX as second oracles."""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad.ops import ALIASES, REGISTRY, public_aliases, public_entries

from oracles import jax64
from surface import Spec, check_all

# ---- aliases ----------------------------------------------------------------------------
_NS = {"": (tg, np), "linalg": (tg.linalg, np.linalg)}
_ALL = {"": tg.functions.__all__, "linalg": tg.linalg.__all__}


def _alias_rows():
    rows = []
    for key, target in ALIASES.items():
        ns, _, name = key.rpartition(".")
        rows.append((ns, name, target))
    return rows


@pytest.mark.parametrize("ns, name, target", _alias_rows(),
                         ids=[f"{n}.{a}" if n else a for n, a, _ in _alias_rows()])
def test_alias_is_its_entry(ns, name, target):
    """tg.<alias> is the entry's own function (or the alias names an entry of
    its own, e.g. amax), and every alias of the issue resolves."""
    mod, _ = _NS[ns]
    own = public_entries(ns).get(name)
    e = REGISTRY.get(target)
    assert e is not None, f"alias {name!r} names no entry {target!r}"
    if own is None:
        assert getattr(mod, name) is e.public
        assert public_aliases(ns)[name] is e
        assert name in _ALL[ns]


def test_the_issue_aliases_exist():
    want = ("absolute acos acosh asin asinh atan atan2 atanh fabs pow mod concat "
            "permute_dims conj conjugate real matrix_transpose vecdot").split()
    for name in want:
        assert callable(getattr(tg, name)), name
    assert tg.acos is tg.arccos and tg.mod is tg.remainder and tg.pow is tg.power
    assert tg.matrix_transpose is tg.linalg.matrix_transpose
    for name in "cross diagonal matmul outer tensordot trace matrix_transpose vecdot".split():
        assert callable(getattr(tg.linalg, name)), name
    assert tg.linalg.matmul is tg.matmul and tg.linalg.cross is tg.cross


def _sample_call(fn, name, conv=np.asarray):
    """fn on sample arguments fitting the function ``name`` (arrays passed
    through ``conv``: tg.array for tapegrad's functions)."""
    rng = np.random.default_rng(0)
    a = conv(rng.uniform(0.2, 0.9, (3, 3)))
    b = conv(rng.uniform(1.1, 1.9, (3, 3)))
    if name in ("acosh", "arccosh"):
        return fn(b)
    if name == "outer":
        return fn(a[0], b[0])
    if name in ("atan2", "arctan2", "pow", "power", "mod", "remainder", "matmul", "vecdot",
                "cross", "true_divide", "divide"):
        return fn(a, b)
    if name == "tensordot":
        return fn(a, b, axes=1)
    if name in ("concat", "concatenate", "row_stack", "vstack"):
        return fn([a, b])
    return fn(a)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")      # np.row_stack
@pytest.mark.parametrize("ns, name, target", _alias_rows(),
                         ids=[f"{n}.{a}" if n else a for n, a, _ in _alias_rows()])
def test_numpy_alias_has_the_entry_values(ns, name, target):
    """NumPy's function of the alias name gives what NumPy's function of the
    entry's name gives (so mapping one to the other is right), and the
    tapegrad function gives it too."""
    mod, npmod = _NS[ns]
    tns, _, tname = target.rpartition(".")
    np_entry = np.copy if tname == "copy" else getattr(_NS[tns][1], tname)
    want = np.asarray(_sample_call(np_entry, name))
    np_alias = getattr(npmod, name, None)
    if np_alias is not None:
        np.testing.assert_allclose(np.asarray(_sample_call(np_alias, name)), want, rtol=1e-13)
    got = _sample_call(getattr(mod, name), name, tg.array)
    assert isinstance(got, tg.Tensor)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-13)


def test_numpy_protocols_map_the_aliases():
    x = tg.array([0.1, 0.5, -0.3])
    x.attach_grad()
    with autograd.record():
        y = (np.acos(x) + np.absolute(x) + np.pow(x, 2.0) + np.mod(x, 0.7)).sum()
    y.backward()
    want = -1 / np.sqrt(1 - x.asnumpy() ** 2) + np.sign(x.asnumpy()) + 2 * x.asnumpy() + 1
    np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-12)
    m = tg.array(np.arange(6.0).reshape(2, 3))
    m.attach_grad()
    with autograd.record():
        y = (np.matrix_transpose(m) * 2).sum() + np.linalg.matmul(m, np.ones((3, 1))).sum() \
            + np.permute_dims(m, (1, 0)).sum() + np.concat([m, m]).sum()
    y.backward()
    np.testing.assert_allclose(m.grad.asnumpy(), np.full((2, 3), 6.0))


def test_docs_table_lists_the_aliases_in_their_entry_row():
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).parents[1] / "docs" / "gen_functions.py"
    spec = importlib.util.spec_from_file_location("gen_functions_np2", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    row = [r for r in gen.rows("") if r["name"] == "arccos"][0]
    assert row["aliases"] == ["tg.acos"]
    row = [r for r in gen.rows("linalg") if r["name"] == "matrix_transpose"][0]
    assert row["aliases"] == ["tg.matrix_transpose"]
    line = next(ln for ln in gen.render().splitlines() if "arccos <tapegrad.arccos>" in ln)
    assert "Also `tg.acos`." in line


# ---- the functions -------------------------------------------------------------------------
XP = np.array([-1.0, -0.2, 0.5, 1.5, 2.0])
X1_HEAVI = np.array([-1.0, 0.0, 1.5, 0.0, -0.3])
EXPO = np.array([[1, -2, 0], [3, 0, -1]])


def _away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 2.0, size=shape)


def _positive(rng, shape):
    return rng.uniform(0.5, 1.5, size=shape)


def _stack(f):
    return lambda *xs: tg.stack(f(*xs))


def _npstack(f):
    return lambda *xs: np.stack(f(*xs))


Z2 = np.zeros(2)


def _z2(a):
    return tg.zeros(2, dtype=a.dtype)

SPECS = [
    # NumPy's linalg.diagonal / linalg.trace: the last two axes
    Spec("linalg.diagonal", lambda x: tg.linalg.diagonal(x, offset=1),
         lambda x: np.linalg.diagonal(x, offset=1), [(2, 3, 4)]),
    Spec("linalg.trace", tg.linalg.trace, np.linalg.trace, [(2, 3, 3)]),
    # shapes
    Spec("rollaxis", lambda x: tg.rollaxis(x, 2, 1), lambda x: np.rollaxis(x, 2, 1),
         [(2, 3, 4)]),
    Spec("unstack", _stack(lambda x: tg.unstack(x, axis=1)),
         _npstack(lambda x: np.unstack(x, axis=1)), [(2, 3)]),
    Spec("append", tg.append, np.append, [(2, 2), (3,)]),
    Spec("append.axis", lambda a, b: tg.append(a, b, axis=0),
         lambda a, b: np.append(a, b, axis=0), [(2, 3), (1, 3)]),
    Spec("insert", lambda a, v: tg.insert(a, [1, 1, 3], v, axis=1),
         lambda a, v: np.insert(a, [1, 1, 3], v, axis=1), [(2, 3), (3,)]),
    Spec("insert.flat", lambda a, v: tg.insert(a, 2, v), lambda a, v: np.insert(a, 2, v),
         [(2, 2), (2,)]),
    Spec("delete", lambda a: tg.delete(a, [0, 2], axis=1),
         lambda a: np.delete(a, [0, 2], axis=1), [(2, 4)]),
    Spec("delete.slice", lambda a: tg.delete(a, slice(1, None, 2)),
         lambda a: np.delete(a, slice(1, None, 2)), [(2, 3)]),
    Spec("resize", lambda a: tg.resize(a, (3, 3)), lambda a: np.resize(a, (3, 3)), [(2, 2)]),
    Spec("trim_zeros", lambda a: tg.trim_zeros(tg.concatenate([_z2(a), a, _z2(a)])),
         lambda a: np.trim_zeros(np.concatenate([Z2, a, Z2])), [(3,)],
         domain=_away_from_zero),
    Spec("trim_zeros.f", lambda a: tg.trim_zeros(tg.concatenate([_z2(a), a, _z2(a)]), "f"),
         lambda a: np.trim_zeros(np.concatenate([Z2, a, Z2]), "f"), [(3,)],
         domain=_away_from_zero),
    Spec("meshgrid", _stack(lambda a, b: tg.meshgrid(a, b)),
         _npstack(lambda a, b: np.meshgrid(a, b)), [(2,), (3,)]),
    Spec("meshgrid.ij", _stack(lambda a, b: tg.meshgrid(a, b, indexing="ij")),
         _npstack(lambda a, b: np.meshgrid(a, b, indexing="ij")), [(2,), (3,)]),
    # real input's complex parts
    Spec("angle", tg.angle, np.angle, [(5,)], domain=_away_from_zero),
    Spec("imag", tg.imag, np.imag, [(2, 3)]),
    Spec("real_if_close", tg.real_if_close, np.real_if_close, [(2, 3)]),
    # sequences and differences
    Spec("linspace", lambda a, b: tg.linspace(a, b, 5), lambda a, b: np.linspace(a, b, 5),
         [(), ()]),
    Spec("linspace.axis", lambda a, b: tg.linspace(a, b, 4, endpoint=False, axis=1),
         lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=1), [(2,), (2,)]),
    Spec("linspace.retstep", lambda a, b: tg.linspace(a, b, 6, retstep=True)[1],
         lambda a, b: np.linspace(a, b, 6, retstep=True)[1], [(3,), ()]),
    Spec("gradient", tg.gradient, np.gradient, [(5,)]),
    Spec("gradient.spacing", _stack(lambda f: tg.gradient(f, 0.5, 2.0)),
         _npstack(lambda f: np.gradient(f, 0.5, 2.0)), [(3, 4)]),
    Spec("gradient.edge2", lambda f: tg.gradient(f, 0.3, axis=1, edge_order=2),
         lambda f: np.gradient(f, 0.3, axis=1, edge_order=2), [(2, 5)]),
    Spec("gradient.coords", lambda f: tg.gradient(f, XP),
         lambda f: np.gradient(f, XP), [(5,)]),
    Spec("gradient.coords.edge2", lambda f: tg.gradient(f, XP, edge_order=2),
         lambda f: np.gradient(f, XP, edge_order=2), [(5,)]),
    Spec("gradient.tensor_coords", lambda f, x: tg.gradient(f, tg.sort(x), edge_order=2),
         lambda f, x: np.gradient(f, np.sort(x), edge_order=2), [(4,), (4,)],
         domain=[(-2, 2), lambda rng, s: np.arange(s[0]) + rng.uniform(0, 0.5, s)]),
    Spec("ediff1d", lambda a, b: tg.ediff1d(a, to_begin=b, to_end=[1.0, 2.0]),
         lambda a, b: np.ediff1d(a, to_begin=b, to_end=[1.0, 2.0]), [(2, 3), (2,)]),
    Spec("trapezoid", tg.trapezoid, np.trapezoid, [(3, 4)]),
    Spec("trapezoid.x", lambda y, x: tg.trapezoid(y, x, axis=0),
         lambda y, x: np.trapezoid(y, x, axis=0), [(4, 2), (4,)]),
    Spec("trapezoid.dx", lambda y: tg.trapezoid(y, dx=0.3), lambda y: np.trapezoid(y, dx=0.3),
         [(5,)]),
    Spec("cumulative_sum", lambda x: tg.cumulative_sum(x, axis=1, include_initial=True),
         lambda x: np.cumulative_sum(x, axis=1, include_initial=True), [(2, 3)]),
    Spec("cumulative_prod", tg.cumulative_prod, np.cumulative_prod, [(4,)],
         domain=_away_from_zero),
    Spec("cumulative_prod.initial", lambda x: tg.cumulative_prod(x, axis=0, include_initial=True),
         lambda x: np.cumulative_prod(x, axis=0, include_initial=True), [(3, 2)],
         domain=_away_from_zero),
    # products
    Spec("matvec", tg.matvec, np.matvec, [(2, 3, 4), (4,)]),
    Spec("vecmat", tg.vecmat, np.vecmat, [(3,), (2, 3, 4)]),
    Spec("vecdot", tg.vecdot, np.vecdot, [(2, 3), (3,)]),
    Spec("convolve", tg.convolve, np.convolve, [(5,), (3,)]),
    Spec("convolve.same", lambda a, v: tg.convolve(a, v, "same"),
         lambda a, v: np.convolve(a, v, "same"), [(3,), (4,)]),
    Spec("convolve.valid", lambda a, v: tg.convolve(a, v, "valid"),
         lambda a, v: np.convolve(a, v, "valid"), [(5,), (2,)]),
    Spec("correlate", tg.correlate, np.correlate, [(5,), (3,)]),
    Spec("correlate.full", lambda a, v: tg.correlate(a, v, "full"),
         lambda a, v: np.correlate(a, v, "full"), [(2,), (4,)]),
    Spec("correlate.same", lambda a, v: tg.correlate(a, v, "same"),
         lambda a, v: np.correlate(a, v, "same"), [(3,), (5,)]),
    # statistics
    Spec("cov", tg.cov, np.cov, [(3, 5)]),
    Spec("cov.y", lambda m, y: tg.cov(m, y, rowvar=False, bias=True),
         lambda m, y: np.cov(m, y, rowvar=False, bias=True), [(5, 2), (5,)]),
    Spec("cov.weights", lambda m: tg.cov(m, fweights=[1, 2, 1, 3], aweights=[0.5, 1, 2, 1]),
         lambda m: np.cov(m, fweights=[1, 2, 1, 3], aweights=[0.5, 1, 2, 1]), [(2, 4)]),
    Spec("corrcoef", tg.corrcoef, np.corrcoef, [(3, 5)]),
    Spec("corrcoef.y", tg.corrcoef, np.corrcoef, [(6,), (6,)]),
    # interpolation, polynomials
    Spec("interp", lambda x, fp: tg.interp(x, XP, fp), lambda x, fp: np.interp(x, XP, fp),
         [(7,), (5,)], domain=[(-1.5, 2.5), (-2, 2)]),
    Spec("interp.left_right", lambda x, fp, lr: tg.interp(x, XP, fp, lr[0], lr[1]),
         lambda x, fp, lr: np.interp(x, XP, fp, lr[0], lr[1]),
         [(6,), (5,), (2,)], domain=[(-2.0, 3.0), (-2, 2), (-2, 2)]),
    Spec("interp.period", lambda x, fp: tg.interp(x, XP, fp, period=2.5),
         lambda x, fp: np.interp(x, XP, fp, period=2.5), [(6,), (5,)],
         domain=[(-4.0, 4.0), (-2, 2)]),
    Spec("polyval", tg.polyval, np.polyval, [(4,), (2, 3)]),
    Spec("vander", tg.vander, np.vander, [(4,)]),
    Spec("vander.N", lambda x: tg.vander(x, 3, increasing=True),
         lambda x: np.vander(x, 3, increasing=True), [(5,)]),
    # piecewise
    Spec("heaviside", lambda x2: tg.heaviside(X1_HEAVI.astype(x2.dtype), x2),
         lambda x2: np.heaviside(X1_HEAVI, x2), [(5,)]),
    Spec("heaviside.x1", lambda x1: tg.heaviside(x1, 0.5), lambda x1: np.heaviside(x1, 0.5),
         [(4,)], domain=_away_from_zero),
    Spec("ldexp", lambda x: tg.ldexp(x, EXPO), lambda x: np.ldexp(x, EXPO), [(2, 3)]),
    Spec("modf.frac", lambda x: tg.modf(x)[0], lambda x: np.modf(x)[0], [(6,)],
         domain=(-5.0, 5.0)),
    Spec("modf.int", lambda x: tg.modf(x)[1], lambda x: np.modf(x)[1], [(6,)],
         domain=(-5.0, 5.0)),
    Spec("divmod.rem", lambda a, b: tg.divmod(a, b)[1], lambda a, b: np.divmod(a, b)[1],
         [(5,), (5,)], domain=[(-4.0, 4.0), (0.5, 1.5)]),
    Spec("floor_divide", tg.floor_divide, np.floor_divide, [(5,), (5,)],
         domain=[(-4.0, 4.0), (0.5, 1.5)]),
]


XS8 = np.linspace(0.0, 1.0, 8)


def _pw(x):
    return [x < -0.5, x > 0.7]


SPECS += [
    Spec("piecewise", lambda x: tg.piecewise(x, _pw(np.asarray(x)),
                                             [lambda v: v * v, lambda v: tg.sqrt(v), 2.0]),
         lambda x: np.piecewise(x, _pw(x), [lambda v: v * v, np.sqrt, 2.0]), [(8,)],
         domain=lambda rng, s: np.array([-1.3, -0.9, -0.2, 0.1, 0.4, 0.9, 1.4, 1.9])),
    Spec("polyadd", tg.polyadd, np.polyadd, [(4,), (2,)]),
    Spec("polysub", tg.polysub, np.polysub, [(2,), (3,)]),
    Spec("polymul", tg.polymul, np.polymul, [(3,), (2,)], domain=_away_from_zero),
    Spec("polyder", lambda p: tg.polyder(p, 2), lambda p: np.polyder(p, 2), [(5,)]),
    Spec("polyint", lambda p, k: tg.polyint(p, 2, k), lambda p, k: np.polyint(p, 2, k),
         [(3,), (2,)]),
    Spec("poly", tg.poly, np.poly, [(3,)]),
    Spec("polyfit", lambda x, y: tg.polyfit(x, y, 2), lambda x, y: np.polyfit(x, y, 2),
         [(6,), (6,)], domain=[lambda rng, s: np.arange(s[0]) / 3 + rng.uniform(0, .2, s),
                               (-2, 2)], f32_rtol=2e-3),
    Spec("polyfit.w", lambda y, w: tg.polyfit(XS8.astype(y.dtype), y, 3, w=w),
         lambda y, w: np.polyfit(XS8, y, 3, w=w), [(8, 2), (8,)],
         domain=[(-2, 2), (0.5, 1.5)], f32_rtol=2e-3),
    Spec("logspace", lambda a, b: tg.logspace(a, b, 5), lambda a, b: np.logspace(a, b, 5),
         [(), ()], domain=(-1.0, 1.0)),
    Spec("logspace.base", lambda a, b: tg.logspace(a, b, 4, base=2.0, axis=1),
         lambda a, b: np.logspace(a, b, 4, base=2.0, axis=1), [(2,), (2,)]),
    Spec("geomspace", lambda a, b: tg.geomspace(a, b, 5), lambda a, b: np.geomspace(a, b, 5),
         [(2,), ()], domain=(0.5, 3.0)),
    Spec("geomspace.neg", lambda a, b: tg.geomspace(a, b, 4, endpoint=False),
         lambda a, b: np.geomspace(a, b, 4, endpoint=False), [(), ()], domain=(-3.0, -0.5)),
    Spec("frexp", lambda x: tg.frexp(x)[0], lambda x: np.frexp(x)[0], [(6,)],
         domain=(-20.0, 20.0)),
    Spec("apply_along_axis", lambda x: tg.apply_along_axis(lambda v: tg.outer(v, v), 1, x),
         lambda x: np.apply_along_axis(lambda v: np.outer(v, v), 1, x), [(2, 3)]),
    Spec("apply_over_axes", lambda x: tg.apply_over_axes(tg.sum, x, [0, 2]),
         lambda x: np.apply_over_axes(np.sum, x, [0, 2]), [(2, 3, 2)]),
    Spec("kaiser", lambda b: tg.kaiser(6, b), lambda b: np.kaiser(6, b), [()],
         domain=(0.5, 5.0)),
]


SPECS += [
    Spec("polydiv.q", lambda u, v: tg.polydiv(u, v)[0], lambda u, v: np.polydiv(u, v)[0],
         [(5,), (3,)], domain=[(-2, 2), _away_from_zero]),
    # the last len(v) - 1 terms: NumPy strips the leading near-zeros by value
    # (allclose(r[0], 0)), which float32 rounding can leave (as NumPy's float32)
    Spec("polydiv.r", lambda u, v: tg.polydiv(u, v)[1][-2:],
         lambda u, v: np.polydiv(u, v)[1][-2:], [(5,), (3,)],
         domain=[(-2, 2), _away_from_zero]),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)


# ---- targeted: conventions, edge cases ---------------------------------------------------------
def _grad(f, *xs):
    return tg.grad(f, argnums=tuple(range(len(xs))))(*[tg.array(x) for x in xs])


def test_interp_slope_at_knots_is_the_right_interval_and_zero_outside():
    xp = np.array([0.0, 1.0, 3.0])
    fp = np.array([0.0, 2.0, 3.0])
    x = np.array([1.0, 0.0, 3.0, -1.0, 4.0, 2.0])
    g = tg.grad(lambda x: tg.interp(x, xp, fp).sum())(tg.array(x)).asnumpy()
    # at 1.0 the interval [1, 3] (slope 0.5); at 0 [0, 1] (slope 2); at the last
    # knot 3.0 the last interval (JAX: i clipped to len(xp) - 1); outside: 0
    np.testing.assert_array_equal(g, [0.5, 2.0, 0.5, 0.0, 0.0, 0.5])
    gf = tg.grad(lambda f: tg.interp(x, xp, f).sum())(tg.array(fp)).asnumpy()
    # fp's weights: x=1 -> fp[1]; 0 -> fp[0]; 3 -> fp[2]; -1 -> fp[0] (left);
    # 4 -> fp[2] (right); 2 -> half fp[1], half fp[2]
    np.testing.assert_allclose(gf, [2.0, 1.5, 2.5])
    # repeated xp: the value is NumPy's, the gradient finite
    xp2 = np.array([0.0, 1.0, 1.0, 2.0])
    fp2 = np.array([0.0, 1.0, 5.0, 6.0])
    xs = np.array([0.5, 1.0, 1.5])
    np.testing.assert_allclose(tg.interp(tg.array(xs), xp2, fp2).asnumpy(),
                               np.interp(xs, xp2, fp2))
    assert np.all(np.isfinite(tg.grad(lambda x: tg.interp(x, xp2, fp2).sum())(
        tg.array(xs)).asnumpy()))


def test_interp_against_jax():
    jax = jax64()
    jnp = jax.numpy
    xp = np.array([0.0, 1.0, 3.0, 4.0])
    fp = np.array([1.0, -2.0, 3.0, 0.5])
    x = np.array([-0.5, 0.0, 1.0, 2.2, 3.0, 4.0, 5.0])
    want = jax.grad(lambda x: jnp.interp(x, xp, fp).sum())(x)
    got = tg.grad(lambda x: tg.interp(x, xp, fp).sum())(tg.array(x)).asnumpy()
    np.testing.assert_allclose(got, np.asarray(want))
    want = jax.grad(lambda f: jnp.interp(x, xp, f).sum())(fp)
    got = tg.grad(lambda f: tg.interp(x, xp, f).sum())(tg.array(fp)).asnumpy()
    np.testing.assert_allclose(got, np.asarray(want))


def test_heaviside_derivatives_as_jax():
    x1 = np.array([-1.0, 0.0, 2.0, 0.0])
    g1, g2 = _grad(lambda a, b: (tg.heaviside(a, b) * tg.array([1.0, 2, 3, 4])).sum(),
                   x1, np.full(4, 0.5))
    np.testing.assert_array_equal(g1.asnumpy(), [0, 0, 0, 0])
    np.testing.assert_array_equal(g2.asnumpy(), [0, 2, 0, 4])
    jax = jax64()
    jnp = jax.numpy
    w = np.array([1.0, 2, 3, 4])
    j1, j2 = jax.grad(lambda a, b: (jnp.heaviside(a, b) * w).sum(), argnums=(0, 1))(
        x1, np.full(4, 0.5))
    np.testing.assert_array_equal(np.asarray(j1), g1.asnumpy())
    np.testing.assert_array_equal(np.asarray(j2), g2.asnumpy())
    assert np.isnan(tg.heaviside(tg.array([np.nan]), 0.5).asnumpy()[0])


def test_piecewise_constant_results_have_zero_derivative():
    x = np.array([-1.5, -0.0, 0.0, 2.0])
    for f in (tg.angle, tg.imag, lambda x: tg.floor_divide(x, 0.7), lambda x: tg.modf(x)[1],
              lambda x: tg.divmod(x, 0.7)[0]):
        g = tg.grad(lambda x: f(x).sum())(tg.array(x)).asnumpy()
        np.testing.assert_array_equal(g, np.zeros(4))
    np.testing.assert_array_equal(tg.angle(tg.array(x)).asnumpy(), np.angle(x))
    np.testing.assert_array_equal(tg.angle(tg.array(x), deg=True).asnumpy(), np.angle(x, True))


def test_modf_at_infinities_and_signed_zero():
    z = np.array([np.inf, -np.inf, -0.0, -2.5, np.nan])
    frac, whole = tg.modf(tg.array(z))
    nf, nw = np.modf(z)
    np.testing.assert_array_equal(frac.asnumpy(), nf)
    np.testing.assert_array_equal(np.signbit(frac.asnumpy()), np.signbit(nf))
    np.testing.assert_array_equal(whole.asnumpy(), nw)
    g = tg.grad(lambda x: tg.modf(x)[0].sum())(tg.array(z[2:4])).asnumpy()
    np.testing.assert_array_equal(g, [1.0, 1.0])


def test_linspace_constant_and_endpoint_exact():
    y = tg.linspace(0.0, 1.0, 7)
    assert isinstance(y, tg.Tensor)
    np.testing.assert_array_equal(y.asnumpy(), np.linspace(0.0, 1.0, 7))
    y, step = tg.linspace(tg.array(0.1), tg.array(0.7), 7, retstep=True)
    assert y.asnumpy()[-1] == 0.7
    np.testing.assert_allclose(step.asnumpy(), 0.1)
    y = tg.linspace(tg.array(1.0), tg.array(2.0), 1)
    np.testing.assert_array_equal(y.asnumpy(), [1.0])
    y, step = tg.linspace(tg.array(1.0), tg.array(2.0), 1, retstep=True)
    assert np.isnan(step.asnumpy())
    assert tg.linspace(tg.array(1.0), tg.array(2.0), 0).shape == (0,)
    ga, gb = _grad(lambda a, b: tg.linspace(a, b, 5).sum(), 1.0, 3.0)
    np.testing.assert_allclose([ga.asnumpy(), gb.asnumpy()], [2.5, 2.5])
    y = tg.linspace(tg.array(np.float32(0)), np.float32(1), 3)
    assert y.dtype == np.float32


def test_gradient_tuple_and_errors():
    f = np.random.default_rng(1).standard_normal((3, 4))
    out = tg.gradient(tg.array(f))
    assert isinstance(out, tuple) and len(out) == 2
    for o, w in zip(out, np.gradient(f)):
        np.testing.assert_allclose(o.asnumpy(), w, rtol=1e-13)
    with pytest.raises(ValueError):
        tg.gradient(tg.array([1.0, 2.0]), edge_order=2)
    with pytest.raises(ValueError):
        tg.gradient(tg.array(f), np.arange(3.0), axis=1)
    # a scalar spacing tensor is differentiated: d/dh of (f[1]-f[0])/h
    g = tg.grad(lambda h: tg.gradient(tg.array([0.0, 1.0, 4.0]), h).sum())(tg.array(2.0))
    np.testing.assert_allclose(g.asnumpy(), -np.gradient(np.array([0.0, 1.0, 4.0])).sum() / 4)


def test_convolve_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a, v = rng.standard_normal(6), rng.standard_normal(3)
    ta = torch.tensor(a, requires_grad=True)
    tv = torch.tensor(v, requires_grad=True)
    w = rng.standard_normal(8)
    # full convolution = conv1d (a cross-correlation) of a padded with flipped v
    out = torch.nn.functional.conv1d(ta.view(1, 1, -1), tv.flip(0).view(1, 1, -1),
                                     padding=2).view(-1)
    (out * torch.tensor(w)).sum().backward()
    ga, gv = _grad(lambda a, v: (tg.convolve(a, v) * w).sum(), a, v)
    np.testing.assert_allclose(ga.asnumpy(), ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gv.asnumpy(), tv.grad.numpy(), rtol=1e-12)


def test_cov_corrcoef_against_torch():
    torch = pytest.importorskip("torch")
    m = np.random.default_rng(4).standard_normal((3, 6))
    w = np.random.default_rng(5).standard_normal((3, 3))
    for tgf, thf in ((tg.cov, torch.cov), (tg.corrcoef, torch.corrcoef)):
        tm = torch.tensor(m, requires_grad=True)
        (thf(tm) * torch.tensor(w)).sum().backward()
        g = tg.grad(lambda x: (tgf(x) * w).sum())(tg.array(m)).asnumpy()
        np.testing.assert_allclose(g, tm.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_constants_eye_identity_tri():
    for got, want in ((tg.eye(3, 4, k=1), np.eye(3, 4, k=1)), (tg.identity(3), np.identity(3)),
                      (tg.tri(3, 2, -1), np.tri(3, 2, -1)),
                      (tg.eye(2, dtype=np.float32), np.eye(2, dtype=np.float32))):
        assert isinstance(got, tg.Tensor) and got.dtype == want.dtype
        np.testing.assert_array_equal(got.asnumpy(), want)
    with pytest.raises(TypeError):
        tg.eye(2, dtype=int)


def test_ldexp_refuses_a_tensor_exponent():
    with pytest.raises(TypeError):
        tg.ldexp(tg.array([1.0]), tg.array([2.0]))
    np.testing.assert_array_equal(tg.ldexp(tg.array([1.5]), np.array([1000])).asnumpy(),
                                  np.ldexp(1.5, 1000))


# ---- NumPy's protocols record the new functions -------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda x: np.cov(x), lambda x: np.corrcoef(x), lambda x: np.gradient(x[0]),
    lambda x: np.convolve(x[0], x[1]), lambda x: np.interp(x[0], [0.0, 1.0, 2.0], x[1, :3]),
    lambda x: np.trapezoid(x), lambda x: np.polyval(x[0], x[1]), lambda x: np.vander(x[0]),
    lambda x: np.insert(x, 1, 0.5), lambda x: np.delete(x, 1), lambda x: np.append(x, x),
    lambda x: np.rollaxis(x, 1), lambda x: np.cumulative_sum(x, axis=0),
    lambda x: np.matvec(x, x[0]), lambda x: np.ediff1d(x), lambda x: np.resize(x, (3, 3)),
    lambda x: np.linalg.diagonal(x), lambda x: np.linalg.trace(x),
], ids=["cov", "corrcoef", "gradient", "convolve", "interp", "trapezoid", "polyval", "vander",
        "insert", "delete", "append", "rollaxis", "cumulative_sum", "matvec", "ediff1d",
        "resize", "linalg.diagonal", "linalg.trace"])
def test_numpy_call_on_a_recorded_tensor_records(call):
    a = np.random.default_rng(6).uniform(0.5, 1.5, (4, 4))
    x = tg.array(a)
    x.attach_grad()
    with autograd.record():
        y = call(x)
        y = y[0] if isinstance(y, tuple) else y
        assert isinstance(y, tg.Tensor)
        s = (y * y).sum()
    s.backward()
    np.testing.assert_allclose(np.asarray(y), np.asarray(call(a))
                               if not isinstance(call(a), tuple) else call(a)[0], rtol=1e-12)
    assert x.grad is not None and np.any(x.grad.asnumpy() != 0)


def test_piecewise_conventions():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 4.0])
    # later conditions win; no function for a position: 0; each function sees
    # only its elements (sqrt never sees the negatives: no NaN in the gradient)
    conds = [x < 0, x >= 0, x > 2]
    fl = [lambda v: -v, lambda v: tg.sqrt(v + 1.0), 7.0]
    got = tg.piecewise(tg.array(x), conds, fl).asnumpy()
    np.testing.assert_allclose(got, np.piecewise(x, conds, [lambda v: -v,
                                                             lambda v: np.sqrt(v + 1), 7.0]))
    g = tg.grad(lambda t: tg.piecewise(t, conds, fl).sum())(tg.array(x)).asnumpy()
    np.testing.assert_allclose(g, [-1, -1, 0.5, 0.5 / np.sqrt(2), 0])
    g = tg.grad(lambda t: tg.piecewise(t, [x > 5], [tg.sqrt]).sum())(tg.array(x)).asnumpy()
    np.testing.assert_array_equal(g, np.zeros(5))


def test_windows_and_space_constants():
    for name in ("bartlett", "blackman", "hamming", "hanning"):
        got = getattr(tg, name)(7)
        assert isinstance(got, tg.Tensor)
        np.testing.assert_array_equal(got.asnumpy(), getattr(np, name)(7))
    np.testing.assert_array_equal(tg.kaiser(5, 2.0).asnumpy(), np.kaiser(5, 2.0))
    np.testing.assert_array_equal(tg.kaiser(1, tg.array(2.0)).asnumpy(), [1.0])
    np.testing.assert_allclose(tg.logspace(0, 2, 3).asnumpy(), [1, 10, 100])
    y = tg.geomspace(tg.array(1.0), tg.array(1000.0), 4)
    assert y.asnumpy()[0] == 1.0 and y.asnumpy()[-1] == 1000.0


def test_frexp_exponent_is_plain_integers():
    m, e = tg.frexp(tg.array([0.0, 1.0, -6.0, np.inf]))
    nm, ne = np.frexp(np.array([0.0, 1.0, -6.0, np.inf]))
    assert isinstance(e, np.ndarray) and e.dtype == ne.dtype
    np.testing.assert_array_equal(e, ne)
    np.testing.assert_array_equal(m.asnumpy(), nm)


def test_poly_family_edges():
    np.testing.assert_array_equal(tg.polymul(tg.array([0.0, 0.0, 1.0, 2.0]),
                                             tg.array([3.0])).asnumpy(),
                                  np.polymul([0.0, 0.0, 1.0, 2.0], [3.0]))
    np.testing.assert_array_equal(tg.polyder(tg.array([1.0, 2.0]), 3).asnumpy(),
                                  np.polyder([1.0, 2.0], 3))
    with pytest.raises(TypeError):
        tg.poly(tg.array(np.eye(2)))
    with pytest.raises(TypeError):
        tg.polyfit(tg.array([0.0, 1, 2]), tg.array([1.0, 2, 3]), 1, full=True)


def test_polydiv_edges():
    for u, v in (([1.0, 3, 3, 1], [1.0, 1]), ([2.0, 1], [1.0, 0, 1]), ([4.0], [2.0])):
        q, r = tg.polydiv(tg.array(u), tg.array(v))
        nq, nr = np.polydiv(u, v)
        assert q.shape == nq.shape and r.shape == nr.shape
        np.testing.assert_allclose(q.asnumpy(), nq)
        np.testing.assert_allclose(r.asnumpy(), nr, atol=1e-15)


def test_astype_records_the_cast_and_refuses_non_float_dtypes():
    x = tg.array([0.5, -1.25, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x.astype(np.float32)
        z = (y * y).sum()
    assert y.dtype == np.float32
    z.backward()
    assert x.grad.dtype == np.float64                     # the gradient cast back
    np.testing.assert_array_equal(x.grad.asnumpy(), 2 * np.array([0.5, -1.25, 3.0]))
    # the NumPy call records the same (np.astype: NumPy >= 2.1)
    if hasattr(np, "astype"):
        g = tg.grad(lambda v: (np.astype(v, np.float32) * 3.0).sum())(np.ones(2))
        np.testing.assert_array_equal(g.asnumpy(), [3.0, 3.0])
    same = x.astype(np.float64)
    assert same is not x and np.array_equal(same.asnumpy(), x.asnumpy())
    assert tg.astype(x, np.float64, copy=False) is x
    with pytest.raises(TypeError, match=r"np.asarray\(t\).astype\('int64'\)"):
        x.astype(np.int64)
