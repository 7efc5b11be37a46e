"""Statistics and scans: cumsum and cumprod (primitives); var, std, average,
diff, median/percentile/quantile, the nan-ignoring reductions and ptp built
from primitives; any, all, count_nonzero, argmax, argmin as plain arrays.

Conventions where the derivative is not unique (each also in its docstring):
order statistics (median, percentile, quantile, and max/min/ptp) split the
gradient of a tied value evenly between the tied elements; std at zero
variance has a NaN gradient (sqrt's derivative at 0 is infinite; JAX and
PyTorch give NaN too); NaN elements get a zero gradient from the nan*
reductions (as JAX).
"""
import operator
import warnings

import numpy as np
from numpy import _NoValue

from .. import errors
from .._core.tape import TensorBase, is_batched
from ._registry import LINEAR, REGISTRY, arg, composite, primitive
from .backend import TG
from .reductions import as_dtype, keep_shape, no_out, norm_axis, where_mask


def _raw(x):
    return x._data if isinstance(x, TensorBase) else np.asarray(x)


def _operand(x):
    return x if isinstance(x, TensorBase) or is_batched(x) else arg(x)


def _axis1(axis, ndim):
    """One axis (an int), normalised."""
    return norm_axis(operator.index(axis), ndim)[0]


def _named(name, method=None, stub=None):
    """Register a composite whose Python name differs (any_, all_, ...)."""
    def deco(fn):
        fn.__name__ = fn.__qualname__ = name
        return composite(name, method=method, stub=stub)(fn)
    return deco


def _has_mask(where):
    return where is not _NoValue and where is not True


def _sl(axis, s):
    return (slice(None),) * axis + (s,)


# ---- cumsum: linear; its transpose is the reversed cumsum ----------------------------
def _cumsum_forward(x, axis, reverse):
    if reverse:
        return np.ascontiguousarray(np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis))
    return np.cumsum(x, axis=axis)


def _cumsum_batch(args, p):
    x = args[0]
    return type(x).wrap(_cumsum_forward(x.v, axis=p["axis"] + 1, reverse=p["reverse"]))


def _flat_or_axis(name, a, axis, dtype, out):
    no_out(name, out)
    x = _operand(a)
    if dtype is not None:
        x = as_dtype(name, x, dtype)
    if axis is None or len(x.shape) == 0:
        if axis is not None:
            norm_axis(operator.index(axis), 0)      # 0 or -1, as NumPy allows on 0-d
        return TG.reshape(x, (-1,)), 0
    return x, _axis1(axis, len(x.shape))


def cumsum(a, axis=None, dtype=None, out=None):
    """Cumulative sum along ``axis`` (None: of the flattened input), as NumPy's."""
    x, ax = _flat_or_axis("cumsum", a, axis, dtype, out)
    return REGISTRY["cumsum"](x, axis=ax, reverse=False)


primitive("cumsum", _cumsum_forward,
          lambda B, g, xs, out, p, needs: (B.bind(REGISTRY["cumsum"], g, axis=p["axis"],
                                                  reverse=not p["reverse"]),),
          LINEAR, linear=True, label="cumsum({0})", batch=_cumsum_batch, public=cumsum,
          method=True, numpy=np.cumsum)


# ---- cumprod: NumPy's forward; rules exact also where elements are zero -------------
def _linear_scan(B, a, b, ax):
    """r[j] = a[j] r[j-1] + b[j] along ``ax`` (r[-1] = 0), by the odd/even
    recursion of an associative scan (as JAX's): O(n) work, depth log2(n),
    written in backend ops, so it runs on arrays, tensors and batches alike
    and is differentiable again."""
    n = b.shape[ax]
    if n < 2:
        return b
    get = B.getitem
    a0, a1 = get(a, _sl(ax, slice(0, n - 1, 2))), get(a, _sl(ax, slice(1, n, 2)))
    b0, b1 = get(b, _sl(ax, slice(0, n - 1, 2))), get(b, _sl(ax, slice(1, n, 2)))
    odd = _linear_scan(B, a1 * a0, a1 * b0 + b1, ax)          # r[1], r[3], ...
    m = (n - 1) // 2                                           # r[2], r[4], ... from them
    even = get(b, _sl(ax, slice(0, 1)))
    if m:
        more = get(a, _sl(ax, slice(2, n, 2))) * get(odd, _sl(ax, slice(0, m))) \
            + get(b, _sl(ax, slice(2, n, 2)))
        even = B.concatenate([even, more], ax)
    k = n // 2                                                 # interleave
    head = even if n % 2 == 0 else get(even, _sl(ax, slice(0, k)))
    shape = tuple(b.shape[:ax]) + (2 * k,) + tuple(b.shape[ax + 1:])
    r = B.reshape(B.stack([head, odd], ax + 1), shape)
    if n % 2:
        r = B.concatenate([r, get(even, _sl(ax, slice(k, k + 1)))], ax)
    return r


