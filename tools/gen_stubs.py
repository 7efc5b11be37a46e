"""Type stubs for what the op registry makes at import time.

    python tools/gen_stubs.py             # rewrite the stubs in src/tapegrad/
    python tools/gen_stubs.py --check     # exit 1, naming them, if any is out of date
    python tools/gen_stubs.py -o DIR      # write them into DIR instead

``tg.<name>``, ``tg.linalg.<name>``, ``tg.special.<name>`` and
``tg.fft.<name>`` are the public functions of registry entries, put into
their modules' namespaces when tapegrad is imported, and the Tensor methods
(``t.sum()``, ``t.exp()``) are set on the class then: a type checker, which
reads the source without running it, sees none of them.  It reads these
stubs instead, one per module (``functions.pyi``, ``linalg.pyi``,
``special.pyi``, ``fft.pyi``) and ``_tensor_methods.pyi`` (the class
tensor.py gives type checkers as Tensor's base).

Each function is written from its entry, never by hand: the public
function's signature (names, kinds, which parameters have defaults), each
parameter's type by a rule on its name or else on its default (``RULES``;
a required parameter without a rule is a tensor operand), and the result:
a Tensor, a tuple of ``nout`` tensors, or what the entry's ``stub`` says
(integer results, lists of tensors, overloads whose result depends on the
arguments).  ``tests/test_typing.py`` regenerates the stubs and fails when
the committed ones differ, so a new entry cannot be left untyped.
"""
import argparse
import ast
import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "tapegrad"

#: namespace -> stub file (tapegrad.<module>)
MODULES = {"": "functions", "linalg": "linalg", "special": "special", "fft": "fft"}
METHODS_STUB = "_tensor_methods"

TENSOR = "TensorLike"
#: NumPy's meaning of a parameter's name, as a type (checked before its default)
RULES = {
    # tensor operands given otherwise than as a required parameter
    "b": TENSOR, "a_min": TENSOR, "a_max": TENSOR, "weights": TENSOR, "prepend": TENSOR, "append": TENSOR,
    "mean": TENSOR, "default": TENSOR, "q": TENSOR,
    "tensors": f"Sequence[{TENSOR}]", "tup": f"Sequence[{TENSOR}]",
    "arrays": f"Sequence[{TENSOR}]", "choices": f"Sequence[{TENSOR}]",
    "choicelist": f"Sequence[{TENSOR}]", "condlist": "Sequence[ArrayLike]",
    "args": TENSOR, "arys": TENSOR, "operands": f"str | {TENSOR}",
    # axes and shapes
    "axis": "int | tuple[int, ...] | None", "axis1": "int", "axis2": "int",
    "axisa": "int", "axisb": "int", "axisc": "int",
    "axes": "int | Sequence[int] | Sequence[Sequence[int]]",
    "source": "int | Sequence[int]", "destination": "int | Sequence[int]",
    "shape": "int | Sequence[int]", "s": "Sequence[int]", "reps": "int | Sequence[int]",
    "more": "int", "n": "int", "k": "int", "offset": "int", "ind": "int",
    "kth": "int | Sequence[int]", "shift": "int | Sequence[int]",
    "indices_or_sections": "int | Sequence[int]",
    # integer operands (indices are never differentiated)
    "indices": "ArrayLike", "repeats": "ArrayLike", "sorter": "ArrayLike", "idx": "Any",
    "pad_width": "ArrayLike", "where": "ArrayLike", "condition": "ArrayLike",
    # options
    "dtype": "DTypeLike", "out": "None", "copy": "bool", "stable": "bool",
    "optimize": "bool | str",
    "ord": "float | str", "p": "float | str", "initial": "float", "correction": "float",
    "ddof": "float", "d": "float", "rcond": "float", "tol": "float", "rtol": "float",
    "posinf": "float", "neginf": "float",
    "order": "str", "kind": "str", "mode": "str", "method": "str", "casting": "str",
    "side": "str", "norm": "str", "interpolation": "str", "device": "str", "UPLO": "str",
    "y": TENSOR,
    "fweights": "ArrayLike",
    "aweights": "ArrayLike",
    "to_end": TENSOR,
    "to_begin": TENSOR,
    "M": "int | None",
    "like": "Any",
    "varargs": "Any",
    "left": TENSOR,
    "right": TENSOR,
    "period": "float",
    "xi": TENSOR,
    "kw": "Any",
    "w": "ArrayLike",
    "x": TENSOR,
    "N": "int",
    "increasing": "bool",
    "kwargs": "Any",
}
#: a parameter without a rule: the type of its default
BY_DEFAULT = {bool: "bool", int: "int", float: "float", str: "str"}

