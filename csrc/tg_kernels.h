/* tapegrad's native kernels: the rows of tg_kernels.def (one per primitive
 * with a C kernel), each a forward and a backward written once over a type
 * and expanded here into scalar functions (0-d operands on C numbers) and
 * array loops (one pass over memory, no temporaries, one switch per node),
 * for float64 and float32.
 *
 * A kernel is known to Python by the name in its row: the Cython layer
 * (src/tapegrad/_core/kernels.pyx) reads tg_kernel_table and the op
 * registry names the row (kernel=True), so the ids below are never spelled
 * outside C.
 */
#ifndef TG_KERNELS_H
#define TG_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef ptrdiff_t tg_intp;

/* what a row's backward reads (bits) */
#define TG_R_NONE 0
#define TG_R_X 1          /* unary: the input */
#define TG_R_A 1          /* binary: the inputs and the output */
#define TG_R_B 2
#define TG_R_Y 4

enum { TG_KIND_UNARY = 1, TG_KIND_BINARY = 2, TG_KIND_CLIP = 3, TG_KIND_WHERE = 4,
       TG_KIND_ARRAY = 5 };

/* the ids: every row in table order; 0 is no kernel */
enum tg_kernel_id {
    TG_K__NONE = 0,
#define TG_UNARY(name, reads, fwd_loop, FWD, BWD) TG_K_##name,
#define TG_UNARY_TRIG(name, reads, QF, QD) TG_K_##name,
#define TG_BINARY(name, reads, FWD, BWD_A, BWD_B) TG_K_##name,
#define TG_BINARY_LOOP(name, reads, FWD, BWD_A, BWD_B) TG_K_##name,
#define TG_CLIP(name) TG_K_##name,
#define TG_WHERE(name) TG_K_##name,
#define TG_ARRAY(name) TG_K_##name,
#include "tg_kernels.def"
#undef TG_UNARY
#undef TG_UNARY_TRIG
#undef TG_BINARY
#undef TG_BINARY_LOOP
#undef TG_CLIP
#undef TG_WHERE
#undef TG_ARRAY
    TG_K__COUNT
};

typedef struct {
    const char *name;     /* the row's name; "" for id 0 */
    int kind;             /* TG_KIND_* */
    int reads;            /* TG_R_* bits */
    int fwd_loop;         /* 1: the array forward is this table's loop */
} tg_kernel_info;

extern const tg_kernel_info tg_kernel_table[];   /* indexed by id */
extern const int tg_kernel_count;

/* Array forward y = f(x) of the unary rows with fwd_loop 1; x and y do not
 * overlap.  Return 0, or -1 for a row without such a loop. */
int tg_unary_fwd_f64(int op, tg_intp n, const double *x, double *y);
int tg_unary_fwd_f32(int op, tg_intp n, const float *x, float *y);

/* Array forward y = f(a, b) of the TG_BINARY_LOOP rows; a and b advance by
 * sa and sb elements (1, or 0 for one value broadcast over n); y does not
 * overlap them.  Return 0, or -1 for a row without such a loop. */
int tg_binary_fwd_f64(int op, tg_intp n, const double *a, tg_intp sa, const double *b,
                      tg_intp sb, double *y);
int tg_binary_fwd_f32(int op, tg_intp n, const float *a, tg_intp sa, const float *b,
                      tg_intp sb, float *y);

/* Array backward of a unary row.  g advances by sg elements: 1, or 0 for one
 * value broadcast over n.  acc != 0: add into gx (a gradient already held
 * for x) instead of writing.  Return 0, or -1 for an id that is not unary. */
int tg_unary_bwd_f64(int op, tg_intp n, const double *g, tg_intp sg, const double *x,
                     const double *y, double *gx, int acc);
int tg_unary_bwd_f32(int op, tg_intp n, const float *g, tg_intp sg, const float *x,
                     const float *y, float *gx, int acc);

/* Array backward of a binary row.  g, a and b advance by sg, sa and sb
 * elements (1, or 0 for one value broadcast over n); y (read by rows with
 * TG_R_Y only; may be NULL otherwise) by 1; ga or gb may be NULL when that
 * input needs no gradient.  acc_a / acc_b: add into ga / gb instead of
 * writing (ga is complete before gb, so both may be one buffer, for x * x). */
int tg_binary_bwd_f64(int op, tg_intp n, const double *g, tg_intp sg,
                      const double *a, tg_intp sa, const double *b, tg_intp sb,
                      const double *y, double *ga, double *gb, int acc_a, int acc_b);
int tg_binary_bwd_f32(int op, tg_intp n, const float *g, tg_intp sg,
                      const float *a, tg_intp sa, const float *b, tg_intp sb,
                      const float *y, float *ga, float *gb, int acc_a, int acc_b);

/* 0-d operands: forward of a unary (a) or binary (a, b) row into *out, and
 * its backward into *ga (and *gb).  Return 0, or -1 for an id without one. */
int tg_scalar_fwd_f64(int op, double a, double b, double *out);
int tg_scalar_fwd_f32(int op, float a, float b, float *out);
int tg_scalar_bwd_f64(int op, double g, double a, double b, double y, double *ga, double *gb);
int tg_scalar_bwd_f32(int op, float g, float a, float b, float y, float *ga, float *gb);

void tg_clip_bwd_f64(tg_intp n, const double *g, const double *x, double lo, double hi, double *gx);
void tg_clip_bwd_f32(tg_intp n, const float *g, const float *x, double lo, double hi, float *gx);

/* cond is a NumPy bool array (one byte per element). */
void tg_where_bwd_f64(tg_intp n, const double *g, const uint8_t *cond, double *ga, double *gb);
void tg_where_bwd_f32(tg_intp n, const float *g, const uint8_t *cond, float *ga, float *gb);

#endif
