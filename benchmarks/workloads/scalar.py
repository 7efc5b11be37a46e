"""Scalar workload: ln(x1) + x1*x2 - sin(x2) at (2, 5) on 0-d float64 values.

It measures per-operation overhead, where a Python-level tape either shines
or drowns; each iteration records the expression and gets both partials.
"""
import math

import numpy as np

from workloads import Target

TITLE = "ln(x1) + x1*x2 - sin(x2) at (2, 5), 0-d float64; record + both partials"
TOL = 1e-12
TARGETS = [Target("torch", 0.10), Target("micrograd", 1.0, strict=True)]


def make_data():
    return {"x1": 2.0, "x2": 5.0}


def reference(d):
    x1, x2 = d["x1"], d["x2"]
    return [np.array(1.0 / x1 + x2), np.array(x1 - math.cos(x2))]


def bench_tapegrad(d):
    import tapegrad as tg
    from tapegrad import autograd
    x1, x2 = tg.array(d["x1"]), tg.array(d["x2"])
    x1.attach_grad()
    x2.attach_grad()

    def step():
        with autograd.record():
            y = tg.log(x1) + x1 * x2 - tg.sin(x2)
        y.backward()
        return x1.grad, x2.grad
    return step, step


def bench_torch(d):
    import torch
    x1 = torch.tensor(d["x1"], dtype=torch.float64, requires_grad=True)
    x2 = torch.tensor(d["x2"], dtype=torch.float64, requires_grad=True)

    def step():
        y = torch.log(x1) + x1 * x2 - torch.sin(x2)
        return torch.autograd.grad(y, (x1, x2))
    return step, step


def _jax_grad(d):
    import jax
    import jax.numpy as jnp
    g = jax.grad(lambda a, b: jnp.log(a) + a * b - jnp.sin(b), argnums=(0, 1))
    return g, jnp.asarray(d["x1"], jnp.float64), jnp.asarray(d["x2"], jnp.float64)


def bench_jax(d):
    import jax
    g, x1, x2 = _jax_grad(d)
    step = lambda: jax.block_until_ready(g(x1, x2))
    return step, step


def bench_jax_jit(d):
    import jax
    g, x1, x2 = _jax_grad(d)
    g = jax.jit(g)
    step = lambda: jax.block_until_ready(g(x1, x2))
    return step, step


def bench_autograd(d):
    import autograd
    import autograd.numpy as anp
    g = autograd.grad(lambda a, b: anp.log(a) + a * b - anp.sin(b), argnum=(0, 1))
    x1, x2 = d["x1"], d["x2"]
    step = lambda: g(x1, x2)
    return step, step


def bench_mygrad(d):
    import mygrad as mg
    x1, x2 = mg.tensor(d["x1"]), mg.tensor(d["x2"])

    def step():
        y = mg.log(x1) + x1 * x2 - mg.sin(x2)
        y.backward()
        return x1.grad, x2.grad
    return step, step


def bench_micrograd(d):
    from peers.micrograd_ref import Value
    x1, x2 = Value(d["x1"]), Value(d["x2"])

    def step():
        x1.grad = x2.grad = 0.0
        y = x1.log() + x1 * x2 - x2.sin()
        y.backward()
        return x1.grad, x2.grad
    return step, step
