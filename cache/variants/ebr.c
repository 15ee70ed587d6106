/*
 * ebr.c - epoch-based reclamation in C11 atomics (Fraser's three epochs).
 *
 * State: a global epoch E; per thread a record with `state` = (epoch << 1 |
 * active) and three limbo lists, one per epoch modulo 3, owned by that
 * thread alone.
 *
 *   enter:   g = load(E); store(state, g<<1 | 1)            (seq_cst)
 *   exit:    store(state, g<<1)                              (release)
 *   retire:  t = load(E) after the unlink; push onto limbo[t % 3]
 *   advance: g = load(E); every active record must show epoch g;
 *            then CAS(E, g, g + 1)                           (seq_cst)
 *   free:    limbo lists tagged t with t + 2 <= E
 *
 * Why a node tagged t is unreachable for everyone when E reaches t + 2.
 * The enter store, every store or CAS that unlinks a node and every load
 * that follows a link in the structures using this (syncmap.c), and the
 * loads of E and of the records by retirers and scanners are seq_cst, so
 * they all lie in one total order S. Let reader R load a link to node X
 * inside a critical section begun with announcement P of epoch p. If the
 * load read the link before the unlink U, then P <S load <S U <S (the
 * retirer's load of E, which gave t), so p <= t. For E to go from t+1 to
 * t+2 some thread loaded E == t+1 after that, then loaded R's state with a
 * seq_cst load L, P <S L. A seq_cst load reads the last seq_cst store
 * before it in S or a store that is not seq_cst and not happening-before
 * that one: here P, or a later store of R's (R's exit, or a later enter,
 * which follows the exit in R's program order); never R's exit from before
 * P, which happens-before P. Seeing P (active, p <= t < t+1) blocks the
 * advance; so L read R's exit or later, and the exit, a release store,
 * synchronises with L (an acquire). Then L is sequenced before the
 * advancing CAS, whose result the freeing thread read: all of R's accesses
 * to X happen-before free(X). If the load read the link after U, R never
 * saw X. Only the enter store needs seq_cst: it must be ordered before the
 * section's loads (a store-load order that release cannot give; on x86 it
 * is the one locked instruction per section). The exit needs only to
 * publish what came before it, so it is a release store, a plain move on
 * x86. The chain (exit release -> scanner's load -> CAS on E -> freer's
 * load of E) is also what ThreadSanitizer follows, so it sees the frees as
 * ordered; no standalone fences are used (TSan does not model them).
 *
 * A limbo list being refilled for epoch t (t % 3 == slot) still holds nodes
 * of t - 3 or older: those expired already (t >= (t-3) + 2) and are freed
 * first. Records are pushed onto a lock-free list and never removed before
 * destroy; a thread that exits marks its record free (release) and a new
 * thread adopts it with a CAS (acquire), inheriting its limbo lists. The
 * thread -> record map is a pthread key per domain, whose destructor frees
 * the record; a thread-local cache of the last domain's record (by a
 * domain id never reused) saves the key lookup on every section. A thread can die inside a critical
 * section (pthread_exit, or a longjmp out of a Range callback and then the end of the thread): the
 * destructor then also sets the nesting count to 0 and the state to
 * inactive (seq_cst, like exit), since a dead thread reads nothing any
 * more; otherwise the next owner would inherit an active record stuck at
 * an old epoch, the epoch could never advance again and every later
 * retirement would leak. (A thread that leaves a critical section by
 * longjmp and lives on keeps it open: as with a mutex, that is the
 * caller's bug.)
 *
 * Collection is opportunistic: a thread tries to advance and free its own
 * expired lists every 64 critical sections (gr_ebr_set_collect_every: the
 * explorer uses 1, so that an advance and a free are a few operations
 * away) or when it holds 256 nodes or more. What a thread retired just before going idle (a clear
 * ticker between two resets) would stay until its next call: gr_ebr_drain lets such a thread wait,
 * outside any section, for the two advances that free it. Readers that are not inside a section
 * never hold an advance up, so on an idle map the drain ends at once; busy readers leave their
 * sections within an operation. The wait is bounded all the same.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ebr.h"
#include "georace/clock.h"
#include "sched_hooks.h"

#define GR_EBR_COLLECT_EVERY 64
#define GR_EBR_COLLECT_PENDING 256

struct gr_ebr_limbo {
    uint64_t epoch;
    gr_ebr_node *head;
    size_t n;
};

/* Records and the epoch sit on cache lines of their own: every section
 * writes its thread's state, and records of two threads on one line would
 * bounce that line between the cores on every operation. */
