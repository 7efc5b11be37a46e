"""Shape and indexing primitives.  All linear: each forward rule applies the
op itself to the tangent (``LINEAR``), each reverse rule applies the
transposed op (reshape <-> reshape, getitem <-> index_add, concatenate <->
slices), and each batching rule moves the op's axes past the batch axis.

NumPy's other shape functions (moveaxis, the stacks and splits, tile,
repeat, flip, roll, rot90, pad...) are composites of these, at the end."""
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


def _c_reshape(x, shape):
    try:
        target = np.empty(x.shape, dtype=bool).reshape(shape).shape
    except (ValueError, TypeError):
        raise errors.ShapeError(
            f"cannot reshape a tensor of shape {tuple(x.shape)} ({int(np.prod(x.shape))} "
            f"elements) into shape {shape}") from None
    return REGISTRY["reshape"](x, shape=target)


def _order(fn, order):
    if order in ("C", None):
        return "C"
    if order == "F":
        return "F"
    raise ValueError(f"{fn}: order={order!r} is not supported; use 'C' (row-major) or 'F' "
                     f"(column-major)" + ("; 'A' and 'K' depend on the memory layout, which "
                                           "tapegrad does not expose" if order in ("A", "K")
                                           else ""))


def reshape(x, *args, shape=None, order="C", copy=None):
    """NumPy's reshape: ``reshape(x, (2, 3))``, ``reshape(x, shape=(2, 3))``
    or ``x.reshape(2, 3)``; -1 infers.  ``order='F'`` reads and writes
    column-major (a C reshape between transposes).  ``copy`` is accepted for
    NumPy's signature: tensors never share memory you can write to."""
    x = arg(x)
    if args and shape is not None:
        raise TypeError("reshape: the shape given both as an argument and as shape=")
    if not args and shape is None:
        raise TypeError("reshape() missing the shape argument")
    shape = _shape_arg(args) if args else _shape_arg((shape,))
    if _order("reshape", order) == "F":
        inner = _c_reshape(transpose(x), shape[::-1])
        return transpose(inner)
    return _c_reshape(x, shape)


def _reshape_batch(args, p):
    x = args[0]
    return type(x).reshaped(x, p["shape"])


primitive("reshape", lambda x, shape: np.reshape(x, shape),
          lambda B, g, xs, out, p, needs: (B.reshape(g, xs[0].shape),), LINEAR,
          linear=True, label="reshape({0})", batch=_reshape_batch, public=reshape, method=True,
          fold="shape", dlabels=("1",), kernel=True, stub={"args": "int | Sequence[int]"})


# ---- transpose ---------------------------------------------------------------------
def transpose(x, axes=None, *more):
    """NumPy's transpose: ``transpose(x)``, ``transpose(x, axes=(1, 0))``;
    as a method also ``t.transpose(1, 0)`` and ``t.transpose((1, 0))``."""
    x = arg(x)
    if axes is None and not more:
        return REGISTRY["transpose"](x, axes=None)
    if more:
        axes = (axes,) + more
    if axes is not None:
        nd = _ndim(x)
        axes = _shape_arg((axes,))
        for a in axes:
            if not -nd <= int(a) < nd:
                raise np.exceptions.AxisError(int(a), nd)
        axes = tuple(int(a) % nd for a in axes)
        if sorted(axes) != list(range(nd)):
            raise errors.ShapeError(f"transpose: axes {axes} are not a permutation of the "
                                    f"{nd} axes of a tensor of shape {tuple(x.shape)}")
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
def flatten(x, order="C"):
    """The elements as a 1-D tensor, in ``order`` ('C' or 'F'), as ndarray.flatten."""
    return reshape(x, (-1,), order=_order("flatten", order))


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
    try:
        out = x[idx]
    except IndexError as e:
        raise IndexError(f"index {idx!r} does not fit a tensor of shape {x.shape}: {e}") \
            from None
    if not isinstance(out, np.ndarray):
        return np.asarray(out)
    # A view (basic indexing) would alias x's buffer: in-place writes to either
    # must not leak.  Advanced indexing already made a new array.
    return out if _index_kind(idx)[0] else out.copy()


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
    idx = _index(idx if isinstance(idx, tuple) else (idx,))   # sequences as arrays
    if not any(_is_advanced(i) for i in idx):
        return False, 0
    adv = [k for k, i in enumerate(idx) if _is_advanced(i) or isinstance(i, (int, np.integer))
           or isinstance(i, np.ndarray) and i.ndim == 0]
    if adv[-1] - adv[0] + 1 == len(adv):
        return True, 0
    # the broadcast advanced dimensions: a mask gives one (its nonzero count)
    arrays = [np.asarray(idx[k]) for k in adv if _is_advanced(idx[k])]
    return True, max(1 if a.ndim == 0 or a.dtype == bool else a.ndim for a in arrays)


