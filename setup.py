"""Build the native core: the tape, the backward sweep and the gradient kernels.

Everything about the build is set here once: the Cython directives (one
dict), the compiler flags per compiler family, the C-API target and the
header dependencies.  TAPEGRAD_CHECKED=1 turns bounds checks, wraparound and
initialisation checks back on (.ci/matrix.sh runs the test suite once so).

Why the build keeps state in build/: `pip install -e .` followed by
`pip install -e ".[test]"` (the README's two commands) must not compile
twice.  pip's isolated build environment is new each time, so file times
say nothing (every .pxd of NumPy and Cython looks freshly written); each step
is skipped instead when a hash of everything it reads is unchanged:
  Cython: the .pyx, the project's .pxd files, the directives, the Cython and
          NumPy versions -> build/cython/<mode>/...c  (+ a .hash stamp)
  C:      the sources, the declared headers, flags, macros, compiler, Python
          -> the extension module (+ a stamp in build/stamps/)
Extensions compile in parallel (one job per core; TAPEGRAD_BUILD_JOBS=N to
change).  `pip install -v` shows each step as it runs.
"""
import glob
import hashlib
import os
import shutil
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CHECKED = os.environ.get("TAPEGRAD_CHECKED", "") not in ("", "0")
MODE = "checked" if CHECKED else "release"

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
GCC_ARGS = ["-O1", "-g"] if CHECKED else ["-O3"]
GCC_ARGS += ["-Wall", "-Wno-unused-function", "-pthread"]
# MSVC: C11 for `restrict` and hex float literals; /fp:precise (the default)
# does not contract a * b + c into FMA.
MSVC_ARGS = ["/Od", "/Zi"] if CHECKED else ["/O2"]
MSVC_ARGS += ["/std:c11"]
# No contraction of a * b + c into FMA on gcc/clang either (clang contracts
# by default): the sin/cos kernels are analysed (and tested) operation by
# operation, and their AVX2/AVX-512 clones must give the same bits as the
# baseline build, which has no FMA.
NO_FMA_CONTRACTION = {"unix": ["-ffp-contract=off"], "mingw32": ["-ffp-contract=off"]}

# NPY_TARGET_VERSION: the oldest NumPy C-API the extensions may use, hence
# the oldest NumPy they load on.  Built against NumPy >= 2.0 (pyproject's
# build requirement) with this target, the modules would load on NumPy 1.25
# up to every 2.x; pyproject's floor, NumPy 2.2, is set by the Python code
# (NumPy 2's semantics), not by these modules.  The buffer cache needs
# PyDataMem_SetHandler (API 1.22), which NumPy 2.0-2.2's default target
# (1.19) hides.
MACROS = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
          ("NPY_TARGET_VERSION", "NPY_1_25_API_VERSION")]

CORE = "src/tapegrad/_core"
# Every .pxd and .pxi of the core counts for every module (tape cimports
# kernels' and buffers' declarations and includes dispatch.pxi and
# backward.pxi): a glob, so new ones count too.  Only .pyx files are
# compiled: every .py module of the package stays plain Python.
PXDS = sorted(glob.glob(f"{CORE}/*.pxd")) + sorted(glob.glob(f"{CORE}/*.pxi"))
# C headers and kernel tables (csrc/*.def, #included by tg_kernels.c): any
# new one counts.
KERNEL_HEADERS = sorted(glob.glob("csrc/*.h")) + sorted(glob.glob("csrc/*.def"))


def ext(name, sources, depends, fp_exact=False):
    e = Extension(name, sources=sources, depends=depends, include_dirs=["csrc"],
                  define_macros=list(MACROS))
    e.fp_exact = fp_exact
    return e


EXTENSIONS = [
    ext("tapegrad._core.kernels",
        [f"{CORE}/kernels.pyx", "csrc/tg_kernels.c", "csrc/tg_parallel.c",
         "csrc/tg_special.c"],
        PXDS + KERNEL_HEADERS, fp_exact=True),
    ext("tapegrad._core.tape", [f"{CORE}/tape.pyx"], PXDS + KERNEL_HEADERS),
    ext("tapegrad._core.buffers", [f"{CORE}/buffers.pyx", "csrc/tg_buffers.c"],
        PXDS + ["csrc/tg_buffers.h", "csrc/tg_threads.h"]),
]


