"""Shape and indexing primitives.  All linear: each forward rule applies the
op itself to the tangent (``LINEAR``), each reverse rule applies the
transposed op (reshape <-> reshape, getitem <-> index_add, concatenate <->
slices), and each batching rule moves the op's axes past the batch axis."""
import numpy as np

from .. import errors
from .._core.kernels import array_transpose
from .._core.tape import TensorBase, is_batched
from ._registry import LINEAR, REGISTRY, arg, composite, dtype_of, primitive


def _batch_type(args):
    """The Batched class (ops/batching.py) of the batched operand(s): batching
    rules get it from their arguments, so this module does not import it."""
    return next(type(a) for a in args if is_batched(a))


# ---- reshape --------------------------------------------------------------------
def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    if len(shape) == 1 and isinstance(shape[0], (int, np.integer)):
        return (int(shape[0]),)
    return tuple(shape)


def _ndim(x):
    return len(x.shape)


def reshape(x, *shape):
    """NumPy's reshape: ``reshape(x, (2, 3))`` or ``x.reshape(2, 3)``; -1 infers."""
    x = arg(x)
    shape = _shape_arg(shape)
    try:
        target = np.empty(x.shape, dtype=bool).reshape(shape).shape
    except ValueError:
        raise errors.ShapeError(
            f"cannot reshape a tensor of shape {tuple(x.shape)} ({int(np.prod(x.shape))} "
            f"elements) into shape {shape}") from None
    return REGISTRY["reshape"](x, shape=target)


def _reshape_batch(args, p):
    x = args[0]
    return type(x).reshaped(x, p["shape"])


primitive("reshape", lambda x, shape: np.reshape(x, shape),
          lambda B, g, xs, out, p, needs: (B.reshape(g, xs[0].shape),), LINEAR,
          linear=True, label="reshape({0})", batch=_reshape_batch, public=reshape, method=True,
          fold="shape", dlabels=("1",), kernel=True)


# ---- transpose ---------------------------------------------------------------------
def transpose(x, axes=None, *more):
    """NumPy's transpose: ``transpose(x)``, ``transpose(x, axes=(1, 0))``;
    as a method also ``t.transpose(1, 0)``."""
    x = arg(x)
    if axes is None and not more:
        return REGISTRY["transpose"](x, axes=None)
    if more:
        axes = (axes,) + more
    if axes is not None:
        axes = tuple(int(a) % _ndim(x) for a in _shape_arg((axes,)))
        if sorted(axes) != list(range(_ndim(x))):
            raise errors.ShapeError(f"transpose: axes {axes} are not a permutation of the "
                                    f"{_ndim(x)} axes of a tensor of shape {tuple(x.shape)}")
    return REGISTRY["transpose"](x, axes=axes)


def _transpose_batch(args, p):
    x = args[0]
    nd = x.ndim
    axes = p["axes"] if p["axes"] is not None else tuple(range(nd - 1, -1, -1))
    return type(x).wrap(np.transpose(x.v, (0,) + tuple(a + 1 for a in axes)))


primitive("transpose", array_transpose,
          lambda B, g, xs, out, p, needs: (B.transpose(g, None if p["axes"] is None
                                                       else tuple(np.argsort(p["axes"]))),),
          LINEAR, linear=True, label="{0}^T", batch=_transpose_batch, public=transpose,
          method=True, fold="shape", kernel=True, operator="T")


@composite("swapaxes", method=True)
def swapaxes(x, axis1, axis2):
    """Interchange two axes (NumPy's swapaxes)."""
    x = arg(x)
    nd = _ndim(x)
    perm = list(range(nd))
    a1, a2 = int(axis1) % nd, int(axis2) % nd
    perm[a1], perm[a2] = perm[a2], perm[a1]
    return transpose(x, tuple(perm))


@composite("expand_dims", method=True)
def expand_dims(x, axis):
    x = arg(x)
    return reshape(x, np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)


@composite("squeeze", method=True)
def squeeze(x, axis=None):
    x = arg(x)
    return reshape(x, np.squeeze(np.empty(x.shape, dtype=bool), axis).shape)


@composite("flatten", method=True)
def flatten(x):
    return reshape(x, (-1,))


# ---- broadcast_to -------------------------------------------------------------------
def broadcast_to(x, shape):
    x = arg(x)
    shape = tuple(shape) if not isinstance(shape, (int, np.integer)) else (int(shape),)
    try:
        np.broadcast_to(np.empty(x.shape, dtype=bool), shape)
    except ValueError:
        raise errors.ShapeError(f"cannot broadcast a tensor of shape {tuple(x.shape)} "
                                f"to {shape}") from None
    if tuple(x.shape) == shape and is_batched(x):
        return x
    return REGISTRY["broadcast_to"](x, shape=shape)


