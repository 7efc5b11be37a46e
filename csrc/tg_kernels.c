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
 * that had one redoes them with libm.  Contraction to FMA is off (setup.py)
 * and FMA is used only where its result is exact (two_prod), so every build
 * and every CPU gives the same bits.  float32 goes through double. */
#define TRIG_FAST_MAX 0x1p20
#define TRIG_BLOCK 512

#if defined(__GNUC__)
#define TRIG_ALWAYS_INLINE static inline __attribute__((always_inline))
#define TRIG_FMA(a, b, c) __builtin_fma(a, b, c)
#elif defined(_MSC_VER)
#define TRIG_ALWAYS_INLINE static __forceinline
#define TRIG_FMA(a, b, c) fma(a, b, c)
#else
#define TRIG_ALWAYS_INLINE static inline
#define TRIG_FMA(a, b, c) fma(a, b, c)
#endif

/* x86-64 with gcc: an AVX2+FMA and an AVX-512 version of the float64 block
 * loop beside the baseline one, picked once at run time; the float32 loop
 * is cloned by the compiler.  Not the whole extension: it must load on any
 * x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(TG_NO_DISPATCH)
#define TG_DISPATCH 1
#define TG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TG_DISPATCH 0
#define TG_CLONES
#endif

static inline uint64_t as_bits(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }
static inline double from_bits(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }

/* p + e = a * b exactly.  With FMA, e is one instruction; without, Dekker's
 * product of 26-bit halves (Veltkamp's split).  Both give the same e: it is
 * exact either way, so each CPU gets the same bits. */
TRIG_ALWAYS_INLINE void two_prod(double a, double b, double *p, double *e, const int fma_ok) {
    *p = a * b;
    if (fma_ok) {
        *e = TRIG_FMA(a, b, -*p);
    } else {
        const double ca = 0x1.0000002p27 * a, cb = 0x1.0000002p27 * b;
        const double ah = ca - (ca - a), al = a - ah, bh = cb - (cb - b), bl = b - bh;
        *e = (((ah * bh - *p) + ah * bl) + al * bh) + al * bl;
    }
}

/* k = nearest integer to x 2/pi (returned); *q gets k + quarter in its low
 * two bits.  Adding 1.5 * 2^52 rounds to an integer kept in the low bits. */
TRIG_ALWAYS_INLINE double trig_quadrant(double x, uint64_t quarter, uint64_t *q) {
    const double two_over_pi = 0x1.45f306dc9c883p-1, to_int = 0x1.8p52;
    const double kt = x * two_over_pi + to_int;
    *q = as_bits(kt) + quarter;
    return kt - to_int;
}

/* odd quadrant: the cosine; quadrants 2 and 3: negated */
TRIG_ALWAYS_INLINE double trig_select(uint64_t q, double s, double c) {
    const uint64_t odd = (uint64_t)0 - (q & 1);
    const uint64_t bits = (as_bits(s) & ~odd) | (as_bits(c) & odd);
    return from_bits(bits ^ ((q & 2) << 62));
}

/* pi/2 = C1 + C2 + C3 + C4; C1..C3 have at most 33 significant bits */
static const double PIO2_C1 = 0x1.921fb544p+0, PIO2_C2 = 0x1.0b4611a6p-34,
                    PIO2_C3 = 0x1.3198a2ep-69, PIO2_C4 = 0x1.b839a252049c1p-104;
#define SIN_S1 -0x1.5555555555548p-3
#define SIN_POLY(z) (0x1.111111110f730p-7 + (z) * (-0x1.a01a019be9216p-13 + (z) * (         \
    0x1.71de3555376c1p-19 + (z) * (-0x1.ae5e4bbceeca0p-26 + (z) * 0x1.5d8b7eb1bbfabp-33))))
#define COS_POLY(z) (0x1.555555555554bp-5 + (z) * (-0x1.6c16c16c15015p-10 + (z) * (          \
    0x1.a01a019c8f255p-16 + (z) * (-0x1.27e4f7f191644p-22 + (z) * (                           \
    0x1.1ee9dbcf1b079p-29 + (z) * -0x1.8fa6849e6556dp-37)))))

/* sin(x + quarter pi/2) for |x| < TRIG_FAST_MAX: quarter 0 gives sin x,
 * 1 cos x, 2 -sin x.  Garbage outside that range (the caller redoes those
 * lanes).  Within 0.6 ulp. */
