"""The shared surface checks (surface.py) on functions that predate the
NumPy-surface work: the pattern each tests/test_surface_*.py follows."""
import numpy as np
import pytest

import tapegrad as tg

from surface import Spec, check_all

SPECS = [
    Spec("tanh", tg.tanh, np.tanh, [(3, 2)]),
    Spec("log", tg.log, np.log, [(4,)], domain=(0.5, 3.0)),
    Spec("matmul", tg.matmul, np.matmul, [(2, 3), (3, 4)]),
    Spec("logsumexp.axis", lambda x: tg.logsumexp(x, axis=1),
         lambda x: np.log(np.sum(np.exp(x), axis=1)), [(2, 3)]),
    Spec("power", tg.power, np.power, [(3,), (3,)], domain=[(0.5, 2.0), (-1.5, 1.5)]),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)
