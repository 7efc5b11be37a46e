"""The fitting example runs and prints what it promises (kept apart from
test_examples.py, whose list of examples the lead updates)."""
import importlib.util

import pytest
from test_examples import EXAMPLES, number_after, run_example

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("scipy") is None or importlib.util.find_spec("sklearn") is None,
    reason="the fitting example needs scipy and scikit-learn")


def test_fit_breast_cancer(tmp_path):
    out = run_example("fit_breast_cancer.py", tmp_path)
    assert "breast cancer: 569 samples, 30 features" in out
    ours = number_after(r"function evaluations: tapegrad", out)
    fd = number_after(r"finite differences", out.split("function evaluations:")[1])
    assert ours < fd / 10                          # one sweep vs 1 + 31 evaluations a step
    assert number_after(r"max \|coefficient difference\| =", out) < 1e-5
    assert abs(number_after(r"loss difference =", out)) < 1e-8
    assert number_after(r"training accuracy =", out) > 0.97
    if importlib.util.find_spec("dask") is not None:
        assert number_after(r"max \|coefficient difference\| from the in-memory fit =", out) < 1e-7
    else:
        assert "dask is not installed" in out
    assert list(tmp_path.iterdir()) == []          # nothing written to the working directory