TRIG_ALWAYS_INLINE double trig_f64_fast(double x, uint64_t quarter, const int fma_ok) {
    uint64_t q;
    const double k = trig_quadrant(x, quarter, &q);

    /* r = x - k pi/2 = (x - k C1) - (k C2 + k C3 + k C4): the first
     * difference is exact, the sum is kept as ph + pl (Fast2Sum, as
     * |k C2| >> |k C3|), and 2Sum keeps the error of the one subtraction
     * that can round.  Only k C4 (below 2^-83) is rounded: r is never
     * smaller than about 2^-55 in the fast range (the tests go through
     * every k), so that error stays below 2^-75 of r. */
    const double r1 = x - k * PIO2_C1;
    const double p2 = k * PIO2_C2, p3 = k * PIO2_C3, p4 = k * PIO2_C4;
    const double ph = p2 + p3, pl = (p3 - (ph - p2)) + p4;
    const double rh = r1 - ph;
    const double bv = rh - r1;
    const double rl = ((r1 - (rh - bv)) + (-ph - bv)) - pl;

    /* sin(rh + rl) = rh + S1 rh^3 + rh^3 z P(z) + rl (1 - z/2), z = rh^2.
     * The S1 rh^3 term is up to a tenth of the result: rh^2, rh^3 and
     * S1 rh^3 are formed exactly (z + ze, v + ve, t + te) and t is added to
     * rh by Fast2Sum, so only terms below 0.4% of the result are rounded in
     * ordinary arithmetic. */
    double z, ze, v, ve, t, te;
    two_prod(rh, rh, &z, &ze, fma_ok);
    two_prod(rh, z, &v, &ve, fma_ok);
    two_prod(v, SIN_S1, &t, &te, fma_ok);
    const double sh = rh + t, sl = t - (sh - rh);
    const double s_tail = (SIN_S1 * (ve + rh * ze) + v * (z * SIN_POLY(z))) + rl * (1.0 - 0.5 * z);
    /* sin r has the sign of rh; copysign also keeps the sign of x = -0,
     * where the sum gives +0 */
    const double s = copysign(sh + ((sl + te) + s_tail), rh);

    /* cos(rh + rl) = 1 - (z + ze)/2 + z^2 C(z) - rh rl; the rounding error
     * of w = 1 - z/2 is exact by Fast2Sum and added back */
    const double hz = 0.5 * z, w = 1.0 - hz;
    const double c = w + ((((1.0 - w) - hz) - 0.5 * ze) + (z * (z * COS_POLY(z)) - rh * rl));
    return trig_select(q, s, c);
}

/* The same for a float x, in double without the compensations: the error,
 * a few 2^-53, is far below what rounding to float can show. */
TRIG_ALWAYS_INLINE double trig_f32_fast(double x, uint64_t quarter) {
    uint64_t q;
    const double k = trig_quadrant(x, quarter, &q);
    const double r = ((x - k * PIO2_C1) - k * PIO2_C2) - k * PIO2_C3;
    const double z = r * r;
    const double s = copysign(r + (r * z) * (SIN_S1 + z * SIN_POLY(z)), r);
    const double c = (1.0 - 0.5 * z) + z * (z * COS_POLY(z));
    return trig_select(q, s, c);
}

/* y[i] = sin(x[i] + quarter pi/2) for one block; returns nonzero if some
 * |x[i]| is not below TRIG_FAST_MAX (or is NaN): those y[i] must be redone.
 * x and y do not overlap. */
#define TRIG_BLOCK_LOOP(T, FAST)                                                    \
    const int64_t fast_bits = (int64_t)as_bits(TRIG_FAST_MAX);                      \
    int64_t wild = 0;                          /* sign bit set: some lane not fast */ \
    tg_intp i;                                                                      \
    for (i = 0; i < n; i++) {                                                       \
        const double xd = x[i];                                                     \
        wild |= (fast_bits - 1) - (int64_t)(as_bits(xd) & 0x7fffffffffffffff);     \
        y[i] = (T)FAST;                                                             \
    }                                                                               \
    return wild < 0;

typedef int (*trig_block_f64_fn)(tg_intp n, const double *restrict x, double *restrict y,
                                 uint64_t quarter);
static int trig_block_f64_base(tg_intp n, const double *restrict x, double *restrict y,
                               uint64_t quarter) {
    TRIG_BLOCK_LOOP(double, trig_f64_fast(xd, quarter, 0))
}
#if TG_DISPATCH
__attribute__((target("avx2,fma")))
static int trig_block_f64_avx2(tg_intp n, const double *restrict x, double *restrict y,
                               uint64_t quarter) {
    TRIG_BLOCK_LOOP(double, trig_f64_fast(xd, quarter, 1))
}
__attribute__((target("avx512f,fma")))
static int trig_block_f64_avx512(tg_intp n, const double *restrict x, double *restrict y,
                                 uint64_t quarter) {
    TRIG_BLOCK_LOOP(double, trig_f64_fast(xd, quarter, 1))
}
#endif

static int trig_block_f64(tg_intp n, const double *restrict x, double *restrict y,
                          uint64_t quarter) {
    static trig_block_f64_fn fn = NULL;        /* racing threads store the same value */
    if (!fn) {
        fn = trig_block_f64_base;
#if TG_DISPATCH
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f"))
            fn = trig_block_f64_avx512;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            fn = trig_block_f64_avx2;
#endif
    }
    return fn(n, x, y, quarter);
}