def _shifted(B, x, ax, fill, later):
    """x one step along ``ax``: later=True gives x[j-1] at j (``fill`` at 0),
    later=False gives x[j+1] at j (``fill`` at the end)."""
    n = x.shape[ax]
    shape = list(x.shape)
    shape[ax] = 1
    pad = B.const(np.full(shape, fill, dtype=x.dtype))
    if later:
        return B.concatenate([pad, B.getitem(x, _sl(ax, slice(0, n - 1)))], ax)
    return B.concatenate([B.getitem(x, _sl(ax, slice(1, n))), pad], ax)


def _reversed(B, x, ax):
    return B.getitem(x, _sl(ax, slice(None, None, -1)))


def _ratio_safe(B, x, y):
    """Whether y[j] / x[i] is the product of the others to a few ulp: no zero
    in x, no overflow or underflow in y (else the scans below are exact)."""
    xr, yr = B.raw(x), B.raw(y)
    return bool(np.all(xr != 0) and np.all(np.abs(yr) >= np.finfo(yr.dtype).tiny)
                and np.all(np.isfinite(yr)))


def _cumprod_vjp(B, g, xs, y, p, needs):
    """grad[i] = sum_{j >= i} g[j] prod_{k <= j, k != i} x[k]."""
    x, ax = xs[0], p["axis"]
    if _ratio_safe(B, x, y):
        return (B.bind(REGISTRY["cumsum"], g * y, axis=ax, reverse=True) / x,)
    # y[i-1] * r[i], r[i] = g[i] + x[i+1] r[i+1]: a reversed linear scan
    r = _linear_scan(B, _reversed(B, _shifted(B, x, ax, 0.0, False), ax),
                     _reversed(B, g, ax), ax)
    return (_shifted(B, y, ax, 1.0, True) * _reversed(B, r, ax),)


def _cumprod_jvp(B, ts, xs, y, p):
    """ty[j] = x[j] ty[j-1] + y[j-1] t[j]."""
    x, t, ax = xs[0], ts[0], p["axis"]
    if _ratio_safe(B, x, y):
        return y * B.cumsum(t / x, ax)
    return _linear_scan(B, x, _shifted(B, y, ax, 1.0, True) * t, ax)


def _cumprod_batch(args, p):
    x = args[0]
    return type(x).wrap(np.cumprod(x.v, axis=p["axis"] + 1))


def cumprod(a, axis=None, dtype=None, out=None):
    """Cumulative product along ``axis`` (None: of the flattened input), as
    NumPy's.  Its derivatives are exact also where elements are zero (JAX's
    values): the rules divide by x only where that is exact, else run an
    associative scan."""
    x, ax = _flat_or_axis("cumprod", a, axis, dtype, out)
    return REGISTRY["cumprod"](x, axis=ax)


primitive("cumprod", lambda x, axis: np.cumprod(x, axis=axis), _cumprod_vjp, _cumprod_jvp,
          saves=(0,), save_out=True, label="cumprod({0})", batch=_cumprod_batch,
          public=cumprod, method=True, numpy=np.cumprod)


# ---- diff ------------------------------------------------------------------------
def _edge(v, x, ax):
    """prepend=/append= as an operand: a scalar broadcast to one slice."""
    v = _operand(v)
    if len(v.shape) == 0:
        shape = list(x.shape)
        shape[ax] = 1
        v = TG.broadcast_to(v, tuple(shape))
    return v


