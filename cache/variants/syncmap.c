/*
 * syncmap.c - Go's sync.Map in C11 atomics, with epoch-based reclamation.
 *
 * Design (Go <= 1.23). The map is a read-only snapshot plus a dirty map:
 *
 *   read   atomic pointer to {map, amended}; the map is never modified after
 *          it is published, so Load of a key present there takes no lock.
 *   dirty  a map under `mu` holding every live key: the snapshot's keys
 *          (same entry objects) plus new ones. `amended` says the dirty map
 *          has keys the snapshot lacks. NULL until the first new key.
 *   misses how many lookups fell through to dirty; when it reaches the
 *          dirty map's size, dirty becomes the new snapshot (promotion) and
 *          dirty goes back to NULL.
 *   entry  one per key, shared by the snapshot and dirty: an atomic word
 *          holding the value, NIL when deleted, or EXPUNGED when deleted
 *          and left out of the dirty map. Rebuilding dirty from the snapshot
 *          (after a promotion) turns NULL entries into EXPUNGED and skips
 *          them; storing to an expunged key first reverts it to NULL under
 *          the lock and adds it back to dirty.
 *
 * So a stable key set costs no locks, while a stream of new keys costs one
 * lock per miss and one O(n) copy per promotion.
 *
 * Values. Go's entry points at a boxed `any`; here the value is a word
 * below 2^63 kept in the entry itself: (v << 1 | 1), with 0 for Go's nil
 * and 2 for expunged. Same states, same transitions, same CASes: an entry
 * that Go would point at a fresh box holding v holds the word of v, and
 * Go's CompareAndSwap compares *p with old, which is what a CAS on the word
 * does. It saves a malloc per Store of a present key, a dependent load per
 * Load, and the retirement of the old box.
 *
 * Memory ordering. Every atomic here is seq_cst (the default): the snapshot
 * pointer, the entry words and EBR's announcements. The snapshot's map is
 * plain memory written before the pointer that publishes it (a seq_cst
 * store, which releases) and read after loading that pointer (a seq_cst
 * load, which acquires), so readers always see it complete. Everything
 * under `mu` (dirty, misses, building maps) is ordered by the mutex.
 * Retired snapshots, maps and entries are handed to EBR (ebr.c), whose
 * argument needs exactly this: unlinking stores and link-following loads
 * are seq_cst. Every public function is
 * one EBR critical section.
 *
 * Who retires what:
 *   snapshot  by whoever published its replacement (under mu);
 *   map       the snapshot's map, when a promotion or Clear replaces it;
 *             with it its EXPUNGED entries (exactly those not in dirty);
 *   entry     LoadAndDelete of a dirty-only key retires it after removing
 *             it from dirty; Clear retires dirty's entries and the
 *             snapshot's expunged ones (or all of the snapshot's when there
 *             is no dirty map).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_hooks.h"
#include "syncmap.h"
#include "variants.h"

struct gr_syncmap_entry {
    gr_ebr_node node;
    _Atomic uintptr_t p; /* GR_SYNCMAP_NIL, GR_SYNCMAP_EXPUNGED or a value's word */
};

struct gr_syncmap_read {
    gr_ebr_node node;
    gr_hashmap *m; /* NULL: empty */
    bool amended;
};

struct gr_syncmap_hmap {
    gr_ebr_node node;
    gr_hashmap map;
};

#define GR_SYNCMAP_NIL ((uintptr_t)0)
#define GR_SYNCMAP_EXPUNGED ((uintptr_t)2)

static inline uintptr_t
gr_syncmap_word(uintptr_t v)
{
    return v << 1 | 1;
}

/* The word holds a value (not NIL, not EXPUNGED). */
static inline bool
gr_syncmap_holds(uintptr_t w)
{
    return w & 1;
}

static inline uintptr_t
gr_syncmap_value(uintptr_t w)
{
    return w >> 1;
}