HEADER = """\
# Generated from the op registry by tools/gen_stubs.py: do not edit.
# After adding or changing an entry, run: python tools/gen_stubs.py
"""
#: what a stub may name, and where it comes from
IMPORTS = (
    ("Sequence", "from collections.abc import Sequence"),
    ("Any", "from typing import Any"),
    ("Literal", "from typing import Literal"),
    ("overload", "from typing import overload"),
    ("np", "import numpy as np"),
    ("ArrayLike", "from numpy.typing import ArrayLike"),
    ("DTypeLike", "from numpy.typing import DTypeLike"),
    ("NDArray", "from numpy.typing import NDArray"),
    ("CoreTensor", "from ._core.tape import CoreTensor"),
    ("Tensor", "from .tensor import Tensor"),
    ("TensorLike", "from .tensor import TensorLike"),
)
WIDTH = 99

_P = inspect.Parameter


class StubError(Exception):
    """An entry whose stub cannot be derived: the message says what to add."""


def _ops():
    import tapegrad  # noqa: F401  (registers every entry, sets the Tensor methods)
    from tapegrad import ops
    return ops


# ---- one signature -------------------------------------------------------------------
def param_type(entry, p):
    """The type of parameter ``p`` of ``entry``'s public function."""
    stub = entry.stub
    if p.name in stub:
        return stub[p.name]
    if p.name in RULES:
        t = RULES[p.name]
    elif p.default is _P.empty and p.kind in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD):
        t = TENSOR                           # a required operand
    elif type(p.default) in BY_DEFAULT:
        t = BY_DEFAULT[type(p.default)]
    elif isinstance(p.default, tuple) and all(type(v) is int for v in p.default):
        t = "Sequence[int]"
    else:
        raise StubError(
            f"{_qualname(entry)}: no rule gives the type of parameter {p.name!r} (default "
            f"{p.default!r}): add its name to RULES in tools/gen_stubs.py, or give the "
            f"entry stub={{{p.name!r}: '<type>'}}")
    if p.default is None and not re.search(r"\bNone\b|\bAny\b", t):
        t += " | None"
    return t


def return_type(entry):
    if "return" in entry.stub:
        return entry.stub["return"]
    nout = getattr(entry, "nout", 1)
    return "Tensor" if nout == 1 else f"tuple[{', '.join(['Tensor'] * nout)}]"


def render_params(params):
    """[(Parameter, type text)] as the text of a parameter list, with the
    / and * markers where the kinds change."""
    out, prev = [], None
    for p, t in params:
        if prev == _P.POSITIONAL_ONLY and p.kind != _P.POSITIONAL_ONLY:
            out.append("/")
        if p.kind == _P.KEYWORD_ONLY and prev not in (_P.KEYWORD_ONLY, _P.VAR_POSITIONAL):
            out.append("*")
        star = {_P.VAR_POSITIONAL: "*", _P.VAR_KEYWORD: "**"}.get(p.kind, "")
        text = f"{star}{p.name}" + (f": {t}" if t else "")
        if p.default is not _P.empty:
            text += " = ..."
        out.append(text)
        prev = p.kind
    if prev == _P.POSITIONAL_ONLY:
        out.append("/")
    return out


