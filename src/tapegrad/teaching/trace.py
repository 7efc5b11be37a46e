"""Evaluation traces: the tables of the autodiff tutorials, computed.

Why it works this way: the trace is not re-derived from a formula, it is
*observed*.  ``evaluation_trace`` runs the user's function once, under
``record()`` and inside ``tg.jvp`` (forward mode), with an observer
(the thread state's ``observers``) that sees every primitive as the dispatch runs
it.  Each primitive whose inputs depend on an input becomes a row: its
value is the primal, its forward-mode tangent is the tangent column, and one
reverse sweep (``autograd.grad`` on every row tensor) gives the adjoints.
So the three tables show what tapegrad actually computed, in the order it
computed it.  (The observer skips the ops a forward-mode rule runs to push
tangents: while the dispatch computes the tangents of level L it lowers
``STATE.max_level`` below L.)

Rows are named as in the tutorials: with ``n`` inputs, the inputs are
``v_{1-n} .. v_0`` and the operations ``v_1, v_2, ...`` (``v_{10}`` from ten
on).  A row's ``expr`` is the primitive's ``label`` (``'{0} * {1}'``,
``'ln({0})'``) filled with the names of earlier rows; constants appear as
numbers.  Plumbing that is not elementary to a reader (casts, copies,
reshapes that keep the values) is folded into the row it came from, and rows
the output does not depend on are dropped, so the last row is the output.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from .. import autograd, errors
from .._core.tape import DEFAULT_RUNNER, get_state
from ..ops import NP, REGISTRY
from ..ops._registry import qualname
from ..tensor import Tensor
from ..transforms import jvp

__all__ = ["evaluation_trace", "EvaluationTrace", "TraceRow"]

#: a row's number: a float for a scalar row, else an array
Value = float | NDArray[np.floating[Any]]


def _entry(op):
    return REGISTRY.get(op) if op is not None else None


class TraceRow:
    """One row of an evaluation trace.

    ``name`` ('v_1'), ``expr`` ('v_{-1} * v_0'), ``value`` (the primal),
    ``tangent`` (d row / d input ``wrt``, forward mode), ``adjoint`` (d output
    / d row, reverse mode).  Numbers are Python floats for scalar rows and
    NumPy arrays otherwise.  ``op`` is the primitive's registry key ('mul',
    'special.erf'; None for an input) and ``args`` the operands: row indices (ints) or constants
    (``_Const``); ``partials`` the local derivative of the row with respect to
    each operand (a float, None for a constant or a non-scalar row): the
    numbers on the edges of the graph, whose products along the paths the
    chain rule sums into ``adjoint``.
    """

    __slots__ = ("name", "expr", "value", "tangent", "adjoint", "op", "args", "index",
                 "partials")
    name: str
    expr: str
    value: Value
    tangent: Value
    adjoint: Value
    op: str | None
    args: tuple[int | _Const, ...]
    index: int
    partials: tuple[float | None, ...]

    def __init__(self, name: str, expr: str, value: Value, tangent: Value, adjoint: Value,
                 op: str | None = None, args: tuple[int | _Const, ...] = (), index: int = 0,
                 partials: tuple[float | None, ...] = ()) -> None:
        self.name = name
        self.expr = expr
        self.value = value
        self.tangent = tangent
        self.adjoint = adjoint
        self.op = op
        self.args = args
        self.index = index
        self.partials = partials

    def __repr__(self) -> str:
        return (f"TraceRow({self.name} = {self.expr}: value={self.value!r}, "
                f"tangent={self.tangent!r}, adjoint={self.adjoint!r})")


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: Value) -> None:
        self.value = value

    def text(self) -> str:
        return _fmt_const(self.value)


def _fmt_const(v: Value) -> str:
    a = np.asarray(v)
    if a.size == 1:
        x = float(a.reshape(-1)[0])
        if x == int(x) and abs(x) < 1e15:
            s = str(int(x))
        else:
            s = f"{x:.6g}"
        return f"({s})" if x < 0 else s
    if a.size <= 4:
        return "[" + ", ".join(_fmt_const(e).strip("()") for e in a.reshape(-1)) + "]"
    return f"const{tuple(a.shape)}"


def _row_name(k):
    return f"v_{k}" if 0 <= k <= 9 else f"v_{{{k}}}"


def _scalar(arr):
    arr = np.asarray(arr)
    if arr.size == 1:
        return float(arr.reshape(-1)[0])
    return arr.copy()


# ---- building -----------------------------------------------------------------
class _Builder:
    """The observer: turns the primitives it sees into provisional rows."""

    def __init__(self, n_inputs):
        self.rows = []          # [op, args, tensor, label]
        self.by_id = {}         # id(tensor) -> row index (folded tensors share one)
        self.keep = []          # every tensor seen, so ids are not reused meanwhile
        self.slots = {}         # (id(tape), slot) -> row index, for custom Functions
        self.level = None
        self.n_inputs = n_inputs

    def add_input(self, t):
        self.by_id[id(t)] = len(self.rows)
        self.keep.append(t)
        self.rows.append([None, (), t, None])

    def _row_of(self, a):
        if not isinstance(a, Tensor):
            return None
        r = self.by_id.get(id(a))
        if r is None and a._tape is not None:
            r = self._function_row(a)
        return r

    def _slot_row(self, tape, slot):
        r = self.slots.get((id(tape), slot))
        if r is not None:
            return r
        for k in range(self.n_inputs):           # inputs are leaves of the tape
            t = self.rows[k][2]
            if tape.leaf_slots.get(id(t)) == slot and tape.slot_leaf.get(slot) is t:
                self.slots[(id(tape), slot)] = k
                return k
        return None

    def _function_row(self, t):
        """A row for an output of a custom autograd.Function (whose own ops
        ran paused and unrecorded): read its node off the tape."""
        tape = t._tape
        node = tape.producer_of(t._slot)
        if node < 0:
            return None
        op, in_slots, out_slots, rec = tape.node(node)
        if op >= 0 or rec is None:
            return None
        args = []
        for s in in_slots:
            r = self._slot_row(tape, s) if s >= 0 else None
            args.append(r if r is not None else _Const(np.nan))
        if not any(isinstance(a, int) for a in args):
            return None
        label = f"{rec[0].name}(" + ", ".join("{%d}" % i for i in range(len(args))) + ")"
        if len(out_slots) > 1:
            label += f"[{out_slots.index(t._slot)}]"
        return self._new_row(rec[0].name, args, t, label)

    def _new_row(self, op, args, t, label):
        r = len(self.rows)
        self.rows.append([op, tuple(args), t, label])
        self.by_id[id(t)] = r
        self.keep.append(t)
        if t._tape is not None:
            self.slots[(id(t._tape), t._slot)] = r
        return r

    def __call__(self, prim, args, params, res):
        st = get_state()
        if self.level is not None and st.max_level < self.level:
            return              # an op of a tangent rule, not of the function
        self.keep.append(res)
        ins = []
        any_row = False
        for a in args:
            r = self._row_of(a)
            if r is None:
                ins.append(_Const(_scalar(a._data if isinstance(a, Tensor) else a)))
            else:
                ins.append(r)
                any_row = True
        if not any_row or res._tape is None:
            return              # a constant, or computed outside the recording (pause)
        if len(ins) == 1 and isinstance(ins[0], int) and _folds(prim, args[0], res):
            self.by_id[id(res)] = ins[0]
            if res._tape is not None:
                self.slots[(id(res._tape), res._slot)] = ins[0]
            return
        self._new_row(qualname(prim), ins, res, prim.label)


def _folds(prim, x, res):
    """Plumbing that is not elementary to a reader: an entry marked
    fold='always' (casts, copies) or fold='shape' (reshapes and the like,
    when they keep the values)."""
    fold = getattr(prim, "fold", None)
    if fold == "always":
        return True
    if fold == "shape":
        return res.size == x.size and (res.shape == x.shape or res.size == 1)
    return False


def _label(label, names, op):
    try:
        if label.count("{0}") and "{1}" not in label and len(names) > 1:
            return label.format(", ".join(names))   # variadic: concat, stack
        return label.format(*names)
    except (IndexError, KeyError, ValueError):
        return f"{op}({', '.join(names)})"


def evaluation_trace(f: Callable[..., Any], *inputs: float | Tensor, wrt: int | str = 0,
                     names: Sequence[str] | None = None) -> EvaluationTrace:
    """The evaluation trace of scalar function ``f`` at scalar ``inputs``.

    Returns an :class:`EvaluationTrace` whose ``rows`` hold one row per input
    and per elementary operation, in evaluation order; the last row is the
    output.  Each row has ``name`` ('v_{-1}', 'v_0', 'v_1', ...), ``expr``
    (in terms of earlier rows, e.g. 'v_{-1} * v_0', 'ln(v_{-1})'),
    ``value`` (primal), ``tangent`` (its derivative with respect to input
    ``wrt``, computed by forward mode) and ``adjoint`` (derivative of the
    output with respect to it, computed by reverse mode).  ``wrt`` is an
    input's position or its name; ``names`` names the inputs (default
    ``x_1, x_2, ...``).

    ``str(trace)`` prints Tables 1-3 of the tutorials (forward primal,
    forward tangent and reverse adjoint traces); ``trace.to_markdown()``
    gives them as Markdown; ``tg.to_dot(trace)`` draws the graph.

    >>> import tapegrad as tg
    >>> t = tg.evaluation_trace(lambda x1, x2: x1 * x2 + x2 - tg.log(x1), 3.0, -4.0)
    >>> [r.name for r in t.rows]
    ['v_{-1}', 'v_0', 'v_1', 'v_2', 'v_3', 'v_4']
    >>> t.rows[2].expr, t.rows[-1].expr
    ('v_{-1} * v_0', 'v_2 - v_3')
    >>> round(t.output, 4), round(t.rows[0].adjoint, 4), t.rows[1].adjoint
    (-17.0986, -4.3333, 4.0)
    """
    n = len(inputs)
    if n == 0:
        raise ValueError("evaluation_trace needs at least one input value")
    if names is None:
        names = [f"x_{i + 1}" for i in range(n)]
    names = [str(s) for s in names]
    if len(names) != n:
        raise ValueError(f"got {len(names)} names for {n} inputs")
    if isinstance(wrt, str):
        if wrt not in names:
            raise ValueError(f"wrt={wrt!r} is not an input name; the inputs are "
                             f"{', '.join(names)}")
        wrt = names.index(wrt)
    if not isinstance(wrt, (int, np.integer)) or not -n <= wrt < n:
        raise ValueError(f"wrt={wrt!r} must be an input position in range({n}) or a name")
    wrt = int(wrt) % n
    values = []
    for i, x in enumerate(inputs):
        arr = np.asarray(x._data if isinstance(x, Tensor) else x)
        if arr.size != 1 or arr.dtype.kind not in "biuf":
            raise errors.ShapeError(
                f"evaluation_trace takes scalar inputs; input {i} ({names[i]}) is "
                f"{errors.describe(arr) if arr.dtype.kind in 'biuf' else type(x).__name__}: "
                f"pass a number, or trace a scalar function of it.")
        dt = arr.dtype if arr.dtype.kind == "f" else np.float64
        values.append(np.array(arr.reshape(()), dtype=dt))

    b = _Builder(n)
    box = {}

    def run(*xs):
        for x in xs:
            x.attach_grad()
            b.add_input(x)
        b.level = max(xs[wrt]._tangents)         # the level tg.jvp just opened
        with autograd.record(train_mode=autograd.is_training()):
            out = f(*xs)
        box["out"] = out
        return out if isinstance(out, Tensor) else Tensor(out)

    st = get_state()
    saved = st.observers
    st.observers = tuple(saved) + (b,)
    try:
        with autograd.pause(train_mode=autograd.is_training()):
            tangents = [np.ones((), v.dtype) if i == wrt else np.zeros((), v.dtype)
                        for i, v in enumerate(values)]
            _, t_out = jvp(run, tuple(Tensor._wrap(v) for v in values), tuple(tangents))
    finally:
        st.observers = saved
    return _finish(b, box["out"], t_out, names, wrt, getattr(f, "__name__", "f"))


def _finish(b, out, t_out, names, wrt, fname):
    n = b.n_inputs
    level = b.level
    if isinstance(out, Tensor) and out.size != 1:
        raise errors.ShapeError(
            f"evaluation_trace needs a scalar function; {fname} returned shape {out.shape}")
    out_row = b._row_of(out) if isinstance(out, Tensor) else None
    if out_row is None:                          # a constant output
        val = out._data if isinstance(out, Tensor) else np.asarray(out, dtype=np.float64)
        t = out if isinstance(out, Tensor) else Tensor(val)
        b.rows.append([None, (_Const(_scalar(val)),), t, "{0}"])
        out_row = len(b.rows) - 1
    elif out_row < n:                            # f returned an input itself
        b.rows.append(["copy", (out_row,), b.rows[out_row][2], "{0}"])
        out_row = len(b.rows) - 1

    # keep the inputs and the output's ancestors (walk back: rows are topological)
    live = set(range(n)) | {out_row}
    for r in range(out_row, n - 1, -1):
        if r in live:
            live.update(a for a in b.rows[r][1] if isinstance(a, int))
    order = [r for r in range(len(b.rows)) if r in live and r <= out_row]
    new_index = {r: i for i, r in enumerate(order)}

    tensors = [b.rows[r][2] for r in order]
    head = b.rows[out_row][2]
    if head._tape is not None:
        adj = autograd.grad([head], tensors, retain_graph=True)
        adjoints = [_scalar(g._data) for g in adj]
    else:                                        # a constant, or an input itself
        adjoints = [_scalar(np.ones_like(t._data) if t is head else np.zeros_like(t._data))
                    for t in tensors]
    adjoints[-1] = _scalar(np.ones_like(head._data))   # d y / d y

    rows = []
    for i, r in enumerate(order):
        op, args, t, label = b.rows[r]
        k = i - n + 1
        name = _row_name(k)
        args = tuple(new_index[a] if isinstance(a, int) else a for a in args)
        if i < n:
            expr = names[i]
            op = None
        else:
            arg_names = [rows[a].name if isinstance(a, int) else a.text() for a in args]
            expr = _label(label, arg_names, op)
        tg = t._tangents.get(level) if t._tangents else None
        tangent = _scalar(tg._data) if tg is not None else _scalar(np.zeros_like(t._data))
        partials = _local_partials(t, args) if i >= n else ()
        rows.append(TraceRow(name, expr, _scalar(t._data), tangent, adjoints[i], op, args, i,
                             partials))
    if t_out is not None and rows[-1].op is not None and np.size(rows[-1].value) == 1:
        # the tangent jvp handed back must be the output row's own
        rows[-1].tangent = _scalar(t_out._data)
    return EvaluationTrace(rows, names, wrt, fname)


def _local_partials(t, args):
    """d t / d (each operand), from the node's own reverse rule with a unit
    cotangent (the record is still alive: the adjoints used retain_graph)."""
    none = tuple(None for _ in args)
    if t.size != 1:
        return none
    if t._tape is None:                          # an input returned as the output
        return tuple(1.0 if isinstance(a, int) else None for a in args)
    tape = t._tape
    node = tape.producer_of(t._slot)
    if node < 0:                                 # an input returned as the output
        return tuple(1.0 if isinstance(a, int) else None for a in args)
    op, in_slots, out_slots, rec = tape.node(node)
    if rec is None or len(in_slots) != len(args):
        return none
    g_outs = [np.ones(*tape.slot_meta(s)) if s == t._slot else None for s in out_slots]
    needs = tuple(s >= 0 for s in in_slots)
    with autograd.pause():
        gs = DEFAULT_RUNNER.run_rule(tape, node, rec, g_outs, needs, NP)
    out = []
    for a, g in zip(args, gs):
        if not isinstance(a, int) or g is None:
            out.append(None)
        else:
            g = g._data if isinstance(g, Tensor) else np.asarray(g)
            out.append(float(np.sum(g)))
    return tuple(out)


# ---- rendering ------------------------------------------------------------------
def _fmt_num(v: Value, digits: int) -> str:
    a = np.asarray(v)
    if a.size != 1:
        return np.array2string(a, precision=digits, separator=", ", suppress_small=True)
    x = float(a.reshape(-1)[0])
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) >= 1e9 or abs(x) < 10.0 ** -digits:
        return f"{x:.{digits}e}"
    s = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _width(s):
    return sum(0 if unicodedata.combining(c) else 1 for c in s)


def _ljust(s, w):
    return s + " " * (w - _width(s))


def _align_decimals(strs):
    """Right-justify numbers so that their decimal points line up."""
    parts = []
    for s in strs:
        if "[" in s or "e" in s or "n" in s:
            parts.append((s, ""))
            continue
        i = s.find(".")
        parts.append((s, "") if i < 0 else (s[:i], s[i:]))
    wl = max((_width(p[0]) for p in parts), default=0)
    wr = max((_width(p[1]) for p in parts), default=0)
    return [" " * (wl - _width(a)) + a + _ljust(c, wr) for a, c in parts]


class _Plain:
    mul = " * "

    @staticmethod
    def sym(name):
        return name

    @staticmethod
    def dot(name):
        return name[0] + "\u0307" + name[1:]     # v̇_1

    @staticmethod
    def bar(name):
        return name[0] + "\u0304" + name[1:]     # v̄_1

    @staticmethod
    def expr(s):
        return s


def _latex_names():
    """Function name as it appears in a label -> its LaTeX, from the entries
    that give one ('ln({0})' with latex '\\ln')."""
    out = {"sign": "\\operatorname{sign}"}       # appears in partial-derivative text
    for e in REGISTRY.values():
        latex = getattr(e, "latex", None)
        m = re.fullmatch(r"(\w+)\(\{0\}\)", getattr(e, "label", "") or "")
        if latex and m:
            out[m.group(1)] = latex
    return out


class _Latex:
    mul = " \\times "
    _FUNCS = _latex_names()

    @staticmethod
    def sym(name):
        return name

    @staticmethod
    def dot(name):
        return "\\dot " + name

    @staticmethod
    def bar(name):
        return "\\bar " + name

    @classmethod
    def expr(cls, s):
        s = s.replace(" ** ", "^").replace(" * ", " \\times ").replace("|", "\\vert ")
        s = re.sub(r"\^(\(?-?[\w.{}]+\)?)", lambda m: "^{" + m.group(1) + "}", s)
        s = re.sub(r"\b(" + "|".join(cls._FUNCS) + r")\(",
                   lambda m: cls._FUNCS[m.group(1)] + "(", s)
        return s


def _partial_text(row: TraceRow, k: int, rows: Sequence[TraceRow]) -> str:
    """d row / d (operand k) as text in the operands' names."""
    names = [rows[a].name if isinstance(a, int) else a.text() for a in row.args]
    e = _entry(row.op)
    tmpl = getattr(e, "dlabels", None)
    if callable(tmpl):
        # the entry writes it: consts[i] is operand i's value if a constant
        consts = [float(np.asarray(a.value).reshape(-1)[0])
                  if isinstance(a, _Const) and np.size(a.value) == 1 else None
                  for a in row.args]
        return tmpl(k, names, consts, row.name, _fmt_const)
    if tmpl is None or k >= len(tmpl):
        return f"d{row.name}/d{names[k]}"
    return tmpl[k].format(*names, y=row.name)


