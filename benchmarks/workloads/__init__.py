"""The workloads, in the order they are run and reported, and the Target
record each one declares (the performance goals from the tapegrad issue).

Each workload module defines:
  TITLE            one line saying what is computed
  TOL              allowed max|got - ref| relative to max|ref| for the check
  make_data()      seeded NumPy data, identical for every system
  reference(data)  the expected gradients as a list of float64 NumPy arrays
  bench_<system>(data) -> (step, grads) or {variant: (step, grads)}
      step()  one timed iteration (record + backward, or the transform)
      grads() runs one iteration and returns its gradients, in the order
              of reference()
  optional: DTYPE (the gradients' required dtype), MEMORY (measure peak
  memory), TARGETS, UNSUPPORTED {system: why there is no bench_<system>}.
"""
import importlib
from dataclasses import dataclass

NAMES = ["scalar", "mlp", "elementwise", "rnn", "deep", "hvp", "jacobian"]


@dataclass
class Target:
    peer: str
    limit: float                 # tapegrad / peer must be <= limit (< if strict)
    variant: str = None          # compare with this peer variant, else its best
    metric: str = "time"         # "time" or "memory"
    strict: bool = False

    def describe(self):
        what = "peak memory" if self.metric == "memory" else "time"
        name = "jax eager" if self.peer == "jax" else self.peer
        if self.variant:
            peer = f"{name} {self.variant}"
        else:
            peer = name if self.metric == "memory" else f"{name} best"
        op = "<" if self.strict else "<="
        return f"{what} {op} {self.limit:g}x {peer}"

    def met(self, ratio):
        return ratio < self.limit if self.strict else ratio <= self.limit


def load(name):
    return importlib.import_module(f"workloads.{name}")
