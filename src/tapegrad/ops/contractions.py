"""Contractions: einsum (a primitive), and dot, vdot, inner, tensordot, kron,
cross and trace built from primitives.

einsum's subscripts are normalised once, in the public function, to explicit
letters (``'...ij,jk'`` -> ``'Aij,jk->Aik'``), so every rule works on plain
labels.  Its reverse rule for operand k is again an einsum: of the incoming
gradient with the other operands (and identity matrices for a label repeated
on operand k, a diagonal), contracted with the same path optimisation as the
forward (NumPy's ``einsum_path``, cached per subscripts and shapes).  Its
tangent rule substitutes each tangent for its operand; its batching rule
gives the batched operands and the output a leading label.
"""
import string
import warnings

import numpy as np

from .. import errors
from .._core.tape import TensorBase, is_batched
from ._registry import REGISTRY, arg, composite, multilinear_jvp, primitive
from .backend import TG

LETTERS = string.ascii_uppercase + string.ascii_lowercase    # NumPy's einsum labels


def _operand(x):
    return x if isinstance(x, TensorBase) or is_batched(x) else arg(x)


def _no_out(name, out):
    if out is not None:
        raise TypeError(f"{name}: out= is not supported (tapegrad never writes into an "
                        f"existing array); use the returned tensor.")


# ---- einsum: subscripts ----------------------------------------------------------------
def _interleaved(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [sublistout]) -> (subscripts, operands),
    integer labels mapped to letters as NumPy maps them (0-25 'A'-'Z', 26-51 'a'-'z')."""
    def letters(sub):
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= int(s) < 52:
                out.append(LETTERS[int(s)])
            else:
                raise ValueError(f"einsum: subscript {s!r} in a sublist is not an integer in "
                                 f"[0, 52) or Ellipsis")
        return "".join(out)
    ops, subs = list(args[0::2]), [letters(s) for s in args[1::2]]
    if len(args) % 2:                  # an output sublist closes the list
        ops, out = ops[:-1], letters(args[-1])
        return ",".join(subs) + "->" + out, ops
    return ",".join(subs), ops


def parse_subscripts(subscripts, shapes):
    """NumPy's einsum subscripts for operands of ``shapes`` as explicit letters,
    ``'ab,bc->ac'``: ellipses become fresh letters (right-aligned, broadcast),
    an implicit output becomes the ellipsis then the labels used once, sorted."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string, got {type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    if spec.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
    lhs, arrow, rhs = spec.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(ins)} operand(s) but "
                         f"{len(shapes)} were given")
    for part in ins + [rhs]:
        rest = part.replace("...", "", 1)
        bad = [c for c in rest if c not in LETTERS]
        if bad or "..." in rest:
            raise ValueError(f"einsum: invalid subscript {bad[0] if bad else '.'!r} in "
                             f"{subscripts!r} (labels are letters, with at most one '...' "
                             f"per operand)")
    used = set(c for c in spec if c in LETTERS)
    fresh = [c for c in LETTERS if c not in used]
    nell = []
    for s, shape in zip(ins, shapes):
        k = len(s) - 3 if "..." in s else len(s)
        if "..." in s and k <= len(shape):
            nell.append(len(shape) - k)
        elif k == len(shape):
            nell.append(0)
        else:
            raise ValueError(f"einsum: operand of shape {tuple(shape)} has {len(shape)} "
                             f"dimension(s) but subscripts {s!r} name {k}")
    E = max(nell, default=0)
    if E > len(fresh):
        raise ValueError("einsum: too many labels (52 letters at most)")
    ell = "".join(fresh[:E])
    ins = [s.replace("...", ell[E - e:]) for s, e in zip(ins, nell)]
    if arrow:
        if "..." not in rhs and any(nell):
            raise ValueError("einsum: output has more dimensions than subscripts given in "
                             "einstein sum, but no '...' ellipsis provided to broadcast the "
                             "extra dimensions.")
        out = rhs.replace("...", ell)
        for c in out:
            if out.count(c) > 1:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once")
            if not any(c in s for s in ins):
                raise ValueError(f"einsum: output subscript {c!r} does not appear in the "
                                 f"operands' subscripts")
    else:
        joined = "".join(ins)
        once = sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ell)
        out = ell + "".join(once)
    _check_sizes(subscripts, ins, shapes)
    return ",".join(ins) + "->" + out


def _check_sizes(subscripts, ins, shapes):
    size = {}
    for s, shape in zip(ins, shapes):
        for c, n in zip(s, shape):
            if s.count(c) > 1 and n != shape[s.index(c)]:
                raise errors.ShapeError(
                    f"einsum {subscripts!r}: label repeated on one operand of shape "
                    f"{tuple(shape)} must have one size (a diagonal)")
            m = size.get(c, 1)
            if m != 1 and n != 1 and m != n:
                raise errors.ShapeError(
                    f"einsum {subscripts!r}: operands of shapes {[tuple(x) for x in shapes]} "
                    f"disagree on the size of a label ({m} != {n})")
            if m == 1:                      # size 1 broadcasts, as in NumPy
                size[c] = n


