"""Autodiff is not finite differences: their error against the exact
(autodiff) derivative as the step h shrinks.

Forward differences (f(x+h) - f(x))/h have truncation error ~h; central
differences (f(x+h) - f(x-h))/2h ~h^2.  Both suffer round-off ~eps/h, which
wins for small h: the error is V-shaped, smallest near h ~ 1e-8 (forward)
and h ~ 1e-5 (central).  Autodiff has neither error.  Plot:
finite_differences.png in ./tapegrad-examples/ (or $TAPEGRAD_EXAMPLES_DIR).

    python examples/finite_differences.py
"""
import os
from pathlib import Path

import numpy as np

import tapegrad as tg


def output_dir() -> Path:
    """Where the files go: $TAPEGRAD_EXAMPLES_DIR, else ./tapegrad-examples/."""
    d = Path(os.environ.get("TAPEGRAD_EXAMPLES_DIR") or "tapegrad-examples")
    d.mkdir(parents=True, exist_ok=True)
    print(f"writing into {d.resolve()}")
    return d


def f(x: tg.Tensor) -> tg.Tensor:
    return tg.sin(x) * tg.exp(x)


def main(path: str | Path | None = None, x0: float = 1.0) -> None:
    exact = tg.grad(f)(x0).item()
    closed = np.exp(x0) * (np.sin(x0) + np.cos(x0))
    print(f"f(x) = sin(x) exp(x) at x = {x0}: autodiff f'(x) = {exact:.15f} "
          f"(closed form {closed:.15f})")
    hs = 10.0 ** -np.arange(1, 16, 0.5)

    def fx(x: float) -> float:
        return f(tg.array(x)).item()

    fwd = np.array([abs((fx(x0 + h) - fx(x0)) / h - exact) for h in hs])
    cen = np.array([abs((fx(x0 + h) - fx(x0 - h)) / (2 * h) - exact) for h in hs])
    print("      h    forward error  central error")
    for h, a, b in zip(hs[::2], fwd[::2], cen[::2]):
        print(f"  {h:7.0e}   {a:12.3e}   {b:12.3e}")
    print(f"best forward difference: h = {hs[int(np.argmin(fwd))]:.0e}, error {fwd.min():.1e}")
    print(f"best central difference: h = {hs[int(np.argmin(cen))]:.0e}, error {cen.min():.1e}")
    num = tg.numerical_grad(f, x0).item()
    print(f"tg.numerical_grad (central, eps=1e-6) = {num:.12f}; tg.gradcheck(f, {x0}) = "
          f"{tg.gradcheck(f, x0)}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install tapegrad[plot]): no plot")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(hs, np.maximum(fwd, 1e-17), "o-", label="forward difference")
    ax.loglog(hs, np.maximum(cen, 1e-17), "s-", label="central difference")
    ax.loglog(hs, hs * abs(closed) / 2, ":", color="grey", label="~h (truncation)")
    ax.loglog(hs, 1e-16 / hs, "--", color="grey", label="~eps/h (round-off)")
    ax.set_xlabel("step h")
    ax.set_ylabel("|error| against autodiff")
    ax.set_ylim(1e-17, 1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = path or output_dir() / "finite_differences.png"
    fig.savefig(out, dpi=100)
    print(f"saved the plot to {out}")


if __name__ == "__main__":
    main()
