/*
 * cache.c - the variant registry: names -> constructors, default knobs,
 * and the hash seeds every map gets.
 *
 * Seeds come from getrandom() for every table the process creates, so an
 * attacker cannot precompute colliding keys from one run for the next; a
 * reproducible run fixes them with gr_cache_fix_seeds (the seeds of its
 * tables then follow from that one value, in creation order).
 *
 * The order of the table is the order of gr_cache_variant_names(), the
 * order every tool prints: buggy variants first, then the fixes, then
 * "none" (no cache at all, Zoraxy's FASTLOCATION workaround).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "georace/rng.h"
#include "sched_hooks.h"
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
    {"bounded", false, gr_bounded_create},
    {"none", false, gr_none_create},
};

#define GR_CACHE_NVARIANTS (sizeof gr_cache_variants / sizeof gr_cache_variants[0])

static const char *const gr_cache_names[GR_CACHE_NVARIANTS + 1] = {
    "gomap", "syncmap+naive-reset", "syncmap", "mutex", "rwlock", "sharded", "bounded", "none",
    NULL};

void
gr_cache_config_default(gr_cache_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->stripes = 64;
    cfg->detector = true;
    cfg->window_ns = 0;
    cfg->size_hint = 0;
    cfg->capacity = 0;
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
               "sharded, bounded, none)";
    case GR_CACHE_ENOMEM:
        return "out of memory";
    case GR_CACHE_EARG:
        return "invalid cache configuration";
    default:
        return "unknown cache error";
    }
}

static _Atomic uint64_t gr_cache_fixed_seed; /* 0: random seeds */
static _Atomic uint64_t gr_cache_seed_counter;

void
gr_cache_fix_seeds(uint64_t seed)
{
    atomic_store_explicit(&gr_cache_seed_counter, 0, memory_order_relaxed);
    atomic_store_explicit(&gr_cache_fixed_seed, seed, memory_order_relaxed);
}

/* Without getrandom (a kernel before 3.17): the clock and a counter. */
static uint64_t
gr_cache_fallback_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t n = atomic_fetch_add_explicit(&gr_cache_seed_counter, 1, memory_order_relaxed);
    return gr_rng_mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                        (n * 0x9e3779b97f4a7c15ULL));
}

uint64_t
gr_variant_seed(void)
{
#ifdef GEORACE_SCHED
    return gr_sched_seed(); /* explored runs replay exactly: seeds come from the run */
#endif
    uint64_t fixed = atomic_load_explicit(&gr_cache_fixed_seed, memory_order_relaxed);
    if (fixed) {
        uint64_t n = atomic_fetch_add_explicit(&gr_cache_seed_counter, 1, memory_order_relaxed);
        return gr_rng_mix64(fixed + n * 0x9e3779b97f4a7c15ULL);
    }
    uint64_t v;
    ssize_t got;
    do
        got = getrandom(&v, sizeof v, 0);
    while (got < 0 && errno == EINTR);
    return got == (ssize_t)sizeof v ? v : gr_cache_fallback_seed();
}
