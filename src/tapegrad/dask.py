"""Gradients over data bigger than one machine, on Dask: ``tapegrad.dask``.

    import dask.array as da
    import tapegrad as tg
    import tapegrad.dask as tgd

    def loss(w, X, y):                       # a SUM over the rows of one block
        z = X @ w
        return tg.sum(tg.maximum(z, 0) + tg.log(1 + tg.exp(-tg.abs(z))) - y * z)

    X = da.from_zarr(...)                    # chunked along axis 0 (rows)
    y = ...                                  # the same row chunks
    value, grad = tgd.value_and_grad(loss)(w, X, y)
    res = tgd.minimize(loss, w0, X, y)       # scipy.optimize.minimize over it
    J = tgd.jacobian(f, x, rows_per_task=256)

Why it is built this way:

* A loss that adds up over rows has value and gradient equal to the sums of
  the blocks' values and gradients.  Each block's pair is one task, run by
  ``tg.value_and_grad`` where the block lives; the pairs are summed by a tree
  of tasks (``split_every`` at a time), so no process ever holds more than
  ``split_every`` gradients at once and the caller receives one.
* Everything that is not a dask array (the parameters, the loss function)
  goes into the graph once per call, as one key that every block task
  depends on: a cluster ships it to each worker once, not once per block.
* Only dask's public collection API is used (``to_delayed``,
  ``dask.delayed``, ``dask.compute``, ``persist``), so the same code runs on
  the local threaded scheduler (the default: tapegrad's recording state is
  per thread, so concurrent blocks do not see each other's tapes), a process
  pool, or a ``distributed.Client`` (which ``dask.compute`` picks up).
* Exactness: each block is differentiated exactly as in one process; only
  the order of the final additions differs (block sums, then a tree), so
  results match a single-process evaluation up to floating-point
  reassociation (see ``value_and_grad``).

``import dask`` below is the dask package (absolute imports): this module is
``tapegrad.dask`` and never shadows it.  It is imported only by users who
ask for it (extra ``tapegrad[dask]``).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

import dask
import dask.array as da
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeResult

import tapegrad as tg
from tapegrad.errors import ShapeError
from tapegrad.optimize import Params, _minimize, _Tree
from tapegrad.tensor import Tensor, TensorLike

__all__ = ["value_and_grad", "minimize", "jacobian"]

log = logging.getLogger(__name__)


# ---- what runs on a worker ----------------------------------------------------------
class _Call:
    """Everything a block task needs besides its blocks: the loss, the
    non-array arguments, which of them are differentiated (and their
    structures), what to compute. One instance per call, in one graph key."""

    def __init__(self, loss, template, data_pos, diff_pos, trees, leaves, op="vg", vs=None):
        self.loss, self.template, self.data_pos = loss, template, data_pos
        self.diff_pos, self.trees, self.leaves = diff_pos, trees, leaves
        self.op, self.vs = op, vs

    def flat_loss(self, blocks):
        """The loss as a function of all differentiated leaves, for these blocks."""
        def g(*leaves):
            args = list(self.template)
            for pos, block in zip(self.data_pos, blocks):
                args[pos] = block
            start = 0
            for pos, tree in zip(self.diff_pos, self.trees):
                args[pos] = tree.rebuild(list(leaves[start:start + tree.n_leaves]))
                start += tree.n_leaves
            out = self.loss(*args)
            shape = tuple(getattr(out, "shape", np.shape(out)))
            if int(np.prod(shape)) != 1:
                raise ShapeError(f"the loss must return a scalar (the sum over the block's "
                                 f"rows), but it returned shape {shape}")
            return out
        return g


def _where(index, nblocks, rows):
    return f"block {index} of {nblocks} (rows {rows[0]}:{rows[1]})"


def _block(call, index, nblocks, rows, blocks):
    """One block's contribution, as a tuple of NumPy arrays."""
    g = call.flat_loss(blocks)
    try:
        if call.op == "vg":
            value, grads = tg.value_and_grad(g, argnums=tuple(range(len(call.leaves))))(
                *call.leaves)
            return (np.asarray(value),) + tuple(np.asarray(x) for x in grads)
        if call.op == "value":
            return (np.asarray(g(*[tg.array(l) for l in call.leaves])),)
        if call.op == "hvp":
            return tuple(np.asarray(h) for h in tg.hvp(g, tuple(call.leaves), tuple(call.vs))[1])
        tree = call.trees[0]                                    # "hess", one structure
        h = lambda z: g(*[z[a:b].reshape(s) for a, b, s in
                          zip(tree.offsets, tree.offsets[1:], tree.shapes)])
        return (np.asarray(tg.hessian(h)(tree.flatten(call.leaves))),)
    except Exception as exc:
        _name_block(exc, _where(index, nblocks, rows))
        raise


