/*
 * sched.c - the controlled scheduler, inside one explored run (a child
 * process forked by explore.c).
 *
 * The scenario's threads are real pthreads, but only one runs at a time:
 * each has a semaphore, and the running thread holds the baton. At every
 * scheduling point (sched_hooks.h: an atomic, a lock, a plain shared
 * access of a buggy variant) the running thread asks the plan which
 * enabled thread runs next; if it is another, it posts that thread's
 * semaphore and waits on its own. So every run is a sequentially
 * consistent interleaving chosen step by step, and the same choices give
 * the same run (hash seeds come from the plan, see gr_sched_seed).
 *
 * Memory ordering: the scheduler's own state (thread states, step and op
 * logs) is touched only by the baton holder; sem_post/sem_wait order one
 * holder's writes before the next holder's reads. The baton orders the
 * program's accesses too, which is why this scheduler never reports a data
 * race by itself: races show up through their effects (the Go-style
 * detector, crashes, non-linearizable histories).
 *
 * Locks: a blocked acquirer never waits on the real lock. It try-locks; on
 * failure it is marked blocked on that lock and gives the baton away;
 * unlocking wakes (re-enables) every thread blocked on it, which retries.
 * When no thread is enabled and some are blocked, that is a deadlock,
 * reported as a finding.
 */
#define GEORACE_SCHED 1 /* the definitions of the hooks declared there */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "georace/cache.h"
#include "georace/explore.h"
#include "georace/rng.h"
#include "hb.h"
#include "sched_hooks.h"
#include "xsched.h"
#include "xrun.h"

enum gr_sched_state { GR_TH_NEW, GR_TH_READY, GR_TH_BLOCKED, GR_TH_DONE };

struct gr_sched_thread {
    sem_t sem;
    enum gr_sched_state state;
    const void *blocked_on;
    const char *what, *file;
    int line;
    pthread_t tid;
};

static struct gr_x_run *gr_x;
static gr_cache *gr_x_cache;
static void *gr_x_map; /* API scenarios: the sync.Map under test */
static struct gr_sched_thread gr_th[GR_SCN_MAXT];
static sem_t gr_x_done;
static uint64_t gr_x_rng[4];
static uint64_t gr_x_seedctr;
static unsigned gr_x_prio[GR_SCN_MAXT];
static _Thread_local int gr_self = -1;

static _Noreturn void
gr_x_end(int status, const char *msg)
{
    if (msg)
        snprintf(gr_x->msg, sizeof gr_x->msg, "%s", msg);
    _exit(status);
}

static unsigned
gr_x_enabled(void)
{
    unsigned m = 0;
    for (unsigned t = 0; t < gr_x->scn.nthreads; t++)
        if (gr_th[t].state == GR_TH_NEW || gr_th[t].state == GR_TH_READY)
            m |= 1u << t;
    return m;
}

static int
gr_x_policy(unsigned mask, int cur, uint32_t step)
{
    const struct gr_x_plan *p = &gr_x->plan;
    if (p->policy == GR_X_RANDOM) {
        unsigned n = (unsigned)__builtin_popcount(mask);
        unsigned k = (unsigned)(gr_rng_xoshiro_next(gr_x_rng) % n);
        for (unsigned t = 0;; t++)
            if ((mask >> t & 1) && k-- == 0)
                return (int)t;
    }
    if (p->policy == GR_X_PCT) {
        for (unsigned j = 0; j < p->nchange; j++)
            if (p->change[j] == step && cur >= 0)
                gr_x_prio[cur] = p->nchange - j; /* below every initial priority */
        int best = -1;
        for (unsigned t = 0; t < gr_x->scn.nthreads; t++)
            if ((mask >> t & 1) && (best < 0 || gr_x_prio[t] > gr_x_prio[best]))
                best = (int)t;
        return best;
    }
    if (cur >= 0 && (mask >> cur & 1))
        return cur;
    return __builtin_ctz(mask);
}

