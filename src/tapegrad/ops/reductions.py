"""Reductions: sum, max, min, prod, norm, logsumexp; mean, softmax and
log_softmax built from them.

Every reverse rule broadcasts the incoming gradient back over the reduced
axes with ``_expand``; forward rules reduce the tangent the same way as the
primal; batching rules shift the reduced axes past the batch axis.
"""
import numpy as np
from numpy import _NoValue

from .. import errors
from .._core.tape import TensorBase, is_batched
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
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise np.exceptions.AxisError(a, ndim)
        if ndim:                  # a 0-d input takes axis 0 or -1, as NumPy's sum: no axis
            out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in 'axis': {axis}")
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


# ---- NumPy's extra keywords: dtype=, out=, initial=, where= --------------------------
def keepdims_arg(keepdims):
    """NumPy's keepdims (its default is the ``_NoValue`` sentinel in some signatures)."""
    return False if keepdims is _NoValue else bool(keepdims)


def no_out(name, out):
    if out is not None:
        raise TypeError(f"{name}: out= is not supported (tapegrad never writes into an "
                        f"existing array); use the returned tensor.")


def as_dtype(name, x, dtype):
    """x cast (recorded) to a float ``dtype``; TypeError naming dtype= otherwise."""
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"{name}: dtype={dt} is not supported: tapegrad computes in float32 "
                        f"or float64 (an integer or boolean result has no derivative).")
    return x if x.dtype == dt else REGISTRY["cast"].public(x, dt)


def where_mask(name, x, where):
    """The ``where=`` argument as a bool array that broadcasts to x's shape."""
    w = where._data if isinstance(where, TensorBase) else where
    mask = np.asarray(w, dtype=bool)
    if np.broadcast_shapes(mask.shape, tuple(x.shape)) != tuple(x.shape):
        raise errors.ShapeError(f"{name}: where= of shape {mask.shape} does not broadcast to "
                                f"the input's shape {tuple(x.shape)}")
    return mask


def _extras(name, x, dtype, out, where, fill):
    """x after dtype= and where= (masked elements replaced by ``fill``, the
    reduction's identity: they get no gradient)."""
    no_out(name, out)
    if dtype is not None:
        x = as_dtype(name, x, dtype)
    if where is not _NoValue and where is not True:
        x = REGISTRY["where"].public(where_mask(name, x, where), x, fill)
    return x


def _with_initial(name, combine, r, initial):
    """r combined with ``initial``: added (sum), multiplied (prod), or for
    max/min reduced together with it (a tie splits the gradient)."""
    if initial is _NoValue:
        return r
    if (initial.ndim if isinstance(initial, TensorBase) else np.ndim(initial)) != 0:
        raise ValueError(f"{name}: initial= must be a scalar, got {initial!r}")
    if combine in ("max", "min"):
        init = REGISTRY["broadcast_to"].public(
            np.asarray(initial, dtype=r.dtype) if not isinstance(initial, TensorBase)
            else initial, tuple(r.shape))
        return REGISTRY[combine].public(REGISTRY["stack"].public([r, init]), 0)
    return REGISTRY[combine].public(r, initial)


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


def sum_(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
         where=_NoValue):
    """Sum over ``axis`` (None: all), as NumPy's sum; ``dtype`` a float type,
    ``initial`` added, ``where`` a mask of the elements summed."""
    x = arg(a)
    if dtype is not None or out is not None or where is not _NoValue:
        x = _extras("sum", x, dtype, out, where, 0.0)
    r = REGISTRY["sum"](x, axis=norm_axis(axis, len(x.shape)),
                        keepdims=keepdims_arg(keepdims))
    return r if initial is _NoValue else _with_initial("sum", "add", r, initial)