def _batched_index(idx):
    """One example's index as an index of the batched array (the batch axis
    first), and where the batch axis lands in the result (see _index_kind)."""
    advanced, lead = _index_kind(idx)
    return (slice(None),) + (idx if isinstance(idx, tuple) else (idx,)), advanced, lead


def getitem(x, idx):
    """``x[idx]`` with every NumPy index: ints, slices, None, ..., integer
    arrays (negative, repeated), boolean masks (also 0-d), advanced indices
    mixed with basic ones; the gradient scatters back (repeated indices add)."""
    return REGISTRY["getitem"](x, idx=_index(idx))


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
        i = idx[0] if type(idx) is tuple and len(idx) == 1 else idx
        if len(shape) == 1 and type(i) is np.ndarray and i.shape == g.shape and i.ndim > 1:
            # one index into a vector: NumPy's add.at is fast only for a 1-D
            # index (0.19 ms, not 0.97 ms, for a 1000 x 100 one)
            np.add.at(out, i.reshape(-1), g.reshape(-1))
        else:
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


def _no_out(fn, out):
    if out is not None:
        raise TypeError(f"{fn}: out= is not supported (a tensor is never written in place); "
                        f"use the returned tensor")


def _as_dtype(fn, ts, dtype):
    """The operands cast to ``dtype`` (float32 or float64) when one is asked."""
    if dtype is None:
        return ts
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise errors.DTypeError(f"{fn}: dtype={dt} is not supported; tensors hold float32 or "
                                f"float64")
    return [t if dtype_of(t) == dt else REGISTRY["cast"].public(t, dt) for t in ts]


def concatenate(tensors, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Join tensors along an existing axis (NumPy's concatenate); ``axis=None``
    joins them flattened; ``dtype`` (float32 or float64) casts the result."""
    _no_out("concatenate", out)
    ts = [arg(t) for t in tensors]
    if not ts:
        raise errors.ShapeError("concatenate needs at least one tensor")
    if axis is None:
        ts, axis = [reshape(t, (-1,)) for t in ts], 0
    ts = _as_dtype("concatenate", ts, dtype)
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


def stack(tensors, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Join tensors of one shape along a new axis (NumPy's stack); ``dtype``
    (float32 or float64) casts the result."""
    _no_out("stack", out)
    ts = _as_dtype("stack", [arg(t) for t in tensors], dtype)
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


# ---- NumPy's shape functions, built from the primitives above ----------------------
# Each is a composite: its derivatives (reverse, forward, batched, higher) are
# those of reshape, transpose, broadcast_to, getitem/index_add and concatenate.
def _axis(fn, axis, nd):
    """A NumPy axis argument as a non-negative int (AxisError as NumPy's)."""
    a = int(axis)
    if not -nd <= a < nd:
        raise np.exceptions.AxisError(a, nd, fn)
    return a % nd


def _axes(fn, axis, nd):
    """An int or a sequence of them as a tuple of distinct non-negative axes."""
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = tuple(_axis(fn, a, nd) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"{fn}: repeated axis in {axis!r}")
    return out


def _fresh(x):
    """x as a new tensor with the same values (NumPy returns a new array)."""
    return REGISTRY["copy"].public(x)


@composite("ravel", method=True)
def ravel(a, order="C"):
    """The elements as a 1-D tensor in ``order`` ('C' or 'F'), as NumPy's ravel."""
    return flatten(a, order)


@composite("moveaxis")
def moveaxis(a, source, destination):
    """Move axes to new positions, the others keeping their order (NumPy's moveaxis)."""
    x = arg(a)
    nd = _ndim(x)
    src = _axes("moveaxis: source", source, nd)
    dst = _axes("moveaxis: destination", destination, nd)
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same number "
                         "of elements")
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, tuple(order))


