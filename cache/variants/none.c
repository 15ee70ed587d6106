/*
 * none.c - the "none" variant: no cache at all.
 *
 * Every get misses and put forgets, so every request goes to the geo
 * backend: Zoraxy's FASTLOCATION=true workaround. Nothing is shared, so
 * there is nothing to race on.
 */
#include <stdlib.h>

#include "variants.h"

static bool
gr_none_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    (void)c, (void)key, (void)out;
    return false;
}

static void
gr_none_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    (void)c, (void)key, (void)value;
}

static void
gr_none_clear(gr_cache *c)
{
    (void)c;
}

static size_t
gr_none_len(gr_cache *c)
{
    (void)c;
    return 0;
}

static size_t
gr_none_mem_bytes(gr_cache *c)
{
    (void)c;
    return sizeof(gr_cache);
}

static void
gr_none_destroy(gr_cache *c)
{
    free(c);
}

static const struct gr_cache_ops gr_none_ops = {"none",         gr_none_get, gr_none_put,
                                                gr_none_clear,  gr_none_len, gr_none_mem_bytes,
                                                gr_none_destroy};

int
gr_none_create(const gr_cache_config *cfg, gr_cache **out)
{
    (void)cfg;
    gr_cache *c = malloc(sizeof *c);
    if (!c)
        return GR_CACHE_ENOMEM;
    c->ops = &gr_none_ops;
    *out = c;
    return GR_CACHE_OK;
}
