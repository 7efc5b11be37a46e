"""More of NumPy's main namespace (and NumPy's linalg.diagonal/trace), each a
composite of existing primitives, so forward mode, batching and every higher
derivative come from theirs -- except convolve, a primitive (measured: see
its entry) whose rules are convolutions again.

Conventions where the derivative is not unique (each also in its docstring):
piecewise-constant results (angle and imag of real input, floor_divide,
heaviside in x1, the integer part of modf) have a zero derivative, as JAX;
interp has the slope of the interval to the right of a knot (JAX's
``searchsorted(side='right')``), zero outside [xp[0], xp[-1]], and is
constant in xp; heaviside's derivative in x2 is 1 where x1 == 0, else 0
(JAX: ``where(x1 < 0, 0, where(x1 > 0, 1, x2))``).
"""
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from .. import errors
from .._core.tape import TensorBase, is_batched, wrap
from ._registry import LOOP, REGISTRY, arg, composite, multilinear_jvp, primitive
from .backend import TG


def _named(name, namespace=""):
    """Register a composite whose Python name differs (linalg_diagonal...)."""
    def deco(fn):
        fn.__name__ = fn.__qualname__ = name
        return composite(name, namespace)(fn)
    return deco


def _operand(x):
    return x if isinstance(x, TensorBase) or is_batched(x) else arg(x)


def _live(x):
    return isinstance(x, TensorBase) or is_batched(x)


def _raw(x):
    return x._data if isinstance(x, TensorBase) else np.asarray(x)


def _dtype(*xs):
    """The float dtype of the result of the operands (NumPy's promotion of
    the tensors' and arrays' dtypes; integers count as float64; Python
    numbers are weak, as in NumPy 2, unless there is nothing else)."""
    dts = []
    strong = [x for x in xs if type(x) not in (int, float, bool)]
    for x in strong or xs:
        dt = getattr(x, "dtype", None)
        if dt is None:
            dt = np.asarray(x).dtype
        dt = np.dtype(dt)
        dts.append(dt if dt.kind == "f" else np.dtype(np.float64))
    dt = np.result_type(*dts) if dts else np.dtype(np.float64)
    return dt if dt in (np.float32, np.float64) else np.dtype(np.float64)


def _zero_derivative(value, *operands):
    """The constant ``value`` (an array) recorded after the operands, with a
    zero derivative in each: its values are exactly ``value``, and a
    gradient taken through it is zero rather than missing (as floor's)."""
    y = value
    shape = np.shape(value)
    for x in operands:
        if not _live(x):
            continue
        xs = tuple(x.shape)
        if np.broadcast_shapes(shape, xs) != shape:   # another shape: one element of it
            if not int(np.prod(xs, dtype=np.int64)):
                continue
            x = TG.getitem(TG.ravel(x), 0)
        y = TG.where(np.ones(shape, dtype=bool), y, x)
    return y if _live(y) else _const(value)


def _const(a, dtype=None):
    """A float constant tensor (no history): its derivative is zero."""
    a = np.asarray(a)
    if dtype is None:
        dtype = a.dtype if a.dtype in (np.float32, np.float64) else np.float64
    return wrap(np.ascontiguousarray(a, dtype=dtype))


def _sl(axis, s):
    return (slice(None),) * axis + (s,)


def _gather_flat(parts, labels):
    """The elements of the (flattened, joined) ``parts`` at integer ``labels``
    (an array of any shape): the recorded form of NumPy's index shuffles."""
    flat = [TG.ravel(p) for p in parts]
    src = flat[0] if len(flat) == 1 else TG.concatenate(flat)
    return TG.getitem(src, np.asarray(labels, dtype=np.intp))


def _labels(shape, start=0):
    size = int(np.prod(shape, dtype=np.int64))
    return np.arange(start, start + size, dtype=np.intp).reshape(shape)


# ---- NumPy's linalg.diagonal and linalg.trace (the last two axes) -----------------------
@_named("diagonal", "linalg")
def linalg_diagonal(x, /, *, offset=0):
    """The diagonals of the matrices on the last two axes (NumPy's
    linalg.diagonal; np.diagonal uses the first two)."""
    return TG.diagonal(_operand(x), offset, -2, -1)


@_named("trace", "linalg")
def linalg_trace(x, /, *, offset=0, dtype=None):
    """The traces of the matrices on the last two axes (NumPy's linalg.trace;
    np.trace uses the first two)."""
    return TG.trace(_operand(x), offset, -2, -1, dtype)


# ---- shape shuffles --------------------------------------------------------------------
@composite("rollaxis")
def rollaxis(a, axis, start=0):
    """``axis`` moved to position ``start`` (NumPy's rollaxis)."""
    x = _operand(a)
    n = len(x.shape)
    axis = normalize_axis_index(axis, n)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise np.exceptions.AxisError(f"'start' arg requires {-n} <= start < {n + 1}, "
                                      f"but {start} was passed in")
    if axis < start:
        start -= 1
    if axis == start:
        return x
    axes = list(range(n))
    axes.remove(axis)
    axes.insert(start, axis)
    return TG.transpose(x, axes)


@composite("unstack", stub={"return": "tuple[Tensor, ...]"})
def unstack(x, /, *, axis=0):
    """The slices along ``axis``, as a tuple (NumPy's unstack)."""
    x = _operand(x)
    if len(x.shape) == 0:
        raise ValueError("Input array must be at least 1-d.")
    ax = normalize_axis_index(axis, len(x.shape))
    return tuple(TG.getitem(x, _sl(ax, i)) for i in range(x.shape[ax]))


@composite("append")
def append(arr, values, axis=None):
    """``values`` joined after ``arr`` (both flattened when axis is None)."""
    a, v = _operand(arr), _operand(values)
    if axis is None:
        if len(a.shape) != 1:
            a = TG.ravel(a)
        v = TG.ravel(v)
        axis = len(a.shape) - 1
    return TG.concatenate([a, v], axis=axis)