def _atleast(arys, pad):
    res = []
    for a in arys:
        x = arg(a)
        shape = tuple(x.shape)
        # always a new tensor (NumPy returns the input itself when it has
        # enough axes): a result that is a variable could not be backward()'s head
        res.append(reshape(x, pad(tuple(x.shape))))
    return res[0] if len(res) == 1 else tuple(res)


@composite("atleast_1d", stub={"overloads": (
    "(ary: TensorLike, /) -> Tensor",
    "(ary1: TensorLike, ary2: TensorLike, /, *arys: TensorLike) -> tuple[Tensor, ...]")})
def atleast_1d(*arys):
    """Each input with at least one axis (a 0-d one becomes shape (1,))."""
    return _atleast(arys, lambda s: s if len(s) >= 1 else (1,))


@composite("atleast_2d", stub={"overloads": (
    "(ary: TensorLike, /) -> Tensor",
    "(ary1: TensorLike, ary2: TensorLike, /, *arys: TensorLike) -> tuple[Tensor, ...]")})
def atleast_2d(*arys):
    """Each input with at least two axes: (n,) becomes (1, n)."""
    return _atleast(arys, lambda s: s if len(s) >= 2 else (1,) * (2 - len(s)) + s)


@composite("atleast_3d", stub={"overloads": (
    "(ary: TensorLike, /) -> Tensor",
    "(ary1: TensorLike, ary2: TensorLike, /, *arys: TensorLike) -> tuple[Tensor, ...]")})
def atleast_3d(*arys):
    """Each input with at least three axes: (n,) becomes (1, n, 1), (m, n) (m, n, 1)."""
    def pad(s):
        if len(s) == 0:
            return (1, 1, 1)
        if len(s) == 1:
            return (1,) + s + (1,)
        if len(s) == 2:
            return s + (1,)
        return s
    return _atleast(arys, pad)


@composite("broadcast_arrays", stub={"return": "tuple[Tensor, ...]"})
def broadcast_arrays(*args, subok=False):
    """The inputs broadcast to their common shape (a tuple, as NumPy 2)."""
    xs = [arg(a) for a in args]
    try:
        shape = np.broadcast_shapes(*[tuple(x.shape) for x in xs])
    except ValueError:
        raise errors.ShapeError(f"broadcast_arrays: shapes {[tuple(x.shape) for x in xs]} do "
                                f"not broadcast together") from None
    return tuple(broadcast_to(x, shape) for x in xs)


# ---- joining --------------------------------------------------------------------------
def _sequence(fn, tup):
    if isinstance(tup, TensorBase) or is_batched(tup) or isinstance(tup, np.ndarray):
        # NumPy iterates an array's first axis; so does this (recorded rows)
        return [tup[i] for i in range(tup.shape[0])] if len(tup.shape) else [tup]
    return list(tup)


@composite("vstack")
def vstack(tup, *, dtype=None, casting="same_kind"):
    """Stack row-wise: 1-D inputs become rows, then concatenate along axis 0."""
    ts = _sequence("vstack", tup)
    return concatenate([atleast_2d(t) for t in ts], 0, dtype=dtype)


@composite("row_stack")
def row_stack(tup, *, dtype=None, casting="same_kind"):
    """vstack (NumPy's older name)."""
    return vstack(tup, dtype=dtype)


@composite("hstack")
def hstack(tup, *, dtype=None, casting="same_kind"):
    """Stack column-wise: concatenate along axis 1 (axis 0 for 1-D inputs)."""
    ts = [atleast_1d(t) for t in _sequence("hstack", tup)]
    axis = 0 if ts and len(ts[0].shape) == 1 else 1
    return concatenate(ts, axis, dtype=dtype)


@composite("dstack")
def dstack(tup):
    """Stack depth-wise: inputs made at least 3-D, concatenated along axis 2."""
    return concatenate([atleast_3d(t) for t in _sequence("dstack", tup)], 2)


@composite("column_stack")
def column_stack(tup):
    """1-D inputs as columns (2-D ones as they are), concatenated along axis 1."""
    cols = []
    for t in _sequence("column_stack", tup):
        x = arg(t)
        if len(x.shape) < 2:
            x = reshape(x, (-1, 1))
        cols.append(x)
    return concatenate(cols, 1)


