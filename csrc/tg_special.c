/* Special functions (see tg_special.h).  Each says how it is computed; the
 * measured errors are in tests/test_surface_special.py.  No FMA contraction
 * (setup.py): two_prod's error term must be the exact one. */
#include "tg_special.h"

#include <math.h>

#if defined(_WIN32)
/* no lgamma_r: lgamma's sign global is not read */
static double tg_lgamma_r(double x, int *sg) { *sg = 1; return lgamma(x); }
#else
#define tg_lgamma_r lgamma_r
#endif

#define PI 0x1.921fb54442d18p+1
#define SQRT2 0x1.6a09e667f3bcdp+0
#define SQRT2_LO -0x1.bdd3413b26456p-54    /* sqrt(2) - SQRT2 */
#define SQRT1_2 0x1.6a09e667f3bcdp-1
#define SQRT1_2_LO -0x1.bdd3413b26456p-55   /* sqrt(1/2) - SQRT1_2 */
#define SQRTPI 0x1.c5bf891b4ef6bp+0
#define TWO_OVER_SQRTPI 0x1.20dd750429b6dp+0
#define INV_SQRT2PI 0x1.9884533d43651p-2
#define SQRT_2_OVER_PI 0x1.9884533d43651p-1
#define HALF_LOG_2PI 0x1.d67f1c864beb5p-1

/* ---- constants derived by csrc/derive_special.py ------------------------- */
static const double I0E_SMALL[30] = {
    0x1.5a84e9035a22ap-2, -0x1.37febc057cd8dp-2, 0x1.5f7ac77ac88c0p-3,
    -0x1.84b70342d06eap-4, 0x1.93e8acea8a32dp-5, -0x1.84e9ef121b6f0p-6,
    0x1.59961f3dde3ddp-7, -0x1.1b65e201aa849p-8, 0x1.adc758a12100ep-10,
    -0x1.2e2fd1f15eb52p-11, 0x1.8b51b74107cabp-13, -0x1.e2b2659c41d5ap-15,
    0x1.13f58be9a2859p-16, -0x1.2866fcba56427p-18, 0x1.2bf24978cf4acp-20,
    -0x1.1ec638f227f8dp-22, 0x1.03b769d4d6435p-24, -0x1.beaf68c0b30abp-27,
    0x1.6d903a454cb34p-29, -0x1.1d4fe13ae9556p-31, 0x1.a98becc743c10p-34,
    -0x1.2fc957a946abcp-36, 0x1.9fe2fe19bd324p-39, -0x1.1164c62ee1af0p-41,
    0x1.59b464b262627p-44, -0x1.a5022c297fbebp-47, 0x1.ee6d893f65ebap-50,
    -0x1.184eb721ebbb4p-52, 0x1.33362977da589p-55, -0x1.45cb72134d0efp-58
};
static const double I0E_LARGE[27] = {
    0x1.9be62aca809cbp-2, 0x1.b998ca2e59049p-9, 0x1.20fa378999e52p-14,
    0x1.8412bc101c586p-19, 0x1.b8007d9cd616ep-23, 0x1.8569280d6d56dp-26,
    0x1.d2c64a9225b87p-29, 0x1.0f9ccc0f46f75p-31, 0x1.a24feabe8004fp-37,
    -0x1.1511d08397425p-35, -0x1.d0fd7357e7bf2p-37, -0x1.f904303178d66p-40,
    0x1.94347fa268cecp-41, 0x1.b1c8c6b83c073p-42, 0x1.156ff0d5fc545p-46,
    -0x1.75d99cf68bb32p-45, -0x1.583fe7e65629ap-47, 0x1.12a919094e6d7p-48,
    0x1.fee7da3eafb1fp-50, -0x1.8aee7d908de38p-52, -0x1.4600babd21fe4p-52,
    0x1.3f3dd076041cdp-55, 0x1.9be1812d98421p-55, -0x1.646da66119130p-58,
    -0x1.0adb754ca8b19p-57, 0x1.24d48c789b293p-60, 0x1.604db61ad3debp-60
};
static const double I1E_SMALL[29] = {
    0x1.02a63724a7ffap-3, -0x1.694d10469192ep-3, 0x1.a46dad536f53cp-4,
    -0x1.b1bbc537c9ebcp-5, 0x1.951e3e7bb2349p-6, -0x1.5a29f7913a26ap-7,
    0x1.1065349d3a1b4p-8, -0x1.8cc620b3cd4a4p-10, 0x1.0c95db6c6df7dp-11,
    -0x1.533cad3d694fep-13, 0x1.911b542c70d0bp-15, -0x1.bd5f9b8debbcfp-17,
    0x1.d1c4ed511afc5p-19, -0x1.cc0798363992ap-21, 0x1.ae344b347d108p-23,
    -0x1.7dd3e24b8c3e8p-25, 0x1.4258e02395010p-27, -0x1.0361b28ea67e6p-29,
    0x1.8ea34b43fdf6cp-32, -0x1.2510397eb07dep-34, 0x1.9cee2b21d3154p-37,
    -0x1.173835fb70366p-39, 0x1.6af784779d955p-42, -0x1.c628e1c8f0b3bp-45,
    0x1.11d7f0615290cp-47, -0x1.3eaaa7e0d1573p-50, 0x1.663e3e593bfacp-53,
    -0x1.857d0c38a0576p-56, 0x1.99f2a0c3c4014p-59
};
static const double I1E_LARGE[27] = {
    0x1.8ea18b55b1514p-2, -0x1.3fda053fcdb4cp-7, -0x1.cfd7f804aa9a6p-14,
    -0x1.048df49ca0373p-18, -0x1.0dbfd2e9e5443p-22, -0x1.c415394bb46c1p-26,
    -0x1.0790b9ad53528p-28, -0x1.334ca5423dd80p-31, -0x1.4dcf9d4504c0cp-36,
    0x1.1e1a1f1587865p-35, 0x1.f101f653c457bp-37, 0x1.1e7d3f6439fa3p-39,
    -0x1.953e1076ab493p-41, -0x1.cbc458e73e255p-42, -0x1.7a9482e6d22a0p-46,
    0x1.80d3c26b3281ep-45, 0x1.776e1762d31e8p-47, -0x1.12db5138afbc7p-48,
    -0x1.0efcd8bc4d22ap-49, 0x1.7d68e5f04a2d1p-52, 0x1.55915fceb588ap-52,
    -0x1.2806c9c773320p-55, -0x1.acea3b2532277p-55, 0x1.45b8aea87b950p-58,
    0x1.1556db352e8e6p-57, -0x1.12e7f21d2c006p-60, -0x1.6ea1785f94461p-60
};
static const double PSI_ROOT_HI = 0x1.762d86356be3fp+0, PSI_ROOT_LO = 0x1.b86a722197829p-54;
static const double PSI_13[32] = {
    0x1.b39de7dee7bbcp-1, -0x1.3a48b32d9cb7ep-2, 0x1.1d15cce3f48f4p-4,
    -0x1.188af38e6d93bp-6, 0x1.1eb7ae393349dp-8, -0x1.2ae4290605519p-10,
    0x1.3b0e7585fc0a7p-12, -0x1.4e40570360e71p-14, 0x1.63fe489e91cb0p-16,
    -0x1.7c0c57bb6343cp-18, 0x1.9652bb0baabd5p-20, -0x1.b2cfe16a32244p-22,
    0x1.d190da5c24d22p-24, -0x1.f2acffebfff73p-26, 0x1.0b21b4d206158p-27,
    -0x1.1e3cb44888236p-29, 0x1.32bcd212312dbp-31, -0x1.48b9ce4e45f7dp-33,
    0x1.604db7e20f8aap-35, -0x1.7994e540cd6ddp-37, 0x1.94adfce1449b8p-39,
    -0x1.b1ba091bbc95dp-41, 0x1.d0dc94b6db9afp-43, -0x1.f23bce6862411p-45,
    0x1.0b00591af66fap-46, -0x1.1e2b9c08d142ap-48, 0x1.32b743ad61a52p-50,
    -0x1.48bc978f5fe1ap-52, 0x1.6056b18e70b42p-54, -0x1.79a29ed4e2647p-56,
    0x1.94bf835236c18p-58, -0x1.b1cebfdf7036cp-60
};
static const double ERFINV_C[8] = {
    0x1.d6633410cc88cp-1, 0x1.148cdd452daabp-5, 0x1.5a34f3552cedfp-10,
    0x1.0c9b40cecf622p-14, 0x1.cddf262f3bdfbp-19, 0x1.a5c04ce5f9e3ap-23,
    0x1.90ab2c3900b2ep-27, 0x1.877289ec9bf2cp-31
};
static const double ERFCINV_ZLO = 0x1.2c1ad5f2e7035p-5, ERFCINV_ZHI = 0x1.337cc2183b050p+0;
static const double ERFCINV_T[32] = {
    0x1.92fb98c7fd5a2p-1, -0x1.c649485ffb2c4p-3, 0x1.1d49dc5a9a7c9p-10,
    0x1.2164816e430b3p-7, -0x1.7454d4a2a492bp-9, 0x1.51d295f873d07p-11,
    -0x1.53d22993bfb45p-13, 0x1.f01bb06dd26d4p-15, -0x1.bcbb98f2e17c3p-16,
    0x1.9efaa4c15c2adp-17, -0x1.8b48a1943eea2p-18, 0x1.850cf02c09067p-19,
    -0x1.8c6d5574118fcp-20, 0x1.a03318d70fe65p-21, -0x1.bfff9cc84f0c1p-22,
    0x1.ec8fe08756d3ep-23, -0x1.13c05853067d2p-23, 0x1.39a040f14e392p-24,
    -0x1.69972f17bd95fp-25, 0x1.a5e6b5a92a7a1p-26, -0x1.f1840dbbfa077p-27,
    0x1.282260ab04f4ap-27, -0x1.638d59182fd5ap-28, 0x1.ae3203d994640p-29,
    -0x1.061525deb374bp-29, 0x1.41600d7aee99fp-30, -0x1.8c63fa0872450p-31,
    0x1.eb8bd12487517p-32, -0x1.324875a0162c9p-32, 0x1.7f7099dd076bbp-33,
    -0x1.e212af061137dp-34, 0x1.303c5ee1735fbp-34
};
static const double EM_B2J[15] = {
    0x1.5555555555555p-4, -0x1.6c16c16c16c17p-10, 0x1.1566abc011567p-15,
    -0x1.bbd779334ef0bp-21, 0x1.66a8f2bf70ebep-26, -0x1.22805d644267fp-31,
    0x1.d6db2c4e09162p-37, -0x1.7da4e1f79955cp-42, 0x1.355871d652e9ep-47,
    -0x1.f57d968caacf1p-53, 0x1.967e1f09c376fp-58, -0x1.497d9033a2b5cp-63,
    0x1.0b132d7c6ad06p-68, -0x1.b0f72d59f1c16p-74, 0x1.5ef2da4cca26dp-79
};
static const double STIRLING[9] = {
    0x1.5555555555555p-4, -0x1.6c16c16c16c17p-9, 0x1.a01a01a01a01ap-11,
    -0x1.3813813813814p-11, 0x1.b951e2b18ff23p-11, -0x1.f6ab0d9993c7dp-10,
    0x1.a41a41a41a41ap-8, -0x1.e4286cb0f5398p-6, 0x1.6fe96381e0680p-3
};
static const double PSI_ASYMP[9] = {
    0x1.5555555555555p-4, -0x1.1111111111111p-7, 0x1.0410410410410p-8,
    -0x1.1111111111111p-8, 0x1.f07c1f07c1f08p-8, -0x1.5995995995996p-6,
    0x1.5555555555555p-4, -0x1.c5e5e5e5e5e5ep-2, 0x1.86e7f9b9fe6e8p+1
};

