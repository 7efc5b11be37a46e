"""Exercise 5: the dependency graph of f(x) = log(x^2) * sin(x) + 1/x.

Every elementary operation is a node; its inputs point at it.  The evaluation
trace lists the nodes in the order they were computed (Table 1), and
tg.to_dot draws the graph: ex5_graph.dot (Graphviz source) always, and
ex5_graph.svg where Graphviz's dot program is installed, both into
./tapegrad-examples/ (or $TAPEGRAD_EXAMPLES_DIR).

    python examples/ex5_dependency_graph.py
"""
import os
import shutil
from pathlib import Path

import tapegrad as tg
from tapegrad import autograd


def output_dir() -> Path:
    """Where the files go: $TAPEGRAD_EXAMPLES_DIR, else ./tapegrad-examples/."""
    d = Path(os.environ.get("TAPEGRAD_EXAMPLES_DIR") or "tapegrad-examples")
    d.mkdir(parents=True, exist_ok=True)
    print(f"writing into {d.resolve()}")
    return d


def f(x: tg.Tensor) -> tg.Tensor:
    return tg.log(x ** 2) * tg.sin(x) + 1 / x


def main(x0: float = 2.0) -> None:
    t = tg.evaluation_trace(f, x0, names=["x"])
    print(f"f(x) = log(x^2) * sin(x) + 1/x at x = {x0}: the nodes in evaluation order")
    print(str(t).split("\n\n")[0])
    print("edges (operand -> result):")
    for r in t.rows:
        for a in r.args:
            if isinstance(a, int):
                print(f"  {t.rows[a].name} -> {r.name}")

    # The graph tapegrad recorded, read back from the tape.
    x = tg.array(x0)
    x.attach_grad()
    with autograd.record():
        y = f(x)
    src = tg.to_dot(y, names={"x": x})
    out = output_dir()
    (out / "ex5_graph.dot").write_text(tg.to_dot(t, title="f(x) = log(x^2) sin(x) + 1/x"))
    print(f"recorded graph: {src.count('ellipse')} operations; wrote ex5_graph.dot")
    if shutil.which("dot"):
        tg.draw(t, str(out / "ex5_graph.svg"), title="f(x) = log(x^2) sin(x) + 1/x")
        print("drew ex5_graph.svg")
    else:
        print("Graphviz's dot is not installed (apt-get install graphviz): no image")


if __name__ == "__main__":
    main()