/* The next thread to run; cur = the thread that stopped at a point and can
 * go on (-1 when it blocked, finished, or at the start). -1: all done. */
static int
gr_x_pick(int cur)
{
    unsigned mask = gr_x_enabled();
    if (!mask) {
        for (unsigned t = 0; t < gr_x->scn.nthreads; t++)
            if (gr_th[t].state == GR_TH_BLOCKED) {
                char m[200];
                int n = snprintf(m, sizeof m, "deadlock: every live thread waits for a lock:");
                for (unsigned u = 0; u < gr_x->scn.nthreads && n < (int)sizeof m; u++)
                    if (gr_th[u].state == GR_TH_BLOCKED)
                        n += snprintf(m + n, sizeof m - (size_t)n, " T%u at %s:%d", u,
                                      strrchr(gr_th[u].file, '/') ? strrchr(gr_th[u].file, '/') + 1
                                                                  : gr_th[u].file,
                                      gr_th[u].line);
                gr_x_end(GR_X_EXIT_DEADLOCK, m);
            }
        return -1;
    }
    uint32_t step = gr_x->nsteps;
    if (step >= GR_X_MAXSTEPS)
        gr_x_end(GR_X_EXIT_STEPS, "more scheduling points than the step bound (livelock?)");
    int c;
    if (step < gr_x->plan.prefix_len) {
        c = gr_x->plan.prefix[step];
        if (c >= GR_SCN_MAXT || !(mask >> c & 1)) {
            if (!gr_x->plan.lenient) {
                char m[120];
                snprintf(m, sizeof m, "schedule step %u names thread %d, which cannot run there",
                         (unsigned)step, c);
                gr_x_end(GR_X_EXIT_DIVERGED, m);
            }
            c = gr_x_policy(mask, cur, step);
        }
    } else {
        c = gr_x_policy(mask, cur, step);
    }
    struct gr_x_step *s = &gr_x->steps[step];
    s->cur = (int8_t)cur;
    s->enabled = (uint8_t)mask;
    s->chosen = (uint8_t)c;
    s->what = gr_th[c].what;
    s->file = gr_th[c].file;
    s->line = gr_th[c].line;
    gr_x->nsteps = step + 1;
    gr_th[c].state = GR_TH_READY;
    return c;
}

static void
gr_x_wait(int me)
{
    while (sem_wait(&gr_th[me].sem) && errno == EINTR)
        ;
}

/* Give the baton to next (if it is not me) and wait until it comes back. */
static void
gr_x_switch(int me, int next)
{
    if (next == me)
        return;
    sem_post(&gr_th[next].sem);
    gr_x_wait(me);
}

static void
gr_x_at(int me, const char *what, const char *file, int line)
{
    gr_th[me].what = what;
    gr_th[me].file = file;
    gr_th[me].line = line;
}

void
gr_sched_point(const char *what, const char *file, int line)
{
    int me = gr_self;
    if (me < 0)
        return;
    gr_x_at(me, what, file, line);
    gr_x_switch(me, gr_x_pick(me));
}

/* Keep the run's first race in the shared block (the run goes on: a race
 * is judged after the run, below the findings that end it). */
static void
gr_x_race_note(void)
{
    if (!gr_x->race[0] && gr_hb_first_race()[0])
        snprintf(gr_x->race, sizeof gr_x->race, "%s", gr_hb_first_race());
}

void
gr_sched_atomic(const char *what, int kind, int order, const void *obj, size_t size,
                const char *file, int line)
{
    gr_sched_point(what, file, line);
    if (gr_self < 0)
        return;
    struct gr_hb_site site = {what, file, line};
    gr_hb_atomic((unsigned)gr_self, obj, size, kind, order, &site);
    gr_x_race_note();
}

bool
gr_sched_cas_done(bool ok, int succ, int fail, const void *obj, size_t size, const char *what,
                  const char *file, int line)
{
    if (gr_self < 0)
        return ok;
    struct gr_hb_site site = {what, file, line};
    gr_hb_atomic((unsigned)gr_self, obj, size, ok ? GR_SCHED_RMW : GR_SCHED_LOAD, ok ? succ : fail,
                 &site);
    gr_x_race_note();
    return ok;
}