#define GR_SYNCMAP_OF(type, ptr, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static _Noreturn void
gr_syncmap_oom(void)
{
    fputs("fatal error: out of memory in syncmap\n", stderr);
    abort();
}

static void *
gr_syncmap_alloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p)
        gr_syncmap_oom();
    return p;
}

/* A snapshot is read by every operation; allocated next to the dirty map's
 * header (as calloc would put it), it would share a cache line with the
 * length that every new key writes. So it gets a line of its own. */
#define GR_SYNCMAP_LINE 64

static struct gr_syncmap_read *
gr_syncmap_read_new(void)
{
    _Static_assert(sizeof(struct gr_syncmap_read) <= GR_SYNCMAP_LINE, "one line");
    struct gr_syncmap_read *r = aligned_alloc(GR_SYNCMAP_LINE, GR_SYNCMAP_LINE);
    if (!r)
        gr_syncmap_oom();
    memset(r, 0, GR_SYNCMAP_LINE);
    return r;
}

static void
gr_syncmap_map_free(gr_ebr_node *n)
{
    struct gr_syncmap_hmap *h = GR_SYNCMAP_OF(struct gr_syncmap_hmap, n, node);
    gr_hashmap_free(&h->map);
    free(h);
}

/* What EBR frees (the retire callbacks below). In explored runs
 * (GEORACE_SCHED) it is not freed but filled with a pattern and kept until
 * the map is destroyed: a reader that reaches an object EBR gave up on
 * follows a wild pointer and crashes, or loads a wrong value (which the
 * linearizability oracle sees), even without AddressSanitizer - and the
 * allocator cannot hand the memory to a new object that would hide the
 * mistake. An explored run uses one map at a time; the scheduler runs one
 * thread at a time, which orders the list's accesses. */
#ifdef GEORACE_SCHED
static gr_ebr_node *gr_syncmap_quarantine;

static void
gr_syncmap_dispose(gr_ebr_node *n, size_t size)
{
    memset(n, 0xa5, size);
    n->next = gr_syncmap_quarantine;
    gr_syncmap_quarantine = n;
}

static void
gr_syncmap_quarantine_flush(void)
{
    while (gr_syncmap_quarantine) {
        gr_ebr_node *n = gr_syncmap_quarantine;
        gr_syncmap_quarantine = n->next;
        free(n);
    }
}
#else
static void
gr_syncmap_dispose(gr_ebr_node *n, size_t size)
{
    (void)size;
    free(n);
}

static void
gr_syncmap_quarantine_flush(void)
{
}
#endif

static void
gr_syncmap_entry_retired(gr_ebr_node *n)
{
    gr_syncmap_dispose(n, sizeof(struct gr_syncmap_entry)); /* the entry starts with its node */
}

static void
gr_syncmap_read_retired(gr_ebr_node *n)
{
    gr_syncmap_dispose(n, sizeof(struct gr_syncmap_read)); /* the snapshot starts with its node */
}

static void
gr_syncmap_map_retired(gr_ebr_node *n)
{
    struct gr_syncmap_hmap *h = GR_SYNCMAP_OF(struct gr_syncmap_hmap, n, node);
    gr_hashmap_free(&h->map); /* the table (readers reach it only through h) */
    gr_syncmap_dispose(n, sizeof *h);
}

static struct gr_syncmap_entry *
gr_syncmap_entry_new(uintptr_t v)
{
    struct gr_syncmap_entry *e = gr_syncmap_alloc(sizeof *e);
    atomic_init(&e->p, gr_syncmap_word(v));
    return e;
}

static gr_hashmap *
gr_syncmap_map_new(size_t hint, uint64_t seed)
{
    struct gr_syncmap_hmap *h = gr_syncmap_alloc(sizeof *h);
    gr_hashmap_init(&h->map, hint, seed);
    return &h->map;
}

static void
gr_syncmap_map_put(gr_hashmap *m, const gr_ip *key, uint64_t h, struct gr_syncmap_entry *e)
{
    if (gr_hashmap_put(m, key, h, (uintptr_t)e, NULL) < 0)
        gr_syncmap_oom();
}

