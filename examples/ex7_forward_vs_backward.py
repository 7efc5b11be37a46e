"""Exercise 7: evaluate df/dx from x to f (forward) and from f to x (backward),
for f(x) = log(x^2) * sin(x) + 1/x.

Forward mode carries a tangent dv/dx along with each value, in evaluation
order (Table 2).  Reverse mode first evaluates f, then carries adjoints
df/dv from the output back to x (Table 3).  Both end with the same number.

    python examples/ex7_forward_vs_backward.py
"""
import math

import tapegrad as tg


def f(x: tg.Tensor) -> tg.Tensor:
    return tg.log(x ** 2) * tg.sin(x) + 1 / x


def main(x0: float = 2.0) -> None:
    t = tg.evaluation_trace(f, x0, names=["x"])
    tables = str(t).split("\n\n")
    print("From x to f (forward differentiation):")
    print(tables[1])
    print()
    print("From f back to x (backward differentiation):")
    print(tables[2])
    exact = 2 * math.sin(x0) / x0 + math.log(x0 ** 2) * math.cos(x0) - 1 / x0 ** 2
    print()
    print(f"forward:  df/dx = {t.derivative:.12f}")
    print(f"backward: df/dx = {t.gradient[0]:.12f}")
    print(f"exact:    df/dx = {exact:.12f}")
    _, tan = tg.jvp(f, (x0,), (1.0,))
    print(f"tg.jvp agrees: {abs(tan.item() - exact) < 1e-12}; "
          f"tg.grad agrees: {abs(tg.grad(f)(x0).item() - exact) < 1e-12}")


if __name__ == "__main__":
    main()