def _name_block(exc, where):
    """Say which block raised, keeping the exception's type (and traceback)."""
    note = f"raised by the loss on {where}"
    if hasattr(exc, "add_note"):                       # Python >= 3.11
        exc.add_note(note)
    elif len(exc.args) == 1 and isinstance(exc.args[0], str):
        exc.args = (f"{exc.args[0]} [{note}]",)


def _add(*parts):
    """Leafwise sum of block results, in order."""
    total = list(parts[0])
    for p in parts[1:]:
        for k, x in enumerate(p):
            total[k] = total[k] + x
    return tuple(total)


def _tree_sum(parts, split_every):
    """Sum delayed results by a tree of tasks, split_every at a time."""
    while len(parts) > 1:
        parts = [dask.delayed(_add, pure=True)(*parts[i:i + split_every])
                 if len(parts[i:i + split_every]) > 1 else parts[i]
                 for i in range(0, len(parts), split_every)]
    return parts[0]


# ---- building the graph ---------------------------------------------------------------
def _row_blocks(arrays):
    """The arrays' blocks, row block by row block, and each row block's rows.
    Axes other than 0 are merged into one chunk."""
    first = arrays[0]
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise ShapeError(f"dask array argument {i} is 0-d: data must have rows (axis 0)")
        if any(math.isnan(c) for c in a.chunks[0]):
            raise ShapeError(f"dask array argument {i} has unknown row chunk sizes: call "
                             f"compute_chunk_sizes() on it first")
        if a.chunks[0] != first.chunks[0]:
            raise ShapeError(
                f"the dask arrays must share their row chunks: the first has "
                f"{first.chunks[0]} and argument {i} has {a.chunks[0]}; rechunk one like the "
                f"other, e.g. y = y.rechunk({{0: X.chunks[0]}})")
    arrays = [a.rechunk({k: -1 for k in range(1, a.ndim)}) if a.ndim > 1
              and any(len(c) > 1 for c in a.chunks[1:]) else a for a in arrays]
    # One array of (block of each array) tuples, optimized as one graph:
    # work the arrays share (y computed from X) is done once per block and
    # their cheap elementwise steps are fused. (to_delayed of each array
    # alone would fuse a private copy of X's tasks into y's.)
    pairs, letters = [], iter("jklmnopqrstuvwxyzabcdefgh")
    for a in arrays:
        pairs += [a, "i" + "".join(next(letters) for _ in range(a.ndim - 1))]
    together = da.blockwise(_together, "i", *pairs, dtype=object,
                            meta=np.empty((0,), dtype=object))
    ends = np.cumsum((0,) + first.chunks[0])
    return list(together.to_delayed()), [(int(a), int(b)) for a, b in zip(ends, ends[1:])]


def _together(*blocks):
    # Axes other than the rows are one chunk each: blockwise hands such a
    # block inside a (nested) list of one, which is taken out, never copied
    # (concatenate=True would copy every block).
    out = []
    for b in blocks:
        while isinstance(b, list):
            b = b[0]
        out.append(b)
    return tuple(out)


