/*
 * cache.h - the geo cache interface every variant implements.
 *
 * Keys are canonical 16-byte addresses (gr_ip), values packed country codes.
 * The resolver calls get/put on every request and clear from its ticker
 * thread; whether that is safe is exactly what each variant is about:
 *
 *   gomap                unsynchronized, Go runtime map + hashWriting detector
 *                        (concurrent use dies with Go's "fatal error: concurrent
 *                        map writes" / "... map read and map write", exit
 *                        status 2; with detector=false it corrupts or crashes)
 *   syncmap+naive-reset  sync.Map, reset by overwriting the object in place
 *                        (racy: lost resets, lost entries, crashes)
 *   syncmap              Go's sync.Map in C11 atomics, safe Clear, epoch-based
 *                        reclamation
 *   mutex, rwlock        one lock around a map (rwlock prefers writers)
 *   sharded              lock striping over N power-of-two stripes
 *   bounded              sharded, with a capacity and S3-FIFO eviction: memory
 *                        stays flat under an address spray
 *   none                 no cache at all (Zoraxy's FASTLOCATION workaround)
 *
 * For the fixed variants every operation may be called from any thread at
 * any time, clear included; len and mem_bytes are snapshots (approximate
 * while others write). destroy needs every other user gone.
 */
#ifndef GEORACE_CACHE_H
#define GEORACE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/country.h"
#include "georace/ip.h"

typedef struct gr_cache gr_cache;

struct gr_cache_ops {
    const char *name;
    bool (*get)(gr_cache *c, const gr_ip *key, gr_country *out);
    void (*put)(gr_cache *c, const gr_ip *key, gr_country value);
    void (*clear)(gr_cache *c);
    size_t (*len)(gr_cache *c);
    size_t (*mem_bytes)(gr_cache *c); /* bytes held by the structure, approximate */
    void (*destroy)(gr_cache *c);
};

struct gr_cache {
    const struct gr_cache_ops *ops;
};

typedef struct gr_cache_config {
    unsigned stripes;        /* sharded: power of two up to 65536, 0 = default (64) */
    bool detector;           /* gomap: Go's hashWriting detector (default true) */
    uint64_t window_ns;      /* gomap: busy-wait inside the write critical section, between
                                setting and clearing hashWriting (0 = none: one branch) */
    size_t size_hint;        /* expected entries, 0 = none (initial table size) */
    size_t capacity;         /* bounded: most entries held, 1..2^30, 0 = default (65536) */
    uint64_t capacity_bytes; /* bounded: a byte budget instead of capacity (which must then
                                be 0): the largest capacity whose footprint fits it */
} gr_cache_config;

enum gr_cache_error {
    GR_CACHE_OK = 0,
    GR_CACHE_EUNKNOWN = -1,
    GR_CACHE_ENOMEM = -2,
    GR_CACHE_EARG = -3
};

void gr_cache_config_default(gr_cache_config *cfg);
/* Create a variant by its name (see above); cfg NULL = defaults. Returns
 * GR_CACHE_OK, GR_CACHE_EUNKNOWN (no such name), GR_CACHE_EARG (bad knob,
 * e.g. stripes not a power of two) or GR_CACHE_ENOMEM. */
int gr_cache_create(const char *variant, const gr_cache_config *cfg, gr_cache **out);
/* NULL-terminated list of variant names, in the order of the table above. */
const char *const *gr_cache_variant_names(void);
bool gr_cache_variant_is_buggy(const char *variant);
bool gr_cache_variant_exists(const char *variant);
/* bounded: what mem_bytes reports once a cache of this capacity (entries)
 * and cfg's stripes is full - entry pool, queues, ghost ring, both hash
 * maps at their largest, shard and cache structs; 0 if the capacity or the
 * stripes are out of range. */
size_t gr_bounded_footprint(const gr_cache_config *cfg, size_t capacity);
/* bounded: the largest capacity whose footprint fits in bytes (0: not even
 * one entry fits); what a capacity_bytes budget becomes. */
size_t gr_bounded_capacity_for_bytes(const gr_cache_config *cfg, uint64_t bytes);

/* A message for a gr_cache_error. */
const char *gr_cache_strerror(int err);

/* Hash seeds: every table gets its own from getrandom(), unless a run fixes
 * them (seed != 0) to be reproducible; 0 returns to random seeds. */
void gr_cache_fix_seeds(uint64_t seed);

static inline bool
gr_cache_get(gr_cache *c, const gr_ip *k, gr_country *out)
{
    return c->ops->get(c, k, out);
}
static inline void
gr_cache_put(gr_cache *c, const gr_ip *k, gr_country v)
{
    c->ops->put(c, k, v);
}
static inline void
gr_cache_clear(gr_cache *c)
{
    c->ops->clear(c);
}
static inline size_t
gr_cache_len(gr_cache *c)
{
    return c->ops->len(c);
}
static inline size_t
gr_cache_mem_bytes(gr_cache *c)
{
    return c->ops->mem_bytes(c);
}
static inline void
gr_cache_destroy(gr_cache *c)
{
    if (c)
        c->ops->destroy(c);
}

#endif
