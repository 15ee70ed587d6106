/*
 * broken_syncmap.c - sync.Maps broken on purpose: the scheduled gr_syncmap
 * (gr_explore_syncmap_ops) with one method replaced by a wrong one built
 * from the map's other, correct methods. Each wrong method answers right
 * when it runs alone (so only an interleaving can expose it, except
 * range-twice, which Go's contract forbids outright); the oracles of the
 * sync.Map scenarios must catch each one.
 *
 *   cas-check-then-act  CompareAndSwap = Load, compare, Store: between the
 *                       Load and the Store another CAS can win too
 *   los-stores-twice    LoadOrStore = Load, Store on a miss: two callers
 *                       both store and both say "stored"
 *   range-twice         Range calls the real Range twice (a key visited twice)
 */
#include "broken_syncmap.h"

#define BSM (gr_explore_syncmap_ops())

static void *
bsm_create(void)
{
    return BSM->create();
}

static void
bsm_destroy(void *m)
{
    BSM->destroy(m);
}

static bool
bsm_load(void *m, const gr_ip *k, uintptr_t *v)
{
    return BSM->load(m, k, v);
}

static void
bsm_store(void *m, const gr_ip *k, uintptr_t v)
{
    BSM->store(m, k, v);
}

static bool
bsm_load_or_store(void *m, const gr_ip *k, uintptr_t v, uintptr_t *actual)
{
    return BSM->load_or_store(m, k, v, actual);
}

static bool
bsm_load_and_delete(void *m, const gr_ip *k, uintptr_t *v)
{
    return BSM->load_and_delete(m, k, v);
}

static void
bsm_delete(void *m, const gr_ip *k)
{
    BSM->delete_(m, k);
}

static bool
bsm_swap(void *m, const gr_ip *k, uintptr_t v, uintptr_t *previous)
{
    return BSM->swap(m, k, v, previous);
}

static bool
bsm_cas(void *m, const gr_ip *k, uintptr_t old, uintptr_t new_)
{
    return BSM->compare_and_swap(m, k, old, new_);
}

static bool
bsm_cad(void *m, const gr_ip *k, uintptr_t old)
{
    return BSM->compare_and_delete(m, k, old);
}

static void
bsm_range(void *m, bool (*fn)(const gr_ip *k, uintptr_t v, void *ctx), void *ctx)
{
    BSM->range(m, fn, ctx);
}

static void
bsm_clear(void *m)
{
    BSM->clear(m);
}

static bool
bsm_cas_broken(void *m, const gr_ip *k, uintptr_t old, uintptr_t new_)
{
    uintptr_t v;
    if (!BSM->load(m, k, &v) || v != old)
        return false;
    BSM->store(m, k, new_); /* BUG: not atomic with the Load */
    return true;
}

static bool
bsm_los_broken(void *m, const gr_ip *k, uintptr_t v, uintptr_t *actual)
{
    if (BSM->load(m, k, actual))
        return true;
    BSM->store(m, k, v); /* BUG: another LoadOrStore may have stored since the Load */
    *actual = v;
    return false;
}

static void
bsm_range_broken(void *m, bool (*fn)(const gr_ip *k, uintptr_t v, void *ctx), void *ctx)
{
    BSM->range(m, fn, ctx);
    BSM->range(m, fn, ctx); /* BUG: Go visits a key at most once */
}

const gr_explore_map_ops bsm_cas_check_then_act = {
    bsm_create, bsm_destroy, bsm_load,       bsm_store, bsm_load_or_store, bsm_load_and_delete,
    bsm_delete, bsm_swap,    bsm_cas_broken, bsm_cad,   bsm_range,         bsm_clear};

const gr_explore_map_ops bsm_los_stores_twice = {
    bsm_create, bsm_destroy, bsm_load, bsm_store, bsm_los_broken, bsm_load_and_delete,
    bsm_delete, bsm_swap,    bsm_cas,  bsm_cad,   bsm_range,      bsm_clear};

const gr_explore_map_ops bsm_range_twice = {
    bsm_create, bsm_destroy, bsm_load, bsm_store, bsm_load_or_store, bsm_load_and_delete,
    bsm_delete, bsm_swap,    bsm_cas,  bsm_cad,   bsm_range_broken,  bsm_clear};
