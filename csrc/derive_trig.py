"""Derive the constants of the sin/cos kernels in tg_kernels.c (needs mpmath).

    python csrc/derive_trig.py        # about 30 s; prints the C constants

pi/2 is split into four doubles: C1, C2 and C3 with at most 33 significant
bits (so k * Ci is exact for |k| < 2^20), C4 the rest rounded to double.

The polynomials are minimax (Remez exchange) in z = r^2 on |r| <= 0.7854,
slightly more than pi/4 (k = round(x 2/pi) is computed in floating point):

    sin r = r + r^3 (S1 + S2 z + ... + S6 z^5)     relative error, weight r/sin r
    cos r = 1 - z/2 + z^2 (C1 + C2 z + ... + C6 z^5)  relative error, weight 1/cos r

Coefficients are rounded to double one at a time, leading first, and the
remaining ones re-fitted after each rounding, so later terms absorb the
rounding of earlier ones.  The error printed is that of the polynomial with
the double coefficients, on a dense grid, in high precision.
"""
import mpmath as mp

mp.mp.dps = 50
RMAX = mp.mpf("0.7854")
ZMAX = RMAX ** 2


def remez(f, w, powers, a, b, iters=10, ngrid=1200):
    """Coefficients c minimising max |w(z) (sum c_j z^p_j - f(z))| on [a, b]."""
    n = len(powers)
    ref = [(a + b) / 2 - (b - a) / 2 * mp.cos(mp.pi * i / n) for i in range(n + 1)]
    grid = [a + (b - a) * mp.mpf(i) / ngrid for i in range(ngrid + 1)]
    for _ in range(iters):
        # solve sum c_j z_i^p_j + (-1)^i E / w(z_i) = f(z_i) on the reference
        A = mp.matrix(n + 1, n + 1)
        rhs = mp.matrix(n + 1, 1)
        for i, z in enumerate(ref):
            for j, p in enumerate(powers):
                A[i, j] = z ** p
            A[i, n] = (-1) ** i / w(z)
            rhs[i] = f(z)
        sol = mp.lu_solve(A, rhs)
        c = [sol[j] for j in range(n)]
        err = [w(z) * (sum(cj * z ** p for cj, p in zip(c, powers)) - f(z)) for z in grid]
        # the largest |error| on each run of one sign becomes the new reference
        peaks, start = [], 0
        for i in range(1, len(grid) + 1):
            if i == len(grid) or mp.sign(err[i]) != mp.sign(err[start]):
                peaks.append(max(range(start, i), key=lambda k: abs(err[k])))
                start = i
        while len(peaks) > n + 1:
            peaks.pop(0 if abs(err[peaks[0]]) < abs(err[peaks[-1]]) else -1)
        if len(peaks) < n + 1:
            raise RuntimeError("Remez: too few alternations")
        ref = [grid[k] for k in peaks]
    return c


def sin_target(z):               # sin(r)/r - 1 = z (S1 + S2 z + ...)
    if z == 0:
        return mp.mpf(0)
    r = mp.sqrt(z)
    return mp.sin(r) / r - 1


def sin_weight(z):
    return mp.mpf(1) if z == 0 else mp.sqrt(z) / mp.sin(mp.sqrt(z))


def cos_target(z):               # cos r - 1 + z/2 = z^2 (C1 + C2 z + ...)
    return mp.cos(mp.sqrt(z)) - 1 + z / 2


def cos_weight(z):
    return 1 / mp.cos(mp.sqrt(z))


def fit_in_doubles(f, w, powers):
    fixed = []
    for i in range(len(powers)):
        done = list(zip(fixed, powers))
        rest = lambda z, done=done: f(z) - sum(c * z ** p for c, p in done)
        fixed.append(mp.mpf(float(remez(rest, w, powers[i:], mp.mpf(0), ZMAX)[0])))
    return [float(c) for c in fixed]


def max_error(f, w, powers, cs, n=20000):
    return max(abs(w(z) * (sum(mp.mpf(c) * z ** p for c, p in zip(cs, powers)) - f(z)))
               for z in (ZMAX * mp.mpf(i) / n for i in range(n + 1)))


def round_bits(v, bits):
    q = mp.mpf(2) ** (mp.floor(mp.log(abs(v), 2)) - bits + 1)
    return mp.nint(v / q) * q


def split26(d):
    """d = hi + lo with 26-bit halves, as split() in tg_kernels.c does it."""
    c = 134217729.0 * d
    hi = c - (c - d)
    return hi, d - hi


if __name__ == "__main__":
    half_pi = mp.pi / 2
    c1 = round_bits(half_pi, 33)
    c2 = round_bits(half_pi - c1, 33)
    c3 = round_bits(half_pi - c1 - c2, 33)
    c4 = mp.mpf(float(half_pi - c1 - c2 - c3))
    print(f"two_over_pi = {float(2 / mp.pi).hex()}")
    print("c1..c4 = " + ", ".join(float(c).hex() for c in (c1, c2, c3, c4)))
    tail = abs(half_pi - c1 - c2 - c3 - c4)
    print(f"  pi/2 - (c1 + c2 + c3 + c4) = 2^{mp.nstr(mp.log(tail, 2), 4)}")
    for name, f, w, first in [("sin S", sin_target, sin_weight, 1),
                              ("cos C", cos_target, cos_weight, 2)]:
        powers = list(range(first, first + 6))
        cs = fit_in_doubles(f, w, powers)
        e = max_error(f, w, powers, cs)
        print(f"{name}1..{name[-1]}6 (relative error 2^{mp.nstr(mp.log(e, 2), 4)}):")
        print("  " + ", ".join(c.hex() for c in cs))
        if name == "sin S":
            print("  S1 split: hi = %s, lo = %s" % tuple(h.hex() for h in split26(cs[0])))
