"""tapegrad.dask: value_and_grad, minimize and jacobian over chunked data, on
the local threaded scheduler, a process pool and a distributed LocalCluster
of two worker processes started here (one per module).

Oracles: tapegrad on the whole data in this process, closed-form gradients,
and tapegrad.optimize.minimize's single-process fit."""
import os
import signal
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pytest

import tapegrad as tg

pytest.importorskip("scipy")
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
cloudpickle = pytest.importorskip("cloudpickle")

import tapegrad.dask as tgd  # noqa: E402
from tapegrad.errors import ShapeError  # noqa: E402
from tapegrad.optimize import minimize as minimize_here  # noqa: E402

# Worker processes cannot import this test file: send its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

N, D = 1003, 4
CHUNKS = {"uneven": (300, 300, 250, 153), "single": (N,), "many": (25,) * 40 + (3,)}
RTOL = 1e-12


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    y = (rng.random(N) < 1 / (1 + np.exp(-(X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3)))) * 1.0
    return X, y


X_NP, Y_NP = make_data()
W = np.array([0.3, -0.7, 0.2, 0.05])


def chunked(chunks, X=X_NP, y=Y_NP):
    return da.from_array(X, chunks=(chunks, D)), da.from_array(y, chunks=(chunks,))


def lsq(w, X, y):
    return 0.5 * tg.sum((X @ w - y) ** 2)


def logistic(p, X, y):
    z = X @ p["w"] + p["b"]
    return tg.sum(tg.maximum(z, 0) + tg.log(1 + tg.exp(-tg.abs(z))) - y * z)


def lsq_grad_and_scale(w, X=X_NP, y=Y_NP):
    """The closed-form gradient X^T (Xw - y), and the sum of its terms'
    magnitudes: the scale that summation-order differences are relative to."""
    terms = X * (X @ w - y)[:, None]
    return terms.sum(axis=0), np.abs(terms).sum(axis=0)


def assert_close(got, want, scale=None):
    got, want = np.asarray(got), np.asarray(want)
    atol = 0 if scale is None else RTOL * np.asarray(scale)
    assert np.all(np.abs(got - want) <= RTOL * np.abs(want) + atol), (got, want, got - want)


@pytest.fixture(autouse=True)
def local_threads(request):
    """Tests without the cluster run on the local threaded scheduler (dask's
    default; set explicitly, since the module's Client makes itself default)."""
    if "client" in request.fixturenames:
        yield
    else:
        with dask.config.set(scheduler="threads"):
            yield


# ---- value_and_grad, local ------------------------------------------------------------
@pytest.mark.parametrize("chunks", CHUNKS)
def test_value_and_grad_equals_single_process_and_closed_form(chunks):
    X, y = chunked(CHUNKS[chunks])
    value, grad = tgd.value_and_grad(lsq)(W, X, y)
    v0, g0 = tg.value_and_grad(lsq)(W, X_NP, Y_NP)
    closed, scale = lsq_grad_and_scale(W)
    assert isinstance(value, tg.Tensor) and isinstance(grad, tg.Tensor)
    assert_close(value.item(), v0.item())
    assert_close(value.item(), 0.5 * np.sum((X_NP @ W - Y_NP) ** 2))
    assert_close(grad.asnumpy(), g0.asnumpy(), scale)
    assert_close(grad.asnumpy(), closed, scale)


@pytest.mark.parametrize("chunks", ["uneven", "single"])
def test_structured_params_keep_their_structure(chunks):
    X, y = chunked(CHUNKS[chunks])
    p = {"w": W, "b": np.array(0.1)}
    value, grad = tgd.value_and_grad(logistic)(p, X, y)
    v0, g0 = tg.value_and_grad(lambda w, b: logistic({"w": w, "b": b}, X_NP, Y_NP),
                               argnums=(0, 1))(W, 0.1)
    assert set(grad) == {"w", "b"} and grad["w"].shape == (D,) and grad["b"].shape == ()
    assert_close(value.item(), v0.item())
    assert_close(grad["w"].asnumpy(), g0[0].asnumpy())
    assert_close(grad["b"].asnumpy(), g0[1].asnumpy())


