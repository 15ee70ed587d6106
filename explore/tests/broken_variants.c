/*
 * broken_variants.c - caches broken on purpose, one per oracle, that exist
 * only to prove the oracles of 'georace explore' can fail. Compiled with
 * GEORACE_SCHED, so their locks and shared accesses are scheduling points.
 *
 *   split-put   a mutex cache whose put removes the old entry and inserts
 *               the new one in two critical sections: a get in between
 *               misses a key that was present all along (linearizability)
 *   inverted    get takes lock A then B, put takes B then A (deadlock)
 *   null-clear  clear stores NULL into the table pointer that get loads
 *               twice (crash: a NULL dereference)
 *   unlocked-clear
 *               a mutex cache whose clear skips the lock: every run of
 *               whole operations still answers right, but the clear's
 *               write of the table is ordered with nothing (race)
 *   relaxed-publish
 *               copy-on-write: writers (serialised by a mutex) fill a new
 *               table with plain stores and publish it with a RELAXED
 *               store; get loads it with acquire and reads it plainly.
 *               Every answer is right in a sequentially consistent run,
 *               but nothing orders the fill before the read (race)
 *   release-publish
 *               the same with a release store: fill -> release -> acquire
 *               -> read is ordered, and the race detector must stay silent
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "broken_variants.h"
#include "sched_hooks.h"

#define BV_SLOTS 8

struct bv_table {
    gr_ip key[BV_SLOTS];
    gr_country val[BV_SLOTS];
    bool used[BV_SLOTS];
};

struct bv_cache {
    gr_cache base;
    pthread_mutex_t a, b;
    struct bv_table t;
    _Atomic(struct bv_table *) p; /* null-clear */
};

#define BV(c) ((struct bv_cache *)(c))

static int
bv_find(const struct bv_table *t, const gr_ip *k)
{
    for (int i = 0; i < BV_SLOTS; i++)
        if (t->used[i] && !memcmp(&t->key[i], k, sizeof *k))
            return i;
    return -1;
}

static void
bv_insert(struct bv_table *t, const gr_ip *k, gr_country v)
{
    int i = bv_find(t, k);
    for (int j = 0; i < 0 && j < BV_SLOTS; j++)
        if (!t->used[j])
            i = j;
    if (i >= 0) {
        t->key[i] = *k;
        t->val[i] = v;
        t->used[i] = true;
    }
}

static bool
bv_get_locked(gr_cache *c, const gr_ip *k, gr_country *out)
{
    int i = bv_find(&BV(c)->t, k);
    if (i >= 0)
        *out = BV(c)->t.val[i];
    return i >= 0;
}

static bool
bv_split_get(gr_cache *c, const gr_ip *k, gr_country *out)
{
    GR_MUTEX_LOCK(&BV(c)->a);
    bool hit = bv_get_locked(c, k, out);
    GR_MUTEX_UNLOCK(&BV(c)->a);
    return hit;
}

static void
bv_split_put(gr_cache *c, const gr_ip *k, gr_country v)
{
    GR_MUTEX_LOCK(&BV(c)->a);
    int i = bv_find(&BV(c)->t, k);
    if (i >= 0)
        BV(c)->t.used[i] = false; /* BUG: the key is absent until the second section */
    GR_MUTEX_UNLOCK(&BV(c)->a);
    GR_MUTEX_LOCK(&BV(c)->a);
    bv_insert(&BV(c)->t, k, v);
    GR_MUTEX_UNLOCK(&BV(c)->a);
}

static void
bv_clear_locked_a(gr_cache *c)
{
    GR_MUTEX_LOCK(&BV(c)->a);
    memset(&BV(c)->t, 0, sizeof BV(c)->t);
    GR_MUTEX_UNLOCK(&BV(c)->a);
}

static bool
bv_locked_get(gr_cache *c, const gr_ip *k, gr_country *out)
{
    GR_MUTEX_LOCK(&BV(c)->a);
    GR_SCHED_ALSO_READ("read table (under a)", &BV(c)->t, sizeof BV(c)->t);
    bool hit = bv_get_locked(c, k, out);
    GR_MUTEX_UNLOCK(&BV(c)->a);
    return hit;
}