/* ---- helpers ---------------------------------------------------------------- */

/* sum c[k] T_k(y) (Clenshaw) */
static inline double cheb(const double *c, int n, double y) {
    double b0 = 0.0, b1 = 0.0, b2;
    int k;
    for (k = n - 1; k >= 1; k--) {
        b2 = b1;
        b1 = b0;
        b0 = c[k] + 2.0 * y * b1 - b2;
    }
    return c[0] + y * b0 - b1;
}

/* p + e = a * b exactly (Dekker; |a|, |b| < 2^995) */
static inline void two_prod(double a, double b, double *p, double *e) {
    const double split = 134217729.0;          /* 2^27 + 1 */
    const double ca = split * a, cb = split * b;
    const double ah = ca - (ca - a), al = a - ah, bh = cb - (cb - b), bl = b - bh;
    *p = a * b;
    *e = ((ah * bh - *p) + ah * bl + al * bh) + al * bl;
}

/* exp(x^2) without the error of rounding x^2 (|x| < 27) */
static inline double exp_x2(double x) {
    double h, l, e;
    two_prod(x, x, &h, &l);
    e = exp(h);
    return e + e * l;
}

/* uh + ul = s x / sqrt(2) to about 2^-104 (s = +-1; |x| < 2^995) */
static inline void over_sqrt2(double x, double *uh, double *ul) {
    double e;
    two_prod(x, SQRT1_2, uh, &e);
    *ul = e + x * SQRT1_2_LO;
}

/* ---- the error function family ------------------------------------------- */

/* erfcx(x) = exp(x^2) erfc(x): libm's erfc times exp(x^2) (with x^2 exact)
 * below 26, where erfc is still a normal number; the asymptotic series
 * 1/(x sqrt(pi)) sum (-1)^k (2k-1)!! / (2x^2)^k above (10 terms: below
 * 2^-70 from x = 26); 2 exp(x^2) - erfcx(-x) for negative x. */
double tg_erfcx(double x) {
    if (x != x) return x;
    if (x < 0) {
        if (x < -26.7) return INFINITY;
        return 2.0 * exp_x2(x) - tg_erfcx(-x);
    }
    if (x < 26.0) return exp_x2(x) * erfc(x);
    if (x > 1e8) return (1.0 / x) / SQRTPI;
    {
        const double z = 0.5 / (x * x);
        double t = 1.0, s = 1.0;
        int k;
        for (k = 1; k <= 10; k++) {
            t *= -(2 * k - 1) * z;
            s += t;
        }
        return s / (x * SQRTPI);
    }
}

