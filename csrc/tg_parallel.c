/* See tg_parallel.h.  Threads and locks through tg_threads.h (pthreads or
 * Windows primitives); the core count through cpu_count() below. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE                 /* sched_getaffinity, CPU_COUNT */
#endif
#include "tg_parallel.h"
#include "tg_threads.h"

#include <stdlib.h>
#ifdef __linux__
#include <sched.h>
#endif
#ifndef _WIN32
#include <unistd.h>
#endif

/* One job at a time (guarded by run_lock); the job is cut into `parts`
 * contiguous pieces, piece k going to thread k (the caller is thread 0). */
static tg_mutex run_lock = TG_MUTEX_INIT;
static tg_mutex lock = TG_MUTEX_INIT;
static tg_cond wake = TG_COND_INIT;
static tg_cond finished = TG_COND_INIT;

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

TG_THREAD_FN(worker, arg)
{
    int k = (int)(size_t)arg;
    unsigned long seen = 0;
    for (;;) {
        tg_pintp start, stop;
        int mine;
        tg_mutex_lock(&lock);
        while (generation == seen)
            tg_cond_wait(&wake, &lock);
        seen = generation;
        mine = k < job_parts;
        tg_mutex_unlock(&lock);
        if (mine) {
            piece(k, &start, &stop);
            job_fn(job_args, start, stop);
        }
        tg_mutex_lock(&lock);
        if (--pending == 0)
            tg_cond_signal(&finished);
        tg_mutex_unlock(&lock);
    }
    return TG_THREAD_RETURN;
}

/* The CPUs this process may run on (Linux: its affinity mask, so a
 * container or taskset limit counts; Windows: the process affinity mask),
 * else the CPUs online. */
static int cpu_count(void)
{
#if defined(_WIN32)
    DWORD_PTR mine, system;
    if (GetProcessAffinityMask(GetCurrentProcess(), &mine, &system) && mine != 0) {
        int n = 0;
        for (; mine != 0; mine &= mine - 1)
            n++;
        return n;
    }
    {
        SYSTEM_INFO info;
        GetSystemInfo(&info);
        return (int)info.dwNumberOfProcessors;
    }
#else
#if defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        return CPU_COUNT(&set);
#endif
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
#endif
}

static int default_threads(void)
{
    const char *env = getenv("TAPEGRAD_NUM_THREADS");
    if (env != NULL && atoi(env) >= 1)
        return atoi(env) > TG_PAR_MAX_THREADS ? TG_PAR_MAX_THREADS : atoi(env);
    int n = cpu_count();
    if (n < 1)
        n = 1;
    return n > TG_PAR_MAX_THREADS ? TG_PAR_MAX_THREADS : n;
}

/* A forked child has the parent's memory but none of its worker threads. */
static void after_fork_in_child(void)
{
    tg_mutex_init(&run_lock);
    tg_mutex_init(&lock);
    tg_cond_init(&wake);
    tg_cond_init(&finished);
    n_started = 0;
    pending = 0;
}

static void start_workers_locked(void)
{
    static int atfork_done = 0;
    if (!atfork_done) {
        tg_atfork(NULL, NULL, after_fork_in_child);
        atfork_done = 1;
    }
    while (n_started < n_threads - 1) {
        if (tg_thread_start(worker, (void *)(size_t)(n_started + 1)) != 0)
            break;                  /* run with the threads we have */
        n_started++;
    }
}

int tg_parallel_threads(void)
{
    tg_mutex_lock(&lock);
    if (n_threads == 0)
        n_threads = default_threads();
    int n = n_threads;
    tg_mutex_unlock(&lock);
    return n;
}

void tg_parallel_set_threads(int n)
{
    tg_mutex_lock(&run_lock);
    tg_mutex_lock(&lock);
    n_threads = n < 1 ? 1 : (n > TG_PAR_MAX_THREADS ? TG_PAR_MAX_THREADS : n);
    tg_mutex_unlock(&lock);
    tg_mutex_unlock(&run_lock);
}

void tg_parallel_for(tg_pintp n, tg_range_fn fn, void *args)
{
    int threads = tg_parallel_threads();
    if (n < TG_PAR_MIN || threads < 2 || tg_mutex_trylock(&run_lock) != 0) {
        fn(args, 0, n);             /* small, single-threaded, or a job is running */
        return;
    }
    tg_mutex_lock(&lock);
    start_workers_locked();
    int parts = 1 + (n_started < threads - 1 ? n_started : threads - 1);
    if (parts < 2) {
        tg_mutex_unlock(&lock);
        tg_mutex_unlock(&run_lock);
        fn(args, 0, n);
        return;
    }
    job_fn = fn;
    job_args = args;
    job_n = n;
    job_parts = parts;
    pending = n_started;            /* every worker wakes and reports back */
    generation++;
    tg_cond_broadcast(&wake);
    tg_mutex_unlock(&lock);

    tg_pintp start, stop;
    piece(0, &start, &stop);
    fn(args, start, stop);

    tg_mutex_lock(&lock);
    while (pending > 0)
        tg_cond_wait(&finished, &lock);
    tg_mutex_unlock(&lock);
    tg_mutex_unlock(&run_lock);
}