def _def(name, parts, ret, indent=""):
    """``def name(parts) -> ret: ...``, one parameter a line when too long."""
    line = f"{indent}def {name}({', '.join(parts)}) -> {ret}: ..."
    if len(line) <= WIDTH:
        return line
    inner = "".join(f"{indent}    {p},\n" for p in parts)
    return f"{indent}def {name}(\n{inner}{indent}) -> {ret}: ..."


def _qualname(entry):
    return f"{entry.namespace}.{entry.name}" if entry.namespace else entry.name


def _overload_parts(entry, text, method):
    """An overload given as stub text (``'(x: TensorLike, /) -> Tensor'``):
    its parameter list and result, the first parameter dropped for a method."""
    try:
        fn = ast.parse(f"def f{text}: ...").body[0]
    except SyntaxError as e:
        raise StubError(f"{_qualname(entry)}: overload {text!r} is not a signature: {e}") from None
    if fn.returns is None:
        raise StubError(f"{_qualname(entry)}: overload {text!r} names no result (-> ...)")
    known = set(inspect.signature(entry.public).parameters)
    args = fn.args
    named = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    named += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    unknown = [n for n in named if n not in known and not _is_renamed_vararg(entry, n)]
    if unknown:
        raise StubError(f"{_qualname(entry)}: overload {text!r} has parameters {unknown} that "
                        f"the public function does not")
    close = _matching_paren(text)
    parts = _split_top(text[1:close])
    ret = ast.get_source_segment(f"def f{text}: ...", fn.returns)
    if method:
        if not parts or parts[0].startswith(("*", "/")):
            raise StubError(f"{_qualname(entry)}: overload {text!r}: a method needs the "
                            f"tensor as the first parameter")
        parts[0] = "self"
    return parts, ret


