/*
 * syncmap_naive.c - the "syncmap+naive-reset" variant: Zoraxy's shipped fix.
 *
 * Requests use the sync.Map correctly (Load/Store from syncmap.c), but the
 * ticker resets it with `s.slowLookupCache = sync.Map{}`: a plain,
 * multi-word overwrite of the whole map value - mutex, read pointer, dirty
 * map, misses - while other goroutines are inside its methods. Here that is
 * a memset of the Go value to zero (a zeroed glibc mutex is an unlocked
 * default mutex, and a NULL read pointer reads as an empty map, so zero is
 * a valid fresh map, exactly as in Go).
 *
 * What that does while requests run:
 *   - the mutex is zeroed under its holder: a second thread then takes it
 *     and both run in the dirty-map critical section at once (Go: "fatal
 *     error: sync: unlock of unlocked mutex" when the first one unlocks; in
 *     C glibc's default mutex unlocks silently);
 *   - the read pointer and the dirty map vanish under a writer that is
 *     between "dirty exists" and "insert into dirty": it inserts into a
 *     NULL map and crashes (Go: "assignment to entry in nil map");
 *   - an in-flight promotion or Store can write its pointers back after the
 *     reset: the reset is lost, or entries are lost, or a snapshot is
 *     retired twice (double free / use-after-free in C);
 *   - ThreadSanitizer reports the memset below racing with the atomic loads
 *     of the read pointer and with the mutex, in this file.
 *
 * Memory: Go's GC frees the dropped value once unreachable. Here the reset
 * takes the value's snapshot and dirty map (racy reads, best effort) onto a
 * graveyard: the newest GR_NAIVE_KEEP are kept, older ones are freed once a
 * second old, the rest at destroy. Single-threaded use therefore neither
 * leaks nor double-frees; concurrent use may do both, which is the bug.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "georace/clock.h"
#include "sched_hooks.h"
#include "syncmap_naive.h"
#include "variants.h"

#define GR_NAIVE_KEEP 8

struct gr_naive_grave {
    struct gr_naive_grave *next;
    struct gr_syncmap_read *read;
    gr_hashmap *dirty;
    uint64_t at_ns;
};

struct gr_naive_cache {
    gr_cache base;
    gr_syncmap map;
    pthread_mutex_t grave_mu; /* graveyard bookkeeping only, not the map */
    struct gr_naive_grave *graves;
};

#define GR_NAIVE(c) ((struct gr_naive_cache *)(c))

static bool
gr_naive_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    uintptr_t v;
    if (!gr_syncmap_load(&GR_NAIVE(c)->map, key, &v))
        return false;
    *out = (gr_country)v;
    return true;
}

static void
gr_naive_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    gr_syncmap_store(&GR_NAIVE(c)->map, key, value);
}

static void
gr_naive_bury(struct gr_naive_grave *g)
{
    while (g) {
        struct gr_naive_grave *next = g->next;
        gr_syncmap_free_value(g->read, g->dirty);
        free(g);
        g = next;
    }
}

static void
gr_naive_clear(gr_cache *c)
{
    struct gr_naive_cache *n = GR_NAIVE(c);
    struct gr_naive_grave *g = calloc(1, sizeof *g);
    if (g) {
        g->read = GR_SCHED_ATOMIC("load map.go.read", GR_SCHED_LOAD, memory_order_seq_cst,
                                  &n->map.go.read, atomic_load(&n->map.go.read)); /* GC stand-in */
        g->dirty = n->map.go.dirty; /* the value pointed to      */
        g->at_ns = gr_clock_now_ns();
    }

    GR_SCHED_WRITE("memset map.go (plain stores)", &n->map.go, sizeof n->map.go);
    memset(&n->map.go, 0, sizeof n->map.go); /* THE BUG: `cache = sync.Map{}` */

    if (!g)
        return;
    struct gr_naive_grave *old = NULL;
    size_t kept = 0;
    pthread_mutex_lock(&n->grave_mu);
    g->next = n->graves;
    n->graves = g;
    for (struct gr_naive_grave **p = &n->graves; *p; p = &(*p)->next) {
        if (++kept > GR_NAIVE_KEEP && g->at_ns - (*p)->at_ns >= 1000000000u) {
            old = *p;
            *p = NULL;
            break;
        }
    }
    pthread_mutex_unlock(&n->grave_mu);
    gr_naive_bury(old);
}

static size_t
gr_naive_len(gr_cache *c)
{
    return gr_syncmap_len(&GR_NAIVE(c)->map);
}

static size_t
gr_naive_mem_bytes(gr_cache *c)
{
    return sizeof(struct gr_naive_cache) + gr_syncmap_mem_bytes(&GR_NAIVE(c)->map);
}

static void
gr_naive_destroy(gr_cache *c)
{
    struct gr_naive_cache *n = GR_NAIVE(c);
    gr_naive_bury(n->graves);
    gr_syncmap_destroy(&n->map);
    pthread_mutex_destroy(&n->grave_mu);
    free(n);
}

static const struct gr_cache_ops gr_naive_ops = {
    "syncmap+naive-reset", gr_naive_get,       gr_naive_put,    gr_naive_clear,
    gr_naive_len,          gr_naive_mem_bytes, gr_naive_destroy};

gr_syncmap *
gr_syncmap_naive_map(gr_cache *c)
{
    return c && c->ops == &gr_naive_ops ? &GR_NAIVE(c)->map : NULL;
}

int
gr_syncmap_naive_create(const gr_cache_config *cfg, gr_cache **out)
{
    (void)cfg;
    struct gr_naive_cache *n = calloc(1, sizeof *n);
    if (!n || gr_syncmap_init(&n->map)) {
        free(n);
        return GR_CACHE_ENOMEM;
    }
    pthread_mutex_init(&n->grave_mu, NULL);
    n->base.ops = &gr_naive_ops;
    *out = &n->base;
    return GR_CACHE_OK;
}
