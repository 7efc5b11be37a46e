"""Exercise 4: plot f(x) = sin(x) and f'(x) computed by autodiff (not cos).

One backward of sin(x).sum() over a vector of points gives f' at every point
(each output depends on its own input only).  Writes sin_and_derivative.png
into ./tapegrad-examples/ (or $TAPEGRAD_EXAMPLES_DIR).

    python examples/ex4_plot_sin.py
"""
import os
from pathlib import Path

import numpy as np

import tapegrad as tg
from tapegrad import autograd


def output_dir() -> Path:
    """Where the files go: $TAPEGRAD_EXAMPLES_DIR, else ./tapegrad-examples/."""
    d = Path(os.environ.get("TAPEGRAD_EXAMPLES_DIR") or "tapegrad-examples")
    d.mkdir(parents=True, exist_ok=True)
    print(f"writing into {d.resolve()}")
    return d


def main(path: str | Path | None = None) -> None:
    x = tg.array(np.linspace(-2 * np.pi, 2 * np.pi, 201))
    x.attach_grad()
    with autograd.record():
        y = tg.sin(x)
    y.backward()
    assert x.grad is not None              # x is a variable: attach_grad() made x.grad
    dy = x.grad.asnumpy()
    err = np.abs(dy - np.cos(x.asnumpy())).max()
    print(f"f'(x) by autodiff at {x.size} points; max |f'(x) - cos(x)| = {err:.1e}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install tapegrad[plot]): no plot")
        return
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(x.asnumpy(), y.asnumpy(), label="f(x) = sin(x)")
    ax.plot(x.asnumpy(), dy, "--", label="f'(x) by autodiff")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("x")
    ax.legend()
    fig.tight_layout()
    out = path or output_dir() / "sin_and_derivative.png"
    fig.savefig(out, dpi=100)
    print(f"saved the plot to {out}")


if __name__ == "__main__":
    main()