static bool
gr_syncmap_map_find(const gr_hashmap *m, const gr_ip *key, uint64_t h, struct gr_syncmap_entry **e)
{
    uintptr_t v;
    if (!m || !gr_hashmap_get(m, key, h, &v))
        return false;
    *e = (struct gr_syncmap_entry *)v;
    return true;
}

static inline struct gr_syncmap_read *
gr_syncmap_load_read(gr_syncmap *m)
{
    return GR_SCHED_ATOMIC("load m->go.read", GR_SCHED_LOAD, memory_order_seq_cst, &m->go.read,
                           atomic_load(&m->go.read));
}

static inline bool
gr_syncmap_amended(const struct gr_syncmap_read *r)
{
    return r && r->amended;
}

static inline bool
gr_syncmap_read_find(const struct gr_syncmap_read *r, const gr_ip *key, uint64_t h,
                     struct gr_syncmap_entry **e)
{
    return r && gr_syncmap_map_find(r->m, key, h, e);
}

/* ---- entry operations (Go's entry methods) ---- */

static inline uintptr_t
gr_syncmap_entry_word(struct gr_syncmap_entry *e)
{
    return GR_SCHED_ATOMIC("load e->p", GR_SCHED_LOAD, memory_order_seq_cst, &e->p,
                           atomic_load(&e->p));
}

static inline bool
gr_syncmap_entry_cas(struct gr_syncmap_entry *e, uintptr_t *expect, uintptr_t w)
{
    return GR_SCHED_CAS("cas e->p", memory_order_seq_cst, memory_order_seq_cst, &e->p,
                        atomic_compare_exchange_weak(&e->p, expect, w));
}

static bool
gr_syncmap_entry_load(struct gr_syncmap_entry *e, uintptr_t *v)
{
    uintptr_t w = gr_syncmap_entry_word(e);
    if (!gr_syncmap_holds(w))
        return false;
    if (v)
        *v = gr_syncmap_value(w);
    return true;
}

/* Swap unless expunged; *old is the previous word (maybe NIL). */
static bool
gr_syncmap_entry_try_swap(struct gr_syncmap_entry *e, uintptr_t w, uintptr_t *old)
{
    uintptr_t p = gr_syncmap_entry_word(e);
    do {
        if (p == GR_SYNCMAP_EXPUNGED)
            return false;
    } while (!gr_syncmap_entry_cas(e, &p, w));
    *old = p;
    return true;
}

static bool
gr_syncmap_entry_unexpunge_locked(struct gr_syncmap_entry *e)
{
    uintptr_t p = GR_SYNCMAP_EXPUNGED;
    return GR_SCHED_CAS("cas e->p", memory_order_seq_cst, memory_order_seq_cst, &e->p,
                        atomic_compare_exchange_strong(&e->p, &p, GR_SYNCMAP_NIL));
}

static bool
gr_syncmap_entry_try_expunge_locked(struct gr_syncmap_entry *e)
{
    uintptr_t p = gr_syncmap_entry_word(e);
    while (p == GR_SYNCMAP_NIL)
        if (gr_syncmap_entry_cas(e, &p, GR_SYNCMAP_EXPUNGED))
            return true;
    return p == GR_SYNCMAP_EXPUNGED;
}

/* false: expunged (nothing done). */
static bool
gr_syncmap_entry_try_load_or_store(struct gr_syncmap_entry *e, uintptr_t v, uintptr_t *actual,
                                   bool *loaded)
{
    uintptr_t p = gr_syncmap_entry_word(e);
    for (;;) {
        if (p == GR_SYNCMAP_EXPUNGED)
            return false;
        if (gr_syncmap_holds(p)) {
            *actual = gr_syncmap_value(p);
            *loaded = true;
            return true;
        }
        if (gr_syncmap_entry_cas(e, &p, gr_syncmap_word(v))) {
            *actual = v;
            *loaded = false;
            return true;
        }
    }
}

