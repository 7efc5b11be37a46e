"""A tiny pure-Python scalar reverse-mode engine in the style of micrograd.

It is the "pure Python, one object per scalar" baseline for the scalar
workload. The PyPI package `micrograd` has no log or sin, so the harness uses
this one; it was written for this harness and keeps to what the workload needs.
"""
import math


class Value:
    __slots__ = ("data", "grad", "_parents", "_local")

    def __init__(self, data, parents=(), local=()):
        self.data = float(data)
        self.grad = 0.0
        self._parents = parents   # the Values this one was computed from
        self._local = local       # d(self)/d(parent), one per parent

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __sub__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data - other.data, (self, other), (1.0, -1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    __radd__ = __add__
    __rmul__ = __mul__

    def log(self):
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def sin(self):
        return Value(math.sin(self.data), (self,), (math.cos(self.data),))

    def backward(self):
        """Accumulate d(self)/d(v) into v.grad for every v this depends on."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:                      # iterative post-order DFS
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents)
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node._parents, node._local):
                parent.grad += local * node.grad