void
gr_sched_access(const char *what, const void *p, size_t n, bool write, const char *file, int line)
{
    gr_sched_point(what, file, line);
    if (gr_self < 0)
        return;
    struct gr_hb_site site = {what, file, line};
    gr_hb_plain((unsigned)gr_self, p, n, write, &site);
    gr_x_race_note();
}

void
gr_sched_note(const char *what, const void *p, size_t n, bool write, const char *file, int line)
{
    if (gr_self < 0)
        return;
    struct gr_hb_site site = {what, file, line};
    gr_hb_plain((unsigned)gr_self, p, n, write, &site);
    gr_x_race_note();
}

static void
gr_x_block(const void *obj, const char *what, const char *file, int line)
{
    int me = gr_self;
    gr_x_at(me, what, file, line);
    gr_th[me].state = GR_TH_BLOCKED;
    gr_th[me].blocked_on = obj;
    gr_x_switch(me, gr_x_pick(-1)); /* never me: I am not enabled */
}

static void
gr_x_wake(const void *obj)
{
    for (unsigned t = 0; t < gr_x->scn.nthreads; t++)
        if (gr_th[t].state == GR_TH_BLOCKED && gr_th[t].blocked_on == obj)
            gr_th[t].state = GR_TH_READY;
}

int
gr_sched_mutex_lock(pthread_mutex_t *mu, const char *file, int line)
{
    if (gr_self < 0)
        return pthread_mutex_lock(mu);
    gr_sched_point("lock", file, line);
    while (pthread_mutex_trylock(mu))
        gr_x_block(mu, "lock (retry)", file, line);
    gr_hb_lock((unsigned)gr_self, mu, 'm');
    return 0;
}

int
gr_sched_mutex_unlock(pthread_mutex_t *mu, const char *file, int line)
{
    if (gr_self < 0)
        return pthread_mutex_unlock(mu);
    gr_sched_point("unlock", file, line);
    gr_hb_unlock((unsigned)gr_self, mu, 'm');
    int rc = pthread_mutex_unlock(mu);
    gr_x_wake(mu);
    return rc;
}

int
gr_sched_rwlock_lock(pthread_rwlock_t *l, int write, const char *file, int line)
{
    if (gr_self < 0)
        return write ? pthread_rwlock_wrlock(l) : pthread_rwlock_rdlock(l);
    gr_sched_point(write ? "wrlock" : "rdlock", file, line);
    while (write ? pthread_rwlock_trywrlock(l) : pthread_rwlock_tryrdlock(l))
        gr_x_block(l, write ? "wrlock (retry)" : "rdlock (retry)", file, line);
    gr_hb_lock((unsigned)gr_self, l, write ? 'w' : 'r');
    return 0;
}

int
gr_sched_rwlock_unlock(pthread_rwlock_t *l, const char *file, int line)
{
    if (gr_self < 0)
        return pthread_rwlock_unlock(l);
    gr_sched_point("unlock", file, line);
    gr_hb_unlock((unsigned)gr_self, l, 'l');
    int rc = pthread_rwlock_unlock(l);
    gr_x_wake(l);
    return rc;
}

_Noreturn void
gr_sched_fatal(const char *msg)
{
    if (gr_self < 0 || !gr_x) {
        fprintf(stderr, "fatal error: %s\n", msg);
        _exit(2);
    }
    char m[200];
    const char *file = gr_th[gr_self].file ? gr_th[gr_self].file : "?";
    const char *base = strrchr(file, '/');
    snprintf(m, sizeof m, "fatal error: %s (thread T%d after %s:%d)", msg, gr_self,
             base ? base + 1 : file, gr_th[gr_self].line);
    gr_x_end(GR_X_EXIT_FATAL, m);
}