primitive("sum", _sum_forward,
          lambda B, g, xs, out, p, needs: (_expand(B, g, xs[0].shape, p),),
          lambda B, ts, xs, out, p: B.sum(ts[0], p["axis"], keepdims=p["keepdims"]),
          linear=True, label="sum({0})", batch=_reduction_batch(_sum_forward), dlabels=("1",),
          public=sum_, method=True, numpy=np.sum)


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

    fill = -np.inf if name == "max" else np.inf

    def checked(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
        x = arg(a)
        ax = norm_axis(axis, len(x.shape))
        if out is not None or where is not _NoValue or initial is not _NoValue:
            if where is not _NoValue and where is not True and initial is _NoValue:
                raise ValueError(f"{name}: a where= mask needs initial= (the {name}imum of "
                                 f"no elements is undefined), as in NumPy")
            x = _extras(name, x, None, out, where, fill)
            if initial is not _NoValue and not is_batched(x) and x.size == 0:
                # nothing to compare: the result is ``initial`` (sum() keeps x's history)
                return REGISTRY["add"].public(sum_(x, ax, keepdims=keepdims), initial)
        _empty_check(name, x, ax)
        r = REGISTRY[name](x, axis=ax, keepdims=keepdims_arg(keepdims))
        return r if initial is _NoValue else _with_initial(name, name, r, initial)
    checked.__doc__ = (f"The {name}imum over ``axis`` (None: all), as NumPy's {name}; ties "
                       f"split the gradient evenly (as JAX), also with ``initial``.")

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


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
         where=_NoValue):
    """Product over ``axis`` (None: all), as NumPy's prod; ``dtype`` a float
    type, ``initial`` a factor, ``where`` a mask of the elements multiplied."""
    x = arg(a)
    if dtype is not None or out is not None or where is not _NoValue:
        x = _extras("prod", x, dtype, out, where, 1.0)
    r = REGISTRY["prod"](x, axis=norm_axis(axis, len(x.shape)),
                         keepdims=keepdims_arg(keepdims))
    return r if initial is _NoValue else _with_initial("prod", "multiply", r, initial)


primitive("prod", _prod_forward,
          lambda B, g, xs, out, p, needs: (_expand(B, g, xs[0].shape, p)
                                           * _others_product(B, xs, out, p),),
          lambda B, ts, xs, out, p: B.sum(ts[0] * _others_product(B, xs, out, p), p["axis"],
                                          keepdims=p["keepdims"]),
          saves=(0,), save_out=True, label="prod({0})", batch=_reduction_batch(_prod_forward),
          public=prod, method=True, numpy=np.prod)


# ---- norm: the 2-norm of all elements (gradient 0 at the origin) ----------------
def _unit(B, xs, out):
    if B.raw(out) == 0:
        return B.const(np.zeros_like(B.raw(xs[0])))
    return xs[0] / out


def _norm_forward(x):
    """sqrt(sum(x * x)), rescaled by max|x| when the sum of squares would
    overflow or lose digits to underflow: ||[1e200]|| is 1e200 and
    ||[1e-200]|| is 1e-200 (not inf and 0; float32 from |x| ~ 2e19 and
    1e-19 on).  The common case costs no extra pass."""
    with np.errstate(over="ignore"):        # an overflow is handled below
        ss = np.sum(x * x)
    fi = np.finfo(x.dtype)
    if fi.tiny / fi.eps <= ss < np.inf:
        return np.sqrt(ss)
    s = np.max(np.abs(x), initial=0.0)
    if s == 0 or not np.isfinite(s):
        return np.sqrt(ss)              # all zeros (0), or inf/nan in x
    y = x / s
    return s * np.sqrt(np.sum(y * y))


def norm(x):
    """The 2-norm of all elements, rescaled where the sum of squares would
    overflow or underflow (``norm([1e200])`` is 1e200; float32:
    ``norm([1e30])`` is 1e30).  Its gradient x / norm(x) is taken as 0 at the
    origin, where the norm has no derivative (the subgradient of least norm,
    as JAX)."""
    return REGISTRY["norm"](arg(x))


def _norm_batch(args, p):
    x = args[0]
    return type(x).wrap(np.stack([_norm_forward(v) for v in x.v]))


primitive("norm", _norm_forward,
          lambda B, g, xs, out, p, needs: (g * _unit(B, xs, out),),
          lambda B, ts, xs, out, p: B.sum(ts[0] * _unit(B, xs, out)),
          saves=(0,), save_out=True, label="||{0}||", batch=_norm_batch, public=norm,
          method=True, numpy=_norm_forward)


