"""tg.to_dot / tg.draw: graph structure, values, gradients, size, rendering."""
import re
import shutil
import subprocess
import sys

import pytest

import tapegrad as tg
from tapegrad import autograd
from tapegrad.teaching.graphviz import GraphvizNotFoundError

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot program is not installed")


def nodes(src):
    """{node id: label} of a DOT source."""
    return {m.group(1): m.group(2).replace("\\n", "\n")
            for m in re.finditer(r'^\s*(\w+) \[.*?label="((?:[^"\\]|\\.)*)"', src, re.M)}


def edges(src):
    return re.findall(r"^\s*(\w+) -> (\w+)", src, re.M)


def op_labels(src):
    return sorted(lbl for nid, lbl in nodes(src).items() if nid.startswith("n"))


def tutorial_graph():
    x1, x2 = tg.array(3.0), tg.array(-4.0)
    x1.attach_grad()
    x2.attach_grad()
    with autograd.record():
        y = x1 * x2 + x2 - tg.log(x1)
    return x1, x2, y


def test_structure_of_the_tutorial_graph():
    x1, x2, y = tutorial_graph()
    src = tg.to_dot(y, names={"x1": x1, "x2": x2})
    assert src.startswith("digraph tapegrad {") and src.rstrip().endswith("}")
    assert op_labels(src) == ["*", "+", "-", "ln"]
    labels = nodes(src)
    assert "x1\n3" in labels.values()
    assert "x2\n-4" in labels.values()
    assert "-17.0986" in labels.values()              # the output's value
    # 4 ops: inputs 2+2+1+2 = 7 edges in, 4 edges out
    assert len(edges(src)) == 11
    head = [ln for ln in src.splitlines() if "-17.0986" in ln][0]
    assert 'peripheries="2"' in head


def test_structure_survives_backward_and_shows_gradients():
    x1, x2, y = tutorial_graph()
    before = tg.to_dot(y, names={"x1": x1, "x2": x2})
    assert "\\ngrad" not in before
    y.backward()                                   # frees the saved values
    after = tg.to_dot(y, names={"x1": x1, "x2": x2})
    assert edges(after) == edges(before)
    assert op_labels(after) == op_labels(before)
    assert "x1\n3\ngrad -4.3333" in nodes(after).values()
    assert "x2\n-4\ngrad 4" in nodes(after).values()


def test_arrays_show_shapes_and_constants_show_values():
    w = tg.ones((2, 3))
    w.attach_grad()
    with autograd.record():
        y = (w * 2.5).sum()
    labels = nodes(tg.to_dot(y, names={"w": w}))
    assert "w\nshape (2, 3)" in labels.values()
    assert "2.5" in labels.values()                 # the constant operand
    assert "shape (2, 3)" in labels.values()        # the product
    assert "15" in labels.values()                  # the scalar output


def test_follows_imports_into_older_tapes():
    a = tg.array([1.0, 2.0, 3.0])
    a.attach_grad()
    with autograd.record():
        b = (a * 2).sum()
    with autograd.record():                         # a second tape that imports b
        c = b * b + tg.exp(b)
    src = tg.to_dot(c, names={"a": a})
    assert op_labels(src) == ["*", "*", "+", "exp", "sum"]
    assert "a\nshape (3,)" in nodes(src).values()
    # b is one node: the sum's output feeds both ops of the newer tape
    sum_node = [nid for nid, lbl in nodes(src).items() if lbl == "sum"][0]
    b_node = [dst for src_, dst in edges(src) if src_ == sum_node][0]
    assert sorted(nodes(src)[dst] for s, dst in edges(src) if s == b_node) == ["*", "*", "exp"]


def test_custom_function_node():
    class Twice(autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            return dy * 2

    x = tg.array(1.0)
    x.attach_grad()
    with autograd.record():
        y = Twice()(x) + 1
    assert op_labels(tg.to_dot(y)) == ["+", "Twice"]


def test_ten_thousand_node_chain_without_recursion():
    x = tg.array(1.0)
    x.attach_grad()
    with autograd.record():
        z = x
        for _ in range(10_000):
            z = z * 1.0001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)                      # a recursive walk would die here
    try:
        src = tg.to_dot(z)
    finally:
        sys.setrecursionlimit(limit)
    assert len(edges(src)) == 30_000                # in, constant, out per op
    assert sum(1 for nid in nodes(src) if nid.startswith("n")) == 10_000


def test_unrecorded_tensor_is_one_node():
    x = tg.array(2.0)
    x.attach_grad()
    src = tg.to_dot(x, names={"x": x})
    assert list(nodes(src).values()) == ["x\n2"] and edges(src) == []


def test_trace_graph_has_chain_rule_terms_on_edges():
    t = tg.evaluation_trace(lambda x: tg.log(x * x) * tg.sin(x) + 1 / x, 2.0)
    src = tg.to_dot(t)
    assert src.startswith("digraph trace {")
    assert "v_3 = sin(v_0)\nvalue 0.9093\ntangent -0.4161   adjoint 1.3863" in nodes(src).values()
    assert "∂v_3/∂v_0 = cos(v_0)\\n= -0.4161" in src
    assert "∂v_2/∂v_1 = 1/v_1\\n= 0.25" in src
    assert len(edges(src)) == 9          # v_1 = v_0 * v_0 has two edges from v_0


def test_to_dot_rejects_other_things():
    with pytest.raises(TypeError, match="recorded tensors or an evaluation trace"):
        tg.to_dot(3.0)


@needs_dot
def test_dot_accepts_the_source(tmp_path):
    x1, x2, y = tutorial_graph()
    y.backward()
    for src in (tg.to_dot(y, names={"x1": x1}), tg.to_dot(tg.evaluation_trace(
            lambda a, b: a * b - tg.sin(b), 1.0, 2.0))):
        proc = subprocess.run(["dot", "-Tsvg"], input=src.encode(), capture_output=True)
        assert proc.returncode == 0, proc.stderr.decode()
        assert b"<svg" in proc.stdout


@needs_dot
def test_draw_writes_svg_and_png(tmp_path):
    _, _, y = tutorial_graph()
    svg = tg.draw(y, tmp_path / "g.svg")
    assert open(svg).read().lstrip().startswith(("<?xml", "<svg", "<!DOCTYPE"))
    png = tg.draw(y, str(tmp_path / "g.png"))
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_draw_dot_source_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    _, _, y = tutorial_graph()
    path = tg.draw(y, tmp_path / "g.dot")
    assert open(path).read() == tg.to_dot(y)


def test_draw_without_graphviz_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    _, _, y = tutorial_graph()
    with pytest.raises(GraphvizNotFoundError) as e:
        tg.draw(y, tmp_path / "g.svg")
    assert isinstance(e.value, RuntimeError)
    assert "apt-get install graphviz" in str(e.value)
    assert "pip install tapegrad[plot]" in str(e.value)
    assert not (tmp_path / "g.svg").exists()


def test_dot_source_is_a_string_that_a_notebook_draws():
    x1, x2, y = tutorial_graph()
    src = tg.to_dot(y)
    assert isinstance(src, str) and src.startswith("digraph")
    svg = src._repr_svg_()
    if shutil.which("dot") is None:
        assert svg is None              # the notebook then shows the text
    else:
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
