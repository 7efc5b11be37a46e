/* Splitting a big elementwise loop over the cores.
 *
 * Why not OpenMP: its worker threads spin after each region and fought
 * OpenBLAS's on this project's 2-core machine (MLP step 13.9 vs 1.56 ms).
 * These workers sleep on a condition variable between jobs, and only loops
 * of at least TG_PAR_MIN elements are split, so small and BLAS-heavy
 * programs never wake them.  Every element is computed by the same code
 * whichever thread runs it, so results do not depend on the split.
 */
#ifndef TG_PARALLEL_H
#define TG_PARALLEL_H

#include <stddef.h>

typedef ptrdiff_t tg_pintp;

/* Work on elements [start, stop) of a loop described by args. */
typedef void (*tg_range_fn)(void *args, tg_pintp start, tg_pintp stop);

#define TG_PAR_MIN ((tg_pintp)1 << 17)

/* Run fn over [0, n): split across the pool when n >= TG_PAR_MIN and the
 * pool has workers, else in the calling thread.  Call without the GIL. */
void tg_parallel_for(tg_pintp n, tg_range_fn fn, void *args);

/* Threads used, the caller included (1: no splitting).  Default: the CPUs
 * this process may run on, at most TG_PAR_MAX_THREADS, or the
 * TAPEGRAD_NUM_THREADS environment variable. */
int tg_parallel_threads(void);
void tg_parallel_set_threads(int n);

#define TG_PAR_MAX_THREADS 16

#endif