def test_argnums_tuple_and_float32_params():
    X, y = chunked(CHUNKS["uneven"])
    loss = lambda w, b, X, y: tg.sum((X @ w + b - y) ** 2)
    w32 = W.astype(np.float32)
    value, (gw, gb) = tgd.value_and_grad(loss, argnums=(0, 1))(w32, np.float32(0.5), X, y)
    v0, (gw0, gb0) = tg.value_and_grad(loss, argnums=(0, 1))(w32, np.float32(0.5), X_NP, Y_NP)
    assert gw.dtype == np.float32 and gw0.dtype == np.float32
    # float32 gradients are summed in float32: the order of additions shows
    # at float32's precision (eps 1.2e-7), relative to the sum of magnitudes
    r = (X_NP @ w32 + np.float32(0.5) - Y_NP)
    scale = 2 * np.abs(X_NP * r[:, None]).sum(axis=0)
    assert np.all(np.abs(gw.asnumpy() - gw0.asnumpy()) <= 1e-6 * scale)
    assert abs(gb.item() - gb0.item()) <= 1e-6 * 2 * np.abs(r).sum()
    assert value.dtype == v0.dtype


def test_column_chunks_are_merged_row_chunks_must_match():
    X = da.from_array(X_NP, chunks=(300, 2))                 # two column chunks: merged
    y = da.from_array(Y_NP, chunks=300)
    _, grad = tgd.value_and_grad(lsq)(W, X, y)
    assert_close(grad.asnumpy(), lsq_grad_and_scale(W)[0], lsq_grad_and_scale(W)[1])
    with pytest.raises(ShapeError, match=r"share their row chunks.*rechunk"):
        tgd.value_and_grad(lsq)(W, X, da.from_array(Y_NP, chunks=200))


def test_data_computed_from_other_data_is_made_once_per_block():
    # y computed from X (as when labels come from features): each X block is
    # made once per call, not again inside y's own (fused) tasks
    made = []

    def rows(b):
        made.append(int(b[0]))
        return X_NP[b[0]:b[-1] + 1]

    X = da.arange(N, chunks=CHUNKS["uneven"]).map_blocks(
        rows, new_axis=1, chunks=(CHUNKS["uneven"], (D,)), dtype=float)
    y = (X.dot(W) > 0).astype(float)
    value, _ = tgd.value_and_grad(lsq)(W, X, y)
    assert sorted(made) == [0, 300, 600, 850]
    assert_close(value.item(), 0.5 * np.sum((X_NP @ W - (X_NP @ W > 0)) ** 2))


def test_blocks_reach_the_loss_uncopied():
    X, y = dask.persist(*chunked(CHUNKS["uneven"]))       # blocks held in this process
    held = [b.compute() for b in X.to_delayed().ravel()]
    shared = []

    def loss(w, Xb, yb):
        shared.append(any(np.shares_memory(Xb, h) for h in held))
        return lsq(w, Xb, yb)

    tgd.value_and_grad(loss)(W, X, y)
    assert shared == [True] * 4


def test_usage_errors_say_what_to_do():
    X, y = chunked(CHUNKS["uneven"])
    with pytest.raises(TypeError, match="no dask array among the arguments"):
        tgd.value_and_grad(lsq)(W, X_NP, Y_NP)
    with pytest.raises(TypeError, match="points at dask array argument 1"):
        tgd.value_and_grad(lsq, argnums=1)(W, X, y)
    with pytest.raises(ShapeError, match=r"the loss must return a scalar .* shape \(\d+,\)"):
        tgd.value_and_grad(lambda w, X, y: X @ w)(W, X, y)


def test_threads_do_not_interfere():
    # 41 blocks on 8 threads at once, each recording its own tape: the result
    # is bit for bit the one-thread (synchronous) result.
    X, y = chunked(CHUNKS["many"])
    vg = tgd.value_and_grad(logistic)
    p = {"w": W, "b": 0.1}
    with dask.config.set(scheduler="sync"):
        v1, g1 = vg(p, X, y)
    for _ in range(3):
        with dask.config.set(scheduler="threads", num_workers=8):
            v8, g8 = vg(p, X, y)
        assert v8.item() == v1.item()
        np.testing.assert_array_equal(g8["w"].asnumpy(), g1["w"].asnumpy())


