"""Result dtypes are tapegrad's (API.md: NumPy 2's rules), whatever NumPy is
installed: these pass on NumPy 2.2.0 (the declared floor, .ci/matrix.sh) and
on every later 2.x alike.  Below the floor, importing tapegrad fails at once
with what to do."""
import re
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import _core

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


@pytest.mark.parametrize("version", ["1.26.4", "1.25.0", "2.0.2", "2.1.3", "2.1.0rc1"])
def test_import_below_the_floor_says_what_to_do(version):
    with pytest.raises(ImportError, match=rf"tapegrad needs NumPy >= 2\.2, and this environment "
                                          rf"has NumPy {re.escape(version)}: pip install "
                                          rf"--upgrade 'numpy>=2\.2'"):
        _core.check_numpy(version)


@pytest.mark.parametrize("version", ["2.2.0", "2.2.0rc1", "2.4.6", "2.5.5", "2.10.0", "3.0.0.dev0",
                                     np.__version__])
def test_import_at_or_above_the_floor(version):
    _core.check_numpy(version)


def test_the_floor_is_pyprojects():
    text = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    floor = re.search(r'^dependencies = \["numpy>=([0-9.]+)"\]$', text, re.M).group(1)
    assert tuple(int(v) for v in floor.split(".")) == _core.NUMPY_FLOOR
