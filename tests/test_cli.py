"""The `tapegrad` command: trace, demo, exit codes and error messages."""
import math
import shutil
import subprocess
import sys

import pytest

import tapegrad
from tapegrad.__main__ import main

SEED = "ln(x1) + x1*x2 - sin(x2)"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def squeeze(text):
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


# ---- trace --------------------------------------------------------------------------
def test_trace_prints_the_three_tables(capsys):
    code, out, err = run(capsys, "trace", SEED, "--at", "x1=3", "x2=-4")
    assert code == 0 and err == ""
    s = squeeze(out)
    assert s.splitlines()[0] == f"f(x1, x2) = {SEED} at x1 = 3, x2 = -4"
    for title in ("Table 1: Forward primal trace", "Table 2: Forward tangent trace",
                  "Table 3: Reverse adjoint trace"):
        assert title in s
    assert "v_1 = ln(v_{-1}) 1.0986" in s
    assert "v_2 = v_{-1} * v_0 -12" in s
    y = math.log(3) - 12 - math.sin(-4)
    assert f"v_5 = v_3 - v_4 {y:.4f}" in s
    # default: tangents with respect to the first input, x1: dy/dx1 = 1/x1 + x2
    assert f"d y/d x1 = {1 / 3 - 4:.4f}" in s
    assert f"d y/d x2 = {3 - math.cos(-4):.4f}" in s


def test_trace_wrt(capsys):
    code, out, _ = run(capsys, "trace", SEED, "--at", "x1=3", "--at", "x2=-4", "--wrt", "x2")
    assert code == 0
    s = squeeze(out)
    assert "tangent = d v_i / d x2" in s
    assert f"forward mode (one pass per input): d y/d x2 = {3 - math.cos(-4):.4f}" in s


def test_trace_input_order_follows_at(capsys):
    code, out, _ = run(capsys, "trace", "x1 - x2", "--at", "x2=5", "x1=1")
    assert code == 0
    s = squeeze(out)
    assert "v_{-1} = x2 5" in s and "v_0 = x1 1" in s
    assert "v_1 = v_0 - v_{-1} -4" in s


def test_trace_markdown(capsys):
    code, out, _ = run(capsys, "trace", "x*x + 1", "--at", "x=3", "--markdown")
    assert code == 0
    assert out.startswith("`f(x) = x*x + 1   at x = 3`")
    assert "| $v_1 = v_0 \\times v_0$ | 9 |" in out
    assert "| $\\dot v_1 = \\dot v_0 \\times v_0 + \\dot v_0 \\times v_0$ | 6 |" in out


def test_trace_unary_minus_constants_and_digits(capsys):
    code, out, _ = run(capsys, "trace", "-x / 4 + 2**3 * sqrt(x)", "--at", "x=4",
                       "--digits", "2")
    assert code == 0
    s = squeeze(out)
    assert "v_1 = -v_0 -4" in s
    assert "v_2 = v_1 / 4 -1" in s
    assert "v_4 = 8 * v_3 16" in s                   # 2**3 folded to a number
    assert "y = 15; forward mode (one pass per input): d y/d x = 1.75" in s


@pytest.mark.parametrize("fn,expect", [("exp", math.exp(0.5)), ("cos", math.cos(0.5)),
                                       ("tan", math.tan(0.5)), ("tanh", math.tanh(0.5)),
                                       ("log", math.log(0.5)),
                                       ("sigmoid", 1 / (1 + math.exp(-0.5)))])
def test_every_function(capsys, fn, expect):
    code, out, _ = run(capsys, "trace", f"{fn}(x)", "--at", "x=0.5", "--digits", "6")
    assert code == 0
    assert f"v_1 = {fn if fn != 'log' else 'ln'}(v_0) {expect:.6f}" in squeeze(out)


def test_trace_dot_source(capsys, tmp_path):
    path = tmp_path / "g.dot"
    code, out, err = run(capsys, "trace", SEED, "--at", "x1=3", "x2=-4", "--dot", str(path))
    assert code == 0
    assert f"wrote the graph to {path}" in err
    src = path.read_text()
    assert src.startswith("digraph trace {") and "∂v_2/∂v_{-1} = v_0" in src


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_trace_dot_image(capsys, tmp_path):
    path = tmp_path / "g.svg"
    code, _, _ = run(capsys, "trace", SEED, "--at", "x1=3", "x2=-4", "--dot", str(path))
    assert code == 0 and "<svg" in path.read_text()


