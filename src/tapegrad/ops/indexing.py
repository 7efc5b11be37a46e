"""Gathers, sorting and searching, as composites of the indexing primitives.

Why no new primitives: every function here whose result is a tensor picks
elements of its input (diagonal, take, sort, partition, unique, compress)
or masks them (tril, triu, select, choose), so it is one ``getitem`` (whose
transpose is ``index_add``: repeated picks add up) or a chain of ``where``.
Their reverse, forward, batched and higher derivatives are those
primitives'.  Where the picked positions depend on the values (sort,
partition, unique) they are computed once on the primal values and fixed:
the function is piecewise linear, and its gradient is that of the pick.

Functions whose result is integer or boolean (argsort, nonzero,
searchsorted...) return plain NumPy arrays and are never recorded.
"""
import numpy as np

from .._core.tape import TensorBase, is_batched
from ._registry import REGISTRY, arg, composite
from .shape import _axis, _no_out, _ndim, flatten, getitem, index_add, transpose


def _values(x):
    """The values of a tensor or array-like, as a NumPy array (never recorded)."""
    return x._data if isinstance(x, TensorBase) else np.asarray(x)


def _int_indices(fn, indices):
    if isinstance(indices, TensorBase):
        raise TypeError(f"{fn}: indices must be integers, not a float tensor (e.g. "
                        f"idx.asnumpy().astype(int))")
    ind = np.asarray(indices)
    if ind.dtype.kind == "b" or ind.size == 0:      # [] is a float64 array to NumPy
        ind = ind.astype(np.intp)
    if ind.dtype.kind not in "iu":
        raise TypeError(f"{fn}: indices must be integers, got an array of dtype {ind.dtype}")
    return ind


def _pick_along_axis(x, ind, ax):
    """x picked at ``ind`` along axis ``ax``, the other axes matched position by
    position (NumPy's take_along_axis), as one gather from the flattened x.

    Why flat: NumPy's add.at (the gradient's scatter) has a fast path for one
    1-D index only; with one index array per axis it took 1.2 ms instead of
    0.19 ms on a 1000 x 100 sort, more than the sort.  The flat positions
    cost one broadcast add in the forward."""
    shape = tuple(x.shape)
    nd = len(shape)
    n = shape[ax]
    if ind.size and (ind.min() < -n or ind.max() >= n):
        bad = ind.min() if ind.min() < -n else ind.max()
        raise IndexError(f"take_along_axis: index {bad} is out of bounds for axis {ax} with "
                         f"size {n}")
    try:
        np.broadcast_shapes(ind.shape[:ax] + ind.shape[ax + 1:], shape[:ax] + shape[ax + 1:])
    except ValueError:
        raise IndexError(f"take_along_axis: shape mismatch: indices of shape {ind.shape} do "
                         f"not broadcast against an array of shape {shape} along the axes "
                         f"other than {ax}") from None
    if ind.size and ind.min() < 0:
        ind = np.where(ind < 0, ind + n, ind)
    strides = np.cumprod((1,) + shape[:0:-1])[::-1]       # C order, in elements
    offset = 0                                             # of each line along ax
    for d in range(nd):
        if d != ax:
            offset = offset + (np.arange(shape[d]) * strides[d]).reshape(
                (1,) * d + (-1,) + (1,) * (nd - d - 1))
    flat = (ind if strides[ax] == 1 else ind * strides[ax]) + offset
    return getitem(flatten(x), flat)


