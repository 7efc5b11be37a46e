/* A cache of large array buffers behind NumPy's allocator hook (NEP 49).
 *
 * Why: an eager elementwise program allocates a fresh multi-megabyte array
 * for every intermediate, and glibc hands such blocks back to the kernel
 * when they are freed, so the next one arrives as untouched pages: on the
 * 1e6-element elementwise workload that is ~4,800 page faults and about a
 * third of the step.  Freed blocks of 1 MiB and up are kept here (bounded in
 * count and bytes) and handed out again for a request of the same size.
 * Smaller requests, calloc and realloc go straight to the C library.
 */
#ifndef TG_BUFFERS_H
#define TG_BUFFERS_H

#include <stddef.h>

#define TG_BUF_MIN_BYTES ((size_t)1 << 20)

/* Once, before the first use: registers the fork handlers (POSIX).
 * 0 on success, else an errno value. */
int tg_buf_init(void);

void *tg_buf_malloc(void *ctx, size_t size);
void *tg_buf_calloc(void *ctx, size_t nelem, size_t elsize);
void *tg_buf_realloc(void *ctx, void *ptr, size_t size);
void tg_buf_free(void *ctx, void *ptr, size_t size);

/* Upper bound on the bytes kept (0: keep none); frees what no longer fits. */
void tg_buf_set_limit(size_t bytes);
size_t tg_buf_limit(void);
size_t tg_buf_cached_bytes(void);
int tg_buf_cached_blocks(void);
/* Hand every kept block back to the C library. */
void tg_buf_clear(void);

#endif
