/*
 * hashmap.h - the one plain (unsynchronized) hash map the fixed variants
 * share: gr_ip -> uintptr_t, open addressing with linear probing.
 *
 * The caller provides the hash (gr_hashmap_hash) so a variant that hashes
 * once can pick a stripe and probe with the same value. Not thread-safe by
 * itself: mutex/rwlock/sharded wrap it in locks; syncmap mutates a map only
 * under its mutex and never after publishing it to lock-free readers.
 */
#ifndef GEORACE_HASHMAP_H
#define GEORACE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "georace/ip.h"

struct gr_hashmap_slot {
    gr_ip key;
    uintptr_t value;
    uint64_t hash; /* 0: empty slot */
};

typedef struct gr_hashmap {
    struct gr_hashmap_slot *slots;
    size_t cap; /* power of two, or 0 before the first insert */
    size_t len;
    size_t min_cap;
    uint64_t seed;
} gr_hashmap;

void gr_hashmap_init(gr_hashmap *m, size_t size_hint, uint64_t seed);
/* Drop every entry and the table; the map stays usable (as after init). */
void gr_hashmap_free(gr_hashmap *m);
uint64_t gr_hashmap_hash(const gr_hashmap *m, const gr_ip *key);
bool gr_hashmap_get(const gr_hashmap *m, const gr_ip *key, uint64_t hash, uintptr_t *out);
/* 1 inserted, 0 replaced (old value in *old if not NULL), -1 out of memory. */
int gr_hashmap_put(gr_hashmap *m, const gr_ip *key, uint64_t hash, uintptr_t value, uintptr_t *old);
bool gr_hashmap_remove(gr_hashmap *m, const gr_ip *key, uint64_t hash, uintptr_t *old);
size_t gr_hashmap_mem_bytes(const gr_hashmap *m);
/* What gr_hashmap_mem_bytes reports for a map (size hint 0) that has held at
 * most n keys at once: its table grows in powers of two and never shrinks,
 * so this is its size once n keys were in it. */
size_t gr_hashmap_mem_bytes_for(size_t n);
/* Iterate: size_t pos = 0; while (gr_hashmap_next(m, &pos, &slot)) ... */
bool gr_hashmap_next(const gr_hashmap *m, size_t *pos, const struct gr_hashmap_slot **slot);

static inline size_t
gr_hashmap_len(const gr_hashmap *m)
{
    return m->len;
}

#endif