def _split(spec):
    lhs, out = spec.split("->")
    return lhs.split(","), out


# ---- einsum: contraction paths --------------------------------------------------------
_PATHS = {}
_PATHS_MAX = 512


def _path(spec, arrays, optimize):
    """NumPy's contraction path for these shapes (cached), or False."""
    if optimize is False or len(arrays) < 2:
        return False
    if isinstance(optimize, tuple):
        return list(optimize)
    key = (spec, tuple(a.shape for a in arrays), optimize)
    path = _PATHS.get(key)
    if path is None:
        if len(_PATHS) >= _PATHS_MAX:
            _PATHS.clear()
        path = _PATHS[key] = np.einsum_path(spec, *arrays, optimize=optimize)[0]
    return path


def _einsum_forward(*xs, spec, optimize):
    return np.einsum(spec, *xs, optimize=_path(spec, xs, optimize))


def _fresh(spec, k):
    used = set(spec)
    out = [c for c in LETTERS if c not in used][:k]
    if len(out) < k:
        raise ValueError("einsum: too many labels for the reverse rule (52 letters at most)")
    return out


def _operand_grad(B, g, xs, k, ins, out, optimize):
    """d<g, einsum(...)>/d operand k: an einsum of g with the other operands,
    identity matrices where operand k repeats a label, then broadcast over the
    labels only operand k has and summed over its broadcast (size-1) axes."""
    target = ins[k]
    shape = tuple(xs[k].shape)
    fresh = iter(_fresh("".join(ins) + out, len(target)))
    labels, eyes, seen = [], [], set()
    for c, n in zip(target, shape):
        if c in seen:                          # a diagonal: delta(c, f)
            f = next(fresh)
            eyes.append((c + f, n))
            labels.append(f)
        else:
            seen.add(c)
            labels.append(c)
    ops, specs = [g], [out]
    for j, x in enumerate(xs):
        if j != k:
            ops.append(x)
            specs.append(ins[j])
    dtype = g.dtype
    for s, n in eyes:
        ops.append(B.const(np.eye(n, dtype=dtype)))
        specs.append(s)
    avail = set("".join(specs))
    present = "".join(c for c in labels if c in avail)
    r = B.bind(REGISTRY["einsum"], *ops, spec=",".join(specs) + "->" + present,
               optimize=optimize)
    # r's axes follow ``present``; bring it to operand k's shape
    rshape = tuple(r.shape)
    pos = {c: i for i, c in enumerate(present)}
    summed = tuple(pos[c] for c, n in zip(labels, shape) if c in pos and n == 1
                   and rshape[pos[c]] != 1)
    if summed:
        r = B.sum(r, summed, keepdims=True)
    full = tuple(r.shape[pos[c]] if c in pos else 1 for c in labels)
    if full != tuple(r.shape):
        r = B.reshape(r, full)
    if full != shape:
        r = B.broadcast_to(r, shape)
    return r


def _einsum_vjp(B, g, xs, out, p, needs):
    ins, o = _split(p["spec"])
    opt = p["optimize"]
    if isinstance(opt, tuple):          # a path for the forward's operands only
        opt = "greedy"
    return tuple(_operand_grad(B, g, xs, k, ins, o, opt) if need else None
                 for k, need in enumerate(needs))


_einsum_jvp = multilinear_jvp(lambda B, ops, p: B.bind(REGISTRY["einsum"], *ops, spec=p["spec"],
                                                         optimize=p["optimize"]))


def _einsum_batch(args, p):
    ins, out = _split(p["spec"])
    b = _fresh(p["spec"], 1)[0]
    bt = next(type(a) for a in args if is_batched(a))
    specs = [b + s if is_batched(a) else s for a, s in zip(args, ins)]
    vals = [a.v if is_batched(a) else a for a in args]
    opt = p["optimize"] if not isinstance(p["optimize"], tuple) else "greedy"
    return bt.wrap(_einsum_forward(*vals, spec=",".join(specs) + "->" + b + out,
                                   optimize=opt))


def _optimize_arg(optimize):
    if optimize is False or optimize is None:
        return False
    if optimize is True:
        return "greedy"
    if optimize in ("greedy", "optimal"):
        return optimize
    if isinstance(optimize, (list, tuple)) and optimize and optimize[0] == "einsum_path":
        return tuple(optimize)
    raise ValueError(f"einsum: optimize={optimize!r}; use False, True, 'greedy', 'optimal' or "
                     f"a path from np.einsum_path")


