"""Graphs of recorded computations, as Graphviz source and images.

Why the walk reads the tape and not the tensors: a recorded tensor knows
only its tape and slot, and the tape's C node array keeps every node's op
code and input/output slots even after a backward freed what the node saved.
So ``to_dot`` reads the structure off ``tape.node(i)`` and
``tape.producer_of(slot)``, walking back from the head with an explicit
stack (no recursion: a 10,000-op chain is a loop), following
``tape.imports`` into older tapes.  Values come from wherever they are still
known: the head itself, the variables (leaves, with their ``.grad`` once a
backward wrote it) and the tensors a live record saved.

Nothing here imports Graphviz's Python package: ``draw`` runs the ``dot``
program, which ``apt-get install graphviz`` (or brew, conda) provides.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import errors
from .._core.tape import Saved
from ..tensor import Tensor
from .trace import EvaluationTrace, _fmt_num, _partial_text

__all__ = ["to_dot", "draw", "GraphvizError", "GraphvizNotFoundError"]


class GraphvizError(errors.TapegradError, RuntimeError):
    """Graphviz's ``dot`` program failed."""


class GraphvizNotFoundError(GraphvizError):
    """``draw`` needs Graphviz's ``dot`` program and it is not installed."""


_INSTALL_HINT = (
    "Graphviz's `dot` program is not installed (or not on PATH), so the graph cannot be "
    "rendered. Install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install "
    "graphviz` (macOS) or `conda install graphviz`; `pip install tapegrad[plot]` adds the "
    "`graphviz` Python package, which also needs that program. Meanwhile tg.to_dot(y) "
    "gives the source, which any Graphviz viewer renders.")


def _q(s):
    """A DOT double-quoted string ('\\n' stays a DOT line break)."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _fmt(v, digits=4):
    return _fmt_num(v, digits)


def _describe(arr):
    """The value of a scalar, the shape of an array."""
    arr = np.asarray(arr)
    if arr.size == 1:
        return _fmt(arr)
    return f"shape {tuple(arr.shape)}"


def _op_symbol(prim):
    """A short name from the primitive's label: '{0} * {1}' -> '*', 'ln({0})' -> 'ln'."""
    label = getattr(prim, "label", None) or ""
    m = re.fullmatch(r"\{0\} (\S+) \{1\}", label)
    if m:
        return m.group(1)
    m = re.fullmatch(r"(\w+)\(\{0\}\)", label)
    if m:
        return m.group(1)
    if label == "-{0}":
        return "neg"
    return prim.name


def to_dot(y: Tensor | Sequence[Tensor] | EvaluationTrace,
           names: Mapping[str, Tensor] | None = None, rankdir: str = "TB",
           title: str | None = None) -> DotSource:
    """Graphviz (DOT) source of the graph recorded for ``y``.

    ``y`` is a recorded tensor (or a list of them), or an evaluation trace
    (``tg.evaluation_trace``), drawn with each row's value, tangent and
    adjoint and each edge's local derivative (the chain-rule terms).

    For tensors: boxes are values (the variables shaded, with their
    ``.grad`` once a backward has written it; the output outlined twice),
    ellipses are operations.  A scalar shows its value where it is still
    known, an array its shape.  ``names`` maps names to tensors
    (``{'x': x}``) to label them.  The op structure survives a backward that
    freed the saved values.

    >>> x = tg.array(2.0); x.attach_grad()
    >>> with autograd.record():
    ...     y = x * x + 1
    >>> dot = tg.to_dot(y)
    >>> dot.splitlines()[0], dot.count(" -> ")
    ('digraph tapegrad {', 6)
    """
    if isinstance(y, EvaluationTrace):
        return DotSource(_trace_dot(y, rankdir, title))
    heads = list(y) if isinstance(y, (list, tuple)) else [y]
    for h in heads:
        if not isinstance(h, Tensor):
            raise TypeError(f"to_dot takes recorded tensors or an evaluation trace, got "
                            f"{type(h).__name__}")
    return DotSource(_tensor_dot(heads, names or {}, rankdir, title))