/* erfcx'(x) = 2x erfcx(x) - 2/sqrt(pi) = -(2/sqrt(pi)) z sum_k>=0 (-1)^k
 * (2k+1)!! z^k, z = 1/(2x^2), for x >= 12 (14 terms: below 2^-60), where
 * the difference would cancel; ops/special.py sums the same terms. */
double tg_derfcx_series(double x) {
    const double z = 0.5 / (x * x);
    double p = 0.0;
    int k;
    for (k = 13; k >= 0; k--) {
        double c = 1.0;                 /* (2k+1)!!, exact */
        int j;
        for (j = 3; j <= 2 * k + 1; j += 2) c *= j;
        p = (k % 2 ? -c : c) + z * p;
    }
    return -(TWO_OVER_SQRTPI * z) * p;
}

/* erfinv on |y| <= 1/2: a Chebyshev start (2^-34) and one Halley step on
 * erf(x) = y (erf'' = -2x erf'), which leaves erf's own error. */
static double erfinv_central(double y) {
    const double x = y * cheb(ERFINV_C, 8, 8.0 * (y * y) - 1.0);
    const double d = (erf(x) - y) / (TWO_OVER_SQRTPI * exp(-x * x));
    return x - d / (1.0 + x * d);
}

/* u > 0 with erfc(u) = q, 0 < q <= 1/2: a Chebyshev start in 1/sqrt(-ln q)
 * (2^-34) and Halley steps on g(u) = ln erfcx(u) - u^2 - ln q, which is
 * smooth down to the smallest subnormal q (g' = -r, g'' = r (2u - r),
 * r = 2 / (sqrt(pi) erfcx(u))). */
static double erfcinv_tail(double q) {
    const double lq = log(q);
    const double s = sqrt(-lq);
    const double y = (2.0 / s - (ERFCINV_ZLO + ERFCINV_ZHI)) / (ERFCINV_ZHI - ERFCINV_ZLO);
    double u = s * cheb(ERFCINV_T, 32, y);
    int it;
    for (it = 0; it < 2; it++) {
        const double ex = tg_erfcx(u);
        const double g = (log(ex) - lq) - u * u;
        const double r = TWO_OVER_SQRTPI / ex;
        u += 2.0 * g / (2.0 * r - g * (2.0 * u - r));
    }
    return u;
}

double tg_erfinv(double y) {
    const double a = fabs(y);
    if (y != y) return y;
    if (a > 1.0) return NAN;
    if (a == 1.0) return copysign(INFINITY, y);
    if (a <= 0.5) return erfinv_central(y);
    return copysign(erfcinv_tail(1.0 - a), y);        /* 1 - a exact */
}

double tg_erfcinv(double q) {
    if (q != q) return q;
    if (q < 0.0 || q > 2.0) return NAN;
    if (q == 0.0) return INFINITY;
    if (q == 2.0) return -INFINITY;
    if (q <= 0.5) return erfcinv_tail(q);
    if (q < 1.5) return erfinv_central(1.0 - q);      /* exact */
    return -erfcinv_tail(2.0 - q);                     /* exact */
}

/* ndtr(x) = erfc(-x / sqrt(2)) / 2.  For x < 0 the argument is carried as
 * uh + ul and erfc(uh + ul) = erfc(uh) (1 - ul 2 / (sqrt(pi) erfcx(uh))):
 * rounding x / sqrt(2) would cost 2 u^2 ulps in the far tail. */
double tg_ndtr(double x) {
    double uh, ul, e;
    if (x != x) return x;
    if (x >= 0) return 1.0 - 0.5 * erfc(x * SQRT1_2);
    over_sqrt2(-x, &uh, &ul);
    e = erfc(uh);
    if (uh < 1.0 || e == 0.0) return 0.5 * e;
    return 0.5 * e * (1.0 - ul * TWO_OVER_SQRTPI / tg_erfcx(uh));
}

/* log ndtr(x): log1p(-ndtr(-x)) for x > 0 (the same argument correction);
 * log(ndtr(x)) down to -20; below, log(erfcx(u) / 2) - u^2, u = -x / sqrt(2),
 * with u^2 exact, so it stays relative-accurate to -inf. */
double tg_log_ndtr(double x) {
    double uh, ul, e, h, l;
    if (x != x) return x;
    if (x > 0) {
        over_sqrt2(x, &uh, &ul);
        e = erfc(uh);
        if (uh >= 1.0 && e > 0.0) e *= 1.0 - ul * TWO_OVER_SQRTPI / tg_erfcx(uh);
        return log1p(-0.5 * e);
    }
    if (x > -20.0) return log(tg_ndtr(x));
    over_sqrt2(-x, &uh, &ul);
    if (uh > 1e150) return -INFINITY;
    two_prod(uh, uh, &h, &l);
    return log(0.5 * tg_erfcx(uh)) - (h + (l + 2.0 * uh * ul));
}

/* pdf / cdf: sqrt(2/pi) / erfcx(-x / sqrt(2)) for x < 0 (no underflow or
 * cancellation however negative), exp(-x^2/2) / (sqrt(2 pi) ndtr(x)) else.
 * ops/special.py writes the same formula in backend ops. */
double tg_dlog_ndtr(double x) {
    if (x < 0) return SQRT_2_OVER_PI / tg_erfcx(-x * SQRT1_2);
    return exp(-0.5 * x * x) * INV_SQRT2PI / tg_ndtr(x);
}

/* sqrt(2) u, with sqrt(2) to 2^-107 (one rounding instead of two) */
static inline double times_sqrt2(double u) {
    return SQRT2 * u + SQRT2_LO * u;
}

/* ndtri(p) = -sqrt(2) erfcinv(2p), by the branch whose argument is exact */
double tg_ndtri(double p) {
    if (p != p) return p;
    if (p < 0.0 || p > 1.0) return NAN;
    if (p == 0.0) return -INFINITY;
    if (p == 1.0) return INFINITY;
    if (p < 0.25) return -times_sqrt2(erfcinv_tail(2.0 * p));
    if (p <= 0.75) return times_sqrt2(erfinv_central(2.0 * p - 1.0));
    return times_sqrt2(erfcinv_tail(2.0 * (1.0 - p)));
}

/* ---- the gamma family ------------------------------------------------------ */

double tg_gammaln(double x) {
    int sg;
    return tg_lgamma_r(x, &sg);
}

double tg_gamma(double x) {
    return tgamma(x);
}

/* the sign of Gamma(x): NaN at its poles (scipy.special.gammasgn) */
double tg_gammasgn(double x) {
    double f;
    if (x != x) return x;
    if (x > 0) return 1.0;
    if (x == 0) return copysign(1.0, x);
    f = floor(x);
    if (f == x) return NAN;                 /* a pole, or -inf */
    return fmod(f, 2.0) == 0 ? 1.0 : -1.0;
}

/* tan(pi x) through x - round(x) (tan has period pi) */
static inline double tanpi(double x) {
    return tan(PI * (x - nearbyint(x)));
}

/* psi on [1, 3] as (x - x0) times a Chebyshev series: relative accuracy at
 * its root x0 */
static inline double psi_13(double x) {
    return ((x - PSI_ROOT_HI) - PSI_ROOT_LO) * cheb(PSI_13, 32, x - 2.0);
}

/* psi(x) for x >= 10: ln x - 1/(2x) - sum B_2k / (2k x^2k) */
static inline double psi_asymp(double x) {
    const double z = 1.0 / (x * x);
    double s = PSI_ASYMP[8];
    int k;
    for (k = 7; k >= 0; k--) s = s * z + PSI_ASYMP[k];
    return (log(x) - 0.5 / x) - z * s;
}

