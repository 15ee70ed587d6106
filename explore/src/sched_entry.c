/*
 * sched_entry.c - the visible doors into the copy of cache/variants that is
 * compiled with scheduling points (GEORACE_SCHED). That copy is built with
 * hidden visibility and its symbols localized after a partial link
 * (explore/CMakeLists.txt), so its gr_cache_create, gr_syncmap_* and
 * friends never clash with the normal library's; explore reaches it only
 * through the functions below: the cache variants by name, and gr_syncmap's
 * whole API for the sync.Map scenarios.
 */
#include <stdlib.h>

#include "georace/cache.h"
#include "georace/explore.h"
#include "syncmap.h"
#include "xsched.h"

#define GR_SCN_STRIPES 4 /* sharded: 4 stripes keep a clear's walk short */

__attribute__((visibility("default"))) int
gr_xcache_create(const char *variant, gr_cache **out)
{
    gr_cache_config cfg;
    gr_cache_config_default(&cfg);
    cfg.stripes = GR_SCN_STRIPES;
    return gr_cache_create(variant, &cfg, out);
}

/* gr_syncmap behind the explorer's map interface. EBR collects at the exit
 * of every critical section that leaves something retired, so an epoch
 * advance (and a free) is a few operations away in a scenario, not 64. */
static void *
gr_xsm_create(void)
{
    gr_syncmap *m = malloc(sizeof *m);
    if (!m || gr_syncmap_init(m)) {
        free(m);
        return NULL;
    }
    gr_ebr_set_collect_every(m->ebr, 1);
    return m;
}

static void
gr_xsm_destroy(void *m)
{
    gr_syncmap_destroy(m);
    free(m);
}

static bool
gr_xsm_load(void *m, const gr_ip *k, uintptr_t *v)
{
    return gr_syncmap_load(m, k, v);
}

static void
gr_xsm_store(void *m, const gr_ip *k, uintptr_t v)
{
    gr_syncmap_store(m, k, v);
}

static bool
gr_xsm_load_or_store(void *m, const gr_ip *k, uintptr_t v, uintptr_t *actual)
{
    return gr_syncmap_load_or_store(m, k, v, actual);
}

static bool
gr_xsm_load_and_delete(void *m, const gr_ip *k, uintptr_t *v)
{
    return gr_syncmap_load_and_delete(m, k, v);
}

static void
gr_xsm_delete(void *m, const gr_ip *k)
{
    gr_syncmap_delete(m, k);
}

static bool
gr_xsm_swap(void *m, const gr_ip *k, uintptr_t v, uintptr_t *previous)
{
    return gr_syncmap_swap(m, k, v, previous);
}

static bool
gr_xsm_cas(void *m, const gr_ip *k, uintptr_t old, uintptr_t new_)
{
    return gr_syncmap_compare_and_swap(m, k, old, new_);
}

static bool
gr_xsm_cad(void *m, const gr_ip *k, uintptr_t old)
{
    return gr_syncmap_compare_and_delete(m, k, old);
}

static void
gr_xsm_range(void *m, bool (*fn)(const gr_ip *k, uintptr_t v, void *ctx), void *ctx)
{
    gr_syncmap_range(m, fn, ctx);
}

static void
gr_xsm_clear(void *m)
{
    gr_syncmap_clear(m);
}

static const gr_explore_map_ops gr_xsm_ops = {
    gr_xsm_create,          gr_xsm_destroy, gr_xsm_load, gr_xsm_store, gr_xsm_load_or_store,
    gr_xsm_load_and_delete, gr_xsm_delete,  gr_xsm_swap, gr_xsm_cas,   gr_xsm_cad,
    gr_xsm_range,           gr_xsm_clear};

__attribute__((visibility("default"))) const gr_explore_map_ops *
gr_explore_syncmap_ops(void)
{
    return &gr_xsm_ops;
}
