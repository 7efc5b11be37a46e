/* See tg_parallel.h. */
#define _GNU_SOURCE
#include "tg_parallel.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

/* One job at a time (guarded by run_lock); the job is cut into `parts`
 * contiguous pieces, piece k going to thread k (the caller is thread 0). */
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;

static int n_threads = 0;            /* 0: not decided yet */
static int n_started = 0;            /* workers running (threads 1..n_started) */
static unsigned long generation = 0; /* bumped per job */
static int pending = 0;              /* workers still on the current job */

static tg_range_fn job_fn;
static void *job_args;
static tg_pintp job_n;
static int job_parts;

static void piece(int k, tg_pintp *start, tg_pintp *stop)
{
    tg_pintp per = job_n / job_parts, extra = job_n % job_parts;
    *start = k * per + (k < extra ? k : extra);
    *stop = *start + per + (k < extra ? 1 : 0);
}

static void *worker(void *arg)
{
    int k = (int)(size_t)arg;
    unsigned long seen = 0;
    for (;;) {
        tg_pintp start, stop;
        pthread_mutex_lock(&lock);
        while (generation == seen)
            pthread_cond_wait(&wake, &lock);
        seen = generation;
        int mine = k < job_parts;
        pthread_mutex_unlock(&lock);
        if (mine) {
            piece(k, &start, &stop);
            job_fn(job_args, start, stop);
        }
        pthread_mutex_lock(&lock);
        if (--pending == 0)
            pthread_cond_signal(&finished);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static int default_threads(void)
{
    const char *env = getenv("TAPEGRAD_NUM_THREADS");
    if (env != NULL && atoi(env) >= 1)
        return atoi(env) > TG_PAR_MAX_THREADS ? TG_PAR_MAX_THREADS : atoi(env);
    cpu_set_t set;
    int n = 1;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    else
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > TG_PAR_MAX_THREADS ? TG_PAR_MAX_THREADS : n;
}

/* A forked child has the parent's memory but none of its worker threads. */
static void after_fork_in_child(void)
{
    pthread_mutex_init(&run_lock, NULL);
    pthread_mutex_init(&lock, NULL);
    pthread_cond_init(&wake, NULL);
    pthread_cond_init(&finished, NULL);
    n_started = 0;
    pending = 0;
}

static void start_workers_locked(void)
{
    static int atfork_done = 0;
    if (!atfork_done) {
        pthread_atfork(NULL, NULL, after_fork_in_child);
        atfork_done = 1;
    }
    while (n_started < n_threads - 1) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, worker, (void *)(size_t)(n_started + 1));
        pthread_attr_destroy(&attr);
        if (rc != 0)
            break;                  /* run with the threads we have */
        n_started++;
    }
}

int tg_parallel_threads(void)
{
    pthread_mutex_lock(&lock);
    if (n_threads == 0)
        n_threads = default_threads();
    int n = n_threads;
    pthread_mutex_unlock(&lock);
    return n;
}

void tg_parallel_set_threads(int n)
{
    pthread_mutex_lock(&run_lock);
    pthread_mutex_lock(&lock);
    n_threads = n < 1 ? 1 : (n > TG_PAR_MAX_THREADS ? TG_PAR_MAX_THREADS : n);
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&run_lock);
}

void tg_parallel_for(tg_pintp n, tg_range_fn fn, void *args)
{
    int threads = tg_parallel_threads();
    if (n < TG_PAR_MIN || threads < 2 || pthread_mutex_trylock(&run_lock) != 0) {
        fn(args, 0, n);             /* small, single-threaded, or a job is running */
        return;
    }
    pthread_mutex_lock(&lock);
    start_workers_locked();
    int parts = 1 + (n_started < threads - 1 ? n_started : threads - 1);
    if (parts < 2) {
        pthread_mutex_unlock(&lock);
        pthread_mutex_unlock(&run_lock);
        fn(args, 0, n);
        return;
    }
    job_fn = fn;
    job_args = args;
    job_n = n;
    job_parts = parts;
    pending = n_started;            /* every worker wakes and reports back */
    generation++;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);

    tg_pintp start, stop;
    piece(0, &start, &stop);
    fn(args, start, stop);

    pthread_mutex_lock(&lock);
    while (pending > 0)
        pthread_cond_wait(&finished, &lock);
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&run_lock);
}
