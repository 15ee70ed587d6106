/*
 * cache.c - the variant registry: names -> constructors, default knobs.
 *
 * The order of the table is the order of gr_cache_variant_names(), the
 * order every tool prints: buggy variants first, then the fixes, then
 * "none" (no cache at all, Zoraxy's FASTLOCATION workaround).
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "georace/rng.h"
#include "variants.h"

static const struct gr_cache_variant {
    const char *name;
    bool buggy;
    int (*create)(const gr_cache_config *cfg, gr_cache **out);
} gr_cache_variants[] = {
    {"gomap", true, gr_gomap_create},
    {"syncmap+naive-reset", true, gr_syncmap_naive_create},
    {"syncmap", false, gr_syncmap_cache_create},
    {"mutex", false, gr_mutex_create},
    {"rwlock", false, gr_rwlock_create},
    {"sharded", false, gr_sharded_create},
    {"none", false, gr_none_create},
};

#define GR_CACHE_NVARIANTS (sizeof gr_cache_variants / sizeof gr_cache_variants[0])

static const char *const gr_cache_names[GR_CACHE_NVARIANTS + 1] = {
    "gomap", "syncmap+naive-reset", "syncmap", "mutex", "rwlock", "sharded", "none", NULL};

void
gr_cache_config_default(gr_cache_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->stripes = 64;
    cfg->detector = true;
    cfg->window_ns = 0;
    cfg->size_hint = 0;
}

static const struct gr_cache_variant *
gr_cache_find(const char *name)
{
    for (size_t i = 0; name && i < GR_CACHE_NVARIANTS; i++)
        if (!strcmp(gr_cache_variants[i].name, name))
            return &gr_cache_variants[i];
    return NULL;
}

int
gr_cache_create(const char *variant, const gr_cache_config *cfg, gr_cache **out)
{
    gr_cache_config def;
    if (!out)
        return GR_CACHE_EARG;
    *out = NULL;
    const struct gr_cache_variant *v = gr_cache_find(variant);
    if (!v)
        return GR_CACHE_EUNKNOWN;
    if (!cfg) {
        gr_cache_config_default(&def);
        cfg = &def;
    }
    return v->create(cfg, out);
}

const char *const *
gr_cache_variant_names(void)
{
    return gr_cache_names;
}

bool
gr_cache_variant_is_buggy(const char *variant)
{
    const struct gr_cache_variant *v = gr_cache_find(variant);
    return v && v->buggy;
}

bool
gr_cache_variant_exists(const char *variant)
{
    return gr_cache_find(variant) != NULL;
}

const char *
gr_cache_strerror(int err)
{
    switch (err) {
    case GR_CACHE_OK:
        return "ok";
    case GR_CACHE_EUNKNOWN:
        return "unknown cache variant (gomap, syncmap+naive-reset, syncmap, mutex, rwlock, "
               "sharded, none)";
    case GR_CACHE_ENOMEM:
        return "out of memory";
    case GR_CACHE_EARG:
        return "invalid cache configuration";
    default:
        return "unknown cache error";
    }
}

uint64_t
gr_variant_seed(void)
{
    /* splitmix64 over a counter started from the clock: distinct per map. */
    static _Atomic uint64_t counter;
    uint64_t z = atomic_fetch_add_explicit(&counter, 0x9e3779b97f4a7c15ULL, memory_order_relaxed);
    if (z == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        z = (uint64_t)ts.tv_nsec * 0x2545f4914f6cdd1dULL;
    }
    return gr_rng_mix64(z);
}