#define GR_EBR_LINE 64

struct gr_ebr_rec {
    _Alignas(GR_EBR_LINE) _Atomic uint64_t state;
    _Atomic int owned;
    struct gr_ebr_rec *next; /* immutable once published */
    gr_ebr *dom;
    /* owner-only fields */
    unsigned nest;
    unsigned ops;
    struct gr_ebr_limbo limbo[3];
};

struct gr_ebr {
    _Alignas(GR_EBR_LINE) _Atomic uint64_t epoch;
    _Alignas(GR_EBR_LINE) _Atomic(struct gr_ebr_rec *) recs;
    pthread_key_t key;
    uint64_t id;    /* unique per domain, never reused */
    unsigned every; /* collect every this many critical sections */
};

static _Atomic uint64_t gr_ebr_next_id = 1;

/* This thread's record in the domain it used last. */
static _Thread_local struct {
    uint64_t id;
    struct gr_ebr_rec *rec;
} gr_ebr_last;

static void
gr_ebr_thread_exit(void *p)
{
    struct gr_ebr_rec *r = p;
    /* thread teardown: no scheduling point (the scheduler's thread is gone) */
    if (gr_ebr_last.rec == r) /* a later destructor must not reuse it */
        gr_ebr_last.id = 0, gr_ebr_last.rec = NULL;
    r->nest = 0;
    atomic_store(&r->state, atomic_load(&r->state) & ~(uint64_t)1);
    atomic_store_explicit(&r->owned, 0, memory_order_release);
}

int
gr_ebr_create(gr_ebr **out)
{
    gr_ebr *d = aligned_alloc(GR_EBR_LINE, sizeof *d);
    if (d)
        memset(d, 0, sizeof *d);
    if (!d || pthread_key_create(&d->key, gr_ebr_thread_exit)) {
        free(d);
        return -1;
    }
    d->id = atomic_fetch_add_explicit(&gr_ebr_next_id, 1, memory_order_relaxed);
    atomic_init(&d->epoch, 3); /* start where every limbo tag (0) is already expired */
    d->every = GR_EBR_COLLECT_EVERY;
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
        r = aligned_alloc(GR_EBR_LINE, sizeof *r);
        if (!r)
            abort(); /* no record, no safe access: like Go's fatal out of memory */
        memset(r, 0, sizeof *r);
        atomic_init(&r->owned, 1);
        r->dom = d;
        do
            r->next = atomic_load(&d->recs);
        while (!atomic_compare_exchange_weak(&d->recs, &r->next, r));
    }
    pthread_setspecific(d->key, r);
    return r;
}

static struct gr_ebr_rec *
gr_ebr_mine(gr_ebr *d)
{
    if (gr_ebr_last.id == d->id)
        return gr_ebr_last.rec;
    struct gr_ebr_rec *r = pthread_getspecific(d->key);
    if (!r)
        r = gr_ebr_register(d);
    gr_ebr_last.id = d->id;
    gr_ebr_last.rec = r;
    return r;
}

gr_ebr_rec *
gr_ebr_enter(gr_ebr *d)
{
    struct gr_ebr_rec *r = gr_ebr_mine(d);
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
    uint64_t s = atomic_load_explicit(&r->state, memory_order_relaxed); /* our own */
    GR_SCHED_ATOMIC("store r->state", GR_SCHED_STORE, memory_order_release, &r->state,
                    atomic_store_explicit(&r->state, s & ~(uint64_t)1, memory_order_release));
    size_t pending = gr_ebr_pending(r);
    if ((++r->ops >= r->dom->every && pending) || pending >= GR_EBR_COLLECT_PENDING) {
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

void
gr_ebr_set_collect_every(gr_ebr *d, unsigned n)
{
    d->every = n ? n : 1;
}

size_t
gr_ebr_drain(gr_ebr *d, uint64_t max_ns)
{
    struct gr_ebr_rec *r = gr_ebr_mine(d);
    if (r->nest) /* inside a section: our own announcement would block it */
        return gr_ebr_pending(r);
    const struct timespec pause = {0, 20000}; /* 20 us between tries */
    uint64_t t0 = gr_clock_now_ns();
    for (;;) {
        gr_ebr_collect(r);
        if (!gr_ebr_pending(r) || gr_clock_now_ns() - t0 >= max_ns)
            break;
        nanosleep(&pause, NULL);
    }
    return gr_ebr_pending(r);
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
