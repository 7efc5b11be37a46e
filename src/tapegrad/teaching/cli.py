"""The `tapegrad` command (also `python -m tapegrad`).

    tapegrad trace "ln(x1) + x1*x2 - sin(x2)" --at x1=3 x2=-4 [--wrt x2]
                   [--markdown] [--dot graph.svg] [--digits 4]
    tapegrad demo

``trace`` prints the forward primal, forward tangent and reverse adjoint
traces (Tables 1-3 of the autodiff tutorials) of an expression built from
numbers, variables, ``+ - * / **``, unary minus, parentheses and the
functions the op registry marks for it (``grammar``).  The expression is parsed
with ``ast`` against a whitelist and interpreted, never evaluated by
Python.  Mistakes exit with status 2 and a one-line message, with a caret
under the culprit where there is one.
"""
import argparse
import math
import os
import sys

import numpy as np

import tapegrad as tg
from tapegrad import autograd

from .expr import FUNCTIONS, ExprError, parse
from .graphviz import GraphvizError, draw, to_dot

__all__ = ["main"]

_PROG = "tapegrad"


class _UsageError(Exception):
    def __init__(self, msg, pointer=None):
        super().__init__(msg)
        self.msg = msg
        self.pointer = pointer


def _function_list():
    """The functions the trace grammar accepts, from the op registry."""
    return ", ".join(sorted(FUNCTIONS))


def _parser():
    p = argparse.ArgumentParser(
        prog=_PROG,
        description="tapegrad: reverse- and forward-mode automatic differentiation for "
                    "NumPy arrays. Commands: trace (evaluation traces of an expression), "
                    "demo (the tutorial's first examples).")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="{trace,demo}")
    t = sub.add_parser(
        "trace", help="print the evaluation traces (primal, tangent, adjoint) of an expression",
        description="Print Tables 1-3 (forward primal, forward tangent, reverse adjoint "
                    "trace) of EXPR at the given point. EXPR may use numbers, variables, "
                    "+ - * / **, unary minus, parentheses and " + _function_list() + ".",
        epilog='example: tapegrad trace "ln(x1) + x1*x2 - sin(x2)" --at x1=3 x2=-4')
    t.add_argument("expr", metavar="EXPR", help='the expression, e.g. "ln(x1) + x1*x2 - sin(x2)"')
    t.add_argument("--at", metavar="NAME=VALUE", nargs="+", action="extend", default=[],
                   help="the value of each variable (inputs are numbered in this order)")
    t.add_argument("--wrt", metavar="NAME",
                   help="the input the tangents are taken with respect to (default: the first)")
    t.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    t.add_argument("--dot", metavar="FILE",
                   help="also write the graph: Graphviz source (.dot/.gv), or an image "
                        "(.svg/.png/.pdf, needs Graphviz's dot program)")
    t.add_argument("--digits", type=int, default=4, help="decimals shown (default 4)")
    sub.add_parser("demo", help="the tutorial's first examples and an evaluation trace")
    return p


def _protect_expr(argv):
    """An expression that starts with '-' ('-x1 + 2') is not an option."""
    out = list(argv)
    if "trace" in out:
        for i in range(out.index("trace") + 1, len(out)):
            tok = out[i]
            if tok.startswith("-") and not tok.startswith("--") and tok != "-h":
                out[i] = " " + tok
    return out


def _values(pairs, expr):
    values = {}
    for item in pairs:
        name, sep, val = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise _UsageError(f"--at expects NAME=VALUE (like x1=3), got {item!r}")
        if not name.isidentifier():
            raise _UsageError(f"--at {item}: {name!r} is not a variable name")
        try:
            v = float(val)
        except ValueError:
            raise _UsageError(f"--at {item}: {val.strip()!r} is not a number") from None
        if name in values:
            raise _UsageError(f"--at gives {name} twice")
        values[name] = v
    for name in values:
        if name not in expr.variables:
            known = ", ".join(expr.variables) or "none"
            raise _UsageError(f"--at {name}=...: {name} does not appear in the expression "
                              f"(its variables: {known})")
    for name in expr.variables:
        if name not in values:
            err = expr.error_at(name, f"missing value for '{name}': give it with "
                                      f"--at {name}=VALUE")
            raise _UsageError(err.msg, err.pointer())
    return values


def _fmt_value(v):
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)


