/*
 * hb.c - a happens-before race detector of the scheduler's own: vector
 * clocks advanced and joined over the program's synchronisation only.
 *
 * Each scenario thread has a vector clock. Edges come only from what the
 * C11 and POSIX memory models say synchronises:
 *  - a mutex unlock publishes the thread's clock into the mutex's, a lock
 *    joins it; an rwlock keeps a writers' clock (read and write locks join
 *    it) and a readers' clock (only write locks join it: readers do not
 *    order each other);
 *  - an atomic with release semantics (release, acq_rel, seq_cst store or
 *    RMW) publishes into the location's clock - a store replaces it, an RMW
 *    joins it (it continues the release sequence); an atomic with acquire
 *    semantics (acquire, acq_rel, seq_cst load or RMW) joins the location's
 *    clock; relaxed gives no edge, and a relaxed store ends the release
 *    sequence (the clock is emptied). A failed CAS is a load with its
 *    failure order;
 *  - thread start: the threads start unordered with each other; the
 *    cache's construction, before they start, is not recorded.
 * The scheduler's own baton (sched.c's semaphores) orders everything in
 * the real execution, and is deliberately never an edge here: otherwise
 * every access would be ordered and no race ever reported.
 *
 * Every plain access marked by GR_SCHED_READ/WRITE and every marked atomic
 * is recorded with its thread, byte range, kind and the thread's own clock
 * component at the time. A new access races with a recorded one of another
 * thread when the byte ranges overlap, one of them writes, not both are
 * atomic, and the recorded one is not ordered before it (its clock
 * component is above what the new access's thread has seen of that
 * thread). Accesses are recorded only at marked sites: an access that no
 * hook marks is invisible to the detector.
 *
 * Memory ordering: called only by the thread holding the baton, one at a
 * time, so plain statics suffice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb.h"
#include "sched_hooks.h"

#define GR_HB_MAXT 4
#define GR_HB_MAXSYNC 1024
#define GR_HB_MAXREC 8192

struct gr_hb_vc {
    uint32_t c[GR_HB_MAXT];
};

struct gr_hb_sync {
    const void *addr;
    struct gr_hb_vc vc, rvc; /* release clock; rwlock: readers' releases */
    unsigned writer;         /* rwlock: 1 + the thread holding it for writing, 0 none */
};

struct gr_hb_rec {
    uintptr_t lo, hi;
    uint32_t clk;
    uint8_t t;
    bool write, atomic;
    struct gr_hb_site site;
};

static unsigned gr_hb_n;
static struct gr_hb_vc gr_hb_t[GR_HB_MAXT];
static struct gr_hb_sync gr_hb_sync[GR_HB_MAXSYNC];
static unsigned gr_hb_nsync;
static struct gr_hb_rec gr_hb_rec[GR_HB_MAXREC];
static unsigned gr_hb_nrec;
static char gr_hb_msg[400];

void
gr_hb_reset(unsigned n)
{
    gr_hb_n = n < GR_HB_MAXT ? n : GR_HB_MAXT;
    memset(gr_hb_t, 0, sizeof gr_hb_t);
    for (unsigned t = 0; t < gr_hb_n; t++)
        gr_hb_t[t].c[t] = 1;
    gr_hb_nsync = gr_hb_nrec = 0;
    gr_hb_msg[0] = '\0';
}

const char *
gr_hb_first_race(void)
{
    return gr_hb_msg;
}

static void
gr_hb_join(struct gr_hb_vc *into, const struct gr_hb_vc *from)
{
    for (unsigned i = 0; i < GR_HB_MAXT; i++)
        if (from->c[i] > into->c[i])
            into->c[i] = from->c[i];
}

static struct gr_hb_sync *
gr_hb_obj(const void *addr)
{
    for (unsigned i = 0; i < gr_hb_nsync; i++)
        if (gr_hb_sync[i].addr == addr)
            return &gr_hb_sync[i];
    if (gr_hb_nsync == GR_HB_MAXSYNC) {
        /* more sync objects than scheduling points fit in a run: cannot happen */
        fprintf(stderr, "happens-before detector: too many synchronisation objects\n");
        abort();
    }
    struct gr_hb_sync *s = &gr_hb_sync[gr_hb_nsync++];
    memset(s, 0, sizeof *s);
    s->addr = addr;
    return s;
}

/* After a release, the thread's later accesses are not covered by it. */
static void
gr_hb_tick(unsigned t)
{
    gr_hb_t[t].c[t]++;
}