static bool
gr_syncmap_entry_delete(struct gr_syncmap_entry *e, uintptr_t *v)
{
    uintptr_t p = gr_syncmap_entry_word(e);
    do {
        if (!gr_syncmap_holds(p))
            return false;
    } while (!gr_syncmap_entry_cas(e, &p, GR_SYNCMAP_NIL));
    if (v)
        *v = gr_syncmap_value(p);
    return true;
}

/* CAS old -> new_ (del: -> NIL), as long as the entry holds old. */
static bool
gr_syncmap_entry_try_cas(struct gr_syncmap_entry *e, uintptr_t old, bool del, uintptr_t new_)
{
    uintptr_t p = gr_syncmap_entry_word(e), want = gr_syncmap_word(old);
    while (p == want)
        if (gr_syncmap_entry_cas(e, &p, del ? GR_SYNCMAP_NIL : gr_syncmap_word(new_)))
            return true;
    return false;
}

/* ---- Map internals (all under mu) ---- */

static void
gr_syncmap_publish_locked(gr_syncmap *m, gr_ebr_rec *rec, gr_hashmap *map, bool amended)
{
    struct gr_syncmap_read *r = gr_syncmap_read_new();
    r->m = map;
    r->amended = amended;
    struct gr_syncmap_read *old =
        GR_SCHED_ATOMIC("exchange m->go.read", GR_SCHED_RMW, memory_order_seq_cst, &m->go.read,
                        atomic_exchange(&m->go.read, r));
    if (old)
        gr_ebr_retire(rec, &old->node, gr_syncmap_read_retired);
}

/* Retire a map no longer reachable; with all_entries false only its
 * expunged entries go with it (the others live on in the dirty map). */
static void
gr_syncmap_retire_map(gr_ebr_rec *rec, gr_hashmap *map, bool all_entries)
{
    const struct gr_hashmap_slot *s;
    for (size_t pos = 0; gr_hashmap_next(map, &pos, &s);) {
        struct gr_syncmap_entry *e = (struct gr_syncmap_entry *)s->value;
        if (all_entries || gr_syncmap_entry_word(e) == GR_SYNCMAP_EXPUNGED)
            gr_ebr_retire(rec, &e->node, gr_syncmap_entry_retired);
    }
    gr_ebr_retire(rec, &GR_SYNCMAP_OF(struct gr_syncmap_hmap, map, map)->node,
                  gr_syncmap_map_retired);
}

static void
gr_syncmap_promote_locked(gr_syncmap *m, gr_ebr_rec *rec)
{
    struct gr_syncmap_read *r = gr_syncmap_load_read(m);
    gr_hashmap *old = r ? r->m : NULL;
    gr_syncmap_publish_locked(m, rec, m->go.dirty, false);
    if (old)
        gr_syncmap_retire_map(rec, old, false);
    m->go.dirty = NULL;
    m->go.misses = 0;
}

static void
gr_syncmap_miss_locked(gr_syncmap *m, gr_ebr_rec *rec)
{
    m->go.misses++;
    if (m->go.misses < gr_hashmap_len(m->go.dirty))
        return;
    gr_syncmap_promote_locked(m, rec);
}

static void
gr_syncmap_dirty_locked(gr_syncmap *m)
{
    if (m->go.dirty)
        return;
    struct gr_syncmap_read *r = gr_syncmap_load_read(m);
    gr_hashmap *src = r ? r->m : NULL;
    gr_hashmap *d = gr_syncmap_map_new(src ? gr_hashmap_len(src) : 0, m->seed);
    const struct gr_hashmap_slot *s;
    for (size_t pos = 0; src && gr_hashmap_next(src, &pos, &s);) {
        struct gr_syncmap_entry *e = (struct gr_syncmap_entry *)s->value;
        if (!gr_syncmap_entry_try_expunge_locked(e))
            gr_syncmap_map_put(d, &s->key, s->hash, e);
    }
    m->go.dirty = d;
}