/* digamma: the series next to its root on [1, 3], psi(x + 1) - 1/x below,
 * psi(x) = psi(x - n) + sum 1/(x - k) (terms of one sign) up to 10, the
 * asymptotic series above; reflection psi(1 - x) - pi / tan(pi x) for x < 0 */
double tg_digamma(double x) {
    if (x != x) return x;
    if (x <= 0) {
        if (x == 0) return copysign(INFINITY, -x);
        if (x == floor(x)) return NAN;          /* a pole, or -inf */
        return tg_digamma(1.0 - x) - PI / tanpi(x);
    }
    if (x == INFINITY) return x;
    if (x < 1.0) return psi_13(x + 1.0) - 1.0 / x;
    if (x <= 3.0) return psi_13(x);
    if (x < 10.0) {
        const double n = floor(x - 2.0), xr = x - n;   /* xr in [2, 3), exact */
        double s = 0.0, j;
        for (j = n - 1.0; j >= 0.0; j -= 1.0) s += 1.0 / (xr + j);
        return psi_13(xr) + s;
    }
    return psi_asymp(x);
}

/* Hurwitz zeta(s, q) = sum_k (q + k)^-s for s > 1: the terms up to
 * a = q + k >= max(10, s), then Euler-Maclaurin at a:
 *   a^(1-s)/(s-1) + a^-s/2 + sum_j B_2j/(2j)! (s)_(2j-1) a^(-s-2j+1).
 * Negative non-integer q for integer s, as Cephes (so scipy) does. */
double tg_zeta(double s, double q) {
    double a, sum = 0.0, as, em, fac, ia2;
    int j;
    if (s != s || q != q) return NAN;
    if (s == 1.0) return INFINITY;
    if (s < 1.0) return NAN;
    if (q == INFINITY) return 0.0;
    if (q <= 0) {
        if (q == floor(q)) return INFINITY;
        if (s != floor(s)) return NAN;
    }
    a = q;
    {
        const double amin = s > 10.0 ? s : 10.0;
        while (a < amin) {
            const double t = pow(a, -s);
            sum += t;
            a += 1.0;
            if (a > 1.0 && fabs(t) * (1.0 + a / (s - 1.0)) < 1e-17 * fabs(sum)) return sum;
        }
    }
    as = pow(a, -s);
    em = a * as / (s - 1.0) + 0.5 * as;
    fac = s * as / a;
    ia2 = 1.0 / (a * a);
    for (j = 0; j < 15; j++) {
        const double t = EM_B2J[j] * fac;
        em += t;
        if (fabs(t) < 1e-17 * fabs(sum + em)) break;
        fac *= (s + 2 * j + 1) * (s + 2 * j + 2) * ia2;
    }
    return sum + em;
}

/* polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1, digamma for 0;
 * NaN for n not a non-negative integer (scipy.special.polygamma) */
double tg_polygamma(double n, double x) {
    double r;
    if (n != n || x != x) return NAN;
    if (n < 0 || n != floor(n) || n == INFINITY) return NAN;
    if (n == 0) return tg_digamma(x);
    r = tgamma(n + 1.0) * tg_zeta(n + 1.0, x);
    return fmod(n, 2.0) == 0 ? -r : r;
}

/* psi(a + b) - psi(a) for a, b > 0, without the cancellation of the plain
 * difference when b << a: sum_k<10 b / ((a + k)(a + k + b)), then the
 * difference of the asymptotic series at A = a + 10,
 *   log1p(b/A) + b / (2A(A + b)) - sum_k c_k A^-2k expm1(-2k log1p(b/A)),
 * every term of one sign.  ops/special.py writes the same. */
double tg_psi_diff(double a, double b) {
    double s = 0.0, A, l, t, ia2, p = 1.0;
    int k;
    for (k = 0; k < 10; k++) s += b / ((a + k) * (a + k + b));
    A = a + 10.0;
    l = log1p(b / A);
    t = l + b / (2.0 * A * (A + b));
    ia2 = 1.0 / (A * A);
    for (k = 1; k <= 9; k++) {
        p *= ia2;
        t -= PSI_ASYMP[k - 1] * (p * expm1(-2.0 * k * l));
    }
    return s + t;
}

/* d/da betaln(a, b) = psi(a) - psi(a + b), as -tg_psi_diff where a, b > 0 */
double tg_betaln_da(double a, double b) {
    if (a > 0 && b > 0 && a < INFINITY && b < INFINITY) return -tg_psi_diff(a, b);
    return tg_digamma(a) - tg_digamma(a + b);
}

/* Stirling's correction w(z) = lgamma(z) - ((z - 1/2) ln z - z + ln(2 pi)/2)
 * for z >= 8 */
static inline double stirling_w(double z) {
    const double iz = 1.0 / z, z2 = iz * iz;
    double s = STIRLING[8];
    int k;
    for (k = 7; k >= 0; k--) s = s * z2 + STIRLING[k];
    return s * iz;
}

static int nonpos_int(double x) {
    return x <= 0 && x == floor(x);
}

/* log |B(a, b)|.  With a <= b: both >= 8: Stirling throughout, the large
 * logarithms as log1p of ratios, so B(1e10, 1e10) keeps every digit;
 * b >= 8 > a: lgamma(a) - (lgamma(a + b) - lgamma(b)), the difference by
 * Stirling (no cancellation when b >> a); otherwise log of the product of
 * tgamma ratios.  Negative arguments through lgamma, with Cephes' rule
 * for a non-positive integer a (finite when b is an integer and
 * 1 - a - b > 0). */
double tg_betaln(double a, double b) {
    int sg;
    if (a != a || b != b) return NAN;
    if (a > b) {
        const double t = a;
        a = b;
        b = t;
    }
    if (a <= 0 || b == INFINITY) {
        if (nonpos_int(a)) {
            if (b == floor(b) && 1.0 - a - b > 0) return tg_betaln(1.0 - a - b, b);
            return INFINITY;
        }
        if (nonpos_int(b)) {
            if (a == floor(a) && 1.0 - a - b > 0) return tg_betaln(1.0 - a - b, a);
            return INFINITY;
        }
        if (b == INFINITY) return a > 0 ? -INFINITY : NAN;
        if (nonpos_int(a + b)) return -INFINITY;
        return tg_lgamma_r(a, &sg) + tg_lgamma_r(b, &sg) - tg_lgamma_r(a + b, &sg);
    }
    if (a >= 8.0) {
        return (HALF_LOG_2PI - 0.5 * log(a + b)) - (a - 0.5) * log1p(b / a)
               - (b - 0.5) * log1p(a / b) + (stirling_w(a) + (stirling_w(b) - stirling_w(a + b)));
    }
    if (b >= 8.0) {
        const double d = (b - 0.5) * log1p(a / b) + (a * log(a + b) - a)
                         + (stirling_w(a + b) - stirling_w(b));
        return tg_lgamma_r(a, &sg) - d;
    }
    if (a < 1e-8) return tg_lgamma_r(a, &sg) + (tg_lgamma_r(b, &sg) - tg_lgamma_r(a + b, &sg));
    return log(fabs(tgamma(a) * (tgamma(b) / tgamma(a + b))));
}

