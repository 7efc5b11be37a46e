"""RNN workload: h = tanh(h @ W.T + x_t @ U.T + b), hidden 32, input 16,
batch 8, 200 steps, loss sum(h_T**2); gradients to W, U and b (float64).

Many small ops in a Python loop: a long tape of tiny arrays, where
per-op bookkeeping matters as much as the arithmetic.
"""
import numpy as np

from workloads import Target

TITLE = "tanh RNN, hidden 32, input 16, batch 8, 200 steps, loss sum(h_T**2); grads W, U, b"
TOL = 1e-10
TARGETS = [Target("torch", 0.25)]
BLAS_HEAVY = True     # NumPy-based systems are timed with default and 1 BLAS thread, as torch is
H, I, B, T = 32, 16, 8, 200


def make_data():
    rng = np.random.default_rng(2)
    return {
        "xs": rng.standard_normal((T, B, I)),
        "W": rng.standard_normal((H, H)) * (0.9 / np.sqrt(H)),
        "U": rng.standard_normal((H, I)) * (0.5 / np.sqrt(I)),
        "b": rng.standard_normal(H) * 0.1,
    }


def reference(d):
    """Backpropagation through time in plain NumPy."""
    xs, W, U, b = d["xs"], d["W"], d["U"], d["b"]
    hs = [np.zeros((B, H))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + xs[t] @ U.T + b))
    gW, gU, gb = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh = 2 * hs[-1]
    for t in reversed(range(T)):
        da = dh * (1 - hs[t + 1] ** 2)
        gW += da.T @ hs[t]
        gU += da.T @ xs[t]
        gb += da.sum(0)
        dh = da @ W
    return [gW, gU, gb]


def bench_tapegrad(d):
    import tapegrad as tg
    from tapegrad import autograd
    xs = d["xs"]
    params = [tg.array(d[k]) for k in ("W", "U", "b")]
    for p in params:
        p.attach_grad()
    W, U, b = params

    def step():
        with autograd.record():
            h = tg.zeros((B, H))
            for t in range(T):
                h = tg.tanh(h @ W.T + xs[t] @ U.T + b)
            loss = (h ** 2).sum()
        loss.backward()
        return [p.grad for p in params]
    return step, step


def bench_torch(d):
    import torch
    xs = torch.from_numpy(d["xs"])
    params = [torch.tensor(d[k], requires_grad=True) for k in ("W", "U", "b")]
    W, U, b = params

    def step():
        h = torch.zeros(B, H, dtype=torch.float64)
        for t in range(T):
            h = torch.tanh(h @ W.T + xs[t] @ U.T + b)
        return torch.autograd.grad((h ** 2).sum(), params)
    return step, step


def _loss(np_):
    def loss(W, U, b, xs):
        h = np_.zeros((B, H))
        for t in range(T):
            h = np_.tanh(h @ W.T + xs[t] @ U.T + b)
        return np_.sum(h ** 2)
    return loss


def _jax(d, jit):
    import jax
    import jax.numpy as jnp
    g = jax.grad(_loss(jnp), argnums=(0, 1, 2))
    g = jax.jit(g) if jit else g
    args = [jnp.asarray(d[k]) for k in ("W", "U", "b", "xs")]
    step = lambda: jax.block_until_ready(g(*args))
    return step, step


def bench_jax(d):
    return _jax(d, jit=False)


def bench_jax_jit(d):
    return _jax(d, jit=True)


def bench_autograd(d):
    import autograd
    import autograd.numpy as anp
    g = autograd.grad(_loss(anp), argnum=(0, 1, 2))
    args = [d[k] for k in ("W", "U", "b", "xs")]
    step = lambda: g(*args)
    return step, step


def bench_mygrad(d):
    import mygrad as mg
    xs = d["xs"]
    params = [mg.tensor(d[k]) for k in ("W", "U", "b")]
    W, U, b = params

    def step():
        h = np.zeros((B, H))
        for t in range(T):
            h = mg.tanh(h @ W.T + xs[t] @ U.T + b)
        mg.sum(h ** 2).backward()
        return [p.grad for p in params]
    return step, step


UNSUPPORTED = {"micrograd": "scalar engine; the scalar workload only"}
