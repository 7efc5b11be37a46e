"""MLP workload: 784 -> 256 -> 10 ReLU network, mean softmax cross-entropy,
batch 128, float32; forward and backward to both weights and both biases.

The typical small-model training step: a few large matmuls, so the measure
is whether the tape adds little on top of NumPy's BLAS and keeps float32.
"""
import numpy as np

from workloads import Target

TITLE = "784->256->10 ReLU MLP, mean softmax cross-entropy, batch 128, float32"
TOL = 2e-4
DTYPE = np.float32
TARGETS = [Target("torch", 0.75)]
BLAS_HEAVY = True     # NumPy-based systems are timed with default and 1 BLAS thread, as torch is
BATCH, D_IN, D_HID, D_OUT = 128, 784, 256, 10


def make_data():
    rng = np.random.default_rng(0)
    f32 = np.float32
    return {
        "X": rng.standard_normal((BATCH, D_IN)).astype(f32),
        "y": rng.integers(0, D_OUT, BATCH),
        "W1": (rng.standard_normal((D_IN, D_HID)) * np.sqrt(2 / D_IN)).astype(f32),
        "b1": (rng.standard_normal(D_HID) * 0.1).astype(f32),
        "W2": (rng.standard_normal((D_HID, D_OUT)) * np.sqrt(1 / D_HID)).astype(f32),
        "b2": (rng.standard_normal(D_OUT) * 0.1).astype(f32),
    }


def reference(d):
    """Hand-written backprop in float64."""
    X, y = d["X"].astype(np.float64), d["y"]
    W1, b1, W2, b2 = (d[k].astype(np.float64) for k in ("W1", "b1", "W2", "b2"))
    pre = X @ W1 + b1
    h = np.maximum(pre, 0)
    z = h @ W2 + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = p
    dz[np.arange(BATCH), y] -= 1
    dz /= BATCH
    dpre = (dz @ W2.T) * (pre > 0)
    return [X.T @ dpre, dpre.sum(0), h.T @ dz, dz.sum(0)]


def bench_tapegrad(d):
    import tapegrad as tg
    from tapegrad import autograd
    X = tg.array(d["X"], dtype=np.float32)
    rows, labels = np.arange(BATCH), d["y"]
    params = [tg.array(d[k], dtype=np.float32) for k in ("W1", "b1", "W2", "b2")]
    for p in params:
        p.attach_grad()
    W1, b1, W2, b2 = params

    def step():
        with autograd.record():
            h = tg.relu(X @ W1 + b1)
            logp = tg.log_softmax(h @ W2 + b2, axis=-1)
            loss = -logp[rows, labels].mean()
        loss.backward()
        return [p.grad for p in params]
    return step, step


def bench_torch(d):
    import torch
    import torch.nn.functional as F
    X, y = torch.from_numpy(d["X"]), torch.from_numpy(d["y"])
    params = [torch.tensor(d[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")]
    W1, b1, W2, b2 = params

    def step():
        loss = F.cross_entropy(torch.relu(X @ W1 + b1) @ W2 + b2, y)
        return torch.autograd.grad(loss, params)
    return step, step


def _jax_grad(d):
    import jax
    import jax.numpy as jnp
    X, y = jnp.asarray(d["X"]), jnp.asarray(d["y"])
    rows = jnp.arange(BATCH)

    def loss(W1, b1, W2, b2):
        logp = jax.nn.log_softmax(jax.nn.relu(X @ W1 + b1) @ W2 + b2, axis=-1)
        return -logp[rows, y].mean()
    params = [jnp.asarray(d[k]) for k in ("W1", "b1", "W2", "b2")]
    return jax.grad(loss, argnums=(0, 1, 2, 3)), params


def bench_jax(d):
    import jax
    g, params = _jax_grad(d)
    step = lambda: jax.block_until_ready(g(*params))
    return step, step


def bench_jax_jit(d):
    import jax
    g, params = _jax_grad(d)
    g = jax.jit(g)
    step = lambda: jax.block_until_ready(g(*params))
    return step, step


def bench_autograd(d):
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp
    X, y, rows = d["X"], d["y"], np.arange(BATCH)

    def loss(W1, b1, W2, b2):
        z = anp.maximum(X @ W1 + b1, 0) @ W2 + b2
        logp = z - logsumexp(z, axis=1, keepdims=True)
        return -anp.mean(logp[rows, y])
    g = autograd.grad(loss, argnum=(0, 1, 2, 3))
    params = [d[k] for k in ("W1", "b1", "W2", "b2")]
    step = lambda: g(*params)
    return step, step


def bench_mygrad(d):
    import mygrad as mg
    from mygrad.nnet.losses import softmax_crossentropy
    X, y = d["X"], d["y"]
    params = [mg.tensor(d[k]) for k in ("W1", "b1", "W2", "b2")]
    W1, b1, W2, b2 = params

    def step():
        z = mg.maximum(mg.matmul(X, W1) + b1, 0) @ W2 + b2
        softmax_crossentropy(z, y).backward()
        return [p.grad for p in params]
    return step, step


UNSUPPORTED = {"micrograd": "scalar engine; the scalar workload only"}
