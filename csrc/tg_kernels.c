/* The native kernels (see tg_kernels.h): the rows of tg_kernels.def expanded
 * into scalar functions and array loops, for double and float, plus the
 * vectorised sin/cos they use. */
#include "tg_kernels.h"
#include "tg_special.h"     /* the functions rows of tg_kernels.def call */
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

#if defined(__GNUC__) || defined(__clang__)
#define TRIG_ALWAYS_INLINE static inline __attribute__((always_inline))
#define TG_FMA(a, b, c) __builtin_fma(a, b, c)
#else
#define TRIG_ALWAYS_INLINE static __forceinline
#define TG_FMA(a, b, c) fma(a, b, c)
#endif
#ifdef _MSC_VER
#define restrict __restrict
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
        *e = TG_FMA(a, b, -*p);
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

/* ---- one element of sin/cos, the same bits as the array loops ------------ */
static double trig_one_f64(double x, uint64_t quarter) {
    double y;
    trig_f64(1, &x, &y, quarter);
    return y;
}
static float trig_one_f32(float x, uint64_t quarter) {
    float y;
    trig_f32(1, &x, &y, quarter);
    return y;
}

/* ---- the array loops the generated switches use -------------------------
 * Write (ACC 0) or add into (ACC 1: the sweep already holds a gradient for
 * that input, and one pass replaces a write plus a summing pass). */
#define TG_STORE(OUT, V, ACC) do { if (ACC) (OUT) += (V); else (OUT) = (V); } while (0)

/* The incoming gradient advances by sg: 1, or 0 when it is one value
 * broadcast over the output (what sum's reverse rule produces).  A row's
 * expression reads g, x and y. */
#define UNARY_ONE(T, EXPR, SG, ACC)                                             \
    for (i = 0; i < n; i++) {                                                   \
        const T g = gp[i * (SG)], x = xp[i], y = yp[i];                          \
        (void)g; (void)x; (void)y;                                              \
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
 * ga/gb or multiply by a stride per element.  Expressions read g, a, b, y. */
#define BINARY_ONE(T, OUT, EXPR, SA, SB, SG, ACC)                                \
    for (i = 0; i < n; i++) {                                                   \
        const T g = gp[i * (SG)], a = ap[i * (SA)], b = bp[i * (SB)];            \
        const T y = yp ? yp[i] : (T)0;                                          \
        (void)g; (void)a; (void)b; (void)y;                                     \
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

/* d sin(x + QF pi/2) = g sin(x + QD pi/2), a block of derivatives at a time */
#define TRIG_BWD(T, TRIG, QD)                                                   \
    do {                                                                        \
        T t[TRIG_BLOCK];                                                        \
        tg_intp i0, m;                                                          \
        for (i0 = 0; i0 < n; i0 += m) {                                         \
            m = n - i0 < TRIG_BLOCK ? n - i0 : TRIG_BLOCK;                      \
            TRIG(m, xp + i0, t, QD);                                            \
            if (acc) {                                                          \
                if (sg) { for (i = 0; i < m; i++) gx[i0 + i] += gp[i0 + i] * t[i]; } \
                else { const T g0 = gp[0]; for (i = 0; i < m; i++) gx[i0 + i] += g0 * t[i]; } \
            } else {                                                            \
                if (sg) { for (i = 0; i < m; i++) gx[i0 + i] = gp[i0 + i] * t[i]; } \
                else { const T g0 = gp[0]; for (i = 0; i < m; i++) gx[i0 + i] = g0 * t[i]; } \
            }                                                                   \
        }                                                                       \
    } while (0)


/* ---- the table the Cython layer reads ------------------------------------ */
const tg_kernel_info tg_kernel_table[] = {
    {"", 0, 0, 0},
#define TG_UNARY(name, reads, fwd_loop, FWD, BWD) {#name, TG_KIND_UNARY, reads, fwd_loop},
#define TG_UNARY_TRIG(name, reads, QF, QD) {#name, TG_KIND_UNARY, reads, 1},
#define TG_BINARY(name, reads, FWD, BWD_A, BWD_B) {#name, TG_KIND_BINARY, reads, 0},
#define TG_BINARY_LOOP(name, reads, FWD, BWD_A, BWD_B) {#name, TG_KIND_BINARY, reads, 1},
#define TG_CLIP(name) {#name, TG_KIND_CLIP, TG_R_X, 0},
#define TG_WHERE(name) {#name, TG_KIND_WHERE, TG_R_NONE, 0},
#define TG_ARRAY(name) {#name, TG_KIND_ARRAY, TG_R_NONE, 0},
#include "tg_kernels.def"
#undef TG_UNARY
#undef TG_UNARY_TRIG
#undef TG_BINARY
#undef TG_BINARY_LOOP
#undef TG_CLIP
#undef TG_WHERE
#undef TG_ARRAY
};
const int tg_kernel_count = (int)(sizeof tg_kernel_table / sizeof tg_kernel_table[0]);


/* ---- the functions, once per type ---------------------------------------- */
#define TG_T double
#define TG_SFX(fn) fn##_f64
#define F(fn) fn
#include "tg_kernels_impl.h"
#undef TG_T
#undef TG_SFX
#undef F

/* float rows call the double functions and round once: within half an ulp
 * nearly always (libm's float functions, like NumPy's float loops, are
 * within one or two), at a cost that does not show beside the memory
 * traffic of an array pass */
#define TG_T float
#define TG_SFX(fn) fn##_f32
#define F(fn) (float)fn
#include "tg_kernels_impl.h"
#undef TG_T
#undef TG_SFX
#undef F
