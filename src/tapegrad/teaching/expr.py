"""A safe parser for the `tapegrad trace` command's expressions.

Why ``ast`` and a whitelist: the expression comes from a command line, so it
is parsed with Python's own grammar (operators, precedence, unary minus) but
never evaluated by Python: every node is checked against the short list
below and then interpreted here, calling tapegrad's functions.  Anything
else (attributes, subscripts, keywords, comparisons, names without a value,
unknown functions) is an :class:`ExprError` that carries the column to put a
caret under.
"""
import ast
from collections.abc import Mapping

import numpy as np

from ..ops import REGISTRY

__all__ = ["ExprError", "Expr", "parse", "FUNCTIONS"]

class _Grammar(Mapping):
    """name in the expression -> the public function it calls: every name an
    op registry entry lists in its ``grammar``, read from the registry on use
    (so an entry registered later is in the grammar too)."""

    def _table(self):
        return {g: e.public for e in REGISTRY.values() for g in getattr(e, "grammar", ())}

    def __getitem__(self, name):
        return self._table()[name]

    def __iter__(self):
        return iter(self._table())

    def __len__(self):
        return len(self._table())


FUNCTIONS = _Grammar()

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}
_DESCRIBE = {
    ast.FloorDiv: "floor division '//'", ast.Mod: "the remainder operator '%'",
    ast.MatMult: "matrix product '@'", ast.BitXor: "'^' (for a power write '**')",
    ast.BitAnd: "'&'", ast.BitOr: "'|'", ast.LShift: "'<<'", ast.RShift: "'>>'",
    ast.Compare: "comparisons", ast.BoolOp: "'and'/'or'", ast.Attribute: "attribute access",
    ast.Subscript: "indexing", ast.Lambda: "lambda", ast.IfExp: "'if ... else'",
    ast.Tuple: "tuples", ast.List: "lists", ast.Dict: "dicts", ast.Set: "sets",
    ast.Not: "'not'", ast.Invert: "'~'", ast.JoinedStr: "strings",
}


class ExprError(ValueError):
    """A problem in an expression: ``msg``, the ``text`` and the 0-based
    ``col`` (and ``end``) of the culprit, or None when there is no single
    place to point at."""

    def __init__(self, msg, text, col=None, end=None):
        super().__init__(msg)
        self.msg = msg
        self.text = text
        self.col = col
        self.end = end if end is not None and col is not None and end > col else (
            None if col is None else col + 1)

    def pointer(self):
        """Two lines: the expression, and carets under the culprit."""
        if self.col is None:
            return None
        width = max(1, min(self.end, len(self.text)) - self.col) if self.end else 1
        return f"  {self.text}\n  {' ' * self.col}{'^' * width}"


def _cols(node, text):
    """0-based character columns of a node (ast gives UTF-8 byte offsets)."""
    raw = text.encode("utf-8")
    col = len(raw[:node.col_offset].decode("utf-8", "replace"))
    end = getattr(node, "end_col_offset", None)
    if end is not None:
        end = len(raw[:end].decode("utf-8", "replace"))
    return col, end


class Expr:
    """A checked expression: ``variables`` in order of first appearance;
    ``evaluate(env)`` computes it with tapegrad functions, ``env`` mapping
    each variable to a tensor; ``__call__(*tensors)`` takes the variables
    positionally in ``order`` (by default ``variables``)."""

    def __init__(self, text, tree, variables):
        self.text = text
        self.tree = tree
        self.variables = variables
        self.order = list(variables)
        self.positions = {}     # variable -> (col, end) of its first appearance

    def evaluate(self, env):
        return _eval(self.tree.body, env)

    def __call__(self, *args):
        return self.evaluate(dict(zip(self.order, args)))

    def __repr__(self):
        return f"Expr({self.text!r})"

    def error_at(self, name, msg):
        """An ExprError pointing at the first appearance of variable ``name``."""
        col, end = self.positions.get(name, (None, None))
        return ExprError(msg, self.text, col, end)


def parse(text):
    """Parse and check ``text``; raise :class:`ExprError` on anything outside
    the whitelist."""
    src = text.strip()
    if not src:
        raise ExprError("the expression is empty", text)
    if "\n" in src or "\r" in src:
        raise ExprError("the expression must be on one line", text)
    text = src
    _check_brackets(text)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        col = (e.offset - 1) if e.offset else None
        if col is not None:
            col = max(0, min(col, len(text)))
        msg = e.msg
        if msg.startswith("invalid syntax") or msg == "unexpected EOF while parsing":
            msg = "invalid syntax" if col is None or col < len(text) else \
                "the expression ends too early"
        raise ExprError(f"syntax error: {msg}", text, col) from None
    variables = []
    for node in ast.walk(tree):
        _check(node, text, variables)
    # ast.walk is breadth first: order the variables by where they appear
    pos = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS:
            span = _cols(node, text)
            if node.id not in pos or span < pos[node.id]:
                pos[node.id] = span
    variables = sorted(set(variables), key=lambda v: pos[v])
    expr = Expr(text, tree, variables)
    expr.positions = pos
    check_bare_functions(expr)
    return expr