def _block_depth(arrays):
    if isinstance(arrays, tuple):
        raise TypeError("block: arrays is a tuple; only lists can be used to arrange blocks "
                        "(a tuple is not a list of blocks)")
    if not isinstance(arrays, list):
        return 0
    if not arrays:
        raise ValueError("block: lists cannot be empty")
    depths = {_block_depth(a) for a in arrays}
    if len(depths) > 1:
        raise ValueError(f"block: list depths are mismatched (found depths {sorted(depths)} "
                         f"in one list)")
    return depths.pop() + 1


def _block_leaves(arrays):
    if isinstance(arrays, list):
        return [x for a in arrays for x in _block_leaves(a)]
    return [arg(arrays)]


def _block_build(arrays, depth, nd):
    if depth == 0:
        x = arg(arrays)
        return reshape(x, (1,) * (nd - len(x.shape)) + tuple(x.shape))
    return concatenate([_block_build(a, depth - 1, nd) for a in arrays], axis=-depth)


@composite("block")
def block(arrays):
    """Assemble a tensor from nested lists of blocks (NumPy's block): the
    innermost lists are joined along the last axis, the next along the one
    before, and so on."""
    depth = _block_depth(arrays)
    nd = max([depth] + [len(x.shape) for x in _block_leaves(arrays)])
    return _block_build(arrays, depth, nd)