/* A key the snapshot lacks goes into dirty; the first one marks it amended. */
static void
gr_syncmap_add_locked(gr_syncmap *m, gr_ebr_rec *rec, struct gr_syncmap_read *r, const gr_ip *key,
                      uint64_t h, uintptr_t v)
{
    if (!gr_syncmap_amended(r)) {
        gr_syncmap_dirty_locked(m);
        gr_syncmap_publish_locked(m, rec, r ? r->m : NULL, true);
    }
    gr_syncmap_map_put(m->go.dirty, key, h, gr_syncmap_entry_new(v));
}

/* Find the entry for key: snapshot first, then (locked) the dirty map,
 * counting a miss. Used by the read-mostly methods. Returns with mu
 * unlocked. */
static bool
gr_syncmap_find(gr_syncmap *m, gr_ebr_rec *rec, const gr_ip *key, uint64_t h, bool remove,
                struct gr_syncmap_entry **e)
{
    struct gr_syncmap_read *r = gr_syncmap_load_read(m);
    bool ok = gr_syncmap_read_find(r, key, h, e);
    if (ok || !gr_syncmap_amended(r))
        return ok;
    GR_MUTEX_LOCK(&m->go.mu);
    r = gr_syncmap_load_read(m);
    ok = gr_syncmap_read_find(r, key, h, e);
    if (!ok && gr_syncmap_amended(r)) {
        ok = gr_syncmap_map_find(m->go.dirty, key, h, e);
        if (ok && remove) {
            gr_hashmap_remove(m->go.dirty, key, h, NULL);
            gr_ebr_retire(rec, &(*e)->node, gr_syncmap_entry_retired);
        }
        gr_syncmap_miss_locked(m, rec);
    }
    GR_MUTEX_UNLOCK(&m->go.mu);
    return ok;
}

/* ---- public API ---- */

int
gr_syncmap_init(gr_syncmap *m)
{
    memset(m, 0, sizeof *m);
    if (gr_ebr_create(&m->ebr))
        return -1;
    /* Go's sync.Mutex spins a little before it parks a goroutine; glibc's
     * adaptive mutex does the same before it sleeps in the kernel. The
     * lock is held for a few hundred ns per new key: a plain mutex sent the
     * second thread to futex_wait for most of its misses. */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&m->go.mu, &attr);
    pthread_mutexattr_destroy(&attr);
    atomic_init(&m->go.read, NULL);
    m->seed = gr_variant_seed();
    return 0;
}

static int
gr_syncmap_ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static size_t
gr_syncmap_collect(const gr_hashmap *map, uintptr_t *out, size_t n)
{
    const struct gr_hashmap_slot *s;
    for (size_t pos = 0; map && gr_hashmap_next(map, &pos, &s);)
        out[n++] = s->value;
    return n;
}

void
gr_syncmap_free_value(struct gr_syncmap_read *read, gr_hashmap *dirty)
{
    gr_hashmap *rm = read ? read->m : NULL;
    if (rm == dirty)
        dirty = NULL;
    size_t cap = (rm ? gr_hashmap_len(rm) : 0) + (dirty ? gr_hashmap_len(dirty) : 0);
    uintptr_t *all = gr_syncmap_alloc((cap + 1) * sizeof *all);
    size_t n = gr_syncmap_collect(dirty, all, gr_syncmap_collect(rm, all, 0));
    qsort(all, n, sizeof *all, gr_syncmap_ptr_cmp);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || all[i] != all[i - 1])
            free((struct gr_syncmap_entry *)all[i]);
    free(all);
    if (rm)
        gr_syncmap_map_free(&GR_SYNCMAP_OF(struct gr_syncmap_hmap, rm, map)->node);
    if (dirty)
        gr_syncmap_map_free(&GR_SYNCMAP_OF(struct gr_syncmap_hmap, dirty, map)->node);
    free(read);
}

