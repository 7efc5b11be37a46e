"""The two backends a rule can run on.

``NP`` works on raw NumPy arrays (the ordinary backward sweep); ``TG`` works
on tensors through ``apply``, so what a rule computes is itself recorded and
carries tangents (create_graph, Hessians, forward mode).  Rules use only the
names below plus Python's arithmetic operators, which both kinds of value
support.
"""
import numpy as np

from .. import _engine
from ._registry import REGISTRY


def _sum_axes(gshape, shape):
    return _engine.sum_to_shape(gshape, shape)


class _NP:
    native = True

    @staticmethod
    def raw(x):
        return x

    @staticmethod
    def const(a):
        return a

    cos = staticmethod(np.cos)
    sin = staticmethod(np.sin)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    power = staticmethod(np.power)
    matmul = staticmethod(np.matmul)
    swapaxes = staticmethod(np.swapaxes)
    squeeze = staticmethod(np.squeeze)
    expand_dims = staticmethod(np.expand_dims)
    broadcast_to = staticmethod(np.broadcast_to)
    reshape = staticmethod(np.reshape)

    @staticmethod
    def where(cond, a, b):
        return np.where(cond, a, b)

    @staticmethod
    def sum(x, axis, keepdims):
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def transpose(x, axes):
        return np.transpose(x, axes)

    @staticmethod
    def getitem(x, idx):
        return x[idx]

    @staticmethod
    def index_add(g, idx, shape):
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, idx, g)
        return out

    @staticmethod
    def concatenate(xs, axis):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def stack(xs, axis):
        return np.stack(xs, axis=axis)

    @staticmethod
    def sum_to(g, shape):
        axes = _sum_axes(g.shape, shape)
        if axes:
            g = np.sum(g, axis=axes)
        return g.reshape(shape)

    @staticmethod
    def cast(g, dtype):
        return g.astype(dtype)

    @staticmethod
    def apply(prim, x, **p):
        return prim.forward(x, **p)


class _TG:
    native = False

    @staticmethod
    def raw(x):
        d = getattr(x, "_data", None)
        return d if d is not None else np.asarray(x)

    @staticmethod
    def const(a):
        return a

    @staticmethod
    def apply(prim, *args, **p):
        return _engine.apply(prim, *args, **p)

    @staticmethod
    def _t(x):
        return x if isinstance(x, _engine.Tensor) else _engine.Tensor._wrap(np.asarray(x))

    @classmethod
    def _u(cls, name, x):
        return _engine.apply(REGISTRY[name], cls._t(x))

    @classmethod
    def cos(cls, x):
        return cls._u("cos", x)

    @classmethod
    def sin(cls, x):
        return cls._u("sin", x)

    @classmethod
    def exp(cls, x):
        return cls._u("exp", x)

    @classmethod
    def log(cls, x):
        return cls._u("log", x)

    @classmethod
    def power(cls, a, b):
        from ..functions import power
        return power(a, b)

    @classmethod
    def matmul(cls, a, b):
        return _engine.apply(REGISTRY["matmul"], cls._t(a), cls._t(b))

    @classmethod
    def swapaxes(cls, x, a1, a2):
        perm = list(range(x.ndim))
        perm[a1], perm[a2] = perm[a2], perm[a1]
        return _engine.apply(REGISTRY["transpose"], cls._t(x), axes=tuple(perm))

    @classmethod
    def transpose(cls, x, axes):
        return _engine.apply(REGISTRY["transpose"], cls._t(x), axes=axes)

    @classmethod
    def reshape(cls, x, shape):
        return _engine.apply(REGISTRY["reshape"], cls._t(x), shape=tuple(shape))

    @classmethod
    def squeeze(cls, x, axis):
        shape = list(x.shape)
        del shape[axis]
        return cls.reshape(x, tuple(shape))

    @classmethod
    def expand_dims(cls, x, axis):
        return cls.reshape(x, np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)

    @classmethod
    def broadcast_to(cls, x, shape):
        x = cls._t(x)
        if x.shape == tuple(shape):
            return x
        return _engine.apply(REGISTRY["broadcast_to"], x, shape=tuple(shape))

    @classmethod
    def where(cls, cond, a, b):
        from ..functions import where
        return where(cond, a, b)

    @classmethod
    def sum(cls, x, axis, keepdims):
        from ..functions import sum as _sum
        return _sum(x, axis=axis, keepdims=keepdims)

    @classmethod
    def getitem(cls, x, idx):
        return _engine.apply(REGISTRY["getitem"], cls._t(x), idx=idx)

    @classmethod
    def index_add(cls, g, idx, shape):
        return _engine.apply(REGISTRY["index_add"], cls._t(g), idx=idx, shape=tuple(shape))

    @classmethod
    def concatenate(cls, xs, axis):
        return _engine.apply(REGISTRY["concatenate"], *[cls._t(x) for x in xs], axis=axis)

    @classmethod
    def stack(cls, xs, axis):
        return _engine.apply(REGISTRY["stack"], *[cls._t(x) for x in xs], axis=axis)

    @classmethod
    def sum_to(cls, g, shape):
        axes = _sum_axes(g.shape, shape)
        if axes:
            g = cls.sum(g, axes, False)
        return cls.reshape(g, shape) if g.shape != tuple(shape) else g

    @classmethod
    def cast(cls, g, dtype):
        return _engine.apply(REGISTRY["cast"], cls._t(g), dtype=np.dtype(dtype))


NP = _NP()
TG = _TG()
