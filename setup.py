"""Build the native core: the tape, the backward sweep and the gradient kernels.

Cython directives live in one dict.  TAPEGRAD_CHECKED=1 turns bounds checks,
wraparound and initialisation checks back on (CI runs one test pass so).
"""
import os
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

CHECKED = os.environ.get("TAPEGRAD_CHECKED", "") not in ("", "0")

DIRECTIVES = {
    "language_level": "3",
    "boundscheck": CHECKED,
    "wraparound": CHECKED,
    "initializedcheck": CHECKED,
    "cdivision": not CHECKED,
    "embedsignature": True,
}

# No OpenMP: on 2 cores its thread team fought OpenBLAS's spinning threads
# (csrc/tg_parallel.c splits big kernels with workers that sleep instead)
# (MLP step 2.4 ms without, 13.9 ms with; elementwise 89 vs 114 ms).
COMPILE_ARGS = ["-O3", "-Wall", "-Wno-unused-function"]
if CHECKED:
    COMPILE_ARGS = ["-O1", "-g", "-Wall", "-Wno-unused-function"]

# NPY_TARGET_VERSION: the oldest NumPy C-API the extensions may call.  Set
# on purpose: NumPy 2.0-2.2's default hides PyDataMem_SetHandler (1.22 API),
# which the buffer cache needs, so the modules failed to load on Python
# 3.9/3.10.  Built against NumPy >= 2, they run on NumPy >= 1.23.
MACROS = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
          ("NPY_TARGET_VERSION", "NPY_1_23_API_VERSION")]


HEADERS = [str(p) for p in sorted(Path("csrc").glob("*.h"))] + \
    [str(p) for p in sorted(Path("csrc").glob("*.def"))]


def ext(name, sources, extra_args=()):
    return Extension(
        name,
        sources=sources,
        depends=HEADERS,
        include_dirs=[np.get_include(), "csrc"],
        define_macros=MACROS,
        extra_compile_args=COMPILE_ARGS + list(extra_args),
        libraries=["m", "pthread"],
    )


# No contraction of a * b + c into FMA: the sin/cos kernels are analysed
# (and tested) operation by operation, and their AVX2/AVX-512 clones must
# give the same bits as the baseline build, which has no FMA.
core = [
    ext("tapegrad._core.kernels", ["src/tapegrad/_core/kernels.pyx", "csrc/tg_kernels.c",
                                   "csrc/tg_parallel.c", "csrc/tg_special.c"],
        ["-ffp-contract=off"]),
    ext("tapegrad._core.tape", ["src/tapegrad/_core/tape.pyx"]),   # + dispatch.pxi, backward.pxi
    ext("tapegrad._core.buffers", ["src/tapegrad/_core/buffers.pyx", "csrc/tg_buffers.c"]),
]
# The checked build generates its C in a directory of its own, so switching
# between the two never reuses C generated with the other directives.
build_dir = "build/checked" if CHECKED else None
setup(ext_modules=cythonize(core, compiler_directives=DIRECTIVES, build_dir=build_dir))
