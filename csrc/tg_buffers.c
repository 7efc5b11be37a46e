/* See tg_buffers.h. */
#include "tg_buffers.h"
#include "tg_threads.h"

#include <stdlib.h>

#define TG_BUF_SLOTS 64

typedef struct {
    void *ptr;
    size_t size;
} tg_block;

/* Kept blocks, oldest first; every access holds the lock (NumPy may free an
 * array's data on any thread). */
static tg_block kept[TG_BUF_SLOTS];
static int n_kept = 0;
static size_t kept_bytes = 0;
static size_t limit_bytes = (size_t)512 << 20;
static tg_mutex lock = TG_MUTEX_INIT;

/* fork() while another thread holds the lock would leave the child's copy
 * locked forever (and kept[] half updated): the forking thread takes the
 * lock first and both processes release it afterwards. */
static void before_fork(void) { tg_mutex_lock(&lock); }
static void after_fork(void) { tg_mutex_unlock(&lock); }

int tg_buf_init(void)
{
    static int done = 0;
    int rc = 0;
    if (!done) {
        rc = tg_atfork(before_fork, after_fork, after_fork);
        done = rc == 0;
    }
    return rc;
}

static void drop_oldest_locked(void)
{
    free(kept[0].ptr);
    kept_bytes -= kept[0].size;
    n_kept--;
    for (int i = 0; i < n_kept; i++)
        kept[i] = kept[i + 1];
}

void *tg_buf_malloc(void *ctx, size_t size)
{
    (void)ctx;
    if (size >= TG_BUF_MIN_BYTES) {
        tg_mutex_lock(&lock);
        for (int i = n_kept - 1; i >= 0; i--) {     /* newest first: warm in cache */
            if (kept[i].size == size) {
                void *p = kept[i].ptr;
                kept_bytes -= size;
                n_kept--;
                for (int j = i; j < n_kept; j++)
                    kept[j] = kept[j + 1];
                tg_mutex_unlock(&lock);
                return p;
            }
        }
        tg_mutex_unlock(&lock);
    }
    return malloc(size);
}

void *tg_buf_calloc(void *ctx, size_t nelem, size_t elsize)
{
    (void)ctx;
    return calloc(nelem, elsize);
}

void *tg_buf_realloc(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    return realloc(ptr, size);
}

void tg_buf_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (ptr == NULL)
        return;
    if (size >= TG_BUF_MIN_BYTES && size <= limit_bytes) {
        tg_mutex_lock(&lock);
        while (n_kept > 0 && (n_kept == TG_BUF_SLOTS || kept_bytes + size > limit_bytes))
            drop_oldest_locked();
        if (size <= limit_bytes - kept_bytes) {
            kept[n_kept].ptr = ptr;
            kept[n_kept].size = size;
            n_kept++;
            kept_bytes += size;
            tg_mutex_unlock(&lock);
            return;
        }
        tg_mutex_unlock(&lock);
    }
    free(ptr);
}

void tg_buf_set_limit(size_t bytes)
{
    tg_mutex_lock(&lock);
    limit_bytes = bytes;
    while (n_kept > 0 && kept_bytes > limit_bytes)
        drop_oldest_locked();
    tg_mutex_unlock(&lock);
}

size_t tg_buf_limit(void)
{
    return limit_bytes;
}

size_t tg_buf_cached_bytes(void)
{
    size_t b;
    tg_mutex_lock(&lock);
    b = kept_bytes;
    tg_mutex_unlock(&lock);
    return b;
}

int tg_buf_cached_blocks(void)
{
    int n;
    tg_mutex_lock(&lock);
    n = n_kept;
    tg_mutex_unlock(&lock);
    return n;
}

void tg_buf_clear(void)
{
    tg_mutex_lock(&lock);
    while (n_kept > 0)
        drop_oldest_locked();
    tg_mutex_unlock(&lock);
}
