"""The op registry: one entry per primitive, and everything derived from it.

Why one entry holds everything: a primitive's NumPy forward, its reverse
rule, its forward-mode (tangent) rule, its batching rule, what its node
saves, its native kernel, its public function and Tensor method, and its
label in traces and graphs sit together, so adding or auditing an op
touches one place (HIPS autograd's ``defvjp`` lines and JAX's stanzas in
``lax.py`` are the models).  The layers above derive from the registry:
``tg.<name>`` and ``tg.linalg.<name>`` (functions.py), the Tensor methods
(tensor.py), the backends rules run on (backend.py), trace labels and the
``tapegrad trace`` grammar (teaching/), the docs table.  A test walks the
registry and fails on an incomplete entry.

Rules are written against a backend ``B`` whose functions are the public
functions by NumPy's names (``B.sum``, ``B.matmul``, ``B.exp``...), so each
formula is written once and runs on arrays (``NP``, the ordinary sweep), on
recorded tensors (``TG``: create_graph, Hessians, forward mode) and on
batches (``BATCH``: Jacobians).  Signatures (``xs``: the inputs as saved,
or a ``Meta`` with only shape/dtype for an input the op does not save;
``out``: the output(s), or None when not saved; ``p``: the parameters)::

    vjp(B, g, xs, out, p, needs) -> one gradient (or None) per input, in the
                                    output's broadcast shape (the engine sums
                                    it back to the input's shape and dtype)
    jvp(B, ts, xs, out, p)       -> the output's tangent; ts[i] is None for an
                                    input with zero tangent
    batch(args, p)               -> the op on operands some of which are
                                    Batched (a leading batch axis)

A primitive with several outputs (nout > 1) gets ``g`` and returns ``out``
as tuples.
"""
import numpy as np

from .._core import tape as _tape
from .._core.arrays import as_float_dtype, to_array
from .._core.kernels import KERNELS, READS_A, READS_B, READS_Y
from .._core.tape import Meta, Primitive, TensorBase  # noqa: F401  (Meta: see rules)

#: 'exp', 'linalg.inv' -> Primitive or Composite
REGISTRY = {}
#: primitives by code (a tape node's op)
BY_CODE = []
_tape.set_registry(BY_CODE)

#: ``jvp=LINEAR``: the tangent is the op applied to the input's tangent.
LINEAR = "linear"
#: ``batch=ELEMENTWISE``: the op broadcasts, so it runs once on the whole
#: batch (the batch axis leading, unbatched operands lifted to match).
ELEMENTWISE = "elementwise"
#: ``batch=LOOP``: the op runs once per example (declared where no batching
#: rule exists: correct, not fast).
LOOP = "loop"

#: Constant local derivatives of linear elementwise ops.
ONE = object()
MINUS_ONE = object()


class Composite:
    """A public function built from primitives (mean, softmax, var...): no
    rules of its own; its derivatives are its primitives'."""

    def __init__(self, name, fn, namespace="", method=None, numpy=None, stub=None):
        self.name = name
        self.namespace = namespace
        self.public = fn
        self.method = method
        self.grammar = ()
        self.internal = False
        self.fold = None
        # the NumPy function with the same signature, which the array
        # backend calls directly (default: NumPy's function of that name)
        self.numpy = numpy if numpy is not None else _numpy_function(name, namespace)
        self.stub = _check_stub(name, stub)

    def __repr__(self):
        return f"<composite {self.namespace + '.' if self.namespace else ''}{self.name}>"


def qualname(entry):
    return f"{entry.namespace}.{entry.name}" if entry.namespace else entry.name


def _check_kernel(prim, kernel):
    """The kernel row named like the primitive, and what it reads matching
    what the entry saves (the row and the entry must agree)."""
    if not kernel:
        return 0
    info = KERNELS.get(prim_name := prim.name)
    if info is None:
        raise ValueError(f"primitive {prim_name!r} says kernel=True but csrc/tg_kernels.def "
                         f"has no row {prim_name!r}")
    reads = info.reads
    saved = set(prim.saves)
    need = {0} if reads & READS_A else set()
    if reads & READS_B:
        need.add(1)
    if not need <= saved:
        raise ValueError(f"kernel {prim_name!r} reads inputs {sorted(need)} but the entry saves "
                         f"{sorted(saved)}")
    if reads & READS_Y and not prim.save_out:
        raise ValueError(f"kernel {prim_name!r} reads the output but the entry does not save it")
    return info.id


