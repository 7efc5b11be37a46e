/* Scalar derivative rules and the loops that apply them (see tg_kernels.h).
 *
 * The rules are written once as macros over a type T and its math
 * functions, then instantiated for double and float.  Conventions where the
 * derivative is not unique (API.md): abs and relu take 0 at 0, clip passes
 * the gradient on its closed interval, ties of maximum/minimum split it. */
#include "tg_kernels.h"
#include <math.h>

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

#define DEFINE_KERNELS(T, SFX, LOG, SIN, COS, POW)             \
                                                                                    \
/* forward of the unary ops NumPy is slower at (elementwise.py); derivatives below */ \
int tg_unary_fwd_##SFX(int op, tg_intp n, const T *x, T *y) {                      \
    tg_intp i;                                                                      \
    switch (op) {                                                                   \
    case TG_K_NEG:     { for (i = 0; i < n; i++) y[i] = -x[i]; } break;             \
    case TG_K_COPY:    { for (i = 0; i < n; i++) y[i] = x[i]; } break;              \
    case TG_K_SQUARE:  { for (i = 0; i < n; i++) y[i] = x[i] * x[i]; } break;       \
    case TG_K_RELU:    { for (i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : (x[i] != x[i] ? x[i] : (T)0); } break; \
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
    case TG_K_SIN:     return COS(x);                                               \
    case TG_K_COS:     return -SIN(x);                                              \
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
    case TG_K_SIN: case TG_K_COS: case TG_K_TAN: case TG_K_ABS: case TG_K_RELU:     \
                       UNARY_LOOPS(T, gi * d_unary_##SFX(op, xi, yi)); break;       \
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

DEFINE_KERNELS(double, f64, log, sin, cos, pow)
DEFINE_KERNELS(float, f32, logf, sinf, cosf, powf)