# ---- logsumexp: stable, the base of softmax and log_softmax ----------------------
def _lse_forward(x, axis, keepdims):
    # initial=-inf: an empty axis sums nothing, log(0) = -inf (as SciPy)
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    s = np.sum(np.exp(x - m), axis=axis, keepdims=True)
    if s.size and (s > 0).all():
        out = np.log(s) + m
    else:
        with np.errstate(divide="ignore"):      # log(0) = -inf is the answer
            out = np.log(s) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax_weights(B, xs, out, p):
    """exp(x - logsumexp(x)): the softmax, the derivative of logsumexp.
    A slice whose logsumexp is -inf (all -inf, or empty) gets weight 0, not
    exp(-inf - -inf) = NaN: shifting it by 0 instead keeps NaN out of the
    value and of its own derivatives (create_graph, forward mode)."""
    kept = _kept(B, out, xs[0].shape, p)
    dead = np.isneginf(B.raw(kept))
    if dead.any():
        kept = B.where(dead, 0.0, kept)
    return B.exp(xs[0] - kept)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis``, computed stably (shifted by the max).

    -inf entries contribute nothing: a slice with some -inf has the
    logsumexp of the rest, and those entries get gradient 0.  A slice that
    is all -inf, or empty (an axis of length 0), gives -inf as SciPy's
    logsumexp does (log of an empty sum), with gradient 0 (not NaN)."""
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
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NoValue):
    """Mean over ``axis`` (None: all), as NumPy's mean; ``dtype`` a float
    type, ``where`` a mask of the elements averaged."""
    x = arg(a)
    ax = norm_axis(axis, len(x.shape))
    keepdims = keepdims_arg(keepdims)
    if dtype is not None or out is not None or where is not _NoValue:
        x = _extras("mean", x, dtype, out, where, 0.0)
        if where is not _NoValue and where is not True:
            count = np.sum(np.broadcast_to(where_mask("mean", x, where), x.shape), axis=ax,
                           keepdims=bool(keepdims)).astype(x.dtype)
            return REGISTRY["divide"].public(sum_(x, ax, keepdims=keepdims), count)
    n = 1
    for a in ax:
        n *= x.shape[a]
    return REGISTRY["divide"].public(REGISTRY["sum"](x, axis=ax, keepdims=keepdims), n)


def _shifted(x, axis):
    """x minus its max along ``axis``, the max taken as a constant.

    softmax and log_softmax are shift-invariant, so their gradients are
    unchanged, and x - max is exact where x - logsumexp(x) loses the digits
    of a large max: log_softmax([1000, 999.5]) in float32 was 300 ulp off."""
    data = x._data if isinstance(x, TensorBase) else x
    m = np.max(data, axis=norm_axis(axis, data.ndim), keepdims=True, initial=-np.inf)
    return REGISTRY["subtract"].public(x, np.where(np.isfinite(m), m, 0).astype(data.dtype,
                                                                                  copy=False))


@composite("log_softmax", method=True)
def log_softmax(x, axis=-1):
    """(x - max) - logsumexp(x - max, axis), the max a constant: exact where
    softmax underflows (log_softmax of [1000, -1000] in float32 is
    [0, -2000]) and a few ulp from the true value at any scale.  Empty
    axis: empty result; a slice of all -inf: NaN, as softmax."""
    z = _shifted(arg(x), axis)
    return REGISTRY["subtract"].public(z, logsumexp(z, axis=axis, keepdims=True))


@composite("softmax", method=True)
def softmax(x, axis=-1):
    """exp(log_softmax(x, axis)) along ``axis`` (default the last):
    overflow-free and accurate to a few ulp at any x; -inf entries get
    probability 0 and gradient 0.  Over an empty axis the result is empty
    (as SciPy's).  A slice of all -inf has no distribution: NaN, as in
    SciPy, PyTorch and JAX (mask with a large finite negative number if a
    whole row may be masked)."""
    return REGISTRY["exp"].public(log_softmax(x, axis))