def _cast_operands(name, ops, dtype, casting):
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"{name}: dtype={dt} is not supported (tapegrad computes in float32 "
                        f"or float64)")
    out = []
    for x in ops:
        if x.dtype != dt:
            if not np.can_cast(x.dtype, dt, casting):
                raise TypeError(f"{name}: cannot cast an operand from {x.dtype} to {dt} "
                                f"according to the rule {casting!r}")
            x = REGISTRY["cast"].public(x, dt)
        out.append(x)
    return out


def einsum(*operands, out=None, dtype=None, order="K", casting="safe", optimize=False):
    """NumPy's einsum: explicit (``'ij,jk->ik'``) and implicit output,
    ``...``, a label repeated on one operand (a diagonal), the interleaved
    form; ``optimize`` as NumPy (True/'greedy'/'optimal' or a path), used by
    the reverse rule too.  ``order`` only sets a memory layout and has no
    effect here."""
    _no_out("einsum", out)
    if not operands:
        raise TypeError("einsum: no subscripts and operands given")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _interleaved(operands)
    ops = [_operand(x) for x in ops]
    if dtype is not None:
        ops = _cast_operands("einsum", ops, dtype, casting)
    spec = parse_subscripts(subscripts, [tuple(x.shape) for x in ops])
    return REGISTRY["einsum"](*ops, spec=spec, optimize=_optimize_arg(optimize))


primitive("einsum", _einsum_forward, _einsum_vjp, _einsum_jvp, nin=-1, label="einsum({0})",
          batch=_einsum_batch, public=einsum)


# ---- built from matmul, reshape, transpose -----------------------------------------------
def _axes_list(axes, nd):
    if isinstance(axes, (int, np.integer)):
        axes = [axes]
    out = []
    for a in axes:
        a = int(a)
        if not -nd <= a < nd:
            raise np.exceptions.AxisError(a, nd)
        out.append(a % nd)
    return out


@composite("tensordot")
def tensordot(a, b, axes=2):
    """NumPy's tensordot: sum over ``axes`` (an int N: a's last N with b's
    first N; or a pair of sequences), as NumPy computes it (transpose,
    reshape, one matmul)."""
    a, b = _operand(a), _operand(b)
    sa, sb = tuple(a.shape), tuple(b.shape)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > len(sa) or n > len(sb):
            raise errors.ShapeError(f"tensordot: axes={n} for operands of shapes {sa} and {sb}")
        ax_a, ax_b = list(range(len(sa) - n, len(sa))), list(range(n))
    else:
        try:
            ax_a, ax_b = axes
        except (TypeError, ValueError):
            raise TypeError(f"tensordot: axes must be an int or a pair of sequences, got "
                            f"{axes!r}") from None
        ax_a, ax_b = _axes_list(ax_a, len(sa)), _axes_list(ax_b, len(sb))
    if len(ax_a) != len(ax_b) or any(sa[i] != sb[j] for i, j in zip(ax_a, ax_b)):
        raise errors.ShapeError(f"tensordot: shape-mismatch for sum: axes {ax_a} of {sa} and "
                                f"{ax_b} of {sb}")
    free_a = [i for i in range(len(sa)) if i not in ax_a]
    free_b = [j for j in range(len(sb)) if j not in ax_b]
    k = int(np.prod([sa[i] for i in ax_a], dtype=np.int64))
    at = _permuted(a, free_a + ax_a)
    bt = _permuted(b, ax_b + free_b)
    m = int(np.prod([sa[i] for i in free_a], dtype=np.int64))
    n = int(np.prod([sb[j] for j in free_b], dtype=np.int64))
    r = TG.matmul(TG.reshape(at, (m, k)), TG.reshape(bt, (k, n)))
    return TG.reshape(r, tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b))


def _permuted(x, perm):
    return x if perm == sorted(perm) else TG.transpose(x, tuple(perm))


@composite("dot", method=True)
def dot(a, b, out=None):
    """NumPy's dot: a product for 0-d operands, matmul for 1- and 2-D ones, and
    for N-D the sum over a's last axis and b's second-to-last."""
    _no_out("dot", out)
    a, b = _operand(a), _operand(b)
    na, nb = len(a.shape), len(b.shape)
    if na == 0 or nb == 0:
        return TG.multiply(a, b)
    if na == 1 or nb <= 2:             # matmul's broadcasting agrees with dot here
        return TG.matmul(a, b)
    return tensordot(a, b, ([na - 1], [nb - 2]))


@composite("vdot")
def vdot(a, b):
    """The dot product of the flattened operands (NumPy's vdot, for real input)."""
    a, b = _operand(a), _operand(b)
    if int(np.prod(a.shape)) != int(np.prod(b.shape)):
        raise errors.ShapeError(f"vdot: operands of shapes {tuple(a.shape)} and "
                                f"{tuple(b.shape)} have different sizes")
    return TG.matmul(TG.reshape(a, (-1,)), TG.reshape(b, (-1,)))


