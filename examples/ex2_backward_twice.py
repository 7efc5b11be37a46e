"""Exercise 2: run backward twice on the same graph.

The first backward frees what the graph saved for its derivatives (here x,
which the product x*x needs), so a second backward through the same graph
has nothing to work with and raises, saying what to do: keep the graph with
retain_graph=True.  With the graph kept, each backward overwrites x.grad
(grad_req='write', the default) or adds to it (grad_req='add').

    python examples/ex2_backward_twice.py
"""
import tapegrad as tg
from tapegrad import autograd


def main() -> None:
    x = tg.arange(4.0)
    x.attach_grad()
    with autograd.record():
        y = 2 * tg.dot(x, x)
    y.backward()
    print(f"first backward:  x.grad = {x.grad}")
    try:
        y.backward()
    except RuntimeError as e:
        print(f"second backward: {type(e).__name__}: {e}")

    with autograd.record():
        y = 2 * tg.dot(x, x)
    y.backward(retain_graph=True)
    y.backward()
    print(f"with retain_graph=True the second backward works; 'write' overwrites: "
          f"x.grad = {x.grad}")

    x.attach_grad(grad_req="add")
    with autograd.record():
        y = 2 * tg.dot(x, x)
    y.backward(retain_graph=True)
    y.backward()
    print(f"with grad_req='add' the two backwards accumulate: x.grad = {x.grad}")


if __name__ == "__main__":
    main()
