/* Scalar derivative rules and the loops that apply them (see tg_kernels.h).
 *
 * The rules are written once as macros over a type T and its math
 * functions, then instantiated for double and float.  Conventions where the
 * derivative is not unique (API.md): abs and relu take 0 at 0, clip passes
 * the gradient on its closed interval, ties of maximum/minimum split it. */
#include "tg_kernels.h"
#include <math.h>
#include <string.h>

/* ---- sin and cos ---------------------------------------------------------
 * NumPy's float64 sin/cos call glibc per element (about 10 ns each); these
 * loops vectorise and stay within one ulp (tests/test_kernels_trig.py measures
 * it against a 64-bit-mantissa oracle).
 *
 * For |x| < 2^20: k = nearest integer to x * 2/pi, r = x - k pi/2 as a
 * double-double (rh + rl), then sin or cos of r on [-pi/4, pi/4] by
 * polynomials, chosen and signed by k mod 4.  pi/2 is split into
 * C1 + C2 + C3 + C4: the first three have at most 33 significant bits, so
 * k * Ci is exact for |k| < 2^20, and x - k * C1 is exact (the result is
 * small and on the grid of both operands); 2Sum keeps the rounding error of
 * the one inexact subtraction.  The polynomials are minimax fits derived by
 * csrc/derive_trig.py (relative error 2^-57.8 for sin, 2^-63.9 for cos on
 * |r| <= 0.7854, coefficients as rounded to double).
 *
 * Every lane runs the same straight-line code (both polynomials, a select
 * on the quadrant's bits), so the loop vectorises.  Lanes outside the fast
 * range (huge, inf, NaN) compute garbage, and a scalar pass over each block
 * that had one redoes them with libm.  Contraction to FMA is off for this
 * file (setup.py), so every build and every CPU gives the same bits. */
#define TRIG_FAST_MAX 0x1p20
#define TRIG_BLOCK 512

/* x86-64 baseline, plus clones the loader picks on CPUs with AVX2 or AVX-512 */
#if defined(TG_CLONES)
/* set on the command line (a benchmark built for one target) */
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TG_CLONES
#endif

static inline uint64_t as_bits(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }
static inline double from_bits(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }

/* a = hi + lo exactly, each with at most 26 significant bits (Veltkamp) */
static inline void split(double a, double *hi, double *lo) {
    const double c = 0x1.0000002p27 * a;
    *hi = c - (c - a);
    *lo = a - *hi;
}

/* sin(x + quarter pi/2) for |x| < TRIG_FAST_MAX: quarter 0 gives sin x,
 * 1 cos x, 2 -sin x. Garbage outside that range (the caller redoes those lanes). */