/* B(a, b): the tgamma ratio while it cannot overflow, else exp(betaln);
 * signs and poles as Cephes (scipy.special.beta). */
double tg_beta(double a, double b) {
    if (a != a || b != b) return NAN;
    if (a > b) {
        const double t = a;
        a = b;
        b = t;
    }
    if (a > 0) {
        if (b >= 8.0 || b == INFINITY) return exp(tg_betaln(a, b));
        return tgamma(a) * (tgamma(b) / tgamma(a + b));
    }
    if (nonpos_int(a) || nonpos_int(b)) {
        const double p = nonpos_int(a) ? a : b, o = nonpos_int(a) ? b : a;
        if (o == floor(o) && 1.0 - p - o > 0) {
            const double r = tg_beta(1.0 - p - o, o);
            return fmod(o, 2.0) == 0 ? r : -r;
        }
        return INFINITY;
    }
    if (nonpos_int(a + b)) return 0.0;
    if (fabs(a) < 170 && fabs(b) < 170 && fabs(a + b) < 170)
        return tgamma(a) * (tgamma(b) / tgamma(a + b));
    return tg_gammasgn(a) * tg_gammasgn(b) * tg_gammasgn(a + b) * exp(tg_betaln(a, b));
}

/* ---- modified Bessel functions -------------------------------------------- */

/* e^-|x| I0(x): Chebyshev series in x/4 - 1 on [0, 8], and of
 * sqrt(x) e^-x I0(x) in 16/x - 1 above */
double tg_i0e(double x) {
    const double ax = fabs(x);
    if (x != x) return x;
    if (ax <= 8.0) return cheb(I0E_SMALL, 30, ax * 0.25 - 1.0);
    return cheb(I0E_LARGE, 27, 16.0 / ax - 1.0) / sqrt(ax);
}

/* e^-|x| I1(x): x times a series for e^-x I1(x) / x on [0, 8] */
double tg_i1e(double x) {
    const double ax = fabs(x);
    double r;
    if (x != x) return x;
    if (ax <= 8.0) return x * cheb(I1E_SMALL, 29, ax * 0.25 - 1.0);
    r = cheb(I1E_LARGE, 27, 16.0 / ax - 1.0) / sqrt(ax);
    return x < 0 ? -r : r;
}

/* e^|x| times the scaled function; past 700 as e^(|x|/2) twice, so the
 * result overflows only where I0 does (|x| ~ 713.99) */
double tg_i0(double x) {
    const double ax = fabs(x);
    double h;
    if (ax == INFINITY) return INFINITY;
    if (ax <= 700.0) return exp(ax) * tg_i0e(x);
    h = exp(0.5 * ax);
    return (h * tg_i0e(x)) * h;
}

double tg_i1(double x) {
    const double ax = fabs(x);
    double h;
    if (ax == INFINITY) return x;
    if (ax <= 700.0) return exp(ax) * tg_i1e(x);
    h = exp(0.5 * ax);
    return (h * tg_i1e(x)) * h;
}

/* I1'(x) = I0(x) - I1(x)/x: its Maclaurin series below 1e-3 (exact to all
 * orders at 0), e^|x| (i0e - i1e / x) above; ops/special.py writes the same */
double tg_di1(double x) {
    if (fabs(x) < 1e-3) {
        const double x2 = x * x;
        return 0.5 + x2 * (0.1875 + x2 * (5.0 / 384.0 + x2 * (7.0 / 18432.0)));
    }
    return exp(fabs(x)) * (tg_i0e(x) - tg_i1e(x) / x);
}

/* ---- logistic ----------------------------------------------------------------- */

/* log(p / (1 - p)); 2 atanh(2p - 1) around 1/2, where the ratio is near 1 */
double tg_logit(double p) {
    if (p < 0.0 || p > 1.0) return NAN;
    if (p < 0.3 || p > 0.65) return log(p / (1.0 - p));
    return 2.0 * atanh(2.0 * p - 1.0);
}

/* log(expit(x)) = -log1p(e^-x), or x - log1p(e^x) for x < 0 */
double tg_log_expit(double x) {
    return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x));
}

/* ---- elementwise helpers -------------------------------------------------- */

/* sin(pi x) / (pi x), the sine as (-1)^n sin(pi (x - n)), n = round(x):
 * exact reduction, so no loss next to the integers (NumPy's sin(pi x)
 * loses there what pi x lost in rounding) */
double tg_sinc(double x) {
    double n, s;
    if (x == 0) return 1.0;
    if (fabs(x) == INFINITY) return NAN;
    n = nearbyint(x);
    s = sin(PI * (x - n));
    if (fmod(n, 2.0) != 0) s = -s;
    return s / (PI * x);
}

/* sinc'(x) = (cos(pi x) - sinc(x)) / x; below |x| = 1/4, where that
 * difference cancels, its Maclaurin series
 * -pi t sum_k>=1 (-1)^(k+1) 2k t^(2k-2) / (2k+1)!, t = pi x (to 2^-70) */
double tg_dsinc(double x) {
    const double t = PI * x;
    if (fabs(x) < 0.25) {
        const double t2 = t * t;
        const double p = 1.0 / 3.0 + t2 * (-1.0 / 30.0 + t2 * (1.0 / 840.0 + t2 * (
            -1.0 / 45360.0 + t2 * (1.0 / 3991680.0 + t2 * (-1.0 / 518918400.0 + t2 * (
            1.0 / 93405312000.0 + t2 * (-1.0 / 22230464256000.0 + t2 * (
            1.0 / 6758061133824000.0 + t2 * (-1.0 / 2554547108585472000.0)))))))));
        return -PI * (t * p);
    }
    return (cos(t) - sin(t) / t) / x;
}

/* cube root within half an ulp or so: libm's (up to 3 ulps in glibc), then a
 * Newton step with c^3 - x formed exactly (c^3 as a double-double) */
double tg_cbrt(double x) {
    const double c = cbrt(x);
    double sh, sl, ch, cl;
    if (c == 0 || !(fabs(x) > 1e-290 && fabs(x) < DBL_MAX)) return c;
    two_prod(c, c, &sh, &sl);                   /* c^2 = sh + sl */
    two_prod(sh, c, &ch, &cl);                  /* c^3 = ch + cl + sl c */
    return c - ((ch - x) + (cl + sl * c)) / (3.0 * sh);
}

/* NumPy's remainder (npy_divmod): fmod, moved to the divisor's sign */
double tg_remainder(double a, double b) {
    double mod = fmod(a, b);
    if (b == 0) return mod;
    if (mod != 0) {
        if ((b < 0) != (mod < 0)) mod += b;
    } else {
        mod = copysign(0.0, b);
    }
    return mod;
}

/* ---- Bessel functions of integer order ------------------------------------
 * libm's (POSIX; MSVC's _j0 ...).  glibc's are accurate to a few ulps away
 * from the zeros and to about 1e-16 absolute near them (measured in
 * tests/test_surface_special2.py).  The limits at +-inf are taken (0; SciPy
 * gives NaN), y of x < 0 is NaN and of 0 is -inf (SciPy's). */
