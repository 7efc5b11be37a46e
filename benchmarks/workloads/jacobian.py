"""Jacobian workload: the full 100x100 Jacobian of f(x) = tanh(A @ x) * x,
A 100x100, in reverse and forward mode (float64).

A full Jacobian is n vector products; the workload shows whether they are
batched or run one by one, in each mode. Each mode is a variant; the table
cell shows a system's fastest mode and the details list all of them.
"""
import numpy as np

from workloads import Target

TITLE = "full 100x100 Jacobian of tanh(A @ x) * x, reverse and forward mode, float64"
TOL = 1e-12
TARGETS = [Target("torch", 0.15), Target("jax", 1.0)]
BLAS_HEAVY = True     # NumPy-based systems are timed with default and 1 BLAS thread, as torch is
N = 100


def make_data():
    rng = np.random.default_rng(4)
    return {"A": rng.standard_normal((N, N)) / np.sqrt(N), "x": rng.standard_normal(N)}


def reference(d):
    A, x = d["A"], d["x"]
    t = np.tanh(A @ x)
    return [np.diag(t) + (x * (1 - t * t))[:, None] * A]


def bench_tapegrad(d):
    import tapegrad as tg
    A, x = tg.array(d["A"]), tg.array(d["x"])
    f = lambda x: tg.tanh(A @ x) * x
    variants = {}
    for mode in ("rev", "fwd"):
        jac = tg.jacobian(f, mode=mode)
        step = lambda jac=jac: [jac(x)]
        variants[mode] = (step, step)
    return variants


def bench_torch(d):
    import torch
    A, x = torch.tensor(d["A"]), torch.tensor(d["x"])
    f = lambda x: torch.tanh(A @ x) * x
    functional = lambda: [torch.autograd.functional.jacobian(f, x)]
    variants = {"autograd.functional.jacobian": (functional, functional)}
    try:
        from torch.func import jacfwd, jacrev
    except ImportError:
        return variants
    for name, transform in (("torch.func.jacrev", jacrev), ("torch.func.jacfwd", jacfwd)):
        jac = transform(f)
        step = lambda jac=jac: [jac(x)]
        variants[name] = (step, step)
    return variants


def _jax(d, jit):
    import jax
    import jax.numpy as jnp
    A, x = jnp.asarray(d["A"]), jnp.asarray(d["x"])
    f = lambda x: jnp.tanh(A @ x) * x
    variants = {}
    for name, transform in (("jacrev", jax.jacrev), ("jacfwd", jax.jacfwd)):
        jac = jax.jit(transform(f)) if jit else transform(f)
        step = lambda jac=jac: [jax.block_until_ready(jac(x))]
        variants[name] = (step, step)
    return variants


def bench_jax(d):
    return _jax(d, jit=False)


def bench_jax_jit(d):
    return _jax(d, jit=True)


def bench_autograd(d):
    import autograd
    import autograd.numpy as anp
    A, x = d["A"], d["x"]
    jac = autograd.jacobian(lambda x: anp.tanh(A @ x) * x)
    step = lambda: [jac(x)]
    return {"jacobian (reverse)": (step, step)}


UNSUPPORTED = {"mygrad": "no Jacobian transform",
               "micrograd": "scalar engine; the scalar workload only"}
