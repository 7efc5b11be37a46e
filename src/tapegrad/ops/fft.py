"""``tg.fft``: NumPy's FFTs on real tensors (entries with namespace="fft").

Tapegrad tensors are real (float32/float64), so a complex array is a real
tensor with a trailing axis of size 2, its real and imaginary parts (the
layout of ``torch.view_as_real``): ``rfft`` of a signal of shape (..., n)
returns shape (..., n // 2 + 1, 2), and ``irfft`` takes that layout back.
Functions whose NumPy input is complex (irfft, irfftn, irfft2, hfft) take
this layout; functions of a real signal whose NumPy output is complex
(rfft*, fft*, ifft*, ihfft) return it.  ``axis``/``axes`` always count the
axes of the complex array (the trailing 2 is not one of them).  There is no
complex-input fft/ifft: fft(x + iy) is fft(x) + i fft(y), which the layout
lets you write with a multiply by [1, -1] and a flip of the last axis.

Four linear primitives carry everything: rfftn (real -> half spectrum),
irfftn (half spectrum -> real), fftn (real -> full spectrum) and the real
part of an inverse FFT (its adjoint); each one's reverse rule is another
one with the dual normalisation ('backward' <-> 'forward').  The adjoint of
rfft weighs the bins that irfft counts twice (all but DC and, for even n,
Nyquist) by 1/2; the adjoint of irfft weighs them by 2.  Each primitive
crops or zero-pads its output to given lengths, so that the adjoint of
NumPy's ``n``/``s`` padding and cropping is one call too.
"""
import operator

import numpy as np

from .. import errors
from ._registry import LINEAR, REGISTRY, arg, composite, dtype_of, primitive

NORMS = ("backward", "ortho", "forward")
_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _fn(name):
    return REGISTRY[name].public


# ---- arrays ------------------------------------------------------------------------
def _stacked(c, dtype):
    """A complex array as real (..., 2): real and imaginary parts."""
    return np.stack([c.real, c.imag], axis=-1).astype(dtype, copy=False)


def _complex(z):
    return z[..., 0] + 1j * z[..., 1]        # complex64 for float32 parts


def _croppad(y, axes, lengths):
    """y cropped or zero-padded at the end of each of ``axes`` to ``lengths``."""
    if lengths is None:
        return y
    for ax, n in zip(axes, lengths):
        m = y.shape[ax]
        if m > n:
            y = y[(slice(None),) * ax + (slice(0, n),)]
        elif m < n:
            pad = [(0, 0)] * y.ndim
            pad[ax] = (0, n - m)
            y = np.pad(y, pad)
    return y