void
gr_hb_lock(unsigned t, const void *lock, char kind)
{
    if (t >= gr_hb_n)
        return;
    struct gr_hb_sync *s = gr_hb_obj(lock);
    gr_hb_join(&gr_hb_t[t], &s->vc);
    if (kind == 'w') {
        gr_hb_join(&gr_hb_t[t], &s->rvc);
        s->writer = t + 1;
    }
}

void
gr_hb_unlock(unsigned t, const void *lock, char kind)
{
    if (t >= gr_hb_n)
        return;
    struct gr_hb_sync *s = gr_hb_obj(lock);
    bool reader = kind == 'l' && s->writer != t + 1;
    if (kind == 'l' && !reader)
        s->writer = 0;
    gr_hb_join(reader ? &s->rvc : &s->vc, &gr_hb_t[t]);
    gr_hb_tick(t);
}

static const char *
gr_hb_base(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "?";
}

static const char *
gr_hb_kind(bool write, bool atomic)
{
    return atomic ? (write ? "atomic write" : "atomic read") : (write ? "write" : "read");
}

/* Check the access against every recorded one, then record it. */
static void
gr_hb_check(unsigned t, const void *addr, size_t size, bool write, bool atomic,
            const struct gr_hb_site *site)
{
    uintptr_t lo = (uintptr_t)addr, hi = lo + (size ? size : 1);
    const struct gr_hb_vc *me = &gr_hb_t[t];
    for (unsigned i = 0; i < gr_hb_nrec && !gr_hb_msg[0]; i++) {
        const struct gr_hb_rec *r = &gr_hb_rec[i];
        if (r->t == t || r->hi <= lo || hi <= r->lo || !(r->write || write) ||
            (r->atomic && atomic) || r->clk <= me->c[r->t])
            continue;
        snprintf(gr_hb_msg, sizeof gr_hb_msg,
                 "data race: T%u %s (%s) at %s:%d and T%u %s (%s) at %s:%d, "
                 "not ordered by happens-before",
                 (unsigned)r->t, gr_hb_kind(r->write, r->atomic), r->site.what,
                 gr_hb_base(r->site.file), r->site.line, t, gr_hb_kind(write, atomic), site->what,
                 gr_hb_base(site->file), site->line);
    }
    /* the same access again in the same clock interval adds nothing */
    for (unsigned i = gr_hb_nrec; i-- > 0;) {
        const struct gr_hb_rec *r = &gr_hb_rec[i];
        if (r->t == t && r->clk == me->c[t] && r->lo == lo && r->hi == hi && r->write == write &&
            r->atomic == atomic)
            return;
        if (r->t == t && r->clk != me->c[t])
            break;
    }
    if (gr_hb_nrec == GR_HB_MAXREC) {
        fprintf(stderr, "happens-before detector: too many accesses in one run\n");
        abort();
    }
    gr_hb_rec[gr_hb_nrec++] =
        (struct gr_hb_rec){lo, hi, me->c[t], (uint8_t)t, write, atomic, *site};
}

void
gr_hb_atomic(unsigned t, const void *addr, size_t size, int kind, int order,
             const struct gr_hb_site *site)
{
    if (t >= gr_hb_n)
        return;
    bool acq =
        kind != GR_SCHED_STORE && (order == memory_order_acquire || order == memory_order_acq_rel ||
                                   order == memory_order_seq_cst || order == memory_order_consume);
    bool rel =
        kind != GR_SCHED_LOAD && (order == memory_order_release || order == memory_order_acq_rel ||
                                  order == memory_order_seq_cst);
    struct gr_hb_sync *s = gr_hb_obj(addr);
    if (acq) /* the load synchronises with the release it reads from: join first */
        gr_hb_join(&gr_hb_t[t], &s->vc);
    gr_hb_check(t, addr, size, kind != GR_SCHED_LOAD, true, site);
    if (kind == GR_SCHED_STORE)
        memset(&s->vc, 0, sizeof s->vc); /* a store starts a new release sequence */
    if (rel) {
        gr_hb_join(&s->vc, &gr_hb_t[t]);
        gr_hb_tick(t);
    }
}

void
gr_hb_plain(unsigned t, const void *addr, size_t size, bool write, const struct gr_hb_site *site)
{
    if (t < gr_hb_n)
        gr_hb_check(t, addr, size, write, false, site);
}
