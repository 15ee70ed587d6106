/*
 * variants.c - the cache variants as 'bench cache' targets: every variant is
 * a gr_cache created by name with the default configuration, so a cell
 * measures exactly what the resolver would use. One exception: bounded gets
 * room for twice the hot keys (at least its default), so that its cells
 * measure the same hit ratio as the others and not its eviction (the hit
 * ratio under a capacity is what 'georace sim --cache-capacity' shows).
 */
#include <stdio.h>
#include <string.h>

#include "georace/cache.h"
#include "target.h"

static void *
gr_bench_variant_open(const gr_bench_cell *cell, char *err, size_t cap)
{
    gr_cache_config cfg;
    gr_cache *c = NULL;
    gr_cache_config_default(&cfg);
    if (!strcmp(cell->target, "bounded") && 2 * cell->keys > 65536)
        cfg.capacity = 2 * cell->keys;
    int rc = gr_cache_create(cell->target, &cfg, &c);
    if (rc)
        snprintf(err, cap, "%s: %s", cell->target, gr_cache_strerror(rc));
    return c;
}

static bool
gr_bench_variant_get(void *ctx, const gr_ip *key, gr_country *out)
{
    return gr_cache_get(ctx, key, out);
}

static void
gr_bench_variant_put(void *ctx, const gr_ip *key, gr_country value)
{
    gr_cache_put(ctx, key, value);
}

static void
gr_bench_variant_clear(void *ctx)
{
    gr_cache_clear(ctx);
}

static size_t
gr_bench_variant_mem(void *ctx)
{
    return gr_cache_mem_bytes(ctx);
}

static void
gr_bench_variant_close(void *ctx)
{
    gr_cache_destroy(ctx);
}

const struct gr_bench_target gr_bench_variant_ops = {
    .open = gr_bench_variant_open,
    .thread_init = gr_bench_target_nop,
    .thread_fini = gr_bench_target_nop,
    .get = gr_bench_variant_get,
    .put = gr_bench_variant_put,
    .clear = gr_bench_variant_clear,
    .mem = gr_bench_variant_mem,
    .close = gr_bench_variant_close,
};
