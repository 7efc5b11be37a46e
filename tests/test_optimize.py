"""tapegrad.optimize.minimize: SciPy's minimizers on tapegrad derivatives.

Oracles: SciPy's own analytic Rosenbrock derivatives (rosen_der,
rosen_hess, rosen_hess_prod) run through scipy.optimize.minimize, closed
forms (least squares by lstsq, a disc's nearest point) and call counts."""
import logging
import subprocess
import sys

import numpy as np
import pytest

import tapegrad as tg

scipy_optimize = pytest.importorskip("scipy.optimize")
from scipy.optimize import (BFGS, Bounds, LinearConstraint, NonlinearConstraint,  # noqa: E402
                            rosen, rosen_der, rosen_hess, rosen_hess_prod)

from tapegrad.errors import ShapeError  # noqa: E402
from tapegrad.optimize import METHODS, NonFiniteError, minimize  # noqa: E402
from tapegrad.optimize import _Local, _Tree  # noqa: E402

X0 = np.array([-1.2, 1.0])
GRADIENT_METHODS = ["L-BFGS-B", "BFGS", "CG", "Newton-CG", "TNC", "SLSQP", "trust-constr",
                    "dogleg", "trust-ncg", "trust-exact", "trust-krylov"]
HESSP_METHODS = {"Newton-CG", "trust-ncg", "trust-krylov", "trust-constr"}
HESS_METHODS = {"dogleg", "trust-exact"}


def rosen_tg(x):
    return tg.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


class Counted:
    """fun, counting its calls (each call of fun is one tapegrad evaluation)."""

    def __init__(self, fun):
        self.fun, self.calls = fun, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fun(*args)


def scipy_reference(method, x0=X0, **kw):
    extra = {}
    if method in HESS_METHODS:
        extra["hess"] = rosen_hess
    elif method in HESSP_METHODS:
        extra["hessp"] = rosen_hess_prod
    return scipy_optimize.minimize(rosen, x0, method=method, jac=rosen_der, **extra, **kw)


# ---- every gradient-based method on Rosenbrock ------------------------------------
@pytest.mark.parametrize("method", GRADIENT_METHODS)
def test_rosenbrock_every_gradient_method_matches_scipy_analytic(method):
    ref = scipy_reference(method)
    res = minimize(rosen_tg, X0, method=method)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=2e-4)
    # tapegrad's derivatives equal the analytic ones to rounding, so SciPy
    # walks the same path: same end point, same number of evaluations.
    # (TNC alone amplifies the last-bit differences between two ways of
    # writing the gradient into a different path: only its tolerance holds.)
    if method != "TNC":
        np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-7)
        assert abs(res.nfev - ref.nfev) <= 1
    assert isinstance(res, scipy_optimize.OptimizeResult)


@pytest.mark.parametrize("method", ["Nelder-Mead", "Powell", "COBYQA"])
def test_derivative_free_methods_run_on_values(method):
    res = minimize(rosen_tg, X0, method=method, options={"maxiter": 20000})
    ref = scipy_optimize.minimize(rosen, X0, method=method, options={"maxiter": 20000})
    # the same path while the values agree to the last bit; COBYQA (SciPy
    # 1.15) reacts to last-bit differences of rosen's value, so the two runs
    # may part near the end, both converged to the method's tolerance
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
    assert abs(res.nfev - ref.nfev) <= 0.1 * ref.nfev
    np.testing.assert_allclose(res.x, [1.0] * len(X0), atol=1e-3)


def test_method_none_is_scipys_default_choice():
    res = minimize(rosen_tg, X0, method=None)                 # no bounds: BFGS
    ref = scipy_reference("BFGS")
    np.testing.assert_allclose(res.x, ref.x, atol=1e-7)
    assert res.nfev == ref.nfev


# ---- one sweep per point ---------------------------------------------------------------
@pytest.mark.parametrize("method", ["L-BFGS-B", "BFGS", "CG", "TNC", "SLSQP"])
def test_value_and_gradient_come_from_one_sweep(method):
    fun = Counted(rosen_tg)
    res = minimize(fun, X0, method=method)
    # Every call of fun is one value_and_grad sweep; SciPy asked for values
    # nfev times and gradients njev times, at the same points.
    assert fun.calls == res.nfev
    if "njev" in res:                     # SLSQP's line search asks for values alone
        assert 10 < res.njev <= res.nfev
        assert fun.calls < res.nfev + res.njev


