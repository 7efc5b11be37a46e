"""Result dtypes are tapegrad's (API.md: NumPy 2's rules), whatever NumPy is
installed: these pass on NumPy 2.2.0 (the declared floor, .ci/matrix.sh) and
on every later 2.x alike."""
import numpy as np
import pytest

import tapegrad as tg
from tapegrad._core import tape as _engine

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


def test_float64_0d_tensor_widens_a_float32_array():
    x = tg.array(np.ones((2, 3)), dtype="float32")
    c = tg.array(2.5)                                    # 0-d float64
    for y in (x * c, c * x, x + c, x / c, x ** c, tg.maximum(x, c), tg.dot(x, c)):
        assert y.dtype == F64
    np.testing.assert_array_equal((x * c).asnumpy(), np.full((2, 3), 2.5))


def test_python_number_never_widens_float32_0d():
    x = tg.array(0.3, dtype="float32")
    for y in (x + 1.5, 1.5 * x, x ** 2, x ** 0.5, tg.maximum(x, 0.1), tg.sigmoid(x),
              tg.clip(x, 0.0, 0.2), tg.logsumexp(x)):
        assert y.dtype == F32, y
    assert tg.sigmoid(x).item() == pytest.approx(1 / (1 + np.exp(-0.3)), rel=1e-7)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_jacobian_of_float32_0d_is_float32(mode):
    x = tg.array(2.0, dtype="float32")
    for f in (tg.sqrt, tg.log, tg.tanh, lambda t: t / 3.0, tg.square):
        j = tg.jacobian(f, mode=mode)(x)
        assert j.dtype == F32 and j.shape == ()
    assert tg.jacobian(tg.sqrt, mode=mode)(x).item() == pytest.approx(0.5 / np.sqrt(2.0))


def test_numpy1_operands_decides_from_dtypes_alone():
    a32, z64, z32 = np.ones((2, 3), np.float32), np.array(2.0), np.array(2.0, np.float32)
    ops, want = _engine._numpy1_operands([a32, z64])
    assert want == F64 and [o.dtype for o in ops] == [F64, F64]
    ops, want = _engine._numpy1_operands([z32, 1.5])
    assert want == F32 and ops[0] is z32 and ops[1] == 1.5
    ops, want = _engine._numpy1_operands([a32, np.array([True, False, True])])
    assert want == F32 and ops[0] is a32
    assert _engine._numpy1_operands([a32, np.arange(3)])[1] is None     # ints: NumPy decides
    assert _engine._numpy1_operands([1.0, 2.0])[1] is None
