"""Exercise 3: the control-flow function f(a) with a vector (or matrix) a.

f doubles b = 2a until ||b|| >= 1000 and may multiply by 100: whatever path
the loop takes, f(a) = k * a for one scalar k that depends on a.  For a
vector a, d = f(a) is a vector, and backward() (no head gradient) computes
the gradient of d.sum(): each element is k, so a.grad == d / a again.  The
full derivative is the Jacobian, k times the identity.

    python examples/ex3_control_flow_vector.py
"""
import numpy as np

import tapegrad as tg
from tapegrad import autograd


def f(a: tg.Tensor) -> tg.Tensor:
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def main() -> None:
    tg.random.seed(3)
    for shape in [(4,), (2, 3)]:
        a = tg.random.normal(size=shape)
        a.attach_grad()
        with autograd.record():
            d = f(a)
        d.backward()                       # = d.sum().backward()
        k = (d / a).asnumpy().reshape(-1)[0]
        assert a.grad is not None          # a is a variable: attach_grad() made a.grad
        print(f"a of shape {shape}: d = f(a) has shape {d.shape}; f(a) = k * a with k = {k:g}")
        print(f"  a.grad == d / a everywhere: {bool(np.allclose(a.grad.asnumpy(), (d / a).asnumpy()))}")
    a = tg.random.normal(size=(4,))
    J = tg.jacobian(f)(a)
    k = (f(a) / a).asnumpy()[0]
    print(f"Jacobian of f at a 4-vector: shape {J.shape}, equal to k * I: "
          f"{bool(np.allclose(J.asnumpy(), k * np.eye(4)))}")


if __name__ == "__main__":
    main()
