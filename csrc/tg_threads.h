/* Threads, mutexes and condition variables for the thread pool and the
 * buffer cache, on POSIX (pthreads) and Windows (SRW locks, condition
 * variables, _beginthreadex): Windows has no pthreads.
 *
 * Only the C files include this (it pulls in <windows.h> there); the
 * headers the Cython modules see stay free of it.  Every mutex and
 * condition variable is a static with a static initialiser. */
#ifndef TG_THREADS_H
#define TG_THREADS_H

#ifdef _WIN32

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <process.h>

typedef SRWLOCK tg_mutex;
typedef CONDITION_VARIABLE tg_cond;
#define TG_MUTEX_INIT SRWLOCK_INIT
#define TG_COND_INIT CONDITION_VARIABLE_INIT

static __inline void tg_mutex_init(tg_mutex *m) { InitializeSRWLock(m); }
static __inline void tg_mutex_lock(tg_mutex *m) { AcquireSRWLockExclusive(m); }
static __inline void tg_mutex_unlock(tg_mutex *m) { ReleaseSRWLockExclusive(m); }
/* 0 when taken, as pthread_mutex_trylock. */
static __inline int tg_mutex_trylock(tg_mutex *m) { return TryAcquireSRWLockExclusive(m) ? 0 : 1; }
static __inline void tg_cond_init(tg_cond *c) { InitializeConditionVariable(c); }
static __inline void tg_cond_wait(tg_cond *c, tg_mutex *m) { SleepConditionVariableSRW(c, m, INFINITE, 0); }
static __inline void tg_cond_signal(tg_cond *c) { WakeConditionVariable(c); }
static __inline void tg_cond_broadcast(tg_cond *c) { WakeAllConditionVariable(c); }

/* A thread body: TG_THREAD_FN(name, arg) { ... return TG_THREAD_RETURN; } */
#define TG_THREAD_FN(name, arg) static unsigned __stdcall name(void *arg)
#define TG_THREAD_RETURN 0
typedef unsigned (__stdcall *tg_thread_fn)(void *);

/* Start a detached thread; 0 on success. */
static __inline int tg_thread_start(tg_thread_fn fn, void *arg)
{
    HANDLE h = (HANDLE)_beginthreadex(NULL, 0, fn, arg, 0, NULL);
    if (h == 0)
        return -1;
    CloseHandle(h);
    return 0;
}

/* No fork on Windows. */
static __inline int tg_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    (void)prepare; (void)parent; (void)child;
    return 0;
}

#else  /* POSIX */

#include <pthread.h>

typedef pthread_mutex_t tg_mutex;
typedef pthread_cond_t tg_cond;
#define TG_MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
#define TG_COND_INIT PTHREAD_COND_INITIALIZER

static inline void tg_mutex_init(tg_mutex *m) { pthread_mutex_init(m, NULL); }
static inline void tg_mutex_lock(tg_mutex *m) { pthread_mutex_lock(m); }
static inline void tg_mutex_unlock(tg_mutex *m) { pthread_mutex_unlock(m); }
static inline int tg_mutex_trylock(tg_mutex *m) { return pthread_mutex_trylock(m); }
static inline void tg_cond_init(tg_cond *c) { pthread_cond_init(c, NULL); }
static inline void tg_cond_wait(tg_cond *c, tg_mutex *m) { pthread_cond_wait(c, m); }
static inline void tg_cond_signal(tg_cond *c) { pthread_cond_signal(c); }
static inline void tg_cond_broadcast(tg_cond *c) { pthread_cond_broadcast(c); }

#define TG_THREAD_FN(name, arg) static void *name(void *arg)
#define TG_THREAD_RETURN NULL
typedef void *(*tg_thread_fn)(void *);

static inline int tg_thread_start(tg_thread_fn fn, void *arg)
{
    pthread_t t;
    pthread_attr_t attr;
    int rc;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return rc;
}

static inline int tg_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    return pthread_atfork(prepare, parent, child);
}

#endif

#endif