static void
bv_locked_put(gr_cache *c, const gr_ip *k, gr_country v)
{
    GR_MUTEX_LOCK(&BV(c)->a);
    GR_SCHED_ALSO_WRITE("write table (under a)", &BV(c)->t, sizeof BV(c)->t);
    bv_insert(&BV(c)->t, k, v);
    GR_MUTEX_UNLOCK(&BV(c)->a);
}

static void
bv_unlocked_clear(gr_cache *c)
{
    GR_SCHED_WRITE("clear table (no lock)", &BV(c)->t, sizeof BV(c)->t); /* BUG */
    memset(&BV(c)->t, 0, sizeof BV(c)->t);
}

static bool
bv_inverted_get(gr_cache *c, const gr_ip *k, gr_country *out)
{
    GR_MUTEX_LOCK(&BV(c)->a);
    GR_MUTEX_LOCK(&BV(c)->b);
    bool hit = bv_get_locked(c, k, out);
    GR_MUTEX_UNLOCK(&BV(c)->b);
    GR_MUTEX_UNLOCK(&BV(c)->a);
    return hit;
}

static void
bv_inverted_put(gr_cache *c, const gr_ip *k, gr_country v)
{
    GR_MUTEX_LOCK(&BV(c)->b); /* BUG: the other order */
    GR_MUTEX_LOCK(&BV(c)->a);
    bv_insert(&BV(c)->t, k, v);
    GR_MUTEX_UNLOCK(&BV(c)->a);
    GR_MUTEX_UNLOCK(&BV(c)->b);
}

static bool
bv_null_get(gr_cache *c, const gr_ip *k, gr_country *out)
{
    struct bv_table *t = GR_SCHED_OP("load p", atomic_load(&BV(c)->p));
    if (!t)
        return false;
    GR_MUTEX_LOCK(&BV(c)->a);
    /* BUG: loads the pointer again instead of using t */
    int i = bv_find(GR_SCHED_OP("load p", atomic_load(&BV(c)->p)), k);
    bool hit = i >= 0 && (*out = t->val[i], true);
    GR_MUTEX_UNLOCK(&BV(c)->a);
    return hit;
}

static void
bv_null_put(gr_cache *c, const gr_ip *k, gr_country v)
{
    GR_MUTEX_LOCK(&BV(c)->a);
    GR_SCHED_OP("store p", atomic_store(&BV(c)->p, &BV(c)->t));
    bv_insert(&BV(c)->t, k, v);
    GR_MUTEX_UNLOCK(&BV(c)->a);
}

static void
bv_null_clear(gr_cache *c)
{
    GR_SCHED_OP("store p", atomic_store(&BV(c)->p, NULL)); /* BUG: without the lock */
    GR_MUTEX_LOCK(&BV(c)->a);
    memset(&BV(c)->t, 0, sizeof BV(c)->t);
    GR_MUTEX_UNLOCK(&BV(c)->a);
}

/* ---- copy-on-write publication, relaxed or release ---- */

#define BV_PUB_MAX 64

struct bv_pub {
    gr_cache base;
    pthread_mutex_t mu; /* serialises writers */
    memory_order order; /* of the publishing store */
    _Atomic(struct bv_table *) cur;
    struct bv_table *old[BV_PUB_MAX]; /* retired tables, freed at destroy */
    unsigned nold;
};

#define BVP(c) ((struct bv_pub *)(c))

static bool
bv_pub_get(gr_cache *c, const gr_ip *k, gr_country *out)
{
    struct bv_table *t =
        GR_SCHED_ATOMIC("load cur", GR_SCHED_LOAD, memory_order_acquire, &BVP(c)->cur,
                        atomic_load_explicit(&BVP(c)->cur, memory_order_acquire));
    GR_SCHED_READ("read table", t, sizeof *t);
    int i = bv_find(t, k);
    if (i >= 0)
        *out = t->val[i];
    return i >= 0;
}