@composite("diff")
def diff(a, n=1, axis=-1, prepend=_NoValue, append=_NoValue):
    """The n-th forward difference along ``axis``, as NumPy's diff
    (``prepend``/``append`` joined first; they may be tensors)."""
    x = _operand(a)
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:
        return x
    if len(x.shape) == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = _axis1(axis, len(x.shape))
    parts = []
    if prepend is not _NoValue:
        parts.append(_edge(prepend, x, ax))
    parts.append(x)
    if append is not _NoValue:
        parts.append(_edge(append, x, ax))
    if len(parts) > 1:
        x = TG.concatenate(parts, axis=ax)
    for _ in range(n):
        m = x.shape[ax]
        x = TG.subtract(TG.getitem(x, _sl(ax, slice(1, None))),
                        TG.getitem(x, _sl(ax, slice(0, max(m - 1, 0)))))
    return x


# ---- var, std ---------------------------------------------------------------------
def _masked(name, x, where, fill):
    mask = np.broadcast_to(where_mask(name, x, where), tuple(x.shape))
    return TG.where(mask, x, fill), mask


def _variance(name, a, axis, dtype, out, ddof, keepdims, where, mean, correction):
    no_out(name, out)
    x = _operand(a)
    if dtype is not None:
        x = as_dtype(name, x, dtype)
    if correction is not _NoValue:
        if ddof != 0:
            raise ValueError(f"{name}: ddof and correction can't be provided simultaneously.")
        ddof = correction
    ax = norm_axis(axis, len(x.shape))
    mask = None
    if _has_mask(where):
        x, mask = _masked(name, x, where, 0.0)
        count = np.sum(mask, axis=ax, keepdims=True).astype(x.dtype)
    else:
        count = float(np.prod([x.shape[i] for i in ax], dtype=np.int64))
    if mean is _NoValue:
        m = TG.divide(TG.sum(x, ax, keepdims=True), count)
    else:
        m = _operand(mean)
    d = TG.subtract(x, m)
    if mask is not None:
        d = TG.where(mask, d, 0.0)
    ss = TG.sum(TG.square(d), ax, keepdims=keepdims)
    dof = np.fmax(np.asarray(count, dtype=x.dtype) - ddof, 0)
    if np.ndim(dof) and not keepdims:
        dof = np.squeeze(dof, axis=ax)
    if np.any(dof == 0):
        warnings.warn(f"{name}: degrees of freedom <= 0 for a slice", RuntimeWarning,
                      stacklevel=3)
    return TG.divide(ss, dof)


@composite("var", method=True)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
        mean=_NoValue, correction=_NoValue):
    """Variance over ``axis`` with ``ddof`` (NumPy's var, two-pass: the mean
    first, then the squared deviations)."""
    return _variance("var", a, axis, dtype, out, ddof, keepdims, where, mean, correction)


@composite("std", method=True)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
        mean=_NoValue, correction=_NoValue):
    """Standard deviation, sqrt(var) (NumPy's std).  At zero variance the
    gradient is NaN (sqrt has an infinite slope at 0), as in JAX and PyTorch."""
    return TG.sqrt(_variance("std", a, axis, dtype, out, ddof, keepdims, where, mean,
                             correction))


