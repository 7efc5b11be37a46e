"""Deep workload: a chain of 100,000 scalar ops (alternately y = y * 1.0001
and y = sin(y), starting at y = 0.5), recorded and differentiated.

It stresses the tape itself: node size (peak memory), backward's traversal
(recursion, sorting) and per-node overhead. The JAX jit column runs the same
chain as a lax.fori_loop, since unrolling 100,000 ops into XLA would measure
the compiler rather than the program.
"""
import math

import numpy as np

from workloads import Target

TITLE = "chain of 100,000 scalar ops (y*1.0001, sin(y) alternately) from y=0.5; record + backward"
TOL = 1e-9
MEMORY = True
TARGETS = [Target("torch", 0.25), Target("torch", 1.0, metric="memory")]
PAIRS = 50_000          # each pair is two ops
FACTOR = 1.0001


def make_data():
    return {"y0": 0.5}


def reference(d):
    y, dy = d["y0"], 1.0
    for _ in range(PAIRS):
        y *= FACTOR
        dy *= FACTOR * math.cos(y)
        y = math.sin(y)
    return [np.array(dy)]


def bench_tapegrad(d):
    import tapegrad as tg
    from tapegrad import autograd
    x = tg.array(d["y0"])
    x.attach_grad()

    def step():
        with autograd.record():
            y = x
            for _ in range(PAIRS):
                y = y * FACTOR
                y = tg.sin(y)
        y.backward()
        return [x.grad]
    return step, step


def bench_torch(d):
    import torch
    x = torch.tensor(d["y0"], dtype=torch.float64, requires_grad=True)

    def step():
        y = x
        for _ in range(PAIRS):
            y = y * FACTOR
            y = torch.sin(y)
        return torch.autograd.grad(y, x)
    return step, step


def bench_jax(d):
    import jax
    import jax.numpy as jnp

    def f(y):
        for _ in range(PAIRS):
            y = jnp.sin(y * FACTOR)
        return y
    g, x = jax.grad(f), jnp.asarray(d["y0"], jnp.float64)
    step = lambda: [jax.block_until_ready(g(x))]
    return step, step


def bench_jax_jit(d):
    import jax
    import jax.numpy as jnp
    f = lambda y: jax.lax.fori_loop(0, PAIRS, lambda i, y: jnp.sin(y * FACTOR), y)
    g, x = jax.jit(jax.grad(f)), jnp.asarray(d["y0"], jnp.float64)
    step = lambda: [jax.block_until_ready(g(x))]
    return step, step


def bench_autograd(d):
    import autograd
    import autograd.numpy as anp

    def f(y):
        for _ in range(PAIRS):
            y = anp.sin(y * FACTOR)
        return y
    g, x = autograd.grad(f), d["y0"]
    step = lambda: [g(x)]
    return step, step


def bench_mygrad(d):
    import mygrad as mg
    x = mg.tensor(d["y0"])

    def step():
        y = x
        for _ in range(PAIRS):
            y = mg.sin(y * FACTOR)
        y.backward()
        return [x.grad]
    return step, step


UNSUPPORTED = {"micrograd": "scalar engine; the scalar workload only"}
