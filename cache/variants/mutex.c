/*
 * mutex.c - the "mutex" variant: one pthread mutex around one hash map.
 *
 * The simplest correct fix: every get, put, clear and len takes the same
 * lock, so the lock's acquire/release pairs order every access to the map
 * (TSan sees them through its pthread interceptors; the explorer's race
 * detector through the map accesses marked right after each lock). Readers serialize
 * against each other too; rwlock and sharded trade that away.
 */
#include <pthread.h>
#include <stdlib.h>

#include "hashmap.h"
#include "sched_hooks.h"
#include "variants.h"

struct gr_mutex_cache {
    gr_cache base;
    pthread_mutex_t mu;
    gr_hashmap map;
};

#define GR_MUTEX(c) ((struct gr_mutex_cache *)(c))

static bool
gr_mutex_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    struct gr_mutex_cache *m = GR_MUTEX(c);
    uint64_t h = gr_hashmap_hash(&m->map, key);
    uintptr_t v = 0;
    GR_MUTEX_LOCK(&m->mu);
    GR_SCHED_ALSO_READ("read map (under mu)", &m->map, sizeof m->map);
    bool hit = gr_hashmap_get(&m->map, key, h, &v);
    GR_MUTEX_UNLOCK(&m->mu);
    *out = (gr_country)v;
    return hit;
}

static void
gr_mutex_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    struct gr_mutex_cache *m = GR_MUTEX(c);
    uint64_t h = gr_hashmap_hash(&m->map, key);
    GR_MUTEX_LOCK(&m->mu);
    GR_SCHED_ALSO_WRITE("write map (under mu)", &m->map, sizeof m->map);
    (void)gr_hashmap_put(&m->map, key, h, value, NULL); /* out of memory: not cached */
    GR_MUTEX_UNLOCK(&m->mu);
}

static void
gr_mutex_clear(gr_cache *c)
{
    struct gr_mutex_cache *m = GR_MUTEX(c);
    GR_MUTEX_LOCK(&m->mu);
    GR_SCHED_ALSO_WRITE("write map (under mu)", &m->map, sizeof m->map);
    gr_hashmap_free(&m->map);
    GR_MUTEX_UNLOCK(&m->mu);
}

static size_t
gr_mutex_len(gr_cache *c)
{
    struct gr_mutex_cache *m = GR_MUTEX(c);
    GR_MUTEX_LOCK(&m->mu);
    size_t n = gr_hashmap_len(&m->map);
    GR_MUTEX_UNLOCK(&m->mu);
    return n;
}

static size_t
gr_mutex_mem_bytes(gr_cache *c)
{
    struct gr_mutex_cache *m = GR_MUTEX(c);
    GR_MUTEX_LOCK(&m->mu);
    size_t n = sizeof *m - sizeof m->map + gr_hashmap_mem_bytes(&m->map);
    GR_MUTEX_UNLOCK(&m->mu);
    return n;
}

static void
gr_mutex_destroy(gr_cache *c)
{
    struct gr_mutex_cache *m = GR_MUTEX(c);
    gr_hashmap_free(&m->map);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static const struct gr_cache_ops gr_mutex_ops = {"mutex",         gr_mutex_get, gr_mutex_put,
                                                 gr_mutex_clear,  gr_mutex_len, gr_mutex_mem_bytes,
                                                 gr_mutex_destroy};

int
gr_mutex_create(const gr_cache_config *cfg, gr_cache **out)
{
    struct gr_mutex_cache *m = calloc(1, sizeof *m);
    if (!m)
        return GR_CACHE_ENOMEM;
    m->base.ops = &gr_mutex_ops;
    pthread_mutex_init(&m->mu, NULL);
    gr_hashmap_init(&m->map, cfg->size_hint, gr_variant_seed());
    *out = &m->base;
    return GR_CACHE_OK;
}
