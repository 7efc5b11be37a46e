"""tg.fft through the shared surface checks (tests/surface.py), torch.fft as
a second oracle, and the layout of complex values (a trailing axis of size
2: real, imaginary) pinned down.

The oracle of each function is NumPy's, converted to that layout: a complex
output is stacked, a complex input assembled from its two parts.  Finite
differences of irfft/hfft against NumPy's check the Hermitian weighting of
the adjoints (bins that irfft counts twice), including the imaginary parts
of the DC and Nyquist bins, which NumPy ignores (zero gradient)."""
import numpy as np
import pytest

import tapegrad as tg

from surface import Spec, check_all


def st(c):
    """A complex array as NumPy (..., 2) floats."""
    return np.stack([c.real, c.imag], axis=-1)


def cx(z):
    return z[..., 0] + 1j * z[..., 1]


def R(name, tgf, npf, shapes, **kw):
    """A function of a real signal with a complex result."""
    return Spec(name, tgf, lambda *xs: st(npf(*xs)), shapes, **kw)


def C(name, tgf, npf, shapes, **kw):
    """A function of a complex input (stacked) with a real result."""
    return Spec(name, tgf, lambda z: npf(cx(z)), shapes, **kw)


F = tg.fft
FILTER = np.array([1.0, 0.8, 0.5, 0.1])
SPECS = [
    R("fft.rfft", F.rfft, np.fft.rfft, [(8,)]),
    R("fft.rfft", F.rfft, np.fft.rfft, [(7,)]),
    R("fft.rfft.axis0", lambda x: F.rfft(x, axis=0), lambda x: np.fft.rfft(x, axis=0), [(6, 2)]),
    R("fft.rfft.pad", lambda x: F.rfft(x, 10), lambda x: np.fft.rfft(x, 10), [(2, 7)]),
    R("fft.rfft.crop", lambda x: F.rfft(x, 4, norm="ortho"),
      lambda x: np.fft.rfft(x, 4, norm="ortho"), [(6,)]),
    R("fft.rfft.forward", lambda x: F.rfft(x, norm="forward"),
      lambda x: np.fft.rfft(x, norm="forward"), [(2, 5)]),
    C("fft.irfft", F.irfft, np.fft.irfft, [(5, 2)]),
    C("fft.irfft.odd", lambda z: F.irfft(z, 9), lambda z: np.fft.irfft(z, 9), [(5, 2)]),
    C("fft.irfft.crop", lambda z: F.irfft(z, 5, norm="ortho"),
      lambda z: np.fft.irfft(z, 5, norm="ortho"), [(2, 5, 2)]),
    C("fft.irfft.pad", lambda z: F.irfft(z, 12, norm="forward"),
      lambda z: np.fft.irfft(z, 12, norm="forward"), [(4, 2)]),
    C("fft.irfft.axis0", lambda z: F.irfft(z, axis=0), lambda z: np.fft.irfft(z, axis=0),
      [(4, 3, 2)]),
    R("fft.rfftn", F.rfftn, np.fft.rfftn, [(3, 4)]),
    R("fft.rfftn.s", lambda x: F.rfftn(x, s=(4, 6)),
      lambda x: np.fft.rfftn(x, s=(4, 6), axes=(0, 1)), [(3, 4)]),
    R("fft.rfftn.axes", lambda x: F.rfftn(x, axes=(2, 0), norm="ortho"),
      lambda x: np.fft.rfftn(x, axes=(2, 0), norm="ortho"), [(3, 2, 4)]),
    R("fft.rfft2", F.rfft2, np.fft.rfft2, [(2, 3, 4)]),
    C("fft.irfftn", F.irfftn, np.fft.irfftn, [(3, 4, 2)]),
    C("fft.irfftn.s", lambda z: F.irfftn(z, s=(2, 7), axes=(1, 0)),
      lambda z: np.fft.irfftn(z, s=(2, 7), axes=(1, 0)), [(4, 3, 2)]),
    C("fft.irfft2", lambda z: F.irfft2(z, norm="forward"),
      lambda z: np.fft.irfft2(z, norm="forward"), [(2, 3, 3, 2)]),
    R("fft.fft", F.fft, np.fft.fft, [(6,)]),
    R("fft.fft.n", lambda x: F.fft(x, 8, axis=0), lambda x: np.fft.fft(x, 8, axis=0), [(5, 2)]),
    R("fft.ifft", F.ifft, np.fft.ifft, [(2, 5)]),
    R("fft.ifft.ortho", lambda x: F.ifft(x, 4, norm="ortho"),
      lambda x: np.fft.ifft(x, 4, norm="ortho"), [(6,)]),
    R("fft.fftn", F.fftn, np.fft.fftn, [(3, 4)]),
    R("fft.ifftn", lambda x: F.ifftn(x, s=(4, 2)),
      lambda x: np.fft.ifftn(x, s=(4, 2), axes=(0, 1)), [(3, 3)]),
    R("fft.fft2", lambda x: F.fft2(x, norm="forward"), lambda x: np.fft.fft2(x, norm="forward"),
      [(2, 2, 3)]),
    R("fft.ifft2", F.ifft2, np.fft.ifft2, [(3, 2)]),
    C("fft.hfft", F.hfft, np.fft.hfft, [(5, 2)]),
    C("fft.hfft.n", lambda z: F.hfft(z, 7, norm="ortho"),
      lambda z: np.fft.hfft(z, 7, norm="ortho"), [(2, 4, 2)]),
    R("fft.ihfft", F.ihfft, np.fft.ihfft, [(6,)]),
    R("fft.ihfft", lambda x: F.ihfft(x, norm="forward"),
      lambda x: np.fft.ihfft(x, norm="forward"), [(2, 7)]),
    Spec("fft.fftshift", F.fftshift, np.fft.fftshift, [(5,)]),
    Spec("fft.fftshift.axes", lambda x: F.fftshift(x, axes=(0, 2)),
         lambda x: np.fft.fftshift(x, axes=(0, 2)), [(2, 3, 4)]),
    Spec("fft.ifftshift", F.ifftshift, np.fft.ifftshift, [(3, 4)]),
    Spec("fft.ifftshift.axis", lambda x: F.ifftshift(x, axes=-1),
         lambda x: np.fft.ifftshift(x, axes=-1), [(2, 5)]),
    Spec("fft.filter", lambda x: F.irfft(F.rfft(x) * FILTER[:, None].astype(x.dtype), 6),
         lambda x: np.fft.irfft(np.fft.rfft(x) * FILTER, 6), [(6,)]),
]


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_surface(spec):
    check_all(spec)