static inline double trig_reduced(double x, uint64_t quarter) {
    const double two_over_pi = 0x1.45f306dc9c883p-1;
    const double c1 = 0x1.921fb544p+0, c2 = 0x1.0b4611a6p-34, c3 = 0x1.3198a2ep-69;
    const double c4 = 0x1.b839a252049c1p-104;
    const double to_int = 0x1.8p52;  /* adding it rounds to an integer, kept in the low bits */
    const double kt = x * two_over_pi + to_int;
    const double k = kt - to_int;
    const uint64_t q = as_bits(kt) + quarter;          /* k + quarter mod 4 in the low 2 bits */

    /* r = x - k pi/2 = (x - k c1) - (k c2 + k c3 + k c4): the first
     * difference is exact, the sum is kept as ph + pl (Fast2Sum, as
     * |k c2| >> |k c3|), and 2Sum keeps the error of the one subtraction
     * that can round.  Only k c4 (below 2^-83) is rounded: r is never
     * smaller than about 2^-55 in the fast range (the tests go through
     * every k), so that error stays below 2^-75 of r. */
    const double r1 = x - k * c1;
    const double p2 = k * c2, p3 = k * c3, p4 = k * c4;
    const double ph = p2 + p3, pl = (p3 - (ph - p2)) + p4;
    const double rh = r1 - ph;
    const double bv = rh - r1;
    const double rl = ((r1 - (rh - bv)) + (-ph - bv)) - pl;

    /* rh^2 = z + ze and rh z = v + ve exactly (Dekker's product: halves
     * of 26 bits multiply exactly, no FMA needed) */
    double ah, al, zh, zl;
    split(rh, &ah, &al);
    const double z = rh * rh;
    const double ze = ((ah * ah - z) + 2.0 * (ah * al)) + al * al;
    split(z, &zh, &zl);
    const double v = rh * z;
    const double ve = (((ah * zh - v) + ah * zl) + al * zh) + al * zl;

    /* sin(rh + rl) = rh + S1 rh^3 + rh^3 z P(z) + rl (1 - z/2).  The
     * S1 rh^3 term is up to a tenth of the result: S1 v is formed exactly
     * (t + te) and added to rh by Fast2Sum, so only terms below 0.4% of
     * the result are rounded in ordinary arithmetic. */
    const double s1 = -0x1.5555555555548p-3, s1h = -0x1.5555558p-3, s1l = 0x1.55555cp-30;
    double vh, vl;
    split(v, &vh, &vl);
    const double t = v * s1;
    const double te = (((vh * s1h - t) + vh * s1l) + vl * s1h) + vl * s1l;
    const double sh = rh + t, sl = t - (sh - rh);
    const double s_poly = 0x1.111111110f730p-7 + z * (-0x1.a01a019be9216p-13 + z * (
        0x1.71de3555376c1p-19 + z * (-0x1.ae5e4bbceeca0p-26 + z * 0x1.5d8b7eb1bbfabp-33)));
    const double s_tail = (s1 * (ve + rh * ze) + v * (z * s_poly)) + rl * (1.0 - 0.5 * z);
    /* sin r has the sign of rh; copysign also keeps the sign of x = -0,
     * where the sum gives +0 */
    const double s = copysign(sh + ((sl + te) + s_tail), rh);

    /* cos(rh + rl) = 1 - (z + ze)/2 + z^2 C(z) - rh rl; the rounding error
     * of w = 1 - z/2 is exact by Fast2Sum and added back */
    const double c_poly = 0x1.555555555554bp-5 + z * (-0x1.6c16c16c15015p-10 + z * (
        0x1.a01a019c8f255p-16 + z * (-0x1.27e4f7f191644p-22 + z * (
        0x1.1ee9dbcf1b079p-29 + z * -0x1.8fa6849e6556dp-37))));
    const double hz = 0.5 * z, w = 1.0 - hz;
    const double c = w + ((((1.0 - w) - hz) - 0.5 * ze) + (z * (z * c_poly) - rh * rl));

    /* odd quadrant: the cosine; quadrants 2 and 3: negated */
    const uint64_t odd = (uint64_t)0 - (q & 1);
    const uint64_t bits = (as_bits(s) & ~odd) | (as_bits(c) & odd);
    return from_bits(bits ^ ((q & 2) << 62));
}

/* y[i] = sin or cos of x[i] for one block; returns nonzero if some |x[i]|
 * is not below TRIG_FAST_MAX (or is NaN), so that y[i] must be redone.
 * x and y do not overlap. */
TG_CLONES static int trig_block_f64(tg_intp n, const double *restrict x, double *restrict y,
                                    uint64_t quarter) {
    const int64_t fast_bits = (int64_t)as_bits(TRIG_FAST_MAX);
    int64_t wild = 0;                          /* sign bit set: some lane not fast */
    tg_intp i;
    for (i = 0; i < n; i++) {
        wild |= (fast_bits - 1) - (int64_t)(as_bits(x[i]) & 0x7fffffffffffffff);
        y[i] = trig_reduced(x[i], quarter);
    }
    return wild < 0;
}

TG_CLONES static int trig_block_f32(tg_intp n, const float *restrict x, float *restrict y,
                                    uint64_t quarter) {
    const int64_t fast_bits = (int64_t)as_bits(TRIG_FAST_MAX);
    int64_t wild = 0;
    tg_intp i;
    for (i = 0; i < n; i++) {
        const double xd = x[i];
        wild |= (fast_bits - 1) - (int64_t)(as_bits(xd) & 0x7fffffffffffffff);
        y[i] = (float)trig_reduced(xd, quarter);
    }
    return wild < 0;
}

/* sin(x + quarter pi/2) over n elements: quarter 0 sin, 1 cos, 2 -sin. */
#define TRIG_LOOP(T, SFX)                                                           \
static void trig_##SFX(tg_intp n, const T *restrict x, T *restrict y, uint64_t quarter) { \
    tg_intp i0, i, m;                                                               \
    for (i0 = 0; i0 < n; i0 += m) {                                                 \
        m = n - i0 < TRIG_BLOCK ? n - i0 : TRIG_BLOCK;                              \
        if (!trig_block_##SFX(m, x + i0, y + i0, quarter))                          \
            continue;                                                               \
        for (i = i0; i < i0 + m; i++) {        /* rare: |x| >= 2^20, inf, NaN */    \
            const double xd = x[i];                                                 \
            if (!(fabs(xd) < TRIG_FAST_MAX)) {                                      \
                const double v = (quarter & 1) ? cos(xd) : sin(xd);                 \
                y[i] = (T)((quarter & 2) ? -v : v);                                 \
            }                                                                       \
        }                                                                           \
    }                                                                               \
}
TRIG_LOOP(double, f64)
TRIG_LOOP(float, f32)


