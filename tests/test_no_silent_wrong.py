"""Issue 13: no silently wrong gradient, no corrupted state.

Each test is named after the behaviour it pins and uses only the public API
(tg.*, autograd.*, Tensor methods, NumPy's protocols), so it checks the
redesigned op layer unchanged.  Oracles are closed forms.
"""
import copy
import json
import os
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad import errors


def variable(values, grad_req="write", dtype=None):
    x = tg.array(values, dtype=dtype)
    x.attach_grad(grad_req)
    return x


# ---------------------------------------------------------------------------
# np.asarray(t) is a read-only view: NumPy cannot write behind the version
# counter (asnumpy() is the writable copy)
# ---------------------------------------------------------------------------

def test_asarray_view_is_read_only():
    x = tg.array([1.0, 2.0, 3.0])
    a = np.asarray(x)
    assert not a.flags.writeable
    np.testing.assert_array_equal(a, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="read-only"):
        a[...] = 5
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0, 3.0])


def test_asarray_write_cannot_corrupt_a_recorded_gradient():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(x)[...] = 5
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0])


def test_asarray_inplace_on_saved_intermediate_raises():
    x = variable([1.0, 2.0])
    with autograd.record():
        h = x * 3.0
        y = (h * h).sum()
    a = np.asarray(h)
    with pytest.raises(ValueError, match="read-only"):
        a *= 0
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [18.0, 36.0])   # 18 x


def test_ufunc_out_into_asarray_of_tensor_raises():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    with pytest.raises(ValueError, match="read-only"):
        np.multiply(x, 0, out=np.asarray(x))
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0])
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0])


def test_asnumpy_and_np_array_are_writable_copies():
    x = tg.array([1.0, 2.0])
    for a in (x.asnumpy(), np.array(x), np.asarray(x, dtype=np.float32)):
        assert a.flags.writeable
        a[...] = 7
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0])


def test_grad_asarray_is_read_only_too():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    g = np.asarray(x.grad)
    with pytest.raises(ValueError, match="read-only"):
        g[0] = 0
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0])


# ---------------------------------------------------------------------------
# custom Functions: saved inputs are version-checked, one instance may be
# applied several times, a wrong-shaped gradient is named
# ---------------------------------------------------------------------------

class Sq(autograd.Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        x, = self.saved_tensors
        return 2 * x * dy


def test_function_saved_input_modified_in_place_raises():
    a = variable([1.0, 2.0])
    with autograd.record():
        y = Sq()(a).sum()
    a[0] = 100
    with pytest.raises(errors.InplaceModificationError) as e:
        y.backward()
    msg = str(e.value)
    assert "Sq" in msg and "in-place" in msg and "saved" in msg
    assert isinstance(e.value, RuntimeError)


def test_function_saved_input_modified_through_view_raises():
    a = variable([1.0, 2.0])
    with autograd.record():
        y = Sq()(a).sum()
    a.detach()[1] = 7          # shares memory and version with a
    with pytest.raises(errors.InplaceModificationError, match="Sq"):
        y.backward()


def test_function_instance_reused_keeps_saved_per_call():
    a = variable(2.0)
    b = variable(3.0)
    sq = Sq()
    with autograd.record():
        y = sq(a) * sq(b)             # a^2 b^2
    y.backward()
    assert a.grad.item() == 2 * 2.0 * 3.0 ** 2      # 36
    assert b.grad.item() == 2 * 3.0 * 2.0 ** 2      # 24


def test_function_instance_reused_with_different_shapes_and_unused_outputs():
    class Split(autograd.Function):
        def forward(self, x):
            return x * 2, x * 3

        def backward(self, d1, d2):
            return d1 * 2 + d2 * 3

    f = Split()
    a = variable([1.0, 2.0])
    b = variable([1.0, 2.0, 3.0])
    with autograd.record():
        u1, _ = f(a)                  # second output unused: zero gradient
        _, v2 = f(b)                  # first output unused
        loss = u1.sum() + v2.sum()
    loss.backward()
    np.testing.assert_array_equal(a.grad.asnumpy(), [2.0, 2.0])
    np.testing.assert_array_equal(b.grad.asnumpy(), [3.0, 3.0, 3.0])


def test_function_backward_wrong_shape_names_function_input_and_shapes():
    class BadGrad(autograd.Function):
        def forward(self, x, y):
            return x * y

        def backward(self, dz):
            return dz, tg.ones(3)        # input 1 has shape (2,)

    x = variable([1.0, 2.0])
    y = variable([3.0, 4.0])
    with autograd.record():
        z = BadGrad()(x, y).sum()
    with pytest.raises(errors.FunctionError) as e:
        z.backward()
    msg = str(e.value)
    assert "BadGrad" in msg and "input 1" in msg and "(3,)" in msg and "(2,)" in msg
    assert isinstance(e.value, ValueError)
    # the rejected backward left the graph and the gradients as they were
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])