# ---- the layout ------------------------------------------------------------------------
def test_layout_and_dtypes():
    x = np.random.default_rng(0).standard_normal((3, 8))
    r = F.rfft(tg.array(x))
    assert r.shape == (3, 5, 2) and r.dtype == np.float64
    np.testing.assert_array_equal(r.asnumpy()[..., 0], np.fft.rfft(x).real)
    np.testing.assert_array_equal(r.asnumpy()[..., 1], np.fft.rfft(x).imag)
    r32 = F.rfft(tg.array(x, dtype="float32"))
    assert r32.dtype == np.float32
    assert F.irfft(r32).dtype == np.float32 and F.irfft(r32).shape == (3, 8)
    assert F.fft(x).shape == (3, 8, 2) and F.ifft2(x).shape == (3, 8, 2)
    np.testing.assert_allclose(F.irfft(F.rfft(x)).asnumpy(), x, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(F.hfft(F.ihfft(x), 8).asnumpy(), x, rtol=1e-14, atol=1e-15)
    f = F.fftfreq(8, 0.1)
    assert type(f) is np.ndarray and np.array_equal(f, np.fft.fftfreq(8, 0.1))
    assert np.array_equal(F.rfftfreq(9), np.fft.rfftfreq(9))


def test_complex_signal_by_linearity():
    """fft of x + iy is fft(x) + i fft(y): in the layout, a multiply and a flip."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(6), rng.standard_normal(6)
    fx, fy = F.fft(x), F.fft(y)
    got = fx + fy[..., ::-1] * np.array([-1.0, 1.0])
    np.testing.assert_allclose(got.asnumpy(), st(np.fft.fft(x + 1j * y)), atol=1e-14)


def test_adjoint_identities():
    """<rfft(x), y> = <x, rfft^T(y)>: the reverse rules are the adjoints,
    with the Hermitian weights, for every norm and odd/even lengths."""
    rng = np.random.default_rng(2)
    for n in (5, 6):
        for norm in ("backward", "ortho", "forward"):
            x = rng.standard_normal((2, n))
            y = rng.standard_normal((2, n // 2 + 1, 2))
            _, vjp = tg.vjp(lambda v: F.rfft(v, norm=norm), tg.array(x))
            lhs = np.sum(F.rfft(x, norm=norm).asnumpy() * y)
            assert np.isclose(lhs, np.sum(x * vjp(tg.array(y))[0].asnumpy()), rtol=1e-13)
            _, vjp = tg.vjp(lambda z: F.irfft(z, n, norm=norm), tg.array(y))
            lhs = np.sum(F.irfft(y, n, norm=norm).asnumpy() * x)
            g = vjp(tg.array(x))[0].asnumpy()
            assert np.isclose(lhs, np.sum(y * g), rtol=1e-13)
            # the imaginary parts of DC (and Nyquist for even n) do not matter
            assert g[:, 0, 1].tolist() == [0.0, 0.0]
            if n % 2 == 0:
                assert np.all(np.abs(g[:, -1, 1]) < 1e-15)


def test_errors():
    with pytest.raises(ValueError, match="last axis has size 2"):
        F.irfft(np.ones((4, 3)))
    with pytest.raises(ValueError, match="last axis has size 2"):
        F.hfft(np.ones(4))
    with pytest.raises(ValueError, match="Invalid norm value"):
        F.rfft(np.ones(4), norm="unitary")
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        F.rfft(np.ones(4), 0)
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        F.irfft(np.ones((1, 2)))
    with pytest.raises(np.exceptions.AxisError):
        F.rfft(np.ones(4), axis=1)
    with pytest.raises(ValueError, match="different lengths"):
        F.rfftn(np.ones((3, 4)), s=(3,), axes=(0, 1))
    with pytest.raises(TypeError, match="out="):
        F.rfft(np.ones(4), out=np.zeros((3, 2)))


# ---- torch as second oracle ------------------------------------------------------------
TORCH_CASES = [
    ("rfft", lambda x: F.rfft(x, norm="ortho"), lambda t, x: t.fft.rfft(x, norm="ortho"), False,
     (2, 6)),
    ("rfft_odd", F.rfft, lambda t, x: t.fft.rfft(x), False, (7,)),
    ("irfft", F.irfft, lambda t, z: t.fft.irfft(z), True, (5, 2)),
    ("irfft_odd", lambda z: F.irfft(z, 7), lambda t, z: t.fft.irfft(z, 7), True, (2, 4, 2)),
    ("fft", F.fft, lambda t, x: t.fft.fft(x), False, (5,)),
    ("ifft", F.ifft, lambda t, x: t.fft.ifft(x), False, (2, 4)),
    ("rfftn", F.rfftn, lambda t, x: t.fft.rfftn(x), False, (3, 4)),
    ("irfftn", F.irfftn, lambda t, z: t.fft.irfftn(z), True, (3, 3, 2)),
    ("hfft", F.hfft, lambda t, z: t.fft.hfft(z), True, (4, 2)),
    ("ihfft", F.ihfft, lambda t, x: t.fft.ihfft(x), False, (6,)),
]


@pytest.mark.parametrize("name,tgf,tf,complex_in,shape", TORCH_CASES,
                         ids=[c[0] for c in TORCH_CASES])
def test_against_torch(name, tgf, tf, complex_in, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(name))
    a = rng.standard_normal(shape)
    t = torch.tensor(a, requires_grad=True)
    y = tf(torch, torch.view_as_complex(t) if complex_in else t)
    if y.is_complex():
        y = torch.view_as_real(y.resolve_conj())
    head = rng.standard_normal(tuple(y.shape))
    (y * torch.tensor(head)).sum().backward()
    np.testing.assert_allclose(tgf(tg.array(a)).asnumpy(), y.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    g = tg.grad(lambda v: (tgf(v) * head).sum())(tg.array(a)).asnumpy()
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-12)