void
gr_syncmap_destroy(gr_syncmap *m)
{
    gr_syncmap_free_value(atomic_load(&m->go.read), m->go.dirty);
    gr_ebr_destroy(m->ebr);
    gr_syncmap_quarantine_flush();
    pthread_mutex_destroy(&m->go.mu);
}

bool
gr_syncmap_load(gr_syncmap *m, const gr_ip *key, uintptr_t *value)
{
    struct gr_syncmap_entry *e;
    gr_ebr_rec *rec = gr_ebr_enter(m->ebr);
    uint64_t h = gr_ip_hash(key, m->seed);
    bool ok = gr_syncmap_find(m, rec, key, h, false, &e) && gr_syncmap_entry_load(e, value);
    gr_ebr_exit(rec);
    return ok;
}

bool
gr_syncmap_swap(gr_syncmap *m, const gr_ip *key, uintptr_t value, uintptr_t *previous)
{
    struct gr_syncmap_entry *e;
    uintptr_t w = gr_syncmap_word(value), old = GR_SYNCMAP_NIL;
    gr_ebr_rec *rec = gr_ebr_enter(m->ebr);
    uint64_t h = gr_ip_hash(key, m->seed);
    struct gr_syncmap_read *r = gr_syncmap_load_read(m);
    if (!gr_syncmap_read_find(r, key, h, &e) || !gr_syncmap_entry_try_swap(e, w, &old)) {
        GR_MUTEX_LOCK(&m->go.mu);
        r = gr_syncmap_load_read(m);
        if (gr_syncmap_read_find(r, key, h, &e)) {
            if (gr_syncmap_entry_unexpunge_locked(e))
                gr_syncmap_map_put(m->go.dirty, key, h, e);
            old = GR_SCHED_ATOMIC("exchange e->p", GR_SCHED_RMW, memory_order_seq_cst, &e->p,
                                  atomic_exchange(&e->p, w));
        } else if (gr_syncmap_map_find(m->go.dirty, key, h, &e)) {
            old = GR_SCHED_ATOMIC("exchange e->p", GR_SCHED_RMW, memory_order_seq_cst, &e->p,
                                  atomic_exchange(&e->p, w));
        } else {
            gr_syncmap_add_locked(m, rec, r, key, h, value);
        }
        GR_MUTEX_UNLOCK(&m->go.mu);
    }
    gr_ebr_exit(rec);
    bool loaded = gr_syncmap_holds(old);
    if (loaded && previous)
        *previous = gr_syncmap_value(old);
    return loaded;
}

void
gr_syncmap_store(gr_syncmap *m, const gr_ip *key, uintptr_t value)
{
    (void)gr_syncmap_swap(m, key, value, NULL);
}

bool
gr_syncmap_load_or_store(gr_syncmap *m, const gr_ip *key, uintptr_t value, uintptr_t *actual)
{
    struct gr_syncmap_entry *e;
    bool loaded = false;
    uintptr_t dummy;
    actual = actual ? actual : &dummy;
    gr_ebr_rec *rec = gr_ebr_enter(m->ebr);
    uint64_t h = gr_ip_hash(key, m->seed);
    struct gr_syncmap_read *r = gr_syncmap_load_read(m);
    if (!gr_syncmap_read_find(r, key, h, &e) ||
        !gr_syncmap_entry_try_load_or_store(e, value, actual, &loaded)) {
        GR_MUTEX_LOCK(&m->go.mu);
        r = gr_syncmap_load_read(m);
        if (gr_syncmap_read_find(r, key, h, &e)) {
            if (gr_syncmap_entry_unexpunge_locked(e))
                gr_syncmap_map_put(m->go.dirty, key, h, e);
            gr_syncmap_entry_try_load_or_store(e, value, actual, &loaded);
        } else if (gr_syncmap_map_find(m->go.dirty, key, h, &e)) {
            gr_syncmap_entry_try_load_or_store(e, value, actual, &loaded);
            gr_syncmap_miss_locked(m, rec);
        } else {
            gr_syncmap_add_locked(m, rec, r, key, h, value);
            *actual = value;
            loaded = false;
        }
        GR_MUTEX_UNLOCK(&m->go.mu);
    }
    gr_ebr_exit(rec);
    return loaded;
}