def test_the_sum_is_a_tree_and_params_are_one_key():
    from dask.core import get_dependencies

    from tapegrad.dask import _Call, _sum_over_blocks, _Tree
    X, y = chunked(CHUNKS["many"])
    call = _Call(lsq, [None, None, None], [1, 2], (0,), [_Tree(W)], [W])
    total = _sum_over_blocks(call, [X, y], split_every=4, compute=False)
    graph = dict(total.__dask_graph__())
    blocks = [k for k in graph if str(k).startswith("_block")]
    adds = [k for k in graph if str(k).startswith("_add")]
    assert len(blocks) == 41
    # every block task reads one and the same key: the loss and the params
    common = set.intersection(*(set(get_dependencies(graph, k)) for k in blocks))
    assert len(common) == 1
    # 41 blocks, 4 at a time: 10 + 3 + 1 additions (a lone 41st part moves
    # up a level as it is), none of more than 4 parts
    assert len(adds) == 14
    assert all(len(get_dependencies(graph, k)) <= 4 for k in adds)


@pytest.mark.parametrize("scheduler", ["threads", "sync"])
def test_a_raising_loss_names_the_block(scheduler):
    X, y = chunked(CHUNKS["uneven"])
    bad = Y_NP.copy()
    bad[700] = -1.0                                 # in block 2: rows 600:850
    with dask.config.set(scheduler=scheduler):
        with pytest.raises(ValueError, match="negative label") as e:
            tgd.value_and_grad(checked_labels)(W, X, da.from_array(bad, chunks=y.chunks))
    assert "block 2 of 4 (rows 600:850)" in " ".join(getattr(e.value, "__notes__", [])
                                                     + [str(e.value)])


def checked_labels(w, X, y):
    if np.any(np.asarray(y) < 0):
        raise ValueError("negative label")
    return lsq(w, X, y)


# ---- minimize --------------------------------------------------------------------------------
def reference_fit(**kw):
    return minimize_here(logistic, {"w": np.zeros(D), "b": 0.0}, args=(X_NP, Y_NP), **kw)


def assert_same_fit(res, ref):
    # Optimizer tolerance, not 1e-12: last-bit differences in the gradient
    # may move a line search; both runs reach the optimum to ~1e-9.
    np.testing.assert_allclose(res.x["w"], ref.x["w"], rtol=0, atol=1e-7)
    np.testing.assert_allclose(res.x["b"], ref.x["b"], rtol=0, atol=1e-7)
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-12)


TIGHT = {"options": {"gtol": 1e-10, "ftol": 0, "maxiter": 200}}


@pytest.mark.parametrize("chunks", ["uneven", "single"])
def test_minimize_equals_single_process_fit(chunks):
    X, y = chunked(CHUNKS[chunks])
    res = tgd.minimize(logistic, {"w": np.zeros(D), "b": 0.0}, X, y, **TIGHT)
    assert res.success, res.message
    assert_same_fit(res, reference_fit(**TIGHT))


@pytest.mark.parametrize("method", ["Newton-CG", "trust-exact"])
def test_minimize_second_order_methods_sum_block_hvps_and_hessians(method):
    X, y = chunked(CHUNKS["uneven"])
    res = tgd.minimize(logistic, {"w": np.zeros(D), "b": 0.0}, X, y, method=method)
    assert res.success, res.message
    ref = reference_fit(method=method)
    np.testing.assert_allclose(res.x["w"], ref.x["w"], atol=1e-7)
    assert res.nfev == ref.nfev


def test_minimize_persists_the_arrays_once():
    made = []
    rows = [(0, 250), (250, 500), (500, 750), (750, N)]

    def block(a, b):
        made.append(a)
        return X_NP[a:b]

    X = da.concatenate([da.from_delayed(dask.delayed(block)(a, b), (b - a, D), float)
                        for a, b in rows])
    y = da.from_array(Y_NP, chunks=(tuple(b - a for a, b in rows),))
    res = tgd.minimize(logistic, {"w": np.zeros(D), "b": 0.0}, X, y)
    assert res.nfev > 5 and sorted(made) == [0, 250, 500, 750]      # each block made once


