"""HVP workload: Hessian-vector product of the extended Rosenbrock function,
n = 100, f(x) = sum 100*(x[2i+1] - x[2i]**2)**2 + (1 - x[2i])**2 (float64).

It checks that second-order differentiation works and costs a small multiple
of a gradient, without ever forming the Hessian.
"""
import numpy as np

from workloads import Target

TITLE = "Hessian-vector product of extended Rosenbrock, n=100, float64"
TOL = 1e-12
TARGETS = [Target("torch", 0.5, variant="double-backward")]
N = 100


def make_data():
    rng = np.random.default_rng(3)
    return {"x": rng.uniform(-1.5, 1.5, N), "v": rng.standard_normal(N)}


def reference(d):
    """The Hessian is block-diagonal in (x[2i], x[2i+1]) pairs."""
    a, b = d["x"][0::2], d["x"][1::2]
    va, vb = d["v"][0::2], d["v"][1::2]
    haa, hab, hbb = 1200 * a * a - 400 * b + 2, -400 * a, 200.0
    hv = np.empty(N)
    hv[0::2] = haa * va + hab * vb
    hv[1::2] = hab * va + hbb * vb
    return [hv]


def rosenbrock(x, sum_=None):
    odd, even = x[0::2], x[1::2]
    terms = 100.0 * (even - odd ** 2) ** 2 + (1.0 - odd) ** 2
    return sum_(terms) if sum_ else terms.sum()


def bench_tapegrad(d):
    import tapegrad as tg
    x, v = tg.array(d["x"]), tg.array(d["v"])
    step = lambda: tg.hvp(rosenbrock, (x,), (v,))[1]
    return step, step


def bench_torch(d):
    import torch
    x = torch.tensor(d["x"], requires_grad=True)
    v = torch.tensor(d["v"])

    def double_backward():
        (g,) = torch.autograd.grad(rosenbrock(x), x, create_graph=True)
        return torch.autograd.grad(g, x, grad_outputs=v)

    variants = {"double-backward": (double_backward, double_backward)}
    try:
        from torch.func import grad, jvp
    except ImportError:
        return variants
    xd = x.detach()
    fwd_over_rev = lambda: jvp(grad(rosenbrock), (xd,), (v,))[1:]
    variants["torch.func jvp(grad)"] = (fwd_over_rev, fwd_over_rev)
    return variants


def _jax(d, jit):
    import jax
    import jax.numpy as jnp
    hvp = lambda x, v: jax.jvp(jax.grad(rosenbrock), (x,), (v,))[1]
    hvp = jax.jit(hvp) if jit else hvp
    x, v = jnp.asarray(d["x"]), jnp.asarray(d["v"])
    step = lambda: [jax.block_until_ready(hvp(x, v))]
    return step, step


def bench_jax(d):
    return _jax(d, jit=False)


def bench_jax_jit(d):
    return _jax(d, jit=True)


def bench_autograd(d):
    import autograd
    import autograd.numpy as anp
    hvp = autograd.hessian_vector_product(lambda x: rosenbrock(x, anp.sum))
    x, v = d["x"], d["v"]
    step = lambda: [hvp(x, v)]
    return step, step


UNSUPPORTED = {"mygrad": "no higher-order derivatives",
               "micrograd": "scalar engine; the scalar workload only"}