def test_function_backward_gradient_of_broadcast_shape_is_summed():
    class AddRow(autograd.Function):
        def forward(self, row, m):
            return m + row

        def backward(self, dz):
            return dz, dz                  # dz has m's shape (2, 3); row is (3,)

    row = variable([1.0, 2.0, 3.0])
    m = variable(np.zeros((2, 3)))
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with autograd.record():
        z = (AddRow()(row, m) * w).sum()
    z.backward()
    np.testing.assert_array_equal(row.grad.asnumpy(), [5.0, 7.0, 9.0])
    np.testing.assert_array_equal(m.grad.asnumpy(), w)


# ---------------------------------------------------------------------------
# head_grad: real numbers of the head's shape; a rejected call leaves the
# graph usable
# ---------------------------------------------------------------------------

def _recorded_square():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = x * x
    return x, y


@pytest.mark.parametrize("bad", [
    [None, None],
    np.array(["1", "2"]),
    ["1.0", "2.0"],
    np.array([1 + 1j, 2.0]),
    [{}, {}],
], ids=["nones", "str_array", "str_list", "complex", "dicts"])
def test_head_grad_not_real_numbers_is_type_error_and_graph_usable(bad):
    x, y = _recorded_square()
    with pytest.raises(TypeError, match="head_grad") as e:
        y.backward(bad)
    assert "real numbers" in str(e.value)
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 40.0])


def test_head_grad_wrong_shape_is_value_error_and_graph_usable():
    x, y = _recorded_square()
    with pytest.raises(ValueError, match=r"head_grad has shape \(3,\)"):
        y.backward([1.0, 2.0, 3.0])
    y.backward([1.0, 10.0])
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 40.0])


@pytest.mark.parametrize("good", [[3, 4], [3.0, 4.0], np.array([3.0, 4.0], np.float32),
                                  tg.array([3.0, 4.0])],
                         ids=["int_list", "float_list", "float32_array", "tensor"])
def test_head_grad_of_real_numbers_is_accepted(good):
    x, y = _recorded_square()
    y.backward(good)
    np.testing.assert_array_equal(x.grad.asnumpy(), [6.0, 16.0])


def test_autograd_grad_head_grads_not_real_is_type_error():
    x, y = _recorded_square()
    with pytest.raises(TypeError, match="head_grad"):
        autograd.grad(y, x, head_grads=[np.array(["a", "b"])], retain_graph=True)
    g, = autograd.grad(y, x, head_grads=[np.array([1.0, 1.0])])
    np.testing.assert_array_equal(g.asnumpy(), [2.0, 4.0])


@pytest.mark.parametrize("bad", [[None, None], np.array(["1", "2"]), [1j, 2.0]],
                         ids=["nones", "str_array", "complex"])
def test_vjp_cotangent_not_real_numbers_is_type_error(bad):
    out, vjp_fn = tg.vjp(lambda x: x * 2.0, tg.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="real numbers"):
        vjp_fn(bad)
    g, = vjp_fn([1.0, 3.0])
    np.testing.assert_array_equal(g.asnumpy(), [2.0, 6.0])


# ---------------------------------------------------------------------------
# scopes keep a stack of saved states: one object entered twice, nested
# ---------------------------------------------------------------------------

def test_record_scope_entered_twice_nested_restores_state():
    assert not autograd.is_recording()
    r = autograd.record()
    with r:
        with r:
            assert autograd.is_recording()
        assert autograd.is_recording()
    assert not autograd.is_recording()
    assert not autograd.is_training()