# ---- splitting --------------------------------------------------------------------------
def _split(fn, ary, indices_or_sections, axis, equal):
    x = arg(ary)
    ax = _axis(fn, axis, _ndim(x))
    n = x.shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)) or np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"{fn}: the number of sections must be larger than 0")
        if equal and n % sections:
            raise ValueError(f"{fn}: array split does not result in an equal division "
                             f"({n} along axis {ax} into {sections}); array_split allows it")
        each, extras = divmod(n, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    else:
        points = [0] + [int(i) for i in indices_or_sections] + [n]
    lead = (slice(None),) * ax
    return [getitem(x, lead + (slice(a, b),)) for a, b in zip(points[:-1], points[1:])]


@composite("array_split", stub={"return": "list[Tensor]"})
def array_split(ary, indices_or_sections, axis=0):
    """A list of sub-tensors: ``indices_or_sections`` equal-as-possible
    sections (the first ones one longer) or the split points along ``axis``."""
    return _split("array_split", ary, indices_or_sections, axis, False)


@composite("split", stub={"return": "list[Tensor]"})
def split(ary, indices_or_sections, axis=0):
    """A list of sub-tensors, as array_split, but sections must divide the axis."""
    return _split("split", ary, indices_or_sections, axis, True)


def _split_at_least(fn, ary, nd, axis, indices_or_sections):
    x = arg(ary)
    if _ndim(x) < nd:
        raise ValueError(f"{fn} only works on arrays of {nd} or more dimensions")
    return _split(fn, x, indices_or_sections, axis(_ndim(x)), True)


@composite("hsplit", stub={"return": "list[Tensor]"})
def hsplit(ary, indices_or_sections):
    """split along axis 1 (axis 0 for 1-D input)."""
    return _split_at_least("hsplit", ary, 1, lambda nd: 1 if nd > 1 else 0, indices_or_sections)


@composite("vsplit", stub={"return": "list[Tensor]"})
def vsplit(ary, indices_or_sections):
    """split along axis 0, for input of at least 2 dimensions."""
    return _split_at_least("vsplit", ary, 2, lambda nd: 0, indices_or_sections)


@composite("dsplit", stub={"return": "list[Tensor]"})
def dsplit(ary, indices_or_sections):
    """split along axis 2, for input of at least 3 dimensions."""
    return _split_at_least("dsplit", ary, 3, lambda nd: 2, indices_or_sections)


# ---- tiling and repeating: broadcast over new axes, then merge them -----------------
@composite("tile")
def tile(A, reps):
    """A repeated ``reps`` times along each axis (NumPy's tile).  A broadcast
    over interleaved new axes, merged by a reshape: the gradient sums the
    copies."""
    x = arg(A)
    reps = tuple(int(r) for r in (reps if np.ndim(reps) else (reps,)))
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: negative repetitions {reps}")
    shape = tuple(x.shape)
    shape = (1,) * (len(reps) - len(shape)) + shape
    reps = (1,) * (len(shape) - len(reps)) + reps
    inter = sum(((1, n) for n in shape), ())
    big = sum(((r, n) for r, n in zip(reps, shape)), ())
    spread = broadcast_to(reshape(x, inter), big)
    return reshape(spread, tuple(r * n for r, n in zip(reps, shape)))


@composite("repeat", method=True)
def repeat(a, repeats, axis=None):
    """Each element repeated ``repeats`` times (an int, or one count per
    element) along ``axis`` (None: the flattened input); the gradient sums
    the copies."""
    x = arg(a)
    if axis is None:
        x, ax = flatten(x), 0
    else:
        ax = _axis("repeat", axis, _ndim(x))
    shape = tuple(x.shape)
    n = shape[ax]
    r = np.asarray(repeats)
    if r.dtype.kind not in "iu":
        raise TypeError(f"repeat: repeats must be integers, got {r.dtype}")
    if r.size == 1:
        k = int(r.reshape(-1)[0])
        if k < 0:
            raise ValueError("repeat: negative dimensions are not allowed")
        spread = broadcast_to(reshape(x, shape[:ax + 1] + (1,) + shape[ax + 1:]),
                              shape[:ax + 1] + (k,) + shape[ax + 1:])
        return reshape(spread, shape[:ax] + (n * k,) + shape[ax + 1:])
    return getitem(x, (slice(None),) * ax + (np.repeat(np.arange(n), r),))


# ---- reversing and rotating --------------------------------------------------------------
@composite("flip")
def flip(m, axis=None):
    """The order of elements reversed along ``axis`` (None: all axes)."""
    x = arg(m)
    nd = _ndim(x)
    axes = range(nd) if axis is None else _axes("flip", axis, nd)
    return getitem(x, tuple(slice(None, None, -1) if i in axes else slice(None)
                            for i in range(nd)))


@composite("fliplr")
def fliplr(m):
    """flip along axis 1 (left/right), for input of at least 2 dimensions."""
    x = arg(m)
    if _ndim(x) < 2:
        raise ValueError("fliplr: input must be >= 2-d.")
    return flip(x, 1)


@composite("flipud")
def flipud(m):
    """flip along axis 0 (up/down), for input of at least 1 dimension."""
    x = arg(m)
    if _ndim(x) < 1:
        raise ValueError("flipud: input must be >= 1-d.")
    return flip(x, 0)


@composite("roll")
def roll(a, shift, axis=None):
    """Elements shifted cyclically by ``shift`` along ``axis`` (ints or
    tuples; None: the flattened input, shape kept), as NumPy's roll."""
    x = arg(a)
    if axis is None:
        return reshape(roll(flatten(x), shift, 0), tuple(x.shape))
    nd = _ndim(x)
    pairs = np.broadcast(shift, axis)
    if pairs.ndim > 1:
        raise ValueError("roll: 'shift' and 'axis' should be scalars or 1D sequences")
    shifts = {}
    for sh, ax in pairs:
        ax = _axis("roll", ax, nd)
        shifts[ax] = shifts.get(ax, 0) + int(sh)
    out = x
    for ax, sh in sorted(shifts.items()):
        n = x.shape[ax]
        if n == 0 or sh % n == 0:
            continue
        cut = n - sh % n
        lead = (slice(None),) * ax
        out = concatenate([getitem(out, lead + (slice(cut, None),)),
                           getitem(out, lead + (slice(None, cut),))], axis=ax)
    return _fresh(out) if out is x else out


@composite("rot90")
def rot90(m, k=1, axes=(0, 1)):
    """Rotated by 90 degrees ``k`` times in the plane of ``axes``, from the
    first axis towards the second (NumPy's rot90): flips and a transpose."""
    x = arg(m)
    nd = _ndim(x)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("rot90: axes must be different.")
    if not (-nd <= axes[0] < nd and -nd <= axes[1] < nd):
        raise ValueError(f"rot90: axes={axes} out of range for array of ndim={nd}.")
    k = int(k) % 4
    if k == 0:
        return _fresh(x)
    if k == 2:
        return flip(x, axes)
    perm = list(range(nd))
    a0, a1 = axes[0] % nd, axes[1] % nd
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(x, a1), tuple(perm))
    return flip(transpose(x, tuple(perm)), a1)


