/*
 * syncmap_cache.c - the "syncmap" variant: gr_cache over gr_syncmap.
 *
 * get = Load, put = Store, clear = Clear, all safe from any thread. This is
 * the fix Zoraxy's shipped code meant: a sync.Map whose reset is the map's
 * own Clear (Go 1.23) rather than an overwrite of the map value.
 *
 * A cache's clear comes from a ticker that then sleeps for the interval:
 * left alone, the map it retired would wait in that thread's EBR lists
 * until the next clear, so two generations of the cache would be resident
 * at once (Go's GC frees the old map at its next cycle). The clear
 * therefore drains EBR before returning, waiting at most
 * GR_SYNCMAP_CACHE_DRAIN_NS for readers to leave their sections. (Not in
 * the scheduler's build: a timed wait has no place among explored steps,
 * and what it frees is plain EBR, explored elsewhere.)
 */
#include <stdlib.h>

#include "syncmap.h"
#include "variants.h"

#define GR_SYNCMAP_CACHE_DRAIN_NS 100000000u /* 100 ms */

struct gr_syncmap_cache {
    gr_cache base;
    gr_syncmap map;
};

#define GR_SYNCMAP_CACHE(c) ((struct gr_syncmap_cache *)(c))

static bool
gr_syncmap_cache_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    uintptr_t v;
    if (!gr_syncmap_load(&GR_SYNCMAP_CACHE(c)->map, key, &v))
        return false;
    *out = (gr_country)v;
    return true;
}

static void
gr_syncmap_cache_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    gr_syncmap_store(&GR_SYNCMAP_CACHE(c)->map, key, value);
}

static void
gr_syncmap_cache_clear(gr_cache *c)
{
    gr_syncmap *m = &GR_SYNCMAP_CACHE(c)->map;
    gr_syncmap_clear(m);
#ifndef GEORACE_SCHED
    (void)gr_ebr_drain(m->ebr, GR_SYNCMAP_CACHE_DRAIN_NS);
#endif
}

static size_t
gr_syncmap_cache_len(gr_cache *c)
{
    return gr_syncmap_len(&GR_SYNCMAP_CACHE(c)->map);
}

static size_t
gr_syncmap_cache_mem_bytes(gr_cache *c)
{
    return sizeof(gr_cache) + gr_syncmap_mem_bytes(&GR_SYNCMAP_CACHE(c)->map);
}

static void
gr_syncmap_cache_destroy(gr_cache *c)
{
    gr_syncmap_destroy(&GR_SYNCMAP_CACHE(c)->map);
    free(c);
}

static const struct gr_cache_ops gr_syncmap_cache_ops = {"syncmap",
                                                         gr_syncmap_cache_get,
                                                         gr_syncmap_cache_put,
                                                         gr_syncmap_cache_clear,
                                                         gr_syncmap_cache_len,
                                                         gr_syncmap_cache_mem_bytes,
                                                         gr_syncmap_cache_destroy};

int
gr_syncmap_cache_create(const gr_cache_config *cfg, gr_cache **out)
{
    (void)cfg;
    struct gr_syncmap_cache *s = calloc(1, sizeof *s);
    if (!s || gr_syncmap_init(&s->map)) {
        free(s);
        return GR_CACHE_ENOMEM;
    }
    s->base.ops = &gr_syncmap_cache_ops;
    *out = &s->base;
    return GR_CACHE_OK;
}