def test_pause_scope_entered_twice_nested_restores_state():
    p = autograd.pause()
    with autograd.record():
        with p:
            with p:
                assert not autograd.is_recording()
            assert not autograd.is_recording()
        assert autograd.is_recording()
        assert autograd.is_training()
    assert not autograd.is_recording()


def test_train_mode_scope_entered_twice_restores_state_after_exception():
    t = autograd.train_mode()
    with pytest.raises(KeyError):
        with t:
            with t:
                raise KeyError("boom")
    assert not autograd.is_training()


def test_scope_reused_sequentially_and_nested_records_a_graph():
    r = autograd.record()
    x = variable(3.0)
    with r:
        with r:
            y = x * x
        z = y * x
    assert not autograd.is_recording()
    with r:
        w = z * 2.0
    w.backward()
    assert x.grad.item() == 6 * 3.0 ** 2     # d(2 x^3)/dx = 6 x^2 = 54


# ---------------------------------------------------------------------------
# copies and pickles of a variable keep grad_req and a copy of grad
# ---------------------------------------------------------------------------

def _trained_variable(grad_req, dtype=None):
    x = variable([1.0, 2.0], grad_req, dtype)
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    return x


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
@pytest.mark.parametrize("grad_req", ["write", "add"])
def test_copy_of_variable_keeps_grad_req_and_a_copy_of_grad(how, grad_req):
    x = _trained_variable(grad_req)
    c = {"copy": copy.copy, "deepcopy": copy.deepcopy,
         "pickle": lambda t: pickle.loads(pickle.dumps(t))}[how](x)
    assert c.grad_req == grad_req
    np.testing.assert_array_equal(c.asnumpy(), [1.0, 2.0])
    np.testing.assert_array_equal(c.grad.asnumpy(), [2.0, 4.0])
    # a copy: changing one leaves the other
    c.grad.zero_()
    c[0] = 10.0
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0])
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0])
    # and the copy is trainable
    c.grad[...] = 1.0
    with autograd.record():
        y = (c * c).sum()
    y.backward()
    expected = [20.0, 4.0] if grad_req == "write" else [21.0, 5.0]
    np.testing.assert_array_equal(c.grad.asnumpy(), expected)


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_copy_of_float32_variable_keeps_dtype_of_value_and_grad(how):
    x = _trained_variable("write", dtype="float32")
    c = {"copy": copy.copy, "deepcopy": copy.deepcopy,
         "pickle": lambda t: pickle.loads(pickle.dumps(t))}[how](x)
    assert c.dtype == np.float32 and c.grad.dtype == np.float32


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_copy_of_recorded_intermediate_is_plain_tensor(how):
    x = variable([1.0, 2.0])
    with autograd.record():
        h = x * 3.0
    c = {"copy": copy.copy, "deepcopy": copy.deepcopy,
         "pickle": lambda t: pickle.loads(pickle.dumps(t))}[how](h)
    np.testing.assert_array_equal(c.asnumpy(), [3.0, 6.0])
    assert c.grad is None and c.grad_req == "null"
    with pytest.raises(errors.NotRecordedError):
        c.backward()


def test_copy_of_null_grad_req_tensor_has_no_grad():
    x = tg.array([1.0, 2.0])
    x.attach_grad("null")
    c = copy.deepcopy(x)
    assert c.grad is None and c.grad_req == "null"


def _loss(w, b, X, t):
    return (((X @ w + b) - t) ** 2).mean()


@pytest.mark.parametrize("make", [lambda ps: tg.optim.Adam(ps, lr=0.05),
                                  lambda ps: tg.optim.SGD(ps, lr=0.05, momentum=0.9)],
                         ids=["Adam", "SGD_momentum"])
def test_deepcopy_optimizer_keeps_state_and_steps_like_the_original(make):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 3))
    t = rng.normal(size=8)
    w = variable(rng.normal(size=3))
    b = variable(0.0)
    opt = make([w, b])

    def step(w, b, opt):
        with autograd.record():
            loss = _loss(w, b, X, t)
        loss.backward()
        opt.step()

    for _ in range(3):
        step(w, b, opt)
    w2, b2, opt2 = copy.deepcopy((w, b, opt))
    assert opt2.params[0] is w2 and opt2.params[1] is b2
    for _ in range(3):
        step(w, b, opt)
        step(w2, b2, opt2)
    np.testing.assert_array_equal(w2.asnumpy(), w.asnumpy())
    np.testing.assert_array_equal(b2.asnumpy(), b.asnumpy())
    assert not np.shares_memory(w2.asnumpy(), w.asnumpy())