# ---- average ------------------------------------------------------------------------
@composite("average", stub={"overloads": (
    "(a: TensorLike, axis: int | tuple[int, ...] | None = ..., weights: TensorLike | None = ..., "
    "returned: Literal[False] = ..., *, keepdims: bool = ...) -> Tensor",
    "(a: TensorLike, axis: int | tuple[int, ...] | None = ..., weights: TensorLike | None = ..., "
    "*, returned: Literal[True], keepdims: bool = ...) -> tuple[Tensor, Tensor]",
    "(a: TensorLike, axis: int | tuple[int, ...] | None, weights: TensorLike | None, "
    "returned: Literal[True], *, keepdims: bool = ...) -> tuple[Tensor, Tensor]")})
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Weighted average (NumPy's average); the weights may be tensors too.
    ``returned=True`` also gives the sum of the weights."""
    x = _operand(a)
    nd = len(x.shape)
    ax = norm_axis(axis, nd)
    if weights is None:
        avg = REGISTRY["mean"].public(x, ax, keepdims=keepdims)
        if not returned:
            return avg
        n = np.prod([x.shape[i] for i in ax], dtype=np.int64)
        return avg, TG.broadcast_to(np.asarray(n, dtype=avg.dtype), tuple(avg.shape))
    w = _operand(weights)
    if tuple(w.shape) != tuple(x.shape):
        if axis is None:
            raise TypeError("average: axis must be specified when shapes of a and weights "
                            "differ.")
        if tuple(w.shape) != tuple(x.shape[i] for i in ax):
            raise errors.ShapeError(f"average: shape of weights {tuple(w.shape)} must be "
                                    f"consistent with shape of a {tuple(x.shape)} along "
                                    f"axis {axis}.")
        w = TG.reshape(w, tuple(x.shape[i] if i in ax else 1 for i in range(nd)))
    scl = TG.sum(w, ax, keepdims=keepdims)
    if np.any(_raw(scl) == 0.0):
        raise ZeroDivisionError("average: weights sum to zero, can't be normalized")
    avg = TG.divide(TG.sum(TG.multiply(x, w), ax, keepdims=keepdims), scl)
    if not returned:
        return avg
    if tuple(scl.shape) != tuple(avg.shape):
        scl = TG.broadcast_to(scl, tuple(avg.shape))
    return avg, scl


# ---- order statistics: median, percentile, quantile (and their nan forms) ------------
_HF = {"interpolated_inverted_cdf": (0.0, 1.0), "hazen": (0.5, 0.5), "weibull": (0.0, 0.0),
       "median_unbiased": (1 / 3.0, 1 / 3.0), "normal_unbiased": (3 / 8.0, 3 / 8.0)}
_DISCRETE = ("lower", "higher", "nearest", "inverted_cdf", "closest_observation")
_METHODS = ("linear", "midpoint", "averaged_inverted_cdf") + _DISCRETE + tuple(_HF)


def _virtual(method, n, q, xp):
    """NumPy's virtual index of quantile q in n sorted values (q an array or,
    with xp=TG, a tensor: then it stays differentiable)."""
    if method == "linear":
        return (n - 1) * q if xp is np else TG.multiply(q, n - 1)
    alpha, beta = _HF[method]
    if xp is np:
        return n * q + (alpha + q * (1 - alpha - beta)) - 1
    return TG.add(TG.multiply(q, n + (1 - alpha - beta)), alpha - 1)


def _discrete(index, cond):
    prev = np.floor(index)
    gamma = index - prev
    return np.where(cond(gamma, index), prev, prev + 1)


def _positions(method, n, q):
    """(lo, hi, gamma): the sorted positions on either side of quantile q and
    the weight of hi, as NumPy's quantile computes them (n may vary per lane)."""
    if method in _DISCRETE:
        if method == "lower":
            idx = np.floor((n - 1) * q)
        elif method == "higher":
            idx = np.ceil((n - 1) * q)
        elif method == "nearest":
            idx = np.around((n - 1) * q)
        elif method == "inverted_cdf":
            idx = _discrete(n * q - 1, lambda g, i: g == 0)
        else:
            idx = _discrete(n * q - 1.5, lambda g, i: (g == 0) & (np.floor(i) % 2 == 1))
        idx = np.fmin(np.fmax(idx, 0), np.fmax(n - 1, 0)).astype(np.intp)
        return idx, idx, np.zeros(idx.shape)
    if method == "midpoint":
        v = 0.5 * (np.floor((n - 1) * q) + np.ceil((n - 1) * q))
    elif method == "averaged_inverted_cdf":
        v = n * q - 1
    else:
        v = _virtual(method, n, q, np)
    lo = np.floor(v)
    gamma = v - lo
    if method == "midpoint":
        gamma = np.where(v % 1 == 0, 0.0, 0.5)
    elif method == "averaged_inverted_cdf":
        gamma = np.where(gamma == 0, 0.5, 1.0)
    hi = lo + 1
    above = v >= n - 1
    lo = np.where(above, n - 1, np.where(v < 0, 0, lo))
    hi = np.where(above, n - 1, np.where(v < 0, 0, hi))
    return lo.astype(np.intp), hi.astype(np.intp), gamma


