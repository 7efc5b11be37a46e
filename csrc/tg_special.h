/* Special functions for tg.special and the elementwise rows of
 * tg_kernels.def, in double precision (float rows call them and round once).
 *
 * Written here so that tapegrad needs NumPy alone at run time: libm's C99
 * functions where they are accurate (erf, erfc, lgamma_r, tgamma), the rest
 * from series, recurrences and Chebyshev expansions derived by
 * csrc/derive_special.py.  tests/test_surface_special.py measures each
 * against SciPy and mpmath (the errors are stated there and in the commit
 * that added them).  Every function is thread-safe (the kernels run on
 * several threads).
 *
 * Conventions follow scipy.special at poles and outside the domain (NaN or
 * the signed infinity SciPy returns), except where SciPy is wrong: i0 and i1
 * of +-inf are +inf and +-inf (SciPy gives NaN).
 */
#ifndef TG_SPECIAL_H
#define TG_SPECIAL_H

#include <float.h>
#include <math.h>

/* error function family */
double tg_erfcx(double x);                 /* exp(x^2) erfc(x) */
double tg_derfcx_series(double x);         /* erfcx'(x) for x >= 12, asymptotically */
double tg_erfinv(double y);
double tg_erfcinv(double q);
double tg_ndtr(double x);                  /* standard normal CDF */
double tg_ndtri(double p);                 /* its inverse */
double tg_log_ndtr(double x);
double tg_dlog_ndtr(double x);             /* d/dx log_ndtr = pdf / cdf */

/* gamma family */
double tg_gammaln(double x);               /* log |Gamma(x)| */
double tg_gamma(double x);
double tg_gammasgn(double x);
double tg_digamma(double x);
double tg_polygamma(double n, double x);   /* n a non-negative integer, else NaN */
double tg_zeta(double s, double q);        /* Hurwitz zeta, s > 1 */
double tg_betaln(double a, double b);      /* log |B(a, b)| */
double tg_psi_diff(double a, double b);    /* psi(a + b) - psi(a), a, b > 0 */
double tg_betaln_da(double a, double b);   /* d/da betaln = psi(a) - psi(a + b) */
double tg_beta(double a, double b);

/* modified Bessel functions of the first kind */
double tg_i0(double x);
double tg_i1(double x);
double tg_i0e(double x);                   /* exp(-|x|) i0(x) */
double tg_i1e(double x);
double tg_di1(double x);                   /* d/dx i1 = i0 - i1 / x (1/2 at 0) */

/* logistic family */
double tg_logit(double p);
double tg_log_expit(double x);

/* elementwise helpers */
double tg_sinc(double x);                  /* NumPy's: sin(pi x) / (pi x) */
double tg_dsinc(double x);                 /* its derivative, a series near 0 */
double tg_remainder(double a, double b);   /* NumPy's remainder (the divisor's sign) */
double tg_cbrt(double x);                  /* libm's, corrected to ~0.5 ulp */

/* Bessel functions of integer order (libm's), rgamma, the regularized
 * incomplete gamma functions */
double tg_j0(double x);
double tg_j1(double x);
double tg_y0(double x);
double tg_y1(double x);
double tg_jn(double n, double x);          /* n an integer, else NaN */
double tg_yn(double n, double x);
double tg_rgamma(double x);                /* 1 / Gamma(x), 0 at the poles */
double tg_drgamma(double x);               /* its derivative, finite everywhere */
double tg_gammainc(double a, double x);    /* P(a, x) */
double tg_gammaincc(double a, double x);   /* Q(a, x) = 1 - P(a, x) */
double tg_dgammainc(double a, double x);   /* dP/dx = x^(a-1) e^-x / Gamma(a) */
double tg_iv(double v, double x);          /* I_v(x), real order */
double tg_ive(double v, double x);         /* e^-|x| I_v(x) */
double tg_loggamma(double x);              /* real: NaN for x < 0 */
double tg_rel_entr(double x, double y);
double tg_rel_entr_dx(double x, double y); /* log(x/y) + 1 */
double tg_kl_div(double x, double y);
double tg_boxcox(double x, double l);
double tg_boxcox1p(double x, double l);
double tg_dboxcox(double x, double l);     /* d/dx: x^(l-1) */
double tg_dboxcox1p(double x, double l);   /* d/dx: (1+x)^(l-1) */
double tg_exp1(double x);                  /* E1, the exponential integral */
double tg_expi(double x);                  /* Ei */

/* Small ones, inline: read by the rows directly. */

/* 1 / (1 + e^-x), the logistic row's expression */
static inline double tg_expit(double x) {
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* sign of x (0 for +-0 and NaN's sign never read: NaN gives NaN) */
static inline double tg_sign(double x) {
    return x > 0 ? 1.0 : (x < 0 ? -1.0 : (x == 0 ? 0.0 : x));
}

/* d/da logaddexp(a, b) = expit(a - b); equal infinities split evenly */
static inline double tg_logaddexp_da(double a, double b) {
    return tg_expit(a == b ? 0.0 : a - b);
}

/* d/da logaddexp2(a, b) = expit((a - b) ln 2) */
static inline double tg_logaddexp2_da(double a, double b) {
    return tg_expit(a == b ? 0.0 : (a - b) * 0.693147180559945309417232121458176568);
}

/* NumPy's logaddexp and logaddexp2 (npy_math), for 0-d operands */
static inline double tg_logaddexp(double a, double b) {
    const double d = a - b;
    if (a == b) return a + 0.693147180559945309417232121458176568;
    if (d > 0) return a + log1p(exp(-d));
    if (d <= 0) return b + log1p(exp(d));
    return d;
}
static inline double tg_logaddexp2(double a, double b) {
    const double d = a - b;
    if (a == b) return a + 1.0;
    if (d > 0) return a + 1.442695040888963407359924681001892137 * log1p(exp2(-d));
    if (d <= 0) return b + 1.442695040888963407359924681001892137 * log1p(exp2(d));
    return d;
}

/* weight of the first operand of fmax (first_wins: a > b) or fmin: NaN
 * loses to a number, ties split evenly (API.md's rule for max-like functions) */
static inline double tg_fmax_w(double a, double b) {
    return b != b ? 1.0 : (a != a ? 0.0 : (a == b ? 0.5 : (a > b ? 1.0 : 0.0)));
}
static inline double tg_fmin_w(double a, double b) {
    return b != b ? 1.0 : (a != a ? 0.0 : (a == b ? 0.5 : (a < b ? 1.0 : 0.0)));
}

/* d/da copysign(a, b): +-1 by the signs (0 at a = 0, a kink) */
static inline double tg_copysign_da(double a, double b) {
    return a == 0 ? 0.0 : ((!signbit(a)) == (!signbit(b)) ? 1.0 : -1.0);
}

#endif