# ---------------------------------------------------------------------------
# a graph belongs to the thread that recorded it
# ---------------------------------------------------------------------------

def test_backward_from_another_thread_is_graph_error_that_says_so():
    x = variable([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    caught = []

    def other():
        try:
            y.backward()
        except BaseException as e:     # handed back to the test thread
            caught.append(e)

    th = threading.Thread(target=other)
    th.start()
    th.join()
    assert len(caught) == 1
    e = caught[0]
    assert isinstance(e, errors.GraphError) and isinstance(e, RuntimeError)
    msg = str(e)
    assert "recorded on another thread" in msg
    assert "the thread that recorded it" in msg and "detach()" in msg
    # the rejected call left the graph usable on its own thread
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0])


# ---------------------------------------------------------------------------
# softmax / logsumexp over an empty axis behave as NumPy / SciPy do
# ---------------------------------------------------------------------------

def test_logsumexp_over_empty_axis_is_minus_inf_with_empty_gradient():
    x = variable(np.zeros((3, 0)))
    with autograd.record():
        y = tg.logsumexp(x, axis=1)
    np.testing.assert_array_equal(y.asnumpy(), [-np.inf] * 3)   # log(sum of nothing)
    y.backward(np.ones(3))
    assert x.grad.shape == (3, 0)
    assert tg.logsumexp(tg.zeros((0,))).item() == -np.inf
    np.testing.assert_array_equal(tg.logsumexp(tg.zeros((2, 0)), axis=1, keepdims=True)
                                  .asnumpy(), [[-np.inf], [-np.inf]])


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_over_empty_axis_is_empty(fn):
    x = variable(np.zeros((2, 0)))
    with autograd.record():
        y = getattr(tg, fn)(x, axis=1)
    assert y.shape == (2, 0)
    y.backward()
    assert x.grad.shape == (2, 0)
    assert getattr(tg, fn)(tg.zeros((0, 3)), axis=1).shape == (0, 3)


def test_logsumexp_over_nonempty_axis_of_empty_tensor():
    y = tg.logsumexp(tg.zeros((0, 3)), axis=1)
    assert y.shape == (0,)


# ---------------------------------------------------------------------------
# configuration from the environment: a bad value warns, names the variable
# and the accepted values, and the default is used
# ---------------------------------------------------------------------------

_PROBE = """
import json, warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    import tapegrad as tg
    from tapegrad import autograd
from tapegrad._core import buffers, kernels
x = tg.array([1.0, 2.0]); x.attach_grad()
with autograd.record():
    y = (x * x).sum()
y.backward()
print(json.dumps({"warnings": [[c.category.__name__, issubclass(c.category, RuntimeWarning),
                               str(c.message)] for c in w],
                  "grad": x.grad.asnumpy().tolist(),
                  "limit": buffers.limit(), "threads": kernels.num_threads()}))
"""