uint64_t
gr_sched_seed(void)
{
    return gr_rng_mix64(gr_x_seedctr++ * 0x9e3779b97f4a7c15ULL + 0x243f6a8885a308d3ULL);
}

/* ---- the scenario's threads ---- */

static void gr_x_do(unsigned me, const struct gr_scn_op *op);

struct gr_x_range_ctx {
    unsigned me;
    struct gr_x_op *h;
    const struct gr_scn_op *op;
    bool stored;
};

/* Range's callback: note each key visited (twice, or one the scenario does
 * not have, is a `dup`); a RANGE_STORE calls Store back into the map at
 * its first visit (recorded as an operation of its own, nested inside the
 * Range's interval). */
static bool
gr_x_range_fn(const gr_ip *k, uintptr_t v, void *ctx)
{
    struct gr_x_range_ctx *c = ctx;
    unsigned i = 0;
    for (gr_ip ki; i < GR_SCN_KEYS; i++) {
        gr_scn_key(i, &ki);
        if (!memcmp(&ki, k, sizeof ki))
            break;
    }
    if (i == GR_SCN_KEYS || (c->h->visited >> i & 1)) {
        c->h->dup = true;
    } else {
        c->h->visited |= (uint8_t)(1u << i);
        c->h->seen[i] = (uint16_t)v;
    }
    if (c->op->kind == GR_SCN_RANGE_STORE && !c->stored) {
        struct gr_scn_op st = {GR_SCN_PUT, c->op->key, c->op->value, 0};
        c->stored = true;
        gr_x_do(c->me, &st);
        gr_x->ops[gr_x->nops - 1].nested = true;
    }
    return true;
}

/* One sync.Map operation of an API scenario on gr_x_map. */
static void
gr_x_do_api(unsigned me, const struct gr_scn_op *op, struct gr_x_op *h, const gr_ip *k)
{
    const gr_explore_map_ops *m = gr_x->map_ops;
    uintptr_t v = 0;
    switch (op->kind) {
    case GR_SCN_GET:
        h->hit = m->load(gr_x_map, k, &v);
        h->value = h->hit ? (uint16_t)v : 0;
        break;
    case GR_SCN_PUT:
        m->store(gr_x_map, k, op->value);
        break;
    case GR_SCN_CLEAR:
        m->clear(gr_x_map);
        break;
    case GR_SCN_LOAD_OR_STORE:
        h->hit = m->load_or_store(gr_x_map, k, op->value, &v);
        h->out = (uint16_t)v;
        break;
    case GR_SCN_LOAD_AND_DELETE:
        h->hit = m->load_and_delete(gr_x_map, k, &v);
        h->value = h->hit ? (uint16_t)v : 0;
        break;
    case GR_SCN_DELETE:
        m->delete_(gr_x_map, k);
        break;
    case GR_SCN_SWAP:
        h->hit = m->swap(gr_x_map, k, op->value, &v);
        h->out = h->hit ? (uint16_t)v : 0;
        break;
    case GR_SCN_CAS:
        h->hit = m->compare_and_swap(gr_x_map, k, op->old, op->value);
        break;
    case GR_SCN_CAD:
        h->hit = m->compare_and_delete(gr_x_map, k, op->old);
        break;
    default: { /* range, range-store */
        struct gr_x_range_ctx c = {me, h, op, false};
        m->range(gr_x_map, gr_x_range_fn, &c);
        break;
    }
    }
}

static void
gr_x_do(unsigned me, const struct gr_scn_op *op)
{
    struct gr_x_op *h = &gr_x->ops[gr_x->nops++];
    memset(h, 0, sizeof *h);
    h->thread = (uint8_t)me;
    h->kind = op->kind;
    h->key = op->key;
    h->value = op->value;
    h->old = op->old;
    h->inv = ++gr_x->events;
    h->step_inv = gr_x->nsteps;
    gr_ip k;
    gr_scn_key(op->key, &k);
    gr_country v = 0;
    if (gr_x->scn.api) {
        gr_x_do_api(me, op, h, &k);
    } else if (op->kind == GR_SCN_GET) {
        h->hit = gr_cache_get(gr_x_cache, &k, &v);
        h->value = h->hit ? v : 0;
    } else if (op->kind == GR_SCN_PUT) {
        gr_cache_put(gr_x_cache, &k, op->value);
    } else {
        gr_cache_clear(gr_x_cache);
    }
    h->resp = ++gr_x->events;
    h->step_resp = gr_x->nsteps;
}