# ---- pad --------------------------------------------------------------------------------
_PAD_KWARGS = {"constant": ("constant_values",), "edge": (), "wrap": (), "empty": (),
               "reflect": ("reflect_type",), "symmetric": ("reflect_type",),
               "linear_ramp": ("end_values",), "mean": ("stat_length",)}


def _pairs(value, nd):
    return np.broadcast_to(np.asarray(value), (nd, 2)) if nd else np.zeros((0, 2))


def _pad_axis_map(n, before, after, mode, kw):
    """The padding of one axis of length n as an affine map y = M x + c
    (M: (n + before + after) x n), from NumPy's pad itself applied to the
    identity's columns and to zeros; None for M when it only selects (edge,
    reflect, symmetric, wrap), then c is the source index of each row."""
    width = ((before, after), (0, 0))
    if mode in ("edge", "wrap") or mode in ("reflect", "symmetric") and \
            kw.get("reflect_type", "even") == "even":
        return None, np.pad(np.arange(n), (before, after), mode=mode)
    zero = np.pad(np.zeros((n, 1)), width, mode=mode, **kw)[:, 0]
    return np.pad(np.eye(n), width, mode=mode, **kw) - zero[:, None], zero


@composite("pad")
def pad(array, pad_width, mode="constant", **kwargs):
    """Pad as NumPy's pad, for the modes linear in the input: 'constant'
    (``constant_values``, also a 0-d tensor), 'edge', 'reflect' and
    'symmetric' (``reflect_type``), 'wrap', 'linear_ramp' (``end_values``),
    'mean' (``stat_length``) and 'empty' (zeros).  The modes that pad with
    an order statistic (the largest, smallest or median value) and callables
    are not supported."""
    x = arg(array)
    shape = tuple(x.shape)
    nd = len(shape)
    if not isinstance(mode, str) or mode not in _PAD_KWARGS:
        raise NotImplementedError(
            f"pad: mode={mode!r} is not supported; the modes are "
            f"{', '.join(sorted(_PAD_KWARGS))}")
    bad = set(kwargs) - set(_PAD_KWARGS[mode])
    if bad:
        raise ValueError(f"pad: unsupported keyword arguments for mode {mode!r}: {sorted(bad)}")
    width = np.asarray(pad_width)
    if width.dtype.kind not in "iu":
        raise TypeError("pad: `pad_width` must be of integral type.")
    width = _pairs(width, nd).astype(np.intp)
    if (width < 0).any():
        raise ValueError("pad: index can't contain negative values")
    padded = tuple(int(b) + n + int(e) for (b, e), n in zip(width, shape))
    if mode in ("constant", "empty"):
        inner = tuple(slice(int(b), int(b) + n) for (b, _), n in zip(width, shape))
        out = index_add(x, inner, padded)
        cv = kwargs.get("constant_values", 0)
        if isinstance(cv, TensorBase) or is_batched(cv):
            if int(np.prod(cv.shape)) != 1:
                raise TypeError("pad: a tensor constant_values must be one value; pass the "
                                "values per axis as numbers")
            ring = np.pad(np.zeros(shape, dtype_of(x)), width, constant_values=1)
            return out + reshape(cv, ()) * ring
        if np.any(np.asarray(cv) != 0):
            out = out + np.pad(np.zeros(shape, dtype_of(x)), width, constant_values=cv)
        return out
    matmul = REGISTRY["matmul"].public
    out = x
    for ax in range(nd):
        b, e = int(width[ax, 0]), int(width[ax, 1])
        if b == 0 and e == 0:
            continue
        # the per-axis values for this axis; the identity's columns are not
        # padded (a statistic over one element there avoids an empty mean)
        kw = {k: (v if k == "reflect_type" or v is None else
                  (tuple(_pairs(v, nd)[ax]), (1, 1) if k == "stat_length" else (0, 0)))
              for k, v in kwargs.items()}
        m, c = _pad_axis_map(shape[ax], b, e, mode, kw)
        if m is None:
            out = getitem(out, (slice(None),) * ax + (c,))
        else:
            dt = dtype_of(x)
            moved = moveaxis(out, ax, -1)
            moved = matmul(moved, m.T.astype(dt)) + c.astype(dt)
            out = moveaxis(moved, -1, ax)
    return out if out is not x else _fresh(x)
