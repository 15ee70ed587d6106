/*
 * sharded.c - the "sharded" variant: lock striping.
 *
 * N stripes (a power of two, default 64), each a mutex and its own hash map
 * on its own cache lines. A key is hashed once; the top log2(N) bits pick
 * the stripe and the low bits probe inside it, so an operation takes exactly
 * one stripe's lock and independent keys rarely contend. clear, len and
 * mem_bytes visit the stripes one at a time (never two locks at once, so
 * no lock order to get wrong); clear is therefore not atomic across
 * stripes, which a cache does not need: every entry it leaves is still a
 * correct answer.
 */
#include <pthread.h>
#include <stdlib.h>

#include "hashmap.h"
#include "sched_hooks.h"
#include "variants.h"

#define GR_SHARDED_DEFAULT 64
#define GR_SHARDED_MAX 65536

struct gr_sharded_stripe {
    _Alignas(64) pthread_mutex_t mu;
    gr_hashmap map;
};

struct gr_sharded_cache {
    gr_cache base;
    unsigned n;
    unsigned shift; /* 64 - log2(n) */
    uint64_t seed;
    struct gr_sharded_stripe *stripes;
};

#define GR_SHARDED(c) ((struct gr_sharded_cache *)(c))

static struct gr_sharded_stripe *
gr_sharded_stripe(struct gr_sharded_cache *s, const gr_ip *key, uint64_t *hash)
{
    *hash = gr_ip_hash(key, s->seed);
    return &s->stripes[s->shift == 64 ? 0 : *hash >> s->shift];
}

static bool
gr_sharded_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    uint64_t h;
    uintptr_t v = 0;
    struct gr_sharded_stripe *st = gr_sharded_stripe(GR_SHARDED(c), key, &h);
    GR_MUTEX_LOCK(&st->mu);
    bool hit = gr_hashmap_get(&st->map, key, h, &v);
    GR_MUTEX_UNLOCK(&st->mu);
    *out = (gr_country)v;
    return hit;
}

static void
gr_sharded_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    uint64_t h;
    struct gr_sharded_stripe *st = gr_sharded_stripe(GR_SHARDED(c), key, &h);
    GR_MUTEX_LOCK(&st->mu);
    (void)gr_hashmap_put(&st->map, key, h, value, NULL); /* out of memory: not cached */
    GR_MUTEX_UNLOCK(&st->mu);
}

static void
gr_sharded_clear(gr_cache *c)
{
    struct gr_sharded_cache *s = GR_SHARDED(c);
    for (unsigned i = 0; i < s->n; i++) {
        GR_MUTEX_LOCK(&s->stripes[i].mu);
        gr_hashmap_free(&s->stripes[i].map);
        GR_MUTEX_UNLOCK(&s->stripes[i].mu);
    }
}

static size_t
gr_sharded_sum(gr_cache *c, bool bytes)
{
    struct gr_sharded_cache *s = GR_SHARDED(c);
    size_t n =
        bytes ? sizeof *s + s->n * (sizeof(struct gr_sharded_stripe) - sizeof(gr_hashmap)) : 0;
    for (unsigned i = 0; i < s->n; i++) {
        GR_MUTEX_LOCK(&s->stripes[i].mu);
        n += bytes ? gr_hashmap_mem_bytes(&s->stripes[i].map) : gr_hashmap_len(&s->stripes[i].map);
        GR_MUTEX_UNLOCK(&s->stripes[i].mu);
    }
    return n;
}

static size_t
gr_sharded_len(gr_cache *c)
{
    return gr_sharded_sum(c, false);
}

static size_t
gr_sharded_mem_bytes(gr_cache *c)
{
    return gr_sharded_sum(c, true);
}

static void
gr_sharded_destroy(gr_cache *c)
{
    struct gr_sharded_cache *s = GR_SHARDED(c);
    for (unsigned i = 0; i < s->n; i++) {
        gr_hashmap_free(&s->stripes[i].map);
        pthread_mutex_destroy(&s->stripes[i].mu);
    }
    free(s->stripes);
    free(s);
}

static const struct gr_cache_ops gr_sharded_ops = {
    "sharded",      gr_sharded_get,       gr_sharded_put,    gr_sharded_clear,
    gr_sharded_len, gr_sharded_mem_bytes, gr_sharded_destroy};

int
gr_sharded_create(const gr_cache_config *cfg, gr_cache **out)
{
    unsigned n = cfg->stripes ? cfg->stripes : GR_SHARDED_DEFAULT;
    struct gr_sharded_cache *s = NULL;
    if (n > GR_SHARDED_MAX || (n & (n - 1)))
        return GR_CACHE_EARG;
    if (!(s = calloc(1, sizeof *s)) || !(s->stripes = aligned_alloc(64, n * sizeof *s->stripes))) {
        free(s);
        return GR_CACHE_ENOMEM;
    }
    s->base.ops = &gr_sharded_ops;
    s->n = n;
    s->shift = 64 - (unsigned)__builtin_ctz(n);
    s->seed = gr_variant_seed();
    for (unsigned i = 0; i < n; i++) {
        pthread_mutex_init(&s->stripes[i].mu, NULL);
        gr_hashmap_init(&s->stripes[i].map, cfg->size_hint / n, s->seed);
    }
    *out = &s->base;
    return GR_CACHE_OK;
}