@pytest.mark.parametrize("method", sorted(HESSP_METHODS))
def test_hessian_vector_products_reuse_one_recorded_gradient_per_point(method):
    fun = Counted(rosen_tg)
    res = minimize(fun, X0, method=method)
    assert res.success
    # one sweep per point for value and gradient, at most one more recording
    # per point for all the products there, however many (nhev) SciPy asked
    assert fun.calls <= 2 * res.nfev
    if method != "trust-constr":          # trust-constr counts Hessian updates, not products
        assert res.nhev > res.nfev


def test_hvp_equals_scipys_rosen_hess_prod_repeatedly_and_at_new_points():
    tree = _Tree(np.zeros(5))
    local = _Local(rosen_tg, tree, (), "test")
    rng = np.random.default_rng(0)
    for _ in range(3):                                  # new point: new recording
        x = rng.uniform(-2, 2, 5)
        for _ in range(3):                              # same point: the graph is reused
            p = rng.standard_normal(5)
            got = tree.flatten(local.hvp(tree.split(x), tree.split(p)))
            np.testing.assert_allclose(got, rosen_hess_prod(x, p), rtol=1e-13, atol=1e-12)


def test_hessian_equals_scipys_rosen_hess():
    tree = _Tree(np.zeros(4))
    x = np.array([-1.0, 0.5, 2.0, 1.5])
    np.testing.assert_allclose(_Local(rosen_tg, tree, (), "test").hessian(x), rosen_hess(x),
                               rtol=1e-14)


# ---- structured x0 -------------------------------------------------------------------------
def regression_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.7 + 0.1 * rng.standard_normal(n)
    coef = np.linalg.lstsq(np.hstack([X, np.ones((n, 1))]), y, rcond=None)[0]
    return X, y, coef


def test_dict_x0_with_float32_leaf_fits_least_squares_in_float64():
    X, y, coef = regression_data()
    seen = []

    def loss(p, X, y):
        seen.append((p["w"].dtype, p["w"].shape, isinstance(p["b"], tg.Tensor)))
        return 0.5 * tg.sum((X @ p["w"] + p["b"] - y) ** 2)

    res = minimize(loss, {"w": np.zeros(3, np.float32), "b": 0.0}, args=(X, y),
                   options={"gtol": 1e-12, "ftol": 0})
    assert list(res.x) == ["w", "b"]
    assert res.x["w"].dtype == np.float32 and res.x["w"].shape == (3,)
    assert isinstance(res.x["b"], np.float64)
    assert seen[0] == (np.float64, (3,), True)          # fun saw float64 tensors
    # float64 optimisation: the optimum to ~1e-10 (float32 evaluation gives ~1e-4);
    # the float32 result is its rounding.
    np.testing.assert_allclose(res.x["w"], coef[:3].astype(np.float32), rtol=2e-7)
    np.testing.assert_allclose(res.x["b"], coef[3], rtol=1e-9)


def test_tuple_list_and_nested_x0_keep_their_structure():
    X, y, coef = regression_data()

    def loss(p, X, y):
        (w01, w2), b = p[0], p[1]["b"]
        w = tg.concatenate([w01, tg.reshape(w2, (1,))])
        return 0.5 * tg.sum((X @ w + b - y) ** 2)

    x0 = (np.zeros(2), np.array(0.0)), {"b": tg.array(0.0)}
    res = minimize(lambda p, X, y: loss(p, X, y), [x0[0], x0[1]], args=(X, y), method="BFGS",
                   options={"gtol": 1e-10})
    assert isinstance(res.x, list) and isinstance(res.x[0], tuple) and isinstance(res.x[1], dict)
    np.testing.assert_allclose(np.r_[res.x[0][0], res.x[0][1], res.x[1]["b"]], coef, rtol=1e-8)


def test_list_of_numbers_is_one_array_as_in_scipy():
    res = minimize(rosen_tg, [-1.2, 1.0])
    assert isinstance(res.x, np.ndarray) and res.x.shape == (2,)


def test_callback_sees_the_structure_and_stopiteration_stops():
    seen = []

    def callback(intermediate_result):
        seen.append(intermediate_result.x)
        if len(seen) == 3:
            raise StopIteration

    res = minimize(lambda p: rosen_tg(tg.stack([p["a"], p["b"]])), {"a": -1.2, "b": 1.0},
                   callback=callback)
    assert len(seen) == 3 and set(seen[0]) == {"a", "b"}
    assert res.nit == 3
    plain = []
    minimize(rosen_tg, X0, method="TNC", callback=lambda x: plain.append(x.shape))
    assert plain and plain[0] == (2,)


