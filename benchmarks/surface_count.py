"""How much of the peers' differentiable NumPy surface tapegrad covers.

    python benchmarks/surface_count.py            # needs autograd and/or jax

HIPS autograd 1.x: the functions of ``autograd.numpy``, ``autograd.numpy.linalg``
and ``autograd.scipy.special`` that have a VJP registered (``defvjp``: its
differentiable primitives), and the ones it wraps as non-differentiable.
jax: the public callables of ``jax.numpy``, ``jax.numpy.linalg`` and
``jax.scipy.special`` that are functions of NumPy's/SciPy's (same name).
For each set: how many tapegrad has under the same name (``tg.<name>``,
``tg.linalg.<name>``, ``tg.special.<name>``), and which it lacks.
"""
import argparse
import inspect
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "src")]
import tapegrad as tg  # noqa: E402
from tapegrad.ops import public_entries  # noqa: E402

NAMESPACES = (("", "numpy"), ("linalg", "numpy.linalg"), ("special", "scipy.special"))


def _tg(ns):
    return tg if not ns else getattr(tg, ns)


def _has(ns, name):
    return hasattr(_tg(ns), name)


def _public_functions(mod):
    return {n for n in dir(mod) if not n.startswith("_") and callable(getattr(mod, n))
            and not inspect.isclass(getattr(mod, n))}


def hips():
    import autograd.numpy as anp
    import autograd.numpy.linalg as alin
    import autograd.scipy.special as asp
    from autograd.core import primitive_vjps
    out = {}
    for ns, mod in (("", anp), ("linalg", alin), ("special", asp)):
        out[ns] = sorted(n for n in _public_functions(mod) if getattr(mod, n) in primitive_vjps)
    return out


def jax_surface():
    import importlib

    import jax.numpy as jnp
    import jax.scipy.special as jsp
    out = {}
    for ns, mod, ref in (("", jnp, "numpy"), ("linalg", jnp.linalg, "numpy.linalg"),
                         ("special", jsp, "scipy.special")):
        try:
            refmod = importlib.import_module(ref)
        except ImportError:
            refmod = None
        names = _public_functions(mod)
        if refmod is not None:
            names &= _public_functions(refmod)
        out[ns] = sorted(names)
    return out


def report(label, surface):
    total = sum(len(v) for v in surface.values())
    have = sum(_has(ns, n) for ns, v in surface.items() for n in v)
    print(f"\n{label}: {total} functions; tapegrad has {have} of them under the same name")
    for ns, names in surface.items():
        missing = [n for n in names if not _has(ns, n)]
        where = f"tg.{ns}." if ns else "tg."
        print(f"  {where:<12} {len(names) - len(missing):>4} / {len(names):<4} missing: "
              f"{', '.join(missing) if missing else '-'}")


def main(argv=None):
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    entries = {ns: len(public_entries(ns)) for ns, _ in NAMESPACES + (("fft", ""),)}
    print("tapegrad " + tg.__version__ + ": differentiable functions (registry entries): "
          + ", ".join(f"{'tg.' + ns if ns else 'tg'} {n}" for ns, n in entries.items())
          + f"; total {sum(entries.values())}")
    for label, fn in (("HIPS autograd, functions with a VJP", hips),
                      ("jax.numpy / jax.scipy.special, NumPy/SciPy-named functions",
                       jax_surface)):
        try:
            surface = fn()
        except ImportError as e:
            print(f"\n{label}: not installed ({e.name}); pip install autograd jax")
            continue
        report(label, surface)


if __name__ == "__main__":
    main()
