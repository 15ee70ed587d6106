/*
 * rwlock.c - the "rwlock" variant: one pthread rwlock around one hash map.
 *
 * get takes the lock shared, put/clear take it exclusive. The lock is
 * PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, not glibc's default
 * (reader-preferring): a cache under load is read almost all the time, and
 * with the default kind a steady stream of overlapping readers starves the
 * writers forever, among them the ticker thread that clears the cache. With
 * writer preference a waiting writer blocks new readers, so clear and put
 * finish in bounded time; the price is that a reader that already holds the
 * lock must not take it again (we never do).
 */
#include <pthread.h>
#include <stdlib.h>

#include "hashmap.h"
#include "sched_hooks.h"
#include "variants.h"

struct gr_rwlock_cache {
    gr_cache base;
    pthread_rwlock_t lock;
    gr_hashmap map;
};

#define GR_RWLOCK(c) ((struct gr_rwlock_cache *)(c))

static bool
gr_rwlock_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    struct gr_rwlock_cache *m = GR_RWLOCK(c);
    uint64_t h = gr_hashmap_hash(&m->map, key);
    uintptr_t v = 0;
    GR_RWLOCK_RDLOCK(&m->lock);
    bool hit = gr_hashmap_get(&m->map, key, h, &v);
    GR_RWLOCK_UNLOCK(&m->lock);
    *out = (gr_country)v;
    return hit;
}

static void
gr_rwlock_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    struct gr_rwlock_cache *m = GR_RWLOCK(c);
    uint64_t h = gr_hashmap_hash(&m->map, key);
    GR_RWLOCK_WRLOCK(&m->lock);
    (void)gr_hashmap_put(&m->map, key, h, value, NULL); /* out of memory: not cached */
    GR_RWLOCK_UNLOCK(&m->lock);
}

static void
gr_rwlock_clear(gr_cache *c)
{
    struct gr_rwlock_cache *m = GR_RWLOCK(c);
    GR_RWLOCK_WRLOCK(&m->lock);
    gr_hashmap_free(&m->map);
    GR_RWLOCK_UNLOCK(&m->lock);
}

static size_t
gr_rwlock_len(gr_cache *c)
{
    struct gr_rwlock_cache *m = GR_RWLOCK(c);
    GR_RWLOCK_RDLOCK(&m->lock);
    size_t n = gr_hashmap_len(&m->map);
    GR_RWLOCK_UNLOCK(&m->lock);
    return n;
}

static size_t
gr_rwlock_mem_bytes(gr_cache *c)
{
    struct gr_rwlock_cache *m = GR_RWLOCK(c);
    GR_RWLOCK_RDLOCK(&m->lock);
    size_t n = sizeof *m - sizeof m->map + gr_hashmap_mem_bytes(&m->map);
    GR_RWLOCK_UNLOCK(&m->lock);
    return n;
}

static void
gr_rwlock_destroy(gr_cache *c)
{
    struct gr_rwlock_cache *m = GR_RWLOCK(c);
    gr_hashmap_free(&m->map);
    pthread_rwlock_destroy(&m->lock);
    free(m);
}

static const struct gr_cache_ops gr_rwlock_ops = {
    "rwlock",      gr_rwlock_get,       gr_rwlock_put,    gr_rwlock_clear,
    gr_rwlock_len, gr_rwlock_mem_bytes, gr_rwlock_destroy};

int
gr_rwlock_create(const gr_cache_config *cfg, gr_cache **out)
{
    struct gr_rwlock_cache *m = calloc(1, sizeof *m);
    pthread_rwlockattr_t attr;
    if (!m)
        return GR_CACHE_ENOMEM;
    m->base.ops = &gr_rwlock_ops;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&m->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    gr_hashmap_init(&m->map, cfg->size_hint, gr_variant_seed());
    *out = &m->base;
    return GR_CACHE_OK;
}