bool
gr_syncmap_load_and_delete(gr_syncmap *m, const gr_ip *key, uintptr_t *value)
{
    struct gr_syncmap_entry *e;
    gr_ebr_rec *rec = gr_ebr_enter(m->ebr);
    uint64_t h = gr_ip_hash(key, m->seed);
    bool ok = gr_syncmap_find(m, rec, key, h, true, &e) && gr_syncmap_entry_delete(e, value);
    gr_ebr_exit(rec);
    return ok;
}

void
gr_syncmap_delete(gr_syncmap *m, const gr_ip *key)
{
    (void)gr_syncmap_load_and_delete(m, key, NULL);
}

bool
gr_syncmap_compare_and_swap(gr_syncmap *m, const gr_ip *key, uintptr_t old, uintptr_t new_)
{
    struct gr_syncmap_entry *e;
    bool swapped = false;
    gr_ebr_rec *rec = gr_ebr_enter(m->ebr);
    uint64_t h = gr_ip_hash(key, m->seed);
    struct gr_syncmap_read *r = gr_syncmap_load_read(m);
    if (gr_syncmap_read_find(r, key, h, &e)) {
        swapped = gr_syncmap_entry_try_cas(e, old, false, new_);
    } else if (gr_syncmap_amended(r)) {
        GR_MUTEX_LOCK(&m->go.mu);
        r = gr_syncmap_load_read(m);
        if (gr_syncmap_read_find(r, key, h, &e)) {
            swapped = gr_syncmap_entry_try_cas(e, old, false, new_);
        } else if (gr_syncmap_map_find(m->go.dirty, key, h, &e)) {
            swapped = gr_syncmap_entry_try_cas(e, old, false, new_);
            gr_syncmap_miss_locked(m, rec);
        }
        GR_MUTEX_UNLOCK(&m->go.mu);
    }
    gr_ebr_exit(rec);
    return swapped;
}

bool
gr_syncmap_compare_and_delete(gr_syncmap *m, const gr_ip *key, uintptr_t old)
{
    struct gr_syncmap_entry *e;
    gr_ebr_rec *rec = gr_ebr_enter(m->ebr);
    uint64_t h = gr_ip_hash(key, m->seed);
    bool deleted =
        gr_syncmap_find(m, rec, key, h, false, &e) && gr_syncmap_entry_try_cas(e, old, true, 0);
    gr_ebr_exit(rec);
    return deleted;
}

void
gr_syncmap_range(gr_syncmap *m, gr_syncmap_range_fn fn, void *ctx)
{
    gr_ebr_rec *rec = gr_ebr_enter(m->ebr);
    struct gr_syncmap_read *r = gr_syncmap_load_read(m);
    if (gr_syncmap_amended(r)) {
        GR_MUTEX_LOCK(&m->go.mu);
        r = gr_syncmap_load_read(m);
        if (gr_syncmap_amended(r)) {
            gr_syncmap_promote_locked(m, rec);
            r = gr_syncmap_load_read(m);
        }
        GR_MUTEX_UNLOCK(&m->go.mu);
    }
    const struct gr_hashmap_slot *s;
    uintptr_t v;
    for (size_t pos = 0; r && r->m && gr_hashmap_next(r->m, &pos, &s);) {
        struct gr_syncmap_entry *e = (struct gr_syncmap_entry *)s->value;
        if (gr_syncmap_entry_load(e, &v) && !fn(&s->key, v, ctx))
            break;
    }
    gr_ebr_exit(rec);
}

