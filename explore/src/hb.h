/*
 * hb.h - the scheduler's happens-before race detector (hb.c).
 *
 * Called only by the thread that holds the scheduler's baton, from the
 * hooks of sched_hooks.h, so it needs no locking of its own.
 */
#ifndef GEORACE_XHB_H
#define GEORACE_XHB_H

#include <stdbool.h>
#include <stddef.h>

/* what a hook site says about itself */
struct gr_hb_site {
    const char *what, *file;
    int line;
};

/* Forget everything: n threads, each with a clock of its own, none
 * ordered with another (the cache was built before they started and
 * nothing of its construction is recorded). */
void gr_hb_reset(unsigned n);
/* Lock acquire/release by thread t. Acquire kind: 'm' mutex, 'r' rwlock
 * for reading, 'w' for writing; release kind: 'm' mutex, 'l' rwlock (a
 * write unlock if t holds it for writing, else a read unlock). */
void gr_hb_lock(unsigned t, const void *lock, char kind);
void gr_hb_unlock(unsigned t, const void *lock, char kind);
/* An atomic operation by thread t on [addr, addr+size) (sched_hooks.h's
 * GR_SCHED_LOAD/STORE/RMW orders; a CAS is one of them once its outcome is
 * known). Atomic accesses are also checked against plain ones. */
void gr_hb_atomic(unsigned t, const void *addr, size_t size, int kind, int order,
                  const struct gr_hb_site *site);
/* A plain access by thread t. */
void gr_hb_plain(unsigned t, const void *addr, size_t size, bool write,
                 const struct gr_hb_site *site);
/* The first race of the run ("" if none), and whether recording ran out
 * of room (then the detector is silent on the rest of the run and says
 * so in the message). */
const char *gr_hb_first_race(void);

#endif