def _split_top(text):
    """A parameter list's parameters: split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += c in "([{"
        depth -= c in ")]}"
        if c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:].strip())
    return parts


def _is_renamed_vararg(entry, name):
    """Overloads may split ``*arys`` into positional-only parameters (ary1, ary2)."""
    sig = inspect.signature(entry.public)
    return any(p.kind == _P.VAR_POSITIONAL for p in sig.parameters.values())


def _matching_paren(text):
    depth = 0
    for i, c in enumerate(text):
        depth += c in "([{"
        depth -= c in ")]}"
        if depth == 0:
            return i
    raise StubError(f"unbalanced parentheses in {text!r}")


def function_stub(entry, name=None, method=False):
    """The stub of ``entry``'s public function (``method``: as a Tensor
    method, its first parameter ``self``)."""
    name = name or entry.name
    indent = "    " if method else ""
    if "overloads" in entry.stub:
        lines = []
        for text in entry.stub["overloads"]:
            parts, ret = _overload_parts(entry, text, method)
            lines.append(f"{indent}@overload")
            lines.append(_def(name, parts, ret, indent))
        return "\n".join(lines)
    sig = inspect.signature(entry.public)
    for key in entry.stub:
        if key != "return" and key not in sig.parameters:
            raise StubError(f"{_qualname(entry)}: stub names {key!r}, which is not a "
                            f"parameter of the public function")
    params = [(p, param_type(entry, p)) for p in sig.parameters.values()]
    if method:
        if not params or params[0][0].kind not in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD):
            raise StubError(f"{_qualname(entry)}: a method needs the tensor as the first "
                            f"parameter of the public function")
        params[0] = (params[0][0].replace(name="self"), "")
    return _def(name, render_params(params), return_type(entry), indent)


# ---- whole files -----------------------------------------------------------------------
def _imports(body):
    lines = []
    for name, line in IMPORTS:
        if re.search(rf"(?<![\w.]){name}\b", body):
            lines.append(line)
    # merge 'from m import a' lines of one module
    merged, order = {}, []
    for line in lines:
        m = re.match(r"from (\S+) import (\w+)$", line)
        if m:
            if m.group(1) not in merged:
                merged[m.group(1)] = []
                order.append(("from", m.group(1)))
            merged[m.group(1)].append(m.group(2))
        else:
            order.append(("plain", line))
    out = []
    for kind, what in order:
        out.append(f"from {what} import {', '.join(merged[what])}" if kind == "from" else what)
    return "\n".join(out)


def _file(doc, body):
    imports = _imports(body)
    return f"{HEADER}# {doc}\n" + (f"{imports}\n\n" if imports else "\n") + f"{body}\n"


def namespace_stub(namespace):
    """The stub of tapegrad.<module> for ``namespace``."""
    entries = _ops().public_entries(namespace)
    aliases = _ops().public_aliases(namespace)
    names = sorted(entries)
    body = [f"__all__: list[str] = {_all_list(sorted([*entries, *aliases]))}", ""]
    body += [function_stub(entries[n]) for n in names]
    # NumPy's other names (tg.acos is tg.arccos): the entry's stub, renamed
    body += [function_stub(e, name=a) for a, e in sorted(aliases.items())]
    module = f"tapegrad.{MODULES[namespace]}"
    what = "functions" if namespace == "" else f"{namespace} functions"
    return _file(f"{module}: the registry's public {what}.", "\n".join(body))


def _all_list(names):
    if not names:
        return "[]"
    one = "[" + ", ".join(f'"{n}"' for n in names) + "]"
    if len(one) + len("__all__: list[str] = ") <= WIDTH:
        return one
    lines, line = [], "   "
    for n in names:
        item = f' "{n}",'
        if len(line) + len(item) > WIDTH:
            lines.append(line)
            line = "   "
        line += item
    lines.append(line)
    return "[\n" + "\n".join(lines) + "\n]"


def method_entries():
    """{method name: entry} for the Tensor methods the registry set."""
    from tapegrad import Tensor
    out = {}
    for entry in _ops().REGISTRY.values():
        m = getattr(entry, "method", None)
        if m and Tensor.__dict__.get(m) is getattr(entry, "public", None):
            out[m] = entry
    return out


def methods_stub():
    entries = method_entries()
    body = ["class TensorMethods(CoreTensor):",
            '    """The Tensor methods of registry entries (tensor.py sets them on the class)."""']
    body += [function_stub(entries[m], name=m, method=True) for m in sorted(entries)]
    return _file("tapegrad.Tensor's methods from the registry: Tensor's base for type "
                 "checkers.", "\n".join(body))


def stubs():
    """{file name: text} of every generated stub."""
    used = {e.namespace for e in _ops().REGISTRY.values()
            if getattr(e, "public", None) is not None and not getattr(e, "internal", False)}
    missing = sorted(used - set(MODULES))
    if missing:
        raise StubError(f"entries are registered in namespace(s) {missing}, which have no "
                        f"module: add it to MODULES in tools/gen_stubs.py (and the module)")
    out = {f"{MODULES[ns]}.pyi": namespace_stub(ns) for ns in MODULES}
    out[f"{METHODS_STUB}.pyi"] = methods_stub()
    return out


def write(directory):
    """Write every stub into ``directory``; returns the names of those that changed."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in stubs().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    return changed


def stale(directory=PACKAGE):
    """The stubs in ``directory`` that differ from what the registry gives."""
    directory = Path(directory)
    return [name for name, text in stubs().items()
            if not (directory / name).exists()
            or (directory / name).read_text(encoding="utf-8") != text]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", default=str(PACKAGE),
                   help="the directory to write into (default: src/tapegrad)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if a stub in the directory is out of date")
    args = p.parse_args(argv)
    try:
        if args.check:
            old = stale(args.output)
            for name in old:
                print(f"{name} is out of date: run python tools/gen_stubs.py")
            return 1 if old else 0
        for name in write(args.output):
            print(f"wrote {Path(args.output) / name}")
    except StubError as e:
        print(f"gen_stubs: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))     # this checkout's tapegrad (built in place)
    sys.exit(main())
