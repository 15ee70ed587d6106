/*
 * ebr.c - epoch-based reclamation in C11 atomics (Fraser's three epochs).
 *
 * State: a global epoch E; per thread a record with `state` = (epoch << 1 |
 * active) and three limbo lists, one per epoch modulo 3, owned by that
 * thread alone.
 *
 *   enter:   g = load(E); store(state, g<<1 | 1)            (seq_cst)
 *   exit:    store(state, g<<1)                              (seq_cst)
 *   retire:  t = load(E) after the unlink; push onto limbo[t % 3]
 *   advance: g = load(E); every active record must show epoch g;
 *            then CAS(E, g, g + 1)                           (seq_cst)
 *   free:    limbo lists tagged t with t + 2 <= E
 *
 * Why a node tagged t is unreachable for everyone when E reaches t + 2.
 * Every operation above, and every store or CAS that unlinks a node and
 * every load that follows a link in the structures using this (syncmap.c),
 * is seq_cst, so they all lie in one total order S. Let reader R load a
 * link to node X inside a critical section begun with announcement P of
 * epoch p. If the load read the link before the unlink U, then
 * P <S load <S U <S (the retirer's load of E, which gave t), so p <= t. For
 * E to go from t+1 to t+2 some thread loaded E == t+1 after that, then
 * loaded R's state: it sees P or a later store. Seeing P (active, p <= t <
 * t+1) blocks the advance; so it saw R's exit (or a later re-entry, which
 * follows the exit in R's program order), and that store happens-before
 * the advancing CAS, whose result the freeing thread read. Hence all of R's
 * accesses to X happen-before free(X). If the load read the link after U,
 * R never saw X. The same release/acquire chain (reader's exit store ->
 * scanner's load -> CAS on E -> freer's load of E) is what ThreadSanitizer
 * follows, so it sees the frees as ordered; no standalone fences are used
 * (TSan does not model them).
 *
 * A limbo list being refilled for epoch t (t % 3 == slot) still holds nodes
 * of t - 3 or older: those expired already (t >= (t-3) + 2) and are freed
 * first. Records are pushed onto a lock-free list and never removed before
 * destroy; a thread that exits marks its record free (release) and a new
 * thread adopts it with a CAS (acquire), inheriting its limbo lists. The
 * thread -> record map is a pthread key per domain, whose destructor frees
 * the record. A thread can die inside a critical section (pthread_exit, or
 * a longjmp out of a Range callback and then the end of the thread): the
 * destructor then also sets the nesting count to 0 and the state to
 * inactive (seq_cst, like exit), since a dead thread reads nothing any
 * more; otherwise the next owner would inherit an active record stuck at
 * an old epoch, the epoch could never advance again and every later
 * retirement would leak. (A thread that leaves a critical section by
 * longjmp and lives on keeps it open: as with a mutex, that is the
 * caller's bug.)
 *
 * Collection is opportunistic: a thread tries to advance and free its own
 * expired lists every 64 critical sections or when it holds 256 nodes or
 * more. What a thread retired just before going idle (a clear ticker
 * between two resets) stays until its next call, or until destroy.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ebr.h"
#include "sched_hooks.h"

#define GR_EBR_COLLECT_EVERY 64
#define GR_EBR_COLLECT_PENDING 256

struct gr_ebr_limbo {
    uint64_t epoch;
    gr_ebr_node *head;
    size_t n;
};

struct gr_ebr_rec {
    _Atomic uint64_t state;
    _Atomic int owned;
    struct gr_ebr_rec *next; /* immutable once published */
    gr_ebr *dom;
    /* owner-only fields */
    unsigned nest;
    unsigned ops;
    struct gr_ebr_limbo limbo[3];
};

struct gr_ebr {
    _Atomic uint64_t epoch;
    _Atomic(struct gr_ebr_rec *) recs;
    pthread_key_t key;
};

static void
gr_ebr_thread_exit(void *p)
{
    struct gr_ebr_rec *r = p;
    /* thread teardown: no scheduling point (the scheduler's thread is gone) */
    r->nest = 0;
    atomic_store(&r->state, atomic_load(&r->state) & ~(uint64_t)1);
    atomic_store_explicit(&r->owned, 0, memory_order_release);
}

int
gr_ebr_create(gr_ebr **out)
{
    gr_ebr *d = calloc(1, sizeof *d);
    if (!d || pthread_key_create(&d->key, gr_ebr_thread_exit)) {
        free(d);
        return -1;
    }
    atomic_init(&d->epoch, 3); /* start where every limbo tag (0) is already expired */
    atomic_init(&d->recs, NULL);
    *out = d;
    return 0;
}

static void
gr_ebr_free_list(gr_ebr_node *n)
{
    while (n) {
        gr_ebr_node *next = n->next;
        n->free_fn(n);
        n = next;
    }
}

