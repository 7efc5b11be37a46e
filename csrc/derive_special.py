"""Derive the constants of csrc/tg_special.c with mpmath (run by hand:
``python csrc/derive_special.py``; prints C arrays).

Why a script: every coefficient in tg_special.c is reproducible from this
file and mpmath alone.  The expansions are Chebyshev series, computed at 50
digits from the function's values at Chebyshev nodes and cut where the
terms fall below 2^-60 of the function's size; tests/test_surface_special.py
measures the error of the double evaluation against mpmath.

* i0e, i1e: e^-|x| I0(x) and e^-|x| I1(x) / x on [0, 8] in y = x/4 - 1;
  sqrt(x) e^-x I0(x) and sqrt(x) e^-x I1(x) on [8, inf) in y = 16/x - 1.
* digamma: psi(x) / (x - x0) on [1, 3] in y = x - 2, x0 the positive root
  of psi (given as a sum of two doubles), so psi keeps its relative
  accuracy next to its root.
* erfinv, erfcinv: starting points for one Halley step (so cut at 2^-34):
  erfinv(y) / y in y^2 on [0, 1/4]; erfcinv(q) / s in 1/s, s = sqrt(-ln q),
  for q from 2^-1075 to 1/2.
* Bernoulli numbers as the Euler-Maclaurin (B_2j / (2j)!) and Stirling
  (B_2j / (2j (2j - 1))) coefficients.
"""
import mpmath as mp

mp.mp.dps = 50
N = 80                          # nodes; the series is cut far below this
CUT = mp.mpf(2) ** -60


def chebyshev(f, n=N, cut=CUT):
    """Coefficients c_k of f(y) = sum c_k T_k(y) on [-1, 1] (c_0 not halved)."""
    nodes = [mp.cos(mp.pi * (j + mp.mpf(1) / 2) / n) for j in range(n)]
    vals = [f(y) for y in nodes]
    cs = []
    for k in range(n):
        s = mp.fsum(v * mp.cos(mp.pi * k * (j + mp.mpf(1) / 2) / n) for j, v in enumerate(vals))
        cs.append(2 * s / n)
    cs[0] /= 2
    scale = max(abs(v) for v in vals)
    last = max(k for k, c in enumerate(cs) if abs(c) > cut * scale)
    return cs[:last + 1]


def fmt(c):
    return float(c).hex()


def hexarray(name, cs):
    items = [fmt(c) for c in cs]
    lines = []
    for i in range(0, len(items), 3):
        lines.append("    " + ", ".join(items[i:i + 3]))
    return f"static const double {name}[{len(cs)}] = {{\n" + ",\n".join(lines) + "\n};"


def main():
    i0e_small = chebyshev(lambda y: mp.besseli(0, 4 * (y + 1)) * mp.exp(-4 * (y + 1)))
    i0e_large = chebyshev(lambda y: (lambda x: mp.sqrt(x) * mp.besseli(0, x) * mp.exp(-x))(
        16 / (y + 1)))
    i1e_small = chebyshev(lambda y: (lambda x: mp.besseli(1, x) * mp.exp(-x) / x
                                     if x != 0 else mp.mpf(1) / 2)(4 * (y + 1)))
    i1e_large = chebyshev(lambda y: (lambda x: mp.sqrt(x) * mp.besseli(1, x) * mp.exp(-x))(
        16 / (y + 1)))
    x0 = mp.findroot(mp.digamma, 1.46)
    x0_hi = mp.mpf(float(x0))
    x0_lo = x0 - x0_hi
    psi_13 = chebyshev(lambda y: mp.digamma(y + 2) / (y + 2 - x0))
    print(hexarray("I0E_SMALL", i0e_small))
    print(hexarray("I0E_LARGE", i0e_large))
    print(hexarray("I1E_SMALL", i1e_small))
    print(hexarray("I1E_LARGE", i1e_large))
    print(f"static const double PSI_ROOT_HI = {fmt(x0_hi)}, PSI_ROOT_LO = {fmt(x0_lo)};")
    print(hexarray("PSI_13", psi_13))
    rough = mp.mpf(2) ** -34
    erfinv_c = chebyshev(lambda y: (lambda v: mp.erfinv(mp.sqrt(v)) / mp.sqrt(v))(
        (y + 1) / 8), cut=rough)
    s_lo = mp.sqrt(mp.log(2))                  # q = 1/2
    s_hi = mp.sqrt(1075 * mp.log(2))           # q = 2^-1075
    z_lo, z_hi = 1 / s_hi, 1 / s_lo

    def tail(y):
        z = z_lo + (y + 1) / 2 * (z_hi - z_lo)
        s = 1 / z
        return mp.erfinv(1 - mp.exp(-s * s)) / s if s < 6 else _erfcinv_big(s) / s
    erfcinv_t = chebyshev(tail, cut=rough)
    print(hexarray("ERFINV_C", erfinv_c))
    print(f"static const double ERFCINV_ZLO = {fmt(z_lo)}, ERFCINV_ZHI = {fmt(z_hi)};")
    print(hexarray("ERFCINV_T", erfcinv_t))
    print(hexarray("EM_B2J", [mp.bernoulli(2 * j) / mp.factorial(2 * j) for j in range(1, 16)]))
    print(hexarray("STIRLING", [mp.bernoulli(2 * j) / (2 * j * (2 * j - 1)) for j in range(1, 10)]))
    print(hexarray("PSI_ASYMP", [mp.bernoulli(2 * j) / (2 * j) for j in range(1, 10)]))


def _erfcinv_big(s):
    """erfcinv(exp(-s^2)) for large s (mpmath's erfinv needs 1 - q exactly)."""
    q = mp.exp(-s * s)
    return mp.findroot(lambda u: mp.log(mp.erfc(u)) + s * s, s)


if __name__ == "__main__":
    main()