def _broadcast_batch(args, p):
    x = args[0]
    shape = tuple(p["shape"])
    return type(x).wrap(np.broadcast_to(x.lifted(len(shape)), x.v.shape[:1] + shape))


primitive("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
          # the engine sums the gradient back to the input's shape
          lambda B, g, xs, out, p, needs: (g,), LINEAR, linear=True, label="broadcast({0})",
          batch=_broadcast_batch, public=broadcast_to, method=True, fold="shape",
          dlabels=("1",))


# ---- indexing ------------------------------------------------------------------------
def _index_forward(x, idx):
    out = x[idx]
    # A view would alias x's buffer: in-place writes to either must not leak.
    return out.copy() if isinstance(out, np.ndarray) else np.asarray(out)


def _index_item(i):
    if isinstance(i, TensorBase):
        raise TypeError(
            "a float tensor cannot index another tensor; index with ints, slices, or a "
            "NumPy integer or boolean array (e.g. idx.asnumpy().astype(int)).")
    if isinstance(i, (list, tuple)):
        # a sequence inside an index is an integer (or boolean) array to NumPy
        return np.asarray(i)
    return i


def _index(idx):
    """An index with lists and nested sequences as arrays (so that the rules
    see every advanced index as one); tensors refused (they hold floats)."""
    if isinstance(idx, tuple):
        return tuple(_index_item(i) for i in idx)
    return _index_item(idx)


def _is_advanced(i):
    """An advanced index: an array (not a 0-d integer one, which NumPy reads
    as an integer) or a boolean scalar (a 0-d mask)."""
    if isinstance(i, (bool, np.bool_)):
        return True
    return isinstance(i, np.ndarray) and (i.ndim > 0 or i.dtype == bool)


def _index_kind(idx):
    """(has advanced parts, lead): lead is the number of dimensions NumPy moves
    to the front of the result (advanced indices, integers among them, that
    a slice, None or ... separates), else 0."""
    idx = idx if isinstance(idx, tuple) else (idx,)
    if not any(_is_advanced(i) for i in idx):
        return False, 0
    adv = [k for k, i in enumerate(idx) if _is_advanced(i) or isinstance(i, (int, np.integer))
           or isinstance(i, np.ndarray) and i.ndim == 0]
    if adv[-1] - adv[0] + 1 == len(adv):
        return True, 0
    # the broadcast advanced dimensions: a mask gives one (its nonzero count)
    return True, max(1 if np.ndim(i) == 0 or getattr(i, "dtype", None) == bool else np.ndim(i)
                     for i in (idx[k] for k in adv) if _is_advanced(i))


def _batched_index(idx):
    """One example's index as an index of the batched array (the batch axis
    first), and where the batch axis lands in the result (see _index_kind)."""
    advanced, lead = _index_kind(idx)
    return (slice(None),) + (idx if isinstance(idx, tuple) else (idx,)), advanced, lead


def getitem(x, idx):
    """``x[idx]`` with every NumPy index: ints, slices, None, ..., integer
    arrays (negative, repeated), boolean masks (also 0-d), advanced indices
    mixed with basic ones; the gradient scatters back (repeated indices add)."""
    idx = _index(idx)
    data = x._data if isinstance(x, TensorBase) else x
    if not is_batched(x):
        try:
            data[idx]
        except IndexError as e:
            raise IndexError(f"index {idx!r} out of range for a tensor of shape "
                             f"{tuple(x.shape)}: {e}") from None
    return REGISTRY["getitem"](x, idx=idx)


def _getitem_batch(args, p):
    x = args[0]
    bidx, _, lead = _batched_index(p["idx"])
    r = x.v[bidx]
    # split advanced indices: NumPy put their dimensions before the batch axis
    return type(x).wrap(np.moveaxis(r, lead, 0) if lead else r)


primitive("getitem", _index_forward,
          lambda B, g, xs, out, p, needs: (B.index_add(g, p["idx"], xs[0].shape),),
          LINEAR, linear=True, label="{0}[...]", batch=_getitem_batch, public=getitem,
          operator="getitem", fold="shape")


def _index_add_forward(g, idx, shape):
    out = np.zeros(shape, dtype=g.dtype)
    if _index_kind(idx)[0]:
        np.add.at(out, idx, g)   # repeated indices add up
    else:
        out[idx] = g             # basic indexing never repeats an element
    return out


def index_add(g, idx, shape):
    """An array of ``shape`` holding zeros, with ``g`` added at ``idx``
    (repeated indices add): the transpose of indexing."""
    return REGISTRY["index_add"](arg(g), idx=idx, shape=tuple(shape))