# ---- bounds and constraints ----------------------------------------------------------------
def test_bounds_in_the_structure_of_x0():
    def loss(p):
        return tg.sum((p["w"] - 3.0) ** 2) + (p["b"] + 2.0) ** 2

    res = minimize(loss, {"w": np.zeros(3), "b": 0.0},
                   bounds={"w": (None, np.array([1.0, 2.0, 5.0]))})
    np.testing.assert_allclose(res.x["w"], [1.0, 2.0, 3.0], atol=1e-8)
    np.testing.assert_allclose(res.x["b"], -2.0, atol=1e-8)
    res = minimize(loss, {"w": np.zeros(3), "b": 0.0}, bounds={"b": (-1.0, 1.0)})
    np.testing.assert_allclose(res.x["b"], -1.0, atol=1e-12)


def test_flat_bounds_pass_through():
    res = minimize(rosen_tg, X0, bounds=Bounds([-2.0, -2.0], [0.5, 2.0]))
    ref = scipy_optimize.minimize(rosen, X0, jac=rosen_der, method="L-BFGS-B",
                                  bounds=Bounds([-2.0, -2.0], [0.5, 2.0]))
    np.testing.assert_allclose(res.x, ref.x, atol=1e-8)
    assert res.x[0] == 0.5
    res = minimize(rosen_tg, X0, bounds=[(-2, 0.5), (-2, 2)])
    np.testing.assert_allclose(res.x, ref.x, atol=1e-8)


NEAREST = np.array([2.0, 1.0]) / np.sqrt(5)


def disc_problem(method, constraint, x0=(0.0, 0.0), atol=1e-6, **options):
    # min (x - 2)^2 + (y - 1)^2 on the unit disc: the nearest point, (2, 1)/sqrt(5)
    fun = Counted(lambda p: (p["x"] - 2.0) ** 2 + (p["y"] - 1.0) ** 2)
    res = minimize(fun, {"x": x0[0], "y": x0[1]}, method=method, constraints=constraint,
                   options=dict({"maxiter": 500}, **options))
    assert res.success, res.message
    np.testing.assert_allclose([res.x["x"], res.x["y"]], NEAREST, atol=atol)
    # one sweep per point (trust-constr: plus one recording per point for its hessp)
    assert fun.calls == res.nfev if method not in HESSP_METHODS else fun.calls <= 2 * res.nfev
    return res


def test_dict_constraint_jacobian_from_the_tape_slsqp():
    calls = []

    def inside(p, r):
        calls.append(type(p["x"]))
        return r ** 2 - p["x"] ** 2 - p["y"] ** 2

    disc_problem("SLSQP", {"type": "ineq", "fun": inside, "args": (1.0,)})
    assert calls and all(c is tg.Tensor for c in calls)


def test_equality_constraint_vector_valued():
    # two equalities at once (a Jacobian of 2 rows): on the circle and on the
    # line x = 2y, which meet at the disc's nearest point to (2, 1); not from
    # (0, 0), where the circle's gradient vanishes
    con = {"type": "eq", "fun": lambda p: tg.stack([p["x"] ** 2 + p["y"] ** 2 - 1.0,
                                                   p["x"] - 2.0 * p["y"]])}
    disc_problem("trust-constr", con, x0=(0.5, 0.1), atol=1e-10, gtol=1e-10, xtol=1e-12)
    disc_problem("SLSQP", con, x0=(0.5, 0.1))


def test_nonlinear_constraint_trust_constr_matches_scipy_analytic():
    con = NonlinearConstraint(lambda p: p["x"] ** 2 + p["y"] ** 2, -np.inf, 1.0)
    # trust-constr's interior point stops near, not at, the boundary: the
    # oracle is SciPy with the analytic derivatives, on the same path
    res = disc_problem("trust-constr", con, atol=1e-3)
    ref = scipy_optimize.minimize(
        lambda x: (x[0] - 2.0) ** 2 + (x[1] - 1.0) ** 2, [0.0, 0.0], method="trust-constr",
        jac=lambda x: np.array([2 * (x[0] - 2.0), 2 * (x[1] - 1.0)]),
        hessp=lambda x, p: 2.0 * p, options={"maxiter": 500},
        constraints=NonlinearConstraint(lambda x: x[0] ** 2 + x[1] ** 2, -np.inf, 1.0,
                                        jac=lambda x: np.array([[2 * x[0], 2 * x[1]]])))
    np.testing.assert_allclose([res.x["x"], res.x["y"]], ref.x, atol=1e-10)
    assert res.nfev == ref.nfev