# ---- diagonals and triangles --------------------------------------------------------
@composite("diagonal", method=True)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal ``offset`` of the planes (axis1, axis2), as the last axis
    (NumPy's diagonal); the gradient scatters back onto the diagonal."""
    x = arg(a)
    nd = _ndim(x)
    if nd < 2:
        raise ValueError("diagonal requires an array of at least two dimensions")
    a1, a2 = _axis("diagonal", axis1, nd), _axis("diagonal", axis2, nd)
    if a1 == a2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    rest = [d for d in range(nd) if d not in (a1, a2)]
    rows, cols = x.shape[a1], x.shape[a2]
    off = int(offset)
    i0, j0 = max(-off, 0), max(off, 0)
    n = max(0, min(rows - i0, cols - j0))
    perm = tuple(rest) + (a1, a2)
    xt = transpose(x, perm) if perm != tuple(range(nd)) else x
    return getitem(xt, (Ellipsis, np.arange(i0, i0 + n), np.arange(j0, j0 + n)))


@composite("diag")
def diag(v, k=0):
    """A 1-D input placed on diagonal ``k`` of a square matrix of zeros; a 2-D
    input's diagonal ``k`` (NumPy's diag)."""
    x = arg(v)
    nd = _ndim(x)
    k = int(k)
    if nd == 1:
        n = x.shape[0]
        m = n + abs(k)
        i0, j0 = max(-k, 0), max(k, 0)
        return index_add(x, (np.arange(i0, i0 + n), np.arange(j0, j0 + n)), (m, m))
    if nd == 2:
        return diagonal(x, k)
    raise ValueError(f"diag: input must be 1- or 2-d, got shape {tuple(x.shape)}")


@composite("diagflat")
def diagflat(v, k=0):
    """The flattened input on diagonal ``k`` of a square matrix of zeros."""
    return diag(flatten(arg(v)), k)


def _triangle(fn, m, keep):
    x = arg(m)
    shape = tuple(x.shape)
    if len(shape) < 1:
        raise ValueError(f"{fn}: input must be at least 1-d (the last two axes are the "
                         f"matrix), got a 0-d tensor")
    # where, not a product with a mask: an inf outside the triangle gives 0, as NumPy
    return REGISTRY["where"].public(keep(shape[-2:]), x, 0.0)


@composite("tril")
def tril(m, k=0):
    """The lower triangle of the last two axes (below diagonal ``k``; zeros
    above); a 1-D input is broadcast to a square matrix first, as NumPy."""
    return _triangle("tril", m, lambda s: np.tri(*s, k=int(k), dtype=bool))


@composite("triu")
def triu(m, k=0):
    """The upper triangle of the last two axes (from diagonal ``k``; zeros
    below); a 1-D input is broadcast to a square matrix first, as NumPy."""
    return _triangle("triu", m, lambda s: ~np.tri(*s, k=int(k) - 1, dtype=bool))


# ---- picking by index ----------------------------------------------------------------
@composite("take", method=True)
def take(a, indices, axis=None, out=None, mode="raise"):
    """Elements at ``indices`` along ``axis`` (None: of the flattened input);
    ``mode`` 'raise' (negative indices count from the end), 'wrap' or 'clip',
    as NumPy's take.  Repeated indices add up in the gradient."""
    _no_out("take", out)
    x = arg(a)
    if axis is None:
        x, ax = flatten(x), 0
    else:
        ax = _axis("take", axis, _ndim(x))
    ind = _int_indices("take", indices)
    n = x.shape[ax]
    if mode == "wrap" or mode == "clip":
        if n == 0 and ind.size:
            raise IndexError("take: cannot do a non-empty take from an empty axis")
        ind = ind % n if mode == "wrap" else np.clip(ind, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', not {mode!r}")
    return getitem(x, (slice(None),) * ax + (ind,))


@composite("take_along_axis")
def take_along_axis(arr, indices, axis=-1):
    """``arr`` picked at ``indices`` along ``axis``, the other axes matched
    (broadcast) position by position (NumPy's take_along_axis); None: the
    flattened input with 1-D indices."""
    x = arg(arr)
    ind = _int_indices("take_along_axis", indices)
    if axis is None:
        if ind.ndim != 1:
            raise ValueError("take_along_axis: with axis=None, indices must be 1-d")
        x, ax = flatten(x), 0
    else:
        ax = _axis("take_along_axis", axis, _ndim(x))
    if ind.ndim != _ndim(x):
        raise ValueError(f"take_along_axis: `indices` and `arr` must have the same number of "
                         f"dimensions, got {ind.ndim} and {_ndim(x)}")
    return _pick_along_axis(x, ind, ax)


@composite("compress")
def compress(condition, a, axis=None, out=None):
    """The slices of ``a`` along ``axis`` (None: elements of the flattened
    input) where the 1-D ``condition`` is true (NumPy's compress)."""
    _no_out("compress", out)
    cond = _values(condition)
    if cond.ndim != 1:
        raise ValueError("compress: condition must be a 1-d array")
    return take(a, np.nonzero(cond)[0], axis=axis)


@composite("extract")
def extract(condition, arr):
    """The elements of the flattened ``arr`` where the flattened ``condition``
    is nonzero (NumPy's extract)."""
    return take(flatten(arg(arr)), np.nonzero(np.ravel(_values(condition)))[0])


@composite("select")
def select(condlist, choicelist, default=0):
    """Elementwise, the choice of the first true condition, else ``default``
    (NumPy's select); the gradient flows to the choice taken."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = []
    for i, c in enumerate(condlist):
        c = _values(c)
        if c.dtype != bool:
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean ndarray")
        conds.append(c)
    where = REGISTRY["where"].public
    out = default
    for c, choice in zip(reversed(conds), reversed(list(choicelist))):
        out = where(c, choice, out)
    return out


@composite("choose")
def choose(a, choices, out=None, mode="raise"):
    """Elementwise ``choices[a]`` (NumPy's choose): ``a`` integer, ``mode``
    'raise', 'wrap' or 'clip'; the gradient flows to the choice taken."""
    _no_out("choose", out)
    idx = _int_indices("choose", _values(a))
    if isinstance(choices, TensorBase) or is_batched(choices):
        choices = [choices[i] for i in range(choices.shape[0])]
    choices = list(choices)
    n = len(choices)
    if mode == "raise":
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise ValueError("choose: invalid entry in choice array")
    elif mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    else:
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', not {mode!r}")
    return select([idx == i for i in range(n)], choices)


# ---- sorting: a pick by the permutation of the primal values ------------------------
def _sort_axis(fn, x, axis):
    if axis is None:
        return flatten(x), 0
    return x, _axis(fn, axis, _ndim(x))


def _stable_argsort(v, ax):
    """np.argsort(v, axis=ax, kind='stable'), the default sort's speed when
    there are no ties (then every sort gives the one permutation)."""
    perm = np.argsort(v, axis=ax)
    s = np.sort(v, axis=ax)          # the values perm picks, without a gather
    n = v.shape[ax]
    head = s[(slice(None),) * ax + (slice(0, n - 1),)]
    tail = s[(slice(None),) * ax + (slice(1, n),)]
    if np.all(head < tail):          # strictly increasing: no ties, no NaN
        return perm
    return np.argsort(v, axis=ax, kind="stable")


def _no_order(fn, order):
    if order is not None:
        raise ValueError(f"{fn}: order= is for structured arrays; tensors hold floats")


@composite("sort")
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Sorted along ``axis`` (None: flattened), NaNs last, as NumPy's sort.
    The gradient follows the stable sort's permutation whatever ``kind``:
    of tied elements the first in the input takes the first sorted place
    (JAX's convention, its sort being stable)."""
    _no_order("sort", order)
    x, ax = _sort_axis("sort", arg(a), axis)
    perm = _stable_argsort(_values(x), ax)
    return _pick_along_axis(x, perm, ax)


@composite("partition")
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """NumPy's partition: the element of rank ``kth`` in place, smaller ones
    before, larger after (same values as NumPy).  The gradient follows the
    permutation np.argpartition gives: each input element reaches one output
    place (tied elements as NumPy placed them), never two."""
    _no_order("partition", order)
    x, ax = _sort_axis("partition", arg(a), axis)
    perm = np.argpartition(_values(x), kth, axis=ax, kind=kind)
    return _pick_along_axis(x, perm, ax)


@composite("unique", stub={"overloads": (
    "(ar: TensorLike, return_index: Literal[False] = ..., return_inverse: Literal[False] = ..., "
    "return_counts: Literal[False] = ..., axis: int | None = ..., *, equal_nan: bool = ..., "
    "sorted: bool = ...) -> Tensor",
    # one of the three asked for, by keyword: (values, that array)
    "(ar: TensorLike, *, return_index: Literal[True], return_inverse: Literal[False] = ..., "
    "return_counts: Literal[False] = ..., axis: int | None = ..., equal_nan: bool = ..., "
    "sorted: bool = ...) -> tuple[Tensor, NDArray[np.intp]]",
    "(ar: TensorLike, *, return_index: Literal[False] = ..., return_inverse: Literal[True], "
    "return_counts: Literal[False] = ..., axis: int | None = ..., equal_nan: bool = ..., "
    "sorted: bool = ...) -> tuple[Tensor, NDArray[np.intp]]",
    "(ar: TensorLike, *, return_index: Literal[False] = ..., return_inverse: Literal[False] = "
    "..., return_counts: Literal[True], axis: int | None = ..., equal_nan: bool = ..., "
    "sorted: bool = ...) -> tuple[Tensor, NDArray[np.intp]]",
    "(ar: TensorLike, return_index: bool = ..., return_inverse: bool = ..., "
    "return_counts: bool = ..., axis: int | None = ..., *, equal_nan: bool = ..., "
    "sorted: bool = ...) -> tuple[Any, ...]")})
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True):
    """NumPy's unique: the values a tensor (each picked from its first
    occurrence, so the gradient of a value goes to that element, as JAX's
    unique), the indices, inverse and counts plain arrays."""
    x = arg(ar)
    kw = {"equal_nan": equal_nan}
    if not sorted:
        kw["sorted"] = False
    res = np.unique(_values(x), return_index=True, return_inverse=return_inverse,
                    return_counts=return_counts, axis=axis, **kw)
    first = res[1]
    values = take(x, first, axis=axis)
    extra = ((first,) if return_index else ()) + tuple(res[2:])
    return (values,) + extra if extra else values


# ---- integer results: plain NumPy arrays, never recorded ----------------------------
@composite("argsort", method=True, stub={"return": "NDArray[np.intp]"})
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """The indices that sort ``a`` (NumPy's argsort), a plain integer array."""
    _no_order("argsort", order)
    kw = {} if stable is None else {"stable": stable}     # NumPy < 2 has no stable=
    return np.argsort(_values(a), axis=axis, kind=kind, **kw)


@composite("argpartition", method=True, stub={"return": "NDArray[np.intp]"})
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """The indices that partition ``a`` (NumPy's argpartition), a plain integer array."""
    _no_order("argpartition", order)
    return np.argpartition(_values(a), kth, axis=axis, kind=kind)


@composite("searchsorted", method=True, stub={"return": "np.intp | NDArray[np.intp]"})
def searchsorted(a, v, side="left", sorter=None):
    """Where ``v`` would be inserted into the sorted ``a`` (NumPy's
    searchsorted), a plain integer array; piecewise constant in both."""
    return np.searchsorted(_values(a), _values(v), side=side, sorter=sorter)


@composite("nonzero", method=True, stub={"return": "tuple[NDArray[np.intp], ...]"})
def nonzero(a):
    """The indices of the nonzero elements, one integer array per axis
    (NumPy's nonzero), never recorded."""
    return np.nonzero(_values(a))


@composite("flatnonzero", stub={"return": "NDArray[np.intp]"})
def flatnonzero(a):
    """The indices of the nonzero elements of the flattened input (plain array)."""
    return np.flatnonzero(_values(a))


@composite("argwhere", stub={"return": "NDArray[np.intp]"})
def argwhere(a):
    """The indices of the nonzero elements, one row each (plain array)."""
    return np.argwhere(_values(a))