def _term(sym, partial, style):
    """sym * partial, simplified for the common constant partials."""
    if partial == "1":
        return sym
    if partial == "-1":
        return "-" + sym
    if partial.startswith("1/"):
        return f"{sym}/{style.expr(partial[2:])}"
    if partial.startswith("-"):
        return "-" + _term(sym, partial[1:], style)
    p = style.expr(partial)
    if (" + " in partial or " - " in partial) and not partial.startswith("("):
        p = f"({p})"
    return f"{sym}{style.mul}{p}"


def _sum_terms(terms):
    if not terms:
        return "0"
    s = " + ".join(terms)
    return s.replace("+ -", "- ")


class EvaluationTrace:
    """The result of :func:`evaluation_trace`: ``rows``, ``output`` (the value
    of f), ``wrt`` (the input the tangents are taken with respect to),
    ``input_names``; ``gradient`` (every input's adjoint, by one reverse
    sweep) and ``derivative`` (the output's tangent, by forward mode).
    ``str()`` renders the three tables; ``to_markdown()`` the same in
    Markdown."""

    digits = 4

    def __init__(self, rows: list[TraceRow], input_names: Sequence[str], wrt: int,
                 fname: str = "f") -> None:
        self.rows = rows
        self.input_names = list(input_names)
        self.wrt = wrt
        self.fname = fname

    @property
    def output(self) -> Value:
        return self.rows[-1].value

    @property
    def n_inputs(self) -> int:
        return len(self.input_names)

    @property
    def gradient(self) -> tuple[Value, ...]:
        return tuple(r.adjoint for r in self.rows[:self.n_inputs])

    @property
    def derivative(self) -> Value:
        return self.rows[-1].tangent

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[TraceRow]:
        return iter(self.rows)

    @overload
    def __getitem__(self, key: int | str) -> TraceRow: ...
    @overload
    def __getitem__(self, key: slice) -> list[TraceRow]: ...

    def __getitem__(self, key: int | str | slice) -> TraceRow | list[TraceRow]:
        if isinstance(key, str):
            for r in self.rows:
                if r.name == key:
                    return r
            raise KeyError(key)
        return self.rows[key]

    def __repr__(self) -> str:
        return (f"<EvaluationTrace of {self.fname}: {len(self.rows)} rows, "
                f"output {_fmt_num(self.output, self.digits)}>")

    # -- the formula columns --
    def _primal_formulas(self, style):
        out = []
        for r in self.rows:
            out.append((style.sym(r.name), style.expr(r.expr)))
        return out

    def _tangent_formulas(self, style):
        out = []
        n = self.n_inputs
        for i, r in enumerate(self.rows):
            lhs = style.dot(r.name)
            if i < n:
                rhs = style.dot(self.input_names[i])
            elif r.op is None:
                rhs = "0"
            else:
                terms = [_term(style.dot(self.rows[a].name), _partial_text(r, k, self.rows), style)
                         for k, a in enumerate(r.args) if isinstance(a, int)]
                rhs = _sum_terms(terms)
            out.append((lhs, rhs))
        return out

    def _adjoint_formulas(self, style):
        consumers = {i: [] for i in range(len(self.rows))}
        for j, r in enumerate(self.rows):
            for k, a in enumerate(r.args):
                if isinstance(a, int):
                    consumers[a].append((j, k))
        out = []
        last = len(self.rows) - 1
        for i, r in enumerate(self.rows):
            lhs = style.bar(r.name)
            if i == last:
                rhs = style.bar("y") + " = 1"
            else:
                terms = [_term(style.bar(self.rows[j].name),
                               _partial_text(self.rows[j], k, self.rows), style)
                         for j, k in consumers[i]]
                rhs = _sum_terms(terms)
            if i < self.n_inputs:
                lhs = f"{lhs} = {style.bar(self.input_names[i])}"
            out.append((lhs, rhs))
        return out

    def _tables(self, style):
        d = self.digits
        wrt = self.input_names[self.wrt]
        rev = list(range(len(self.rows) - 1, -1, -1))
        return [
            ("Table 1: Forward primal trace", "Forward primal trace", "Value",
             self._primal_formulas(style), [_fmt_num(r.value, d) for r in self.rows]),
            (f"Table 2: Forward tangent trace (tangent = d v_i / d {wrt}; "
             f"{wrt} seeded with 1, the other inputs with 0)",
             "Forward tangent trace", "Tangent",
             self._tangent_formulas(style), [_fmt_num(r.tangent, d) for r in self.rows]),
            ("Table 3: Reverse adjoint trace (adjoint = d y / d v_i; computed from the "
             "output back, y seeded with 1)", "Reverse adjoint trace", "Adjoint",
             [self._adjoint_formulas(style)[i] for i in rev],
             [_fmt_num(self.rows[i].adjoint, d) for i in rev]),
        ]

    def _summary(self):
        d = self.digits
        grad = ", ".join(f"d y/d {n} = {_fmt_num(g, d)}"
                         for n, g in zip(self.input_names, self.gradient))
        return (f"y = {_fmt_num(self.output, d)};  forward mode (one pass per input): "
                f"d y/d {self.input_names[self.wrt]} = {_fmt_num(self.derivative, d)};  "
                f"reverse mode (one pass for all inputs): {grad}")

    def __str__(self) -> str:
        blocks = []
        for title, _, _, formulas, nums in self._tables(_Plain):
            nums = _align_decimals(nums)
            wl = max(_width(a) for a, _ in formulas)
            formulas = [f"{_ljust(a, wl)} = {b}" for a, b in formulas]
            w = max(_width(s) for s in formulas)
            lines = [title]
            lines += [f"  {_ljust(s, w)}   {v}".rstrip() for s, v in zip(formulas, nums)]
            blocks.append("\n".join(lines))
        blocks.append(self._summary())
        return "\n\n".join(blocks)

    def _repr_markdown_(self) -> str:
        """How a notebook shows a trace: the three tables, formulas typeset."""
        return self.to_markdown()

    def to_markdown(self) -> str:
        """The three tables as Markdown (formulas in $...$ LaTeX)."""
        blocks = []
        for title, h1, h2, formulas, nums in self._tables(_Latex):
            lines = [f"**{title}**", "", f"| {h1} | {h2} |", "|---|---:|"]
            lines += [f"| ${a} = {b}$ | {v} |" for (a, b), v in zip(formulas, nums)]
            blocks.append("\n".join(lines))
        blocks.append(self._summary())
        return "\n\n".join(blocks) + "\n"