_CLOSING = {")": "(", "]": "[", "}": "{"}


def _check_brackets(text):
    """Unbalanced brackets, reported here rather than by ``ast``: Python's own
    message for them changed between versions (3.9 said 'unexpected EOF
    while parsing' for what 3.10 calls "'(' was never closed")."""
    stack = []                  # (bracket, column) of each open bracket
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":         # skip a string literal (rejected later anyway)
            j = i + 1
            while j < len(text) and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            if j >= len(text):
                return          # unterminated: ast says so
            i = j
        elif ch in "([{":
            stack.append((ch, i))
        elif ch in _CLOSING:
            if not stack:
                raise ExprError(f"syntax error: unmatched '{ch}'", text, i)
            opening, col = stack.pop()
            if opening != _CLOSING[ch]:
                raise ExprError(f"syntax error: closing parenthesis '{ch}' does not match "
                                f"opening parenthesis '{opening}'", text, i)
        i += 1
    if stack:
        opening, col = stack[-1]
        raise ExprError(f"syntax error: '{opening}' was never closed", text, col)


def _bad(node, text, what):
    col, end = _cols(node, text)
    return ExprError(f"unsupported syntax: {what} (use numbers, variables, + - * / **, "
                     f"parentheses and the functions {', '.join(sorted(FUNCTIONS))})",
                     text, col, end)


def _check(node, text, variables):
    if isinstance(node, (ast.Expression, ast.Load)) or type(node) in _BINOPS \
            or type(node) in _UNARY:
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            what = _DESCRIBE.get(type(node.op), type(node.op).__name__)
            # point at the operator: between the operands
            lcol, lend = _cols(node.left, text)
            rcol, _ = _cols(node.right, text)
            seg = text[lend:rcol]
            off = len(seg) - len(seg.lstrip())
            col = lend + off
            stripped = seg.strip().rstrip("(")
            raise ExprError(f"unsupported operator: {what}", text, col,
                            col + max(1, len(stripped)))
        return
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise _bad(node, text, _DESCRIBE.get(type(node.op), type(node.op).__name__))
        return
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            col, end = _cols(node, text)
            kind = "complex number" if isinstance(v, complex) else type(v).__name__
            raise ExprError(f"unsupported constant {v!r} ({kind}): only real numbers",
                            text, col, end)
        return
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            return          # checked as a call (a bare function name is caught there)
        if node.id not in variables:
            variables.append(node.id)
        return
    if isinstance(node, ast.Call):
        f = node.func
        if not isinstance(f, ast.Name):
            raise _bad(f, text, "calling something that is not a function name")
        if f.id not in FUNCTIONS:
            col, end = _cols(f, text)
            raise ExprError(f"unknown function '{f.id}' (known: "
                            f"{', '.join(sorted(FUNCTIONS))})", text, col, end)
        if node.keywords:
            col, end = _cols(node.keywords[0].value, text)
            kw = node.keywords[0].arg
            raise ExprError(f"{f.id}() takes no keyword arguments"
                            + (f" (got {kw}=...)" if kw else ""), text, col, end)
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            col, end = _cols(node, text)
            raise ExprError(f"{f.id}() takes exactly one argument, got {len(node.args)}",
                            text, col, end)
        # the function name node itself must not be checked as a variable
        return
    raise _bad(node, text, _DESCRIBE.get(type(node), type(node).__name__))


def check_bare_functions(expr):
    """A function name used without a call ('sin + 1') is an error."""
    text = expr.text
    called = {id(n.func) for n in ast.walk(expr.tree) if isinstance(n, ast.Call)}
    for node in ast.walk(expr.tree):
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and id(node) not in called:
            col, end = _cols(node, text)
            raise ExprError(f"'{node.id}' is a function: call it, as in {node.id}(x)",
                            text, col, end)


def _const_binop(op, a, b):
    with np.errstate(all="ignore"):
        a = np.float64(a)
        b = np.float64(b)
        if op == "+":
            r = a + b
        elif op == "-":
            r = a - b
        elif op == "*":
            r = a * b
        elif op == "/":
            r = a / b
        else:
            r = np.power(a, b)
    return float(r)


def _eval(node, env):
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env)
        if isinstance(node.op, ast.UAdd):
            return v
        return -v
    if isinstance(node, ast.BinOp):
        a = _eval(node.left, env)
        b = _eval(node.right, env)
        op = _BINOPS[type(node.op)]
        if isinstance(a, float) and isinstance(b, float):
            return _const_binop(op, a, b)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        return a ** b
    if isinstance(node, ast.Call):
        fn = FUNCTIONS[node.func.id]
        v = _eval(node.args[0], env)
        if isinstance(v, float):
            with np.errstate(all="ignore"):
                return float(fn(v)._data)
        return fn(v)
    raise AssertionError(f"unchecked node {type(node).__name__}")  # parse() rejects it