def register(prim):
    """Validate and add a Primitive or Composite; returns it."""
    key = qualname(prim)
    if key in REGISTRY:
        raise ValueError(f"{key!r} registered twice")
    if isinstance(prim, Primitive):
        for field in ("forward", "vjp", "jvp"):
            if not callable(getattr(prim, field)):
                raise TypeError(f"primitive {key!r} has no {field} rule")
        if prim.batch is None:
            raise TypeError(f"primitive {key!r} declares no batching rule (a rule, "
                            f"ELEMENTWISE or LOOP)")
        prim.code = len(BY_CODE)
        BY_CODE.append(prim)
    REGISTRY[key] = prim
    return prim


def unregister(prim):
    """Remove the entry registered last (tests that define a toy primitive)."""
    key = qualname(prim)
    if REGISTRY.get(key) is not prim:
        raise ValueError(f"{key!r} is not registered")
    if isinstance(prim, Primitive):
        if not BY_CODE or BY_CODE[-1] is not prim:
            raise ValueError(f"only the last registered primitive can be removed, not {key!r}")
        BY_CODE.pop()
        prim.code = -1
    del REGISTRY[key]


def primitive(name, forward, vjp, jvp, *, nin=1, nout=1, saves=(), save_out=False,
              kernel=False, label=None, linear=False, elementwise=False, batch=None,
              namespace="", public=None, method=None, operator=None, grammar=(),
              dlabels=None, latex=None, numpy=None, doc=None, internal=False, fold=None,
              stub=None):
    """Define and register a primitive.

    ``jvp=LINEAR`` derives the tangent rule (the op applied to the tangent).
    ``public``: the NumPy-signature function ``tg.<name>`` (None: internal).
    ``method``: the Tensor method's name (True: ``name``).  ``operator``:
    the Tensor operator it implements ('add', 'mul', ...).  ``grammar``: the
    names the ``tapegrad trace`` command accepts for it.  ``dlabels``: the
    local partial derivatives as text for the trace tables (``{0}``, ``{1}``
    the operands, ``{y}`` the output).  ``latex``: its name in Markdown
    traces; a callable ``dlabels(k, names, consts, y, fmt)`` writes them
    itself.  ``fold``: 'always' (casts, copies) or 'shape' (reshapes that
    keep the values): evaluation traces fold it into the row it came from.
    ``numpy``: the NumPy function with the public signature, which
    the array backend calls directly (default: NumPy's function of that
    name, when it exists).  ``internal``: the public function serves the
    backends (rules call it) but is not exported as ``tg.<name>``.  ``stub``:
    what the type stubs (tools/gen_stubs.py) cannot derive from the public
    function's signature, as stub text: ``{'return': 'list[Tensor]'}``,
    ``{'args': 'int | Sequence[int]'}`` (a parameter's type), or
    ``{'overloads': ('(x: TensorLike) -> Tensor', ...)}`` when the result's
    type depends on the arguments (default: Tensor, or a tuple of ``nout``
    tensors)."""
    if jvp == LINEAR:
        jvp = _linear_jvp(name, namespace)
    prim = Primitive(name, forward, vjp, jvp, nin=nin, nout=nout, saves=saves,
                     save_out=save_out, kernel=0, label=label, linear=linear,
                     elementwise=elementwise, batch=batch, namespace=namespace)
    prim.kernel = _check_kernel(prim, kernel)
    prim.reads = KERNELS[name].reads if kernel else 0
    prim.scalar = bool(kernel) and KERNELS[name].kind in (1, 2)
    prim.public = public
    prim.internal = internal
    prim.method = name if method is True else method
    prim.operator = operator
    prim.grammar = (name,) if grammar is True else tuple(grammar)
    prim.dlabels = dlabels
    prim.latex = latex
    prim.fold = fold
    prim.stub = _check_stub(name, stub)
    if numpy is None and public is not None:
        numpy = _numpy_function(name, namespace)
    prim.numpy = numpy
    if public is not None:
        public.__name__ = name
        public.__qualname__ = name
        if doc is not None:
            public.__doc__ = doc
    return register(prim)


def composite(name, namespace="", method=None, numpy=None, stub=None):
    """Decorator: register a public function built from primitives.
    ``numpy``, ``stub``: as for primitive() (a composite returns a Tensor
    unless ``stub`` says otherwise)."""
    def deco(fn):
        register(Composite(name, fn, namespace, name if method is True else method, numpy,
                           stub))
        return fn
    return deco


def _check_stub(name, stub):
    """An entry's ``stub``: a dict of stub text (see primitive())."""
    stub = dict(stub or {})
    for key, value in stub.items():
        if key == "overloads":
            ok = isinstance(value, tuple) and value and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise TypeError(f"entry {name!r}: stub[{key!r}] must be stub text (a str; "
                            f"'overloads': a tuple of signatures), got {value!r}")
    if "overloads" in stub and "return" in stub:
        raise TypeError(f"entry {name!r}: stub gives 'overloads' or 'return', not both")
    return stub