@composite("inner")
def inner(a, b):
    """NumPy's inner: the sum over the last axes (a product for 0-d operands)."""
    a, b = _operand(a), _operand(b)
    na, nb = len(a.shape), len(b.shape)
    if na == 0 or nb == 0:
        return TG.multiply(a, b)
    return tensordot(a, b, ([na - 1], [nb - 1]))


@composite("kron")
def kron(a, b):
    """The Kronecker product (NumPy's kron): blocks a[i] * b."""
    a, b = _operand(a), _operand(b)
    nd = max(len(a.shape), len(b.shape))
    sa = (1,) * (nd - len(a.shape)) + tuple(a.shape)
    sb = (1,) * (nd - len(b.shape)) + tuple(b.shape)
    ea = TG.reshape(a, tuple(x for n in sa for x in (n, 1)))
    eb = TG.reshape(b, tuple(x for n in sb for x in (1, n)))
    return TG.reshape(TG.multiply(ea, eb), tuple(m * n for m, n in zip(sa, sb)))


@composite("cross")
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (and, as NumPy, 2-vectors) along
    ``axisa``/``axisb`` (``axis`` sets all three), broadcasting the rest."""
    a, b = _operand(a), _operand(b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = _to_last(a, axisa)
    b = _to_last(b, axisb)
    da, db = a.shape[-1], b.shape[-1]
    if da not in (2, 3) or db not in (2, 3):
        raise errors.ShapeError(f"cross: incompatible dimensions for cross product (dimension "
                                f"must be 2 or 3), got {da} and {db}")
    if da == 2 or db == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=2)
    get = TG.getitem
    a0, a1 = get(a, (Ellipsis, 0)), get(a, (Ellipsis, 1))
    b0, b1 = get(b, (Ellipsis, 0)), get(b, (Ellipsis, 1))
    z = TG.subtract(TG.multiply(a0, b1), TG.multiply(a1, b0))
    if da == 2 and db == 2:
        return z
    if da == 3 and db == 3:
        a2, b2 = get(a, (Ellipsis, 2)), get(b, (Ellipsis, 2))
        x = TG.subtract(TG.multiply(a1, b2), TG.multiply(a2, b1))
        y = TG.subtract(TG.multiply(a2, b0), TG.multiply(a0, b2))
    elif da == 2:                                   # a2 = 0
        b2 = get(b, (Ellipsis, 2))
        x, y = TG.multiply(a1, b2), TG.negative(TG.multiply(a0, b2))
    else:                                           # b2 = 0
        a2 = get(a, (Ellipsis, 2))
        x, y = TG.negative(TG.multiply(a2, b1)), TG.multiply(a2, b0)
    shape = np.broadcast_shapes(tuple(x.shape), tuple(y.shape), tuple(z.shape))
    c = TG.stack([TG.broadcast_to(t, shape) for t in (x, y, z)], axis=-1)
    nd = len(c.shape)
    axisc = _axes_list(axisc, nd)[0]
    return c if axisc == nd - 1 else TG.transpose(c, _move_last_to(nd, axisc))


def _to_last(x, axis):
    nd = len(x.shape)
    ax = _axes_list(axis, nd)[0]
    if ax == nd - 1:
        return x
    perm = [i for i in range(nd) if i != ax] + [ax]
    return TG.transpose(x, tuple(perm))


def _move_last_to(nd, dest):
    perm = list(range(nd - 1))
    perm.insert(dest, nd - 1)
    return tuple(perm)


@composite("trace", method=True)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sum along a diagonal (NumPy's trace): ``offset`` above (>0) or below
    (<0) the main one, of the 2-D slices on ``axis1``/``axis2``."""
    _no_out("trace", out)
    a = _operand(a)
    nd = len(a.shape)
    if nd < 2:
        raise errors.ShapeError(f"trace: needs at least 2 dimensions, got shape "
                                f"{tuple(a.shape)}")
    ax1, ax2 = _axes_list([axis1, axis2], nd)
    if ax1 == ax2:
        raise ValueError("trace: axis1 and axis2 cannot be the same")
    if dtype is not None:
        a = _cast_operands("trace", [a], dtype, "unsafe")[0]
    perm = [i for i in range(nd) if i not in (ax1, ax2)] + [ax1, ax2]
    x = _permuted(a, perm)
    n1, n2 = x.shape[-2], x.shape[-1]
    offset = int(offset)
    start1, start2 = (0, offset) if offset >= 0 else (-offset, 0)
    k = max(0, min(n1 - start1, n2 - start2))
    rows = np.arange(start1, start1 + k)
    cols = np.arange(start2, start2 + k)
    return TG.sum(TG.getitem(x, (Ellipsis, rows, cols)), -1)
