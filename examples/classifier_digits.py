"""A small classifier: a one-hidden-layer network on scikit-learn's bundled
8x8 handwritten digits (1797 images, shipped inside the sklearn package: no
download), trained with tg.optim.Adam on the softmax cross-entropy.

    pip install scikit-learn
    python examples/classifier_digits.py
"""
import sys
import time

import numpy as np
from numpy.typing import NDArray

import tapegrad as tg
from tapegrad import autograd


def main(epochs: int = 60, hidden: int = 64, batch: int = 128, seed: int = 0) -> None:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("scikit-learn is not installed (pip install scikit-learn): it ships the data set")
        sys.exit(0)
    digits = load_digits()
    X = digits.data / 16.0
    y = digits.target
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    n_test = len(X) // 5
    test, train = order[:n_test], order[n_test:]
    Xtr, ytr, Xte, yte = X[train], y[train], X[test], y[test]
    onehot = np.eye(10)[ytr]
    print(f"digits: {len(Xtr)} training and {len(Xte)} test images of 8x8 pixels, 10 classes")

    tg.random.seed(seed)
    W1 = tg.random.normal(scale=1 / np.sqrt(64), size=(64, hidden))
    b1 = tg.zeros(hidden)
    W2 = tg.random.normal(scale=1 / np.sqrt(hidden), size=(hidden, 10))
    b2 = tg.zeros(10)
    params = [W1, b1, W2, b2]
    for p in params:
        p.attach_grad()
    opt = tg.optim.Adam(params, lr=1e-2)

    def logits(xb: tg.Tensor) -> tg.Tensor:
        return tg.matmul(tg.tanh(tg.matmul(xb, W1) + b1), W2) + b2

    def accuracy(Xs: NDArray[np.float64], ys: NDArray[np.int64]) -> float:
        with autograd.pause():
            return float((logits(tg.array(Xs)).asnumpy().argmax(axis=1) == ys).mean())

    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(len(Xtr))
        total = 0.0
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            xb, tb = tg.array(Xtr[idx]), tg.array(onehot[idx])
            with autograd.record():
                loss = -(tb * tg.log_softmax(logits(xb))).sum(axis=1).mean()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if epoch in (1, 5, 20) or epoch == epochs:
            print(f"epoch {epoch:3d}: training loss {total / len(Xtr):.4f}, "
                  f"test accuracy {accuracy(Xte, yte):.3f}")
    print(f"trained in {time.perf_counter() - t0:.1f} s; final test accuracy "
          f"{accuracy(Xte, yte):.3f} (train {accuracy(Xtr, ytr):.3f})")


if __name__ == "__main__":
    main()