class _Sorted:
    """A lane-wise sort of the raw values and the runs of equal values in it."""

    def __init__(self, r):
        n = r.shape[-1]
        self.order = np.argsort(r, axis=-1, kind="stable")
        s = np.take_along_axis(r, self.order, -1)
        self.s = s
        idx = np.arange(n)
        new = np.ones(s.shape, dtype=bool)
        new[..., 1:] = s[..., 1:] != s[..., :-1]
        last = np.ones(s.shape, dtype=bool)
        last[..., :-1] = new[..., 1:]
        self.start = np.fmax.accumulate(np.where(new, idx, 0), axis=-1)
        end = np.flip(np.fmin.accumulate(np.flip(np.where(last, idx, n - 1), -1), -1), -1)
        self.count = end - self.start + 1

    def at(self, table, pos):
        """table[..., pos] lane by lane, pos of shape Q + lanes."""
        t = np.broadcast_to(table, pos.shape + table.shape[-1:])
        return np.take_along_axis(t, pos[..., None], -1)[..., 0]


def _untied(r, lo, hi, Q):
    """The indices (within each lane) of the order statistics at ``lo`` and
    ``hi`` by one partition (O(n), as NumPy's quantile), or None when a
    selected value is tied with another element (then the sort path splits
    the gradient) or too many are wanted (a sort is cheaper)."""
    if int(np.prod(Q, dtype=np.int64)) > 8 or r.size == 0:
        return None
    n = r.shape[-1]
    ks = np.unique(np.concatenate([lo.ravel(), hi.ravel()]))
    part = np.argpartition(r, ks, axis=-1)
    out = []
    for pos in (lo, hi):
        idx = np.take_along_axis(np.broadcast_to(part, pos.shape + (n,)), pos[..., None], -1)
        v = np.take_along_axis(np.broadcast_to(r, pos.shape + (n,)), idx, -1)
        ties = np.count_nonzero(np.broadcast_to(r, pos.shape + (n,)) == v, axis=-1)
        if np.any(ties > 1):
            return None
        out.append(idx[..., 0])
    return out


def _tied(flat, srt, pos, lane, n):
    """The order statistic at sorted positions ``pos`` as a recorded gather
    from ``flat``, its gradient split evenly over the elements tied with it
    (the value is exactly the tied value: the split adds exact zeros)."""
    a = srt.at(srt.start, pos)
    c = srt.at(srt.count, pos)
    R = int(c.max()) if c.size else 1
    if R == 1:
        return TG.getitem(flat, lane * n + srt.at(srt.order, pos))
    j = np.arange(R)
    run = np.minimum(a[..., None] + j, n - 1)
    order = np.broadcast_to(srt.order, a.shape + (n,))
    idx = lane[..., None] * n + np.take_along_axis(order, run, -1)
    vals = TG.getitem(flat, idx)                       # Q + lanes + (R,)
    first = TG.getitem(vals, (Ellipsis, 0))
    keep = (j < c[..., None]) & np.isfinite(srt.at(srt.s, pos))[..., None]
    spread = TG.where(keep, TG.subtract(vals, TG.expand_dims(first, -1)), 0.0)
    return TG.add(first, TG.divide(TG.sum(spread, -1), c.astype(_raw(flat).dtype)))


