"""Reductions: sum, max, min, prod, norm, logsumexp; mean, softmax and
log_softmax built from them.

Every reverse rule broadcasts the incoming gradient back over the reduced
axes with ``_expand``; forward rules reduce the tangent the same way as the
primal; batching rules shift the reduced axes past the batch axis.
"""
import numpy as np

from .. import errors
from .._core.tape import is_batched
from ._registry import REGISTRY, arg, composite, primitive


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


def _reduction_batch(forward):
    def batch(args, p):
        x = args[0]
        q = dict(p)
        q["axis"] = tuple(a + 1 for a in p["axis"])
        return type(x).wrap(forward(x.v, **q))
    return batch


def _reduction_public(name, doc):
    def f(x, axis=None, keepdims=False):
        x = arg(x)
        return REGISTRY[name](x, axis=norm_axis(axis, len(x.shape)), keepdims=bool(keepdims))
    f.__doc__ = doc
    return f


def _empty_check(name, x, axis):
    """A reduction without an identity over an empty axis: NumPy raises too,
    but about its internals; say which function and axis."""
    if not is_batched(x):
        for a in axis:
            if x.shape[a] == 0:
                raise errors.ShapeError(
                    f"{name} over axis {a} of a tensor of shape {tuple(x.shape)}: that axis is "
                    f"empty and {name} has no value for an empty set (sum has: 0).")


# ---- sum: linear ---------------------------------------------------------------
def _sum_forward(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims)


primitive("sum", _sum_forward,
          lambda B, g, xs, out, p, needs: (_expand(B, g, xs[0].shape, p),),
          lambda B, ts, xs, out, p: B.sum(ts[0], p["axis"], keepdims=p["keepdims"]),
          linear=True, label="sum({0})", batch=_reduction_batch(_sum_forward), dlabels=("1",),
          public=_reduction_public("sum", "Sum over ``axis`` (None: all), as NumPy's sum."),
          method=True, numpy=np.sum)


# ---- max / min: ties split the gradient evenly ------------------------------------
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
        return B.sum(ts[0] * _tie_weights(B, xs, out, p), p["axis"], keepdims=p["keepdims"])

    public = _reduction_public(
        name, f"The {name}imum over ``axis`` (None: all); ties split the gradient evenly.")
    inner = public

    def checked(x, axis=None, keepdims=False):
        x = arg(x)
        _empty_check(name, x, norm_axis(axis, len(x.shape)))
        return inner(x, axis, keepdims)
    checked.__doc__ = public.__doc__

    return primitive(name, forward, vjp, jvp, saves=(0,), save_out=True,
                     label=name + "({0})", batch=_reduction_batch(forward), public=checked,
                     method=True, numpy=fn)


_extreme("max", np.max)
_extreme("min", np.min)


# ---- prod ------------------------------------------------------------------------
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


def _prod_forward(x, axis, keepdims):
    return np.prod(x, axis=axis, keepdims=keepdims)


primitive("prod", _prod_forward,
          lambda B, g, xs, out, p, needs: (_expand(B, g, xs[0].shape, p)
                                           * _others_product(B, xs, out, p),),
          lambda B, ts, xs, out, p: B.sum(ts[0] * _others_product(B, xs, out, p), p["axis"],
                                          keepdims=p["keepdims"]),
          saves=(0,), save_out=True, label="prod({0})", batch=_reduction_batch(_prod_forward),
          public=_reduction_public("prod", "Product over ``axis`` (None: all), as NumPy's prod."),
          method=True, numpy=np.prod)


# ---- norm: the 2-norm of all elements (gradient 0 at the origin) ----------------
def _unit(B, xs, out):
    if B.raw(out) == 0:
        return B.const(np.zeros_like(B.raw(xs[0])))
    return xs[0] / out


def norm(x):
    """The 2-norm of all elements.  Its gradient at the origin, where it is
    not differentiable, is 0 (the subgradient of least norm, as JAX)."""
    return REGISTRY["norm"](arg(x))


def _norm_batch(args, p):
    x = args[0]
    v = x.v
    return type(x).wrap(np.sqrt(np.sum(v * v, axis=tuple(range(1, v.ndim)))))


primitive("norm", lambda x: np.sqrt(np.sum(x * x)),
          lambda B, g, xs, out, p, needs: (g * _unit(B, xs, out),),
          lambda B, ts, xs, out, p: B.sum(ts[0] * _unit(B, xs, out)),
          saves=(0,), save_out=True, label="||{0}||", batch=_norm_batch, public=norm,
          method=True, numpy=lambda x: np.sqrt(np.sum(x * x)))


# ---- logsumexp: stable, the base of softmax and log_softmax ----------------------
def _lse_forward(x, axis, keepdims):
    if x.size == 0 and any(x.shape[a] == 0 for a in axis):
        # the log of an empty sum: -inf, as scipy.special.logsumexp
        out = np.full(tuple(1 if i in axis else n for i, n in enumerate(x.shape)), -np.inf,
                      dtype=x.dtype)
        return out if keepdims else np.squeeze(out, axis=axis)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax_weights(B, xs, out, p):
    return B.exp(xs[0] - _kept(B, out, xs[0].shape, p))


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis``, without overflow; -inf where every
    element is -inf or the axis is empty (as scipy.special.logsumexp)."""
    x = arg(x)
    return REGISTRY["logsumexp"](x, axis=norm_axis(axis, len(x.shape)), keepdims=bool(keepdims))


primitive("logsumexp", _lse_forward,
          lambda B, g, xs, out, p, needs: (_expand(B, g, xs[0].shape, p)
                                           * _softmax_weights(B, xs, out, p),),
          lambda B, ts, xs, out, p: B.sum(ts[0] * _softmax_weights(B, xs, out, p), p["axis"],
                                          keepdims=p["keepdims"]),
          saves=(0,), save_out=True, label="logsumexp({0})",
          batch=_reduction_batch(_lse_forward), public=logsumexp, method=True,
          numpy=lambda x, axis=None, keepdims=False: _lse_forward(
              x, norm_axis(axis, x.ndim), keepdims))


# ---- composites -----------------------------------------------------------------
@composite("mean", method=True)
def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (None: all), as NumPy's mean."""
    x = arg(x)
    ax = norm_axis(axis, len(x.shape))
    n = int(np.prod([x.shape[a] for a in ax], dtype=np.int64))
    return REGISTRY["divide"].public(REGISTRY["sum"].public(x, ax, keepdims), n)


@composite("softmax", method=True)
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis`` (default the last), computed as
    exp(x - logsumexp(x)): no overflow."""
    x = arg(x)
    return REGISTRY["exp"].public(
        REGISTRY["subtract"].public(x, logsumexp(x, axis=axis, keepdims=True)))


@composite("log_softmax", method=True)
def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis`` (default the last): no overflow."""
    x = arg(x)
    return REGISTRY["subtract"].public(x, logsumexp(x, axis=axis, keepdims=True))