class DotSource(str):
    """Graphviz (DOT) source: a ``str``, which a notebook shows as the drawn
    graph (SVG) when Graphviz's ``dot`` program is installed."""

    def _repr_svg_(self) -> str | None:
        exe = shutil.which("dot")
        if exe is None:
            return None                  # the notebook falls back to the text
        proc = subprocess.run([exe, "-Tsvg"], input=self.encode("utf-8"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise GraphvizError(f"Graphviz's dot failed: "
                                f"{proc.stderr.decode('utf-8', 'replace').strip()}")
        return proc.stdout.decode("utf-8")


class _Graph:
    def __init__(self, rankdir, title):
        self.nodes = {}      # id -> (sort key, attribute text)
        self.edges = []
        self.rankdir = rankdir
        self.title = title

    def node(self, nid, key, **attrs):
        if nid not in self.nodes:
            self.nodes[nid] = (key, attrs)
        else:
            self.nodes[nid][1].update(attrs)

    def edge(self, a, b, **attrs):
        self.edges.append((a, b, attrs))

    def source(self, name):
        lines = [f"digraph {name} {{", f"  rankdir={self.rankdir};",
                 '  graph [fontname="Helvetica"];',
                 '  node [fontname="Helvetica", fontsize=10];',
                 '  edge [fontname="Helvetica", fontsize=9];']
        if self.title:
            lines.append(f"  label={_q(self.title)}; labelloc=t;")
        for nid, (_, attrs) in sorted(self.nodes.items(), key=lambda kv: kv[1][0]):
            lines.append(f"  {nid} [{_attrs(attrs)}];")
        order = {nid: key for nid, (key, _) in self.nodes.items()}
        for a, b, attrs in sorted(self.edges, key=lambda e: (order.get(e[1], ()),
                                                              order.get(e[0], ()))):
            lines.append(f"  {a} -> {b}" + (f" [{_attrs(attrs)}]" if attrs else "") + ";")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _attrs(attrs):
    return ", ".join(f"{k}={_q(v)}" for k, v in attrs.items())


def _tensor_dot(heads, names, rankdir, title):
    g = _Graph(rankdir, title)
    by_id = {id(t): n for n, t in names.items()}
    known = {}                       # (serial, slot) -> array value
    head_ids = set()
    stack = []
    for h in heads:
        if h._tape is None:          # a variable or a constant: a graph of one node
            nid = f"c{id(h)}"
            g.node(nid, (0, 0, 0), **_leaf_attrs(h, by_id.get(id(h))), peripheries="2")
            continue
        tape, slot = _resolve(h._tape, h._slot)
        known[(tape.serial, slot)] = h._data
        head_ids.add((tape.serial, slot))
        stack.append((tape, slot))
    seen_slots = set()
    seen_nodes = set()
    while stack:
        tape, slot = stack.pop()
        key = (tape.serial, slot)
        if key in seen_slots:
            continue
        seen_slots.add(key)
        node = tape.producer_of(slot)
        if node < 0:
            leaf = tape.slot_leaf.get(slot)
            if leaf is not None:
                g.node(_sid(tape, slot), (tape.serial, -1, slot),
                       **_leaf_attrs(leaf, by_id.get(id(leaf))))
            else:
                g.node(_sid(tape, slot), (tape.serial, -1, slot), shape="box",
                       label=_meta_text(tape, slot, known))
            continue
        nkey = (tape.serial, node)
        if nkey in seen_nodes:
            continue
        seen_nodes.add(nkey)
        op, in_slots, out_slots, rec = tape.node(node)
        nid = f"n{tape.serial}_{node}"
        if op >= 0:
            prim = tape.ops[op]
            label = _op_symbol(prim)
        else:
            label = rec[0].name if rec is not None else "Function"
        g.node(nid, (tape.serial, node, 0), label=label, shape="ellipse",
               style="filled", fillcolor="#fdf1d6")
        xs = rec[2] if rec is not None else None
        if rec is not None and rec[3] is not None and not isinstance(rec[3], tuple):
            known[(tape.serial, out_slots[0])] = rec[3]._data
        elif rec is not None and isinstance(rec[3], tuple):
            for s, o in zip(out_slots, rec[3]):
                known[(tape.serial, s)] = o._data
        for j, s in enumerate(in_slots):
            x = xs[j] if xs is not None and j < len(xs) else None
            if s < 0:
                cid = f"k{tape.serial}_{node}_{j}"
                val = _value_of(x)
                g.node(cid, (tape.serial, node, -1 - j), shape="plaintext",
                       label=_describe(val) if val is not None else "const")
                g.edge(cid, nid)
                continue
            src_tape, src = _resolve(tape, s)
            v = _value_of(x)
            if v is not None:
                known.setdefault((src_tape.serial, src), v)
            g.edge(_sid(src_tape, src), nid)
            stack.append((src_tape, src))
        for s in out_slots:
            sid = _sid(tape, s)
            attrs = dict(shape="box", label=_meta_text(tape, s, known))
            if (tape.serial, s) in head_ids:
                attrs.update(peripheries="2", style="bold")
            g.node(sid, (tape.serial, node, 1), **attrs)
            g.edge(nid, sid)
    # labels of value nodes first seen before their values were known
    for nid, (key, attrs) in g.nodes.items():
        m = re.fullmatch(r"s(\d+)_(\d+)", nid)
        if m and "fillcolor" not in attrs:
            k = (int(m.group(1)), int(m.group(2)))
            if k in known:
                attrs["label"] = _describe(known[k])
    return g.source("tapegrad")


def _resolve(tape, slot):
    """Follow import slots to the tape that produced the value (iteratively)."""
    while tape.producer_of(slot) < 0 and slot in tape.imports:
        tape, slot = tape.imports[slot]
    return tape, slot


def _sid(tape, slot):
    return f"s{tape.serial}_{slot}"


def _value_of(x):
    if isinstance(x, (Tensor, Saved)):
        return x._data
    if isinstance(x, np.ndarray):
        return x
    return None


def _meta_text(tape, slot, known):
    v = known.get((tape.serial, slot))
    if v is not None:
        return _describe(v)
    shape, dtype = tape.slot_meta(slot)
    return "scalar" if tuple(shape) == () else f"shape {tuple(shape)}"


def _leaf_attrs(t, name):
    lines = [name] if name else []
    lines.append(_describe(t._data))
    gr = t._grad
    if gr is not None and gr._ver.n > 0:      # written by a backward (or zeroed)
        lines.append("grad " + (_fmt(gr._data) if gr.size == 1 else f"shape {gr.shape}"))
    return dict(shape="box", style="filled", fillcolor="#dbe9f6", label="\n".join(lines))


def _trace_dot(trace, rankdir, title):
    g = _Graph(rankdir, title)
    d = trace.digits
    n = trace.n_inputs
    last = len(trace.rows) - 1
    for i, r in enumerate(trace.rows):
        label = (f"{r.name} = {r.expr}\nvalue {_fmt_num(r.value, d)}\n"
                 f"tangent {_fmt_num(r.tangent, d)}   adjoint {_fmt_num(r.adjoint, d)}")
        attrs = dict(shape="box", label=label)
        if i < n:
            attrs.update(style="filled", fillcolor="#dbe9f6")
        if i == last:
            attrs.update(peripheries="2")
        g.node(f"r{i}", (i,), **attrs)
        for k, a in enumerate(r.args):
            p = r.partials[k] if k < len(r.partials) else None
            if not isinstance(a, int):
                continue
            text = f"∂{r.name}/∂{trace.rows[a].name} = {_partial_text(r, k, trace.rows)}"
            if p is not None:
                text += f"\n= {_fmt_num(p, d)}"
            g.edge(f"r{a}", f"r{i}", label=text)
    return g.source("trace")


def draw(y: Tensor | Sequence[Tensor] | EvaluationTrace, path: str | os.PathLike[str],
         format: str | None = None, **kw: Any) -> str:
    """Render ``to_dot(y, **kw)`` to ``path`` with Graphviz's ``dot`` program.

    The format comes from ``format`` or the file's extension (svg, png, pdf,
    ...); ``.dot``/``.gv`` write the source without running anything.
    Raises :class:`GraphvizNotFoundError` (a RuntimeError) saying how to
    install Graphviz when ``dot`` is missing.  Returns ``path``."""
    src = to_dot(y, **kw)
    path = os.fspath(path)
    fmt = (format or os.path.splitext(path)[1].lstrip(".") or "svg").lower()
    if fmt in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(src)
        return path
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFoundError(_INSTALL_HINT)
    proc = subprocess.run([exe, f"-T{fmt}", "-o", path], input=src.encode("utf-8"),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise GraphvizError(
            f"Graphviz's dot failed to write {path!r} as {fmt!r}: "
            f"{proc.stderr.decode('utf-8', 'replace').strip()}")
    return path