def test_progress_prints_iteration_loss_and_gradient_norm(capsys):
    X, y = chunked(CHUNKS["uneven"])
    res = tgd.minimize(logistic, {"w": np.zeros(D), "b": 0.0}, X, y, progress=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == res.nit
    assert lines[0].startswith("iteration 1: loss ") and "|grad| " in lines[0]
    final = float(lines[-1].split("loss ")[1].split(",")[0])
    assert final == pytest.approx(res.fun, rel=1e-9)


def test_minimize_derivative_free_method_sums_block_values():
    X, y = chunked(CHUNKS["uneven"])
    loss = lambda a, X, y: 0.5 * tg.sum((X[:, 0] * a - y) ** 2)
    res = tgd.minimize(loss, np.array(0.0), X, y, method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-12})
    closed = X_NP[:, 0] @ Y_NP / (X_NP[:, 0] @ X_NP[:, 0])
    np.testing.assert_allclose(res.x, closed, rtol=1e-6)


def test_minimize_logs_iterations_at_info(caplog):
    X, y = chunked(CHUNKS["uneven"])
    with caplog.at_level("INFO", logger="tapegrad.dask"):
        res = tgd.minimize(logistic, {"w": np.zeros(D), "b": 0.0}, X, y)
    lines = [r.getMessage() for r in caplog.records if r.name == "tapegrad.dask"]
    assert len(lines) == res.nit and lines[-1].startswith(f"iteration {res.nit}: loss ")


def test_dask_inside_is_the_dask_package():
    assert tgd.dask.__name__ == "dask" and tgd.da.__name__ == "dask.array"


def test_minimize_refuses_in_memory_data():
    with pytest.raises(TypeError, match="must be dask arrays"):
        tgd.minimize(logistic, {"w": np.zeros(D), "b": 0.0}, X_NP, Y_NP)


# ---- jacobian ------------------------------------------------------------------------------------
A = np.random.default_rng(2).standard_normal((500, 6))
XJ = np.random.default_rng(3).standard_normal(6) * 0.3


def jac_f(x):
    return tg.tanh(tg.matmul(A, x)) * tg.sum(x)


def jac_closed(x):
    t = np.tanh(A @ x)
    return (1 - t ** 2)[:, None] * A * x.sum() + t[:, None]


def test_jacobian_equals_single_process_and_closed_form():
    J = tgd.jacobian(jac_f, XJ, rows_per_task=64)
    assert isinstance(J, np.ndarray) and J.shape == (500, 6)
    np.testing.assert_allclose(J, tg.jacobian(jac_f)(XJ).asnumpy(), rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(J, jac_closed(XJ), rtol=1e-12, atol=1e-14)


def test_jacobian_lazy_blocks_and_multidimensional_output():
    J = tgd.jacobian(jac_f, XJ, rows_per_task=128, compute=False)
    assert isinstance(J, da.Array) and J.chunks[0] == (128, 128, 128, 116)
    np.testing.assert_allclose(J.compute(), jac_closed(XJ), rtol=1e-12, atol=1e-14)
    f2 = lambda x: tg.reshape(jac_f(x), (50, 10))
    J2 = tgd.jacobian(f2, XJ, rows_per_task=77)
    assert J2.shape == (50, 10, 6)
    np.testing.assert_allclose(J2, jac_closed(XJ).reshape(50, 10, 6), rtol=1e-12, atol=1e-14)


# ---- a process pool --------------------------------------------------------------------------
def test_process_pool_scheduler_same_code():
    X, y = chunked(CHUNKS["uneven"])
    with dask.config.set(scheduler="processes", num_workers=2):
        value, grad = tgd.value_and_grad(lsq)(W, X, y)
    closed, scale = lsq_grad_and_scale(W)
    assert_close(grad.asnumpy(), closed, scale)
    assert_close(value.item(), tg.value_and_grad(lsq)(W, X_NP, Y_NP)[0].item())


# ---- a distributed LocalCluster of two worker processes ----------------------------------------
@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  memory_limit="1GiB", silence_logs=40) as c:
        yield c


@pytest.fixture
def client(cluster):
    distributed = pytest.importorskip("distributed")
    with distributed.Client(cluster) as c:          # the default scheduler while it lives
        yield c