def _bin_weights(n, bins, axis, ndim, dtype, scale):
    """Per bin of a half spectrum of a length-n signal (``bins`` of them,
    along ``axis`` of a stacked array of ``ndim`` axes): 1 for DC and, for
    even n, Nyquist, ``scale`` for the bins that irfft counts twice."""
    w = np.full(bins, scale, dtype=dtype)
    w[0] = 1
    if n % 2 == 0 and n // 2 < bins:
        w[n // 2] = 1
    shape = [1] * ndim
    shape[axis] = bins
    return w.reshape(shape)


def _lengths(x, axes):
    return tuple(x.shape[a] for a in axes)


def _batch(forward):
    """Batching rule: the transformed axes move past the batch axis."""
    def batch(args, p):
        x = args[0]
        q = dict(p)
        q["axes"] = tuple(a + 1 for a in p["axes"])
        return type(x).wrap(forward(x.v, **q))
    return batch


# ---- the four primitives ---------------------------------------------------------------
def _rfftn_forward(x, s, axes, norm, lengths):
    c = np.fft.rfftn(x, s=s, axes=axes, norm=norm)
    return _stacked(_croppad(c, axes, lengths), x.dtype)


def _rfftn_vjp(B, g, xs, out, p, needs):
    axes, s = p["axes"], p["s"]
    w = _bin_weights(s[-1], g.shape[axes[-1]], axes[-1], g.ndim, g.dtype, 0.5)
    return (B.bind(REGISTRY["fft.irfftn_p"], g * B.const(w), s=s, axes=axes,
                   norm=_DUAL[p["norm"]], lengths=_lengths(xs[0], axes)),)


def _irfftn_forward(z, s, axes, norm, lengths):
    y = np.fft.irfftn(_complex(z), s=s, axes=axes, norm=norm)
    return _croppad(y, axes, lengths).astype(z.dtype, copy=False)


def _irfftn_vjp(B, g, xs, out, p, needs):
    axes, s = p["axes"], p["s"]
    zl = _lengths(xs[0], axes)
    w = _bin_weights(s[-1], zl[-1], axes[-1], len(xs[0].shape), g.dtype, 2.0)
    return (B.bind(REGISTRY["fft.rfftn_p"], g, s=s, axes=axes, norm=_DUAL[p["norm"]],
                   lengths=zl) * B.const(w),)


def _fftn_forward(x, s, axes, norm):
    return _stacked(np.fft.fftn(x, s=s, axes=axes, norm=norm), x.dtype)


def _fftn_vjp(B, g, xs, out, p, needs):
    return (B.bind(REGISTRY["fft.ifftn_re_p"], g, axes=p["axes"], norm=_DUAL[p["norm"]],
                   lengths=_lengths(xs[0], p["axes"])),)


def _ifftn_real_forward(z, axes, norm, lengths):
    y = np.fft.ifftn(_complex(z), axes=axes, norm=norm).real
    return _croppad(y, axes, lengths).astype(z.dtype, copy=False)


def _ifftn_real_vjp(B, g, xs, out, p, needs):
    return (B.bind(REGISTRY["fft.fftn_p"], g, s=_lengths(xs[0], p["axes"]), axes=p["axes"],
                   norm=_DUAL[p["norm"]]),)


def _internal(key):
    return lambda x, **p: REGISTRY[key](arg(x), **p)


primitive("rfftn_p", _rfftn_forward, _rfftn_vjp, LINEAR, linear=True, label="rfft({0})",
          batch=_batch(_rfftn_forward), namespace="fft", public=_internal("fft.rfftn_p"),
          internal=True)
primitive("irfftn_p", _irfftn_forward, _irfftn_vjp, LINEAR, linear=True, label="irfft({0})",
          batch=_batch(_irfftn_forward), namespace="fft", public=_internal("fft.irfftn_p"),
          internal=True)
primitive("fftn_p", _fftn_forward, _fftn_vjp, LINEAR, linear=True, label="fft({0})",
          batch=_batch(_fftn_forward), namespace="fft", public=_internal("fft.fftn_p"),
          internal=True)
primitive("ifftn_re_p", _ifftn_real_forward, _ifftn_real_vjp, LINEAR, linear=True,
          label="Re ifft({0})", batch=_batch(_ifftn_real_forward), namespace="fft",
          public=_internal("fft.ifftn_re_p"), internal=True)


# ---- arguments as NumPy takes them ------------------------------------------------------
def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in NORMS:
        raise ValueError(f'Invalid norm value {norm!r}; should be "backward", "ortho" or '
                         f'"forward".')
    return norm


def _no_out(name, out):
    if out is not None:
        raise TypeError(f"fft.{name}: out= is not supported (tensors are not written in "
                        f"place); use the returned tensor.")


def _spectrum(name, a):
    """A complex input: a real tensor whose last axis holds (real, imag)."""
    a = arg(a)
    if len(a.shape) < 2 or a.shape[-1] != 2:
        raise errors.ShapeError(
            f"fft.{name} takes a complex array as a real tensor whose last axis has size 2 "
            f"(real and imaginary parts, as tg.fft.rfft returns it); got shape "
            f"{tuple(a.shape)}.")
    return a


def _axes(nd, s, axes):
    """NumPy's (s, axes) for an n-d transform over ``nd`` axes: axes as
    non-negative ints, s as a list (or None)."""
    if s is not None:
        s = [operator.index(n) for n in s]
    if axes is None:
        axes = range(-len(s), 0) if s is not None else range(nd)
    out = []
    for a in axes:
        a = operator.index(a)
        if not -nd <= a < nd:
            raise np.exceptions.AxisError(a, nd)
        out.append(a % nd)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axes {tuple(axes)}: each axis can be transformed once")
    if s is not None and len(s) != len(out):
        raise ValueError("Shape and axes have different lengths.")
    return s, tuple(out)


def _points(s):
    for n in s:
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return tuple(s)


def _conj(z):
    return _fn("multiply")(z, np.array([1.0, -1.0], dtype=dtype_of(z)))


# ---- n-d and 1-d transforms -------------------------------------------------------------
@composite("rfftn", namespace="fft")
def rfftn(a, s=None, axes=None, norm=None, out=None):
    """The n-d FFT of a real signal, half spectrum on the last axis (NumPy's
    rfftn), as a real tensor (..., 2) of real and imaginary parts."""
    _no_out("rfftn", out)
    a = arg(a)
    s, axes = _axes(len(a.shape), s, axes)
    s = _points(s if s is not None else _lengths(a, axes))
    return REGISTRY["fft.rfftn_p"](a, s=s, axes=axes, norm=_norm(norm), lengths=None)


@composite("irfftn", namespace="fft")
def irfftn(a, s=None, axes=None, norm=None, out=None):
    """The inverse of rfftn (NumPy's irfftn): ``a`` a half spectrum (..., 2)
    of real and imaginary parts; a real tensor.  The imaginary parts of the
    DC and Nyquist bins do not matter (zero gradient), as in NumPy."""
    _no_out("irfftn", out)
    a = _spectrum("irfftn", a)
    s, axes = _axes(len(a.shape) - 1, s, axes)
    if s is None:
        s = list(_lengths(a, axes))
        s[-1] = 2 * (s[-1] - 1)
    s = _points(s)
    return REGISTRY["fft.irfftn_p"](a, s=s, axes=axes, norm=_norm(norm), lengths=None)


@composite("fftn", namespace="fft")
def fftn(a, s=None, axes=None, norm=None, out=None):
    """The n-d FFT of a real signal (NumPy's fftn on a real array), as a real
    tensor (..., 2) of real and imaginary parts."""
    _no_out("fftn", out)
    a = arg(a)
    s, axes = _axes(len(a.shape), s, axes)
    s = _points(s if s is not None else _lengths(a, axes))
    return REGISTRY["fft.fftn_p"](a, s=s, axes=axes, norm=_norm(norm))


@composite("ifftn", namespace="fft")
def ifftn(a, s=None, axes=None, norm=None, out=None):
    """The n-d inverse FFT of a real array (NumPy's ifftn on a real array),
    as a real tensor (..., 2): the conjugate of fftn with the other norm."""
    _no_out("ifftn", out)
    return _conj(fftn(a, s, axes, _DUAL[_norm(norm)]))


def _one(a, n, axis):
    return None if n is None else (n,), (axis,)


@composite("rfft", namespace="fft")
def rfft(a, n=None, axis=-1, norm=None, out=None):
    """The FFT of a real signal along ``axis``, bins 0..n//2 (NumPy's rfft),
    as a real tensor (..., n//2 + 1, 2) of real and imaginary parts."""
    _no_out("rfft", out)
    return rfftn(a, *_one(a, n, axis), norm=norm)


@composite("irfft", namespace="fft")
def irfft(a, n=None, axis=-1, norm=None, out=None):
    """The inverse of rfft (NumPy's irfft): ``a`` a half spectrum (..., m, 2);
    n real output points (default 2 (m - 1))."""
    _no_out("irfft", out)
    return irfftn(a, *_one(a, n, axis), norm=norm)


@composite("fft", namespace="fft")
def fft(a, n=None, axis=-1, norm=None, out=None):
    """The FFT of a real signal along ``axis`` (NumPy's fft of a real array),
    as a real tensor (..., n, 2).  For a complex signal x + iy: fft(x) + i fft(y)."""
    _no_out("fft", out)
    return fftn(a, *_one(a, n, axis), norm=norm)


@composite("ifft", namespace="fft")
def ifft(a, n=None, axis=-1, norm=None, out=None):
    """The inverse FFT of a real array along ``axis`` (NumPy's ifft of a real
    array), as a real tensor (..., n, 2)."""
    _no_out("ifft", out)
    return ifftn(a, *_one(a, n, axis), norm=norm)


@composite("rfft2", namespace="fft")
def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """rfftn over two axes (NumPy's rfft2)."""
    return rfftn(a, s, axes, norm, out)


@composite("irfft2", namespace="fft")
def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """irfftn over two axes (NumPy's irfft2)."""
    return irfftn(a, s, axes, norm, out)


@composite("fft2", namespace="fft")
def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """fftn of a real array over two axes (NumPy's fft2)."""
    return fftn(a, s, axes, norm, out)


@composite("ifft2", namespace="fft")
def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """ifftn of a real array over two axes (NumPy's ifft2)."""
    return ifftn(a, s, axes, norm, out)


@composite("hfft", namespace="fft")
def hfft(a, n=None, axis=-1, norm=None, out=None):
    """The FFT of a signal with Hermitian symmetry, given by its half
    spectrum (..., m, 2) (NumPy's hfft): real, n points (default 2 (m - 1))."""
    _no_out("hfft", out)
    a = _spectrum("hfft", a)
    return irfft(_conj(a), n, axis, norm=_DUAL[_norm(norm)])


@composite("ihfft", namespace="fft")
def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """The inverse of hfft (NumPy's ihfft): a half spectrum (..., n//2 + 1, 2)."""
    _no_out("ihfft", out)
    return _conj(rfft(a, n, axis, norm=_DUAL[_norm(norm)]))


# ---- shifts and frequencies ---------------------------------------------------------------
def _roll(x, k, axis):
    """x rolled by k along axis: two slices joined (linear, no index arrays)."""
    n = x.shape[axis]
    k %= n if n else 1
    if k == 0:
        return x
    get = _fn("getitem")
    lead = (slice(None),) * axis
    return _fn("concatenate")([get(x, lead + (slice(n - k, None),)),
                               get(x, lead + (slice(0, n - k),))], axis=axis)


def _shift(x, axes, sign):
    x = arg(x)
    nd = len(x.shape)
    if axes is None:
        axes = range(nd)
    elif not isinstance(axes, (tuple, list)):
        axes = (axes,)
    for a in axes:
        a = operator.index(a)
        if not -nd <= a < nd:
            raise np.exceptions.AxisError(a, nd)
        a %= nd
        x = _roll(x, sign * (x.shape[a] // 2), a)
    return x


@composite("fftshift", namespace="fft")
def fftshift(x, axes=None):
    """The zero frequency moved to the centre (NumPy's fftshift).  ``axes``
    None shifts every axis: for a stacked complex spectrum (..., 2) pass the
    frequency axes, else the real and imaginary parts swap."""
    return _shift(x, axes, 1)


@composite("ifftshift", namespace="fft")
def ifftshift(x, axes=None):
    """The inverse of fftshift (NumPy's ifftshift); see fftshift on ``axes``."""
    return _shift(x, axes, -1)


@composite("fftfreq", namespace="fft", stub={"return": "NDArray[np.float64]"})
def fftfreq(n, d=1.0, device=None):
    """The sample frequencies of fft (NumPy's fftfreq): a plain NumPy array."""
    return np.fft.fftfreq(n, float(d), device=device)


@composite("rfftfreq", namespace="fft", stub={"return": "NDArray[np.float64]"})
def rfftfreq(n, d=1.0, device=None):
    """The sample frequencies of rfft (NumPy's rfftfreq): a plain NumPy array."""
    return np.fft.rfftfreq(n, float(d), device=device)