#if defined(_MSC_VER)
#define TG_J0 _j0
#define TG_J1 _j1
#define TG_JN _jn
#define TG_Y0 _y0
#define TG_Y1 _y1
#define TG_YN _yn
#else
#define TG_J0 j0
#define TG_J1 j1
#define TG_JN jn
#define TG_Y0 y0
#define TG_Y1 y1
#define TG_YN yn
#endif

double tg_j0(double x) {
    if (fabs(x) == INFINITY) return 0.0;
    return TG_J0(x);
}

double tg_j1(double x) {
    if (fabs(x) == INFINITY) return 0.0;
    return TG_J1(x);
}

double tg_y0(double x) {
    if (x != x || x < 0) return NAN;
    if (x == 0) return -INFINITY;
    if (x == INFINITY) return 0.0;
    return TG_Y0(x);
}

double tg_y1(double x) {
    if (x != x || x < 0) return NAN;
    if (x == 0) return -INFINITY;
    if (x == INFINITY) return 0.0;
    return TG_Y1(x);
}

/* n an integer of at most 2^31 - 1 in size, else NaN */
static int int_order(double n, int *k) {
    if (!(fabs(n) <= 2147483647.0) || n != floor(n)) return 0;
    *k = (int)n;
    return 1;
}

double tg_jn(double n, double x) {
    int k;
    if (!int_order(n, &k) || x != x) return NAN;
    if (fabs(x) == INFINITY) return 0.0;
    return TG_JN(k, x);
}

/* Y_n(0) = -inf for n >= 0; Y_-n = (-1)^n Y_n */
double tg_yn(double n, double x) {
    int k;
    if (!int_order(n, &k) || x != x || x < 0) return NAN;
    if (x == INFINITY) return 0.0;
    if (x == 0) return (k < 0 && (k % 2)) ? INFINITY : -INFINITY;
    return TG_YN(k, x);
}

/* ---- rgamma ---------------------------------------------------------------- */

/* 1 / Gamma(x): 0 at the poles and at +-inf (entire); 1/tgamma where that is
 * a normal number, else by reflection for x < 0 and exp(-lgamma) above 171 */
double tg_rgamma(double x) {
    double g;
    int sg;
    if (x != x) return x;
    if (fabs(x) == INFINITY || nonpos_int(x)) return 0.0;
    if (x > 0 && x < 171.0) return 1.0 / tgamma(x);
    if (x < 0 && x > -170.0) {
        g = tgamma(x);
        if (g != 0 && fabs(g) >= DBL_MIN) return 1.0 / g;
    }
    if (x < 0) {
        /* sin(pi x) Gamma(1 - x) / pi, Gamma(1 - x) = Gamma(2z) by the
         * duplication formula 2^(2z-1) Gamma(z) Gamma(z + 1/2) / sqrt(pi),
         * z = (1 - x)/2 (exact): finite factors, overflowing only with the
         * result */
        const double n = nearbyint(x), z = 0.5 * (1.0 - x);
        const double t = (fmod(n, 2.0) != 0 ? -1.0 : 1.0) * sin(PI * (x - n)) / PI;
        return ((t * tgamma(z)) * exp2(-x)) * (tgamma(z + 0.5) / SQRTPI);
    }
    g = tg_lgamma_r(x, &sg);
    return sg < 0 ? -exp(-g) : exp(-g);
}

/* rgamma'(x) = -psi(x) rgamma(x) for x >= 1/2; below, by reflection,
 * Gamma(1 - x) (cos(pi x) - sin(pi x) psi(1 - x) / pi), the sine and cosine
 * through x - round(x): smooth through the poles of Gamma, where it is (-1)^n n! at x = -n.  ops/special.py writes
 * the same (NaN at +-inf, as it does). */
double tg_drgamma(double x) {
    if (x != x) return x;
    double n, r;
    if (x >= 0.5) return -tg_digamma(x) * tg_rgamma(x);
    n = nearbyint(x);
    r = PI * (x - n);                   /* x - n exact: sin and cos of pi x exact at n */
    return (fmod(n, 2.0) != 0 ? -1.0 : 1.0) * tgamma(1.0 - x)
           * (cos(r) - sin(r) * tg_digamma(1.0 - x) / PI);
}

/* ---- the regularized incomplete gamma functions -----------------------------
 * As Cephes and SciPy, except that the power series serves P for every
 * x <= 16 (its terms are positive: a few ulps, where the continued fraction
 * loses up to 60 near x = a = 1): P by its power series where x <= 16 or
 * x <= a, else 1 - Q; Q by Legendre's continued fraction (modified Lentz)
 * where x > 1.1 and x > a, by 1 - P where that is at most 0.9, and for x < 1.1 and small a
 * by the series Q = 1 - x^a / Gamma(a + 1) - x^a/Gamma(a) sum (-x)^n/(n!(a+n)),
 * with lgamma(1 + a) by its Taylor series (no cancellation as a -> 0).
 * The prefactor x^a e^-x / Gamma(a) is formed as pow * exp / tgamma where
 * they stay normal numbers, else as sqrt(a / 2pi) exp(a log1pmx((x - a)/a)
 * - w(a)) for a >= 8 (Stirling's w), accurate for large a. */
static const double LGAM1P_T[42] = {
    -0x1.2788cfc6fb619p-1, 0x1.a51a6625307d3p-1, -0x1.9a4d55beab2d7p-2,
    0x1.151322ac7d848p-2, -0x1.a8b9c17aa6149p-3, 0x1.5b40cb100c306p-3,
    -0x1.2703a1dcea3aep-3, 0x1.010b36af86397p-3, -0x1.c806706d57db4p-4,
    0x1.9a01e385d5f8fp-4, -0x1.748c33114c6d6p-4, 0x1.556ad63243bc4p-4,
    -0x1.3b1d971fc5985p-4, 0x1.2496df8320c5fp-4, -0x1.11133476e7fe0p-4,
    0x1.00010064cdeb2p-4, -0x1.e1e2d311e8abdp-5, 0x1.c71ce3a20b419p-5,
    -0x1.af28a1b5688a0p-5, 0x1.9999b3352d5bap-5, -0x1.86186db77bfbfp-5,
    0x1.745d1d1778df9p-5, -0x1.642c88591b66dp-5, 0x1.555556aaafdcdp-5,
    -0x1.47ae151eb9fb7p-5, 0x1.3b13b189d925ep-5, -0x1.2f684c00002bcp-5,
    0x1.24924936db7bcp-5, -0x1.1a7b961a7b9aap-5, 0x1.111111155556dp-5,
    -0x1.08421086318cep-5, 0x1.0000000100002p-5, -0x1.f07c1f08ba2eap-6,
    0x1.e1e1e1e25a5a6p-6, -0x1.d41d41d457c58p-6, 0x1.c71c71c738e39p-6,
    -0x1.bacf914c29837p-6, 0x1.af286bca21af3p-6, -0x1.a41a41a41d89ep-6,
    0x1.999999999b333p-6, -0x1.8f9c18f9c2577p-6, 0x1.8618618618c31p-6
};
#define IGAM_EPS 0x1p-54
#define IGAM_MAXIT 100000
#define IGAM_SERIES_X 16.0       /* below, P by its series (a few ulps) */

/* lgamma(1 + a) for |a| <= 1/2: sum c_k a^k, c_1 = -gamma, c_k = (-1)^k zeta(k)/k */
static double lgam1p_taylor(double a) {
    double s = 0.0;
    int k;
    for (k = 41; k >= 0; k--) s = s * a + LGAM1P_T[k];
    return s * a;
}

