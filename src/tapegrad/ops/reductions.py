"""Reductions: sum, max, min, prod, norm, logsumexp.

mean, softmax and log_softmax are built from these (functions.py).  Every
reverse rule broadcasts the incoming gradient back over the reduced axes with
``_expand``; forward rules reduce the tangent the same way as the primal.
"""
import numpy as np

from ._registry import Primitive, register


def norm_axis(axis, ndim):
    """axis as a sorted tuple of non-negative ints (None: all axes)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(out))


def keep_shape(shape, axis):
    """The shape of the reduction with keepdims=True."""
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _expand(B, g, xshape, p):
    """g (shape of the reduction's output) broadcast to the input's shape."""
    return B.broadcast_to(B.reshape(g, keep_shape(xshape, p["axis"])), xshape)


def _kept(B, out, xshape, p):
    """The output reshaped to keepdims form (for rules that compare to x)."""
    return B.reshape(out, keep_shape(xshape, p["axis"]))


# ---- sum: linear ------------------------------------------------------------
def _sum_forward(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims)


SUM = register(Primitive(
    "sum", _sum_forward,
    lambda B, g, xs, out, p, needs: (_expand(B, g, xs[0].shape, p),),
    lambda B, ts, xs, out, p: B.sum(ts[0], p["axis"], p["keepdims"]),
    linear=True, label="sum({0})"))


# ---- max / min: ties split the gradient evenly --------------------------------
def _tie_weights(B, xs, out, p):
    x = B.raw(xs[0])
    hit = (x == B.raw(out).reshape(keep_shape(x.shape, p["axis"]))).astype(x.dtype)
    return B.const(hit / hit.sum(axis=p["axis"], keepdims=True))


def _extreme(name, fn):
    def forward(x, axis, keepdims):
        return fn(x, axis=axis, keepdims=keepdims)

    def vjp(B, g, xs, out, p, needs):
        return (_expand(B, g, xs[0].shape, p) * _tie_weights(B, xs, out, p),)

    def jvp(B, ts, xs, out, p):
        return B.sum(ts[0] * _tie_weights(B, xs, out, p), p["axis"], p["keepdims"])

    return register(Primitive(name, forward, vjp, jvp, saves=(0,), save_out=True,
                              label=name + "({0})"))


MAX = _extreme("max", np.max)
MIN = _extreme("min", np.min)


# ---- prod -------------------------------------------------------------------
def _others_product(B, xs, out, p):
    """d prod / d x_i: the product of the other elements along the axes."""
    x = xs[0]
    xr = B.raw(x)
    if np.all(xr != 0):
        return _kept(B, out, x.shape, p) / x
    # With zeros, out / x is 0/0: multiply the others explicitly (constant:
    # second derivatives at exact zeros are not supported).
    axis = p["axis"]
    moved = np.moveaxis(xr, axis, tuple(range(-len(axis), 0)))
    flat = moved.reshape(moved.shape[:moved.ndim - len(axis)] + (-1,))
    left = np.cumprod(np.concatenate([np.ones_like(flat[..., :1]), flat[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([np.ones_like(flat[..., :1]), flat[..., :0:-1]], -1),
                       -1)[..., ::-1]
    others = (left * right).reshape(moved.shape)
    return B.const(np.moveaxis(others, tuple(range(-len(axis), 0)), axis))


PROD = register(Primitive(
    "prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
    lambda B, g, xs, out, p, needs: (_expand(B, g, xs[0].shape, p) * _others_product(B, xs, out, p),),
    lambda B, ts, xs, out, p: B.sum(ts[0] * _others_product(B, xs, out, p), p["axis"], p["keepdims"]),
    saves=(0,), save_out=True, label="prod({0})"))


# ---- norm: the 2-norm of all elements (gradient 0 at the origin) ------------
def _unit(B, xs, out):
    if B.raw(out) == 0:
        return B.const(np.zeros_like(B.raw(xs[0])))
    return xs[0] / out


NORM = register(Primitive(
    "norm", lambda x: np.sqrt(np.sum(x * x)),
    lambda B, g, xs, out, p, needs: (g * _unit(B, xs, out),),
    lambda B, ts, xs, out, p: B.sum(ts[0] * _unit(B, xs, out), None, False),
    saves=(0,), save_out=True, label="||{0}||"))


# ---- logsumexp: stable, the base of softmax and log_softmax ----------------
def _lse_forward(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax_weights(B, xs, out, p):
    return B.exp(xs[0] - _kept(B, out, xs[0].shape, p))


LOGSUMEXP = register(Primitive(
    "logsumexp", _lse_forward,
    lambda B, g, xs, out, p, needs: (_expand(B, g, xs[0].shape, p) * _softmax_weights(B, xs, out, p),),
    lambda B, ts, xs, out, p: B.sum(ts[0] * _softmax_weights(B, xs, out, p), p["axis"], p["keepdims"]),
    saves=(0,), save_out=True, label="logsumexp({0})"))