def _sum_over_blocks(call, arrays, split_every, compute=True):
    """Run call.op on every row block where it lives; tree-sum the results."""
    row_blocks, rows = _row_blocks(arrays)
    # One key holds the loss, the parameters and the other arguments: every
    # block task depends on it, so it travels once per call, not per block.
    shared = dask.delayed(call, pure=False, traverse=False)
    parts = [dask.delayed(_block, pure=True)(shared, i, len(rows), r, blocks)
             for i, (blocks, r) in enumerate(zip(row_blocks, rows))]
    total = _tree_sum(parts, split_every)
    return dask.compute(total)[0] if compute else total


def _split_args(args, argnums, who):
    data_pos = [i for i, a in enumerate(args) if isinstance(a, da.Array)]
    if not data_pos:
        raise TypeError(f"{who}: no dask array among the arguments: the data (X, y, ...) must "
                        f"be dask arrays chunked along axis 0 (tg.value_and_grad is the "
                        f"in-memory version)")
    single = isinstance(argnums, (int, np.integer))
    nums = (int(argnums),) if single else tuple(int(a) for a in argnums)
    nums = tuple(a % len(args) if -len(args) <= a < len(args) else None for a in nums)
    if None in nums:
        raise ShapeError(f"{who}: argnums={argnums!r} but the function was called with "
                         f"{len(args)} argument(s)")
    clash = [a for a in nums if a in data_pos]
    if clash:
        raise TypeError(f"{who}: argnums={argnums!r} points at dask array argument {clash[0]}: "
                        f"differentiate with respect to the parameters, not the data")
    return data_pos, nums, single


def value_and_grad(loss: Callable[..., Any], argnums: int | Sequence[int] = 0,
                   split_every: int = 8) -> Callable[..., tuple[Tensor, Any]]:
    """``vg = value_and_grad(loss)``; ``value, grad = vg(params, X, y)``.

    ``loss(params, *blocks)`` returns a scalar that ADDS UP over rows (a
    sum, not a mean: divide by ``X.shape[0]`` yourself).  Arguments that are
    dask arrays are the data: chunked along axis 0 with the same row chunks
    (other axes are merged into one chunk); the loss sees one row block of
    each, as NumPy arrays.  The other arguments (tensors, arrays, numbers,
    or tuples/lists/dicts of arrays) are sent once per call; those picked by
    ``argnums`` (int or tuple) are differentiated, the gradient coming back
    in the argument's structure, as tensors, like ``tg.value_and_grad``.

    Each block's value and gradient is one task, computed by
    ``tg.value_and_grad`` where the block lives; the results are summed by a
    tree of tasks, ``split_every`` at a time.  It runs on dask's configured
    scheduler: the local threads by default, a process pool
    (``dask.config.set(scheduler='processes')``) or a cluster after
    ``distributed.Client(...)``.

    An exception raised by the loss on a block reaches the caller with its
    own type; a note (or, before Python 3.11, its message) names the block
    and its rows.

    Accuracy: the per-row terms are those of a single process (up to the
    rounding of each row's own products); what differs is the order in which
    they are added (inside each block, then the tree).  So each entry
    differs from ``tg.value_and_grad`` on the concatenated data by at most
    about (n + rows per block + tree depth) * 2**-53 * ``sum(|per-row terms|)``
    in the worst case, typically sqrt(n) times that: below 1e-12 of
    ``sum(|terms|)`` for certain up to ~9,000 rows, and in practice far beyond
    (~1e-13 at a million rows).  That is 1e-12 relative to the result itself
    when the terms do not cancel (a loss of non-negative terms); a gradient
    near the optimum is a small difference of large terms, to be compared
    with the sum of magnitudes instead.
    float32 parameters give float32 gradients, summed in float32 (2**-24).
    """
    def vg(*args):
        who = f"tapegrad.dask.value_and_grad({getattr(loss, '__name__', 'loss')})"
        data_pos, nums, single = _split_args(args, argnums, who)
        trees, leaves = [], []
        for pos in nums:
            tree = _Tree(args[pos], name=f"argument {pos}")
            trees.append(tree)
            # in their own dtypes: float32 stays float32, as in tg.value_and_grad
            leaves.extend(l.astype(d, copy=False) for l, d in zip(tree.split(tree.x0),
                                                                   tree.dtypes))
        template = [None if i in data_pos or i in nums else a for i, a in enumerate(args)]
        call = _Call(loss, template, data_pos, nums, trees, leaves)
        value, *grads = _sum_over_blocks(call, [args[i] for i in data_pos], split_every)
        out, start = [], 0
        for tree in trees:
            out.append(tree.rebuild([tg.array(g) for g in grads[start:start + tree.n_leaves]]))
            start += tree.n_leaves
        return tg.array(value), (out[0] if single else tuple(out))

    vg.__name__ = f"dask_value_and_grad({getattr(loss, '__name__', 'loss')})"
    return vg