static void *
gr_x_thread(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;
    gr_x_wait((int)me);
    gr_self = (int)me;
    for (unsigned i = 0; i < gr_x->scn.nops[me]; i++)
        gr_x_do(me, &gr_x->scn.ops[me][i]);
    gr_self = -1;
    gr_th[me].state = GR_TH_DONE;
    gr_x_at((int)me, "exit", "", 0);
    int next = gr_x_pick(-1);
    if (next < 0)
        sem_post(&gr_x_done);
    else
        sem_post(&gr_th[next].sem);
    return NULL;
}

/* One run of x's plan; returns when it ended normally (every thread
 * joined, the cache destroyed). Any other end _exits the process. */
static void
gr_x_child_run(struct gr_x_run *x)
{
    gr_x = x;
    alarm(20); /* a run that hangs outside any scheduling point dies by SIGALRM */
    gr_rng_xoshiro_seed(gr_x_rng, x->plan.seed);
    gr_x_seedctr = x->plan.run_seed;
    for (unsigned t = 0; t < GR_SCN_MAXT; t++)
        gr_x_prio[t] = x->plan.prio[t];
    gr_x_cache = NULL;
    gr_x_map = NULL;
    gr_hb_reset(x->scn.nthreads);
    if (x->scn.api) {
        if (!x->map_ops || !(gr_x_map = x->map_ops->create()))
            gr_x_end(GR_X_EXIT_SETUP, "cannot create the map");
    } else {
        int rc = x->factory ? x->factory(&gr_x_cache) : gr_xcache_create(x->variant, &gr_x_cache);
        if (rc || !gr_x_cache)
            gr_x_end(GR_X_EXIT_SETUP, "cannot create the cache");
    }
    /* the setup: this thread alone, before the others exist (no points) */
    for (unsigned i = 0; i < x->scn.ninit; i++)
        gr_x_do(GR_X_SETUP, &x->scn.init[i]);
    sem_init(&gr_x_done, 0, 0);
    for (unsigned t = 0; t < x->scn.nthreads; t++) {
        memset(&gr_th[t], 0, sizeof gr_th[t]);
        sem_init(&gr_th[t].sem, 0, 0);
        gr_th[t].state = GR_TH_NEW;
        gr_x_at((int)t, "start", "", 0);
        if (pthread_create(&gr_th[t].tid, NULL, gr_x_thread, (void *)(uintptr_t)t))
            gr_x_end(GR_X_EXIT_SETUP, "cannot create a thread");
    }
    int first = gr_x_pick(-1);
    sem_post(&gr_th[first].sem);
    while (sem_wait(&gr_x_done) && errno == EINTR)
        ;
    for (unsigned t = 0; t < x->scn.nthreads; t++) {
        pthread_join(gr_th[t].tid, NULL);
        sem_destroy(&gr_th[t].sem);
    }
    sem_destroy(&gr_x_done);
    if (gr_x_map)
        x->map_ops->destroy(gr_x_map);
    else
        gr_cache_destroy(gr_x_cache);
    gr_x_cache = NULL;
    gr_x_map = NULL;
    alarm(0);
}

_Noreturn void
gr_x_serve(struct gr_x_run *x, int fd)
{
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != 1)
            _exit(GR_X_EXIT_OK); /* the parent closed the channel */
        gr_x_child_run(x);
        if (write(fd, &c, 1) != 1)
            _exit(GR_X_EXIT_OK);
    }
}