TG_CLONES static int trig_block_f32(tg_intp n, const float *restrict x, float *restrict y,
                                    uint64_t quarter) {
    TRIG_BLOCK_LOOP(float, trig_f32_fast(xd, quarter))
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


/* Write (ACC 0) or add into (ACC 1: the sweep already holds a gradient for
 * that input, and one pass replaces a write plus a summing pass). */
#define TG_STORE(OUT, V, ACC) do { if (ACC) (OUT) += (V); else (OUT) = (V); } while (0)

/* The incoming gradient advances by sg: 1, or 0 when it is one value
 * broadcast over the output (what sum's reverse rule produces). */
#define UNARY_ONE(T, EXPR, SG, ACC)                                             \
    for (i = 0; i < n; i++) {                                                   \
        const T gi = g[i * (SG)], xi = x[i], yi = y[i];                          \
        (void)xi; (void)yi;                                                     \
        TG_STORE(gx[i], EXPR, ACC);                                             \
    }
#define UNARY_LOOPS(T, EXPR)                                                     \
    do {                                                                        \
        if (acc) {                                                              \
            if (sg) { UNARY_ONE(T, EXPR, 1, 1) } else { UNARY_ONE(T, EXPR, 0, 1) } \
        } else {                                                                \
            if (sg) { UNARY_ONE(T, EXPR, 1, 0) } else { UNARY_ONE(T, EXPR, 0, 0) } \
        }                                                                       \
    } while (0)

/* One straight loop per needed output and per stride case (both operands
 * full, or one a broadcast scalar), so each can be vectorised: no test of
 * ga/gb or multiply by a stride per element.  DA and DB read gi, ai, bi, yi. */
#define BINARY_ONE(T, OUT, EXPR, SA, SB, SG, ACC)                                \
    for (i = 0; i < n; i++) {                                                   \
        const T gi = g[i * (SG)], ai = a[i * (SA)], bi = b[i * (SB)];            \
        const T yi = y ? y[i] : (T)0;                                           \
        (void)gi; (void)ai; (void)bi; (void)yi;                                 \
        TG_STORE(OUT[i], EXPR, ACC);                                            \
    }
#define BINARY_OUT(T, OUT, EXPR, SA, SB, SG, ACC_FLAG)                           \
    do {                                                                        \
        if (OUT) {                                                              \
            if (ACC_FLAG) { BINARY_ONE(T, OUT, EXPR, SA, SB, SG, 1) }           \
            else { BINARY_ONE(T, OUT, EXPR, SA, SB, SG, 0) }                    \
        }                                                                       \
    } while (0)
#define BINARY_STRIDES(T, DA, DB, SG)                                            \
    do {                                                                        \
        if (sa == 1 && sb == 1) {                                               \
            BINARY_OUT(T, ga, DA, 1, 1, SG, acc_a);                             \
            BINARY_OUT(T, gb, DB, 1, 1, SG, acc_b);                             \
        } else if (sa == 0 && sb == 1) {                                        \
            BINARY_OUT(T, ga, DA, 0, 1, SG, acc_a);                             \
            BINARY_OUT(T, gb, DB, 0, 1, SG, acc_b);                             \
        } else if (sa == 1 && sb == 0) {                                        \
            BINARY_OUT(T, ga, DA, 1, 0, SG, acc_a);                             \
            BINARY_OUT(T, gb, DB, 1, 0, SG, acc_b);                             \
        } else {                                                                \
            BINARY_OUT(T, ga, DA, 0, 0, SG, acc_a);                             \
            BINARY_OUT(T, gb, DB, 0, 0, SG, acc_b);                             \
        }                                                                       \
    } while (0)
/* sg = 0: the gradient out of sum() is one value broadcast; read in place. */
#define BINARY_LOOPS(T, DA, DB)                                                  \
    do {                                                                        \
        if (sg) { BINARY_STRIDES(T, DA, DB, 1); }                               \
        else { BINARY_STRIDES(T, DA, DB, 0); }                                  \
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
                       const T *y, T *gx, int acc) {                                \
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
            if (acc) {                                                              \
                if (sg) { for (i = 0; i < m; i++) gx[i0 + i] += g[i0 + i] * t[i]; } \
                else { const T g0 = g[0]; for (i = 0; i < m; i++) gx[i0 + i] += g0 * t[i]; } \
            } else {                                                                \
                if (sg) { for (i = 0; i < m; i++) gx[i0 + i] = g[i0 + i] * t[i]; }  \
                else { const T g0 = g[0]; for (i = 0; i < m; i++) gx[i0 + i] = g0 * t[i]; } \
            }                                                                       \
        }                                                                           \
    } break;                                                                        \
    default:           return -1;                                                   \
    }                                                                               \
    return 0;                                                                       \
}                                                                                   \
                                                                                    \
int tg_binary_bwd_##SFX(int op, tg_intp n, const T *g, tg_intp sg, const T *a,     \
                        tg_intp sa, const T *b, tg_intp sb, const T *y, T *ga,      \
                        T *gb, int acc_a, int acc_b) {                              \
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