/* The incoming gradient advances by sg: 1, or 0 when it is one value
 * broadcast over the output (what sum's reverse rule produces). */
#define UNARY_ONE(T, EXPR, SG)                                                  \
    for (i = 0; i < n; i++) {                                                   \
        const T gi = g[i * (SG)], xi = x[i], yi = y[i];                          \
        (void)xi; (void)yi;                                                     \
        gx[i] = EXPR;                                                           \
    }
#define UNARY_LOOPS(T, EXPR)                                                     \
    do { if (sg) { UNARY_ONE(T, EXPR, 1) } else { UNARY_ONE(T, EXPR, 0) } } while (0)

/* One straight loop per needed output and per stride case (both operands
 * full, or one a broadcast scalar), so each can be vectorised: no test of
 * ga/gb or multiply by a stride per element.  DA and DB read gi, ai, bi, yi. */
#define BINARY_ONE(T, OUT, EXPR, SA, SB)                                         \
    for (i = 0; i < n; i++) {                                                   \
        const T gi = g[i], ai = a[i * (SA)], bi = b[i * (SB)], yi = y[i];        \
        (void)gi; (void)ai; (void)bi; (void)yi;                                 \
        OUT[i] = EXPR;                                                          \
    }
#define BINARY_LOOPS(T, DA, DB)                                                  \
    do {                                                                        \
        if (sa == 1 && sb == 1) {                                               \
            if (ga) { BINARY_ONE(T, ga, DA, 1, 1) }                             \
            if (gb) { BINARY_ONE(T, gb, DB, 1, 1) }                             \
        } else if (sa == 0 && sb == 1) {                                        \
            if (ga) { BINARY_ONE(T, ga, DA, 0, 1) }                             \
            if (gb) { BINARY_ONE(T, gb, DB, 0, 1) }                             \
        } else if (sa == 1 && sb == 0) {                                        \
            if (ga) { BINARY_ONE(T, ga, DA, 1, 0) }                             \
            if (gb) { BINARY_ONE(T, gb, DB, 1, 0) }                             \
        } else {                                                                \
            if (ga) { BINARY_ONE(T, ga, DA, 0, 0) }                             \
            if (gb) { BINARY_ONE(T, gb, DB, 0, 0) }                             \
        }                                                                       \
    } while (0)

#define DEFINE_KERNELS(T, SFX, LOG, POW)                       \
                                                                                    \
/* forward of the unary ops NumPy is slower at (elementwise.py); derivatives below */ \
int tg_unary_fwd_##SFX(int op, tg_intp n, const T *x, T *y) {                      \
    tg_intp i;                                                                      \
    switch (op) {                                                                   \
    case TG_K_NEG:     { for (i = 0; i < n; i++) y[i] = -x[i]; } break;             \
    case TG_K_COPY:    { for (i = 0; i < n; i++) y[i] = x[i]; } break;              \
    case TG_K_SQUARE:  { for (i = 0; i < n; i++) y[i] = x[i] * x[i]; } break;       \
    case TG_K_RELU:    { for (i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : (x[i] != x[i] ? x[i] : (T)0); } break; \
    case TG_K_SIN:     trig_##SFX(n, x, y, 0); break;                               \
    case TG_K_COS:     trig_##SFX(n, x, y, 1); break;                               \
    default: return -1;                                                             \
    }                                                                               \
    return 0;                                                                       \
}                                                                                   \
                                                                                    \
static inline T d_unary_##SFX(int op, T x, T y) {                                  \
    switch (op) {                                                                   \
    case TG_K_NEG:     return (T)-1;                                                \
    case TG_K_EXP:     return y;                            /* d exp = exp */       \
    case TG_K_LOG:     return (T)1 / x;                                             \
    case TG_K_TAN:     return (T)1 + y * y;                                         \
    case TG_K_TANH:    return (T)1 - y * y;                                         \
    case TG_K_SQRT:    return (T)0.5 / y;                                           \
    case TG_K_SQUARE:  return (T)2 * x;                                             \
    case TG_K_ABS:     return x > 0 ? (T)1 : (x < 0 ? (T)-1 : (T)0);                \
    case TG_K_SIGMOID: return y * ((T)1 - y);                                       \
    case TG_K_RELU:    return x > 0 ? (T)1 : (T)0;                                  \
    default:           return (T)1;                     /* copy */                  \
    }                                                                               \
}                                                                                   \
                                                                                    \
