"""Elementwise workload: sum(tanh(sin(x)*x + exp(-x*x)) * cos(x)) over
1,000,000 float64 values; forward and backward.

Large arrays and cheap ops: the cost is memory traffic and temporaries, so
this shows how many extra passes and copies the tape adds to NumPy.
"""
import numpy as np

from workloads import Target

TITLE = "sum(tanh(sin(x)*x + exp(-x*x)) * cos(x)), 1e6 float64; forward + backward"
TOL = 1e-12
TARGETS = [Target("torch", 0.6)]
N = 1_000_000


def make_data():
    return {"x": np.random.default_rng(1).standard_normal(N)}


def reference(d):
    x = d["x"]
    u = np.sin(x) * x + np.exp(-x * x)
    du = np.cos(x) * x + np.sin(x) - 2 * x * np.exp(-x * x)
    t = np.tanh(u)
    return [(1 - t * t) * du * np.cos(x) - t * np.sin(x)]


def bench_tapegrad(d):
    import tapegrad as tg
    from tapegrad import autograd
    x = tg.array(d["x"])
    x.attach_grad()

    def step():
        with autograd.record():
            y = tg.sum(tg.tanh(tg.sin(x) * x + tg.exp(-x * x)) * tg.cos(x))
        y.backward()
        return [x.grad]
    return step, step


def bench_torch(d):
    import torch
    x = torch.tensor(d["x"], requires_grad=True)

    def step():
        y = torch.sum(torch.tanh(torch.sin(x) * x + torch.exp(-x * x)) * torch.cos(x))
        return torch.autograd.grad(y, x)
    return step, step


def _jax_grad(d):
    import jax
    import jax.numpy as jnp
    f = lambda x: jnp.sum(jnp.tanh(jnp.sin(x) * x + jnp.exp(-x * x)) * jnp.cos(x))
    return jax.grad(f), jnp.asarray(d["x"])


def bench_jax(d):
    import jax
    g, x = _jax_grad(d)
    step = lambda: [jax.block_until_ready(g(x))]
    return step, step


def bench_jax_jit(d):
    import jax
    g, x = _jax_grad(d)
    g = jax.jit(g)
    step = lambda: [jax.block_until_ready(g(x))]
    return step, step


def bench_autograd(d):
    import autograd
    import autograd.numpy as anp
    g = autograd.grad(lambda x: anp.sum(anp.tanh(anp.sin(x) * x + anp.exp(-x * x)) * anp.cos(x)))
    x = d["x"]
    step = lambda: [g(x)]
    return step, step


def bench_mygrad(d):
    import mygrad as mg
    x = mg.tensor(d["x"])

    def step():
        y = mg.sum(mg.tanh(mg.sin(x) * x + mg.exp(-x * x)) * mg.cos(x))
        y.backward()
        return [x.grad]
    return step, step


UNSUPPORTED = {"micrograd": "scalar engine; the scalar workload only"}