def _index_add_batch(args, p):
    g = args[0]
    bidx, advanced, lead = _batched_index(p["idx"])
    out = np.zeros(g.v.shape[:1] + tuple(p["shape"]), dtype=g.dtype)
    v = np.moveaxis(g.v, 0, lead) if lead else g.v    # where out[bidx] has the batch axis
    if advanced:
        np.add.at(out, bidx, v)        # repeated indices add up
    else:
        out[bidx] += v
    return type(g).wrap(out)


primitive("index_add", _index_add_forward,
          lambda B, g, xs, out, p, needs: (B.getitem(g, p["idx"]),), LINEAR,
          linear=True, label="scatter({0})", batch=_index_add_batch, public=index_add,
          internal=True)


# ---- variadic: concatenate and stack ----------------------------------------------------
def _concat_vjp(B, g, xs, out, p, needs):
    axis = p["axis"] % g.ndim
    grads, start = [], 0
    for x, need in zip(xs, needs):
        stop = start + x.shape[axis]
        idx = (slice(None),) * axis + (slice(start, stop),)
        grads.append(B.getitem(g, idx) if need else None)
        start = stop
    return tuple(grads)


def _fill_zeros(B, ts, xs):
    return [t if t is not None else B.const(np.zeros(x.shape, x.dtype)) for t, x in zip(ts, xs)]


def _common_dtype(ts):
    dt = np.result_type(*[dtype_of(t) for t in ts])
    return [t if dtype_of(t) == dt else REGISTRY["cast"](t, dtype=dt) for t in ts]


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis (NumPy's concatenate)."""
    ts = [arg(t) for t in tensors]
    if not ts:
        raise errors.ShapeError("concatenate needs at least one tensor")
    if not any(is_batched(t) for t in ts):
        try:
            np.concatenate([np.empty(t.shape, dtype=bool) for t in ts], axis=axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise errors.ShapeError(
                f"concatenate along axis {axis}: shapes {[tuple(t.shape) for t in ts]} do not "
                f"fit ({e})") from None
        ts = _common_dtype(ts)
    return REGISTRY["concatenate"](*ts, axis=axis)


def _concat_batch(args, p):
    B = _batch_type(args)
    n = B.size_of(args)
    nd = next(len(a.shape) for a in args)
    return B.wrap(np.concatenate([B.spread(a, n) for a in args], axis=int(p["axis"]) % nd + 1))


primitive("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis), _concat_vjp,
          lambda B, ts, xs, out, p: B.concatenate(_fill_zeros(B, ts, xs), p["axis"]),
          nin=-1, linear=True, label="concat({0})", batch=_concat_batch, public=concatenate)


def _stack_vjp(B, g, xs, out, p, needs):
    axis = p["axis"] % g.ndim
    return tuple(B.getitem(g, (slice(None),) * axis + (i,)) if need else None
                 for i, need in enumerate(needs))


def stack(tensors, axis=0):
    """Join tensors of one shape along a new axis (NumPy's stack)."""
    ts = [arg(t) for t in tensors]
    if not ts:
        raise errors.ShapeError("stack needs at least one tensor")
    shapes = {tuple(t.shape) for t in ts}
    if len(shapes) > 1:
        raise errors.ShapeError(f"stack needs tensors of one shape, got "
                                f"{[tuple(t.shape) for t in ts]}")
    if not any(is_batched(t) for t in ts):
        ts = _common_dtype(ts)
    return REGISTRY["stack"](*ts, axis=axis)


def _stack_batch(args, p):
    B = _batch_type(args)
    n = B.size_of(args)
    nd = next(len(a.shape) for a in args)
    return B.wrap(np.stack([B.spread(a, n) for a in args], axis=int(p["axis"]) % (nd + 1) + 1))


primitive("stack", lambda *xs, axis: np.stack(xs, axis=axis), _stack_vjp,
          lambda B, ts, xs, out, p: B.stack(_fill_zeros(B, ts, xs), p["axis"]),
          nin=-1, linear=True, label="stack({0})", batch=_stack_batch, public=stack)


# ---- dtype cast: what promotion between float32 and float64 records -------------
def cast(x, dtype):
    """x converted to ``dtype`` (float32 or float64), recorded."""
    return REGISTRY["cast"](arg(x), dtype=np.dtype(dtype))


def _cast_batch(args, p):
    x = args[0]
    return type(x).astyped(x, p["dtype"])


primitive("cast", lambda x, dtype: x.astype(dtype),
          lambda B, g, xs, out, p, needs: (B.cast(g, xs[0].dtype),), LINEAR,
          linear=True, label="{0}", batch=_cast_batch, public=cast, internal=True,
          fold="always", dlabels=("1",))