@composite("insert")
def insert(arr, obj, values, axis=None):
    """``values`` inserted before the indices ``obj`` (NumPy's insert; the
    positions are NumPy's, applied to the elements' labels)."""
    a, v = _operand(arr), _operand(values)
    la = _labels(tuple(a.shape))
    lv = _labels(tuple(v.shape), la.size)
    return _gather_flat([a, v], np.insert(la, _index("insert", obj), lv, axis=axis))


@composite("delete")
def delete(arr, obj, axis=None):
    """``arr`` without the entries ``obj`` along ``axis`` (NumPy's delete)."""
    a = _operand(arr)
    return _gather_flat([a], np.delete(_labels(tuple(a.shape)), _index("delete", obj),
                                       axis=axis))


def _index(fname, obj):
    """An index argument (ints, slices, bool masks); a tensor holds floats."""
    if isinstance(obj, TensorBase):
        raise TypeError(f"{fname}: the indices must be integers (a list, a NumPy integer "
                        f"array or a slice), not a tensor of floats")
    return obj


@composite("resize")
def resize(a, new_shape):
    """``a`` repeated (flattened, in order) to fill ``new_shape`` (NumPy's resize)."""
    x = _operand(a)
    return _gather_flat([x], np.resize(_labels(tuple(x.shape)), new_shape))


@composite("trim_zeros")
def trim_zeros(filt, trim="fb", axis=None):
    """``filt`` without its leading ('f') and/or trailing ('b') zeros (NumPy's
    trim_zeros; the cut is taken from the values)."""
    x = _operand(filt)
    vals = _raw(x)
    # NumPy's cut, found on an array of the element labels shaped like filt
    lab = _labels(vals.shape)
    keep = np.trim_zeros(np.where(vals != 0, lab + 1, 0), trim, axis) if vals.ndim \
        else np.trim_zeros(vals, trim, axis)
    if vals.ndim == 0:
        return x
    idx = []
    for ax in range(vals.ndim):
        n = keep.shape[ax]
        if n == vals.shape[ax]:
            idx.append(slice(None))
            continue
        if n == 0:
            idx.append(slice(0, 0))
            continue
        other = tuple(i for i in range(vals.ndim) if i != ax)
        nz = np.flatnonzero(np.any(vals != 0, axis=other))
        lo = nz[0] if "f" in trim.lower() else 0
        idx.append(slice(lo, lo + n))
    return TG.getitem(x, tuple(idx))