def test_hess_update_strategy_passes_through():
    res = minimize(lambda x: tg.sum((x - 1.0) ** 2), np.zeros(2), method="trust-constr",
                   hess=BFGS())
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-6)


def test_constraint_jacobian_equals_finite_differences():
    from tapegrad.optimize import _Constraint
    tree = _Tree({"a": np.zeros(3), "b": np.zeros((2, 2))})
    c = _Constraint(lambda p, k: tg.stack([tg.sum(tg.sin(p["a"]) * k), tg.sum(p["b"] ** 3),
                                           p["a"][0] * p["b"][1, 1]]), tree, (2.0,), "t")
    x = np.random.default_rng(1).uniform(-1, 1, tree.size)
    fd = np.empty((3, tree.size))
    for j in range(tree.size):
        e = np.zeros(tree.size)
        e[j] = 1e-6
        fd[:, j] = (c.fun(x + e) - c.fun(x - e)) / 2e-6
    np.testing.assert_allclose(c.jac(x), fd, atol=1e-8)


def test_linear_constraint_passes_through():
    res = minimize(lambda x: tg.sum((x - 2.0) ** 2), np.zeros(2), method="SLSQP",
                   constraints=LinearConstraint([[1.0, 1.0]], -np.inf, 1.0))
    np.testing.assert_allclose(res.x, [0.5, 0.5], atol=1e-7)


# ---- errors a user will hit --------------------------------------------------------------------
def test_non_scalar_fun_shows_the_shape():
    with pytest.raises(ShapeError, match=r"must return a scalar.*shape \(3,\)"):
        minimize(lambda x: x * 2.0, np.ones(3))


def test_nan_loss_names_the_iteration():
    # sqrt(3 - x) is NaN beyond 3, where the minimum of (x - 10)^2 pulls
    fun = lambda x: tg.sum((x - 10.0) ** 2 + tg.sqrt(3.0 - x))
    with pytest.raises(NonFiniteError, match=r"the loss is nan in iteration \d+ \(evaluation \d+\)"
                                             r".*gradient is not finite at x\[0\]"):
        with np.errstate(invalid="ignore"):
            minimize(fun, np.zeros(1))


def test_nan_at_x0_is_said_so():
    with pytest.raises(NonFiniteError, match=r"the loss is nan at x0"):
        with np.errstate(invalid="ignore"):
            minimize(lambda p: tg.sum(tg.log(p["w"])), {"w": np.array([1.0, -1.0])})


def test_infinite_gradient_names_the_parameter_entry():
    fun = lambda p: tg.sum(p["a"] ** 2) + tg.sum(tg.sqrt(p["b"]))
    with pytest.raises(NonFiniteError, match=r"the gradient is not finite at x0.*x\['b'\]\[1, 0\] "
                                             r"\(inf\)"):
        with np.errstate(divide="ignore"):
            minimize(fun, {"a": np.ones(2), "b": np.array([[1.0, 2.0], [0.0, 3.0]])})


def test_unknown_method_lists_the_methods():
    with pytest.raises(ValueError,
                       match=r"unknown method 'lbfgs'; choose one of L-BFGS-B, BFGS") as e:
        minimize(rosen_tg, X0, method="lbfgs")
    for m in METHODS:
        assert m in str(e.value)


def test_jac_or_hess_functions_are_refused():
    with pytest.raises(TypeError, match="computes jac from the tape"):
        minimize(rosen_tg, X0, jac=rosen_der)
    with pytest.raises(TypeError, match="computes hess and hessp"):
        minimize(rosen_tg, X0, method="Newton-CG", hessp=rosen_hess_prod)
    with pytest.raises(TypeError, match="differentiates the constraint itself"):
        minimize(rosen_tg, X0, method="SLSQP",
                 constraints={"type": "ineq", "fun": lambda x: x[0], "jac": lambda x: [1, 0]})


def test_complex_parameters_are_refused_by_name():
    with pytest.raises(TypeError, match=r"parameter x\['z'\] has dtype complex128"):
        minimize(rosen_tg, {"z": np.ones(2, complex)})


def test_iterations_are_logged_at_info(caplog):
    with caplog.at_level(logging.INFO, logger="tapegrad.optimize"):
        minimize(rosen_tg, X0)
    lines = [r.getMessage() for r in caplog.records if r.name == "tapegrad.optimize"]
    assert lines[0].startswith("iteration 1: loss ") and "|grad| " in lines[0]


def test_import_tapegrad_imports_neither_scipy_nor_dask():
    code = ("import sys, tapegrad; bad = [m for m in ('scipy', 'dask', 'distributed') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