def _quantile(name, a, q, axis, out, method, keepdims, nan, scale):
    no_out(name, out)
    if method not in _METHODS:
        raise ValueError(f"{name}: {method!r} is not a valid method. Use one of: "
                         f"{', '.join(_METHODS)}")
    x = _operand(a)
    nd = len(x.shape)
    ax = norm_axis(axis, nd)
    kept = [i for i in range(nd) if i not in ax]
    lanes = tuple(x.shape[i] for i in kept)
    n = int(np.prod([x.shape[i] for i in ax], dtype=np.int64))
    if n == 0:
        raise errors.ShapeError(f"{name} over axes {ax} of a tensor of shape "
                                f"{tuple(x.shape)}: there are no elements")
    # q: an array, or a tensor that stays differentiable where the result is
    q = q if isinstance(q, TensorBase) else arg(q)
    q_grad = isinstance(q, TensorBase) and (method == "linear" or method in _HF)
    qr = np.asarray(_raw(q), dtype=np.float64) / scale
    if np.any((qr < 0) | (qr > 1)) or np.any(np.isnan(qr)):
        what = "Percentiles must be in the range [0, 100]" if scale == 100 else \
            "Quantiles must be in the range [0, 1]"
        raise ValueError(f"{name}: {what}")
    perm = kept + list(ax)
    xt = x if perm == list(range(nd)) else TG.transpose(x, tuple(perm))
    flat = TG.reshape(xt, (-1,))
    r = _raw(flat).reshape(lanes + (n,))
    if nan:
        nv = n - np.count_nonzero(np.isnan(r), axis=-1)
        empty = nv == 0
    else:
        nv = np.full(lanes, n)
        empty = np.isnan(r).any(axis=-1)              # the result is NaN there
    Q = qr.shape
    qb = qr.reshape(Q + (1,) * len(lanes))
    lo, hi, gamma = _positions(method, nv, qb)
    lo = np.broadcast_to(lo, Q + lanes)
    hi = np.broadcast_to(hi, Q + lanes)
    gamma = np.broadcast_to(gamma, Q + lanes)
    if np.any(empty):                                 # NaN lanes: pick a NaN (sorted last)
        lo = np.where(empty, n - 1, lo)
        hi = np.where(empty, n - 1, hi)
        gamma = np.where(empty, 0.0, gamma)
    lane = np.arange(int(np.prod(lanes, dtype=np.int64))).reshape(lanes)
    lane = np.broadcast_to(lane, Q + lanes)
    dt = _raw(flat).dtype
    fast = None if nan else _untied(r, lo, hi, Q)
    srt = _Sorted(r) if fast is None else None

    def stat(k):                                      # k = 0: at lo, 1: at hi
        if fast is not None:
            return TG.getitem(flat, lane * n + fast[k])
        return _tied(flat, srt, (lo, hi)[k], lane, n)

    t_lo = stat(0)
    if q_grad:
        # gamma as a function of q (lo fixed): the result's derivative in q is
        # (hi - lo) dv/dq, as JAX's
        qt = TG.divide(TG.reshape(as_dtype(name, q, dt), Q + (1,) * len(lanes)), float(scale))
        v = _virtual(method, nv.astype(dt), qt, TG)
        floor = np.floor(_virtual(method, nv, qb, np)).astype(dt)
        g = TG.where(np.broadcast_to(empty, Q + lanes), 0.0, TG.subtract(v, floor))
        t_hi = stat(1)
        res = TG.add(TG.multiply(t_lo, TG.subtract(1.0, g)), TG.multiply(t_hi, g))
    elif not np.any(gamma):
        res = t_lo
    else:
        t_hi = stat(1)
        w_hi = gamma.astype(dt)
        w_lo = (1 - gamma).astype(dt)
        # a weight 0 neighbour takes no part (no 0 * inf = NaN from it)
        res = TG.add(TG.multiply(TG.where(w_lo == 0, 0.0, t_lo), w_lo),
                     TG.multiply(TG.where(w_hi == 0, 0.0, t_hi), w_hi))
    if keepdims:
        res = TG.reshape(res, Q + keep_shape(tuple(x.shape), ax))
    return res


@composite("quantile")
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None, interpolation=None):
    """The q-th quantile over ``axis`` (NumPy's quantile, its 13 methods).  The
    gradient flows to the two order statistics interpolated between (weights
    1 - gamma and gamma), split evenly over elements tied with either; q may
    be a tensor (differentiable for the continuous methods)."""
    return _quantile("quantile", a, q, axis, out, _method("quantile", method, interpolation,
                                                          weights), keepdims, False, 1)


@composite("percentile")
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None, interpolation=None):
    """The q-th percentile over ``axis`` (NumPy's percentile); the gradient
    as for quantile."""
    return _quantile("percentile", a, q, axis, out,
                     _method("percentile", method, interpolation, weights), keepdims, False,
                     100)