@composite("meshgrid", stub={"return": "tuple[Tensor, ...]"})
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate matrices from coordinate vectors (NumPy's meshgrid), a tuple."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    xs = [TG.ravel(_operand(x)) for x in xi]
    s0 = (1,) * ndim
    out = [TG.reshape(x, s0[:i] + (-1,) + s0[i + 1:]) for i, x in enumerate(xs)]
    if indexing == "xy" and ndim > 1:
        out[0] = TG.reshape(out[0], (1, -1) + s0[2:])
        out[1] = TG.reshape(out[1], (-1, 1) + s0[2:])
    if not sparse:
        shape = np.broadcast_shapes(*[tuple(o.shape) for o in out])
        out = [TG.broadcast_to(o, shape) for o in out]
        if copy:
            out = [TG.copy(o) for o in out]
    return tuple(out)


# ---- constants ---------------------------------------------------------------------------
def _float_dtype(dtype):
    dt = np.dtype(float if dtype is None else dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"tapegrad computes in float32 or float64, not {dt}")
    return dt


@composite("eye")
def eye(N, M=None, k=0, dtype=float, order="C", *, device=None, like=None):
    """A constant tensor with ones on the k-th diagonal (NumPy's eye)."""
    return _const(np.eye(N, M, k, dtype=_float_dtype(dtype), order=order))


@composite("identity")
def identity(n, dtype=None, *, like=None):
    """The constant n-by-n identity tensor (NumPy's identity)."""
    return _const(np.identity(n, dtype=_float_dtype(dtype)))


@composite("tri")
def tri(N, M=None, k=0, dtype=float, *, like=None):
    """A constant tensor of ones at and below the k-th diagonal (NumPy's tri)."""
    return _const(np.tri(N, M, k, dtype=_float_dtype(dtype)))


# ---- complex parts of real input --------------------------------------------------------
@composite("angle")
def angle(z, deg=False):
    """The argument of real input: 0 for x >= +0, pi (180 with ``deg``) for x < 0
    and -0.0 (NumPy's arctan2(0, x)); a constant, zero derivative (as JAX)."""
    x = _operand(z)
    return _zero_derivative(np.angle(_raw(x), deg=deg).astype(_dtype(x)), x)


@composite("imag")
def imag(val):
    """The imaginary part of real input: zeros, a constant (zero derivative)."""
    x = _operand(val)
    return _zero_derivative(np.zeros(tuple(x.shape), _dtype(x)), x)


@composite("real_if_close")
def real_if_close(a, tol=100):
    """Real input's values (NumPy's real_if_close of a real array), a copy."""
    return TG.copy(_operand(a))


# ---- sequences ----------------------------------------------------------------------------
@composite("linspace")
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """``num`` evenly spaced samples from ``start`` to ``stop`` (NumPy's
    linspace), differentiable in ``start`` and ``stop`` when they are tensors
    (a constant tensor otherwise); ``retstep``: also the step."""
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    if not (_live(start) or _live(stop)):
        res = np.linspace(_raw(start), _raw(stop), num, endpoint, True, dtype, axis)
        dt = _float_dtype(dtype) if dtype is not None else _dtype(res[0])
        y = _const(res[0], dt)
        return (y, res[1]) if retstep else y
    a, b = _operand(start), _operand(stop)
    dt = _float_dtype(dtype) if dtype is not None else _dtype(start, stop)
    a, b = TG.cast(a, dt), TG.cast(b, dt)
    div = num - 1 if endpoint else num
    delta = TG.subtract(b, a)
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    ramp = np.arange(num, dtype=dt).reshape((-1,) + (1,) * len(shape))
    if div > 0:
        step = TG.divide(delta, dt.type(div))
        y = TG.add(TG.multiply(ramp, step), a)
    else:
        step = _const(np.full(shape, np.nan), dt)
        y = TG.add(TG.multiply(ramp, delta), a)
    y = TG.broadcast_to(y, (num,) + shape)
    if endpoint and num > 1:
        y = TG.concatenate([TG.getitem(y, slice(0, num - 1)),
                            TG.expand_dims(TG.broadcast_to(b, shape), 0)], axis=0)
    if axis != 0:
        y = TG.moveaxis(y, 0, axis)
    return (y, step) if retstep else y


@composite("gradient", stub={"return": "Tensor | tuple[Tensor, ...]"})
def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's gradient: second-order central differences inside, first- or
    second-order (``edge_order``) one-sided differences at the edges, with
    scalar spacings or coordinate arrays per axis (tensors are
    differentiated too); a tensor for one axis, else a tuple."""
    x = _operand(f)
    n = len(x.shape)
    axes = tuple(range(n)) if axis is None else tuple(
        normalize_axis_index(a, n) for a in ((axis,) if np.ndim(axis) == 0 else axis))
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(_raw(varargs[0])) == 0:
        spacing = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError("invalid number of arguments")
    if edge_order > 2 or edge_order < 1:
        raise ValueError("'edge_order' greater than 2 not supported")
    dt = _dtype(x)
    outs = []
    for ax, h in zip(axes, spacing):
        m = x.shape[ax]
        if m < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
        hv = np.asarray(_raw(h), dtype=np.float64)
        if hv.ndim > 1:
            raise ValueError("distances must be either scalars or 1d")
        if hv.ndim == 1 and hv.size != m:
            raise ValueError("when 1d, distances must match the length of the "
                             "corresponding dimension")
        if _live(h):           # a tensor: differentiated, in f's dtype
            h = TG.cast(_operand(h), dt)
            dx = TG.diff(h) if hv.ndim == 1 else None
        elif hv.ndim == 1:
            dx = np.diff(hv)
            if np.all(dx == dx[0]):          # uniform, as NumPy
                h, dx = dx[0], None
        else:
            h = hv
            dx = None
        outs.append(_gradient1(x, ax, m, h, dx, edge_order, dt))
    return outs[0] if len(outs) == 1 else tuple(outs)


def _gradient1(x, ax, m, h, dx, edge_order, dt):
    """NumPy's formulas along one axis; the spacing h (uniform) or the
    differences dx of the coordinates are arrays or tensors alike."""
    def sl(a, b):
        return TG.getitem(x, _sl(ax, slice(a, b)))

    def coef(c):
        if _live(c):
            return TG.reshape(c, (-1,) + (1,) * (len(x.shape) - ax - 1)) if len(c.shape) else c
        c = np.asarray(c, dtype=dt)
        return c.reshape((-1,) + (1,) * (len(x.shape) - ax - 1)) if c.ndim else c

    def comb(coefs, parts):
        """sum of coef * part, the coefficients along ``ax``."""
        acc = None
        for c, p in zip(coefs, parts):
            term = TG.multiply(p, coef(c))
            acc = term if acc is None else TG.add(acc, term)
        return acc

    if dx is None:                           # uniform spacing h
        inner = TG.divide(TG.subtract(sl(2, None), sl(None, -2)), coef(2.0 * h)) \
            if m > 2 else None
        if edge_order == 1:
            first = TG.divide(TG.subtract(sl(1, 2), sl(0, 1)), coef(h))
            last = TG.divide(TG.subtract(sl(m - 1, m), sl(m - 2, m - 1)), coef(h))
        else:
            first = comb([-1.5 / h, 2.0 / h, -0.5 / h], [sl(0, 1), sl(1, 2), sl(2, 3)])
            last = comb([0.5 / h, -2.0 / h, 1.5 / h],
                        [sl(m - 3, m - 2), sl(m - 2, m - 1), sl(m - 1, m)])
    else:
        dx1, dx2 = dx[:-1], dx[1:]
        inner = comb([-dx2 / (dx1 * (dx1 + dx2)), (dx2 - dx1) / (dx1 * dx2),
                      dx1 / (dx2 * (dx1 + dx2))], [sl(None, -2), sl(1, -1), sl(2, None)]) \
            if m > 2 else None
        if edge_order == 1:
            first = TG.divide(TG.subtract(sl(1, 2), sl(0, 1)), coef(dx[0]))
            last = TG.divide(TG.subtract(sl(m - 1, m), sl(m - 2, m - 1)), coef(dx[-1]))
        else:
            d1, d2 = dx[0], dx[1]
            first = comb([-(2.0 * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2),
                          -d1 / (d2 * (d1 + d2))], [sl(0, 1), sl(1, 2), sl(2, 3)])
            d1, d2 = dx[-2], dx[-1]
            last = comb([d2 / (d1 * (d1 + d2)), -(d2 + d1) / (d1 * d2),
                         (2.0 * d2 + d1) / (d2 * (d1 + d2))],
                        [sl(m - 3, m - 2), sl(m - 2, m - 1), sl(m - 1, m)])
    pieces = [first] + ([inner] if inner is not None else []) + [last]
    return TG.concatenate(pieces, axis=ax)


# ---- differences, sums, products --------------------------------------------------------
@composite("ediff1d")
def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened input, with ``to_begin``/``to_end`` joined
    (NumPy's ediff1d; they may be tensors)."""
    x = TG.ravel(_operand(ary))
    n = x.shape[0]
    parts = [TG.subtract(TG.getitem(x, slice(1, None)), TG.getitem(x, slice(0, max(n - 1, 0))))]
    if to_begin is not None:
        parts.insert(0, TG.ravel(TG.cast(_operand(to_begin), _dtype(x))))
    if to_end is not None:
        parts.append(TG.ravel(TG.cast(_operand(to_end), _dtype(x))))
    return parts[0] if len(parts) == 1 else TG.concatenate(parts)


@composite("trapezoid")
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule, at
    sample points ``x`` (may be a tensor) or spacing ``dx`` (NumPy's trapezoid)."""
    y = _operand(y)
    nd = len(y.shape)
    ax = normalize_axis_index(axis, nd)
    m = y.shape[ax]
    if x is None:
        d = dx
    else:
        x = _operand(x)
        if len(x.shape) == 1:
            d = TG.diff(x)
            d = TG.reshape(d, (-1,) + (1,) * (nd - ax - 1))
        else:
            d = TG.diff(x, axis=ax)
    s = TG.add(TG.getitem(y, _sl(ax, slice(1, None))), TG.getitem(y, _sl(ax, slice(0, max(m - 1, 0)))))
    return TG.sum(TG.divide(TG.multiply(d, s), 2.0), axis=ax)


def _cumulative(name, scan, fill, x, axis, dtype, out, include_initial):
    if out is not None:
        raise TypeError(f"{name}: out= is not supported on tensors")
    x = _operand(x)
    if dtype is not None:
        x = TG.cast(x, _float_dtype(dtype))
    nd = len(x.shape)
    if axis is None:
        if nd > 1:
            raise ValueError(f"{name}: axis must be specified for arrays with more than "
                             f"one dimension")
        axis = 0
    ax = normalize_axis_index(axis, max(nd, 1))
    y = scan(x, axis=ax)
    if include_initial:
        shape = list(x.shape)
        shape[ax] = 1
        y = TG.concatenate([_const(np.full(shape, fill), _dtype(x)), y], axis=ax)
    return y


@composite("cumulative_sum")
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """The running sum along ``axis`` (NumPy's cumulative_sum; ``include_initial``
    puts a 0 first)."""
    return _cumulative("cumulative_sum", TG.cumsum, 0.0, x, axis, dtype, out, include_initial)


@composite("cumulative_prod")
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """The running product along ``axis`` (NumPy's cumulative_prod;
    ``include_initial`` puts a 1 first); zeros as cumprod's rule."""
    return _cumulative("cumulative_prod", TG.cumprod, 1.0, x, axis, dtype, out,
                       include_initial)


# ---- products ---------------------------------------------------------------------------
@composite("matvec")
def matvec(x1, x2, /):
    """Matrix-vector products over the last axes, broadcasting the rest
    (NumPy's matvec: (..., m, n) x (..., n) -> (..., m))."""
    a, v = _operand(x1), _operand(x2)
    return TG.getitem(TG.matmul(a, TG.expand_dims(v, -1)), (Ellipsis, 0))


@composite("vecmat")
def vecmat(x1, x2, /):
    """Vector-matrix products over the last axes, broadcasting the rest
    (NumPy's vecmat for real input: (..., n) x (..., n, m) -> (..., m))."""
    v, a = _operand(x1), _operand(x2)
    return TG.getitem(TG.matmul(TG.expand_dims(v, -2), a), (Ellipsis, 0, slice(None)))


# convolve is a primitive: as a composite (the shorter operand times a gathered
# Toeplitz matrix of the longer) it took 1.6 ms for 1000 x 50 elements, NumPy's
# direct method 16 us.  Its rules are convolutions again (so every order).
def _convolve_vjp(B, g, xs, out, p, needs):
    a, v = xs
    return (B.convolve(g, B.flip(v), mode="valid") if needs[0] else None,
            B.convolve(g, B.flip(a), mode="valid") if needs[1] else None)


_convolve_jvp = multilinear_jvp(lambda B, ops, p: B.convolve(*ops))


def _full_conv(a, v):
    """The full discrete convolution of 1-D a and v (the primitive)."""
    return REGISTRY["convolve"](a, v)


def _conv_mode(full, n, m, mode):
    if mode == "full":
        return full
    lo_, hi_ = min(n, m), max(n, m)
    if mode == "same":
        start = (lo_ - 1) // 2
        return TG.getitem(full, slice(start, start + hi_))
    if mode == "valid":
        return TG.getitem(full, slice(lo_ - 1, hi_))
    raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")


def _conv_operands(name, a, v):
    dt = _dtype(a, v)
    a, v = _operand(a), _operand(v)
    a = TG.reshape(a, (1,)) if len(a.shape) == 0 else a          # NumPy's ndmin=1
    v = TG.reshape(v, (1,)) if len(v.shape) == 0 else v
    if len(a.shape) != 1 or len(v.shape) != 1:
        raise ValueError(f"{name}: object too deep for desired array (1-D inputs only)")
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError(f"{name}: inputs cannot be empty")
    return TG.cast(a, dt), TG.cast(v, dt)


def convolve(a, v, mode="full"):
    """The discrete linear convolution of two 1-D sequences, mode 'full',
    'same' or 'valid' (NumPy's convolve)."""
    a, v = _conv_operands("convolve", a, v)
    return _conv_mode(_full_conv(a, v), a.shape[0], v.shape[0], mode)


primitive("convolve", np.convolve, _convolve_vjp, _convolve_jvp, nin=2, saves=(0, 1),
          label="convolve({0}, {1})", batch=LOOP, public=convolve)


@composite("correlate")
def correlate(a, v, mode="valid"):
    """The cross-correlation of two 1-D sequences, mode 'valid', 'same' or
    'full' (NumPy's correlate for real input)."""
    a, v = _conv_operands("correlate", a, v)
    n, m = a.shape[0], v.shape[0]
    if n >= m:
        return _conv_mode(_full_conv(a, TG.flip(v)), n, m, mode)
    # NumPy swaps the operands and reverses the result
    return TG.flip(_conv_mode(_full_conv(v, TG.flip(a)), m, n, mode))


# ---- statistics --------------------------------------------------------------------------
@composite("cov")
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """The covariance matrix of the variables (rows, or columns with
    ``rowvar=False``) of ``m`` and ``y`` (NumPy's cov; the weights constants)."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    X = _operand(m)
    if len(X.shape) > 2:
        raise ValueError("m has more than 2 dimensions")
    dt = _float_dtype(dtype) if dtype is not None else _dtype(X, *(() if y is None else (y,)))
    X = TG.cast(X, dt)
    if len(X.shape) < 2:
        X = TG.reshape(X, (1, -1))
    if not rowvar and X.shape[0] != 1:
        X = TG.transpose(X)
    if X.shape[0] == 0:
        return _const(np.array([]).reshape(0, 0), dt)
    if y is not None:
        Y = TG.cast(_operand(y), dt)
        if len(Y.shape) > 2:
            raise ValueError("y has more than 2 dimensions")
        if len(Y.shape) < 2:
            Y = TG.reshape(Y, (1, -1))
        if not rowvar and Y.shape[0] != 1:
            Y = TG.transpose(Y)
        X = TG.concatenate([X, Y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        fw = np.asarray(_raw(fweights))
        if not np.all(fw == np.around(fw)):
            raise TypeError("fweights must be integer")
        if fw.ndim > 1 or fw.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if np.any(fw < 0):
            raise ValueError("fweights cannot be negative")
        w = fw.astype(np.float64)
    if aweights is not None:
        aw = np.asarray(_raw(aweights), dtype=np.float64)
        if aw.ndim > 1 or aw.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and aweights")
        if np.any(aw < 0):
            raise ValueError("aweights cannot be negative")
        w = aw if w is None else w * aw
    n = X.shape[1]
    if w is None:
        avg = TG.mean(X, axis=1, keepdims=True)
        w_sum = float(n)
        fact = w_sum - ddof
    else:
        w_sum = w.sum()
        avg = TG.divide(TG.sum(TG.multiply(X, w.astype(dt)), axis=1, keepdims=True),
                        dt.type(w_sum))
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * np.sum(w * aw) / w_sum
    if fact <= 0:
        fact = 0.0
    Xc = TG.subtract(X, avg)
    Xw = Xc if w is None else TG.multiply(Xc, w.astype(dt))
    c = TG.divide(TG.matmul(Xc, TG.transpose(Xw)), dt.type(fact))
    return TG.squeeze(c) if c.shape == (1, 1) else c


@composite("corrcoef")
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """Pearson correlation coefficients (NumPy's corrcoef: cov normalised by
    the standard deviations, clipped to [-1, 1])."""
    c = cov(x, y, rowvar, dtype=dtype)
    if len(c.shape) == 0:
        return TG.divide(c, c)
    d = TG.diagonal(c)
    s = TG.sqrt(d)
    c = TG.divide(TG.divide(c, TG.expand_dims(s, 1)), TG.expand_dims(s, 0))
    cv = np.asarray(_raw(c))        # NumPy clips to [-1, 1]: rounding can leave it
    if np.any(np.abs(cv) > 1):
        c = TG.where(np.abs(cv) > 1, np.sign(cv).astype(cv.dtype), c)
    return c


# ---- interpolation and polynomials --------------------------------------------------------
@composite("interp")
def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of (xp, fp) at x (NumPy's interp),
    differentiable in x (the slope of the interval right of a knot, as JAX;
    zero outside [xp[0], xp[-1]]), fp, left and right; xp is constant."""
    xt, f = _operand(x), _operand(fp)
    xpv = np.asarray(_raw(xp), dtype=np.float64)
    if xpv.ndim != 1 or len(f.shape) != 1:
        raise ValueError("object too deep for desired array (xp and fp must be 1-D)")
    if xpv.shape[0] != f.shape[0]:
        raise ValueError("fp and xp are not of the same length.")
    if xpv.shape[0] == 0:
        raise ValueError("array of sample points is empty")
    dt = _dtype(x, fp)
    xt, f = TG.cast(xt, dt), TG.cast(f, dt)
    if period is not None:
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(period)
        left = right = None
        xt = TG.remainder(xt, dt.type(period))
        xpm = np.mod(xpv, period)
        order = np.argsort(xpm, kind="stable")
        xpm = xpm[order]
        f = TG.getitem(f, order)
        xpv = np.concatenate([xpm[-1:] - period, xpm, xpm[0:1] + period])
        f = TG.concatenate([TG.getitem(f, slice(-1, None)), f, TG.getitem(f, slice(0, 1))])
    xv = np.asarray(_raw(xt), dtype=np.float64)
    k = xpv.shape[0]
    if k == 1:
        y = TG.add(TG.multiply(xt, dt.type(0)), TG.getitem(f, 0))
    else:
        i = np.searchsorted(xpv, xv, side="right")
        i = np.where(i < 1, 1, np.where(i > k - 1, k - 1, i))
        x0, x1 = xpv[i - 1], xpv[i]
        f0, f1 = TG.getitem(f, i - 1), TG.getitem(f, i)
        h = x1 - x0
        same = h == 0
        slope = TG.divide(TG.subtract(f1, f0), np.where(same, 1.0, h).astype(dt))
        y = TG.add(f0, TG.multiply(slope, TG.subtract(xt, x0.astype(dt))))
        if np.any(same):
            y = TG.where(same, f1, y)
    below, above = xv < xpv[0], xv > xpv[-1]
    if np.any(below):
        y = TG.where(below, TG.getitem(f, 0) if left is None else TG.cast(_operand(left), dt), y)
    if np.any(above):
        y = TG.where(above, TG.getitem(f, -1) if right is None else TG.cast(_operand(right), dt),
                     y)
    return TG.where(np.isnan(xv), np.asarray(np.nan, dt), y) if np.any(np.isnan(xv)) else y


@composite("polyval")
def polyval(p, x):
    """The polynomial with coefficients ``p`` (highest power first) at ``x``
    by Horner's rule (NumPy's polyval), differentiable in both."""
    dt = _dtype(p, x)
    p, x = _operand(p), _operand(x)
    p, x = TG.cast(p, dt), TG.cast(x, dt)
    y = TG.multiply(x, dt.type(0))
    for i in range(p.shape[0]):
        y = TG.add(TG.multiply(y, x), TG.getitem(p, i))
    return y


@composite("vander")
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x`` (NumPy's vander): columns the
    powers of x, built by repeated products (finite derivatives at 0)."""
    x = _operand(x)
    if len(x.shape) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = x.shape[0] if N is None else operator.index(N)
    cols = []
    if n > 0:
        cols.append(_const(np.ones(x.shape[0]), _dtype(x)))
    for _ in range(1, n):
        cols.append(TG.multiply(cols[-1], x) if len(cols) > 1 else x)
    if not cols:
        return _const(np.zeros((x.shape[0], 0)), _dtype(x))
    if not increasing:
        cols = cols[::-1]
    return TG.stack(cols, axis=1)


# ---- piecewise ------------------------------------------------------------------------------
@composite("heaviside")
def heaviside(x1, x2):
    """The step function: 0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0,
    NaN where x1 is NaN (NumPy's heaviside); derivative 0 in x1, and in x2
    1 where x1 == 0 (as JAX)."""
    dt = _dtype(x1, x2)
    a, b = _operand(x1), _operand(x2)
    av = np.asarray(_raw(a))
    shape = np.broadcast_shapes(av.shape, tuple(b.shape))
    av = np.broadcast_to(av, shape)
    const = np.where(av < 0, 0.0, np.where(av > 0, 1.0, np.nan)).astype(dt)
    y = TG.where(av == 0, TG.broadcast_to(TG.cast(b, dt), shape), const)
    return _zero_derivative(y, a) if _live(a) else y


@composite("ldexp")
def ldexp(x1, x2):
    """x1 * 2**x2 for integer exponents x2 (NumPy's ldexp); derivative 2**x2 in x1."""
    a = _operand(x1)
    if _live(x2):
        raise TypeError("ldexp: the exponent x2 must be integers, not a tensor")
    e = np.asarray(x2)
    if e.dtype.kind not in "iub":
        raise TypeError("ldexp: the exponent x2 must be integers")
    dt = _dtype(a)
    return TG.multiply(a, np.ldexp(np.ones((), dt), e))


@composite("modf", stub={"return": "tuple[Tensor, Tensor]"})
def modf(x):
    """The fractional and integral parts, with x's sign (NumPy's modf): the
    fractional part has derivative 1, the integral part 0; modf(+-inf) is
    (+-0, +-inf)."""
    x = _operand(x)
    v = _raw(x)
    inf = np.isinf(v)
    if np.any(inf):                # fmod(inf, 1) is NaN: take it of a safe stand-in
        frac = TG.fmod(TG.where(inf, np.zeros((), v.dtype), x), np.ones((), v.dtype))
        frac = TG.where(inf, np.copysign(np.zeros((), v.dtype), v), frac)
    else:
        frac = TG.fmod(x, np.ones((), v.dtype))
    return frac, TG.trunc(x)


@composite("floor_divide")
def floor_divide(x1, x2):
    """The floor of x1 / x2 (NumPy's floor_divide): a constant, zero derivative."""
    dt = _dtype(x1, x2)
    a, b = _operand(x1), _operand(x2)
    return _zero_derivative(np.floor_divide(_raw(a), _raw(b)).astype(dt), a, b)


@composite("divmod", stub={"return": "tuple[Tensor, Tensor]"})
def divmod_(x1, x2):
    """(floor_divide(x1, x2), remainder(x1, x2)) (NumPy's divmod)."""
    return floor_divide(x1, x2), TG.remainder(_operand(x1), _operand(x2))


divmod_.__name__ = divmod_.__qualname__ = "divmod"


# ---- more of jax.numpy's differentiable functions ------------------------------------------
@composite("piecewise")
def piecewise(x, condlist, funclist, *args, **kw):
    """NumPy's piecewise: where ``condlist[i]`` holds, ``funclist[i]`` of those
    elements of x (a function, or a number); later conditions win; an extra
    function is the 'otherwise'; elsewhere 0.  Each function sees only its
    elements (so an unsafe branch cannot spoil the gradient)."""
    x = _operand(x)
    shape = tuple(x.shape)
    dt = _dtype(x)
    if isinstance(condlist, np.ndarray) and condlist.ndim == len(shape) or \
            np.ndim(condlist) == 0 or (isinstance(condlist, list) and condlist and
                                       np.ndim(condlist[0]) == 0 and len(shape) > 0):
        condlist = [condlist]
    conds = [np.broadcast_to(np.asarray(_raw(c), dtype=bool), shape) for c in condlist]
    n, nf = len(conds), len(funclist)
    if nf == n + 1:
        conds.append(~np.any(conds, axis=0) if n else np.ones(shape, bool))
    elif nf != n:
        raise ValueError(f"with {n} condition(s), either {n} or {n + 1} functions are "
                         f"expected")
    labels = np.zeros(shape, dtype=np.intp)
    parts = [_const(np.zeros(1), dt)]
    offset = 1
    for c, f in zip(conds, funclist):
        k = int(np.count_nonzero(c))
        if not k:
            continue
        if callable(f):
            v = f(TG.getitem(x, c), *args, **kw)
            v = TG.cast(_operand(v), dt) if _live(v) else _const(np.asarray(v, dtype=dt))
            v = TG.broadcast_to(TG.ravel(v), (k,))
        else:
            v = _const(np.full(k, f, dtype=dt))
        parts.append(v)
        labels[c] = offset + np.arange(k)
        offset += k
    if len(parts) == 1:
        return _zero_derivative(np.zeros(shape, dt), x)
    return TG.getitem(TG.concatenate(parts), labels)


def _poly1d(name, p):
    p = _operand(p)
    if len(p.shape) != 1:
        raise ValueError(f"{name}: the coefficients must be a 1-D array")
    return p


def _atleast_1d(p):
    p = _operand(p)
    return TG.reshape(p, (1,)) if len(p.shape) == 0 else p


@composite("polyadd")
def polyadd(a1, a2):
    """The sum of two polynomials (coefficients highest power first; the
    shorter padded with leading zeros, then added as NumPy's polyadd)."""
    dt = _dtype(a1, a2)
    a, b = TG.cast(_atleast_1d(a1), dt), TG.cast(_atleast_1d(a2), dt)
    d = b.shape[0] - a.shape[0]
    if d > 0:
        a = TG.concatenate([_const(np.zeros(d), dt), a])
    elif d < 0:
        b = TG.concatenate([_const(np.zeros(-d), dt), b])
    return TG.add(a, b)


@composite("polysub")
def polysub(a1, a2):
    """The difference of two polynomials (coefficients highest power first)."""
    return polyadd(a1, TG.negative(_operand(a2)))


def _strip_leading_zeros(p):
    """poly1d's coefficients: leading zeros dropped (all zero: one 0)."""
    nz = np.flatnonzero(np.asarray(_raw(p)))
    return TG.getitem(p, slice(nz[0] if nz.size else p.shape[0] - 1, None))


@composite("polymul")
def polymul(a1, a2):
    """The product of two polynomials: the convolution of their coefficients
    (leading zeros dropped first, as NumPy's poly1d)."""
    dt = _dtype(a1, a2)
    a = _strip_leading_zeros(TG.cast(_poly1d("polymul", _atleast_1d(a1)), dt))
    b = _strip_leading_zeros(TG.cast(_poly1d("polymul", _atleast_1d(a2)), dt))
    return convolve(a, b)


@composite("polyder")
def polyder(p, m=1):
    """The m-th derivative of a polynomial (NumPy's polyder)."""
    m = operator.index(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = _poly1d("polyder", p)
    dt = _dtype(p)
    for _ in range(m):
        n = max(p.shape[0] - 1, 0)
        p = TG.multiply(TG.getitem(p, slice(0, n)), np.arange(n, 0, -1, dtype=dt))
    return p


@composite("polyint")
def polyint(p, m=1, k=None):
    """The m-th antiderivative of a polynomial, with integration constants
    ``k`` (NumPy's polyint; k may be a tensor)."""
    m = operator.index(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    p = _poly1d("polyint", p)
    dt = _dtype(p)
    if k is None:
        k = _const(np.zeros(m), dt)
    else:
        k = TG.cast(_operand(k), dt)
        if len(k.shape) == 0:
            k = TG.broadcast_to(TG.reshape(k, (1,)), (m,))
        if k.shape[0] != m:
            raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    for i in range(m):
        n = p.shape[0]
        p = TG.concatenate([TG.divide(p, np.arange(n, 0, -1, dtype=dt)),
                            TG.reshape(TG.getitem(k, i), (1,))])
    return p


@composite("poly")
def poly(seq_of_zeros):
    """The coefficients of the monic polynomial with the given 1-D roots
    (NumPy's poly; the characteristic polynomial of a matrix is not covered)."""
    r = _operand(seq_of_zeros)
    if len(r.shape) == 0 or (len(r.shape) == 1 and r.shape[0] == 0):
        return _zero_derivative(np.ones((), _dtype(r)), r) if len(r.shape) == 0 else \
            _const(np.ones(()), _dtype(r))
    if len(r.shape) != 1:
        raise errors.NotDifferentiableError("np.poly of a matrix (its characteristic polynomial) needs "
                        "its eigenvalues, which tapegrad cannot differentiate for a "
                        "general matrix: pass the roots, or use np.asarray(t)")
    dt = _dtype(r)
    c = _const(np.ones(1), dt)
    one = _const(np.ones(1), dt)
    for i in range(r.shape[0]):
        c = convolve(c, TG.concatenate([one, TG.negative(TG.reshape(TG.getitem(r, i), (1,)))]))
    return c


@composite("polyfit")
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """The least-squares polynomial fit of degree ``deg`` (NumPy's polyfit,
    the same column scaling), differentiable in x, y and w; ``full`` and
    ``cov`` are not supported."""
    if full or cov:
        raise TypeError("polyfit: full=True and cov=True are not supported on tensors")
    order = operator.index(deg) + 1
    if order < 1:
        raise ValueError("expected deg >= 0")
    dt = _dtype(x, y)
    x, y = TG.cast(_operand(x), dt), TG.cast(_operand(y), dt)
    if len(x.shape) != 1 or x.shape[0] == 0:
        raise TypeError("expected non-empty 1D vector for x")
    if len(y.shape) < 1 or len(y.shape) > 2:
        raise TypeError("expected 1D or 2D array for y")
    if x.shape[0] != y.shape[0]:
        raise TypeError("expected x and y to have same length")
    if rcond is None:
        rcond = x.shape[0] * np.finfo(dt).eps
    lhs, rhs = vander(x, order), y
    if w is not None:
        w = TG.cast(_operand(w), dt)
        lhs = TG.multiply(lhs, TG.expand_dims(w, 1))
        rhs = TG.multiply(rhs, w if len(y.shape) == 1 else TG.expand_dims(w, 1))
    scale = TG.sqrt(TG.sum(TG.multiply(lhs, lhs), axis=0))
    c = REGISTRY["linalg.lstsq"].public(TG.divide(lhs, scale), rhs, rcond)[0]
    return TG.divide(c, scale if len(y.shape) == 1 else TG.expand_dims(scale, 1))


@composite("logspace")
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """base ** linspace(start, stop) (NumPy's logspace), differentiable in
    start, stop and base when they are tensors."""
    y = linspace(start, stop, num, endpoint, dtype=dtype, axis=axis)
    b = _operand(base)
    if len(b.shape):
        b = TG.expand_dims(b, axis)
    if not (_live(y) or _live(base)):
        return _const(np.logspace(_raw(start), _raw(stop), num, endpoint, _raw(base), dtype,
                                  axis), _dtype(y) if dtype is None else _float_dtype(dtype))
    return TG.cast(TG.power(TG.cast(b, _dtype(y)), y), _dtype(y))


@composite("geomspace")
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Samples evenly spaced on a log scale from ``start`` to ``stop``, the
    ends exact (NumPy's geomspace for real input), differentiable in start
    and stop."""
    if not (_live(start) or _live(stop)):
        res = np.geomspace(_raw(start), _raw(stop), num, endpoint, dtype, axis)
        return _const(res, _float_dtype(dtype) if dtype is not None else _dtype(res))
    dt = _float_dtype(dtype) if dtype is not None else _dtype(start, stop)
    a, b = TG.cast(_operand(start), dt), TG.cast(_operand(stop), dt)
    av, bv = np.asarray(_raw(a)), np.asarray(_raw(b))
    if np.any(av == 0) or np.any(bv == 0):
        raise ValueError("Geometric sequence cannot include zero")
    shape = np.broadcast_shapes(av.shape, bv.shape)
    sign = np.sign(np.broadcast_to(av, shape)).astype(dt)
    a, b = TG.multiply(a, sign), TG.multiply(b, sign)
    y = TG.power(dt.type(10.0), linspace(TG.log10(a), TG.log10(b), num, endpoint))
    if num > 0:
        parts = [TG.expand_dims(TG.broadcast_to(a, shape), 0)]
        if num > 1:
            parts.append(TG.getitem(y, slice(1, num - 1 if endpoint else num)))
            if endpoint:
                parts.append(TG.expand_dims(TG.broadcast_to(b, shape), 0))
        y = TG.concatenate(parts, axis=0)
    y = TG.multiply(y, sign)
    return TG.moveaxis(y, 0, axis) if axis != 0 else y


@composite("frexp", stub={"return": "tuple[Tensor, NDArray[np.intc]]"})
def frexp(x):
    """(mantissa, exponent) with x = mantissa * 2**exponent (NumPy's frexp):
    the mantissa a tensor, derivative 2**-exponent; the exponent integers."""
    x = _operand(x)
    v = _raw(x)
    _, e = np.frexp(v)
    return TG.multiply(x, np.ldexp(np.ones((), v.dtype), -e)), e


@composite("apply_along_axis")
def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """``func1d`` applied to the 1-D slices along ``axis``, the results
    stacked where the axis was (NumPy's apply_along_axis); recorded when
    func1d is written with tapegrad's functions."""
    x = _operand(arr)
    nd = len(x.shape)
    ax = normalize_axis_index(axis, nd)
    x = TG.moveaxis(x, ax, -1)
    outer = tuple(x.shape[:-1])
    if 0 in outer:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    res = []
    for idx in np.ndindex(*outer):
        r = func1d(TG.getitem(x, idx), *args, **kwargs)
        res.append(r if _live(r) else _const(np.asarray(r, dtype=_dtype(x))))
    y = TG.reshape(TG.stack(res), outer + tuple(res[0].shape))
    k = len(res[0].shape)
    perm = list(range(ax)) + list(range(len(outer), len(outer) + k)) + \
        list(range(ax, len(outer)))
    return TG.transpose(y, perm) if perm != list(range(len(perm))) else y


@composite("apply_over_axes")
def apply_over_axes(func, a, axes):
    """``func(a, axis)`` applied over each of ``axes`` in turn, keeping the
    dimensions (NumPy's apply_over_axes)."""
    val = _operand(a)
    n = len(val.shape)
    for axis in ((axes,) if np.ndim(axes) == 0 else axes):
        axis = axis + n if axis < 0 else axis
        res = func(val, axis)
        if len(res.shape) != n:
            res = TG.expand_dims(res, axis)
            if len(res.shape) != n:
                raise ValueError("function is not returning an array of the correct shape")
        val = res
    return val


# ---- windows (constants, but kaiser's beta may be a tensor) ------------------------------------
@composite("bartlett")
def bartlett(M):
    """The Bartlett window, a constant tensor."""
    return _const(np.bartlett(M))


@composite("blackman")
def blackman(M):
    """The Blackman window, a constant tensor."""
    return _const(np.blackman(M))


@composite("hamming")
def hamming(M):
    """The Hamming window, a constant tensor."""
    return _const(np.hamming(M))


@composite("hanning")
def hanning(M):
    """The Hann window, a constant tensor."""
    return _const(np.hanning(M))


@composite("kaiser")
def kaiser(M, beta):
    """The Kaiser window i0(beta sqrt(1 - ((n - a)/a)**2)) / i0(beta),
    a = (M-1)/2 (NumPy's kaiser), differentiable in a tensor ``beta``."""
    if not _live(beta):
        return _const(np.kaiser(M, _raw(beta)))
    b = _operand(beta)
    dt = _dtype(b)
    if M < 1:
        return _zero_derivative(np.zeros(0, dt), b)
    if M == 1:
        return _zero_derivative(np.ones(1, dt), b)
    n = np.arange(0, M)
    alpha = (M - 1) / 2.0
    s = np.sqrt(np.fmax(1 - ((n - alpha) / alpha) ** 2.0, 0.0)).astype(dt)
    return TG.divide(TG.i0(TG.multiply(b, s)), TG.i0(b))


@composite("polydiv", stub={"return": "tuple[Tensor, Tensor]"})
def polydiv(u, v):
    """Quotient and remainder of polynomial division (NumPy's polydiv, the
    same long division and the same stripping of the remainder's leading
    near-zeros, decided on the values); differentiable in u and v."""
    dt = _dtype(u, v)
    u, v = TG.cast(_atleast_1d(u), dt), TG.cast(_atleast_1d(v), dt)
    m, n = u.shape[0] - 1, v.shape[0] - 1
    vs = [TG.getitem(v, j) for j in range(n + 1)]
    r = [TG.getitem(u, j) for j in range(m + 1)]
    scale = TG.divide(dt.type(1.0), vs[0])
    q = []
    for k in range(0, m - n + 1):
        d = TG.multiply(scale, r[k])
        q.append(d)
        for j in range(n + 1):
            r[k + j] = TG.subtract(r[k + j], TG.multiply(d, vs[j]))
    q = TG.stack(q) if q else _zero_derivative(np.zeros(1, dt), u)
    while len(r) > 1 and np.allclose(np.asarray(_raw(r[0])), 0, rtol=1e-14):
        r = r[1:]
    return q, TG.stack(r)


@composite("astype", method=True)
def astype(x, dtype, /, *, copy=True, device=None):
    """``x`` as ``dtype``, float32 or float64 (NumPy's astype; recorded, the
    gradient cast back).  A tensor holds floats: another dtype is a
    TypeError (``np.asarray(t).astype(...)`` takes the values)."""
    x = arg(x)
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"astype: a tensor holds float32 or float64, not {dt}; take the "
                        f"values with np.asarray(t).astype({dt.name!r}) (no gradient)")
    if device not in (None, "cpu"):
        raise ValueError(f"astype: device must be None or 'cpu', got {device!r}")
    if x.dtype == dt:
        return REGISTRY["copy"].public(x) if copy else x
    return REGISTRY["cast"].public(x, dt)
