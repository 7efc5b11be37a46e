/* tapegrad's elementwise gradient kernels.
 *
 * Each primitive has a scalar derivative written next to its forward
 * (tg_kernels.c), and one dtype-generic loop per arity applies it in a
 * single pass over memory: read the incoming gradient and what the op
 * saved, write the input gradient.  No temporaries, one switch per node
 * (outside the loop), float32 and float64.
 *
 * The ids below are the "kernel" field of the op table in
 * src/tapegrad/ops; tests check that every elementwise op names one.
 */
#ifndef TG_KERNELS_H
#define TG_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef ptrdiff_t tg_intp;

enum tg_kernel_id {
    TG_K_NONE = 0,
    /* unary: gx = g * f'(x, y) */
    TG_K_NEG = 1, TG_K_EXP, TG_K_LOG, TG_K_SIN, TG_K_COS, TG_K_TAN, TG_K_TANH,
    TG_K_SQRT, TG_K_SQUARE, TG_K_ABS, TG_K_SIGMOID, TG_K_RELU, TG_K_COPY,
    TG_K_UNARY_END,
    /* binary: ga = g * df/da, gb = g * df/db, with scalar broadcasting */
    TG_K_ADD = 32, TG_K_SUB, TG_K_MUL, TG_K_DIV, TG_K_POW, TG_K_MAXIMUM, TG_K_MINIMUM,
    TG_K_BINARY_END,
    /* with parameters */
    TG_K_CLIP = 64, TG_K_WHERE
};

/* Forward y = f(x) of neg, copy, square, relu, sin and cos (where C beats
 * NumPy); x and y do not overlap.  Return 0, or -1 for an op it does not
 * implement. */
int tg_unary_fwd_f64(int op, tg_intp n, const double *x, double *y);
int tg_unary_fwd_f32(int op, tg_intp n, const float *x, float *y);

/* Return 0, or -1 for an unknown kernel id. */
/* g advances by sg elements: 1, or 0 for one value broadcast over n.
 * acc != 0: add into gx (a gradient already held for x) instead of writing. */
int tg_unary_bwd_f64(int op, tg_intp n, const double *g, tg_intp sg, const double *x,
                     const double *y, double *gx, int acc);
int tg_unary_bwd_f32(int op, tg_intp n, const float *g, tg_intp sg, const float *x,
                     const float *y, float *gx, int acc);

/* g, a and b advance by sg, sa and sb elements (1, or 0 for one value
 * broadcast over n); y (read by div and pow only) by 1; ga or gb may be
 * NULL when that input needs no gradient.  acc_a / acc_b: add into ga / gb
 * instead of writing (ga is complete before gb, so both may be one buffer,
 * for x * x). */
int tg_binary_bwd_f64(int op, tg_intp n, const double *g, tg_intp sg,
                      const double *a, tg_intp sa, const double *b, tg_intp sb,
                      const double *y, double *ga, double *gb, int acc_a, int acc_b);
int tg_binary_bwd_f32(int op, tg_intp n, const float *g, tg_intp sg,
                      const float *a, tg_intp sa, const float *b, tg_intp sb,
                      const float *y, float *ga, float *gb, int acc_a, int acc_b);

void tg_clip_bwd_f64(tg_intp n, const double *g, const double *x, double lo, double hi, double *gx);
void tg_clip_bwd_f32(tg_intp n, const float *g, const float *x, double lo, double hi, float *gx);

/* cond is a NumPy bool array (one byte per element). */
void tg_where_bwd_f64(tg_intp n, const double *g, const uint8_t *cond, double *ga, double *gb);
void tg_where_bwd_f32(tg_intp n, const float *g, const uint8_t *cond, float *ga, float *gb);

#endif