@pytest.mark.parametrize("chunks", ["uneven", "single"])
def test_cluster_value_and_grad_equals_single_process(client, chunks):
    X, y = chunked(CHUNKS[chunks])
    value, grad = tgd.value_and_grad(lsq)(W, X, y)
    closed, scale = lsq_grad_and_scale(W)
    assert_close(grad.asnumpy(), closed, scale)
    assert_close(grad.asnumpy(), tg.value_and_grad(lsq)(W, X_NP, Y_NP)[1].asnumpy(), scale)
    assert_close(value.item(), 0.5 * np.sum((X_NP @ W - Y_NP) ** 2))
    assert client.run(lambda: "tapegrad" in sys.modules)     # it ran on the workers


def test_cluster_minimize_and_jacobian_equal_single_process(client):
    X, y = chunked(CHUNKS["uneven"])
    res = tgd.minimize(logistic, {"w": np.zeros(D), "b": 0.0}, X, y, **TIGHT)
    assert_same_fit(res, reference_fit(**TIGHT))
    J = tgd.jacobian(jac_f, XJ, rows_per_task=100)
    np.testing.assert_allclose(J, tg.jacobian(jac_f)(XJ).asnumpy(), rtol=RTOL, atol=1e-14)


class CountUnpickling:
    """A loss that counts, in each worker's environment, how often it is unpickled."""

    def __init__(self, tag):
        self.tag = tag

    def __call__(self, w, X, y):
        return lsq(w, X, y)

    def __setstate__(self, state):
        self.__dict__.update(state)
        os.environ[self.tag] = str(int(os.environ.get(self.tag, "0")) + 1)


def test_cluster_params_and_loss_travel_once_per_worker_not_per_block(client):
    X, y = chunked(CHUNKS["many"])                  # 41 blocks
    tag = "TG_TEST_UNPICKLED_" + uuid.uuid4().hex
    tgd.value_and_grad(CountUnpickling(tag))(W, X, y)
    counts = client.run(lambda: int(os.environ.get(tag, "0")))
    assert 1 <= sum(counts.values()) <= len(counts), counts


def test_cluster_raising_loss_keeps_its_type_and_names_the_block(client):
    X, y = chunked(CHUNKS["uneven"])
    bad = Y_NP.copy()
    bad[900] = -1.0                                 # block 3: rows 850:1003
    with pytest.raises(ValueError, match="negative label") as e:
        tgd.value_and_grad(checked_labels)(W, X, da.from_array(bad, chunks=y.chunks))
    assert "block 3 of 4 (rows 850:1003)" in " ".join(getattr(e.value, "__notes__", [])
                                                      + [str(e.value)])


def slow_lsq(marker_dir, w, X, y):
    with open(os.path.join(marker_dir, f"{os.getpid()}-{uuid.uuid4().hex}"), "w"):
        pass
    time.sleep(0.25)
    return lsq(w, X, y)


def test_cluster_worker_killed_mid_call_is_rescheduled_result_exact(client, tmp_path):
    X, y = chunked((126,) * 7 + (121,))             # 8 blocks of 0.25 s on 2 workers
    loss = partial(slow_lsq, str(tmp_path))
    expected_v, expected_g = tg.value_and_grad(lsq)(W, X_NP, Y_NP)
    before = set(client.run(os.getpid).values())
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(tgd.value_and_grad(loss), W, X, y)
        deadline = time.monotonic() + 30
        while not os.listdir(tmp_path):             # a block is running on a worker
            assert time.monotonic() < deadline and not future.done()
            time.sleep(0.01)
        victim = int(os.listdir(tmp_path)[0].split("-")[0])
        assert victim in before
        os.kill(victim, signal.SIGKILL)
        value, grad = future.result(timeout=120)
    closed, scale = lsq_grad_and_scale(W)
    assert_close(grad.asnumpy(), expected_g.asnumpy(), scale)
    assert_close(grad.asnumpy(), closed, scale)
    assert_close(value.item(), expected_v.item())
    pids = {int(name.split("-")[0]) for name in os.listdir(tmp_path)}
    assert victim in pids and len(pids) >= 2       # the killed worker's block ran again elsewhere
    assert len(os.listdir(tmp_path)) > 8
    client.wait_for_workers(2, timeout=60)        # the nanny restarted it, for the next test