# ---- minimize ---------------------------------------------------------------------------
class _DaskEvaluator:
    """The chunked objective for tapegrad.optimize's machinery."""

    def __init__(self, loss, tree, arrays, split_every):
        self.loss, self.tree, self.arrays, self.split_every = loss, tree, arrays, split_every
        self.template = [None] * (1 + len(arrays))
        self.data_pos = list(range(1, 1 + len(arrays)))

    def _run(self, leaves, op, vs=None):
        call = _Call(self.loss, self.template, self.data_pos, (0,), [self.tree], list(leaves),
                     op=op, vs=vs)
        return _sum_over_blocks(call, self.arrays, self.split_every)

    def value(self, leaves):
        return float(self._run(leaves, "value")[0])

    def value_and_grad(self, leaves):
        value, *grads = self._run(leaves, "vg")
        return float(value), grads

    def hvp(self, leaves, vs):
        return list(self._run(leaves, "hvp", vs=list(vs)))

    def hessian(self, flat):
        return self._run(self.tree.split(flat), "hess")[0]


def minimize(loss: Callable[..., Any], x0: Params, *arrays: da.Array,
             method: str | Callable[..., Any] | None = "L-BFGS-B", progress: bool = False,
             persist: bool = True, split_every: int = 8, **kwargs: Any) -> OptimizeResult:
    """Fit ``loss(params, *blocks)`` over dask arrays with
    ``tapegrad.optimize.minimize``'s machinery.

    ``loss`` adds up over rows, as for ``value_and_grad``; ``x0`` is an
    array or a tuple/list/dict of arrays (``result.x`` comes back in that
    structure).  The arrays are persisted once, before the first iteration
    (in the cluster's memory on a ``distributed.Client``, in this process on
    the local scheduler); ``persist=False`` recomputes them at every
    evaluation instead, for data larger than the memory available.

    Every evaluation is one ``value_and_grad`` over the blocks (Newton-type
    methods add one Hessian-vector product pass per product, dogleg and
    trust-exact one Hessian pass).  ``progress=True`` prints the iteration,
    the loss and the gradient norm after each iteration; with logging at
    INFO on ``tapegrad.dask`` the same lines go to the log.  Other keywords
    (``bounds``, ``constraints``, ``tol``, ``options``, ``callback``) are
    those of ``tapegrad.optimize.minimize``; constraints are functions of the
    parameters alone and are evaluated in this process.

    The fitted parameters agree with a single-process fit to the optimizer's
    tolerance, not to 1e-12: gradients that differ in the last bits can
    move a line search's decisions.
    """
    who = "tapegrad.dask.minimize"
    if not arrays or not all(isinstance(a, da.Array) for a in arrays):
        raise TypeError(f"{who}(loss, x0, *arrays): the data must be dask arrays chunked along "
                        f"axis 0 (tapegrad.optimize.minimize is the in-memory version)")
    _row_blocks(list(arrays))                      # check the chunks before persisting
    if persist:
        arrays = dask.persist(*arrays)
    tree = _Tree(x0)
    evaluator = _DaskEvaluator(loss, tree, list(arrays), split_every)
    return _minimize(evaluator, tree, method, who, progress=progress, logger=log, **kwargs)


