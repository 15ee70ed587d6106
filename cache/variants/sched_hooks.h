/*
 * sched_hooks.h - scheduling points of the cache variants, for the
 * controlled scheduler of 'georace explore' (explore/sched.c).
 *
 * Every place where a variant touches memory another thread may touch
 * (an atomic, a lock, gomap's plain flags and buckets, the naive reset's
 * memset, EBR's epoch) is marked with one of the macros below. In the
 * normal library they expand to the bare operation: no call, no branch, no
 * cost. The explore library compiles the same sources a second time with
 * GEORACE_SCHED defined (explore/CMakeLists.txt); there each point first
 * calls the scheduler, which may run another thread before the operation
 * happens, and the locks become try-lock loops that tell the scheduler
 * when a thread is blocked (so it never waits on a real lock, and a
 * deadlock is a finding instead of a hang).
 *
 *   GR_SCHED_POINT("what")           a scheduling point before the next statement
 *   GR_SCHED_OP("what", expr)        the same, inside an expression: (point, expr)
 *   GR_SCHED_ATOMIC("what", kind, order, obj, expr)
 *                                    a point before the C11 atomic expr on *obj, of kind
 *                                    GR_SCHED_LOAD, _STORE or _RMW with memory order
 *                                    `order`: the happens-before detector joins and
 *                                    publishes clocks by it
 *   GR_SCHED_CAS("what", succ, fail, obj, expr)
 *                                    the same for a compare-exchange: an RMW with order
 *                                    succ if expr is true, a load with order fail if not
 *   GR_SCHED_READ("what", p, n) / GR_SCHED_WRITE("what", p, n)
 *                                    a point before a plain read / write of the n bytes
 *                                    at p that another thread may access: the detector
 *                                    checks it against every other access of those bytes
 *   GR_SCHED_ALSO_READ / _ALSO_WRITE("what", p, n)
 *                                    the same access record without a point of its own:
 *                                    for more plain accesses in the segment that the last
 *                                    point opened (nothing shared touched in between)
 *   GR_MUTEX_LOCK / GR_MUTEX_UNLOCK  pthread_mutex_lock / _unlock
 *   GR_RWLOCK_RDLOCK / _WRLOCK / _UNLOCK  pthread_rwlock_*
 *   GR_SCHED_FATAL(msg)              sched build only: a Go-style fatal error
 *                                    reported to the scheduler (never returns)
 */
#ifndef GEORACE_SCHED_HOOKS_H
#define GEORACE_SCHED_HOOKS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GR_SCHED_LOAD 1
#define GR_SCHED_STORE 2
#define GR_SCHED_RMW 3

#ifdef GEORACE_SCHED

#define GR_SCHED_API __attribute__((visibility("default")))
GR_SCHED_API void gr_sched_point(const char *what, const char *file, int line);
GR_SCHED_API int gr_sched_mutex_lock(pthread_mutex_t *mu, const char *file, int line);
GR_SCHED_API int gr_sched_mutex_unlock(pthread_mutex_t *mu, const char *file, int line);
GR_SCHED_API int gr_sched_rwlock_lock(pthread_rwlock_t *l, int write, const char *file, int line);
GR_SCHED_API int gr_sched_rwlock_unlock(pthread_rwlock_t *l, const char *file, int line);
GR_SCHED_API _Noreturn void gr_sched_fatal(const char *msg);
GR_SCHED_API uint64_t gr_sched_seed(void);
GR_SCHED_API void gr_sched_atomic(const char *what, int kind, int order, const void *obj,
                                  size_t size, const char *file, int line);
GR_SCHED_API bool gr_sched_cas_done(bool ok, int succ, int fail, const void *obj, size_t size,
                                    const char *what, const char *file, int line);
GR_SCHED_API void gr_sched_access(const char *what, const void *p, size_t n, bool write,
                                  const char *file, int line);
GR_SCHED_API void gr_sched_note(const char *what, const void *p, size_t n, bool write,
                                const char *file, int line);

#define GR_SCHED_POINT(what) gr_sched_point(what, __FILE__, __LINE__)
#define GR_SCHED_OP(what, expr) (gr_sched_point(what, __FILE__, __LINE__), (expr))
#define GR_SCHED_ATOMIC(what, kind, order, obj, expr)                                              \
    (gr_sched_atomic(what, kind, order, (const void *)(obj), sizeof *(obj), __FILE__, __LINE__),   \
     (expr))
#define GR_SCHED_CAS(what, succ, fail, obj, expr)                                                  \
    gr_sched_cas_done((gr_sched_point(what, __FILE__, __LINE__), (expr)), succ, fail,              \
                      (const void *)(obj), sizeof *(obj), what, __FILE__, __LINE__)
#define GR_SCHED_READ(what, p, n) gr_sched_access(what, p, n, false, __FILE__, __LINE__)
#define GR_SCHED_WRITE(what, p, n) gr_sched_access(what, p, n, true, __FILE__, __LINE__)
#define GR_SCHED_ALSO_READ(what, p, n) gr_sched_note(what, p, n, false, __FILE__, __LINE__)
#define GR_SCHED_ALSO_WRITE(what, p, n) gr_sched_note(what, p, n, true, __FILE__, __LINE__)
#define GR_MUTEX_LOCK(mu) gr_sched_mutex_lock(mu, __FILE__, __LINE__)
#define GR_MUTEX_UNLOCK(mu) gr_sched_mutex_unlock(mu, __FILE__, __LINE__)
#define GR_RWLOCK_RDLOCK(l) gr_sched_rwlock_lock(l, 0, __FILE__, __LINE__)
#define GR_RWLOCK_WRLOCK(l) gr_sched_rwlock_lock(l, 1, __FILE__, __LINE__)
#define GR_RWLOCK_UNLOCK(l) gr_sched_rwlock_unlock(l, __FILE__, __LINE__)

#else

#define GR_SCHED_POINT(what) ((void)0)
#define GR_SCHED_OP(what, expr) (expr)
#define GR_SCHED_ATOMIC(what, kind, order, obj, expr) (expr)
#define GR_SCHED_CAS(what, succ, fail, obj, expr) (expr)
#define GR_SCHED_READ(what, p, n) ((void)0)
#define GR_SCHED_WRITE(what, p, n) ((void)0)
#define GR_SCHED_ALSO_READ(what, p, n) ((void)0)
#define GR_SCHED_ALSO_WRITE(what, p, n) ((void)0)
#define GR_MUTEX_LOCK(mu) pthread_mutex_lock(mu)
#define GR_MUTEX_UNLOCK(mu) pthread_mutex_unlock(mu)
#define GR_RWLOCK_RDLOCK(l) pthread_rwlock_rdlock(l)
#define GR_RWLOCK_WRLOCK(l) pthread_rwlock_wrlock(l)
#define GR_RWLOCK_UNLOCK(l) pthread_rwlock_unlock(l)

#endif

#endif