def _probe(**env):
    full = {k: v for k, v in os.environ.items()
            if k not in ("TAPEGRAD_BUFFER_CACHE_MB", "TAPEGRAD_NUM_THREADS")}
    full.update(env)
    r = subprocess.run([sys.executable, "-c", _PROBE], env=full, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def default_config():
    return _probe()


@pytest.mark.parametrize("var,value,accepted", [
    ("TAPEGRAD_BUFFER_CACHE_MB", "abc", "a number of MiB >= 0"),
    ("TAPEGRAD_BUFFER_CACHE_MB", "-5", "a number of MiB >= 0"),
    ("TAPEGRAD_BUFFER_CACHE_MB", "nan", "a number of MiB >= 0"),
    ("TAPEGRAD_BUFFER_CACHE_MB", "inf", "a number of MiB >= 0"),
    ("TAPEGRAD_NUM_THREADS", "abc", "a whole number >= 1"),
    ("TAPEGRAD_NUM_THREADS", "0", "a whole number >= 1"),
    ("TAPEGRAD_NUM_THREADS", "2.5", "a whole number >= 1"),
    ("TAPEGRAD_NUM_THREADS", "3abc", "a whole number >= 1"),
])
def test_bad_environment_setting_warns_naming_variable_and_uses_default(
        var, value, accepted, default_config):
    got = _probe(**{var: value})
    assert got["grad"] == [2.0, 4.0]
    ours = [w for w in got["warnings"] if var in w[2]]
    assert len(ours) == 1, got["warnings"]
    category, is_runtime, msg = ours[0]
    assert is_runtime
    assert repr(value) in msg and accepted in msg and "default" in msg
    assert got["limit"] == default_config["limit"]
    assert got["threads"] == default_config["threads"]


@pytest.mark.parametrize("var,value,key,expected", [
    ("TAPEGRAD_BUFFER_CACHE_MB", "3", "limit", 3 << 20),
    ("TAPEGRAD_BUFFER_CACHE_MB", " 0.5 ", "limit", 1 << 19),
    ("TAPEGRAD_NUM_THREADS", "1", "threads", 1),
])
def test_good_environment_setting_is_used_without_warning(var, value, key, expected):
    got = _probe(**{var: value})
    assert not [w for w in got["warnings"] if var in w[2]], got["warnings"]
    assert got[key] == expected


# ---------------------------------------------------------------------------
# found by the differential fuzzer (tests/test_fuzz_differential.py)
# ---------------------------------------------------------------------------

def test_mixed_precision_gradient_is_computed_in_the_result_dtype():
    # a float64 tensor with a float32 constant: the result and its gradient
    # are float64, so the derivative must not be rounded to float32 on the way
    c = np.array([3.0, 7.0], np.float32)
    x = variable([1.0, 2.0])
    with autograd.record():
        y = (x / c).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), 1.0 / c.astype(np.float64))
    b = variable([0.5, 1.5])
    with autograd.record():
        z = (c ** b).sum()              # d/db c^b = c^b ln c
    z.backward()
    c64 = c.astype(np.float64)
    np.testing.assert_allclose(b.grad.asnumpy(), c64 ** b.asnumpy() * np.log(c64),
                               rtol=1e-15)


def test_write_through_a_view_of_a_saved_tensor_raises():
    x = variable([1.0, 2.0, 3.0, 4.0])
    with autograd.record():
        h = x * 1.0
        v = h.reshape(2, 2)             # shares h's memory
        y = (h * h).sum()               # saves h
    v[...] = 0
    with pytest.raises(errors.InplaceModificationError):
        y.backward()


@pytest.mark.parametrize("view", [lambda x: x.reshape(2, 2), lambda x: x.reshape(2, 2).T,
                                  lambda x: tg.expand_dims(x, 0),
                                  lambda x: tg.squeeze(tg.expand_dims(x, 0)),
                                  lambda x: tg.broadcast_to(x, (3, 4))],
                         ids=["reshape", "T", "expand_dims", "squeeze", "broadcast_to"])
def test_write_to_the_base_of_a_saved_view_raises(view):
    x = variable([1.0, 2.0, 3.0, 4.0])
    with autograd.record():
        v = view(x)
        y = (v * v).sum()               # saves the view, not x
    if not np.shares_memory(np.asarray(v), np.asarray(x)):
        pytest.fail("expected a view: reshape/transpose/expand_dims/squeeze are NumPy views")
    x[...] = 10.0                       # changes the view's values too
    with pytest.raises(errors.InplaceModificationError):
        y.backward()


def test_write_to_the_base_of_a_saved_index_result_keeps_gradient_right():
    # indexing copies (tg.getitem): the saved result does not change
    x = variable([1.0, 2.0, 3.0, 4.0])
    with autograd.record():
        v = x[1:3]
        y = (v * v).sum()
    assert not np.shares_memory(np.asarray(v), np.asarray(x))
    x[...] = 10.0
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 4.0, 6.0, 0.0])


def test_views_of_one_tensor_share_its_version_but_copies_do_not():
    x = variable([1.0, 2.0, 3.0, 4.0])
    with autograd.record():
        c = tg.copy(x)                  # its own memory
        y = (c * c).sum()
    x[...] = 10.0                       # c is not affected: backward is right
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0, 6.0, 8.0])