def test_trace_dot_image_without_graphviz(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, out, err = run(capsys, "trace", "x*2", "--at", "x=1", "--dot", str(tmp_path / "g.png"))
    assert code == 1
    assert "Table 1" in out                          # the tables still came out
    assert "apt-get install graphviz" in err


def test_undefined_point_is_noted(capsys):
    code, out, _ = run(capsys, "trace", "ln(x)", "--at", "x=-1")
    assert code == 0
    assert "nan" in out and "note: some values are not finite" in out


# ---- errors: exit 2, one line, a caret under the culprit -----------------------------
def error_of(capsys, *argv):
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert out == ""
    return err.splitlines()


def test_syntax_error_points_at_the_column(capsys):
    lines = error_of(capsys, "trace", "x1 +* x2", "--at", "x1=1", "x2=2")
    assert lines == ["tapegrad trace: error: syntax error: invalid syntax",
                     "  x1 +* x2",
                     "      ^"]


def test_unclosed_parenthesis(capsys):
    # the same message on every Python (3.9's parser said 'unexpected EOF')
    lines = error_of(capsys, "trace", "sin(x", "--at", "x=1")
    assert lines == ["tapegrad trace: error: syntax error: '(' was never closed",
                     "  sin(x",
                     "     ^"]
    lines = error_of(capsys, "trace", "(x + sin(x) * (2", "--at", "x=1")
    assert lines == ["tapegrad trace: error: syntax error: '(' was never closed",
                     "  (x + sin(x) * (2",
                     "                ^"]


@pytest.mark.parametrize("expr,message,caret", [
    ("x + 1)", "unmatched ')'", "       ^"),
    ("sin(x]", "closing parenthesis ']' does not match opening parenthesis '('", "       ^"),
    ("[x + 1", "'[' was never closed", "  ^"),
])
def test_unbalanced_brackets(capsys, expr, message, caret):
    lines = error_of(capsys, "trace", expr, "--at", "x=1")
    assert lines == [f"tapegrad trace: error: syntax error: {message}", f"  {expr}", caret]


def test_bracket_inside_a_string_is_not_counted(capsys):
    lines = error_of(capsys, "trace", "x + '('", "--at", "x=1")
    assert lines == ["tapegrad trace: error: unsupported constant '(' (str): only real numbers",
                     "  x + '('", "      ^^^"]


def test_unknown_function(capsys):
    lines = error_of(capsys, "trace", "x + foo(x)", "--at", "x=1")
    assert lines[0].startswith("tapegrad trace: error: unknown function 'foo' (known: ")
    known = lines[0].split("(known: ")[1].rstrip(")").split(", ")
    assert known == sorted(known) and {"cos", "exp", "ln", "arctan", "sinh"} <= set(known)
    assert lines[1:] == ["  x + foo(x)", "      ^^^"]


def test_missing_value(capsys):
    lines = error_of(capsys, "trace", "x1 * y", "--at", "x1=2")
    assert lines == ["tapegrad trace: error: missing value for 'y': give it with --at y=VALUE",
                     "  x1 * y", "       ^"]


@pytest.mark.parametrize("expr,message,caret", [
    ("x // 2", "unsupported operator: floor division '//'", "    ^^"),
    ("x ^ 2", "unsupported operator: '^' (for a power write '**')", "    ^"),
    ("x.real", "unsupported syntax: attribute access", "  ^^^^^^"),
    ("x[0]", "unsupported syntax: indexing", "  ^^^^"),
    ("__import__('os')", "unknown function '__import__'", "  ^^^^^^^^^^"),
    ("sin + x", "'sin' is a function: call it, as in sin(x)", "  ^^^"),
    ("sin(x, x)", "sin() takes exactly one argument, got 2", "  ^^^^^^^^^"),
    ("2j * x", "unsupported constant 2j (complex number)", "  ^^"),
    ("x < 1", "unsupported syntax: comparisons", "  ^^^^^"),
])
def test_rejected_syntax(capsys, expr, message, caret):
    lines = error_of(capsys, "trace", expr, "--at", "x=1")
    assert lines[0].startswith(f"tapegrad trace: error: {message}")
    assert lines[1] == f"  {expr}" and lines[2] == caret


@pytest.mark.parametrize("argv,message", [
    (["trace", "x", "--at", "x"], "--at expects NAME=VALUE (like x1=3), got 'x'"),
    (["trace", "x", "--at", "x=abc"], "--at x=abc: 'abc' is not a number"),
    (["trace", "x", "--at", "x=1", "x=2"], "--at gives x twice"),
    (["trace", "x", "--at", "x=1", "z=2"], "--at z=...: z does not appear in the expression "
                                            "(its variables: x)"),
    (["trace", "x", "--at", "x=1", "--wrt", "q"], "--wrt q: not a variable of the expression"),
    (["trace", "2 + 3"], "the expression has no variables"),
    (["trace", "   ", "--at", "x=1"], "the expression is empty"),
])
def test_usage_errors(capsys, argv, message):
    lines = error_of(capsys, *argv)
    assert len(lines) == 1
    assert lines[0].startswith(f"tapegrad trace: error: {message}")


def test_no_command_and_argparse_errors_exit_2(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "give a command: trace or demo" in err
    code, _, err = run(capsys, "nonsense")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "trace")
    assert code == 2 and "EXPR" in err


def test_help_and_version(capsys):
    code, out, _ = run(capsys, "trace", "--help")
    assert code == 0 and "--at NAME=VALUE" in out
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"tapegrad {tapegrad.__version__}\n")
    proc = subprocess.run([sys.executable, "-m", "tapegrad", "--version"],
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (0, f"tapegrad {tapegrad.__version__}\n")


# ---- demo, and the installed command ---------------------------------------------------
def test_demo(capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "dy/dx = [0.0, 4.0, 8.0, 12.0]  (= 4x: True)" in out
    assert "(= x/||x||: True)" in out
    s = squeeze(out)
    assert "v_5 = v_3 - v_4 -11.6582" in s
    assert f"d y/d x1 = {1 / 3 - 4:.4f}, d y/d x2 = {3 - math.cos(-4):.4f}" in s


def test_python_dash_m_and_console_script():
    proc = subprocess.run([sys.executable, "-m", "tapegrad", "trace", "-x1 * x2",
                           "--at", "x1=3", "x2=-4", "--wrt", "x2"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "d y/d x2 = -3" in squeeze(proc.stdout)
    exe = shutil.which("tapegrad")
    if exe is None:
        pytest.skip("the tapegrad console script is not on PATH")
    proc = subprocess.run([exe, "trace", "x +", "--at", "x=1"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("tapegrad trace: error: syntax error")
