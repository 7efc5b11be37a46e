"""The compiled core: the tape (node arrays), the backward sweep and the
native gradient kernels.  There is no pure-Python fallback: if this import
fails, the build failed and tapegrad says so."""
import numpy as _np

#: The oldest NumPy tapegrad runs on: pyproject's ``numpy>=2.2`` (tested in CI
#: on 2.2.0).  tapegrad follows NumPy 2's promotion rules (NEP 50) and calls
#: functions older releases lack; below the floor, importing fails here with
#: what to do, not later inside some module with a missing name.
NUMPY_FLOOR = (2, 2)


def check_numpy(version: str) -> None:
    """Raise ImportError if NumPy ``version`` ('2.1.3', '2.3.0rc1') is below
    NUMPY_FLOOR."""
    major, minor = version.split(".")[:2]
    digits = ""
    for c in minor:
        if not c.isdigit():
            break
        digits += c
    if (int(major), int(digits or 0)) < NUMPY_FLOOR:
        floor = ".".join(map(str, NUMPY_FLOOR))
        raise ImportError(
            f"tapegrad needs NumPy >= {floor}, and this environment has NumPy {version}: "
            f"pip install --upgrade 'numpy>={floor}'")


check_numpy(_np.__version__)