/* lgamma(1 + a), accurate near a = 0 and a = 1 */
static double lgam1p(double a) {
    int sg;
    if (fabs(a) <= 0.5) return lgam1p_taylor(a);
    if (fabs(a - 1.0) < 0.5) return log(a) + lgam1p_taylor(a - 1.0);
    return tg_lgamma_r(a + 1.0, &sg);
}

/* log1p(d) - d */
static double log1pmx(double d) {
    if (fabs(d) <= 0.5) {
        double p = d, s = 0.0, t;
        int k;
        for (k = 2; k < 80; k++) {
            p *= -d;
            t = p / k;
            s += t;
            if (fabs(t) <= 0x1p-56 * fabs(s)) break;
        }
        return s;
    }
    return log1p(d) - d;
}

/* x^a e^-x / Gamma(a), a > 0, x > 0: pow * exp / tgamma where none of
 * them leaves the normal range (a few ulps), else in log space */
static double igam_fac(double a, double x) {
    if (a < 170.0 && x < 700.0) {
        const double p = pow(x, a);
        if (p >= DBL_MIN && p < DBL_MAX) return p * exp(-x) / tgamma(a);
    }
    if (a < 8.0) {
        int sg;
        return exp(a * log(x) - x - tg_lgamma_r(a, &sg));
    }
    return sqrt(a / (2.0 * PI)) * exp(a * log1pmx((x - a) / a) - stirling_w(a));
}

/* P(a, x) by its power series: fac / a sum x^k / ((a + 1) ... (a + k)) */
static double igam_series(double a, double x) {
    double r = a, c = 1.0, s = 1.0;
    int k;
    for (k = 0; k < IGAM_MAXIT; k++) {
        r += 1.0;
        c *= x / r;
        s += c;
        if (c <= IGAM_EPS * s) break;
    }
    return s * igam_fac(a, x) / a;
}

/* Q(a, x) by its continued fraction (x > 1, x > a) */
static double igamc_cf(double a, double x) {
    const double tiny = 1e-300;
    double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    int i;
    for (i = 1; i < IGAM_MAXIT; i++) {
        const double an = -i * (i - a);
        double del;
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        del = d * c;
        h *= del;
        if (fabs(del - 1.0) <= IGAM_EPS) break;
    }
    return igam_fac(a, x) * h;
}

/* Q(a, x) for x < 1.1 and small a (SciPy's igamc_series) */
static double igamc_series(double a, double x) {
    double fac = 1.0, s = 0.0, t, lx;
    int sg, n;
    for (n = 1; n < 200; n++) {
        fac *= -x / n;
        t = fac / (a + n);
        s += t;
        if (fabs(t) <= IGAM_EPS * fabs(s)) break;
    }
    lx = log(x);
    return -expm1(a * lx - lgam1p(a)) - exp(a * lx - tg_lgamma_r(a, &sg)) * s;
}

/* whether Q is formed by igamc_series (else 1 - P by the series) for x < 1.1 */
static int igamc_small(double a, double x) {
    if (x < 0.5) return -0.4 / log(x) >= a;
    return x * 1.1 >= a;
}

static int igam_domain(double a, double x, double *r, int upper) {
    if (a != a || x != x || a < 0 || x < 0 || (a == 0 && x == 0)) { *r = NAN; return 1; }
    if (a == 0) { *r = upper ? 0.0 : 1.0; return 1; }
    if (x == 0) { *r = upper ? 1.0 : 0.0; return 1; }
    if (a == INFINITY) {
        *r = x == INFINITY ? NAN : (upper ? 1.0 : 0.0);
        return 1;
    }
    if (x == INFINITY) { *r = upper ? 0.0 : 1.0; return 1; }
    return 0;
}

double tg_gammainc(double a, double x) {
    double r;
    if (igam_domain(a, x, &r, 0)) return r;
    if (x > IGAM_SERIES_X && x > a) return 1.0 - igamc_cf(a, x);
    return igam_series(a, x);
}

double tg_gammaincc(double a, double x) {
    double r;
    if (igam_domain(a, x, &r, 1)) return r;
    if (x < 1.1) {
        if (igamc_small(a, x)) return igamc_series(a, x);
        return 1.0 - igam_series(a, x);
    }
    if (x < a) return 1.0 - igam_series(a, x);
    if (x <= IGAM_SERIES_X) {
        const double p = igam_series(a, x);
        if (p <= 0.9) return 1.0 - p;
    }
    return igamc_cf(a, x);
}

/* dP/dx = x^(a-1) e^-x / Gamma(a) = exp(xlogy(a - 1, x) - x - lgamma(a)),
 * as ops/special.py forms it (1 at x = 0 for a = 1, inf below, 0 above) */
double tg_dgammainc(double a, double x) {
    int sg;
    const double am1 = a - 1.0;
    const double xl = (am1 == 0 && x == x) ? 0.0 : am1 * log(x);
    return exp(xl - x - tg_lgamma_r(a, &sg));
}

/* ---- modified Bessel functions of real order --------------------------------
 * I_v(x) for v > -1 by its power series sum (x/2)^(2k+v) / (k! Gamma(k+v+1))
 * (every term positive: a few ulps, however many terms), the sum rescaled
 * by 2^-930 as it grows; e^-x I_v(x) by Hankel's asymptotic expansion
 *   (2 pi x)^-1/2 sum_k (-1)^k prod_j<=k (4v^2 - (2j-1)^2) / (k! (8x)^k)
 * where x >= 30 and x >= v^2/2 and its terms fall below 2^-56 before they
 * grow.  v <= -1: I_-n = I_n for integers, else the recurrence I_(m-1) =
 * I_(m+1) + (2m/x) I_m down from v + n in (-1, 0].  x < 0: (-1)^v I_v(|x|)
 * for integer v, else NaN (SciPy's). */
#define IV_RESCALE 0x1p-930
#define IV_LOG_RESCALE 644.6278765633557         /* 930 ln 2 */

/* I_v(x) e^-shift by the series, v > -1, x > 0 */
static double iv_series(double v, double x, double shift) {
    const double q = 0.25 * x * x;
    double t = 1.0, s = 1.0, L = -shift, lt0;
    int k, sg;
    for (k = 1; k < 1000000; k++) {
        t *= q / (k * (k + v));
        s += t;
        if (t <= 0x1p-56 * s) break;
        if (s > 0x1p930) {
            s *= IV_RESCALE;
            t *= IV_RESCALE;
            L += IV_LOG_RESCALE;
        }
    }
    if (L == 0 && v < 169.0) {
        const double p = pow(0.5 * x, v);
        if (p >= DBL_MIN && p < DBL_MAX) return s * (p / tgamma(v + 1.0));
    }
    lt0 = v * log(0.5 * x) - tg_lgamma_r(v + 1.0, &sg);
    {
        const double h = exp(0.5 * (lt0 + L));    /* halves: s e^(lt0 + L) may be finite */
        return (s * h) * h;
    }
}

