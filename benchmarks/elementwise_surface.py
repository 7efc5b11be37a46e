"""Forward + backward of the NumPy surface's elementwise functions on big
arrays: tapegrad (record, then backward with a full head gradient) against
the same computation written in NumPy (the forward, then the derivative with
its temporaries), and torch where installed.  Also the backward alone: the
fused kernel row against the entry's NumPy rule.  Best of 7 rounds.

    python benchmarks/elementwise_surface.py [--n 1000000] [--threads 1]
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "src")]
import tapegrad as tg  # noqa: E402
from tapegrad import autograd  # noqa: E402
from tapegrad._core import kernels as K  # noqa: E402
from tapegrad.ops import REGISTRY, Meta  # noqa: E402
from tapegrad.ops.backend import NP  # noqa: E402

TWO_OVER_SQRTPI = 2 / np.sqrt(np.pi)


def _erf(x):
    from scipy.special import erf
    return erf(x)


# name -> (tapegrad function, registry key, domain, NumPy forward + backward by hand)
CASES = {
    "expm1": (tg.expm1, "expm1", (-3, 3), lambda x, g: (lambda y: (y, g * (y + 1)))(np.expm1(x))),
    "log1p": (tg.log1p, "log1p", (-0.5, 3), lambda x, g: (np.log1p(x), g / (1 + x))),
    "sinh": (tg.sinh, "sinh", (-3, 3), lambda x, g: (np.sinh(x), g * np.cosh(x))),
    "cosh": (tg.cosh, "cosh", (-3, 3), lambda x, g: (np.cosh(x), g * np.sinh(x))),
    "arcsinh": (tg.arcsinh, "arcsinh", (-3, 3),
                lambda x, g: (np.arcsinh(x), g / np.sqrt(1 + x * x))),
    "arctan": (tg.arctan, "arctan", (-3, 3), lambda x, g: (np.arctan(x), g / (1 + x * x))),
    "tanh": (tg.tanh, "tanh", (-3, 3), lambda x, g: (lambda y: (y, g * (1 - y * y)))(np.tanh(x))),
    "erf": (tg.special.erf, "special.erf", (-3, 3),
            lambda x, g: (_erf(x), g * (TWO_OVER_SQRTPI * np.exp(-x * x)))),
}


def best(fn, rounds=7):
    fn()
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t >= 0.2:
            break
        n *= 2
    out = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        out = min(out, (time.perf_counter() - t) / n)
    return out


def run(n, dtype):
    rng = np.random.default_rng(0)
    try:
        import torch
        torch.set_num_threads(K.num_threads())
    except ImportError:
        torch = None
    print(f"\n{n:,} elements, {np.dtype(dtype).name}, {K.num_threads()} thread(s): "
          f"milliseconds (best of 7)")
    print(f"{'':9s} {'tapegrad':>9s} {'NumPy':>9s} {'torch':>9s}   {'bwd kernel':>10s} "
          f"{'bwd rule':>9s}")
    for name, (f, key, dom, by_hand) in CASES.items():
        x = rng.uniform(*dom, n).astype(dtype)
        g = rng.standard_normal(n).astype(dtype)
        t = tg.array(x)
        t.attach_grad()
        head = tg.array(g)

        def step():
            with autograd.record():
                y = f(t)
            y.backward(head)
            return t.grad

        want = by_hand(x, g)[1]
        np.testing.assert_allclose(step().asnumpy(), want, rtol=1e-4 if dtype == np.float32
                                   else 1e-12, atol=1e-6)
        cells = [best(step), best(lambda: by_hand(x, g))]
        if torch is not None and hasattr(torch.special if name == "erf" else torch, name):
            tt = torch.tensor(x, requires_grad=True)
            tg_ = torch.tensor(g)
            tf = getattr(torch.special if name == "erf" else torch, name)

            def tstep():
                (gr,) = torch.autograd.grad(tf(tt), (tt,), tg_)
                return gr
            cells.append(best(tstep))
        else:
            cells.append(float("nan"))
        prim = REGISTRY[key]
        y = np.asarray(prim.forward(x))
        cells.append(best(lambda: K._unary_bwd(prim.kernel, g, x, y)))
        xs = (x if 0 in prim.saves else Meta(x.shape, x.dtype),)
        cells.append(best(lambda: prim.vjp(NP, g, xs, y if prim.save_out else None, {},
                                           (True,))))
        print(f"{name:9s} " + " ".join(f"{c * 1e3:9.2f}" for c in cells[:3]) + "   "
              + f"{cells[3] * 1e3:10.2f} {cells[4] * 1e3:9.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        K.set_num_threads(args.threads)
    for dtype in (np.float64, np.float32):
        run(args.n, dtype)


if __name__ == "__main__":
    main()
