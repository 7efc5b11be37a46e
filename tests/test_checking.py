"""tg.numerical_grad and tg.gradcheck."""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad import autograd, errors
from tapegrad.checking import GradcheckError


# ---- numerical_grad ---------------------------------------------------------------
def test_numerical_grad_of_a_cubic():
    g = tg.numerical_grad(lambda x: (x ** 3).sum(), tg.array([1.0, 2.0, -3.0]))
    assert isinstance(g, tg.Tensor) and g.dtype == np.float64
    np.testing.assert_allclose(g.asnumpy(), [3.0, 12.0, 27.0], rtol=1e-8)


def test_numerical_grad_several_inputs_returns_a_tuple():
    a = tg.array([[1.0, 2.0], [3.0, 4.0]])
    b = tg.array([0.5, -1.0])
    ga, gb = tg.numerical_grad(lambda a, b: (tg.matmul(a, b) ** 2).sum(), a, b)
    A, B = a.asnumpy(), b.asnumpy()
    r = A @ B
    np.testing.assert_allclose(ga.asnumpy(), 2 * np.outer(r, B), rtol=1e-7)
    np.testing.assert_allclose(gb.asnumpy(), 2 * A.T @ r, rtol=1e-7)


def test_numerical_grad_python_floats_and_float32():
    g = tg.numerical_grad(lambda x, y: x * tg.sin(y), 2.0, 0.5)
    assert g[0].item() == pytest.approx(np.sin(0.5), rel=1e-9)
    assert g[1].item() == pytest.approx(2 * np.cos(0.5), rel=1e-9)
    # float32 inputs are differentiated in float64: no float32 round-off / eps blow-up
    g32 = tg.numerical_grad(lambda x: tg.exp(x).sum(), tg.array([0.1, 0.2], dtype="float32"))
    np.testing.assert_allclose(g32.asnumpy(), np.exp(np.float32([0.1, 0.2]).astype(float)),
                               rtol=1e-8)


def test_numerical_grad_runs_unrecorded_and_leaves_inputs_alone():
    seen = []
    x = tg.array([1.0, 2.0])
    x.attach_grad()

    def f(t):
        seen.append(autograd.is_recording())
        return (t * t).sum()
    with autograd.record():
        tg.numerical_grad(f, x)
    assert seen and not any(seen)
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0])
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])


def test_numerical_grad_errors():
    with pytest.raises(ValueError, match="eps must be a positive"):
        tg.numerical_grad(lambda x: x, 1.0, eps=0)
    with pytest.raises(errors.ShapeError, match="scalar output.*shape \\(2,\\)"):
        tg.numerical_grad(lambda x: x * 2, tg.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="at least one input"):
        tg.numerical_grad(lambda: 1.0)
    with pytest.raises(TypeError, match="input 0"):
        tg.numerical_grad(lambda x: x, "abc")


# ---- gradcheck passes on correct gradients ---------------------------------------------
CORRECT = [
    (lambda x: (tg.sin(x) * tg.cos(x) + tg.tanh(x)).sum(), [tg.array([0.3, -1.2, 2.0])]),
    (lambda x: (tg.exp(x) / (1 + x * x)).mean(), [tg.array([[0.1, 0.2], [-0.5, 1.5]])]),
    (lambda x: tg.log(tg.sqrt(x)).sum() + tg.sigmoid(x).prod(), [tg.array([0.5, 1.5, 3.0])]),
    (lambda a, b: tg.logsumexp(tg.matmul(a, b)), [tg.array([[1.0, 2.0], [0.5, -1.0]]),
                                                  tg.array([[0.3], [-0.7]])]),
    (lambda x, y: x ** y, [2.0, 1.5]),
    (lambda x: tg.softmax(x)[0] * tg.norm(x), [tg.array([0.2, -0.4, 1.0])]),
]


@pytest.mark.parametrize("f,inputs", CORRECT)
def test_gradcheck_passes(f, inputs):
    assert tg.gradcheck(f, *inputs) is True


def test_gradcheck_leaves_callers_grad_and_graph_alone():
    x = tg.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * 3).sum()
        assert tg.gradcheck(lambda t: (t * t).sum(), x)
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [3.0, 3.0])


# ---- gradcheck catches wrong gradients -------------------------------------------------
class WrongSquare(autograd.Function):
    """x**2 with a backward that forgets the factor 2."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        x, = self.saved_tensors
        return x * dy


class OffByOneElement(autograd.Function):
    """The identity, with a backward that is wrong at index (1, 2) only."""

    def __init__(self, err):
        super().__init__()
        self.err = err

    def forward(self, x):
        return x * 1.0

    def backward(self, dy):
        bump = np.zeros(dy.shape)
        bump[1, 2] = self.err
        return dy + bump


def test_gradcheck_catches_a_wrong_custom_function():
    x = tg.array([0.5, -1.0, 2.0])
    with pytest.raises(GradcheckError) as e:
        tg.gradcheck(lambda t: WrongSquare()(t).sum(), x)
    err = e.value
    assert isinstance(err, AssertionError) and isinstance(err, errors.TapegradError)
    msg = str(err)
    # worst element: |x - 2x| = |x| largest at index 2 (x = 2: reverse 2, numerical 4)
    assert "input 0 at index (2,)" in msg
    assert "reverse mode gives 2 " in msg and "give 4;" in msg
    assert "tolerance 0.00041" in msg
    assert "3 of 3 element(s)" in msg


def test_gradcheck_names_the_worst_element_and_input():
    a = tg.array(1.0)
    b = tg.ones((2, 3))
    with pytest.raises(GradcheckError, match=r"input 1 at index \(1, 2\).*1 of 6 element"):
        tg.gradcheck(lambda a, b: (a * OffByOneElement(0.01)(b)).sum(), a, b)


def test_gradcheck_tolerance():
    b = tg.ones((2, 3))
    f_small = lambda b: OffByOneElement(1e-7)(b).sum()      # noqa: E731
    f_big = lambda b: OffByOneElement(1e-3)(b).sum()        # noqa: E731
    assert tg.gradcheck(f_small, b)
    with pytest.raises(GradcheckError):
        tg.gradcheck(f_big, b)
    assert tg.gradcheck(f_big, b, atol=2e-3)
    assert tg.gradcheck(f_big, b, raise_exception=False) is False


def test_gradcheck_reports_nan():
    class NanGrad(autograd.Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, dy):
            return dy * np.nan

    with pytest.raises(GradcheckError, match="reverse mode gives nan"):
        tg.gradcheck(lambda x: NanGrad()(x).sum(), tg.array([1.0]))


def test_gradcheck_non_scalar_output_is_a_value_error():
    with pytest.raises(ValueError, match="scalar output"):
        tg.gradcheck(lambda x: x * 2, tg.array([1.0, 2.0]))
