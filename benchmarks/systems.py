"""The systems the harness compares, how to tell whether each is installed,
and how to turn each one's gradients into NumPy arrays for the check.

tapegrad is taken from this repository's src/ when that folder has it, so the
harness always measures the working tree; otherwise from the environment.
"""
import importlib
import importlib.metadata
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(REPO, "src")

SYSTEMS = ["tapegrad", "torch", "jax", "jax-jit", "autograd", "mygrad", "micrograd"]
PEERS = SYSTEMS[1:]

LABELS = {
    "tapegrad": "tapegrad",
    "torch": "PyTorch CPU (best of default threads and 1 thread)",
    "jax": "JAX eager",
    "jax-jit": "JAX jax.jit (compiled ceiling, no target)",
    "autograd": "HIPS autograd",
    "mygrad": "MyGrad",
    "micrograd": "micrograd-style pure-Python scalar engine (benchmarks/peers/micrograd_ref.py)",
}

_MODULE = {"tapegrad": "tapegrad", "torch": "torch", "jax": "jax", "jax-jit": "jax",
           "autograd": "autograd", "mygrad": "mygrad", "micrograd": None}


def _use_repo_tapegrad():
    if os.path.isdir(os.path.join(SRC, "tapegrad")) and SRC not in sys.path:
        sys.path.insert(0, SRC)


def availability(system):
    """Return (status, info): status 'ok', 'not installed' or 'error'."""
    if system == "tapegrad":
        _use_repo_tapegrad()
    name = _MODULE[system]
    if name is None:
        return "ok", "benchmarks/peers/micrograd_ref.py"
    try:
        mod = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name == name:
            return "not installed", ""
        return "error", f"import {name} failed: {type(e).__name__}: {e}"
    except Exception as e:  # a broken install is worth showing, not hiding
        return "error", f"import {name} failed: {type(e).__name__}: {e}"
    if getattr(mod, "__file__", None) is None:     # a folder without __init__.py
        return "not installed", f"{name} has no __init__.py yet"
    if system == "autograd" and not hasattr(mod, "grad"):
        return "not installed", "a module named autograd that is not HIPS autograd"
    if name == "jax":
        mod.config.update("jax_enable_x64", True)   # float64 workloads need it
    version = getattr(mod, "__version__", None) or _dist_version(name)
    where = os.path.dirname(getattr(mod, "__file__", "") or "")
    return "ok", f"{version} ({where})" if system == "tapegrad" else str(version)


def _dist_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def to_numpy(value):
    """Convert one gradient from any system into a NumPy array."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (float, int, np.generic)):
        return np.asarray(value)
    if hasattr(value, "asnumpy"):                    # tapegrad
        return np.asarray(value.asnumpy())
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # torch
        return value.detach().cpu().numpy()
    if hasattr(value, "grad") and hasattr(value, "data") and not callable(value.data):
        return np.asarray(value.data)               # mygrad / micrograd-like
    return np.asarray(value)                        # jax and the rest


_TORCH_DEFAULT_THREADS = []


def torch_thread_settings():
    """(label, n) pairs to time torch with: its default and a single thread."""
    import torch
    if not _TORCH_DEFAULT_THREADS:          # remember the default before any change
        _TORCH_DEFAULT_THREADS.append(torch.get_num_threads())
    default = _TORCH_DEFAULT_THREADS[0]
    settings = [(f"{default} thread{'s' if default > 1 else ''} (default)", default)]
    if default != 1:
        settings.append(("1 thread", 1))
    return settings


NUMPY_SYSTEMS = ("tapegrad", "autograd", "mygrad")   # their matmuls run on NumPy's BLAS


def blas_thread_settings():
    """(label, n) pairs to time a NumPy-based system with on a BLAS-heavy
    workload: NumPy's default BLAS threads and one thread, the same choice
    torch gets (needs threadpoolctl to switch; without it, the default only)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [("", None)]
    counts = [lib["num_threads"] for lib in threadpool_info() if lib.get("user_api") == "blas"]
    default = max(counts) if counts else 1
    if default == 1:
        return [("", None)]
    return [(f"{default} BLAS threads (default)", None), ("1 BLAS thread", 1)]
