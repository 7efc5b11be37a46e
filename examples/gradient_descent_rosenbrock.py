"""Gradient descent on the Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2.

Its minimum (1, 1) lies at the bottom of a long curved valley: plain gradient
descent crawls along it, momentum and Adam get there much faster.  Each
optimiser starts at (-1.5, 2); the paths are plotted over the contours in
rosenbrock_paths.png in ./tapegrad-examples/ (or $TAPEGRAD_EXAMPLES_DIR).

    python examples/gradient_descent_rosenbrock.py
"""
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

import tapegrad as tg
from tapegrad import autograd


def output_dir() -> Path:
    """Where the files go: $TAPEGRAD_EXAMPLES_DIR, else ./tapegrad-examples/."""
    d = Path(os.environ.get("TAPEGRAD_EXAMPLES_DIR") or "tapegrad-examples")
    d.mkdir(parents=True, exist_ok=True)
    print(f"writing into {d.resolve()}")
    return d


def rosenbrock(p: tg.Tensor) -> tg.Tensor:
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def descend(make_opt: Callable[[list[tg.Tensor]], tg.optim.Optimizer],
            steps: int) -> tuple[NDArray[np.float64], float]:
    p = tg.array([-1.5, 2.0])
    p.attach_grad()
    opt = make_opt([p])
    path = [p.asnumpy()]
    for _ in range(steps):
        with autograd.record():
            loss = rosenbrock(p)
        loss.backward()
        opt.step()
        path.append(p.asnumpy())
    return np.array(path), rosenbrock(p).item()


def main(path: str | Path | None = None, steps: int = 3000) -> None:
    runs = {
        "gradient descent (lr 1e-3)": lambda ps: tg.optim.SGD(ps, lr=1e-3),
        "momentum 0.9 (lr 2e-4)": lambda ps: tg.optim.SGD(ps, lr=2e-4, momentum=0.9),
        "Adam (lr 2e-2)": lambda ps: tg.optim.Adam(ps, lr=2e-2),
    }
    paths = {}
    for name, make in runs.items():
        pts, loss = descend(make, steps)
        paths[name] = pts
        x, y = pts[-1]
        print(f"{name:28s} after {steps} steps: (x, y) = ({x:.4f}, {y:.4f}), "
              f"f = {loss:.2e}, distance to (1, 1) = {np.hypot(x - 1, y - 1):.4f}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install tapegrad[plot]): no plot")
        return
    X, Y = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
    Z = (1 - X) ** 2 + 100 * (Y - X ** 2) ** 2
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contour(X, Y, np.log10(Z + 1e-3), levels=25, cmap="viridis", linewidths=0.6)
    for name, pts in paths.items():
        ax.plot(pts[:, 0], pts[:, 1], lw=1.2, label=name)
    ax.plot([1], [1], "k*", ms=12, label="minimum (1, 1)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Rosenbrock: paths of three optimisers")
    fig.tight_layout()
    out = path or output_dir() / "rosenbrock_paths.png"
    fig.savefig(out, dpi=100)
    print(f"saved the paths to {out}")


if __name__ == "__main__":
    main()
