"""Exercise 6: the chain rule on the dependency graph of
f(x) = log(x^2) * sin(x) + 1/x.

Each edge v_i -> v_j carries the local derivative dv_j/dv_i.  df/dx is the
sum, over all paths from x to f, of the products of the edge terms; the
adjoint of a node (df/dv_i) collects exactly that for the part of the graph
above it.  The numbers are the ones tapegrad's own rules computed.

    python examples/ex6_chain_rule.py
"""
import math

import tapegrad as tg
from tapegrad.teaching.trace import _partial_text


def f(x: tg.Tensor) -> tg.Tensor:
    return tg.log(x ** 2) * tg.sin(x) + 1 / x


def main(x0: float = 2.0) -> None:
    t = tg.evaluation_trace(f, x0, names=["x"])
    rows = t.rows
    print(f"local derivatives on the edges, at x = {x0}:")
    for r in rows:
        for k, a in enumerate(r.args):
            if isinstance(a, int):
                print(f"  d{r.name}/d{rows[a].name} = {_partial_text(r, k, rows):12s} "
                      f"= {r.partials[k]: .6f}")
    # all paths from x (row 0) to f (last row): products of edge terms
    paths = [([0], 1.0)]
    total = 0.0
    lines = []
    while paths:
        path, prod = paths.pop()
        i = path[-1]
        if i == len(rows) - 1:
            total += prod
            lines.append(" -> ".join(rows[j].name for j in path) + f": {prod: .6f}")
            continue
        for j, r in enumerate(rows):
            for k, a in enumerate(r.args):
                edge = r.partials[k]           # a float here: None only for a constant
                if a == i and edge is not None:
                    paths.append((path + [j], prod * edge))
    print("paths from x to f and their products:")
    for ln in sorted(lines):
        print(f"  {ln}")
    exact = 2 * math.sin(x0) / x0 + math.log(x0 ** 2) * math.cos(x0) - 1 / x0 ** 2
    print(f"sum over paths = {total:.10f}")
    print(f"adjoint of x   = {t.gradient[0]:.10f}")
    print(f"closed form    = {exact:.10f}   (2 sin x / x + log(x^2) cos x - 1/x^2)")
    print(str(t).split("\n\n")[2])


if __name__ == "__main__":
    main()