def _digest(*parts, files=()):
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode())
    for f in files:
        h.update(f.encode())
        with open(f, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


def _content_hash(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _read(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


class BuildExt(build_ext):
    """build_ext that cythonizes and compiles only what changed (see the
    module docstring), in parallel, with flags for the compiler at hand."""

    def finalize_options(self):
        super().finalize_options()
        jobs = os.environ.get("TAPEGRAD_BUILD_JOBS")
        if jobs:
            self.parallel = max(1, int(jobs))
        elif not self.parallel:
            self.parallel = os.cpu_count() or 1
        # Skipping is decided by the stamps, not by file times (see above).
        self.force = True

    def run(self):
        import numpy as np

        for e in self.extensions:
            e.include_dirs.append(np.get_include())
            e.sources = [self._cythonize(e, s) if s.endswith(".pyx") else s
                         for s in e.sources]
        # setuptools builds into build_lib (a new temporary folder under
        # `pip install -e`) and copies in place afterwards: the module
        # that may already be up to date is the one in place.
        self._in_place = bool(self.inplace)
        if self._in_place:
            self._remove_stale_compiled_modules()
        super().run()

    def _cythonize(self, e, source):
        """The C file generated from ``source``, regenerated only when an
        input changed."""
        import Cython
        import numpy as np
        from Cython.Build import cythonize

        directives = DIRECTIVES
        c_file = os.path.join("build", "cython", MODE, os.path.splitext(source)[0] + ".c")
        key = _digest(Cython.__version__, np.__version__, directives,
                      files=[source] + PXDS)
        stamp = c_file + ".hash"
        if os.path.exists(c_file) and _read(stamp) == key:
            print(f"tapegrad: {source}: generated C is up to date ({c_file})", flush=True)
            return c_file
        print(f"tapegrad: cythonizing {source}", flush=True)
        tmp = Extension(e.name, [source], include_dirs=e.include_dirs)
        cythonize([tmp], compiler_directives=directives, force=True, quiet=True,
                  build_dir=os.path.join("build", "cython", MODE))
        if not os.path.exists(c_file):
            raise RuntimeError(f"Cython did not write {c_file}")
        _write(stamp, key)
        return c_file

    def _remove_stale_compiled_modules(self):
        """Older builds compiled tensor.py, functions.py, ... too; a module
        built from a .py file that is no longer compiled would shadow it."""
        built = {e.name for e in self.extensions}
        for path in glob.glob("src/tapegrad/**/*.*", recursive=True):
            if not path.endswith((".so", ".pyd")):
                continue
            folder, filename = os.path.split(path)
            stem = os.path.join(folder, filename.split(".")[0])   # drop .cpython-311-...
            name = os.path.relpath(stem, "src").replace(os.sep, ".")
            if name not in built and os.path.exists(stem + ".py"):
                print(f"tapegrad: removing {path}: {stem}.py is no longer compiled",
                      flush=True)
                os.remove(path)
                if os.path.exists(stem + ".c"):
                    os.remove(stem + ".c")

    def build_extensions(self):
        ctype = self.compiler.compiler_type
        for e in self.extensions:
            if ctype == "msvc":
                e.extra_compile_args = list(MSVC_ARGS)
                e.libraries = []
            else:
                e.extra_compile_args = GCC_ARGS + (NO_FMA_CONTRACTION.get(ctype, [])
                                                   if e.fp_exact else [])
                e.extra_link_args = ["-pthread"]
                e.libraries = ["m"]
        super().build_extensions()

    def build_extension(self, e):
        import numpy as np

        target = self.get_ext_fullpath(e.name)
        existing = os.path.join("src", self.get_ext_filename(e.name)) if self._in_place \
            else target
        compiler = getattr(self.compiler, "compiler_so", None) or self.compiler.compiler_type
        # NumPy's include directory is a new temporary one in each isolated
        # build: its version stands for it.
        key = _digest(sys.version, sys.platform, np.__version__, compiler,
                      e.extra_compile_args, e.extra_link_args, e.define_macros,
                      [d for d in e.include_dirs if d != np.get_include()], e.libraries,
                      files=list(e.sources) + list(e.depends))
        stamp = os.path.join("build", "stamps", MODE,
                             os.path.abspath(existing).replace(os.sep, "_").replace(":", "_")
                             + ".hash")
        # The stamp also holds the module's own hash: a module that another
        # build (another checkout, an older setup.py) wrote there is rebuilt.
        if os.path.exists(existing) and _read(stamp) == key + _content_hash(existing):
            print(f"tapegrad: {e.name} is up to date ({existing})", flush=True)
            if existing != target:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(existing, target)
            return
        print(f"tapegrad: compiling {e.name} ({', '.join(e.sources)})", flush=True)
        super().build_extension(e)
        _write(stamp, key + _content_hash(target))


setup(ext_modules=EXTENSIONS, cmdclass={"build_ext": BuildExt})