def _numpy_function(name, namespace):
    """NumPy's function ``name`` in ``namespace`` ('' or 'linalg'), or None.
    Not for 'fft': NumPy's transforms return complex arrays where tg.fft's
    return real and imaginary parts on a trailing axis, so they are never
    the same function (an entry may still name one explicitly)."""
    mod = {"": np, "linalg": np.linalg}.get(namespace)
    return getattr(mod, name, None) if mod is not None else None


def _linear_jvp(name, namespace):
    key = f"{namespace}.{name}" if namespace else name

    def jvp(B, ts, xs, out, p):
        return B.bind(REGISTRY[key], ts[0], **p)
    return jvp


def public_entries(namespace=""):
    """The entries exported as public functions of ``namespace``, by name."""
    return {e.name: e for e in REGISTRY.values()
            if e.namespace == namespace and getattr(e, "public", None) is not None
            and not getattr(e, "internal", False)}


# ---- NumPy's other names ---------------------------------------------------------
#: The one table of the names NumPy (and the array API) gives an entry besides
#: its own: NumPy name -> the registry entry's qualified name.  A key
#: 'linalg.<name>' is ``np.linalg.<name>`` and ``tg.linalg.<name>``.  The public
#: namespaces export each alias as the entry's own function (``tg.acos is
#: tg.arccos``; functions.py, linalg.py) and NumPy's protocols map NumPy's
#: function of that name to the entry (protocols.py); an alias whose entry does
#: not exist, or that names an entry of its own, is left out.
ALIASES = {
    "amax": "max", "amin": "min", "fabs": "abs", "around": "round", "true_divide": "divide",
    "positive": "copy", "conjugate": "copy", "conj": "copy", "real": "copy",
    "concat": "concatenate", "permute_dims": "transpose", "row_stack": "vstack",
    "absolute": "abs", "acos": "arccos", "acosh": "arccosh", "asin": "arcsin",
    "asinh": "arcsinh", "atan": "arctan", "atan2": "arctan2", "atanh": "arctanh",
    "pow": "power", "mod": "remainder",
    "matrix_transpose": "linalg.matrix_transpose", "vecdot": "linalg.vecdot",
    "linalg.matmul": "matmul", "linalg.outer": "outer", "linalg.tensordot": "tensordot",
    "linalg.cross": "cross",
}


def alias_entry(name, namespace=""):
    """The public entry the alias ``name`` of ``namespace`` names, or None."""
    target = ALIASES.get(f"{namespace}.{name}" if namespace else name)
    e = REGISTRY.get(target) if target is not None else None
    if e is None or getattr(e, "public", None) is None or getattr(e, "internal", False):
        return None
    return e


def public_aliases(namespace=""):
    """{alias: entry} exported in ``namespace`` besides the entries' own names."""
    own = public_entries(namespace)
    out = {}
    for key in ALIASES:
        ns, _, name = key.rpartition(".")
        if ns == namespace and name not in own:
            e = alias_entry(name, namespace)
            if e is not None:
                out[name] = e
    return out


# ---- operands ------------------------------------------------------------------
def arg(x):
    """A public function's array operand: tensors (and batches) as they are,
    a list or tuple holding tensors stacked (recorded, see ``as_tensor``),
    anything else a float32/float64 array (integers become float64)."""
    if isinstance(x, TensorBase) or type(x) is np.ndarray and x.dtype.kind == "f":
        return x
    if _tape.is_batched(x):
        return x
    if (type(x) is list or type(x) is tuple) and holds_tensor(x):
        return _stack_nested(x)
    return to_array(x, copy=False)


def holds_tensor(seq):
    """Whether a (nested) list or tuple holds a tensor or a batch."""
    for e in seq:
        t = type(e)
        if t is float or t is int:
            continue
        if isinstance(e, TensorBase) or _tape.is_batched(e):
            return True
        if (t is list or t is tuple) and holds_tensor(e):
            return True
    return False


def _stack_nested(x):
    """Nested lists holding tensors as one recorded tensor: each level a
    ``stack`` of its pieces, numbers and arrays as constants (the dtype is
    NumPy's for the values: float32 only when every piece is float32)."""
    if (type(x) is list or type(x) is tuple) and holds_tensor(x):
        return REGISTRY["stack"].public([_stack_nested(e) for e in x])
    if isinstance(x, TensorBase) or _tape.is_batched(x):
        return x
    return to_array(x, copy=False)