@composite("median")
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median over ``axis`` (NumPy's median).  The gradient goes to the
    middle element (or half to each of the two middle ones), split evenly
    over elements tied with it (JAX gives a tie to one element)."""
    return _quantile("median", a, 0.5, axis, out, "linear", keepdims, False, 1)


@composite("nanquantile")
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None, interpolation=None):
    """quantile ignoring NaNs (NaN for an all-NaN slice)."""
    return _quantile("nanquantile", a, q, axis, out,
                     _method("nanquantile", method, interpolation, weights), keepdims, True, 1)


@composite("nanpercentile")
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None, interpolation=None):
    """percentile ignoring NaNs (NaN for an all-NaN slice)."""
    return _quantile("nanpercentile", a, q, axis, out,
                     _method("nanpercentile", method, interpolation, weights), keepdims, True,
                     100)


@composite("nanmedian")
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """median ignoring NaNs (NaN for an all-NaN slice)."""
    return _quantile("nanmedian", a, 0.5, axis, out, "linear", keepdims, True, 1)


def _method(name, method, interpolation, weights):
    if weights is not None:
        raise TypeError(f"{name}: weights= is not supported (NumPy supports it only for "
                        f"method='inverted_cdf'); weight the data instead.")
    if interpolation is not None:
        if method != "linear":
            raise TypeError(f"{name}: pass method= or interpolation= (its old name), not both")
        return interpolation
    return method


# ---- the nan-ignoring reductions: NaN elements get a zero gradient ------------------
def _nan_filled(x, fill):
    """x with NaNs replaced by ``fill`` (through where: no gradient reaches them)."""
    isnan = np.isnan(_raw(x))
    return (TG.where(isnan, fill, x) if isnan.any() else x), isnan


def _and_where(name, x, isnan, where):
    keep = ~isnan
    if _has_mask(where):
        keep = keep & where_mask(name, x, where)
    return keep


@composite("nansum")
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
           where=_NoValue):
    """sum treating NaNs as zero (their gradient is 0)."""
    x, _ = _nan_filled(_operand(a), 0.0)
    return REGISTRY["sum"].public(x, axis, dtype, out, keepdims, initial, where)


@composite("nanprod")
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
            where=_NoValue):
    """prod treating NaNs as one (their gradient is 0)."""
    x, _ = _nan_filled(_operand(a), 1.0)
    return REGISTRY["prod"].public(x, axis, dtype, out, keepdims, initial, where)


@composite("nanmean")
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NoValue):
    """mean of the non-NaN elements (NaN for an all-NaN slice)."""
    x = _operand(a)
    isnan = np.isnan(_raw(x))
    return REGISTRY["mean"].public(x, axis, dtype, out, keepdims,
                                   where=_and_where("nanmean", x, isnan, where))


@composite("nanvar")
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
           mean=_NoValue, correction=_NoValue):
    """var of the non-NaN elements."""
    x = _operand(a)
    keep = _and_where("nanvar", x, np.isnan(_raw(x)), where)
    return _variance("nanvar", x, axis, dtype, out, ddof, keepdims, keep, mean, correction)


@composite("nanstd")
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
           mean=_NoValue, correction=_NoValue):
    """std of the non-NaN elements."""
    x = _operand(a)
    keep = _and_where("nanstd", x, np.isnan(_raw(x)), where)
    return TG.sqrt(_variance("nanstd", x, axis, dtype, out, ddof, keepdims, keep, mean,
                             correction))


def _nan_extreme(name, a, axis, out, keepdims, initial, where):
    fill = -np.inf if name == "nanmax" else np.inf
    x = _operand(a)
    filled, isnan = _nan_filled(x, fill)
    if not isnan.any() and initial is _NoValue and not _has_mask(where):
        return REGISTRY[name[3:]].public(x, axis, out, keepdims)
    keep = _and_where(name, x, isnan, where)
    r = REGISTRY[name[3:]].public(filled, axis, out, keepdims,
                                  initial if initial is not _NoValue else fill, keep)
    if initial is _NoValue:
        # a slice with nothing but NaNs (or masked out) is NaN, as in NumPy
        none = ~np.any(keep if keep.shape == tuple(x.shape)
                       else np.broadcast_to(keep, tuple(x.shape)),
                       axis=norm_axis(axis, len(x.shape)), keepdims=bool(keepdims))
        if none.any():
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
            r = TG.where(none, np.nan, r)
    return r


@composite("nanmax")
def nanmax(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    """max ignoring NaNs (NaN for an all-NaN slice); ties split the gradient."""
    return _nan_extreme("nanmax", a, axis, out, keepdims, initial, where)


@composite("nanmin")
def nanmin(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    """min ignoring NaNs (NaN for an all-NaN slice); ties split the gradient."""
    return _nan_extreme("nanmin", a, axis, out, keepdims, initial, where)


@composite("nancumsum")
def nancumsum(a, axis=None, dtype=None, out=None):
    """cumsum treating NaNs as zero."""
    x, _ = _nan_filled(_operand(a), 0.0)
    return cumsum(x, axis, dtype, out)


@composite("nancumprod")
def nancumprod(a, axis=None, dtype=None, out=None):
    """cumprod treating NaNs as one."""
    x, _ = _nan_filled(_operand(a), 1.0)
    return cumprod(x, axis, dtype, out)


# ---- ptp, amax, amin ------------------------------------------------------------------
@composite("ptp")
def ptp(a, axis=None, out=None, keepdims=False):
    """max - min over ``axis`` (NumPy's ptp); ties split as in max and min."""
    no_out("ptp", out)
    x = _operand(a)
    return TG.subtract(TG.max(x, axis, keepdims=keepdims), TG.min(x, axis, keepdims=keepdims))


@composite("amax")
def amax(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    """NumPy's amax: the same as max."""
    return REGISTRY["max"].public(a, axis, out, keepdims, initial, where)


@composite("amin")
def amin(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    """NumPy's amin: the same as min."""
    return REGISTRY["min"].public(a, axis, out, keepdims, initial, where)


# ---- integer and boolean results: plain NumPy arrays, never recorded -------------------
def _plain(x):
    return _raw(_operand(x))


@_named("any", method="any", stub={"return": "np.bool_ | NDArray[np.bool_]"})
def any_(a, axis=None, out=None, keepdims=False, *, where=True):
    """Whether any element is nonzero (a NumPy bool array, not recorded)."""
    no_out("any", out)
    return np.any(_plain(a), axis=axis, keepdims=keepdims, where=where)


@_named("all", method="all", stub={"return": "np.bool_ | NDArray[np.bool_]"})
def all_(a, axis=None, out=None, keepdims=False, *, where=True):
    """Whether all elements are nonzero (a NumPy bool array, not recorded)."""
    no_out("all", out)
    return np.all(_plain(a), axis=axis, keepdims=keepdims, where=where)


@composite("count_nonzero", stub={"return": "int | np.intp | NDArray[np.intp]"})  # int: NumPy 1
def count_nonzero(a, axis=None, *, keepdims=False):
    """The number of nonzero elements (NumPy integers, not recorded)."""
    return np.count_nonzero(_plain(a), axis=axis, keepdims=keepdims)


@composite("argmax", method=True, stub={"return": "np.intp | NDArray[np.intp]"})
def argmax(a, axis=None, out=None, *, keepdims=False):
    """Index of the largest element (the first at ties; NumPy integers, not recorded)."""
    no_out("argmax", out)
    return np.argmax(_plain(a), axis=axis, keepdims=keepdims)


@composite("argmin", method=True, stub={"return": "np.intp | NDArray[np.intp]"})
def argmin(a, axis=None, out=None, *, keepdims=False):
    """Index of the smallest element (the first at ties; NumPy integers, not recorded)."""
    no_out("argmin", out)
    return np.argmin(_plain(a), axis=axis, keepdims=keepdims)


@composite("nanargmax", stub={"return": "np.intp | NDArray[np.intp]"})
def nanargmax(a, axis=None, out=None, *, keepdims=False):
    """argmax ignoring NaNs (NumPy integers, not recorded)."""
    no_out("nanargmax", out)
    return np.nanargmax(_plain(a), axis=axis, keepdims=keepdims)


@composite("nanargmin", stub={"return": "np.intp | NDArray[np.intp]"})
def nanargmin(a, axis=None, out=None, *, keepdims=False):
    """argmin ignoring NaNs (NumPy integers, not recorded)."""
    no_out("nanargmin", out)
    return np.nanargmin(_plain(a), axis=axis, keepdims=keepdims)