int tg_unary_bwd_##SFX(int op, tg_intp n, const T *g, tg_intp sg, const T *x,     \
                       const T *y, T *gx) {                                         \
    tg_intp i;                                                                      \
    switch (op) {                                                                   \
    case TG_K_EXP:     UNARY_LOOPS(T, gi * yi); break;                              \
    case TG_K_TANH:    UNARY_LOOPS(T, gi * ((T)1 - yi * yi)); break;                \
    case TG_K_SIGMOID: UNARY_LOOPS(T, gi * yi * ((T)1 - yi)); break;                \
    case TG_K_LOG:     UNARY_LOOPS(T, gi / xi); break;                              \
    case TG_K_SQRT:    UNARY_LOOPS(T, gi * (T)0.5 / yi); break;                     \
    case TG_K_SQUARE:  UNARY_LOOPS(T, (T)2 * gi * xi); break;                       \
    case TG_K_NEG:     UNARY_LOOPS(T, -gi); break;                                  \
    case TG_K_COPY:    UNARY_LOOPS(T, gi); break;                                   \
    case TG_K_TAN: case TG_K_ABS: case TG_K_RELU:                                   \
                       UNARY_LOOPS(T, gi * d_unary_##SFX(op, xi, yi)); break;       \
    /* d sin = cos x = sin(x + pi/2), d cos = -sin x = sin(x + pi), a block at a time */ \
    case TG_K_SIN: case TG_K_COS: {                                                 \
        T t[TRIG_BLOCK];                                                            \
        const uint64_t quarter = op == TG_K_SIN ? 1 : 2;                            \
        tg_intp i0, m;                                                              \
        for (i0 = 0; i0 < n; i0 += m) {                                             \
            m = n - i0 < TRIG_BLOCK ? n - i0 : TRIG_BLOCK;                          \
            trig_##SFX(m, x + i0, t, quarter);                                      \
            if (sg) { for (i = 0; i < m; i++) gx[i0 + i] = g[i0 + i] * t[i]; }      \
            else    { const T g0 = g[0]; for (i = 0; i < m; i++) gx[i0 + i] = g0 * t[i]; } \
        }                                                                           \
    } break;                                                                        \
    default:           return -1;                                                   \
    }                                                                               \
    return 0;                                                                       \
}                                                                                   \
                                                                                    \
int tg_binary_bwd_##SFX(int op, tg_intp n, const T *g, const T *a, tg_intp sa,     \
                        const T *b, tg_intp sb, const T *y, T *ga, T *gb) {         \
    tg_intp i;                                                                      \
    switch (op) {                                                                   \
    case TG_K_ADD: BINARY_LOOPS(T, gi, gi); return 0;                               \
    case TG_K_SUB: BINARY_LOOPS(T, gi, -gi); return 0;                              \
    case TG_K_MUL: BINARY_LOOPS(T, gi * bi, gi * ai); return 0;                     \
    /* y = a / b: da = 1/b, db = -y/b */                                            \
    case TG_K_DIV: BINARY_LOOPS(T, gi / bi, -gi * yi / bi); return 0;               \
    /* y = a^b: da = b a^(b-1) (0 when b = 0), db = y ln a (0 when a = 0) */        \
    case TG_K_POW:                                                                  \
        BINARY_LOOPS(T, bi == 0 ? (T)0 : gi * bi * POW(ai, bi - (T)1),              \
                     ai == 0 ? (T)0 : gi * yi * LOG(ai));                           \
        return 0;                                                                   \
    /* ties split the gradient evenly */                                            \
    case TG_K_MAXIMUM:                                                              \
        BINARY_LOOPS(T, gi * (ai == bi ? (T)0.5 : (ai > bi ? (T)1 : (T)0)),         \
                     gi * (ai == bi ? (T)0.5 : (ai > bi ? (T)0 : (T)1)));           \
        return 0;                                                                   \
    case TG_K_MINIMUM:                                                              \
        BINARY_LOOPS(T, gi * (ai == bi ? (T)0.5 : (ai < bi ? (T)1 : (T)0)),         \
                     gi * (ai == bi ? (T)0.5 : (ai < bi ? (T)0 : (T)1)));           \
        return 0;                                                                   \
    default:                                                                        \
        return -1;                                                                  \
    }                                                                               \
}                                                                                   \
                                                                                    \
void tg_clip_bwd_##SFX(tg_intp n, const T *g, const T *x, double lo, double hi, T *gx) { \
    tg_intp i;                                                                      \
    for (i = 0; i < n; i++) gx[i] = (x[i] >= lo && x[i] <= hi) ? g[i] : (T)0;       \
}                                                                                   \
                                                                                    \
void tg_where_bwd_##SFX(tg_intp n, const T *g, const uint8_t *cond, T *ga, T *gb) { \
    tg_intp i;                                                                      \
    for (i = 0; i < n; i++) {                                                   \
        if (ga) ga[i] = cond[i] ? g[i] : (T)0;                                      \
        if (gb) gb[i] = cond[i] ? (T)0 : g[i];                                      \
    }                                                                               \
}

DEFINE_KERNELS(double, f64, log, pow)
DEFINE_KERNELS(float, f32, logf, powf)