# ---- jacobian ---------------------------------------------------------------------------
class _JacCall:
    def __init__(self, f, x):
        self.f, self.x = f, x

    def out_info(self):
        out = self.f(tg.array(self.x))
        return tuple(np.shape(out)), np.result_type(np.asarray(out).dtype, self.x.dtype)

    def rows(self, start, stop, dtype):
        """Rows start:stop of the Jacobian (flattened output): one batched
        reverse sweep of stop - start cotangents."""
        f = self.f
        picked = lambda x: tg.reshape(f(x), (-1,))[start:stop]
        return np.asarray(tg.jacobian(picked)(self.x), dtype=dtype)


def _out_info(call):
    return call.out_info()


def _jac_rows(call, start, stop, dtype):
    return call.rows(start, stop, dtype)


@overload
def jacobian(f: Callable[..., Any], x: TensorLike, rows_per_task: int = 128,
             compute: Literal[True] = True) -> NDArray[Any]: ...
@overload
def jacobian(f: Callable[..., Any], x: TensorLike, rows_per_task: int,
             compute: Literal[False]) -> da.Array: ...
@overload
def jacobian(f: Callable[..., Any], x: TensorLike, rows_per_task: int = 128, *,
             compute: Literal[False]) -> da.Array: ...


def jacobian(f: Callable[..., Any], x: TensorLike, rows_per_task: int = 128,
             compute: bool = True) -> NDArray[Any] | da.Array:
    """The Jacobian of ``f`` at ``x`` (shape ``f(x).shape + x.shape``), its
    rows spread over dask's workers.

    The output is flattened and cut into groups of ``rows_per_task`` rows;
    each task evaluates ``f`` once and sweeps the group's cotangents back
    together (``tg.jacobian`` of those output entries: one batched reverse
    sweep).  ``f`` and ``x`` travel once per call, as one key.  A first small
    task evaluates ``f(x)`` to learn the output's shape.

    Returns a NumPy array, or with ``compute=False`` a dask array whose
    blocks are those tasks (to keep it in the cluster or write it out).
    Entries equal ``tg.jacobian(f)(x)`` to rounding (a batch of rows may run
    through BLAS kernels other than the whole batch's: 1e-12 relative to the
    row's magnitude).
    """
    if rows_per_task < 1:
        raise ValueError(f"rows_per_task must be a positive integer, got {rows_per_task!r}")
    xv = x.asnumpy() if isinstance(x, tg.Tensor) else np.asarray(x)
    if xv.dtype not in (np.float32, np.float64):
        xv = xv.astype(np.float64)
    shared = dask.delayed(_JacCall(f, xv), pure=False, traverse=False)
    out_shape, dtype = dask.delayed(_out_info, pure=True)(shared).compute()
    m = int(np.prod(out_shape))
    starts = range(0, m, rows_per_task)
    blocks = [da.from_delayed(dask.delayed(_jac_rows, pure=True)(shared, a, b, dtype),
                              shape=(b - a,) + xv.shape, dtype=dtype)
              for a, b in zip(starts, [min(a + rows_per_task, m) for a in starts])]
    if not blocks:
        jac = da.zeros((0,) + xv.shape, dtype=dtype)
    else:
        jac = da.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0]
    if compute:
        return np.asarray(jac.compute()).reshape(out_shape + xv.shape)
    return jac.reshape(out_shape + xv.shape) if out_shape != (m,) else jac