void
gr_ebr_destroy(gr_ebr *d)
{
    pthread_key_delete(d->key);
    struct gr_ebr_rec *r = atomic_load(&d->recs);
    while (r) {
        struct gr_ebr_rec *next = r->next;
        for (int i = 0; i < 3; i++)
            gr_ebr_free_list(r->limbo[i].head);
        free(r);
        r = next;
    }
    free(d);
}

static struct gr_ebr_rec *
gr_ebr_register(gr_ebr *d)
{
    struct gr_ebr_rec *r;
    for (r = atomic_load(&d->recs); r; r = r->next) {
        int expect = 0;
        if (atomic_compare_exchange_strong_explicit(&r->owned, &expect, 1, memory_order_acquire,
                                                    memory_order_relaxed))
            break;
    }
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            abort(); /* no record, no safe access: like Go's fatal out of memory */
        atomic_init(&r->owned, 1);
        r->dom = d;
        do
            r->next = atomic_load(&d->recs);
        while (!atomic_compare_exchange_weak(&d->recs, &r->next, r));
    }
    pthread_setspecific(d->key, r);
    return r;
}

gr_ebr_rec *
gr_ebr_enter(gr_ebr *d)
{
    struct gr_ebr_rec *r = pthread_getspecific(d->key);
    if (!r)
        r = gr_ebr_register(d);
    if (r->nest++ == 0) {
        uint64_t e = GR_SCHED_ATOMIC("load d->epoch", GR_SCHED_LOAD, memory_order_seq_cst,
                                     &d->epoch, atomic_load(&d->epoch));
        GR_SCHED_ATOMIC("store r->state", GR_SCHED_STORE, memory_order_seq_cst, &r->state,
                        atomic_store(&r->state, e << 1 | 1));
    }
    return r;
}

static void
gr_ebr_free_expired(struct gr_ebr_rec *r, uint64_t e)
{
    for (int i = 0; i < 3; i++) {
        struct gr_ebr_limbo *l = &r->limbo[i];
        if (l->head && l->epoch + 2 <= e) {
            gr_ebr_node *n = l->head;
            l->head = NULL;
            l->n = 0;
            gr_ebr_free_list(n);
        }
    }
}

/* One attempt to move the global epoch on; returns the epoch seen last. */
static uint64_t
gr_ebr_advance(gr_ebr *d)
{
    uint64_t g = GR_SCHED_ATOMIC("load d->epoch", GR_SCHED_LOAD, memory_order_seq_cst, &d->epoch,
                                 atomic_load(&d->epoch));
    for (struct gr_ebr_rec *r = atomic_load(&d->recs); r; r = r->next) {
        uint64_t s = GR_SCHED_ATOMIC("load r->state", GR_SCHED_LOAD, memory_order_seq_cst,
                                     &r->state, atomic_load(&r->state));
        if ((s & 1) && (s >> 1) != g)
            return g;
    }
    if (GR_SCHED_CAS("cas d->epoch", memory_order_seq_cst, memory_order_seq_cst, &d->epoch,
                     atomic_compare_exchange_strong(&d->epoch, &g, g + 1)))
        return g + 1;
    return g;
}

void
gr_ebr_collect(gr_ebr_rec *r)
{
    gr_ebr_free_expired(r, gr_ebr_advance(r->dom));
}

void
gr_ebr_exit(gr_ebr_rec *r)
{
    if (--r->nest)
        return;
    GR_SCHED_ATOMIC("store r->state", GR_SCHED_STORE, memory_order_seq_cst, &r->state,
                    atomic_store(&r->state, atomic_load(&r->state) & ~(uint64_t)1));
    size_t pending = gr_ebr_pending(r);
    if ((++r->ops >= GR_EBR_COLLECT_EVERY && pending) || pending >= GR_EBR_COLLECT_PENDING) {
        r->ops = 0;
        gr_ebr_collect(r);
    }
}

void
gr_ebr_retire(gr_ebr_rec *r, gr_ebr_node *n, void (*free_fn)(gr_ebr_node *n))
{
    uint64_t t = GR_SCHED_ATOMIC("load r->dom->epoch", GR_SCHED_LOAD, memory_order_seq_cst,
                                 &r->dom->epoch, atomic_load(&r->dom->epoch));
    struct gr_ebr_limbo *l = &r->limbo[t % 3];
    if (l->epoch != t) {
        gr_ebr_node *old = l->head; /* tagged t - 3 or older: expired */
        l->head = NULL;
        l->n = 0;
        l->epoch = t;
        gr_ebr_free_list(old);
    }
    n->free_fn = free_fn;
    n->next = l->head;
    l->head = n;
    l->n++;
}

size_t
gr_ebr_pending(const gr_ebr_rec *r)
{
    return r->limbo[0].n + r->limbo[1].n + r->limbo[2].n;
}

uint64_t
gr_ebr_epoch(gr_ebr *d)
{
    return atomic_load(&d->epoch);
}
