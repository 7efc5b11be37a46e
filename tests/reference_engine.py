"""A scalar reverse-mode autodiff engine in ~80 lines: the model the docs explain.

tapegrad does the same thing on arrays, with a tape of C structs, native
kernels and forward mode on top; strip all that away and this is what is
left.  It is written from scratch for the tests, where it serves as an
oracle: for scalar expressions tapegrad's gradients must equal these.

The idea, in three steps:

1. Evaluating an expression builds a graph.  Each ``Value`` remembers the
   values it was computed from (``parents``) and, for each parent, the local
   derivative d(self)/d(parent) at the current point (``partials``).
2. ``backward()`` orders the graph so every node comes after the nodes it
   was computed from (a topological order), seeds d(out)/d(out) = 1 and
   walks that order backwards.
3. Each node passes its adjoint ``grad`` = d(out)/d(node) to its parents
   multiplied by the local derivative (the chain rule); a parent used
   several times sums what it receives from each use.
"""
import math


class Value:
    """A scalar that records how it was computed."""

    def __init__(self, data, parents=(), partials=()):
        self.data = float(data)
        self.grad = 0.0               # d(output)/d(self), filled by backward()
        self.parents = parents        # the Values this one was computed from
        self.partials = partials      # d(self)/d(parent), one per parent

    # ---- building the graph: value and local derivatives side by side -----
    def __add__(self, other):
        other = _lift(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = _lift(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, other):
        other = _lift(other)
        out = self.data ** other.data
        d_base = other.data * self.data ** (other.data - 1.0)
        # d/d(exponent) needs ln(base): defined for a positive base only (a
        # non-positive base is fine when the exponent is a constant)
        d_exp = out * math.log(self.data) if self.data > 0 else 0.0
        return Value(out, (self, other), (d_base, d_exp))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,))

    def log(self):
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def sin(self):
        return Value(math.sin(self.data), (self,), (math.cos(self.data),))

    def cos(self):
        return Value(math.cos(self.data), (self,), (-math.sin(self.data),))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,))

    # ---- the rest follows from the ops above ------------------------------
    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-_lift(other))

    def __truediv__(self, other):
        return self * _lift(other) ** -1.0

    def __radd__(self, other):
        return _lift(other) + self

    def __rsub__(self, other):
        return _lift(other) - self

    def __rmul__(self, other):
        return _lift(other) * self

    def __rtruediv__(self, other):
        return _lift(other) / self

    def __rpow__(self, other):
        return _lift(other) ** self

    # ---- reverse mode ---------------------------------------------------------
    def backward(self):
        order, seen = [], set()

        def visit(v):                 # depth first: parents before children
            if id(v) not in seen:
                seen.add(id(v))
                for p in v.parents:
                    visit(p)
                order.append(v)

        visit(self)
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):     # children before parents
            for p, d in zip(v.parents, v.partials):
                p.grad += d * v.grad

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"


def _lift(x):
    return x if isinstance(x, Value) else Value(x)
