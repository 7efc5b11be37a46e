/* The kernel functions for one type, included twice by tg_kernels.c (TG_T
 * double, then float; TG_SFX(fn) appends _f64 or _f32; F(fn) names the math
 * function of that type).  Each switch is generated from tg_kernels.def:
 * the row macros are defined for that switch, the table is included, and
 * they are undefined again. */
#define T TG_T
#undef TG_UNARY
#undef TG_UNARY_TRIG
#undef TG_BINARY
#undef TG_BINARY_LOOP
#undef TG_CLIP
#undef TG_WHERE
#undef TG_ARRAY

/* sigmoid and its derivative e^-|x| / (1 + e^-|x|)^2 with the exponential
 * taken once: exp may set errno, so the compiler keeps each call it is
 * written with (the rows wrote it two and three times).  The same
 * operations in T: -|x| is -x for x >= 0 and x below. */
static inline T TG_SFX(tg_sigmoid)(T x) {
    const T e = F(exp)(-F(fabs)(x));
    return x >= 0 ? (T)1 / ((T)1 + e) : e / ((T)1 + e);
}
static inline T TG_SFX(tg_dsigmoid)(T x) {
    const T e = F(exp)(-F(fabs)(x));
    return e / (((T)1 + e) * ((T)1 + e));
}

/* Array forward of the rows whose loop is used (fwd_loop 1); -1 otherwise:
 * NumPy's ufunc computes those. */
int TG_SFX(tg_unary_fwd)(int op, tg_intp n, const T *xp, T *yp) {
    tg_intp i;
    switch (op) {
#define TG_UNARY(name, reads, fwd_loop, FWD, BWD)                               \
    case TG_K_##name:                                                           \
        if (!(fwd_loop)) return -1;                                             \
        for (i = 0; i < n; i++) { const T x = xp[i]; yp[i] = (FWD); }           \
        break;
#define TG_UNARY_TRIG(name, reads, QF, QD)                                      \
    case TG_K_##name: TG_SFX(trig)(n, xp, yp, QF); break;
#define TG_BINARY(name, reads, FWD, BWD_A, BWD_B)
#define TG_BINARY_LOOP(name, reads, FWD, BWD_A, BWD_B)
#define TG_CLIP(name)
#define TG_WHERE(name)
#define TG_ARRAY(name)
#include "tg_kernels.def"
#undef TG_UNARY
#undef TG_UNARY_TRIG
#undef TG_BINARY
#undef TG_BINARY_LOOP
#undef TG_CLIP
#undef TG_WHERE
#undef TG_ARRAY
    default: return -1;
    }
    return 0;
}

int TG_SFX(tg_unary_bwd)(int op, tg_intp n, const T *gp, tg_intp sg, const T *xp,
                         const T *yp, T *gx, int acc) {
    tg_intp i;
    switch (op) {
#define TG_UNARY(name, reads, fwd_loop, FWD, BWD)                               \
    case TG_K_##name: UNARY_LOOPS(T, BWD); break;
#define TG_UNARY_TRIG(name, reads, QF, QD)                                      \
    case TG_K_##name: TRIG_BWD(T, TG_SFX(trig), QD); break;
#define TG_BINARY(name, reads, FWD, BWD_A, BWD_B)
#define TG_BINARY_LOOP(name, reads, FWD, BWD_A, BWD_B)
#define TG_CLIP(name)
#define TG_WHERE(name)
#define TG_ARRAY(name)
#include "tg_kernels.def"
#undef TG_UNARY
#undef TG_UNARY_TRIG
#undef TG_BINARY
#undef TG_BINARY_LOOP
#undef TG_CLIP
#undef TG_WHERE
#undef TG_ARRAY
    default: return -1;
    }
    return 0;
}

int TG_SFX(tg_binary_bwd)(int op, tg_intp n, const T *gp, tg_intp sg, const T *ap,
                          tg_intp sa, const T *bp, tg_intp sb, const T *yp, T *ga,
                          T *gb, int acc_a, int acc_b) {
    tg_intp i;
    switch (op) {
#define TG_UNARY(name, reads, fwd_loop, FWD, BWD)
#define TG_UNARY_TRIG(name, reads, QF, QD)
#define TG_BINARY(name, reads, FWD, BWD_A, BWD_B)                               \
    case TG_K_##name: BINARY_LOOPS(T, BWD_A, BWD_B); break;
#define TG_BINARY_LOOP(name, reads, FWD, BWD_A, BWD_B)                          \
    case TG_K_##name: BINARY_LOOPS(T, BWD_A, BWD_B); break;
#define TG_CLIP(name)
#define TG_WHERE(name)
#define TG_ARRAY(name)
#include "tg_kernels.def"
#undef TG_UNARY
#undef TG_UNARY_TRIG
#undef TG_BINARY
#undef TG_BINARY_LOOP
#undef TG_CLIP
#undef TG_WHERE
#undef TG_ARRAY
    default: return -1;
    }
    return 0;
}

/* Array forward of the TG_BINARY_LOOP rows: y[i] = FWD(a[i sa], b[i sb]),
 * sa and sb 1 or 0 (an operand broadcast from one value); -1 for any other
 * row (NumPy's ufunc computes those). */