void
gr_syncmap_clear(gr_syncmap *m)
{
    gr_ebr_rec *rec = gr_ebr_enter(m->ebr);
    struct gr_syncmap_read *r = gr_syncmap_load_read(m);
    if ((r && r->m && gr_hashmap_len(r->m)) || gr_syncmap_amended(r)) {
        GR_MUTEX_LOCK(&m->go.mu);
        r = gr_syncmap_load_read(m);
        gr_hashmap *old = r ? r->m : NULL, *dirty = m->go.dirty;
        gr_syncmap_publish_locked(m, rec, NULL, false);
        if (dirty)
            gr_syncmap_retire_map(rec, dirty, true);
        if (old)
            gr_syncmap_retire_map(rec, old, !dirty);
        m->go.dirty = NULL;
        m->go.misses = 0;
        GR_MUTEX_UNLOCK(&m->go.mu);
    }
    gr_ebr_exit(rec);
}

/* Entries of map that hold a value (neither deleted nor expunged). */
static size_t
gr_syncmap_count_live(const gr_hashmap *map)
{
    const struct gr_hashmap_slot *s;
    size_t n = 0;
    for (size_t pos = 0; map && gr_hashmap_next(map, &pos, &s);)
        n += gr_syncmap_entry_load((struct gr_syncmap_entry *)s->value, NULL);
    return n;
}

/* Counted without promoting (a Range would promote an amended map, so
 * sampling the length would change when promotions happen compared with
 * Go): an amended map's live keys are all in dirty, counted under mu; else
 * the snapshot holds them all. misses is left alone. */
size_t
gr_syncmap_len(gr_syncmap *m)
{
    gr_ebr_rec *rec = gr_ebr_enter(m->ebr);
    struct gr_syncmap_read *r = gr_syncmap_load_read(m);
    size_t n = 0;
    bool counted = false;
    if (gr_syncmap_amended(r)) {
        GR_MUTEX_LOCK(&m->go.mu);
        r = gr_syncmap_load_read(m);
        if (gr_syncmap_amended(r)) {
            n = gr_syncmap_count_live(m->go.dirty);
            counted = true;
        }
        GR_MUTEX_UNLOCK(&m->go.mu);
    }
    if (!counted)
        n = gr_syncmap_count_live(r ? r->m : NULL);
    gr_ebr_exit(rec);
    return n;
}

void
gr_syncmap_shape(gr_syncmap *m, struct gr_syncmap_shape *out)
{
    memset(out, 0, sizeof *out);
    gr_ebr_rec *rec = gr_ebr_enter(m->ebr);
    GR_MUTEX_LOCK(&m->go.mu);
    struct gr_syncmap_read *r = gr_syncmap_load_read(m);
    const struct gr_hashmap_slot *s;
    for (size_t pos = 0; r && r->m && gr_hashmap_next(r->m, &pos, &s);) {
        out->read_len++;
        out->expunged +=
            gr_syncmap_entry_word((struct gr_syncmap_entry *)s->value) == GR_SYNCMAP_EXPUNGED;
    }
    out->amended = gr_syncmap_amended(r);
    out->has_dirty = m->go.dirty != NULL;
    out->dirty_len = m->go.dirty ? gr_hashmap_len(m->go.dirty) : 0;
    out->misses = m->go.misses;
    out->table_bytes = (r && r->m ? gr_hashmap_mem_bytes(r->m) : 0) +
                       (m->go.dirty ? gr_hashmap_mem_bytes(m->go.dirty) : 0);
    GR_MUTEX_UNLOCK(&m->go.mu);
    gr_ebr_exit(rec);
}

size_t
gr_syncmap_mem_bytes(gr_syncmap *m)
{
    struct gr_syncmap_shape sh;
    gr_syncmap_shape(m, &sh);
    size_t entries = sh.has_dirty ? sh.dirty_len + sh.expunged : sh.read_len;
    return sizeof *m + sizeof(struct gr_syncmap_read) + sh.table_bytes +
           entries * sizeof(struct gr_syncmap_entry);
}