def _trace(args, out):
    try:
        expr = parse(args.expr)
    except ExprError as e:
        raise _UsageError(e.msg, e.pointer()) from None
    except (RecursionError, MemoryError):
        raise _UsageError("the expression is too deeply nested") from None
    if not expr.variables:
        raise _UsageError("the expression has no variables: there is nothing to differentiate "
                          "(write it in terms of a variable, e.g. x * 2, with --at x=1)")
    values = _values(args.at, expr)
    order = list(values)                  # inputs numbered in the order of --at
    expr.order = order
    wrt = 0
    if args.wrt is not None:
        if args.wrt not in order:
            raise _UsageError(f"--wrt {args.wrt}: not a variable of the expression "
                              f"(its variables: {', '.join(order)})")
        wrt = order.index(args.wrt)
    if args.digits < 0 or args.digits > 17:
        raise _UsageError(f"--digits must be between 0 and 17, got {args.digits}")

    def f(*xs):
        return expr(*xs)

    f.__name__ = "f"
    try:
        with np.errstate(all="ignore"):
            trace = tg.evaluation_trace(f, *[values[n] for n in order], wrt=wrt, names=order)
    except RecursionError:
        raise _UsageError("the expression is too deeply nested") from None
    trace.digits = args.digits
    at = ", ".join(f"{n} = {_fmt_value(values[n])}" for n in order)
    header = f"f({', '.join(order)}) = {expr.text}   at {at}"
    if args.markdown:
        out.write(f"`{header}`\n\n{trace.to_markdown()}")
    else:
        out.write(f"{header}\n\n{trace}\n")
    finite = all(math.isfinite(x) for r in trace.rows
                 for x in np.ravel([r.value, r.tangent, r.adjoint]))
    if not finite:
        out.write("\nnote: some values are not finite (nan or inf): the expression or its "
                  "derivative is undefined at this point.\n")
    if args.dot:
        _write_graph(trace, args.dot)


def _write_graph(trace, path):

    ext = os.path.splitext(path)[1].lower()
    title = "evaluation trace"
    try:
        if ext in ("", ".dot", ".gv", ".txt"):
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(to_dot(trace, title=title))
        else:
            draw(trace, path, title=title)
    except GraphvizError as e:
        raise _RuntimeFailure(str(e)) from None
    except OSError as e:
        raise _RuntimeFailure(f"cannot write {path}: {e.strerror or e}") from None
    sys.stderr.write(f"{_PROG}: wrote the graph to {path}\n")


class _RuntimeFailure(Exception):
    """Not a usage mistake (exit 1): Graphviz missing, a file not writable."""


def _demo(out):
    w = out.write
    w("tapegrad demo: the tutorial's first examples, computed by reverse mode\n\n")
    x = tg.arange(4.0)
    x.attach_grad()
    with autograd.record():
        y = 2 * tg.dot(x, x)
    y.backward()
    w("1. y = 2 x.x at x = [0, 1, 2, 3]\n")
    w(f"   y = {y.item():g};  dy/dx = {x.grad._data.tolist()}  "
      f"(= 4x: {bool(np.allclose(x.grad._data, 4 * x._data))})\n\n")
    v = tg.array([3.0, -4.0, 12.0])
    v.attach_grad()
    with autograd.record():
        n = v.norm()
    n.backward()
    w("2. y = ||x|| at x = [3, -4, 12]\n")
    w(f"   y = {n.item():g};  dy/dx = {np.round(v.grad._data, 4).tolist()}  "
      f"(= x/||x||: {bool(np.allclose(v.grad._data, v._data / 13.0))})\n\n")
    w("3. The evaluation traces of f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at x1 = 3, x2 = -4\n"
      "   (try: tapegrad trace \"ln(x1) + x1*x2 - sin(x2)\" --at x1=3 x2=-4 --wrt x2)\n\n")

    def f(x1, x2):
        return tg.log(x1) + x1 * x2 - tg.sin(x2)

    w(f"{tg.evaluation_trace(f, 3.0, -4.0, names=['x1', 'x2'])}\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tapegrad` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    try:
        args = parser.parse_args(_protect_expr(argv))
    except SystemExit as e:              # argparse: --help (0) or a usage error (2)
        return int(e.code or 0)
    if args.version:
        sys.stdout.write(f"tapegrad {tg.__version__}\n")
        return 0
    if args.command is None:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"{_PROG}: error: give a command: trace or demo "
                         f"(e.g. {_PROG} demo)\n")
        return 2
    try:
        if args.command == "trace":
            _trace(args, sys.stdout)
        else:
            _demo(sys.stdout)
    except _UsageError as e:
        sys.stderr.write(f"{_PROG} {args.command}: error: {e.msg}\n")
        if e.pointer:
            sys.stderr.write(e.pointer + "\n")
        return 2
    except _RuntimeFailure as e:
        sys.stderr.write(f"{_PROG} {args.command}: error: {e}\n")
        return 1
    except BrokenPipeError:
        return 0
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