#define BINARY_FWD_ONE(FWD, SA, SB)                                             \
    for (tg_intp i = 0; i < n; i++) {                                           \
        const T a = ap[i * (SA)], b = bp[i * (SB)]; yp[i] = (FWD);              \
    }
int TG_SFX(tg_binary_fwd)(int op, tg_intp n, const T *ap, tg_intp sa, const T *bp,
                          tg_intp sb, T *yp) {
    switch (op) {
#define TG_UNARY(name, reads, fwd_loop, FWD, BWD)
#define TG_UNARY_TRIG(name, reads, QF, QD)
#define TG_BINARY(name, reads, FWD, BWD_A, BWD_B)
#define TG_BINARY_LOOP(name, reads, FWD, BWD_A, BWD_B)                          \
    case TG_K_##name:                                                           \
        if (sa && sb) { BINARY_FWD_ONE(FWD, 1, 1) }                             \
        else if (sb) { BINARY_FWD_ONE(FWD, 0, 1) }                              \
        else if (sa) { BINARY_FWD_ONE(FWD, 1, 0) }                              \
        else { BINARY_FWD_ONE(FWD, 0, 0) }                                      \
        break;
#define TG_CLIP(name)
#define TG_WHERE(name)
#define TG_ARRAY(name)
#include "tg_kernels.def"
#undef TG_UNARY
#undef TG_UNARY_TRIG
#undef TG_BINARY
#undef TG_BINARY_LOOP
#undef TG_CLIP
#undef TG_WHERE
#undef TG_ARRAY
    default: return -1;
    }
    return 0;
}
#undef BINARY_FWD_ONE

/* 0-d operands: the row's forward on one value (b unused by unary rows) */
int TG_SFX(tg_scalar_fwd)(int op, T a, T b, T *out) {
    const T x = a;
    (void)x; (void)b;
    switch (op) {
#define TG_UNARY(name, reads, fwd_loop, FWD, BWD)                               \
    case TG_K_##name: *out = (FWD); return 0;
#define TG_UNARY_TRIG(name, reads, QF, QD)                                      \
    case TG_K_##name: *out = TG_SFX(trig_one)(x, QF); return 0;
#define TG_BINARY(name, reads, FWD, BWD_A, BWD_B)                               \
    case TG_K_##name: *out = (FWD); return 0;
#define TG_BINARY_LOOP(name, reads, FWD, BWD_A, BWD_B)                          \
    case TG_K_##name: *out = (FWD); return 0;
#define TG_CLIP(name)
#define TG_WHERE(name)
#define TG_ARRAY(name)
#include "tg_kernels.def"
#undef TG_UNARY
#undef TG_UNARY_TRIG
#undef TG_BINARY
#undef TG_BINARY_LOOP
#undef TG_CLIP
#undef TG_WHERE
#undef TG_ARRAY
    default: return -1;
    }
}

/* 0-d backward: *ga (and *gb for binary rows) from g and the saved values,
 * the same expressions as the array loops, so the same bits */
int TG_SFX(tg_scalar_bwd)(int op, T g, T a, T b, T y, T *ga, T *gb) {
    const T x = a;
    (void)x; (void)b; (void)y;
    switch (op) {
#define TG_UNARY(name, reads, fwd_loop, FWD, BWD)                               \
    case TG_K_##name: *ga = (BWD); return 0;
#define TG_UNARY_TRIG(name, reads, QF, QD)                                      \
    case TG_K_##name: *ga = g * TG_SFX(trig_one)(x, QD); return 0;
#define TG_BINARY(name, reads, FWD, BWD_A, BWD_B)                               \
    case TG_K_##name: *ga = (BWD_A); *gb = (BWD_B); return 0;
#define TG_BINARY_LOOP(name, reads, FWD, BWD_A, BWD_B)                          \
    case TG_K_##name: *ga = (BWD_A); *gb = (BWD_B); return 0;
#define TG_CLIP(name)
#define TG_WHERE(name)
#define TG_ARRAY(name)
#include "tg_kernels.def"
#undef TG_UNARY
#undef TG_UNARY_TRIG
#undef TG_BINARY
#undef TG_BINARY_LOOP
#undef TG_CLIP
#undef TG_WHERE
#undef TG_ARRAY
    default: return -1;
    }
}

/* Both sides of each selection are read before it, and each output has its
 * own loop: GCC then makes the selection a vector blend; written as a
 * conditional read it stayed a branch, which mispredicts on mixed data. */
void TG_SFX(tg_clip_bwd)(tg_intp n, const T *g, const T *x, double lo, double hi, T *gx) {
    tg_intp i;
    for (i = 0; i < n; i++) {
        const T gi = g[i], xi = x[i];
        gx[i] = (xi >= lo && xi <= hi) ? gi : (T)0;
    }
}

void TG_SFX(tg_where_bwd)(tg_intp n, const T *g, const uint8_t *cond, T *ga, T *gb) {
    tg_intp i;
    if (ga)
        for (i = 0; i < n; i++) {
            const T gi = g[i];
            ga[i] = cond[i] ? gi : (T)0;
        }
    if (gb)
        for (i = 0; i < n; i++) {
            const T gi = g[i];
            gb[i] = cond[i] ? (T)0 : gi;
        }
}

#undef T