def as_tensor(data, dtype=None, copy=True):
    """``data`` as a recorded tensor when it is a tensor or a (nested) list or
    tuple holding tensors, else None (plain data: the caller converts it).
    A tensor is copied (``copy``) or returned as it is, a list stacked, then
    cast to ``dtype``: every step recorded, so no gradient is dropped."""
    if isinstance(data, TensorBase):
        t = REGISTRY["copy"].public(data) if copy and (
            dtype is None or np.dtype(dtype) == data._data.dtype) else data
    elif (type(data) is list or type(data) is tuple) and holds_tensor(data):
        t = _stack_nested(data)
    else:
        return None
    if dtype is not None:
        dt = as_float_dtype(dtype)
        if t._data.dtype != dt:
            t = REGISTRY["cast"].public(t, dt)
    return t


_tape.set_arg_converter(arg)


def dtype_of(x):
    return x._data.dtype if isinstance(x, TensorBase) else x.dtype


# ---- elementwise entries -------------------------------------------------------
def _mul_opt(g, d):
    """g * d, where d may be ONE or MINUS_ONE."""
    if d is ONE:
        return g
    if d is MINUS_ONE:
        return -g
    return g * d


def _saves(saves, nin):
    """'x', 'y', 'xy', 'ab', 'by'... -> (input positions saved, save_out)."""
    names = "x" if nin == 1 else "ab"
    return tuple(i for i, c in enumerate(names) if c in saves), "y" in saves


def multilinear_jvp(apply):
    """The forward rule of an op linear in each input separately (matmul,
    einsum, convolve): the sum, over the inputs with a tangent, of the op
    with that input replaced by its tangent.  ``apply(B, operands, p)``."""
    def jvp(B, ts, xs, out, p):
        acc = None
        for k, t in enumerate(ts):
            if t is None:
                continue
            ops = list(xs)
            ops[k] = t
            term = apply(B, ops, p)
            acc = term if acc is None else acc + term
        return acc
    return jvp


def partial_rules(partials):
    """(vjp, jvp) of an elementwise op from its local partial derivatives
    ``partials[i](B, xs, y, p)``, d out / d xs[i]: the reverse rule
    multiplies the incoming gradient by each, forward mode sums the tangents
    times them (ONE and MINUS_ONE cost no multiply)."""
    nin = len(partials)

    def vjp(B, g, xs, out, p, needs):
        xs = _in_dtype(B, xs, g.dtype)
        return tuple(_mul_opt(g, partials[i](B, xs, out, p)) if needs[i] else None
                     for i in range(nin))

    def jvp(B, ts, xs, out, p):
        xs = _in_dtype(B, xs, out.dtype)
        acc = None
        for i in range(nin):
            if ts[i] is None:
                continue
            term = _mul_opt(ts[i], partials[i](B, xs, out, p))
            acc = term if acc is None else acc + term
        return acc
    return vjp, jvp


def elementwise(name, forward, partials, *, nin=1, saves="x", kernel=False, label=None,
                linear=False, public=None, method=None, operator=None, grammar=(),
                dlabels=None, latex=None, numpy=None, doc=None, namespace="", fold=None):
    """An elementwise primitive from its local partial derivatives.

    ``partials[i](B, xs, y, p)`` is d out / d xs[i] elementwise; the same
    function serves the reverse rule (g * d), forward mode (t * d), batching
    (elementwise) and, through ``B`` = TG, every higher order.  Return ONE or
    MINUS_ONE for the constant partials of linear ops."""
    sv, save_out = _saves(saves, nin)
    vjp, jvp = partial_rules(partials)
    prim = primitive(name, forward, vjp, jvp, nin=nin, saves=sv, save_out=save_out,
                     kernel=kernel, label=label, linear=linear, elementwise=True,
                     batch=ELEMENTWISE, namespace=namespace, public=public, method=method,
                     operator=operator, grammar=grammar, dlabels=dlabels, latex=latex,
                     numpy=numpy, doc=doc, fold=fold)
    prim.partials = tuple(partials)
    return prim


def _in_dtype(B, xs, dtype):
    """The operands in the result's dtype, for the partials: float32 rounding
    must not enter a float64 derivative (1/b of a float32 constant b in
    d(a/b)/da, log(a) of a float32 base in d(a**b)/db were float32-accurate)."""
    for x in xs:
        dt = getattr(x, "dtype", dtype)
        if dt != dtype and type(x) is not Meta:
            break
    else:
        return xs                       # the common case: one dtype
    out = []
    for x in xs:
        if type(x) is Meta or getattr(x, "dtype", dtype) == dtype:
            out.append(x)
        elif B.native:
            out.append(np.asarray(x, dtype=dtype))
        else:
            out.append(B.cast(x, dtype))
    return tuple(out)


def out_shape(xs, out):
    if out is not None:
        return out.shape
    return np.broadcast_shapes(*[x.shape for x in xs])