static void
bv_pub_write(gr_cache *c, const gr_ip *k, gr_country v, bool clear)
{
    struct bv_pub *p = BVP(c);
    GR_MUTEX_LOCK(&p->mu);
    struct bv_table *o = atomic_load_explicit(&p->cur, memory_order_relaxed); /* under mu */
    struct bv_table *n = malloc(sizeof *n);
    if (!n || p->nold == BV_PUB_MAX)
        abort();
    GR_SCHED_WRITE("fill new table", n, sizeof *n);
    if (clear) {
        memset(n, 0, sizeof *n);
    } else {
        *n = *o;
        bv_insert(n, k, v);
    }
    GR_SCHED_ATOMIC("publish cur", GR_SCHED_STORE, p->order, &p->cur,
                    atomic_store_explicit(&p->cur, n, p->order));
    p->old[p->nold++] = o;
    GR_MUTEX_UNLOCK(&p->mu);
}

static void
bv_pub_put(gr_cache *c, const gr_ip *k, gr_country v)
{
    bv_pub_write(c, k, v, false);
}

static void
bv_pub_clear(gr_cache *c)
{
    bv_pub_write(c, NULL, 0, true);
}

static void
bv_pub_destroy(gr_cache *c)
{
    struct bv_pub *p = BVP(c);
    for (unsigned i = 0; i < p->nold; i++)
        free(p->old[i]);
    free(atomic_load(&p->cur));
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static size_t
bv_len(gr_cache *c)
{
    (void)c;
    return 0;
}

static void
bv_destroy(gr_cache *c)
{
    pthread_mutex_destroy(&BV(c)->a);
    pthread_mutex_destroy(&BV(c)->b);
    free(c);
}

static const struct gr_cache_ops bv_split_ops = {
    "split-put", bv_split_get, bv_split_put, bv_clear_locked_a, bv_len, bv_len, bv_destroy};
static const struct gr_cache_ops bv_inverted_ops = {
    "inverted", bv_inverted_get, bv_inverted_put, bv_clear_locked_a, bv_len, bv_len, bv_destroy};
static const struct gr_cache_ops bv_unlocked_ops = {
    "unlocked-clear", bv_locked_get, bv_locked_put, bv_unlocked_clear, bv_len, bv_len, bv_destroy};
static const struct gr_cache_ops bv_null_ops = {
    "null-clear", bv_null_get, bv_null_put, bv_null_clear, bv_len, bv_len, bv_destroy};

static const struct gr_cache_ops bv_relaxed_ops = {
    "relaxed-publish", bv_pub_get, bv_pub_put, bv_pub_clear, bv_len, bv_len, bv_pub_destroy};
static const struct gr_cache_ops bv_release_ops = {
    "release-publish", bv_pub_get, bv_pub_put, bv_pub_clear, bv_len, bv_len, bv_pub_destroy};

static int
bv_pub_create(const struct gr_cache_ops *ops, memory_order order, gr_cache **out)
{
    struct bv_pub *p = calloc(1, sizeof *p);
    struct bv_table *t = calloc(1, sizeof *t);
    if (!p || !t) {
        free(p);
        free(t);
        return GR_CACHE_ENOMEM;
    }
    p->base.ops = ops;
    p->order = order;
    pthread_mutex_init(&p->mu, NULL);
    atomic_init(&p->cur, t);
    *out = &p->base;
    return GR_CACHE_OK;
}

int
bv_relaxed_publish_create(gr_cache **out)
{
    return bv_pub_create(&bv_relaxed_ops, memory_order_relaxed, out);
}

int
bv_release_publish_create(gr_cache **out)
{
    return bv_pub_create(&bv_release_ops, memory_order_release, out);
}

static int
bv_create(const struct gr_cache_ops *ops, gr_cache **out)
{
    struct bv_cache *c = calloc(1, sizeof *c);
    if (!c)
        return GR_CACHE_ENOMEM;
    c->base.ops = ops;
    pthread_mutex_init(&c->a, NULL);
    pthread_mutex_init(&c->b, NULL);
    atomic_init(&c->p, &c->t);
    *out = &c->base;
    return GR_CACHE_OK;
}

int
bv_split_put_create(gr_cache **out)
{
    return bv_create(&bv_split_ops, out);
}

int
bv_inverted_create(gr_cache **out)
{
    return bv_create(&bv_inverted_ops, out);
}

int
bv_unlocked_clear_create(gr_cache **out)
{
    return bv_create(&bv_unlocked_ops, out);
}

int
bv_null_clear_create(gr_cache **out)
{
    return bv_create(&bv_null_ops, out);
}