/* e^-x I_v(x) asymptotically; 0 when the series does not converge to 2^-56 */
static int ive_asymp(double v, double x, double *r) {
    const double mu = 4.0 * v * v;
    double t = 1.0, s = 1.0;
    int k;
    if (!(x >= 30.0 && x >= 0.5 * v * v)) return 0;
    for (k = 1; k < 200; k++) {
        const double m = 2.0 * k - 1.0;
        const double tn = -t * ((mu - m * m) / (8.0 * k * x));
        if (fabs(tn) > fabs(t) && k > 1) return 0;
        t = tn;
        s += t;
        if (fabs(t) <= 0x1p-56 * fabs(s)) {
            *r = s / sqrt(2.0 * PI * x);
            return 1;
        }
    }
    return 0;
}

/* I_v(x) e^-(scaled ? x : 0) for x > 0 (x finite), v > -1 */
static double iv_pos(double v, double x, int scaled) {
    double r;
    if (ive_asymp(v, x, &r)) {
        double h;
        if (scaled) return r;
        if (x <= 700.0) return r * exp(x);
        h = exp(0.5 * x);
        return (r * h) * h;
    }
    if (!scaled) return iv_series(v, x, 0.0);
    r = iv_series(v, x, 0.0);
    if (r < DBL_MAX && x < 700.0) return r * exp(-x);
    return iv_series(v, x, x);
}

static double iv_any(double v, double x, int scaled) {
    double ax = fabs(x), r;
    int vint = v == floor(v);
    if (v != v || x != x) return NAN;
    if (x < 0 && !vint) return NAN;
    if (vint && v < 0) v = -v;
    if (ax == 0) {
        if (v == 0) return 1.0;
        return v > 0 ? 0.0 : INFINITY;
    }
    if (ax == INFINITY) {
        if (scaled) return 0.0;
        r = INFINITY;
    } else if (v > -1.0) {
        r = iv_pos(v, ax, scaled);
    } else {
        /* down from m in (-1, 0] and m + 1 */
        double m = v + ceil(-v) - 1.0, lo, hi, j;      /* m in (-1, 0) */
        hi = iv_pos(m + 1.0, ax, scaled);
        lo = iv_pos(m, ax, scaled);
        for (j = m; j > v + 0.5; j -= 1.0) {    /* I_(j-1) = I_(j+1) + (2j/x) I_j */
            const double t = hi + (2.0 * j / ax) * lo;
            hi = lo;
            lo = t;
        }
        r = lo;
    }
    if (x < 0 && fmod(v, 2.0) != 0) r = -r;
    return r;
}

double tg_iv(double v, double x) {
    return iv_any(v, x, 0);
}

double tg_ive(double v, double x) {
    return iv_any(v, x, 1);
}

/* ---- loggamma, relative entropy, Box-Cox ------------------------------------ */

/* the real loggamma: log Gamma(x) for x >= 0, NaN for x < 0 (SciPy's) */
double tg_loggamma(double x) {
    if (x < 0) return NAN;
    return tg_gammaln(x);
}

/* x log(x/y) for x, y > 0; 0 at x = 0 <= y; inf elsewhere (NaN stays NaN) */
double tg_rel_entr(double x, double y) {
    if (x != x || y != y) return NAN;
    if (x > 0 && y > 0) return x * log(x / y);
    if (x == 0 && y >= 0) return 0.0;
    return INFINITY;
}

/* d/dx rel_entr = log(x/y) + 1, in double (it cancels near x/y = 1/e) */
double tg_rel_entr_dx(double x, double y) {
    return log(x / y) + 1.0;
}

/* x log(x/y) - x + y for x, y > 0; y at x = 0 <= y; inf elsewhere */
double tg_kl_div(double x, double y) {
    if (x != x || y != y) return NAN;
    if (x > 0 && y > 0) return x * log(x / y) - x + y;
    if (x == 0 && y >= 0) return y;
    return INFINITY;
}

/* (x^l - 1)/l = expm1(l log x)/l, log x for |l| < 1e-19 (SciPy's) */
double tg_boxcox(double x, double l) {
    if (fabs(l) < 1e-19) return log(x);
    return expm1(l * log(x)) / l;
}

double tg_boxcox1p(double x, double l) {
    if (fabs(l) < 1e-19) return log1p(x);
    return expm1(l * log1p(x)) / l;
}

/* x^(l-1) and (1+x)^(l-1): exp(xlogy(l - 1, x)), exp(xlog1py(l - 1, x)) */
double tg_dboxcox(double x, double l) {
    const double m = l - 1.0;
    return exp((m == 0 && x == x) ? 0.0 : m * log(x));
}

double tg_dboxcox1p(double x, double l) {
    const double m = l - 1.0;
    return exp((m == 0 && x == x) ? 0.0 : m * log1p(x));
}

/* ---- exponential integrals ----------------------------------------------------
 * E1(x) = int_x^inf e^-t/t dt: -gamma - ln x + sum_k>=1 (-1)^(k+1) x^k/(k k!)
 * for x <= 1, the continued fraction (modified Lentz) above; Ei(x) for x > 0
 * by gamma + ln x + sum x^k/(k k!) (positive terms) up to 40, e^x/x sum k!/x^k
 * above; Ei(x) = -E1(-x) for x < 0 (SciPy's conventions: E1 of x < 0 NaN,
 * E1(0) = inf, Ei(0) = -inf). */
#define EULER_GAMMA 0.57721566490153286061
#define EXP1_SERIES_X 1.5

double tg_exp1(double x) {
    if (x != x || x < 0) return NAN;
    if (x == 0) return INFINITY;
    if (x == INFINITY) return 0.0;
    if (x <= EXP1_SERIES_X) {
        double t = 1.0, s = 0.0;
        int k;
        for (k = 1; k < 60; k++) {
            t *= -x / k;
            s -= t / k;
            if (fabs(t / k) <= 0x1p-56 * fabs(s)) break;
        }
        return (-EULER_GAMMA - log(x)) + s;
    }
    {
        /* E1(x) = e^-x / (x + 1/(1 + 1/(x + 2/(1 + 2/(x + ...))))), as
         * e^-x / (x + 1 - 1^2/(x + 3 - 2^2/(x + 5 - ...))) */
        const double tiny = 1e-300;
        double b = x + 1.0, c = 1.0 / tiny, d = 1.0 / b, h = d;
        int i;
        for (i = 1; i < 1000; i++) {
            const double an = -(double)i * i;
            double del;
            b += 2.0;
            d = 1.0 / (an * d + b);
            c = b + an / c;
            del = c * d;
            h *= del;
            if (fabs(del - 1.0) <= 0x1p-56) break;
        }
        return h * exp(-x);
    }
}

double tg_expi(double x) {
    if (x != x) return x;
    if (x < 0) return -tg_exp1(-x);
    if (x == 0) return -INFINITY;
    if (x == INFINITY) return INFINITY;
    if (x <= 40.0) {
        double t = 1.0, s = 0.0;
        int k;
        for (k = 1; k < 200; k++) {
            t *= x / k;
            s += t / k;
            if (t / k <= 0x1p-56 * s) break;
        }
        return (EULER_GAMMA + log(x)) + s;
    }
    {
        double t = 1.0, s = 1.0, h;
        int k;
        for (k = 1; k < 40; k++) {
            t *= k / x;
            s += t;
            if (t <= 0x1p-56 * s) break;
        }
        if (x <= 700.0) return exp(x) / x * s;
        h = exp(0.5 * x);
        return ((h / x) * s) * h;
    }
}
